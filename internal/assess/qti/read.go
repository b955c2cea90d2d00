package qti

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Version is a QTI version, for export.
type Version string

// The versions Vidya writes.
const (
	V21 Version = "2.1"
	V30 Version = "3.0"
)

// Namespaces of QTI item documents.
const (
	NS21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
	NS30 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
)

// toolName marks documents Vidya wrote; their text is Markdown source.
const toolName = "Vidya"

// Vidya-only settings that QTI has no place for travel as outcome
// variables, which other players declare and ignore.
const (
	outUnanswered   = "VIDYA_UNANSWERED"
	outPartial      = "VIDYA_PARTIAL"
	outIgnoreSpaces = "VIDYA_IGNORE_SPACES"
)

// Size limits for untrusted input.
const (
	MaxItemSize    = 2 << 20   // bytes of one item document
	MaxPackageSize = 500 << 20 // uncompressed bytes of a whole package
	MaxEntries     = 20_000    // files in a package
	MaxMediaSize   = 50 << 20  // uncompressed bytes of one image or media file
)

// Options control reading.
type Options struct {
	// Lang is the language of items that do not say (no xml:lang);
	// default "en".
	Lang string
	// Media, if set, is called for each image an item in a package
	// references, with its path in the package and its bytes; it returns
	// the reference to write in the Markdown (e.g. a media store URL). With
	// no Media the package path is kept.
	Media func(path string, r io.Reader) (ref string, err error)
}

// ReadItem parses one assessmentItem document, QTI 2.1 or 3.0 (told apart
// by the root element's name). where names the document (a file name such
// as "q17.xml"); the Parsed's Where is "item " + where and every error
// message starts with it. Images keep their src (there is no package to
// take them from); see ReadPackage.
func ReadItem(r io.Reader, where string, opts Options) assess.Parsed {
	p := assess.Parsed{Where: "item " + where}
	data, err := io.ReadAll(io.LimitReader(r, MaxItemSize+1))
	if err != nil {
		p.Err = itemErr(errs.Invalid, where, "cannot be read: %v", err)
		return p
	}
	if len(data) > MaxItemSize {
		p.Err = itemErr(errs.TooLarge, where, "is more than %s; an item document may be at most %s", fmtSize(MaxItemSize), fmtSize(MaxItemSize))
		return p
	}
	ir := &itemReader{where: where, opts: opts, image: keepImage}
	p.Item, p.Ref, p.Err = ir.read(data)
	if p.Err == nil {
		p.Notes = ir.notes
	}
	return p
}

// itemErr makes an error whose message starts "item <where>: ".
func itemErr(kind errs.Kind, where, format string, args ...any) *errs.Error {
	return &errs.Error{Kind: kind, Message: "item " + where + ": " + fmt.Sprintf(format, args...)}
}

func fmtSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// keepImage is ReadItem's image rule: web URLs and paths are kept as they
// are; other schemes (javascript:, data:) are refused.
func keepImage(src string) (string, error) {
	u, err := url.Parse(src)
	if err != nil {
		return "", refuse("image src %q is not a valid URL", src)
	}
	switch u.Scheme {
	case "http", "https":
		return src, nil
	case "":
		return src, nil // a path in a package that is not at hand
	}
	return "", refuse("image src %q: only http, https and paths inside the package are allowed", trunc(src, 40))
}

func trunc(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// itemReader reads one item document.
type itemReader struct {
	where string
	opts  Options
	image func(src string) (string, error)
	// notes say what read dropped or changed in the item it returned (see
	// assess.Parsed.Notes); each is said once.
	notes []string
}

// note records something the reader drops or changes.
func (ir *itemReader) note(format string, args ...any) {
	if n := fmt.Sprintf(format, args...); !slices.Contains(ir.notes, n) {
		ir.notes = append(ir.notes, n)
	}
}

// read parses and maps one document. The item it returns has passed
// Validate.
func (ir *itemReader) read(data []byte) (*assess.Item, string, error) {
	ir.notes = nil
	root, err := parseXML(data)
	if err != nil {
		return nil, "", itemErr(errs.Invalid, ir.where, "%s", err.Error())
	}
	ref := root.attr("identifier")
	it, err := ir.item(root)
	if err != nil {
		var u *unsupported
		if errors.As(err, &u) {
			kind := errs.Invalid
			if strings.Contains(u.msg, "not supported") || strings.Contains(u.msg, "not imported") {
				kind = errs.Unsupported
			}
			return nil, ref, itemErr(kind, ir.where, "%s", u.msg)
		}
		return nil, ref, err
	}
	if err := it.Validate(); err != nil {
		e := itemErr(errs.Invalid, ir.where, "the item is not valid")
		if v := errs.As(err); v != nil {
			e.Fields = v.Fields
		}
		return nil, ref, e
	}
	it.ContentHash = it.Hash()
	return it, ref, nil
}

// lang maps an xml:lang tag to one of Vidya's language codes.
func (ir *itemReader) lang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if tag == "" {
		if ir.opts.Lang != "" {
			return ir.opts.Lang
		}
		return "en"
	}
	primary, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	switch primary {
	case "eng":
		return "en"
	case "hin":
		return "hi"
	}
	return primary
}

// item maps a parsed document to an item (not yet validated).
func (ir *itemReader) item(root *node) (*assess.Item, error) {
	switch root.name {
	case "assessmentItem":
	case "assessmentTest":
		return nil, refuse("assessmentTest resources are not imported as items")
	case "assessmentStimulus":
		return nil, refuse("shared stimulus documents are not supported")
	default:
		return nil, refuse("the root element is <%s>, not a QTI assessmentItem", root.raw)
	}
	if s := root.space; s != "" && s != NS30 && !strings.HasPrefix(s, "http://www.imsglobal.org/xsd/imsqti_v2p") {
		return nil, refuse("namespace %s is not QTI 2.1 or 3.0", s)
	}
	if root.attr("adaptive") == "true" {
		return nil, refuse("adaptive items are not supported")
	}
	for _, k := range root.elems() {
		switch k.name {
		case "templateDeclaration", "templateProcessing":
			return nil, refuse("item templates (<%s>) are not supported", k.raw)
		case "assessmentStimulusRef":
			return nil, refuse("shared stimulus (<%s>) is not supported", k.raw)
		}
	}
	body := root.child("itemBody")
	if body == nil {
		return nil, refuse("the item has no itemBody")
	}
	var inters []*node
	body.find(func(n *node) bool {
		if strings.HasSuffix(n.name, "Interaction") {
			inters = append(inters, n)
			return false
		}
		return true
	})
	switch len(inters) {
	case 0:
		return nil, refuse("the item has no interaction")
	case 1:
	default:
		names := make([]string, len(inters))
		for i, n := range inters {
			names[i] = n.raw
		}
		return nil, refuse("the item has %d interactions (%s); items with more than one interaction are not supported", len(inters), strings.Join(names, ", "))
	}
	inter := inters[0]
	switch inter.name {
	case "choiceInteraction", "textEntryInteraction", "extendedTextInteraction", "orderInteraction", "matchInteraction":
	default:
		return nil, refuse("interaction %s is not supported", inter.raw)
	}
	respID := inter.attr("responseIdentifier")
	var decl *node
	for _, d := range root.children("responseDeclaration") {
		if d.attr("identifier") == respID {
			decl = d
		}
	}
	if decl == nil {
		return nil, refuse("there is no responseDeclaration for %s's response %q", inter.raw, respID)
	}

	lang := ir.lang(root.attr("xml:lang"))
	title := strings.TrimSpace(collapse(root.attr("title")))
	if n := utf8.RuneCountInString(title); n > 200 {
		title = string([]rune(title)[:199]) + "…"
		ir.note("the title is %d characters; it is cut to the 200 an item's title may have", n)
	}
	it := &assess.Item{Status: assess.Draft, Title: title}
	c := &conv{literal: root.attr("toolName") == toolName, inter: inter, image: ir.image, note: ir.note}
	c.onInteraction = func(n *node) ([]string, error) {
		if p := n.child("prompt"); p != nil {
			return c.blocks(p)
		}
		return nil, nil
	}
	stem, err := c.blocks(body)
	if err != nil {
		return nil, err
	}
	t := assess.Text{Stem: strings.Join(stem, "\n\n")}

	rp, err := readRP(root, respID)
	if err != nil {
		return nil, err
	}
	mp, err := readMapping(decl)
	if err != nil {
		return nil, err
	}
	correct := values(decl.child("correctResponse"))
	sc := scoreInfo{rp: rp, mp: mp, marks: maxScore(root)}

	switch inter.name {
	case "choiceInteraction", "orderInteraction":
		err = ir.choice(it, &t, c, inter, decl, correct, sc)
	case "matchInteraction":
		err = ir.match(it, &t, c, inter, decl, correct, sc)
	case "textEntryInteraction":
		err = ir.textEntry(it, decl, correct, sc)
	case "extendedTextInteraction":
		it.Type = assess.Essay
		it.Scoring.Marks = sc.marksOr(1)
	}
	if err != nil {
		return nil, err
	}
	if inter.name == "textEntryInteraction" || inter.name == "extendedTextInteraction" {
		if pm := inter.attr("patternMask"); pm != "" {
			ir.note("patternMask %q is not kept: answers are not checked against it", trunc(pm, 40))
		}
	}

	// Feedback: content whose identifier names a choice is that choice's
	// feedback; everything else is the worked explanation.
	var expl []string
	ids := map[string]bool{}
	for _, ch := range it.Choices {
		ids[ch.ID] = true
	}
	addFB := func(id string, bs []string) {
		if len(bs) == 0 {
			return
		}
		if ids[id] {
			if t.Feedback == nil {
				t.Feedback = map[string]string{}
			}
			if old := t.Feedback[id]; old != "" {
				bs = append([]string{old}, bs...)
			}
			t.Feedback[id] = strings.Join(bs, "\n\n")
			return
		}
		if !c.literal {
			// Vidya writes only the explanation so; others show such
			// feedback on some condition that Vidya does not keep.
			ir.note("feedback %q becomes part of the explanation, shown whatever the answer", trunc(id, 40))
		}
		expl = append(expl, bs...)
	}
	for _, id := range c.fbOrder {
		addFB(id, c.feedback[id])
	}
	for _, mf := range root.children("modalFeedback") {
		c.feedback, c.fbOrder = nil, nil
		bs, err := c.blocks(mf)
		if err != nil {
			return nil, err
		}
		for _, id := range c.fbOrder { // feedbackInline inside modal feedback
			bs = append(bs, c.feedback[id]...)
		}
		addFB(mf.attr("identifier"), bs)
	}
	t.Explanation = strings.Join(expl, "\n\n")
	it.Text = map[string]assess.Text{lang: t}

	for _, od := range root.children("outcomeDeclaration") {
		v := strings.TrimSpace(strings.Join(values(od.child("defaultValue")), " "))
		switch od.attr("identifier") {
		case outUnanswered:
			f, err := number(v)
			if err != nil {
				return nil, refuse("%s is %q, not a number", outUnanswered, v)
			}
			it.Scoring.Unanswered = f
		case outPartial:
			it.Scoring.Partial = v == "true"
		case outIgnoreSpaces:
			if it.Key.Text != nil {
				it.Key.Text.IgnoreSpaces = v == "true"
			}
		}
	}
	return it, nil
}

// values returns the texts of a correctResponse's or defaultValue's values.
func values(n *node) []string {
	if n == nil {
		return nil
	}
	var out []string
	for _, v := range n.children("value") {
		out = append(out, strings.TrimSpace(v.content()))
	}
	return out
}

// maxScore is the SCORE outcome's normalMaximum, or the MAXSCORE outcome's
// default value.
func maxScore(root *node) *float64 {
	var maxOut *float64
	for _, od := range root.children("outcomeDeclaration") {
		switch od.attr("identifier") {
		case "SCORE":
			if s, ok := od.lookup("normalMaximum"); ok {
				if f, err := number(s); err == nil && f > 0 {
					return &f
				}
			}
		case "MAXSCORE":
			if v := values(od.child("defaultValue")); len(v) == 1 {
				if f, err := number(v[0]); err == nil && f > 0 {
					maxOut = &f
				}
			}
		}
	}
	return maxOut
}

// scoreInfo is what scoring is built from.
type scoreInfo struct {
	rp    rpInfo
	mp    mapping
	marks *float64 // normalMaximum
}

func (s scoreInfo) marksOr(def float64) float64 {
	if s.marks != nil {
		return *s.marks
	}
	return def
}

// allOrNothing fills Marks, Penalty and Unanswered for match_correct or a
// custom rule whose condition must be cond (or "match").
func (s scoreInfo) allOrNothing(sc *assess.Scoring) error {
	switch s.rp.kind {
	case rpNone, rpMatch:
		sc.Marks = s.marksOr(1)
	case rpCustom:
		if s.rp.correct <= 0 {
			return refuse("responseProcessing gives %s for a correct response; it must be more than 0", fmtNum(s.rp.correct))
		}
		if s.rp.wrong > 0 {
			return refuse("responseProcessing gives %s for a wrong response; Vidya takes 0 or a penalty", fmtNum(s.rp.wrong))
		}
		sc.Marks, sc.Penalty = s.rp.correct, -s.rp.wrong+0
		if s.rp.unanswered != nil {
			sc.Unanswered = *s.rp.unanswered
		}
	}
	return nil
}

func (s scoreInfo) needMatch() error {
	if s.rp.kind == rpCustom && s.rp.cond.kind != "match" {
		return refuse("responseProcessing compares the response with a tolerance or range, which only numeric items take")
	}
	return nil
}

func fmtNum(f float64) string { return fmt.Sprintf("%g", f) }

// choice maps choiceInteraction and orderInteraction.
func (ir *itemReader) choice(it *assess.Item, t *assess.Text, c *conv, inter, decl *node, correct []string, sc scoreInfo) error {
	for _, k := range inter.elems() {
		switch k.name {
		case "prompt":
			continue
		case "simpleChoice":
		default:
			return refuse("<%s> inside %s is not supported", k.raw, inter.raw)
		}
		id := k.attr("identifier")
		bs, err := c.blocks(k)
		if err != nil {
			return err
		}
		it.Choices = append(it.Choices, assess.Choice{ID: id, Fixed: k.attr("fixed") == "true"})
		if t.Choices == nil {
			t.Choices = map[string]string{}
		}
		if _, dup := t.Choices[id]; dup {
			return refuse("two choices have the identifier %q", id)
		}
		t.Choices[id] = strings.Join(bs, "\n\n")
	}
	it.Shuffle = inter.attr("shuffle") == "true"
	for _, v := range correct {
		if _, ok := t.Choices[v]; !ok {
			return refuse("correctResponse names choice %s, which the interaction does not have", v)
		}
	}
	for _, e := range sc.mp.entries {
		if _, ok := t.Choices[e.key]; !ok {
			return refuse("mapping names choice %s, which the interaction does not have", e.key)
		}
	}
	card := decl.attr("cardinality")
	minC, err := choiceCount(inter, "minChoices")
	if err != nil {
		return err
	}
	maxC, err := choiceCount(inter, "maxChoices")
	if err != nil {
		return err
	}
	if inter.name == "orderInteraction" {
		if card != "ordered" {
			return refuse("orderInteraction needs a response of cardinality ordered, not %q", card)
		}
		for _, a := range []struct {
			name string
			n    int
		}{{"minChoices", minC}, {"maxChoices", maxC}} {
			if a.n > 0 && a.n < len(it.Choices) {
				ir.note("%s=\"%d\" is not kept: the candidate puts all %d choices in order", a.name, a.n, len(it.Choices))
			}
		}
		it.Type = assess.Ordering
		it.Key.Choices = correct
		if sc.rp.kind == rpMap {
			return refuse("map_response scoring of an orderInteraction is not supported")
		}
		if err := sc.needMatch(); err != nil {
			return err
		}
		return sc.allOrNothing(&it.Scoring)
	}
	switch card {
	case "single":
		it.Type = assess.SingleChoice
		if len(it.Choices) == 2 && hasIDs(it.Choices, "true", "false") {
			it.Type = assess.TrueFalse
			var dropped []string
			for _, ch := range it.Choices {
				if s := t.Choices[ch.ID]; defaultTF[strings.ToLower(strings.TrimSpace(s))] == ch.ID {
					delete(t.Choices, ch.ID)
					dropped = append(dropped, strconv.Quote(strings.TrimSpace(s)))
				}
			}
			if len(dropped) > 0 && !c.literal {
				ir.note("the true/false choices' labels %s are dropped: the runner labels them in the candidate's language", strings.Join(dropped, " and "))
			}
		}
	case "multiple":
		it.Type = assess.MultipleResponse
		if maxC > 0 && maxC < len(it.Choices) {
			it.MaxChoices = maxC // at least as many choices is no limit
		}
	default:
		return refuse("choiceInteraction with a response of cardinality %q is not supported", card)
	}
	if minC > 0 {
		ir.note("minChoices=\"%d\" is not kept: a candidate may choose fewer, and choosing none leaves the item unanswered", minC)
	}
	it.Key.Choices = correct
	if err := sc.needMatch(); err != nil {
		return err
	}
	if sc.rp.kind != rpMap {
		if len(correct) == 0 && sc.mp.present {
			sc.rp.kind = rpMap // no correct response, but a mapping: scored by it
		} else {
			return sc.allOrNothing(&it.Scoring)
		}
	}
	if !sc.mp.present {
		return refuse("map_response is used but the responseDeclaration has no mapping")
	}
	m := sc.mp
	if it.Type != assess.MultipleResponse && len(correct) == 1 && len(m.entries) == 1 &&
		m.entries[0].key == correct[0] && m.entries[0].val > 0 && m.def <= 0 &&
		(m.lower == nil || *m.lower == m.def) && (m.upper == nil || *m.upper == m.entries[0].val) &&
		(sc.marks == nil || *sc.marks == m.entries[0].val) {
		// One positive key on the correct choice and a negative default:
		// negative marking, e.g. +4/−1.
		it.Scoring.Marks, it.Scoring.Penalty = m.entries[0].val, -m.def+0
		return nil
	}
	weights(&it.Scoring, m, sc.marks, len(it.Choices))
	return nil
}

// choiceCount reads an interaction's minChoices or maxChoices: 0 when
// absent.
func choiceCount(inter *node, name string) (int, error) {
	v := strings.TrimSpace(inter.attr(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, refuse("%s %s=%q is not a whole number of 0 or more", inter.raw, name, trunc(v, 20))
	}
	return n, nil
}

// defaultTF are the labels a true/false item's choices get when the item
// gives none; they are dropped on import so the runner labels the choices.
var defaultTF = map[string]string{
	"true": "true", "false": "false", "सही": "true", "गलत": "false", "ग़लत": "false",
	"सत्य": "true", "असत्य": "false",
}

func hasIDs(cs []assess.Choice, ids ...string) bool {
	for _, id := range ids {
		if !slices.ContainsFunc(cs, func(c assess.Choice) bool { return c.ID == id }) {
			return false
		}
	}
	return true
}

// weights fills Scoring from a map_response mapping: weights, default
// weight, marks (normalMaximum, else upperBound, else the sum of positive
// weights) and bounds. A lowerBound at or below 0 is Vidya's Penalty (the
// default lower bound); an upperBound equal to the marks is left implicit.
func weights(s *assess.Scoring, m mapping, marks *float64, n int) {
	s.Weights = map[string]float64{}
	pos, neg := 0.0, 0.0
	for _, e := range m.entries {
		s.Weights[e.key] = e.val
		if e.val > 0 {
			pos += e.val
		} else {
			neg += e.val
		}
	}
	if d := n - len(m.entries); d > 0 && m.def < 0 {
		neg += float64(d) * m.def
	}
	s.DefaultWeight = m.def + 0
	switch {
	case marks != nil:
		s.Marks = *marks
	case m.upper != nil && *m.upper > 0:
		s.Marks = *m.upper
	default:
		s.Marks = pos
	}
	if m.upper != nil && *m.upper != s.Marks {
		u := *m.upper
		s.Upper = &u
	}
	switch {
	case m.lower != nil && *m.lower <= 0:
		s.Penalty = -*m.lower + 0
	case m.lower != nil:
		l := *m.lower
		s.Lower = &l
	case neg < 0:
		// No lower bound in QTI: the score can go as low as the weights
		// allow.
		l := math.Max(neg, -1000)
		s.Lower = &l
	}
}

// match maps matchInteraction.
func (ir *itemReader) match(it *assess.Item, t *assess.Text, c *conv, inter, decl *node, correct []string, sc scoreInfo) error {
	it.Type = assess.Matching
	sets := inter.children("simpleMatchSet")
	if len(sets) != 2 {
		return refuse("matchInteraction needs two simpleMatchSets, not %d", len(sets))
	}
	if bt := decl.attr("baseType"); bt != "directedPair" {
		return refuse("matchInteraction with a response of baseType %q is not supported (use directedPair)", bt)
	}
	side := func(set *node, ids *[]string, text *map[string]string) error {
		for _, k := range set.elems() {
			if k.name != "simpleAssociableChoice" {
				return refuse("<%s> inside a simpleMatchSet is not supported", k.raw)
			}
			bs, err := c.blocks(k)
			if err != nil {
				return err
			}
			id := k.attr("identifier")
			*ids = append(*ids, id)
			if *text == nil {
				*text = map[string]string{}
			}
			(*text)[id] = strings.Join(bs, "\n\n")
		}
		return nil
	}
	if err := side(sets[0], &it.Left, &t.Left); err != nil {
		return err
	}
	if err := side(sets[1], &it.Right, &t.Right); err != nil {
		return err
	}
	pair := func(v string) (string, string, error) {
		f := strings.Fields(v)
		if len(f) != 2 {
			return "", "", refuse("%q is not a directedPair", v)
		}
		if _, ok := t.Left[f[0]]; !ok {
			return "", "", refuse("%q pairs %s, which is not in the first simpleMatchSet", v, f[0])
		}
		if _, ok := t.Right[f[1]]; !ok {
			return "", "", refuse("%q pairs %s, which is not in the second simpleMatchSet", v, f[1])
		}
		return f[0], f[1], nil
	}
	for _, v := range correct {
		l, r, err := pair(v)
		if err != nil {
			return err
		}
		if it.Key.Pairs == nil {
			it.Key.Pairs = map[string]string{}
		}
		if _, dup := it.Key.Pairs[l]; dup {
			return refuse("correctResponse pairs %s more than once; Vidya pairs each left item with one right item", l)
		}
		it.Key.Pairs[l] = r
	}
	if err := sc.needMatch(); err != nil {
		return err
	}
	if sc.rp.kind != rpMap {
		return sc.allOrNothing(&it.Scoring)
	}
	if !sc.mp.present {
		return refuse("map_response is used but the responseDeclaration has no mapping")
	}
	m := sc.mp
	for i, e := range m.entries {
		l, r, err := pair(e.key)
		if err != nil {
			return err
		}
		m.entries[i].key = l + "=" + r
	}
	weights(&it.Scoring, m, sc.marks, len(it.Left)*len(it.Right))
	return nil
}

// textEntry maps textEntryInteraction to a numeric or short-text item.
func (ir *itemReader) textEntry(it *assess.Item, decl *node, correct []string, sc scoreInfo) error {
	if card := decl.attr("cardinality"); card != "single" {
		return refuse("textEntryInteraction with a response of cardinality %q is not supported", card)
	}
	switch bt := decl.attr("baseType"); bt {
	case "float", "integer":
		it.Type = assess.Numeric
		if len(correct) != 1 {
			return refuse("a numeric textEntryInteraction needs exactly one correctResponse value")
		}
		v, err := number(correct[0])
		if err != nil {
			return refuse("correctResponse %q is not a number", correct[0])
		}
		key := &assess.NumericKey{Value: v}
		it.Key.Numeric = key
		switch sc.rp.kind {
		case rpCustom:
			switch sc.rp.cond.kind {
			case "equal":
				key.Tolerance = sc.rp.cond.tol
			case "range":
				key.Range, key.Min, key.Max = true, sc.rp.cond.min, sc.rp.cond.max
			}
			return sc.allOrNothing(&it.Scoring)
		case rpMap:
			// The mapping of a numeric response is not used (see the
			// package documentation): the correct value scores the best
			// mapped value, anything else the default.
			best := 0.0
			for _, e := range sc.mp.entries {
				best = math.Max(best, e.val)
			}
			if best == 0 {
				best = 1
			}
			for _, e := range sc.mp.entries {
				if x, err := number(e.key); err == nil && x == v || e.val == sc.mp.def {
					continue
				}
				ir.note("mapEntry %q (%s) is not used: a numeric item scores only its correct value", trunc(e.key, 40), fmtNum(e.val))
			}
			it.Scoring.Marks = sc.marksOr(best)
			if sc.mp.def < 0 {
				it.Scoring.Penalty = -sc.mp.def
			}
			return nil
		}
		return sc.allOrNothing(&it.Scoring)
	case "string":
		it.Type = assess.ShortText
		if err := sc.needMatch(); err != nil {
			return err
		}
		key := &assess.TextKey{}
		it.Key.Text = key
		if sc.rp.kind != rpMap {
			key.Accepted = correct
			key.CaseSensitive = true // QTI's match compares exactly
			return sc.allOrNothing(&it.Scoring)
		}
		if !sc.mp.present {
			return refuse("map_response is used but the responseDeclaration has no mapping")
		}
		best := math.Inf(-1)
		for _, e := range sc.mp.entries {
			best = math.Max(best, e.val)
		}
		if len(sc.mp.entries) == 0 || best <= 0 {
			return refuse("the mapping gives no answer any marks")
		}
		key.Accepted = append(key.Accepted, correct...)
		allCS := true
		for _, e := range sc.mp.entries {
			switch {
			case e.val == best:
				if !slices.Contains(key.Accepted, e.key) {
					key.Accepted = append(key.Accepted, e.key)
				}
				allCS = allCS && e.caseSensitive
			case e.val > 0:
				return refuse("mapEntry %q gives %s of %s marks; partial credit for a text answer is not supported", e.key, fmtNum(e.val), fmtNum(best))
			case e.val != sc.mp.def:
				return refuse("mapEntry %q gives %s, unlike other wrong answers (%s); a penalty for one particular answer is not supported", e.key, fmtNum(e.val), fmtNum(sc.mp.def))
			}
		}
		key.CaseSensitive = allCS
		it.Scoring.Marks = best
		if sc.mp.def > 0 {
			return refuse("the mapping gives %s for a wrong answer; Vidya takes 0 or a penalty", fmtNum(sc.mp.def))
		}
		it.Scoring.Penalty = -sc.mp.def + 0
		return nil
	default:
		return refuse("textEntryInteraction with a response of baseType %q is not supported", bt)
	}
}
