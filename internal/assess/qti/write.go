package qti

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

const opWrite = "qti: write"

// WriteItem writes one item as a QTI assessmentItem document of version v,
// in language lang (one of the item's languages). The identifier is
// "vidya-item-<ID>".
func WriteItem(w io.Writer, it *assess.Item, lang string, v Version) error {
	if err := checkWrite(it, v); err != nil {
		return err
	}
	return writeItem(w, it, ident(it), lang, v)
}

func checkWrite(it *assess.Item, v Version) error {
	if v != V21 && v != V30 {
		return errs.E(errs.Invalid, opWrite, "QTI version %q is not supported (use 2.1 or 3.0)", v)
	}
	if err := it.Validate(); err != nil {
		return fmt.Errorf("%s: item %d: %w", opWrite, it.ID, err)
	}
	if it.Type == assess.Matching {
		for k := range it.Scoring.Weights {
			l, r, ok := strings.Cut(k, "=")
			if !ok || !slices.Contains(it.Left, l) || !slices.Contains(it.Right, r) {
				return errs.E(errs.Invalid, opWrite, "item %d: weight key %q is not a left=right pair of the item", it.ID, k)
			}
		}
	}
	return nil
}

func ident(it *assess.Item) string {
	if it.ID > 0 {
		return "vidya-item-" + strconv.FormatInt(it.ID, 10)
	}
	return "vidya-item"
}

// languages lists an item's languages, the primary (English if present)
// first, the others sorted.
func languages(it *assess.Item) []string {
	var out []string
	for l := range it.Text {
		out = append(out, l)
	}
	slices.Sort(out)
	if i := slices.Index(out, "en"); i > 0 {
		out = append([]string{"en"}, slices.Delete(out, i, i+1)...)
	}
	return out
}

// xw writes a QTI document, spelling QTI names for the version: 2.1's
// camelCase, or 3.0's qti- prefixed kebab-case.
type xw struct {
	b strings.Builder
	v Version
}

func (x *xw) name(n string) string {
	if x.v == V30 {
		return "qti-" + kebab(n)
	}
	return n
}

func (x *xw) tag(n string, attrs []string, empty bool) {
	x.b.WriteString("<" + x.name(n))
	for i := 0; i+1 < len(attrs); i += 2 {
		a := attrs[i]
		if x.v == V30 && !strings.Contains(a, ":") {
			a = kebab(a)
		}
		x.b.WriteString(" " + a + `="`)
		attr(&x.b, attrs[i+1])
		x.b.WriteString(`"`)
	}
	if empty {
		x.b.WriteString("/>")
	} else {
		x.b.WriteString(">")
	}
}

func (x *xw) open(n string, attrs ...string)  { x.tag(n, attrs, false) }
func (x *xw) empty(n string, attrs ...string) { x.tag(n, attrs, true) }
func (x *xw) close(n string)                  { x.b.WriteString("</" + x.name(n) + ">") }
func (x *xw) nl()                             { x.b.WriteString("\n") }

// leaf writes <n attrs>text</n>.
func (x *xw) leaf(n, s string, attrs ...string) {
	x.open(n, attrs...)
	attr(&x.b, s)
	x.close(n)
}

func num(f float64) string { return strconv.FormatFloat(f+0, 'g', -1, 64) }

func writeItem(w io.Writer, it *assess.Item, id, lang string, v Version) error {
	t, ok := it.Text[lang]
	if !ok {
		return errs.E(errs.Invalid, opWrite, "item %d has no text in %q", it.ID, lang)
	}
	x := &xw{v: v}
	ns, loc := NS21, NS21+" http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p2.xsd"
	if v == V30 {
		ns, loc = NS30, NS30+" https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
	}
	title := it.Title
	if title == "" {
		title = id
	}
	x.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.open("assessmentItem", "xmlns", ns, "xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance",
		"xsi:schemaLocation", loc, "identifier", id, "title", title, "adaptive", "false",
		"timeDependent", "false", "xml:lang", lang, "toolName", toolName, "toolVersion", "1")
	x.nl()
	sc := it.Scoring

	// The response declaration, and how it is scored.
	const resp = "RESPONSE"
	card, base := "single", "identifier"
	var correct []string
	template, custom := "", ""
	var mp *mapping
	allOrNothing := func() {
		if sc.Marks == 1 && sc.Penalty == 0 {
			template = "match_correct"
		} else {
			custom = "match"
		}
	}
	weightMap := func(keys []string) {
		m := &mapping{def: sc.DefaultWeight}
		for _, k := range keys {
			if w, ok := sc.Weights[k]; ok {
				m.entries = append(m.entries, mapEntry{key: strings.Replace(k, "=", " ", 1), val: w, caseSensitive: true})
			}
		}
		lo, hi := -sc.Penalty, sc.Marks
		if sc.Lower != nil {
			lo = *sc.Lower
		}
		if sc.Upper != nil {
			hi = *sc.Upper
		}
		m.lower, m.upper = &lo, &hi
		mp, template = m, "map_response"
	}
	choiceIDs := make([]string, len(it.Choices))
	for i, c := range it.Choices {
		choiceIDs[i] = c.ID
	}
	switch it.Type {
	case assess.SingleChoice, assess.TrueFalse:
		correct = it.Key.Choices
		switch {
		case len(sc.Weights) > 0:
			weightMap(choiceIDs)
		case sc.Marks == 1 && sc.Penalty == 0:
			template = "match_correct"
		default:
			lo, hi := -sc.Penalty, sc.Marks
			mp = &mapping{def: -sc.Penalty, lower: &lo, upper: &hi,
				entries: []mapEntry{{key: correct[0], val: sc.Marks, caseSensitive: true}}}
			template = "map_response"
		}
	case assess.MultipleResponse:
		card, correct = "multiple", it.Key.Choices
		if len(sc.Weights) > 0 {
			weightMap(choiceIDs)
		} else {
			allOrNothing()
		}
	case assess.Ordering:
		card, correct = "ordered", it.Key.Choices
		allOrNothing()
	case assess.Matching:
		card, base = "multiple", "directedPair"
		var keys []string
		for _, l := range it.Left {
			if r, ok := it.Key.Pairs[l]; ok {
				correct = append(correct, l+" "+r)
			}
			for _, r := range it.Right {
				keys = append(keys, l+"="+r)
			}
		}
		if len(sc.Weights) > 0 {
			weightMap(keys)
		} else {
			allOrNothing()
		}
	case assess.Numeric:
		base = "float"
		k := it.Key.Numeric
		correct = []string{num(k.Value)}
		switch {
		case k.Range:
			custom = "range"
		case k.Tolerance > 0:
			custom = "equal"
		default:
			allOrNothing()
		}
	case assess.ShortText:
		base = "string"
		k := it.Key.Text
		correct = k.Accepted[:1]
		lo, hi := -sc.Penalty, sc.Marks
		mp = &mapping{def: -sc.Penalty, lower: &lo, upper: &hi}
		seen := map[string]bool{}
		for _, a := range k.Accepted {
			if !seen[a] {
				seen[a] = true
				mp.entries = append(mp.entries, mapEntry{key: a, val: sc.Marks, caseSensitive: k.CaseSensitive})
			}
		}
		template = "map_response"
	case assess.Essay:
		base = "string"
	}
	x.open("responseDeclaration", "identifier", resp, "cardinality", card, "baseType", base)
	if len(correct) > 0 {
		x.open("correctResponse")
		for _, c := range correct {
			x.leaf("value", c)
		}
		x.close("correctResponse")
	}
	if mp != nil {
		x.open("mapping", "defaultValue", num(mp.def), "lowerBound", num(*mp.lower), "upperBound", num(*mp.upper))
		for _, e := range mp.entries {
			x.empty("mapEntry", "mapKey", e.key, "mappedValue", num(e.val), "caseSensitive", strconv.FormatBool(e.caseSensitive))
		}
		x.close("mapping")
	}
	x.close("responseDeclaration")
	x.nl()

	// Outcomes: SCORE, feedback, and Vidya's own settings.
	x.open("outcomeDeclaration", "identifier", "SCORE", "cardinality", "single", "baseType", "float", "normalMaximum", num(sc.Marks))
	x.open("defaultValue")
	x.leaf("value", "0")
	x.close("defaultValue")
	x.close("outcomeDeclaration")
	x.nl()
	hasFeedback := false
	for _, c := range it.Choices {
		hasFeedback = hasFeedback || t.Feedback[c.ID] != ""
	}
	solution := "SOLUTION"
	for n := 1; slices.Contains(choiceIDs, solution); n++ {
		solution = "SOLUTION_" + strconv.Itoa(n)
	}
	if hasFeedback {
		x.empty("outcomeDeclaration", "identifier", "FEEDBACK", "cardinality", "single", "baseType", "identifier")
		x.nl()
	}
	if t.Explanation != "" {
		x.empty("outcomeDeclaration", "identifier", "SOLUTION", "cardinality", "single", "baseType", "identifier")
		x.nl()
	}
	vidyaOut := func(id, typ, val string) {
		x.open("outcomeDeclaration", "identifier", id, "cardinality", "single", "baseType", typ)
		x.open("defaultValue")
		x.leaf("value", val)
		x.close("defaultValue")
		x.close("outcomeDeclaration")
		x.nl()
	}
	if sc.Unanswered != 0 {
		vidyaOut(outUnanswered, "float", num(sc.Unanswered))
	}
	if sc.Partial {
		vidyaOut(outPartial, "boolean", "true")
	}
	if it.Key.Text != nil && it.Key.Text.IgnoreSpaces {
		vidyaOut(outIgnoreSpaces, "boolean", "true")
	}

	// The body: the stem, then the interaction.
	x.open("itemBody")
	x.nl()
	if s := mdBlocks(t.Stem); s != "" {
		x.b.WriteString(s)
		x.nl()
	}
	shuffle := strconv.FormatBool(it.Shuffle)
	choices := func() {
		for _, c := range it.Choices {
			a := []string{"identifier", c.ID}
			if c.Fixed {
				a = append(a, "fixed", "true")
			}
			x.open("simpleChoice", a...)
			s := t.Choices[c.ID]
			if s == "" && it.Type == assess.TrueFalse {
				s = tfLabel(c.ID, lang)
			}
			x.b.WriteString(mdFlow(s))
			x.close("simpleChoice")
			x.nl()
		}
	}
	switch it.Type {
	case assess.SingleChoice, assess.TrueFalse, assess.MultipleResponse:
		maxChoices := "1"
		if it.Type == assess.MultipleResponse {
			maxChoices = strconv.Itoa(it.MaxChoices) // 0: no limit
		}
		x.open("choiceInteraction", "responseIdentifier", resp, "shuffle", shuffle, "maxChoices", maxChoices)
		x.nl()
		choices()
		x.close("choiceInteraction")
	case assess.Ordering:
		x.open("orderInteraction", "responseIdentifier", resp, "shuffle", shuffle)
		x.nl()
		choices()
		x.close("orderInteraction")
	case assess.Matching:
		x.open("matchInteraction", "responseIdentifier", resp, "shuffle", shuffle, "maxAssociations", strconv.Itoa(len(it.Left)))
		x.nl()
		for _, side := range []struct {
			ids  []string
			text map[string]string
			max  int
		}{{it.Left, t.Left, 1}, {it.Right, t.Right, len(it.Left)}} {
			x.open("simpleMatchSet")
			x.nl()
			for _, id := range side.ids {
				x.open("simpleAssociableChoice", "identifier", id, "matchMax", strconv.Itoa(side.max))
				x.b.WriteString(mdFlow(side.text[id]))
				x.close("simpleAssociableChoice")
				x.nl()
			}
			x.close("simpleMatchSet")
			x.nl()
		}
		x.close("matchInteraction")
	case assess.Numeric, assess.ShortText:
		x.b.WriteString("<p>")
		x.empty("textEntryInteraction", "responseIdentifier", resp)
		x.b.WriteString("</p>")
	case assess.Essay:
		x.empty("extendedTextInteraction", "responseIdentifier", resp)
	}
	x.nl()
	x.close("itemBody")
	x.nl()

	// Response processing.
	switch {
	case template != "":
		uri := "http://www.imsglobal.org/question/qti_v2p1/rptemplates/" + template
		if v == V30 {
			uri = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/" + template + ".xml"
		}
		x.empty("responseProcessing", "template", uri)
		x.nl()
	case custom != "":
		setScore := func(f float64) {
			x.open("setOutcomeValue", "identifier", "SCORE")
			x.leaf("baseValue", num(f), "baseType", "float")
			x.close("setOutcomeValue")
		}
		x.open("responseProcessing")
		x.open("responseCondition")
		x.open("responseIf")
		x.open("isNull")
		x.empty("variable", "identifier", resp)
		x.close("isNull")
		setScore(sc.Unanswered)
		x.close("responseIf")
		x.open("responseElseIf")
		k := it.Key.Numeric
		switch custom {
		case "match":
			x.open("match")
		case "equal":
			x.open("equal", "toleranceMode", "absolute", "tolerance", num(k.Tolerance))
		case "range":
			x.open("and")
			x.open("gte")
			x.empty("variable", "identifier", resp)
			x.leaf("baseValue", num(k.Min), "baseType", "float")
			x.close("gte")
			x.open("lte")
			x.empty("variable", "identifier", resp)
			x.leaf("baseValue", num(k.Max), "baseType", "float")
			x.close("lte")
		}
		if custom != "range" {
			x.empty("variable", "identifier", resp)
			x.empty("correct", "identifier", resp)
		}
		x.close(map[string]string{"match": "match", "equal": "equal", "range": "and"}[custom])
		setScore(sc.Marks)
		x.close("responseElseIf")
		x.open("responseElse")
		setScore(-sc.Penalty)
		x.close("responseElse")
		x.close("responseCondition")
		x.close("responseProcessing")
		x.nl()
	}

	// Feedback: per choice, then the worked explanation.
	modal := func(outcome, id, md string) {
		x.open("modalFeedback", "outcomeIdentifier", outcome, "identifier", id, "showHide", "show")
		if v == V30 {
			x.open("contentBody")
		}
		x.b.WriteString(mdBlocks(md))
		if v == V30 {
			x.close("contentBody")
		}
		x.close("modalFeedback")
		x.nl()
	}
	for _, c := range it.Choices {
		if s := t.Feedback[c.ID]; s != "" {
			modal("FEEDBACK", c.ID, s)
		}
	}
	if t.Explanation != "" {
		modal("SOLUTION", solution, t.Explanation)
	}
	x.close("assessmentItem")
	x.nl()
	_, err := io.WriteString(w, x.b.String())
	return errs.Wrap(opWrite, err)
}

// tfLabel labels a true/false choice that has no text of its own; import
// drops these labels again.
func tfLabel(id, lang string) string {
	if lang == "hi" {
		return map[string]string{"true": "सही", "false": "गलत"}[id]
	}
	return map[string]string{"true": "True", "false": "False"}[id]
}
