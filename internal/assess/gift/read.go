package gift

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Options tune reading.
type Options struct {
	// Lang is the language of the text; default "en".
	Lang string
	// Marks is each item's marks, which GIFT does not carry; default 1.
	Marks float64
}

func (o Options) withDefaults() Options {
	if o.Lang == "" {
		o.Lang = "en"
	}
	if o.Marks == 0 {
		o.Marks = 1
	}
	return o
}

// MaxQuestionBytes caps one question block, so memory stays bounded when a
// file lacks blank lines between questions.
const MaxQuestionBytes = 1 << 20

// Read reads items from r one at a time and calls fn with each, in file
// order. Items that cannot be read come with Err set and Where saying
// where they are; Read goes on to the next. Read returns an error only when
// the file as a whole cannot be read (not UTF-8 text, I/O error, no
// questions at all) or fn returns one. Memory stays bounded by one item,
// whatever the file's size.
func Read(r io.Reader, opts Options, fn func(assess.Parsed) error) error {
	opts = opts.withDefaults()
	text, encNote, err := assess.DecodeTextNoted(r)
	if err != nil {
		return err
	}
	s := &scanner{br: bufio.NewReaderSize(text, 64<<10)}
	topic := ""
	n := 0
	for {
		b, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p := &parser{src: string(b.text), b: b, opts: opts, first: b.first}
		if b.tooBig {
			p.fail(0, "the question is over %d bytes; is a blank line missing between questions?", MaxQuestionBytes)
		} else if rest, ok := strings.CutPrefix(strings.TrimLeft(p.src, " \t"), "$CATEGORY:"); ok {
			line, _, _ := strings.Cut(rest, "\n")
			topic = cleanTopic(line)
			if len(b.lines) == 1 {
				continue
			}
			p.parse(b.starts[1], topic)
		} else {
			p.parse(0, topic)
		}
		res := p.result()
		if n == 0 && encNote != "" {
			res.FileNotes = []string{encNote}
		}
		n++
		if err := fn(res); err != nil {
			return err
		}
	}
	if n == 0 {
		return errs.E(errs.Invalid, "gift: read", "the file has no questions")
	}
	return nil
}

func cleanTopic(s string) string {
	s = strings.TrimSpace(s)
	for _, pre := range []string{"$course$/", "$system$/", "$module$/", "$cat1$/", "$cat2$/", "$cat3$/", "$cat4$/"} {
		s = strings.TrimPrefix(s, pre)
	}
	s = strings.TrimPrefix(s, "top/")
	if s == "top" {
		s = ""
	}
	return s
}

// block is one question's lines, comments removed, joined with \n.
type block struct {
	text   []byte
	starts []int // offset in text of each line
	lines  []int // line number in the file of each line
	first  int   // line number of the first line
	tooBig bool
}

type scanner struct {
	br   *bufio.Reader
	line int
	buf  []byte
	blk  block
}

// readLine returns the next line without its end, and whether it was cut
// short at MaxQuestionBytes.
func (s *scanner) readLine() ([]byte, bool, error) {
	s.buf = s.buf[:0]
	long := false
	for {
		chunk, err := s.br.ReadSlice('\n')
		if len(s.buf)+len(chunk) <= MaxQuestionBytes {
			s.buf = append(s.buf, chunk...)
		} else {
			long = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !(errors.Is(err, io.EOF) && (len(s.buf) > 0 || long)) {
			return nil, false, err
		}
		break
	}
	s.line++
	l := bytes.TrimSuffix(s.buf, []byte("\n"))
	l = bytes.TrimSuffix(l, []byte("\r"))
	return l, long, nil
}

func (s *scanner) next() (*block, error) {
	b := &s.blk
	b.text, b.starts, b.lines, b.first, b.tooBig = b.text[:0], b.starts[:0], b.lines[:0], 0, false
	for {
		line, long, err := s.readLine()
		if errors.Is(err, io.EOF) && (b.first > 0) {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			if b.first > 0 {
				return b, nil
			}
			continue
		}
		if bytes.HasPrefix(t, []byte("//")) {
			continue
		}
		if b.first == 0 {
			b.first = s.line
		}
		if long || len(b.text)+len(line)+1 > MaxQuestionBytes {
			b.tooBig = true
		}
		if b.tooBig {
			continue
		}
		if len(b.lines) > 0 {
			b.text = append(b.text, '\n')
		}
		b.starts = append(b.starts, len(b.text))
		b.lines = append(b.lines, s.line)
		b.text = append(b.text, bytes.TrimRight(line, " \t")...)
	}
}

// parser turns one block into a Parsed.
type parser struct {
	src   string
	b     *block
	opts  Options
	item  *assess.Item
	ref   string
	err   error
	first int // line the question starts on
	// notes say what was dropped or changed in the question; see
	// assess.Parsed.Notes.
	notes []string
}

// note records something the reader drops or changes.
func (p *parser) note(format string, args ...any) {
	p.notes = append(p.notes, fmt.Sprintf(format, args...))
}

func (p *parser) lineAt(off int) int {
	if len(p.b.starts) == 0 {
		return p.b.first
	}
	i := sort.Search(len(p.b.starts), func(i int) bool { return p.b.starts[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return p.b.lines[i]
}

func (p *parser) fail(off int, format string, args ...any) {
	if p.err == nil {
		p.err = errs.E(errs.Invalid, "", "line %d: %s", p.lineAt(off), fmt.Sprintf(format, args...))
	}
}

func (p *parser) result() assess.Parsed {
	where := fmt.Sprintf("line %d", p.first)
	if p.err != nil {
		return assess.Parsed{Where: where, Ref: p.ref, Err: p.err}
	}
	if err := p.item.Validate(); err != nil {
		return assess.Parsed{Where: where, Ref: p.ref, Err: invalid(p.first, err)}
	}
	return assess.Parsed{Item: p.item, Where: where, Ref: p.ref, Notes: p.notes}
}

// invalid turns a validation error into one naming the line.
func invalid(line int, err error) error {
	if e := errs.As(err); e != nil && len(e.Fields) > 0 {
		return &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("line %d: the question is not valid", line), Fields: e.Fields}
	}
	return errs.E(errs.Invalid, "", "line %d: the question is not valid: %v", line, err)
}

// find returns the offset of the first unescaped byte of chars in s at or
// after from, or -1.
func find(s string, from int, chars string) int {
	for i := from; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if strings.IndexByte(chars, s[i]) >= 0 {
			return i
		}
	}
	return -1
}

// findStr returns the offset of the first unescaped sub in s, or -1.
func findStr(s, sub string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if strings.HasPrefix(s[i:], sub) {
			return i
		}
	}
	return -1
}

// unescape resolves GIFT's escapes and trims the result.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch n := s[i+1]; n {
			case '\\', '~', '=', '#', '{', '}', ':':
				b.WriteByte(n)
				i++
				continue
			case 'n':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}

var formats = []string{"[markdown]", "[html]", "[moodle]", "[plain]"}

// parse reads the question that starts at offset from.
func (p *parser) parse(from int, topic string) {
	s := p.src
	i := from
	p.first = p.lineAt(from)
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if strings.HasPrefix(s[i:], "::") {
		end := findStr(s[i+2:], "::")
		if end < 0 {
			p.fail(i, "the title is not closed (missing ::)")
			return
		}
		p.ref = unescape(s[i+2 : i+2+end])
		i += 2 + end + 2
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for _, f := range formats {
		if strings.HasPrefix(s[i:], f) {
			i += len(f)
			if f == "[plain]" || f == "[moodle]" {
				p.note("the text is marked %s but is read as Markdown, so characters such as * _ # and single line breaks may show differently", f)
			}
			break
		}
	}
	open := find(s, i, "{}")
	if open < 0 {
		p.fail(i, "a description (no answer block) is not a question; skipped")
		return
	}
	if s[open] == '}' {
		p.fail(open, "a } without a matching {; write a literal brace as \\}")
		return
	}
	end := find(s, open+1, "{}")
	if end < 0 {
		p.fail(open, "the answer block is not closed (missing })")
		return
	}
	if s[end] == '{' {
		p.fail(end, "a { inside the answer block that starts on line %d; write a literal brace as \\{", p.lineAt(open))
		return
	}
	if k := find(s, end+1, "{}"); k >= 0 {
		if s[k] == '{' {
			p.fail(k, "a second answer block; a question has one (is a blank line missing between questions, or a literal { not written as \\{?)")
		} else {
			p.fail(k, "a } without a matching {; write a literal brace as \\}")
		}
		return
	}
	stem := s[i:open]
	if strings.TrimSpace(s[end+1:]) != "" {
		stem = s[i:open] + "_____" + s[end+1:]
	}
	it := &assess.Item{
		Type:    assess.Essay,
		Status:  assess.Draft,
		Scoring: assess.Scoring{Marks: p.opts.Marks},
		Tags:    assess.Tags{Topic: topic},
	}
	it.Ref = p.ref
	if n := utf8.RuneCountInString(p.ref); n <= 200 {
		it.Title = p.ref
	} else {
		p.note("the title is %d characters, more than an item's title may have (200); it is kept as the item's source id only", n)
	}
	t := assess.Text{Stem: unescape(stem)}
	if t.Stem == "" {
		p.fail(open, "the question text is empty")
		return
	}
	p.item = it
	p.answers(open, s[open+1:end], &t)
	if p.err != nil {
		p.item = nil
		return
	}
	it.Text = map[string]assess.Text{p.opts.Lang: t}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// answer is one answer in a block: its marker (= or ~, 0 for none), weight
// in percent, text and feedback, both still escaped.
type answer struct {
	marker   byte
	weight   float64
	weighted bool
	text     string
	feedback string
	hasFb    bool
	off      int
}

// answers fills the item's type, choices and key from the answer block a,
// which starts after the { at offset open.
func (p *parser) answers(open int, a string, t *assess.Text) {
	off := open + 1
	if g := findStr(a, "####"); g >= 0 {
		t.Explanation = unescape(a[g+4:])
		a = a[:g]
	}
	// Moodle reads the block as one line.
	a = strings.ReplaceAll(a, "\n", " ")
	lead := len(a) - len(strings.TrimLeft(a, " \t"))
	a = strings.TrimSpace(a)
	off += lead
	it := p.item
	switch {
	case a == "":
		it.Type = assess.Essay
	case a[0] == '#':
		p.numeric(off, a[1:], t)
	case find(a, 0, "~") >= 0:
		p.choice(off, a, t)
	case find(a, 0, "=") >= 0 && strings.Contains(a, "->"):
		p.matching(off, a, t)
	default:
		head := a
		if k := find(a, 0, "#"); k >= 0 {
			head = a[:k]
		}
		switch strings.ToUpper(strings.TrimSpace(head)) {
		case "T", "TRUE", "F", "FALSE":
			p.trueFalse(a, t)
		default:
			p.shortText(off, a, t)
		}
	}
}

// split cuts a at unescaped = and ~ into answers, reading each one's weight
// and feedback. Text before the first marker is an answer with marker 0.
func (p *parser) split(off int, a string) []answer {
	var out []answer
	start := 0
	var marker byte
	add := func(end int) {
		piece := a[start:end]
		if marker == 0 && strings.TrimSpace(piece) == "" {
			return
		}
		an := answer{marker: marker, off: off + start}
		if marker == '=' {
			an.weight = 100
		}
		body := strings.TrimLeft(piece, " \t")
		if w, n, ok := weightPrefix(body); ok {
			if w < -100 || w > 100 {
				p.fail(an.off, "the weight in %q is not a percentage between -100 and 100", strings.TrimSpace(piece))
			}
			an.weight, an.weighted = w, true
			body = body[n:]
		}
		if k := find(body, 0, "#"); k >= 0 {
			an.text, an.feedback, an.hasFb = body[:k], body[k+1:], true
		} else {
			an.text = body
		}
		out = append(out, an)
	}
	for i := 0; i < len(a); i++ {
		if a[i] == '\\' {
			i++
			continue
		}
		if a[i] == '=' || a[i] == '~' {
			add(i)
			start, marker = i+1, a[i]
		}
	}
	add(len(a))
	return out
}

// weightPrefix reads a weight such as %50% or %-33.3% at the start of s,
// returning it and its length. Text that only starts with % is not a
// weight, as in Moodle.
func weightPrefix(s string) (float64, int, bool) {
	if len(s) < 3 || s[0] != '%' {
		return 0, 0, false
	}
	i := 1
	if s[i] == '-' {
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			continue
		case c == '.' && !dot:
			dot = true
			continue
		}
		break
	}
	if digits == 0 || i >= len(s) || s[i] != '%' {
		return 0, 0, false
	}
	w, err := strconv.ParseFloat(s[1:i], 64)
	if err != nil {
		return 0, 0, false
	}
	return w, i + 1, true
}

// fmtPct writes a percentage as GIFT does, without a needless fraction.
func fmtPct(w float64) string { return strconv.FormatFloat(w, 'f', -1, 64) }

// roundWeight turns a percentage into marks, rounded to 6 decimals so a
// weight survives being written as a percentage and read back.
func roundWeight(pct, marks float64) float64 {
	return math.Round(pct*marks/100*1e6) / 1e6
}

func (p *parser) choice(off int, a string, t *assess.Text) {
	ans := p.split(off, a)
	if p.err != nil {
		return
	}
	if len(ans) > assess.MaxChoices {
		p.fail(off, "%d answers; at most %d", len(ans), assess.MaxChoices)
		return
	}
	it := p.item
	t.Choices = map[string]string{}
	var full, pos []string
	partial := false
	var posSum float64
	for i, an := range ans {
		if an.marker == 0 {
			p.fail(an.off, "answer %q has no = or ~ in front", strings.TrimSpace(an.text))
			return
		}
		id := string(rune('A' + i))
		text := unescape(an.text)
		if text == "" {
			p.fail(an.off, "answer %d is empty", i+1)
			return
		}
		it.Choices = append(it.Choices, assess.Choice{ID: id})
		t.Choices[id] = text
		if fb := unescape(an.feedback); fb != "" {
			if t.Feedback == nil {
				t.Feedback = map[string]string{}
			}
			t.Feedback[id] = fb
		}
		switch {
		case an.weight == 100:
			full = append(full, id)
		case an.weight != 0:
			partial = true
		}
		if an.weight > 0 {
			pos = append(pos, id)
			posSum += an.weight
		}
	}
	if len(pos) == 0 {
		p.fail(off, "no answer is marked right (with = or a positive weight such as ~%%50%%)")
		return
	}
	weights := func() {
		it.Scoring.Weights = map[string]float64{}
		for i, an := range ans {
			if an.weight != 0 {
				w := roundWeight(an.weight, it.Scoring.Marks)
				if exact := an.weight * it.Scoring.Marks / 100; math.Abs(w-exact) > 1e-12*math.Max(1, math.Abs(exact)) {
					p.note("the weight %s%% of answer %s is rounded to %s marks (6 decimal places)", fmtPct(an.weight), it.Choices[i].ID, strconv.FormatFloat(w, 'f', -1, 64))
				}
				it.Scoring.Weights[it.Choices[i].ID] = w
			}
		}
	}
	if len(full) == 1 {
		it.Type = assess.SingleChoice
		it.Key.Choices = full
		if partial {
			weights()
		}
		return
	}
	it.Type = assess.MultipleResponse
	it.Key.Choices = pos
	if partial {
		if math.Abs(posSum-100) > 0.01 { // room for weights rounded to 6 places
			p.fail(off, "the positive weights add up to %s%%, not 100%%", strconv.FormatFloat(posSum, 'f', -1, 64))
			return
		}
		weights()
	}
}

func (p *parser) trueFalse(a string, t *assess.Text) {
	it := p.item
	it.Type = assess.TrueFalse
	it.Choices = []assess.Choice{{ID: "true"}, {ID: "false"}}
	head, fb := a, ""
	if k := find(a, 0, "#"); k >= 0 {
		head, fb = a[:k], a[k+1:]
	}
	right, wrong := "true", "false"
	if h := strings.ToUpper(strings.TrimSpace(head)); h == "F" || h == "FALSE" {
		right, wrong = "false", "true"
	}
	it.Key.Choices = []string{right}
	wrongFb, rightFb := fb, ""
	if k := find(fb, 0, "#"); k >= 0 {
		wrongFb, rightFb = fb[:k], fb[k+1:]
	}
	for id, f := range map[string]string{wrong: unescape(wrongFb), right: unescape(rightFb)} {
		if f != "" {
			if t.Feedback == nil {
				t.Feedback = map[string]string{}
			}
			t.Feedback[id] = f
		}
	}
}

func (p *parser) shortText(off int, a string, t *assess.Text) {
	it := p.item
	it.Type = assess.ShortText
	var accepted []string
	fb, fbOf := "", ""
	partials := 0
	for _, an := range p.split(off, a) {
		if an.marker == 0 && !an.weighted {
			an.weight = 100 // Moodle takes {Paris} as the answer Paris
		}
		text := unescape(an.text)
		if text == "" {
			p.fail(an.off, "an answer is empty")
			return
		}
		afb := unescape(an.feedback)
		if an.weight != 100 {
			if an.weight > 0 {
				partials++
			}
			p.note("answer %q at %s%% is dropped: a short-answer item accepts only answers at 100%%", text, fmtPct(an.weight))
			if afb != "" {
				p.note("the feedback on answer %q is dropped with it", text)
			}
			continue
		}
		switch {
		case fb == "" && afb != "":
			fb, fbOf = afb, text
		case afb != "":
			p.note("the feedback on answer %q is dropped: only the first accepted answer's feedback is kept, as the explanation", text)
		}
		accepted = append(accepted, text)
	}
	if p.err != nil {
		return
	}
	if len(accepted) == 0 {
		if partials > 0 {
			p.fail(off, "no answer is fully right: only partial answers (%%50%%) are given, and a short-answer item needs at least one answer at 100%%")
		} else {
			p.fail(off, "no answer is marked right (=)")
		}
		return
	}
	if t.Explanation == "" {
		t.Explanation = fb
	} else if fb != "" {
		p.note("the feedback on answer %q is dropped: the general feedback (####) is the explanation", fbOf)
	}
	it.Key.Text = &assess.TextKey{Accepted: accepted}
}

func (p *parser) numeric(off int, a string, t *assess.Text) {
	it := p.item
	it.Type = assess.Numeric
	var ans []answer
	if b := strings.TrimLeft(a, " \t"); b != "" && (b[0] == '=' || b[0] == '~') {
		ans = p.split(off+1, a)
		if p.err != nil {
			return
		}
	} else {
		an := answer{marker: '=', weight: 100, text: a, off: off + 1}
		if k := find(a, 0, "#"); k >= 0 {
			an.text, an.feedback = a[:k], a[k+1:]
		}
		ans = []answer{an}
	}
	for _, an := range ans {
		if an.marker == 0 {
			p.fail(an.off, "numeric answer %q has no = or ~ in front", strings.TrimSpace(an.text))
			return
		}
		key, msg := parseNumber(strings.TrimSpace(an.text))
		if msg != "" {
			p.fail(an.off, "%s", msg)
			return
		}
		text, fb := strings.TrimSpace(an.text), unescape(an.feedback)
		switch {
		case an.weight == 100 && it.Key.Numeric == nil:
			it.Key.Numeric = key
			switch {
			case t.Explanation == "":
				t.Explanation = fb
			case fb != "":
				p.note("the feedback on answer %s is dropped: the general feedback (####) is the explanation", text)
			}
			continue
		case an.weight == 100:
			p.note("answer %s is dropped: a numeric item keeps only the first fully right answer", text)
		default:
			p.note("answer %s at %s%% is dropped: a numeric item keeps only its fully right answer", text, fmtPct(an.weight))
		}
		if fb != "" {
			p.note("the feedback on answer %s is dropped with it", text)
		}
	}
	if it.Key.Numeric == nil {
		p.fail(off, "no numeric answer is fully right (marked = without a weight below 100%%)")
	}
}

// parseNumber reads "3.14", "3.14:0.01" or "1..5".
func parseNumber(s string) (*assess.NumericKey, string) {
	num := func(x string) (float64, bool) {
		x = strings.TrimSpace(x)
		if x == "" || strings.ContainsAny(x, "xXpP_") {
			return 0, false
		}
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	if lo, hi, ok := strings.Cut(s, ".."); ok {
		a, ok1 := num(lo)
		b, ok2 := num(hi)
		switch {
		case !ok1 || !ok2:
			return nil, fmt.Sprintf("%q is not a range of numbers like 1..5", s)
		case a > b:
			return nil, fmt.Sprintf("the range %q runs backwards; write the smaller number first", s)
		}
		return &assess.NumericKey{Range: true, Min: a, Max: b}, ""
	}
	v, tol, _ := strings.Cut(s, ":")
	val, ok := num(v)
	if !ok {
		return nil, fmt.Sprintf("%q is not a number like 3.14 or 3.14:0.01", s)
	}
	k := &assess.NumericKey{Value: val}
	if strings.Contains(s, ":") {
		tv, ok := num(tol)
		if !ok || tv < 0 {
			return nil, fmt.Sprintf("the tolerance in %q is not a number of 0 or more", s)
		}
		k.Tolerance = tv
	}
	return k, ""
}

func (p *parser) matching(off int, a string, t *assess.Text) {
	it := p.item
	it.Type = assess.Matching
	it.Scoring.Partial = true
	t.Left, t.Right = map[string]string{}, map[string]string{}
	it.Key.Pairs = map[string]string{}
	rightID := map[string]string{}
	var extra []string
	type pair struct{ left, right string }
	var pairs []pair
	for _, an := range p.split(off, a) {
		if an.marker != '=' || an.weighted {
			p.fail(an.off, "matching pairs are written =left -> right; found %q", strings.TrimSpace(string(an.marker)+an.text))
			return
		}
		l, r, ok := strings.Cut(an.text, "->")
		if !ok {
			p.fail(an.off, "the pair %q has no ->", strings.TrimSpace(an.text))
			return
		}
		l, r = unescape(l), unescape(r)
		if an.hasFb && unescape(an.feedback) != "" {
			p.note("the feedback on pair %q -> %q is ignored, as in Moodle", l, r)
		}
		if r == "" {
			p.fail(an.off, "the pair %q has nothing after ->", strings.TrimSpace(an.text))
			return
		}
		if l == "" {
			extra = append(extra, r)
			continue
		}
		pairs = append(pairs, pair{l, r})
	}
	if len(pairs) < 2 {
		p.fail(off, "a matching question needs at least 2 pairs; found %d", len(pairs))
		return
	}
	if len(pairs) > assess.MaxChoices {
		p.fail(off, "%d pairs; at most %d", len(pairs), assess.MaxChoices)
		return
	}
	addRight := func(r string) string {
		if id, ok := rightID[r]; ok {
			return id
		}
		id := strconv.Itoa(len(it.Right) + 1)
		rightID[r] = id
		it.Right = append(it.Right, id)
		t.Right[id] = r
		return id
	}
	for i, pr := range pairs {
		id := string(rune('A' + i))
		it.Left = append(it.Left, id)
		t.Left[id] = pr.left
		it.Key.Pairs[id] = addRight(pr.right)
	}
	for _, r := range extra {
		addRight(r)
	}
}
