package qti

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func readFile(t testing.TB, name string) assess.Parsed {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ReadItem(bytes.NewReader(b), filepath.Base(name), Options{})
}

func TestReadItemInteractions(t *testing.T) {
	tests := []struct {
		file, ref string
		check     func(t *testing.T, it *assess.Item)
	}{
		{"v21/choice.xml", "neet-phy-017", func(t *testing.T, it *assess.Item) {
			en := it.Text["en"]
			is(t, "type", it.Type, assess.SingleChoice)
			is(t, "stem", en.Stem, "The SI unit of **force** is named after which scientist?\n\n![An apple falling](images/apple.png)\n\nChoose _one_ answer.")
			is(t, "choices", len(it.Choices), 4)
			is(t, "fixed D", it.Choices[3], assess.Choice{ID: "ChoiceD", Fixed: true})
			is(t, "choice B", en.Choices["ChoiceB"], "Isaac Newton")
			is(t, "key", strings.Join(it.Key.Choices, ","), "ChoiceB")
			is(t, "shuffle", it.Shuffle, true)
			is(t, "marks", it.Scoring.Marks, 4.0)
			is(t, "penalty (from a negative mapping default)", it.Scoring.Penalty, 1.0)
			is(t, "no weights", len(it.Scoring.Weights), 0)
			is(t, "feedback", en.Feedback["ChoiceB"], "Yes: 1 N = 1 kg m/s².")
			is(t, "explanation", en.Explanation, "Force is measured in newtons.")
			is(t, "title", it.Title, "Unit of force")
		}},
		{"v21/multiple.xml", "jee-chem-042", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.MultipleResponse)
			is(t, "stem (sub as Unicode)", it.Text["en"].Stem, "Which of these are noble gases? Water is H₂O.")
			is(t, "key", strings.Join(it.Key.Choices, ","), "He,Ne")
			is(t, "marks", it.Scoring.Marks, 2.0)
			is(t, "weight N", it.Scoring.Weights["N"], -0.5)
			is(t, "weight He", it.Scoring.Weights["He"], 1.0)
			is(t, "lower is the default (penalty 0)", it.Scoring.Lower == nil && it.Scoring.Penalty == 0, true)
			is(t, "upper is the marks", it.Scoring.Upper == nil, true)
		}},
		{"v21/truefalse.xml", "tf-1", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.TrueFalse)
			is(t, "default labels dropped", len(it.Text["en"].Choices), 0)
			is(t, "key", it.Key.Choices[0], "true")
		}},
		{"v21/numeric.xml", "gate-ma-07", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Numeric)
			is(t, "stem (TeX annotation, blank)", it.Text["en"].Stem, `Evaluate $\int_0^1 x\,dx$ = \_\_\_\_\_`)
			is(t, "value", it.Key.Numeric.Value, 0.5)
			is(t, "marks from normalMaximum", it.Scoring.Marks, 2.0)
		}},
		{"v21/shorttext.xml", "upsc-geo-3", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.ShortText)
			is(t, "accepted", strings.Join(it.Key.Text.Accepted, "|"), "New Delhi|Delhi")
			is(t, "case", it.Key.Text.CaseSensitive, false)
			is(t, "stem", it.Text["en"].Stem, `The capital of India is \_\_\_\_\_.`)
		}},
		{"v21/essay.xml", "essay-1", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Essay)
			is(t, "stem with list", it.Text["en"].Stem, "Explain how the monsoon affects:\n\n- agriculture,\n- rivers.")
			is(t, "marks", it.Scoring.Marks, 10.0)
		}},
		{"v21/order.xml", "hist-order", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Ordering)
			is(t, "key", strings.Join(it.Key.Choices, ","), "M,G,Mu")
			is(t, "marks (custom rule)", it.Scoring.Marks, 3.0)
			is(t, "penalty (custom rule)", it.Scoring.Penalty, 1.0)
		}},
		{"v21/match.xml", "match-1", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Matching)
			is(t, "left", strings.Join(it.Left, ","), "KA,TN")
			is(t, "right", strings.Join(it.Right, ","), "BLR,MAA,HYD")
			is(t, "pair", it.Key.Pairs["TN"], "MAA")
			is(t, "weight", it.Scoring.Weights["KA=BLR"], 1.0)
			is(t, "right text", it.Text["en"].Right["HYD"], "Hyderabad")
		}},
		{"v30/choice.xml", "neet-bio-101", func(t *testing.T, it *assess.Item) {
			hi, ok := it.Text["hi"]
			is(t, "language from xml:lang hi-IN", ok, true)
			is(t, "type", it.Type, assess.SingleChoice)
			is(t, "stem", hi.Stem, "कोशिका का _ऊर्जा घर_ किसे कहते हैं?")
			is(t, "choice", hi.Choices["C"], "माइटोकॉन्ड्रिया")
			is(t, "fixed", it.Choices[3].Fixed, true)
			is(t, "marks from normal-maximum", it.Scoring.Marks, 4.0)
			is(t, "feedback", hi.Feedback["C"], "सही!")
		}},
		{"v30/multiple.xml", "mr-3", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.MultipleResponse)
			is(t, "key", strings.Join(it.Key.Choices, ","), "p2,p3")
			is(t, "marks default 1", it.Scoring.Marks, 1.0)
		}},
		{"v30/numeric.xml", "nat-5", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Numeric)
			is(t, "value", it.Key.Numeric.Value, 12.5)
			is(t, "tolerance", it.Key.Numeric.Tolerance, 0.1)
			is(t, "marks", it.Scoring.Marks, 2.0)
		}},
		{"v30/shorttext.xml", "st-9", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.ShortText)
			is(t, "accepted", strings.Join(it.Key.Text.Accepted, "|"), "O2")
			is(t, "match_correct is exact", it.Key.Text.CaseSensitive, true)
		}},
		{"v30/essay.xml", "es-2", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Essay)
			is(t, "stem from prompt", it.Text["en"].Stem, "Write a letter to your principal asking for a library period.")
			is(t, "marks", it.Scoring.Marks, 5.0)
		}},
		{"v30/order.xml", "ord-1", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Ordering)
			is(t, "key", strings.Join(it.Key.Choices, ","), "Me,V,E")
			is(t, "choice order", it.Choices[0].ID, "E")
		}},
		{"v30/match.xml", "mt-4", func(t *testing.T, it *assess.Item) {
			is(t, "type", it.Type, assess.Matching)
			is(t, "pairs", it.Key.Pairs["G"]+","+it.Key.Pairs["T"], "W1,W2")
			is(t, "left text", it.Text["en"].Left["T"], "Rabindranath Tagore")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p := readFile(t, tc.file)
			if p.Err != nil {
				t.Fatalf("unexpected error: %v", p.Err)
			}
			if p.Item == nil {
				t.Fatal("no item and no error")
			}
			is(t, "ref", p.Ref, tc.ref)
			is(t, "where", p.Where, "item "+filepath.Base(tc.file))
			if err := p.Item.Validate(); err != nil {
				t.Fatalf("item does not validate: %v", err)
			}
			tc.check(t, p.Item)
		})
	}
}

func is[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}

func TestReadItemRefusals(t *testing.T) {
	tests := []struct {
		name, file string
		data       string
		want       string
		kind       errs.Kind
	}{
		{"unsupported 2.1 interaction is named", "v21/q17.xml", "", "item q17.xml: interaction graphicGapMatchInteraction is not supported", errs.Unsupported},
		{"unsupported 3.0 interaction is named", "v30/hotspot.xml", "", "item hotspot.xml: interaction qti-hotspot-interaction is not supported", errs.Unsupported},
		{"correct response naming a missing choice", "v21/q3.xml", "", "item q3.xml: correctResponse names choice D, which the interaction does not have", errs.Invalid},
		{"malformed XML gives the line", "v21/malformed.xml", "", "item malformed.xml: malformed XML at line 7: element <p> closed by </itemBody>", errs.Invalid},
		{"DOCTYPE is refused", "v21/doctype.xml", "", "item doctype.xml: line 6: DOCTYPE declarations are not allowed", errs.Invalid},
		{"MathML without TeX", "v21/mathml_no_tex.xml", "", "item mathml_no_tex.xml: MathML without a TeX annotation is not supported yet", errs.Unsupported},
		{"two interactions", "two.xml", item21(`<choiceInteraction responseIdentifier="R"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction><p><textEntryInteraction responseIdentifier="R"/></p>`, ""),
			"item two.xml: the item has 2 interactions (choiceInteraction, textEntryInteraction); items with more than one interaction are not supported", errs.Unsupported},
		{"custom response processing", "custom.xml", item21(`<choiceInteraction responseIdentifier="R"><simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice></choiceInteraction>`,
			`<responseProcessing><responseCondition><responseIf><gt><variable identifier="R"/><baseValue baseType="float">1</baseValue></gt><setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue></setOutcomeValue></responseIf></responseCondition></responseProcessing>`),
			"item custom.xml: custom responseProcessing is not supported", errs.Unsupported},
		{"merged table cells", "table.xml", item21(`<table><tbody><tr><td colspan="2">x</td></tr></tbody></table><extendedTextInteraction responseIdentifier="R"/>`, ""),
			"item table.xml: tables with merged cells (colspan) are not supported", errs.Unsupported},
		{"javascript image", "js.xml", item21(`<p><img src="javascript:alert(1)" alt=""/></p><extendedTextInteraction responseIdentifier="R"/>`, ""),
			`item js.xml: image src "javascript:alert(1)": only http, https and paths inside the package are allowed`, errs.Invalid},
		{"not an item", "test.xml", `<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="t"/>`,
			"item test.xml: assessmentTest resources are not imported as items", errs.Unsupported},
		{"unknown template", "tmpl.xml", item21(`<choiceInteraction responseIdentifier="R"><simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice></choiceInteraction>`,
			`<responseProcessing template="http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response_point"/>`),
			"item tmpl.xml: response processing template http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response_point is not supported", errs.Unsupported},
		{"invalid item lists its fields", "one.xml", item21(`<choiceInteraction responseIdentifier="R"><simpleChoice identifier="A">a</simpleChoice></choiceInteraction>`, ""),
			"item one.xml: the item is not valid (choices: give at least two choices", errs.Invalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p assess.Parsed
			if tc.data != "" {
				p = ReadItem(strings.NewReader(tc.data), tc.file, Options{})
			} else {
				p = readFile(t, tc.file)
			}
			if p.Item != nil || p.Err == nil {
				t.Fatalf("want an error, got item %+v", p.Item)
			}
			if !strings.Contains(p.Err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", p.Err, tc.want)
			}
			if k := errs.KindOf(p.Err); k != tc.kind {
				t.Errorf("kind %s, want %s", k, tc.kind)
			}
		})
	}
	t.Run("3 MiB item is refused", func(t *testing.T) {
		big := item21(`<p>`+strings.Repeat("x", 3<<20)+`</p><extendedTextInteraction responseIdentifier="R"/>`, "")
		p := ReadItem(strings.NewReader(big), "big.xml", Options{})
		if p.Err == nil || !strings.Contains(p.Err.Error(), "item big.xml: is more than 2 MiB") || !errs.Is(p.Err, errs.TooLarge) {
			t.Fatalf("got %v", p.Err)
		}
	})
	t.Run("deep nesting is refused", func(t *testing.T) {
		deep := item21(strings.Repeat("<div>", 1000)+strings.Repeat("</div>", 1000), "")
		p := ReadItem(strings.NewReader(deep), "deep.xml", Options{})
		if p.Err == nil || !strings.Contains(p.Err.Error(), "nested more than") {
			t.Fatalf("got %v", p.Err)
		}
	})
}

// item21 wraps a body in a QTI 2.1 item with response R (single identifier).
func item21(body, rp string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="x" title="x" adaptive="false" timeDependent="false">
<responseDeclaration identifier="R" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse></responseDeclaration>
<itemBody>` + body + `</itemBody>` + rp + `</assessmentItem>`
}

func TestReadItemHTML(t *testing.T) {
	body := `<p>  Read   the
	   table:<br/>then answer.</p>
<table><caption>Marks</caption><thead><tr><th>Name</th><th>Score</th></tr></thead>
<tbody><tr><td>Asha</td><td>9 | 10</td></tr></tbody></table>
<p>Costs $5 * 2 and <code>a_b</code>, x<sup>2</sup>, <a href="https://example.org">link</a>.</p>
<ol><li>first</li><li><p>second</p></li></ol>
<extendedTextInteraction responseIdentifier="R"/>`
	p := ReadItem(strings.NewReader(item21(body, "")), "html.xml", Options{})
	if p.Err != nil {
		t.Fatal(p.Err)
	}
	want := "Read the table:\nthen answer.\n\nMarks\n\n| Name | Score |\n| --- | --- |\n| Asha | 9 \\| 10 |\n\n" +
		"Costs \\$5 \\* 2 and `a_b`, x², [link](https://example.org).\n\n1. first\n2. second"
	is(t, "stem", p.Item.Text["en"].Stem, want)
}
