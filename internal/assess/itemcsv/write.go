package itemcsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Write writes items in the CSV layout: a header with only the columns the
// items need, then one row per item. It checks every item first and writes
// nothing if the layout cannot hold one (matching, feedback, weights, more
// than ten options, …), naming the item and what it lacks. Choices are
// written by position, so they read back with ids A, B, ….
func Write(w io.Writer, items []*assess.Item) error {
	var l Layout
	for _, it := range items {
		if err := l.Add(it); err != nil {
			return err
		}
	}
	cw, err := NewWriter(w, l.Header())
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := cw.Write(it); err != nil {
			return err
		}
	}
	return cw.Flush()
}

const opWrite = "itemcsv: write"

// Layout works out, item by item, the columns a set of items needs, so a
// large export can check its items and choose its header in one pass and
// write them in another, never holding them all.
type Layout struct {
	used map[string]bool
	n    int
}

// Add checks the layout can hold it and notes the columns it needs. An item
// it cannot hold is an Unsupported error naming the item and what the
// layout lacks.
func (l *Layout) Add(it *assess.Item) error {
	l.n++
	row, err := toRow(it)
	if err != nil {
		return errs.E(errs.Unsupported, opWrite, "%s: %s", itemName(it, l.n), err)
	}
	if l.used == nil {
		l.used = map[string]bool{}
	}
	for k := range row {
		l.used[k] = true
	}
	return nil
}

// Header lists the columns the items added need (type, correct and marks
// always), in the order of Columns.
func (l *Layout) Header() []string {
	var header []string
	for _, c := range Columns {
		if l.used[c] || c == "type" || c == "correct" || c == "marks" {
			header = append(header, c)
		}
	}
	return header
}

func itemName(it *assess.Item, n int) string {
	if it.ID != 0 {
		return fmt.Sprintf("item %d", it.ID)
	}
	return fmt.Sprintf("item %d of the list", n)
}

// Writer writes items in the CSV layout one at a time, under a header fixed
// when it is made.
type Writer struct {
	cw     *csv.Writer
	header []string
	rec    []string
	n      int
}

// NewWriter writes the header row (columns of Columns, e.g. from
// Layout.Header) and returns a Writer for the rows. Call Flush at the end.
func NewWriter(w io.Writer, header []string) (*Writer, error) {
	for _, c := range header {
		if !slices.Contains(Columns, c) {
			return nil, errs.E(errs.Invalid, opWrite, "the layout has no column %q", c)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return nil, errs.Wrap(opWrite, err)
	}
	return &Writer{cw: cw, header: header, rec: make([]string, len(header))}, nil
}

// Write writes one item as a row. An item the layout cannot hold, or one
// that needs a column the header lacks, is refused with nothing written.
// Text cells a spreadsheet would take for a formula are guarded (see the
// package documentation).
func (w *Writer) Write(it *assess.Item) error {
	w.n++
	row, err := toRow(it)
	if err != nil {
		return errs.E(errs.Unsupported, opWrite, "%s: %s", itemName(it, w.n), err)
	}
	for c := range row {
		if !slices.Contains(w.header, c) {
			return errs.E(errs.Unsupported, opWrite, "%s needs column %s, which the header does not have", itemName(it, w.n), c)
		}
	}
	for i, c := range w.header {
		w.rec[i] = row[c]
		if !numericCell(c, it.Type) {
			w.rec[i] = guard(w.rec[i])
		}
	}
	return errs.Wrap(opWrite, w.cw.Write(w.rec))
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return errs.Wrap(opWrite, w.cw.Error())
}

// numericCell reports whether a column holds a number for an item of type
// t; such cells are written as numbers (-3.5 stays a number) and are never
// guarded. They hold only what strconv wrote, so no formula can hide in them.
func numericCell(col string, t assess.ItemType) bool {
	switch col {
	case "marks", "negative_marks", "tolerance", "max_choices":
		return true
	case "correct":
		return t == assess.Numeric
	}
	return false
}

// formulaStart reports whether a spreadsheet would take a cell starting
// with c for a formula (OWASP's list: = + - @ tab carriage return).
func formulaStart(c byte) bool {
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'
}

// guarded reports whether s, after its leading apostrophes, starts like a
// formula.
func guarded(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && formulaStart(s[0])
}

// guard puts an apostrophe before a text cell that starts like a formula,
// or that starts with apostrophes and then like a formula (so unguard can
// tell the two apart): spreadsheets then show it as text.
func guard(s string) string {
	if guarded(s) {
		return "'" + s
	}
	return s
}

// unguard removes the apostrophe guard put there. Only cells of
// apostrophes then a formula start lose one, so "'tis" stays as it is.
func unguard(s string) string {
	if strings.HasPrefix(s, "'") && guarded(s) {
		return s[1:]
	}
	return s
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// toRow gives the item's cells by column, or says what the layout lacks.
func toRow(it *assess.Item) (map[string]string, error) {
	if !slices.Contains(typeNames, it.Type) {
		return nil, fmt.Errorf("%s questions have no columns in the CSV layout; export them as GIFT or QTI", it.Type)
	}
	s := it.Scoring
	switch {
	case len(s.Weights) > 0 || s.DefaultWeight != 0:
		return nil, fmt.Errorf("the layout has no columns for weights (partial credit)")
	case s.Lower != nil || s.Upper != nil:
		return nil, fmt.Errorf("the layout has no columns for score bounds")
	case s.Unanswered != 0:
		return nil, fmt.Errorf("the layout has no column for marks when unanswered")
	case s.Partial:
		return nil, fmt.Errorf("the layout has no column for partial credit by position")
	case len(it.Choices) > MaxOptions:
		return nil, fmt.Errorf("%d choices; the layout has columns for %d", len(it.Choices), MaxOptions)
	case it.Key.Text != nil && (it.Key.Text.CaseSensitive || it.Key.Text.IgnoreSpaces):
		return nil, fmt.Errorf("the layout has no column for case-sensitive or space-blind matching")
	}
	for _, c := range it.Choices {
		if c.Fixed {
			return nil, fmt.Errorf("the layout has no column for fixed choices")
		}
	}
	row := map[string]string{
		"type":  string(it.Type),
		"marks": num(s.Marks),
	}
	set := func(col, v string) {
		if v != "" {
			row[col] = v
		}
	}
	ref := it.Ref
	if ref == "" && it.ID != 0 {
		ref = strconv.FormatInt(it.ID, 10)
	}
	set("id", ref)
	set("title", it.Title)
	if s.Penalty != 0 {
		set("negative_marks", num(s.Penalty))
	}
	for lang, t := range it.Text {
		if !slices.Contains(Languages, lang) {
			return nil, fmt.Errorf("the layout has no columns for language %q", lang)
		}
		if len(t.Feedback) > 0 {
			return nil, fmt.Errorf("the layout has no columns for feedback on choices")
		}
		set("stem_"+lang, t.Stem)
		set("explanation_"+lang, t.Explanation)
		if it.Type != assess.TrueFalse {
			for i, c := range it.Choices {
				set(optionCol(i, lang), t.Choices[c.ID])
			}
		}
	}
	pos := map[string]int{}
	for i, c := range it.Choices {
		pos[c.ID] = i
	}
	k := it.Key
	switch it.Type {
	case assess.SingleChoice, assess.MultipleResponse, assess.Ordering:
		var letters []string
		for _, id := range k.Choices {
			i, ok := pos[id]
			if !ok {
				return nil, fmt.Errorf("the key names choice %q, which the item does not have", id)
			}
			letters = append(letters, string(rune('A'+i)))
		}
		if it.Type == assess.MultipleResponse {
			slices.Sort(letters)
			if it.MaxChoices > 0 {
				set("max_choices", strconv.Itoa(it.MaxChoices))
			}
		}
		set("correct", strings.Join(letters, ","))
	case assess.TrueFalse:
		if len(k.Choices) != 1 {
			return nil, fmt.Errorf("a true/false item needs one key")
		}
		set("correct", k.Choices[0])
	case assess.Numeric:
		n := k.Numeric
		if n == nil {
			return nil, fmt.Errorf("a numeric item needs a numeric key")
		}
		if n.Range {
			set("correct", num(n.Min)+".."+num(n.Max))
		} else {
			set("correct", num(n.Value))
			if n.Tolerance != 0 {
				set("tolerance", num(n.Tolerance))
			}
		}
	case assess.ShortText:
		if k.Text == nil {
			return nil, fmt.Errorf("a short-text item needs accepted answers")
		}
		for _, a := range k.Text.Accepted {
			if strings.Contains(a, "|") {
				return nil, fmt.Errorf("the accepted answer %q holds |, which the layout uses between answers", a)
			}
		}
		set("correct", strings.Join(k.Text.Accepted, "|"))
	}
	t := it.Tags
	set("topic", t.Topic)
	set("difficulty", t.Difficulty)
	set("bloom", t.Bloom)
	set("source", t.Source)
	for _, l := range t.Labels {
		if strings.Contains(l, ";") {
			return nil, fmt.Errorf("the label %q holds ;, which the layout uses between labels", l)
		}
	}
	set("labels", strings.Join(t.Labels, ";"))
	if it.Shuffle {
		set("shuffle", "yes")
	}
	return row, nil
}
