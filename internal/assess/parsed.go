package assess

// Parsed is one item read from an import file, or the reason it could not
// be read. Importers hand these over one at a time, so memory does not grow
// with the file.
type Parsed struct {
	// Item is the item read; nil when Err is set.
	Item *Item
	// Where says where in the file the item is, for the import report:
	// "line 12", "row 5", "item q17.xml".
	Where string
	// Ref is the item's identifier in the source format, if it has one
	// (QTI identifier, GIFT title), for the report.
	Ref string
	// Err says why the item was rejected; its message names the problem
	// precisely ("interaction graphicGapMatchInteraction is not supported").
	Err error
}
