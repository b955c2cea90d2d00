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
	// Notes say what the reader dropped or changed in an item it accepted,
	// one sentence each, naming what and why ("partial answer "Delhi"
	// (50%) was dropped: a short-text item accepts only fully right
	// answers"), so nothing changes silently. They go in the item's line of
	// the import report.
	Notes []string
	// FileNotes say the same about the file as a whole (how its text was
	// decoded). A reader sets them once, on the first Parsed it hands
	// over, whether or not that item was read; Import puts them in the
	// report's Notes.
	FileNotes []string
}
