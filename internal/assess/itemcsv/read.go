package itemcsv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Options tune reading.
type Options struct {
	// Lang is not used: the columns name their language. It is here so
	// every format's options look alike.
	Lang string
	// Marks is an item's marks when its marks cell is empty; default 1.
	Marks float64
}

// Languages are the languages the layout has columns for, in column order.
var Languages = []string{"en", "hi"}

// MaxOptions is the number of option columns per language, a to j.
const MaxOptions = 10

// typeNames are the item types the layout takes.
var typeNames = []assess.ItemType{assess.SingleChoice, assess.MultipleResponse, assess.TrueFalse, assess.Numeric, assess.ShortText, assess.Essay, assess.Ordering}

// Columns lists every column of the layout, in the order Write uses.
var Columns = columns()

func columns() []string {
	c := []string{"id", "title", "type"}
	for _, l := range Languages {
		c = append(c, "stem_"+l)
	}
	for _, l := range Languages {
		for i := range MaxOptions {
			c = append(c, optionCol(i, l))
		}
	}
	c = append(c, "correct", "max_choices", "tolerance", "marks", "negative_marks")
	for _, l := range Languages {
		c = append(c, "explanation_"+l)
	}
	return append(c, "topic", "difficulty", "bloom", "source", "labels", "shuffle")
}

// optionCols holds the option column names by language and position.
var optionCols = func() map[string][]string {
	m := map[string][]string{}
	for _, l := range Languages {
		for i := range MaxOptions {
			m[l] = append(m[l], fmt.Sprintf("option_%c_%s", 'a'+i, l))
		}
	}
	return m
}()

func optionCol(i int, lang string) string { return optionCols[lang][i] }

// Read reads items from r one at a time and calls fn with each, in file
// order. Items that cannot be read come with Err set and Where saying
// where they are ("row 7"); Read goes on to the next. Read returns an error
// only when the file as a whole cannot be read (not UTF-8 text, I/O error,
// no header, unknown columns, no rows) or fn returns one. Memory stays
// bounded by one row, whatever the file's size.
func Read(r io.Reader, opts Options, fn func(assess.Parsed) error) error {
	const op = "itemcsv: read"
	if opts.Marks == 0 {
		opts.Marks = 1
	}
	text, encNote, err := assess.DecodeTextNoted(r)
	if err != nil {
		return err
	}
	var fileNotes []string
	if encNote != "" {
		fileNotes = []string{encNote}
	}
	cr := csv.NewReader(text)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = 0 // the header's count, checked for every row
	rd := &reader{cr: cr, opts: opts, col: map[string]int{}}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errs.E(errs.Invalid, op, "the file is empty; its first row must name the columns (type, stem_en, …)")
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return errs.E(errs.Invalid, op, "the header row cannot be read: %v", pe.Err)
		}
		return errs.Wrap(op, err)
	}
	rd.nextRow(header)
	if err := rd.header(header); err != nil {
		return err
	}
	n := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return errs.Wrap(op, err)
		}
		var p assess.Parsed
		switch {
		case pe != nil && errors.Is(pe.Err, csv.ErrFieldCount):
			row := rd.nextRow(rec)
			p = assess.Parsed{Where: fmt.Sprintf("row %d", row), Err: errs.E(errs.Invalid, "", "row %d: has %d cells, but the header has %d", row, len(rec), len(rd.names))}
		case pe != nil:
			// The reader has moved past the broken text; count its lines.
			rd.row += 1 + max(pe.StartLine-rd.lastEnd-1, 0)
			rd.lastEnd = pe.Line
			row := rd.row
			p = assess.Parsed{Where: fmt.Sprintf("row %d", row), Err: errs.E(errs.Invalid, "", "row %d: the cells cannot be read: %v (line %d, column %d of the file)", row, pe.Err, pe.Line, pe.Column)}
		default:
			row := rd.nextRow(rec)
			if blank(rec) {
				continue
			}
			p = rd.item(row, rec)
		}
		p.FileNotes, fileNotes = fileNotes, nil
		n++
		if err := fn(p); err != nil {
			return err
		}
	}
	if n == 0 {
		return errs.E(errs.Invalid, op, "the file has a header but no questions")
	}
	return nil
}

type reader struct {
	cr      *csv.Reader
	opts    Options
	names   []string
	col     map[string]int
	row     int // the spreadsheet row of the last record
	lastEnd int // the file line the last record ended on
}

// nextRow works out the spreadsheet row of the record just read: blank
// lines, which csv skips, are rows in a spreadsheet, and a cell with line
// breaks is still one row.
func (r *reader) nextRow(rec []string) int {
	start, _ := r.cr.FieldPos(0)
	last, _ := r.cr.FieldPos(len(rec) - 1)
	r.row += 1 + max(start-r.lastEnd-1, 0)
	r.lastEnd = last + strings.Count(rec[len(rec)-1], "\n")
	return r.row
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (r *reader) header(h []string) error {
	const op = "itemcsv: read"
	var unknown, twice []string
	r.names = make([]string, len(h))
	for i, name := range h {
		name = strings.ToLower(strings.TrimSpace(name))
		r.names[i] = name
		switch {
		case name == "":
		case !slices.Contains(Columns, name):
			unknown = append(unknown, strconv.Quote(h[i]))
		case r.has(name):
			twice = append(twice, strconv.Quote(h[i]))
		default:
			r.col[name] = i
		}
	}
	switch {
	case len(unknown) > 0:
		return errs.E(errs.Invalid, op, "the header names columns the layout does not have: %s (the columns are %s)", strings.Join(unknown, ", "), strings.Join(Columns, ", "))
	case len(twice) > 0:
		return errs.E(errs.Invalid, op, "the header names a column twice: %s", strings.Join(twice, ", "))
	case !r.has("type"):
		return errs.E(errs.Invalid, op, "the header has no type column")
	case !r.has("stem_en") && !r.has("stem_hi"):
		return errs.E(errs.Invalid, op, "the header has no stem column (stem_en or stem_hi)")
	}
	return nil
}

func (r *reader) has(name string) bool { _, ok := r.col[name]; return ok }

// rowError is a problem with one row, said with the row's number.
type rowError struct {
	row int
	err error
}

func (e *rowError) fail(format string, args ...any) {
	if e.err == nil {
		e.err = errs.E(errs.Invalid, "", "row %d: %s", e.row, fmt.Sprintf(format, args...))
	}
}

func (r *reader) item(row int, rec []string) assess.Parsed {
	e := &rowError{row: row}
	get := func(name string) string {
		i, ok := r.col[name]
		if !ok {
			return ""
		}
		return unguard(strings.TrimSpace(rec[i]))
	}
	where := fmt.Sprintf("row %d", row)
	ref := get("id")
	p := assess.Parsed{Where: where, Ref: ref}
	for i, c := range rec {
		if r.names[i] == "" && strings.TrimSpace(c) != "" {
			e.fail("column %d has no name in the header, but this row has %q in it", i+1, c)
			p.Err = e.err
			return p
		}
	}
	typ := assess.ItemType(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(get("type"))))
	switch {
	case typ == "":
		e.fail("column type is empty")
	case typ == assess.Matching:
		e.fail("type matching has no columns in the CSV layout; use GIFT or QTI")
	case !slices.Contains(typeNames, typ):
		e.fail("type %q is not one of single_choice, multiple_response, true_false, numeric, short_text, essay, ordering", get("type"))
	}
	if e.err != nil {
		p.Err = e.err
		return p
	}
	it := &assess.Item{Type: typ, Status: assess.Draft, Ref: ref, Title: get("title"), Text: map[string]assess.Text{}}

	// Wording, per language.
	nOpts := -1
	optLang := ""
	for _, l := range Languages {
		t := assess.Text{Stem: get("stem_" + l), Explanation: get("explanation_" + l)}
		n := 0
		for i := range MaxOptions {
			if get(optionCol(i, l)) != "" {
				n = i + 1
			}
		}
		for i := range n {
			if get(optionCol(i, l)) == "" {
				e.fail("%s is empty, but %s is given", optionCol(i, l), optionCol(n-1, l))
			}
		}
		if t.Stem == "" {
			switch {
			case n > 0:
				e.fail("%s is given, but stem_%s is empty", optionCol(0, l), l)
			case t.Explanation != "":
				e.fail("explanation_%s is given, but stem_%s is empty", l, l)
			}
			continue
		}
		if nOpts >= 0 && n != nOpts {
			e.fail("the %s options are %s but the %s options are %s; give the same options in every language", optLang, span(nOpts), l, span(n))
		}
		nOpts, optLang = n, l
		if n > 0 {
			t.Choices = map[string]string{}
			for i := range n {
				t.Choices[string(rune('A'+i))] = get(optionCol(i, l))
			}
		}
		it.Text[l] = t
	}
	if len(it.Text) == 0 {
		var cols []string
		for _, l := range Languages {
			if r.has("stem_" + l) {
				cols = append(cols, "stem_"+l)
			}
		}
		verb := " is"
		if len(cols) > 1 {
			verb = " are"
		}
		e.fail("%s empty; give the question in at least one language", strings.Join(cols, " and ")+verb)
	}
	if e.err != nil {
		p.Err = e.err
		return p
	}
	nOpts = max(nOpts, 0)

	// Choices and key.
	correct := get("correct")
	needOpts := typ == assess.SingleChoice || typ == assess.MultipleResponse || typ == assess.Ordering
	switch {
	case needOpts && nOpts < 2:
		e.fail("a %s question needs at least 2 options (option_a_…, option_b_…); %d given", typ, nOpts)
	case !needOpts && nOpts > 0:
		e.fail("a %s question takes no options, but option_a_%s is given", typ, optLang)
	case typ != assess.Essay && correct == "":
		e.fail("column correct is empty")
	case typ == assess.Essay && correct != "":
		e.fail("an essay has no correct answer, but column correct says %q; put a model answer in the explanation", correct)
	case typ != assess.Numeric && get("tolerance") != "":
		e.fail("tolerance is only for numeric questions")
	case typ != assess.MultipleResponse && get("max_choices") != "":
		e.fail("max_choices is only for multiple_response questions")
	}
	if e.err != nil {
		p.Err = e.err
		return p
	}
	for i := range nOpts {
		it.Choices = append(it.Choices, assess.Choice{ID: string(rune('A' + i))})
	}
	switch typ {
	case assess.SingleChoice, assess.MultipleResponse, assess.Ordering:
		letters := parseLetters(e, correct, nOpts)
		switch {
		case e.err != nil:
		case typ == assess.SingleChoice && len(letters) != 1:
			e.fail("column correct gives %d options (%s), but a single_choice question has one; use type multiple_response", len(letters), strings.Join(letters, ", "))
		case typ == assess.Ordering && len(letters) != nOpts:
			e.fail("column correct must give all %d options (%s) in the right order; it gives %s", nOpts, span(nOpts), strings.Join(letters, ", "))
		case typ == assess.MultipleResponse:
			slices.Sort(letters)
			if s := get("max_choices"); s != "" {
				m, err := strconv.Atoi(s)
				switch {
				case err != nil || m < 0:
					e.fail("max_choices %q is not a whole number of 0 (no limit) or more", s)
				case m > nOpts:
					e.fail("max_choices is %d, but only %d options (%s) are given", m, nOpts, span(nOpts))
				case m > 0 && m < len(letters):
					e.fail("max_choices is %d, but column correct gives %d options (%s), so no one could choose them all", m, len(letters), strings.Join(letters, ", "))
				}
				it.MaxChoices = m
			}
		}
		it.Key.Choices = letters
	case assess.TrueFalse:
		it.Choices = []assess.Choice{{ID: "true"}, {ID: "false"}}
		switch strings.ToLower(correct) {
		case "true", "t":
			it.Key.Choices = []string{"true"}
		case "false", "f":
			it.Key.Choices = []string{"false"}
		default:
			e.fail("column correct must be true or false for a true_false question, not %q", correct)
		}
	case assess.Numeric:
		k, msg := parseNumber(correct, get("tolerance"))
		if msg != "" {
			e.fail("%s", msg)
		}
		it.Key.Numeric = k
	case assess.ShortText:
		var acc []string
		for a := range strings.SplitSeq(correct, "|") {
			if a = strings.TrimSpace(a); a != "" {
				acc = append(acc, a)
			}
		}
		it.Key.Text = &assess.TextKey{Accepted: acc}
	}

	// Scoring and tags.
	it.Scoring.Marks = r.opts.Marks
	if s := get("marks"); s != "" {
		it.Scoring.Marks = number(e, "marks", s)
		if e.err == nil && it.Scoring.Marks <= 0 {
			e.fail("marks must be more than 0, not %s", s)
		}
	}
	if s := get("negative_marks"); s != "" {
		it.Scoring.Penalty = math.Abs(number(e, "negative_marks", s))
	}
	it.Tags = assess.Tags{Topic: get("topic"), Source: get("source"), Difficulty: strings.ToLower(get("difficulty")), Bloom: strings.ToLower(get("bloom"))}
	if it.Tags.Bloom == "analyze" {
		it.Tags.Bloom = "analyse"
	}
	if d := it.Tags.Difficulty; d != "" && !slices.Contains(assess.Difficulties, d) {
		e.fail("difficulty %q is not easy, medium or hard", get("difficulty"))
	}
	if b := it.Tags.Bloom; b != "" && !slices.Contains(assess.BloomLevels, b) {
		e.fail("bloom %q is not one of %s", get("bloom"), strings.Join(assess.BloomLevels, ", "))
	}
	for l := range strings.SplitSeq(get("labels"), ";") {
		if l = strings.TrimSpace(l); l != "" {
			it.Tags.Labels = append(it.Tags.Labels, l)
		}
	}
	switch strings.ToLower(get("shuffle")) {
	case "", "no", "n", "false", "0":
	case "yes", "y", "true", "1":
		it.Shuffle = true
	default:
		e.fail("shuffle must be yes or no, not %q", get("shuffle"))
	}
	if e.err != nil {
		p.Err = e.err
		return p
	}
	if err := it.Validate(); err != nil {
		if ve := errs.As(err); ve != nil && len(ve.Fields) > 0 {
			p.Err = &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("row %d: the question is not valid", row), Fields: ve.Fields}
		} else {
			p.Err = errs.E(errs.Invalid, "", "row %d: the question is not valid: %v", row, err)
		}
		return p
	}
	p.Item = it
	return p
}

// span names the options A–D of n options.
func span(n int) string {
	switch n {
	case 0:
		return "none"
	case 1:
		return "A"
	}
	return fmt.Sprintf("A–%c", 'A'+n-1)
}

// parseLetters reads "A,C", "A;C", "A C" or "AC" into option letters.
func parseLetters(e *rowError, s string, n int) []string {
	var out []string
	for tok := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
		tok = strings.ToUpper(tok)
		for _, c := range tok {
			if c < 'A' || c > 'Z' || (len(tok) > 1 && c > 'A'+MaxOptions-1) {
				e.fail("column correct must give option letters like B or A,C; %q is not one", tok)
				return nil
			}
			l := string(c)
			if int(c-'A') >= n {
				e.fail("column correct names option %s, but only %s are given", l, span(n))
				return nil
			}
			if slices.Contains(out, l) {
				e.fail("column correct names option %s twice", l)
				return nil
			}
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		e.fail("column correct gives no option letter")
	}
	return out
}

func number(e *rowError, col, s string) float64 {
	f, ok := parseFloat(s)
	if !ok {
		e.fail("%s %q is not a number", col, s)
	}
	return f
}

func parseFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// parseNumber reads a numeric key: "3.14" with a tolerance, or "1..5".
func parseNumber(s, tol string) (*assess.NumericKey, string) {
	if lo, hi, ok := strings.Cut(s, ".."); ok {
		a, ok1 := parseFloat(lo)
		b, ok2 := parseFloat(hi)
		switch {
		case !ok1 || !ok2:
			return nil, fmt.Sprintf("column correct %q is not a range of numbers like 1..5", s)
		case a > b:
			return nil, fmt.Sprintf("the range %q in column correct runs backwards; write the smaller number first", s)
		case tol != "":
			return nil, "tolerance is not used with a range; give either a range or a number and a tolerance"
		}
		return &assess.NumericKey{Range: true, Min: a, Max: b}, ""
	}
	v, ok := parseFloat(s)
	if !ok {
		return nil, fmt.Sprintf("column correct %q is not a number like 3.14 or a range like 1..5", s)
	}
	k := &assess.NumericKey{Value: v}
	if tol != "" {
		t, ok := parseFloat(tol)
		if !ok || t < 0 {
			return nil, fmt.Sprintf("tolerance %q is not a number of 0 or more", tol)
		}
		k.Tolerance = t
	}
	return k, ""
}
