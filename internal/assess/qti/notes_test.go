package qti

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// qtiDoc is a QTI 2.1 item with the given response declaration, body and
// what follows the body (responseProcessing, modalFeedback).
func qtiDoc(title, decl, body, after string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="n1" title="` + title + `" adaptive="false" timeDependent="false">
` + decl + `<itemBody>` + body + `</itemBody>` + after + `</assessmentItem>`
}

const (
	singleA   = `<responseDeclaration identifier="R" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse></responseDeclaration>`
	multiAB   = `<responseDeclaration identifier="R" cardinality="multiple" baseType="identifier"><correctResponse><value>A</value><value>B</value></correctResponse></responseDeclaration>`
	orderABC  = `<responseDeclaration identifier="R" cardinality="ordered" baseType="identifier"><correctResponse><value>A</value><value>B</value><value>C</value></correctResponse></responseDeclaration>`
	choicesAB = `<simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice>`
	choicesC  = choicesAB + `<simpleChoice identifier="C">c</simpleChoice>`
)

func TestReadItemNotes(t *testing.T) {
	long := strings.Repeat("T", 230)
	cases := []struct {
		name, doc string
		notes     []string
	}{
		{"an item read as written has no notes",
			qtiDoc("x", singleA, `<p>Which? <a href="https://example.org">see</a> <b>bold</b> <span>plain</span></p><choiceInteraction responseIdentifier="R" maxChoices="1">`+choicesAB+`</choiceInteraction>`, ""),
			nil},
		{"true/false labels are dropped",
			qtiDoc("x", `<responseDeclaration identifier="R" cardinality="single" baseType="identifier"><correctResponse><value>true</value></correctResponse></responseDeclaration>`,
				`<choiceInteraction responseIdentifier="R"><prompt>The sun is a star.</prompt><simpleChoice identifier="true">True</simpleChoice><simpleChoice identifier="false">False</simpleChoice></choiceInteraction>`, ""),
			[]string{`the true/false choices' labels "True" and "False" are dropped: the runner labels them in the candidate's language`}},
		{"minChoices is not kept",
			qtiDoc("x", multiAB, `<choiceInteraction responseIdentifier="R" minChoices="1" maxChoices="0"><prompt>Which?</prompt>`+choicesC+`</choiceInteraction>`, ""),
			[]string{`minChoices="1" is not kept: a candidate may choose fewer, and choosing none leaves the item unanswered`}},
		{"partial ordering is not kept",
			qtiDoc("x", orderABC, `<orderInteraction responseIdentifier="R" minChoices="2" maxChoices="2"><prompt>Order.</prompt>`+choicesC+`</orderInteraction>`, ""),
			[]string{`minChoices="2" is not kept: the candidate puts all 3 choices in order`, `maxChoices="2" is not kept: the candidate puts all 3 choices in order`}},
		{"ordering every choice needs no note",
			qtiDoc("x", orderABC, `<orderInteraction responseIdentifier="R" maxChoices="3"><prompt>Order.</prompt>`+choicesC+`</orderInteraction>`, ""),
			nil},
		{"a long title is cut",
			qtiDoc(long, singleA, `<choiceInteraction responseIdentifier="R"><prompt>Q?</prompt>`+choicesAB+`</choiceInteraction>`, ""),
			[]string{`the title is 230 characters; it is cut to the 200 an item's title may have`}},
		{"links other than web and mail lose their target",
			qtiDoc("x", singleA, `<p>See <a href="javascript:alert(1)">this</a> and <a href="ftp://x.example/f">that</a>.</p><choiceInteraction responseIdentifier="R">`+choicesAB+`</choiceInteraction>`, ""),
			[]string{`the link to "javascript:alert(1)" is dropped (only http, https and mailto links are kept); its text is kept`,
				`the link to "ftp://x.example/f" is dropped (only http, https and mailto links are kept); its text is kept`}},
		{"meaningful formatting is dropped, each kind once",
			qtiDoc("x", singleA, `<p>The <u>underlined</u> word, <u>again</u>, is not <del>struck</del>.</p><choiceInteraction responseIdentifier="R">`+choicesAB+`</choiceInteraction>`, ""),
			[]string{`<u> formatting is dropped; its text is kept`, `<del> formatting is dropped; its text is kept`}},
		{"feedback shown on a condition becomes explanation",
			qtiDoc("x", singleA, `<choiceInteraction responseIdentifier="R"><prompt>Q?</prompt>`+choicesAB+`</choiceInteraction>`,
				`<modalFeedback outcomeIdentifier="FEEDBACK" identifier="INCORRECT" showHide="show">Read chapter 2.</modalFeedback><modalFeedback outcomeIdentifier="FEEDBACK" identifier="A" showHide="show">Right.</modalFeedback>`),
			[]string{`feedback "INCORRECT" becomes part of the explanation, shown whatever the answer`}},
		{"a pattern mask is not kept",
			qtiDoc("x", `<responseDeclaration identifier="R" cardinality="single" baseType="string"><correctResponse><value>Delhi</value></correctResponse></responseDeclaration>`,
				`<p>Capital? <textEntryInteraction responseIdentifier="R" patternMask="^[A-Za-z]+$"/></p>`, ""),
			[]string{`patternMask "^[A-Za-z]+$" is not kept: answers are not checked against it`}},
		{"a numeric mapping's other entries are not used",
			qtiDoc("x", `<responseDeclaration identifier="R" cardinality="single" baseType="float"><correctResponse><value>3.14</value></correctResponse>`+
				`<mapping defaultValue="0"><mapEntry mapKey="3.14" mappedValue="2"/><mapEntry mapKey="3.1" mappedValue="1"/><mapEntry mapKey="9" mappedValue="0"/></mapping></responseDeclaration>`,
				`<p>Pi? <textEntryInteraction responseIdentifier="R"/></p>`,
				`<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"/>`),
			[]string{`mapEntry "3.1" (1) is not used: a numeric item scores only its correct value`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ReadItem(strings.NewReader(c.doc), "n.xml", Options{})
			if p.Err != nil {
				t.Fatal(p.Err)
			}
			if !slices.Equal(p.Notes, c.notes) {
				t.Errorf("notes:\n got %q\nwant %q", p.Notes, c.notes)
			}
		})
	}
	t.Run("a rejected item has no notes", func(t *testing.T) {
		p := ReadItem(strings.NewReader(qtiDoc(long, singleA, `<p><u>x</u></p><hotspotInteraction responseIdentifier="R"/>`, "")), "n.xml", Options{})
		if p.Err == nil || p.Notes != nil {
			t.Errorf("err %v, notes %q", p.Err, p.Notes)
		}
	})
}

// What Vidya writes reads back without notes: its labels, feedback and
// limits are its own.
func TestVidyaDocumentsHaveNoNotes(t *testing.T) {
	items := sampleItems()
	for _, it := range items {
		for _, v := range []Version{V21, V30} {
			var buf bytes.Buffer
			if err := WriteItem(&buf, it, "en", v); err != nil {
				t.Fatal(err)
			}
			p := ReadItem(&buf, "own.xml", Options{})
			if p.Err != nil {
				t.Fatalf("item %d: %v", it.ID, p.Err)
			}
			if p.Notes != nil {
				t.Errorf("item %d (%s, QTI %s): notes %q", it.ID, it.Type, v, p.Notes)
			}
		}
	}
}

func TestMaxChoices(t *testing.T) {
	read := func(maxAttr string, choices string) assess.Parsed {
		return ReadItem(strings.NewReader(qtiDoc("x", multiAB, `<choiceInteraction responseIdentifier="R"`+maxAttr+`><prompt>Which two?</prompt>`+choices+`</choiceInteraction>`, "")), "m.xml", Options{})
	}
	cases := []struct {
		attr string
		want int
	}{
		{``, 0},
		{` maxChoices="0"`, 0},
		{` maxChoices="2"`, 2},
		{` maxChoices="3"`, 0}, // as many as there are choices: no limit
		{` maxChoices="9"`, 0},
	}
	for _, c := range cases {
		p := read(c.attr, choicesC)
		if p.Err != nil {
			t.Fatalf("%s: %v", c.attr, p.Err)
		}
		if p.Item.MaxChoices != c.want || p.Notes != nil {
			t.Errorf("%q: MaxChoices %d notes %q, want %d and none", c.attr, p.Item.MaxChoices, p.Notes, c.want)
		}
	}
	t.Run("QTI 3 spelling", func(t *testing.T) {
		var buf bytes.Buffer
		it := &assess.Item{ID: 5, Type: assess.MultipleResponse, Choices: []assess.Choice{{ID: "A"}, {ID: "B"}, {ID: "C"}, {ID: "D"}},
			Text:    map[string]assess.Text{"en": {Stem: "Pick at most two.", Choices: map[string]string{"A": "a", "B": "b", "C": "c", "D": "d"}}},
			Key:     assess.Key{Choices: []string{"A", "C"}},
			Scoring: assess.Scoring{Marks: 2, Penalty: 1}, MaxChoices: 2}
		for _, v := range []Version{V30, V21} {
			buf.Reset()
			if err := WriteItem(&buf, it, "en", v); err != nil {
				t.Fatal(err)
			}
			attr := `maxChoices="2"`
			if v == V30 {
				attr = `max-choices="2"`
			}
			if !strings.Contains(buf.String(), attr) {
				t.Errorf("QTI %s: %s not written:\n%s", v, attr, buf.String())
			}
			p := ReadItem(&buf, "w.xml", Options{})
			if p.Err != nil || p.Item.MaxChoices != 2 || p.Item.Hash() != it.Hash() {
				t.Errorf("QTI %s read back: %v %+v", v, p.Err, p.Item)
			}
		}
	})
	t.Run("not a number is refused", func(t *testing.T) {
		p := read(` maxChoices="two"`, choicesC)
		if p.Err == nil || !strings.Contains(p.Err.Error(), `choiceInteraction maxChoices="two" is not a whole number of 0 or more`) {
			t.Errorf("err %v", p.Err)
		}
	})
	t.Run("fewer than the key is refused by field", func(t *testing.T) {
		p := read(` maxChoices="1"`, choicesC)
		e := errs.As(p.Err)
		if e == nil || !strings.Contains(e.Fields["max_choices"], "the key has 2 correct choices") {
			t.Errorf("err %v", p.Err)
		}
	})
}
