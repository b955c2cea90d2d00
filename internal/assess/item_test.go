package assess

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// validItem returns a complete, valid item of type typ, in English and Hindi.
func validItem(typ ItemType) *Item {
	it := &Item{
		ID: 7, Version: 1, Type: typ, Status: Draft, Title: "Sample",
		Tags:    Tags{Topic: "physics/optics", Difficulty: "medium", Bloom: "apply", Labels: []string{"neet"}},
		Scoring: Scoring{Marks: 4, Penalty: 1},
	}
	en := Text{Stem: "Which is right?", Explanation: "Because."}
	hi := Text{Stem: "कौन सा सही है?", Explanation: "क्योंकि।"}
	choices := func(ids ...string) {
		en.Choices, hi.Choices = map[string]string{}, map[string]string{}
		for _, id := range ids {
			it.Choices = append(it.Choices, Choice{ID: id})
			en.Choices[id] = "option " + id
			hi.Choices[id] = "विकल्प " + id
		}
	}
	switch typ {
	case SingleChoice:
		choices("A", "B", "C", "D")
		it.Choices[3].Fixed = true
		it.Key.Choices = []string{"B"}
		en.Feedback = map[string]string{"A": "Think again."}
	case MultipleResponse:
		choices("A", "B", "C", "D")
		it.Key.Choices = []string{"A", "C"}
		it.Scoring.Weights = map[string]float64{"A": 2, "C": 2, "D": -1}
	case TrueFalse:
		it.Choices = []Choice{{ID: "true"}, {ID: "false"}}
		it.Key.Choices = []string{"false"}
	case Ordering:
		choices("A", "B", "C")
		it.Key.Choices = []string{"C", "A", "B"}
		it.Scoring.Partial = true
	case Matching:
		it.Left, it.Right = []string{"a", "b"}, []string{"1", "2", "3"}
		en.Left, en.Right = map[string]string{"a": "Raman", "b": "Bose"}, map[string]string{"1": "scattering", "2": "statistics", "3": "radium"}
		hi.Left, hi.Right = map[string]string{"a": "रमन", "b": "बोस"}, map[string]string{"1": "प्रकीर्णन", "2": "सांख्यिकी", "3": "रेडियम"}
		it.Key.Pairs = map[string]string{"a": "1", "b": "2"}
	case Numeric:
		it.Key.Numeric = &NumericKey{Value: 3.14, Tolerance: 0.01}
	case ShortText:
		it.Key.Text = &TextKey{Accepted: []string{"प्रकाश संश्लेषण", "photosynthesis"}}
	case Essay:
		it.Scoring = Scoring{Marks: 10}
	}
	it.Text = map[string]Text{"en": en, "hi": hi}
	return it
}

func TestValidateAcceptsEveryType(t *testing.T) {
	for _, typ := range ItemTypes {
		t.Run(string(typ), func(t *testing.T) {
			it := validItem(typ)
			before := snapshot(t, it)
			if err := it.Validate(); err != nil {
				t.Fatalf("valid %s item refused: %v", typ, err)
			}
			if after := snapshot(t, it); after != before {
				t.Errorf("Validate changed the item:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

func TestValidateReportsEachDefectByField(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  ItemType
		edit func(*Item)
		want []string // exactly the fields reported
	}{
		{"an unknown type", SingleChoice, func(it *Item) { it.Type = "hotspot" }, []string{"type"}},
		{"an unknown status", SingleChoice, func(it *Item) { it.Status = "live" }, []string{"status"}},
		{"a title over 200 characters", SingleChoice, func(it *Item) { it.Title = strings.Repeat("प", 201) }, []string{"title"}},
		{"no text at all", Essay, func(it *Item) { it.Text = nil }, []string{"text"}},
		{"an unsupported language", Essay, func(it *Item) { it.Text["fr"] = Text{Stem: "Discutez."} }, []string{"text.fr"}},
		{"a choice id with a space", SingleChoice, func(it *Item) {
			it.Choices[1].ID = "B 2"
			it.Key.Choices = []string{"A"}
			for _, l := range []string{"en", "hi"} {
				delete(it.Text[l].Choices, "B")
				it.Text[l].Choices["B 2"] = "x"
			}
		}, []string{"choices.1.id"}},
		{"a choice id used twice", Ordering, func(it *Item) { it.Choices[1].ID = "A" }, []string{"choices.1.id", "text.en.choices.B", "text.hi.choices.B", "key.choices"}},
		{"a single choice item with one choice", SingleChoice, func(it *Item) {
			it.Choices = it.Choices[1:2]
			for _, l := range []string{"en", "hi"} {
				t := it.Text[l]
				t.Choices = map[string]string{"B": "b"}
				t.Feedback = nil
				it.Text[l] = t
			}
		}, []string{"choices"}},
		{"a numeric item with choices", Numeric, func(it *Item) { it.Choices = []Choice{{ID: "A"}} }, []string{"choices", "text.en.choices.A", "text.hi.choices.A"}},
		{"27 choices", MultipleResponse, func(it *Item) {
			for i := range 23 {
				id := "X" + string(rune('a'+i))
				it.Choices = append(it.Choices, Choice{ID: id})
				it.Text["en"].Choices[id], it.Text["hi"].Choices[id] = id, id
			}
		}, []string{"choices"}},
		{"a true/false item with yes and no", TrueFalse, func(it *Item) {
			it.Choices = []Choice{{ID: "yes"}, {ID: "no"}}
			it.Key.Choices = []string{"yes"}
		}, []string{"choices"}},
		{"a matching item with one left item", Matching, func(it *Item) {
			it.Left = it.Left[:1]
			it.Key.Pairs = map[string]string{"a": "1"}
			for _, l := range []string{"en", "hi"} {
				delete(it.Text[l].Left, "b")
			}
		}, []string{"left"}},
		{"a matching right item used twice", Matching, func(it *Item) { it.Right[2] = "1" }, []string{"right.2", "text.en.right.3", "text.hi.right.3"}},
		{"left items on a choice item", SingleChoice, func(it *Item) { it.Left = []string{"a"} }, []string{"left", "text.en.left.a", "text.hi.left.a"}},
		{"a blank Hindi stem", SingleChoice, func(it *Item) { t := it.Text["hi"]; t.Stem = " \n"; it.Text["hi"] = t }, []string{"text.hi.stem"}},
		{"a stem over the size limit", Essay, func(it *Item) {
			t := it.Text["en"]
			t.Stem = strings.Repeat("x", MaxTextLen+1)
			it.Text["en"] = t
		}, []string{"text.en.stem"}},
		{"a NUL in an explanation", Essay, func(it *Item) { t := it.Text["en"]; t.Explanation = "a\x00b"; it.Text["en"] = t }, []string{"text.en.explanation"}},
		{"invalid UTF-8 in a stem", Essay, func(it *Item) { t := it.Text["hi"]; t.Stem = "\xff\xfe"; it.Text["hi"] = t }, []string{"text.hi.stem"}},
		{"a Hindi choice without text", MultipleResponse, func(it *Item) { delete(it.Text["hi"].Choices, "C") }, []string{"text.hi.choices.C"}},
		{"text for a choice that does not exist", SingleChoice, func(it *Item) { it.Text["en"].Choices["Z"] = "zed" }, []string{"text.en.choices.Z"}},
		{"a choice text over the size limit", SingleChoice, func(it *Item) { it.Text["en"].Choices["A"] = strings.Repeat("x", MaxChoiceLen+1) }, []string{"text.en.choices.A"}},
		{"a Hindi left item without text", Matching, func(it *Item) { it.Text["hi"].Left["a"] = "" }, []string{"text.hi.left.a"}},
		{"text for a right item that does not exist", Matching, func(it *Item) { it.Text["en"].Right["9"] = "nine" }, []string{"text.en.right.9"}},
		{"feedback for a choice that does not exist", SingleChoice, func(it *Item) { it.Text["en"].Feedback["Z"] = "no" }, []string{"text.en.feedback.Z"}},
		{"a key naming a missing choice", SingleChoice, func(it *Item) { it.Key.Choices = []string{"E"} }, []string{"key.choices"}},
		{"a single choice key with two choices", SingleChoice, func(it *Item) { it.Key.Choices = []string{"A", "B"} }, []string{"key.choices"}},
		{"a multiple response item with neither key nor weights", MultipleResponse, func(it *Item) {
			it.Key.Choices = nil
			it.Scoring.Weights = nil
		}, []string{"key.choices"}},
		{"a multiple response key listing a choice twice", MultipleResponse, func(it *Item) { it.Key.Choices = []string{"A", "A"} }, []string{"key.choices"}},
		{"an ordering key missing a choice", Ordering, func(it *Item) { it.Key.Choices = []string{"C", "A"} }, []string{"key.choices"}},
		{"a matching item without pairs", Matching, func(it *Item) { it.Key.Pairs = nil }, []string{"key.pairs"}},
		{"a matching pair naming a missing right item", Matching, func(it *Item) { it.Key.Pairs["b"] = "7" }, []string{"key.pairs"}},
		{"a numeric item without a key", Numeric, func(it *Item) { it.Key.Numeric = nil }, []string{"key.numeric"}},
		{"a numeric key that is not a number", Numeric, func(it *Item) { it.Key.Numeric.Value = math.NaN() }, []string{"key.numeric"}},
		{"a negative tolerance", Numeric, func(it *Item) { it.Key.Numeric.Tolerance = -0.1 }, []string{"key.numeric.tolerance"}},
		{"a range upside down", Numeric, func(it *Item) { *it.Key.Numeric = NumericKey{Range: true, Min: 5, Max: 1} }, []string{"key.numeric"}},
		{"a short text item with no accepted answers", ShortText, func(it *Item) { it.Key.Text.Accepted = nil }, []string{"key.text.accepted"}},
		{"a blank accepted answer", ShortText, func(it *Item) { it.Key.Text.Accepted = append(it.Key.Text.Accepted, "  ") }, []string{"key.text.accepted"}},
		{"pairs on a choice item", SingleChoice, func(it *Item) { it.Key.Pairs = map[string]string{"a": "1"} }, []string{"key.pairs"}},
		{"a numeric key on a choice item", SingleChoice, func(it *Item) { it.Key.Numeric = &NumericKey{Value: 1} }, []string{"key.numeric"}},
		{"accepted answers on a numeric item", Numeric, func(it *Item) { it.Key.Text = &TextKey{Accepted: []string{"3.14"}} }, []string{"key.text"}},
		{"a key choice on an essay", Essay, func(it *Item) { it.Key.Choices = []string{"A"} }, []string{"key.choices"}},
		{"zero marks", SingleChoice, func(it *Item) { it.Scoring.Marks = 0 }, []string{"scoring.marks"}},
		{"marks that are not a number", SingleChoice, func(it *Item) { it.Scoring.Marks = math.NaN() }, []string{"scoring.marks"}},
		{"marks over 1000", SingleChoice, func(it *Item) { it.Scoring.Marks = 1001 }, []string{"scoring.marks"}},
		{"a negative penalty", SingleChoice, func(it *Item) { it.Scoring.Penalty = -1 }, []string{"scoring.penalty"}},
		{"an infinite unanswered score", SingleChoice, func(it *Item) { it.Scoring.Unanswered = math.Inf(-1) }, []string{"scoring.unanswered"}},
		{"weights on a numeric item", Numeric, func(it *Item) { it.Scoring.Weights = map[string]float64{"x": 1} }, []string{"scoring.weights", "scoring.weights.x"}},
		{"a weight for a missing choice", MultipleResponse, func(it *Item) { it.Scoring.Weights["Z"] = 1 }, []string{"scoring.weights.Z"}},
		{"an infinite weight", MultipleResponse, func(it *Item) { it.Scoring.Weights["A"] = math.Inf(1) }, []string{"scoring.weights.A"}},
		{"a lower bound above the upper", MultipleResponse, func(it *Item) { it.Scoring.Lower, it.Scoring.Upper = ptr(3), ptr(2) }, []string{"scoring.lower"}},
		{"partial credit on a multiple response item", MultipleResponse, func(it *Item) { it.Scoring.Partial = true }, []string{"scoring.partial"}},
		{"an unknown difficulty", Essay, func(it *Item) { it.Tags.Difficulty = "tough" }, []string{"tags.difficulty"}},
		{"an unknown Bloom level", Essay, func(it *Item) { it.Tags.Bloom = "memorise" }, []string{"tags.bloom"}},
		{"a topic over 200 bytes", Essay, func(it *Item) { it.Tags.Topic = strings.Repeat("t", 201) }, []string{"tags.topic"}},
		{"21 labels", Essay, func(it *Item) { it.Tags.Labels = slices.Repeat([]string{"x"}, 21) }, []string{"tags.labels"}},
		{"an empty label", Essay, func(it *Item) { it.Tags.Labels = []string{""} }, []string{"tags.labels"}},
	} {
		t.Run(tc.name+" is reported at "+strings.Join(tc.want, ", "), func(t *testing.T) {
			it := validItem(tc.typ)
			tc.edit(it)
			before := snapshot(t, it)
			err := it.Validate()
			if after := snapshot(t, it); after != before {
				t.Errorf("Validate changed the item:\nbefore %s\nafter  %s", before, after)
			}
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid {
				t.Fatalf("got %v, want an invalid error", err)
			}
			got := slices.Sorted(maps.Keys(e.Fields))
			want := slices.Sorted(slices.Values(tc.want))
			if !slices.Equal(got, want) {
				t.Errorf("fields %q, want %q\n(%v)", got, want, err)
			}
		})
	}
}

// snapshot prints the whole item, following its pointers, so a change
// anywhere shows; fmt sorts map keys and prints NaN alike each time.
func snapshot(t *testing.T, it *Item) string {
	t.Helper()
	out := fmt.Sprintf("%+v", *it)
	if n := it.Key.Numeric; n != nil {
		out += fmt.Sprintf(" numeric=%+v", *n)
	}
	if k := it.Key.Text; k != nil {
		out += fmt.Sprintf(" text=%+v", *k)
	}
	for _, f := range []*float64{it.Scoring.Lower, it.Scoring.Upper} {
		if f != nil {
			out += fmt.Sprintf(" bound=%v", *f)
		}
	}
	return out
}

func TestHash(t *testing.T) {
	a := validItem(Matching)
	// The same content with every map built in the opposite order.
	b := validItem(Matching)
	for lang, txt := range b.Text {
		txt.Left = reversed(txt.Left)
		txt.Right = reversed(txt.Right)
		b.Text[lang] = txt
	}
	b.Text = reversedText(b.Text)
	b.Key.Pairs = reversed(b.Key.Pairs)
	if a.Hash() != b.Hash() {
		t.Error("equal content built in another order hashes differently")
	}
	if h := a.Hash(); len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Errorf("Hash = %q, want 64 hex digits", h)
	}

	same := map[string]func(*Item){
		"title":        func(it *Item) { it.Title = "Another" },
		"tags":         func(it *Item) { it.Tags = Tags{Topic: "chemistry", Labels: []string{"jee"}} },
		"status":       func(it *Item) { it.Status = Published },
		"id":           func(it *Item) { it.ID, it.AuthorityID = 99, 3 },
		"version":      func(it *Item) { it.Version, it.Revision = 5, 2 },
		"ref":          func(it *Item) { it.Ref = "q17" },
		"content hash": func(it *Item) { it.ContentHash = "abc" },
		"timestamps":   func(it *Item) { it.CreatedAt, it.UpdatedAt = time.Unix(1, 0), time.Unix(2, 0) },
	}
	for name, edit := range same {
		t.Run("changing the "+name+" keeps the hash", func(t *testing.T) {
			it := validItem(Matching)
			edit(it)
			if it.Hash() != a.Hash() {
				t.Error("hash changed")
			}
		})
	}
	differ := map[string]func(*Item){
		"key":            func(it *Item) { it.Key.Pairs["b"] = "3" },
		"a Hindi word":   func(it *Item) { it.Text["hi"].Left["a"] = "रामन" },
		"the type":       func(it *Item) { it.Type = Essay },
		"the marks":      func(it *Item) { it.Scoring.Marks = 3 },
		"shuffle":        func(it *Item) { it.Shuffle = true },
		"a right item":   func(it *Item) { it.Right = []string{"1", "2", "4"} },
		"an explanation": func(it *Item) { t := it.Text["en"]; t.Explanation = "Because!"; it.Text["en"] = t },
	}
	for name, edit := range differ {
		t.Run("changing "+name+" changes the hash", func(t *testing.T) {
			it := validItem(Matching)
			edit(it)
			if it.Hash() == a.Hash() {
				t.Error("hash did not change")
			}
		})
	}
	t.Run("choice order counts", func(t *testing.T) {
		x, y := validItem(SingleChoice), validItem(SingleChoice)
		y.Choices[0], y.Choices[1] = y.Choices[1], y.Choices[0]
		if x.Hash() == y.Hash() {
			t.Error("swapping two choices kept the hash")
		}
	})
}

// reversed copies m inserting keys in reverse sorted order.
func reversed(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	keys := slices.Sorted(maps.Keys(m))
	slices.Reverse(keys)
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func reversedText(m map[string]Text) map[string]Text {
	out := make(map[string]Text, len(m))
	keys := slices.Sorted(maps.Keys(m))
	slices.Reverse(keys)
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func TestValidateScoringBoundsAndMatchingWeights(t *testing.T) {
	it := validItem(Matching)
	it.Scoring.Weights = map[string]float64{"junk": 1}
	if e := errs.As(it.Validate()); e == nil || e.Fields["scoring.weights.junk"] == "" {
		t.Fatalf("a matching weight that names no pair was accepted: %v", e)
	}
	it = validItem(MultipleResponse)
	upper := -2.0
	it.Scoring.Penalty, it.Scoring.Upper = 1, &upper // default lower −1 is above upper −2
	if e := errs.As(it.Validate()); e == nil || e.Fields["scoring.lower"] == "" {
		t.Fatalf("bounds that cross were accepted: %v", e)
	}
}

func TestNormalizeMakesKeyboardsAgree(t *testing.T) {
	nfc := validItem(SingleChoice)
	nfd := validItem(SingleChoice)
	// "ज़रूरी" (necessary) typed with the precomposed letter U+095B and with
	// ज + nukta: different bytes, the same word.
	nfc.Text["hi"] = Text{Stem: "\u095Bरूरी", Choices: nfc.Text["hi"].Choices}
	nfd.Text["hi"] = Text{Stem: "  \u091C\u093Cरूरी\n", Choices: nfd.Text["hi"].Choices}
	if nfc.Text["hi"].Stem == strings.TrimSpace(nfd.Text["hi"].Stem) {
		t.Fatal("the test's inputs are already byte-equal")
	}
	nfc.Normalize()
	nfd.Normalize()
	if nfc.Hash() != nfd.Hash() {
		t.Fatalf("after Normalize the hashes differ: %q vs %q", nfc.Text["hi"].Stem, nfd.Text["hi"].Stem)
	}
}
