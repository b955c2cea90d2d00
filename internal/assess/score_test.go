package assess

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Builders for items used by the scoring tests. Each returns a valid item.

func ptr(f float64) *float64 { return &f }

func choiceItem(typ ItemType, ids string, key string, sc Scoring) *Item {
	en := Text{Stem: "Which?", Choices: map[string]string{}}
	var cs []Choice
	for _, id := range strings.Fields(ids) {
		cs = append(cs, Choice{ID: id})
		en.Choices[id] = "option " + id
	}
	if typ == TrueFalse {
		en.Choices = nil
	}
	return &Item{Type: typ, Text: map[string]Text{"en": en}, Choices: cs, Key: Key{Choices: strings.Fields(key)}, Scoring: sc}
}

func matchingItem(sc Scoring) *Item {
	return &Item{
		Type: Matching,
		Text: map[string]Text{"en": {
			Stem:  "Match the scientist to the discovery.",
			Left:  map[string]string{"a": "Raman", "b": "Bose", "c": "Saha"},
			Right: map[string]string{"1": "scattering", "2": "statistics", "3": "ionisation", "4": "radium"},
		}},
		Left:    []string{"a", "b", "c"},
		Right:   []string{"1", "2", "3", "4"},
		Key:     Key{Pairs: map[string]string{"a": "1", "b": "2", "c": "3"}},
		Scoring: sc,
	}
}

func numericItem(k NumericKey, sc Scoring) *Item {
	return &Item{Type: Numeric, Text: map[string]Text{"en": {Stem: "How much?"}}, Key: Key{Numeric: &k}, Scoring: sc}
}

func textItem(k TextKey, sc Scoring) *Item {
	return &Item{Type: ShortText, Text: map[string]Text{"hi": {Stem: "उत्तर लिखिए।"}}, Key: Key{Text: &k}, Scoring: sc}
}

func essayItem(sc Scoring) *Item {
	return &Item{Type: Essay, Text: map[string]Text{"en": {Stem: "Discuss."}}, Scoring: sc}
}

func choose(ids string) *Response  { return &Response{Choices: strings.Fields(ids)} }
func answer(text string) *Response { return &Response{Text: text} }
func pair(kv ...string) *Response {
	r := &Response{Pairs: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Pairs[kv[i]] = kv[i+1]
	}
	return r
}

// Results, spelled so each table row reads as the expected outcome.
func right(score float64) Result  { return Result{Score: score, Correct: true, Answered: true} }
func wrong(score float64) Result  { return Result{Score: score, Answered: true} }
func blank(score float64) Result  { return Result{Score: score} }
func partly(score float64) Result { return Result{Score: score, Answered: true} }
func manual() Result              { return Result{Answered: true, Manual: true} }
func sameResult(a, b Result) bool {
	return math.Abs(a.Score-b.Score) < 1e-12 && a.Correct == b.Correct && a.Answered == b.Answered && a.Manual == b.Manual
}
func notNegZero(r Result) bool      { return !(r.Score == 0 && math.Signbit(r.Score)) }
func within(x, lo, hi float64) bool { return x >= lo-1e-9 && x <= hi+1e-9 }

func TestScoreHandWorked(t *testing.T) {
	neet := Scoring{Marks: 4, Penalty: 1}
	single := choiceItem(SingleChoice, "A B C D", "B", neet)
	tf := choiceItem(TrueFalse, "true false", "true", Scoring{Marks: 1})
	// Weights A:2 B:2 C:−1 out of 4, no penalty: the lower bound is 0.
	weighted := choiceItem(MultipleResponse, "A B C D", "A B", Scoring{Marks: 4, Weights: map[string]float64{"A": 2, "B": 2, "C": -1}})
	weightedLow := choiceItem(MultipleResponse, "A B C D", "A B", Scoring{Marks: 4, Lower: ptr(-2), Weights: map[string]float64{"A": 2, "B": 2, "C": -1}})
	weightedCap := choiceItem(MultipleResponse, "A B C D", "A B", Scoring{Marks: 4, Upper: ptr(3), Weights: map[string]float64{"A": 2, "B": 2, "C": -1}})
	keyless := choiceItem(MultipleResponse, "A B C", "", Scoring{Marks: 4, Weights: map[string]float64{"A": 2, "B": 2}})
	keylessLow := choiceItem(MultipleResponse, "A B C", "", Scoring{Marks: 4, Weights: map[string]float64{"A": 1.5, "B": 1.5}})
	allOrNothing := choiceItem(MultipleResponse, "A B C D", "A C", Scoring{Marks: 4, Penalty: 2})
	// GIFT {=R ~%50%H ~W ~%-100%P} at 2 marks, 1 off for a wrong answer.
	gift := choiceItem(SingleChoice, "R H W P", "R", Scoring{Marks: 2, Penalty: 1, Weights: map[string]float64{"R": 2, "H": 1, "P": -2}})
	order := choiceItem(Ordering, "A B C D", "A B C D", Scoring{Marks: 4, Penalty: 1, Partial: true})
	orderStrict := choiceItem(Ordering, "A B C D", "A B C D", Scoring{Marks: 4, Penalty: 1})
	match := matchingItem(Scoring{Marks: 3, Penalty: 1, Partial: true})
	matchStrict := matchingItem(Scoring{Marks: 3, Penalty: 1})
	matchWeighted := matchingItem(Scoring{Marks: 3, Weights: map[string]float64{"a=1": 1, "b=2": 1, "c=3": 1, "c=4": -1}})
	pi := numericItem(NumericKey{Value: 3.14, Tolerance: 0.01}, neet)
	lakh := numericItem(NumericKey{Value: 100000}, neet)
	rng := numericItem(NumericKey{Range: true, Min: 1, Max: 5}, neet)
	zero := numericItem(NumericKey{Value: 0}, neet)
	// क़ (U+0958) is a composition exclusion: NFC writes it as क + nukta.
	hindi := textItem(TextKey{Accepted: []string{"\u0958लम"}}, neet)
	hindiNFD := textItem(TextKey{Accepted: []string{"\u0915\u093Cलम"}}, neet)
	// ऩ (U+0929) composes: NFD is न + nukta.
	hindiComposed := textItem(TextKey{Accepted: []string{"कनिष्क", "\u0929"}}, neet)
	english := textItem(TextKey{Accepted: []string{"Photosynthesis", "carbon  dioxide"}}, neet)
	spaces := textItem(TextKey{Accepted: []string{"CO2"}, IgnoreSpaces: true}, neet)
	exactCase := textItem(TextKey{Accepted: []string{"NaCl"}, CaseSensitive: true}, neet)
	essay := essayItem(Scoring{Marks: 10, Unanswered: 0})

	for _, tc := range []struct {
		name string
		it   *Item
		r    *Response
		want Result
	}{
		{"single choice: the key earns +4", single, choose("B"), right(4)},
		{"single choice: another choice earns −1", single, choose("A"), wrong(-1)},
		{"single choice: no choice earns 0, unanswered", single, choose(""), blank(0)},
		{"single choice: a nil response is unanswered", single, nil, blank(0)},
		{"single choice: white space only is unanswered", single, answer("  \t"), blank(0)},
		{"single choice: two choices are wrong", single, choose("B A"), wrong(-1)},
		{"single choice: the key twice is wrong", single, choose("B B"), wrong(-1)},
		{"single choice: an unknown choice is wrong", single, choose("Z"), wrong(-1)},
		{"single choice: an empty id is wrong", single, &Response{Choices: []string{""}}, wrong(-1)},
		{"single choice: text instead of a choice is wrong", single, answer("B"), wrong(-1)},
		{"true/false: true is right", tf, choose("true"), right(1)},
		{"true/false: false earns 0 but counts as answered", tf, choose("false"), wrong(0)},
		{"true/false: capitalised True is not the id", tf, choose("True"), wrong(0)},

		{"weights: A+B = 4, the key", weighted, choose("A B"), right(4)},
		{"weights: B+A in any order = 4", weighted, choose("B A"), right(4)},
		{"weights: A+C = 2−1 = 1", weighted, choose("A C"), partly(1)},
		{"weights: C alone = −1, clamped to the lower bound 0", weighted, choose("C"), partly(0)},
		{"weights: all three = 3, not correct", weighted, choose("A B C"), partly(3)},
		{"weights: A alone = 2", weighted, choose("A"), partly(2)},
		{"weights: an unlisted choice counts the default weight 0", weighted, choose("D"), partly(0)},
		{"weights: a duplicated choice is wrong", weighted, choose("A A B"), wrong(0)},
		{"weights: an unknown choice is wrong", weighted, choose("A B X"), wrong(0)},
		{"weights: an explicit lower bound −2 lets C alone earn −1", weightedLow, choose("C"), partly(-1)},
		{"weights: an upper bound 3 caps the key", weightedCap, choose("A B"), right(3)},
		{"weights without a key: reaching the upper bound is correct", keyless, choose("A B"), right(4)},
		{"weights without a key: half way is not", keyless, choose("A"), partly(2)},
		{"weights without a key: the best below the upper bound is correct", keylessLow, choose("A B"), right(3)},
		{"all or nothing: the exact set earns 4", allOrNothing, choose("C A"), right(4)},
		{"all or nothing: a subset earns −2", allOrNothing, choose("A"), wrong(-2)},
		{"all or nothing: a superset earns −2", allOrNothing, choose("A C D"), wrong(-2)},
		{"all or nothing: a duplicated choice earns −2", allOrNothing, choose("A C A"), wrong(-2)},
		{"all or nothing: an unknown choice earns −2", allOrNothing, choose("A C Z"), wrong(-2)},

		{"GIFT: the right answer earns 100%", gift, choose("R"), right(2)},
		{"GIFT: the ~%50% answer earns half", gift, choose("H"), partly(1)},
		{"GIFT: an unweighted wrong answer earns the default weight 0", gift, choose("W"), wrong(0)},
		{"GIFT: ~%-100% is clamped to −Penalty", gift, choose("P"), wrong(-1)},
		{"GIFT: two answers are wrong", gift, choose("R H"), wrong(-1)},
		{"GIFT: an unknown answer is wrong", gift, choose("Q"), wrong(-1)},

		{"ordering: the exact order earns 4", order, choose("A B C D"), right(4)},
		{"ordering: 2 of 4 in place earns 2", order, choose("A B D C"), partly(2)},
		{"ordering: 1 of 4 in place earns 1", order, choose("B C A D"), partly(1)},
		{"ordering: none in place earns −1", order, choose("B A D C"), wrong(-1)},
		{"ordering: a missing choice is wrong", order, choose("A B C"), wrong(-1)},
		{"ordering: a repeated choice is wrong", order, choose("A A C D"), wrong(-1)},
		{"ordering: an unknown choice is wrong", order, choose("A B C X"), wrong(-1)},
		{"ordering: an extra choice is wrong", order, choose("A B C D E"), wrong(-1)},
		{"ordering without partial: 2 of 4 is wrong", orderStrict, choose("A B D C"), wrong(-1)},
		{"ordering without partial: the exact order earns 4", orderStrict, choose("A B C D"), right(4)},

		{"matching: all pairs earn 3", match, pair("a", "1", "b", "2", "c", "3"), right(3)},
		{"matching: 2 of 3 pairs earn 2", match, pair("a", "1", "b", "2", "c", "4"), partly(2)},
		{"matching: 2 of 3 with one left unpaired earn 2", match, pair("a", "1", "b", "2"), partly(2)},
		{"matching: no pair right earns −1", match, pair("a", "2", "b", "1"), wrong(-1)},
		{"matching: an unknown left item is wrong", match, pair("a", "1", "b", "2", "z", "3"), wrong(-1)},
		{"matching: an unknown right item is wrong", match, pair("a", "1", "b", "2", "c", "9"), wrong(-1)},
		{"matching: an empty right item is wrong", match, pair("a", "1", "b", "2", "c", ""), wrong(-1)},
		{"matching: two left items on one right item score per pair", match, pair("a", "1", "b", "1", "c", "3"), partly(2)},
		{"matching without partial: 2 of 3 is wrong", matchStrict, pair("a", "1", "b", "2", "c", "4"), wrong(-1)},
		{"matching without partial: all pairs earn 3", matchStrict, pair("c", "3", "b", "2", "a", "1"), right(3)},
		{"matching weights: all pairs earn 3", matchWeighted, pair("a", "1", "b", "2", "c", "3"), right(3)},
		{"matching weights: c→4 costs 1 instead of earning 1", matchWeighted, pair("a", "1", "b", "2", "c", "4"), partly(1)},
		{"matching weights: c→4 alone is clamped to 0", matchWeighted, pair("c", "4"), partly(0)},

		{"numeric: 3.145 is within 3.14 ± 0.01", pi, answer("3.145"), right(4)},
		{"numeric: spaces and a plus sign are fine", pi, answer("  +3.14 "), right(4)},
		{"numeric: Devanagari digits ३.१४", pi, answer("३.१४"), right(4)},
		{"numeric: Bengali digits ৩.১৪", pi, answer("৩.১৪"), right(4)},
		{"numeric: 3.15 is on the edge and counts despite rounding", pi, answer("3.15"), right(4)},
		{"numeric: 3.13 is on the other edge", pi, answer("3.13"), right(4)},
		{"numeric: 3.16 is outside", pi, answer("3.16"), wrong(-1)},
		{"numeric: a decimal comma is not a number", pi, answer("3,14"), wrong(-1)},
		{"numeric: words are not a number", pi, answer("pi"), wrong(-1)},
		{"numeric: a wrong sign is wrong", pi, answer("-3.14"), wrong(-1)},
		{"numeric: two points are not a number", pi, answer("3.1.4"), wrong(-1)},
		{"numeric: exponents are not taken", pi, answer("314e-2"), wrong(-1)},
		{"numeric: a lone sign is not a number", pi, answer("+"), wrong(-1)},
		{"numeric: a lone point is not a number", pi, answer("."), wrong(-1)},
		{"numeric: a space inside is not a number", pi, answer("3. 14"), wrong(-1)},
		{"numeric: blank is unanswered", pi, answer("   "), blank(0)},
		{"numeric: 1,00,000 is a lakh", lakh, answer("1,00,000"), right(4)},
		{"numeric: 100000 is a lakh", lakh, answer("100000"), right(4)},
		{"numeric: १,००,००० is a lakh", lakh, answer("१,००,०००"), right(4)},
		{"numeric: 100,000 in international grouping is a lakh", lakh, answer("100,000"), right(4)},
		{"numeric: 1,00,000.00 is a lakh", lakh, answer("1,00,000.00"), right(4)},
		{"numeric: 1,0,0 is badly grouped", lakh, answer("1,0,0"), wrong(-1)},
		{"numeric: 10,00,00 is badly grouped", lakh, answer("10,00,00"), wrong(-1)},
		{"numeric: 1000,00 is badly grouped", lakh, answer("1000,00"), wrong(-1)},
		{"numeric: 1,00000 is badly grouped", lakh, answer("1,00000"), wrong(-1)},
		{"numeric: 1,00,000,000 mixes groupings", lakh, answer("1,00,000,000"), wrong(-1)},
		{"numeric: a leading comma is wrong", lakh, answer(",100,000"), wrong(-1)},
		{"numeric: a trailing comma is wrong", lakh, answer("1,00,000,"), wrong(-1)},
		{"numeric: two commas together are wrong", lakh, answer("1,,00,000"), wrong(-1)},
		{"numeric: commas after the point are wrong", lakh, answer("100000.000,0"), wrong(-1)},
		{"numeric: range 1..5 takes 1", rng, answer("1"), right(4)},
		{"numeric: range 1..5 takes 5", rng, answer("5"), right(4)},
		{"numeric: range 1..5 takes 3.7", rng, answer("3.7"), right(4)},
		{"numeric: range 1..5 refuses 0.999", rng, answer("0.999"), wrong(-1)},
		{"numeric: range 1..5 refuses 5.0001", rng, answer("5.0001"), wrong(-1)},
		{"numeric: range 1..5 refuses −3 (U+2212)", rng, answer("\u22123"), wrong(-1)},
		{"numeric: exactly 0 takes −0", zero, answer("-0"), right(4)},
		{"numeric: exactly 0 refuses 0.000001", zero, answer("0.000001"), wrong(-1)},

		{"short text: NFD Hindi matches an NFC key", hindi, answer("\u0915\u093Cलम"), right(4)},
		{"short text: precomposed Hindi matches an NFD key", hindiNFD, answer("\u0958लम"), right(4)},
		{"short text: NFD ऩ matches the composed key", hindiComposed, answer("\u0928\u093C"), right(4)},
		{"short text: the second accepted answer counts", hindiComposed, answer(" कनिष्क "), right(4)},
		{"short text: a different Hindi word is wrong", hindi, answer("कमल"), wrong(-1)},
		{"short text: English is case-insensitive", english, answer("  photoSYNTHESIS "), right(4)},
		{"short text: spaces inside still count", english, answer("photo synthesis"), wrong(-1)},
		{"short text: runs of white space collapse on both sides", english, answer("Carbon \t\n dioxide"), right(4)},
		{"short text: a prefix is wrong", english, answer("carbon"), wrong(-1)},
		{"short text: IgnoreSpaces removes all white space", spaces, answer(" c O 2 "), right(4)},
		{"short text: IgnoreSpaces still needs the characters", spaces, answer("CO"), wrong(-1)},
		{"short text: CaseSensitive refuses nacl", exactCase, answer("nacl"), wrong(-1)},
		{"short text: CaseSensitive takes NaCl", exactCase, answer(" NaCl "), right(4)},
		{"short text: blank is unanswered", english, answer(" \n "), blank(0)},

		{"essay: an answer waits for a marker", essay, answer("Monsoons are…"), manual()},
		{"essay: no answer earns Unanswered and needs no marker", essay, answer(""), blank(0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Score(tc.it, tc.r)
			if err != nil {
				t.Fatalf("Score: %v", err)
			}
			if !sameResult(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if !notNegZero(got) {
				t.Errorf("score is -0, which prints as -0 in JSON")
			}
		})
	}
}

func TestScoreUnanswered(t *testing.T) {
	// Some exams give a set value for leaving a question alone.
	it := choiceItem(SingleChoice, "A B", "A", Scoring{Marks: 4, Penalty: 1, Unanswered: 0.5})
	got, err := Score(it, &Response{})
	if err != nil {
		t.Fatal(err)
	}
	if want := blank(0.5); !sameResult(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestCompileRefusesInvalidItem(t *testing.T) {
	it := choiceItem(SingleChoice, "A B", "C", Scoring{Marks: 4})
	_, err := Compile(it)
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("got %v, want an invalid error", err)
	}
	if _, ok := errs.As(err).Fields["key.choices"]; !ok {
		t.Errorf("fields %v do not name key.choices", errs.As(err).Fields)
	}
	if _, err := Score(it, choose("A")); err == nil {
		t.Error("Score scored an invalid item")
	}
}

func TestScorerKeepsNoReferenceToTheItem(t *testing.T) {
	it := choiceItem(MultipleResponse, "A B C", "A B", Scoring{Marks: 4, Weights: map[string]float64{"A": 2, "B": 2}})
	s, err := Compile(it)
	if err != nil {
		t.Fatal(err)
	}
	it.Choices[0].ID = "X"
	it.Key.Choices[0] = "C"
	it.Scoring.Weights["A"] = -5
	if got := s.Score(choose("A B")); !sameResult(got, right(4)) {
		t.Errorf("after editing the item, got %+v, want %+v", got, right(4))
	}
}

func TestScorerMax(t *testing.T) {
	for _, tc := range []struct {
		name string
		it   *Item
		want float64
	}{
		{"marks without weights", choiceItem(SingleChoice, "A B", "A", Scoring{Marks: 4, Penalty: 1}), 4},
		{"the upper bound with weights", choiceItem(MultipleResponse, "A B", "A", Scoring{Marks: 4, Upper: ptr(3), Weights: map[string]float64{"A": 3}}), 3},
		{"marks with weights and no upper bound", choiceItem(MultipleResponse, "A B", "A", Scoring{Marks: 4, Weights: map[string]float64{"A": 4}}), 4},
		{"the best sum of weights below the bounds", choiceItem(MultipleResponse, "A B C", "A B", Scoring{Marks: 4, Weights: map[string]float64{"A": 1.5, "B": 1.5, "C": -1}}), 3},
		{"the best single weight", choiceItem(SingleChoice, "A B C", "A", Scoring{Marks: 4, Penalty: 1, Weights: map[string]float64{"A": 3, "B": 1}}), 3},
		{"a positive default weight counts", choiceItem(MultipleResponse, "A B C", "", Scoring{Marks: 4, DefaultWeight: 0.5, Weights: map[string]float64{"A": 2}}), 3},
		{"the best pair per left item", matchingItem(Scoring{Marks: 3, Weights: map[string]float64{"a=1": 1, "a=2": 0.5, "b=2": 1, "c=3": -1}}), 2},
		{"marks for partial ordering", choiceItem(Ordering, "A B", "A B", Scoring{Marks: 2, Partial: true}), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.it)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Max(); got != tc.want {
				t.Errorf("Max = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"0", 0, true},
		{"42", 42, true},
		{".5", 0.5, true},
		{"5.", 5, true},
		{"-2.50", -2.5, true},
		{"\u22122.5", -2.5, true},
		{"1,000", 1000, true},
		{"12,34,567", 1234567, true},
		{"1,00,00,000", 10000000, true},
		{"1,234,567.891", 1234567.891, true},
		{"١٢", 0, false}, // Arabic-Indic (U+0660…) is not in the list; Urdu uses U+06F0…
		{"۱۲", 12, true},
		{"௧௦", 10, true},
		{"12345678901234567890", 12345678901234567890, true}, // past 2^53: strconv path
		{"0.1234567890123456789012345", 0.1234567890123456789012345, true},
		{"1" + strings.Repeat("0", 400), 0, false}, // overflows to infinity
		{"1,2345", 0, false},
		{"123,45,678", 0, false},
		{"1,234,56,789", 0, false},
		{"12,34,567,890", 0, false},
		{"1.000,5", 0, false},
		{"--1", 0, false},
		{"+-1", 0, false},
		{"1-", 0, false},
		{"0x10", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{"1_000", 0, false},
		{"", 0, false},
	} {
		got, ok := parseNumber(tc.in)
		if ok != tc.ok || ok && got != tc.want {
			t.Errorf("parseNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestEqualFoldAgreesWithStrings(t *testing.T) {
	for _, p := range [][2]string{
		{"Photosynthesis", "PHOTOSYNTHESIS"}, {"ǅ", "ǆ"}, {"K", "\u212A"}, {"σ", "Σ"}, {"ς", "Σ"},
		{"ß", "ss"}, {"abc", "abcd"}, {"", ""}, {"\xff", "\uFFFD"}, {"İ", "i"}, {"नमस्ते", "नमस्ते"},
	} {
		if got, want := equalFold([]byte(p[0]), p[1]), strings.EqualFold(p[0], p[1]); got != want {
			t.Errorf("equalFold(%q, %q) = %v, strings.EqualFold says %v", p[0], p[1], got, want)
		}
	}
}

func TestScoreAllocatesNothing(t *testing.T) {
	mr := choiceItem(MultipleResponse, "A B C D", "A B", Scoring{Marks: 4, Weights: map[string]float64{"A": 2, "B": 2, "C": -1}})
	for _, tc := range []struct {
		name string
		it   *Item
		r    *Response
	}{
		{"single choice", choiceItem(SingleChoice, "A B C D", "B", Scoring{Marks: 4, Penalty: 1}), choose("C")},
		{"weighted single choice", choiceItem(SingleChoice, "A B C D", "B", Scoring{Marks: 4, Weights: map[string]float64{"B": 4, "C": 2}}), choose("C")},
		{"multiple response", mr, choose("A C")},
		{"ordering", choiceItem(Ordering, "A B C D", "A B C D", Scoring{Marks: 4, Partial: true}), choose("A B D C")},
		{"matching", matchingItem(Scoring{Marks: 3, Partial: true}), pair("a", "1", "b", "3", "c", "3")},
		{"weighted matching", matchingItem(Scoring{Marks: 3, Weights: map[string]float64{"a=1": 1}}), pair("a", "1", "b", "3")},
		{"numeric", numericItem(NumericKey{Value: 100000}, Scoring{Marks: 4}), answer(" १,००,०००.०० ")},
		{"numeric past the fast path", numericItem(NumericKey{Value: 1}, Scoring{Marks: 4}), answer("0.99999999999999999999")},
		{"short text in NFC", textItem(TextKey{Accepted: []string{"Carbon dioxide"}}, Scoring{Marks: 4}), answer(" carbon   DIOXIDE ")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Compile(tc.it)
			if err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() { s.Score(tc.r) }); n != 0 {
				t.Errorf("%v allocations per Score, want 0", n)
			}
		})
	}
}

// fuzzItems are compiled once for FuzzScore: every type, weighted and not.
func fuzzItems(t testing.TB) []*Item {
	items := []*Item{
		choiceItem(SingleChoice, "A B C D", "B", Scoring{Marks: 4, Penalty: 1}),
		choiceItem(SingleChoice, "R H W P", "R", Scoring{Marks: 2, Penalty: 1, Weights: map[string]float64{"R": 2, "H": 1, "P": -2}}),
		choiceItem(TrueFalse, "true false", "false", Scoring{Marks: 1, Penalty: 0.25, Unanswered: 0}),
		choiceItem(MultipleResponse, "A B C D", "A C", Scoring{Marks: 4, Penalty: 2}),
		choiceItem(MultipleResponse, "A B C D", "A B", Scoring{Marks: 4, Weights: map[string]float64{"A": 2, "B": 2, "C": -1}}),
		choiceItem(MultipleResponse, "A B C D", "A B", Scoring{Marks: 4, Penalty: 1, Lower: ptr(-3), Upper: ptr(3.5), DefaultWeight: -0.5, Weights: map[string]float64{"A": 2, "B": 2}}),
		choiceItem(MultipleResponse, "A B C", "", Scoring{Marks: 4, Weights: map[string]float64{"A": 2, "B": 2, "C": math.SmallestNonzeroFloat64}}),
		choiceItem(Ordering, "A B C D", "D C B A", Scoring{Marks: 4, Penalty: 1, Partial: true}),
		choiceItem(Ordering, "A B C", "A B C", Scoring{Marks: 3, Penalty: 1}),
		matchingItem(Scoring{Marks: 3, Penalty: 1, Partial: true}),
		matchingItem(Scoring{Marks: 3, Penalty: 1}),
		matchingItem(Scoring{Marks: 3, Penalty: 1, Weights: map[string]float64{"a=1": 1, "b=2": 1, "c=3": 1, "c=4": -1}}),
		numericItem(NumericKey{Value: 3.14, Tolerance: 0.01}, Scoring{Marks: 4, Penalty: 1}),
		numericItem(NumericKey{Range: true, Min: -5, Max: 5}, Scoring{Marks: 4, Penalty: 1}),
		numericItem(NumericKey{Value: 100000}, Scoring{Marks: 4}),
		textItem(TextKey{Accepted: []string{"\u0958लम", "Photosynthesis"}}, Scoring{Marks: 2, Penalty: 0.5}),
		textItem(TextKey{Accepted: []string{"NaCl"}, CaseSensitive: true, IgnoreSpaces: true}, Scoring{Marks: 2}),
		essayItem(Scoring{Marks: 10, Unanswered: -1}),
	}
	for _, it := range items {
		if err := it.Validate(); err != nil {
			t.Fatalf("fuzz item %s is invalid: %v", it.Type, err)
		}
	}
	return items
}

var plainNumber = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$`)

func FuzzScore(f *testing.F) {
	for _, seed := range []struct{ choices, text string }{
		{"B", ""}, {"A C", ""}, {"A B C", ""}, {"D C B A", ""}, {"A A", ""}, {"Z", ""},
		{"a=1 b=2 c=3", ""}, {"a=1 b=2 c=4", ""}, {"c=4", ""}, {"z=1", ""}, {"a=", ""},
		{"true", ""}, {"R", ""}, {"P", ""},
		{"", "3.145"}, {"", "  +3.14 "}, {"", "३.१४"}, {"", "1,00,000"}, {"", "1,0,0"}, {"", "pi"},
		{"", "\u0915\u093Cलम"}, {"", "photo SYNTHESIS"}, {"", "N a C l"}, {"", "\xff\xfe"}, {"", "\u2212"},
		{"", "99999999999999999999999.5"}, {"", "0.00000000000000000000001"},
	} {
		f.Add(seed.choices, seed.text)
	}
	items := fuzzItems(f)
	scorers := make([]*Scorer, len(items))
	for i, it := range items {
		s, err := Compile(it)
		if err != nil {
			f.Fatal(err)
		}
		scorers[i] = s
	}
	f.Fuzz(func(t *testing.T, choices, text string) {
		r := &Response{Choices: strings.Fields(choices), Text: text}
		for _, c := range r.Choices {
			if l, rt, ok := strings.Cut(c, "="); ok {
				if r.Pairs == nil {
					r.Pairs = map[string]string{}
				}
				r.Pairs[l] = rt
			}
		}
		for i, s := range scorers {
			sc := items[i].Scoring
			got := s.Score(r)
			upper, lower := sc.Marks, -sc.Penalty
			if sc.Upper != nil {
				upper = *sc.Upper
			}
			if sc.Lower != nil {
				lower = *sc.Lower
			}
			lo, hi := min(lower, -sc.Penalty, sc.Unanswered), max(upper, sc.Marks)
			switch {
			case math.IsNaN(got.Score) || !within(got.Score, lo, hi):
				t.Errorf("item %d (%s): score %v outside [%v, %v] for %+v", i, items[i].Type, got.Score, lo, hi, r)
			case got.Correct && !(got.Score == sc.Marks || len(sc.Weights) > 0 && got.Score == s.Max()):
				t.Errorf("item %d (%s): correct but scored %v for %+v", i, items[i].Type, got.Score, r)
			case got.Answered == r.Empty():
				t.Errorf("item %d (%s): answered = %v for %+v", i, items[i].Type, got.Answered, r)
			case !got.Answered && (got.Score != sc.Unanswered || got.Correct || got.Manual):
				t.Errorf("item %d (%s): unanswered but got %+v", i, items[i].Type, got)
			case got.Manual != (items[i].Type == Essay && got.Answered):
				t.Errorf("item %d (%s): manual = %v", i, items[i].Type, got.Manual)
			case !notNegZero(got):
				t.Errorf("item %d (%s): score is -0", i, items[i].Type)
			}
		}
		// The fast path of parseNumber must round as strconv does.
		if num := strings.TrimSpace(text); plainNumber.MatchString(num) {
			want, err := strconv.ParseFloat(num, 64)
			got, ok := parseNumber(text)
			if err == nil && !math.IsInf(want, 0) && (!ok || got != want) {
				t.Errorf("parseNumber(%q) = %v, %v; strconv says %v", text, got, ok, want)
			}
		}
		if got, want := equalFold([]byte(text), choices), strings.EqualFold(text, choices); got != want {
			t.Errorf("equalFold(%q, %q) = %v, strings.EqualFold says %v", text, choices, got, want)
		}
	})
}

// ExampleCompile shows scoring a +4/−1 question.
func ExampleCompile() {
	it := &Item{
		Type:    SingleChoice,
		Text:    map[string]Text{"hi": {Stem: "भारत की राजधानी?", Choices: map[string]string{"A": "मुंबई", "B": "नई दिल्ली"}}},
		Choices: []Choice{{ID: "A"}, {ID: "B"}},
		Key:     Key{Choices: []string{"B"}},
		Scoring: Scoring{Marks: 4, Penalty: 1},
	}
	s, err := Compile(it)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Score(&Response{Choices: []string{"B"}}).Score)
	fmt.Println(s.Score(&Response{Choices: []string{"A"}}).Score)
	fmt.Println(s.Score(&Response{}).Score)
	// Output:
	// 4
	// -1
	// 0
}
