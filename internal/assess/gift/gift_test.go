package gift_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/gift"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func readAll(t testing.TB, src string, opts gift.Options) ([]assess.Parsed, error) {
	t.Helper()
	var out []assess.Parsed
	err := gift.Read(strings.NewReader(src), opts, func(p assess.Parsed) error {
		out = append(out, p)
		return nil
	})
	return out, err
}

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func choices(ids ...string) []assess.Choice {
	var c []assess.Choice
	for _, id := range ids {
		c = append(c, assess.Choice{ID: id})
	}
	return c
}

func item(typ assess.ItemType, title, topic string, t assess.Text) *assess.Item {
	return &assess.Item{Type: typ, Status: assess.Draft, Title: title, Ref: title, Text: map[string]assess.Text{"en": t}, Scoring: assess.Scoring{Marks: 1}, Tags: assess.Tags{Topic: topic}}
}

func TestReadSample(t *testing.T) {
	f, err := os.Open("testdata/sample.gift")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []assess.Parsed
	if err := gift.Read(f, gift.Options{}, func(p assess.Parsed) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	const optics, india = "physics/optics", "geography/india"
	var want []*assess.Item
	add := func(it *assess.Item) *assess.Item { want = append(want, it); return it }

	q1 := add(item(assess.SingleChoice, "Q1 refraction", optics, assess.Text{
		Stem:     "Light bends when it passes from air into glass. This is called",
		Choices:  map[string]string{"A": "refraction", "B": "reflection", "C": "diffraction"},
		Feedback: map[string]string{"A": "Right: the speed changes.", "B": "No, that is bouncing back."},
	}))
	q1.Choices, q1.Key.Choices = choices("A", "B", "C"), []string{"A"}

	q2 := add(item(assess.MultipleResponse, "Q2 prime", optics, assess.Text{
		Stem:        "Which of these are prime numbers?",
		Choices:     map[string]string{"A": "2", "B": "3", "C": "4"},
		Feedback:    map[string]string{"C": "4 = 2 × 2"},
		Explanation: "2 and 3 have no divisors but 1 and themselves.",
	}))
	q2.Choices, q2.Key.Choices = choices("A", "B", "C"), []string{"A", "B"}
	q2.Scoring.Weights = map[string]float64{"A": 0.5, "B": 0.5, "C": -1}

	q3 := add(item(assess.TrueFalse, "Q3", optics, assess.Text{
		Stem:     "The sun rises in the west.",
		Feedback: map[string]string{"true": "It rises in the east.", "false": "Correct."},
	}))
	q3.Choices, q3.Key.Choices = choices("true", "false"), []string{"false"}

	q4 := add(item(assess.ShortText, "Q4", optics, assess.Text{Stem: "Who wrote the Gitanjali?"}))
	q4.Key.Text = &assess.TextKey{Accepted: []string{"Rabindranath Tagore", "Tagore", "R. N. Tagore"}}

	q5 := add(item(assess.Numeric, "Q5 pi", optics, assess.Text{Stem: "What is the value of π to two decimal places?"}))
	q5.Key.Numeric = &assess.NumericKey{Value: 3.14, Tolerance: 0.005}

	q6 := add(item(assess.Numeric, "Q6", optics, assess.Text{Stem: "A number between 1 and 5"}))
	q6.Key.Numeric = &assess.NumericKey{Range: true, Min: 1, Max: 5}

	q7 := add(item(assess.Numeric, "Q7 multi numeric", optics, assess.Text{Stem: "When was India's first general election held (year)?", Explanation: "Yes, 1951–52."}))
	q7.Key.Numeric = &assess.NumericKey{Value: 1951}

	q8 := add(item(assess.Matching, "Q8", india, assess.Text{
		Stem:  "Match the state with its capital.",
		Left:  map[string]string{"A": "Kerala", "B": "Karnataka", "C": "Odisha"},
		Right: map[string]string{"1": "Thiruvananthapuram", "2": "Bengaluru", "3": "Bhubaneswar", "4": "Chennai"},
	}))
	q8.Left, q8.Right = []string{"A", "B", "C"}, []string{"1", "2", "3", "4"}
	q8.Key.Pairs = map[string]string{"A": "1", "B": "2", "C": "3"}
	q8.Scoring.Partial = true

	q9 := add(item(assess.SingleChoice, "Q9 escapes", india, assess.Text{
		Stem:    "In maths, $a=b$ and the set {1, 2} use special characters: ~ and #.",
		Choices: map[string]string{"A": "yes, a 100% answer", "B": "no"},
	}))
	q9.Choices, q9.Key.Choices = choices("A", "B"), []string{"A"}

	add(item(assess.Essay, "Q10", india, assess.Text{Stem: "Write a short essay on the monsoon."}))

	q11 := add(item(assess.ShortText, "", india, assess.Text{Stem: "The capital of India is _____ and it lies on the Yamuna."}))
	q11.Key.Text = &assess.TextKey{Accepted: []string{"New Delhi", "Delhi"}}

	q12 := add(item(assess.SingleChoice, "Q12 weights with one right", india, assess.Text{
		Stem:    "Pick the best answer.",
		Choices: map[string]string{"A": "best", "B": "good", "C": "bad", "D": "worse"},
	}))
	q12.Choices, q12.Key.Choices = choices("A", "B", "C", "D"), []string{"A"}
	q12.Scoring.Weights = map[string]float64{"A": 1, "B": 0.5, "C": -0.25}

	q13 := add(item(assess.MultipleResponse, "Q13 several right", india, assess.Text{
		Stem:    "Which are fruits?",
		Choices: map[string]string{"A": "mango", "B": "apple", "C": "carrot"},
	}))
	q13.Choices, q13.Key.Choices = choices("A", "B", "C"), []string{"A", "B"}

	if len(got) != len(want)+1 {
		t.Fatalf("got %d parsed, want %d items and 1 description", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		if p.Err != nil {
			t.Errorf("item %d (%s): %v", i+1, p.Where, p.Err)
			continue
		}
		if p.Ref != w.Title {
			t.Errorf("item %d: ref %q, want %q", i+1, p.Ref, w.Title)
		}
		if !reflect.DeepEqual(p.Item, w) {
			t.Errorf("item %d (%s):\n got %s\nwant %s", i+1, p.Where, js(p.Item), js(w))
		}
	}
	wheres := []string{"line 6", "line 12", "line 20", "line 22", "line 24", "line 26", "line 28", "line 35", "line 42", "line 47", "line 49", "line 51", "line 54", "line 56"}
	for i, w := range wheres {
		if got[i].Where != w {
			t.Errorf("item %d: where %q, want %q", i+1, got[i].Where, w)
		}
	}
	last := got[len(got)-1]
	if last.Item != nil || last.Err == nil || last.Err.Error() != "line 56: a description (no answer block) is not a question; skipped" {
		t.Errorf("description: got item %v, err %v", last.Item, last.Err)
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name, src, where, err string
	}{
		{"unclosed answer block", "// c\n\n::T::Q one\n{=a\n~b\n", "line 3", "line 4: the answer block is not closed (missing })"},
		{"stray closing brace", "What is } this {=a ~b}", "line 1", "line 1: a } without a matching {"},
		{"brace inside the block", "Q {=a {~b}", "line 1", "line 1: a { inside the answer block that starts on line 1"},
		{"two questions without a blank line", "Q1 {=a ~b}\nQ2 {=c ~d}", "line 1", "line 2: a second answer block"},
		{"unclosed title", "::Title Q {=a ~b}", "line 1", "line 1: the title is not closed (missing ::)"},
		{"description", "Just some text.\nMore text.", "line 1", "line 1: a description (no answer block) is not a question; skipped"},
		{"bad number", "Q {#abc}", "line 1", `line 1: "abc" is not a number like 3.14 or 3.14:0.01`},
		{"bad tolerance", "Q {#3:-1}", "line 1", `line 1: the tolerance in "3:-1" is not a number of 0 or more`},
		{"backward range", "Q {#5..1}", "line 1", `line 1: the range "5..1" runs backwards`},
		{"infinite number", "Q {#Inf}", "line 1", `"Inf" is not a number`},
		{"numeric with only partial answers", "Q {#=%50%3:1}", "line 1", "line 1: no numeric answer is fully right"},
		{"no right choice", "Q {~a ~b}", "line 1", "line 1: no answer is marked right"},
		{"weights not adding up", "Q {~%50%a ~%25%b ~c}", "line 1", "line 1: the positive weights add up to 75%, not 100%"},
		{"weight over 100", "Q {~%150%a =b}", "line 1", `line 1: the weight in "%150%a" is not a percentage between -100 and 100`},
		{"empty choice", "Q {= ~b}", "line 1", "line 1: answer 1 is empty"},
		{"choice without marker", "Q {a =b ~c}", "line 1", `line 1: answer "a" has no = or ~ in front`},
		{"short answer with only partial answers", "Q {=%50%Delhi}", "line 1", "line 1: no answer is fully right: only partial answers"},
		{"matching with one pair", "Q {=a -> 1}", "line 1", "line 1: a matching question needs at least 2 pairs; found 1"},
		{"matching pair without right side", "Q {=a -> 1 =b -> }", "line 1", `the pair "b ->" has nothing after ->`},
		{"empty stem", "{=a ~b}", "line 1", "line 1: the question text is empty"},
		{"too many choices", "Q {=a ~b ~c ~d ~e ~f ~g ~h ~i ~j ~k ~l ~m ~n ~o ~p ~q ~r ~s ~t ~u ~v ~w ~x ~y ~z ~zz}", "line 1", "line 1: 27 answers; at most 26"},
		{"invalid item", "Q {=a ~a2}\n\n$CATEGORY: " + strings.Repeat("x", 300) + "\n\nQ {=a ~b}", "line 5", "line 5: the question is not valid (tags.topic: must be text of at most 200 bytes)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAll(t, c.src, gift.Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := got[len(got)-1]
			if p.Err == nil {
				t.Fatalf("no error; item %s", js(p.Item))
			}
			if p.Item != nil {
				t.Errorf("item and error both set")
			}
			if !errs.Is(p.Err, errs.Invalid) {
				t.Errorf("kind %s, want invalid", errs.KindOf(p.Err))
			}
			if p.Where != c.where || !strings.Contains(p.Err.Error(), c.err) {
				t.Errorf("got %s: %q\nwant %s: %q", p.Where, p.Err, c.where, c.err)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	for name, src := range map[string]string{
		"empty file":          "",
		"only blank lines":    "\n\n  \n",
		"only comments":       "// one\n// two\n\n// three\n",
		"only a category":     "$CATEGORY: a/b\n",
		"Windows-1252 text":   "Q1 {=caf\xe9 ~tea}\n",
		"UTF-16 without mark": "Q\x00 \x00{\x00}\x00",
	} {
		t.Run(name, func(t *testing.T) {
			n := 0
			err := gift.Read(strings.NewReader(src), gift.Options{}, func(assess.Parsed) error { n++; return nil })
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v, want an invalid error", err)
			}
			if n != 0 {
				t.Errorf("%d items handed over", n)
			}
		})
	}
	err := gift.Read(strings.NewReader("Q {=a ~b}\n\nQ {=caf\xe9 ~b}"), gift.Options{}, func(assess.Parsed) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "the file is not UTF-8 text: line 3, byte 8 is 0xE9") {
		t.Errorf("got %v", err)
	}
}

func TestBadItemDoesNotStopTheRest(t *testing.T) {
	src := "Q1 {=a ~b}\n\nQ2 {=a ~b\n\n// comment\nQ3 {#5..1}\n\nQ4 {T}\n\nQ5 description\n\nQ6 {}\n"
	got, err := readAll(t, src, gift.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		where string
		ok    bool
	}{{"line 1", true}, {"line 3", false}, {"line 6", false}, {"line 8", true}, {"line 10", false}, {"line 12", true}}
	if len(got) != len(want) {
		t.Fatalf("got %d parsed, want %d", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		if p.Where != w.where || (p.Err == nil) != w.ok || (p.Item != nil) != w.ok {
			t.Errorf("question %d: got %s item=%v err=%v; want %s ok=%v", i+1, p.Where, p.Item != nil, p.Err, w.where, w.ok)
		}
	}
}

func TestWeightLikeTextIsText(t *testing.T) {
	// As in Moodle, only %number% is a weight; other text starting with % is text.
	got, err := readAll(t, "Q {=%abc% ~b}", gift.Options{})
	if err != nil || got[0].Err != nil || got[0].Item.Text["en"].Choices["A"] != "%abc%" {
		t.Errorf("got %v %+v", err, got)
	}
}

func TestOversizedQuestionIsReported(t *testing.T) {
	src := strings.Repeat(strings.Repeat("x", 1000)+"\n", 1100) + "{}\n\nQ2 {T}\n"
	got, err := readAll(t, src, gift.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "line 1: the question is over 1048576 bytes; is a blank line missing between questions?") || got[1].Err != nil {
		t.Errorf("got %+v", got)
	}
}

func TestOptions(t *testing.T) {
	got, err := readAll(t, "प्रश्न {=क ~ख}", gift.Options{Lang: "hi", Marks: 4})
	if err != nil || got[0].Err != nil {
		t.Fatal(err, got[0].Err)
	}
	it := got[0].Item
	if it.Scoring.Marks != 4 || it.Text["hi"].Stem != "प्रश्न" {
		t.Errorf("got %s", js(it))
	}
}

func TestFnErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := gift.Read(strings.NewReader("Q {T}\n\nQ {F}"), gift.Options{}, func(assess.Parsed) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("got %v after %d", err, n)
	}
}

// roundTripItems has one item of every type GIFT can express.
func roundTripItems() []*assess.Item {
	mk := func(typ assess.ItemType, t assess.Text) *assess.Item {
		return &assess.Item{Type: typ, Status: assess.Draft, Text: map[string]assess.Text{"en": t}, Scoring: assess.Scoring{Marks: 2}, Tags: assess.Tags{Topic: "maths/algebra"}}
	}
	sc := mk(assess.SingleChoice, assess.Text{Stem: "Solve $x^{2} = 4$ for x > 0: {tricky} #1 ~ a\\b\nsecond line", Choices: map[string]string{"A": "2", "B": "-2", "C": "x = 4: none"}, Feedback: map[string]string{"B": "x > 0 #rule"}, Explanation: "√4 = 2"})
	sc.Choices, sc.Key.Choices, sc.Title = choices("A", "B", "C"), []string{"A"}, "algebra: one"
	scw := mk(assess.SingleChoice, assess.Text{Stem: "Best?", Choices: map[string]string{"A": "best", "B": "good", "C": "bad"}})
	scw.Choices, scw.Key.Choices = choices("A", "B", "C"), []string{"A"}
	scw.Scoring.Weights = map[string]float64{"A": 2, "B": 0.666667, "C": -0.5}
	mr := mk(assess.MultipleResponse, assess.Text{Stem: "Which are even?", Choices: map[string]string{"A": "2", "B": "3", "C": "4"}})
	mr.Choices, mr.Key.Choices = choices("A", "B", "C"), []string{"A", "C"}
	mrAll := mk(assess.MultipleResponse, assess.Text{Stem: "All of them", Choices: map[string]string{"A": "x", "B": "y"}})
	mrAll.Choices, mrAll.Key.Choices = choices("A", "B"), []string{"A", "B"}
	mrw := mk(assess.MultipleResponse, assess.Text{Stem: "Primes?", Choices: map[string]string{"A": "2", "B": "3", "C": "4", "D": "5"}})
	mrw.Choices, mrw.Key.Choices = choices("A", "B", "C", "D"), []string{"A", "B", "D"}
	mrw.Scoring.Weights = map[string]float64{"A": 0.666667, "B": 0.666667, "C": -2, "D": 0.666666}
	tf := mk(assess.TrueFalse, assess.Text{Stem: "2 is prime.", Feedback: map[string]string{"true": "Yes.", "false": "It is: {2}."}})
	tf.Choices, tf.Key.Choices = choices("true", "false"), []string{"true"}
	tf2 := mk(assess.TrueFalse, assess.Text{Stem: "1 is prime.", Feedback: map[string]string{"false": "Right"}})
	tf2.Choices, tf2.Key.Choices = choices("true", "false"), []string{"false"}
	num := mk(assess.Numeric, assess.Text{Stem: "π?", Explanation: "about 3.14159"})
	num.Key.Numeric = &assess.NumericKey{Value: 3.14159, Tolerance: 0.001}
	num0 := mk(assess.Numeric, assess.Text{Stem: "Negative?"})
	num0.Key.Numeric = &assess.NumericKey{Value: -1e-7}
	rng := mk(assess.Numeric, assess.Text{Stem: "Between"})
	rng.Key.Numeric = &assess.NumericKey{Range: true, Min: -5.5, Max: 1e6}
	st := mk(assess.ShortText, assess.Text{Stem: "Capital of India?", Explanation: "New Delhi: since 1931"})
	st.Key.Text = &assess.TextKey{Accepted: []string{"New Delhi", "Delhi = capital", "T"}}
	mt := mk(assess.Matching, assess.Text{Stem: "Match", Left: map[string]string{"A": "Cat", "B": "Dog", "C": "Crow"}, Right: map[string]string{"1": "mammal", "2": "bird", "3": "fish: none"}})
	mt.Left, mt.Right, mt.Key.Pairs, mt.Scoring.Partial = []string{"A", "B", "C"}, []string{"1", "2", "3"}, map[string]string{"A": "1", "B": "1", "C": "2"}, true
	es := mk(assess.Essay, assess.Text{Stem: "Discuss.\n\nIn two paragraphs.", Explanation: "Model answer"})
	es2 := mk(assess.Essay, assess.Text{Stem: "Discuss again."})
	es2.Tags.Topic = ""
	return []*assess.Item{sc, scw, mr, mrAll, mrw, tf, tf2, num, num0, rng, st, mt, es, es2}
}

func TestRoundTrip(t *testing.T) {
	items := roundTripItems()
	var buf bytes.Buffer
	if err := gift.Write(&buf, items, "en"); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, buf.String(), gift.Options{Marks: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) {
		t.Fatalf("got %d items back, want %d\n%s", len(got), len(items), buf.String())
	}
	for i, it := range items {
		if err := it.Validate(); err != nil {
			t.Fatalf("test item %d is not valid: %v", i, err)
		}
		p := got[i]
		if p.Err != nil {
			t.Errorf("item %d (%s): %v\n%s", i, it.Type, p.Err, buf.String())
			continue
		}
		if p.Item.Hash() != it.Hash() || p.Item.Tags.Topic != it.Tags.Topic || p.Item.Title != it.Title {
			t.Errorf("item %d (%s) changed:\n got %s\nwant %s", i, it.Type, js(p.Item), js(it))
		}
	}
	if t.Failed() {
		t.Log(buf.String())
	}
}

func TestWriteRefusesOrdering(t *testing.T) {
	it := &assess.Item{Type: assess.Ordering, Text: map[string]assess.Text{"en": {Stem: "Order", Choices: map[string]string{"A": "1", "B": "2"}}}, Choices: choices("A", "B"), Key: assess.Key{Choices: []string{"B", "A"}}, Scoring: assess.Scoring{Marks: 1}}
	var buf bytes.Buffer
	err := gift.Write(&buf, []*assess.Item{it}, "en")
	if !errs.Is(err, errs.Unsupported) || !strings.Contains(err.Error(), "GIFT has no ordering questions") || buf.Len() != 0 {
		t.Errorf("got %v, wrote %q", err, buf.String())
	}
}

func TestWriteNotesWhatGIFTCannotHold(t *testing.T) {
	it := roundTripItems()[0]
	it.Scoring.Penalty = 0.5
	it.Text["hi"] = assess.Text{Stem: "हिंदी", Choices: map[string]string{"A": "क", "B": "ख", "C": "ग"}}
	var buf bytes.Buffer
	if err := gift.Write(&buf, []*assess.Item{it}, "en"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"// not in GIFT: penalty 0.5 for a wrong answer\n", "// not in GIFT: the text in hi\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("missing %q in\n%s", want, buf.String())
		}
	}
	if _, err := readAll(t, buf.String(), gift.Options{}); err != nil {
		t.Error(err)
	}
}

func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile("testdata/sample.gift"); err == nil {
		f.Add(string(b))
	}
	var buf bytes.Buffer
	_ = gift.Write(&buf, roundTripItems(), "en")
	f.Add(buf.String())
	for _, s := range []string{"", "Q {=a ~b}", "::t::Q{#1..2}", "Q {#=1:1 =%50%2:3}", "Q{=a->b =c->d}", "Q {T#a#b}", "$CATEGORY: x\nQ{}", "Q{\\", "::", "Q {=%", "{#\n=", "Q {~%-100%a =b####g}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_ = gift.Read(strings.NewReader(src), gift.Options{}, func(p assess.Parsed) error {
			if (p.Item == nil) == (p.Err == nil) {
				t.Fatalf("item xor error: %+v", p)
			}
			if p.Where == "" {
				t.Fatalf("no where: %+v", p)
			}
			if p.Item != nil {
				if err := p.Item.Validate(); err != nil {
					t.Fatalf("item does not validate: %v", err)
				}
				// What was read can be written and read again.
				var buf bytes.Buffer
				if err := gift.Write(&buf, []*assess.Item{p.Item}, "en"); err != nil {
					return nil
				}
				again, err := readAll(t, buf.String(), gift.Options{})
				if err != nil || len(again) != 1 || again[0].Err != nil {
					t.Fatalf("written item does not read back: %v %+v\n%s", err, again, buf.String())
				}
			}
			return nil
		})
	})
}

func genGIFT(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "::Q%d:: What is %d + %d? {=%d ~%d#no ~%d}\n\n", i, i, i, 2*i, 2*i+1, 2*i-1)
		case 1:
			fmt.Fprintf(&b, "// comment %d\n::Q%d:: Is %d even? {%s}\n\n", i, i, i, map[bool]string{true: "T", false: "F"}[i%2 == 0])
		case 2:
			fmt.Fprintf(&b, "::Q%d:: Half of %d? {#%d:0.5}\n\n", i, 2*i, i)
		case 3:
			fmt.Fprintf(&b, "::Q%d:: Which are odd? {~%%50%%1 ~%%50%%3 ~%%-100%%4}\n\n", i)
		}
	}
	return b.Bytes()
}

func benchRead(b *testing.B, n int) {
	data := genGIFT(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		count := 0
		err := gift.Read(bytes.NewReader(data), gift.Options{}, func(p assess.Parsed) error {
			if p.Err != nil {
				return p.Err
			}
			count++
			return nil
		})
		if err != nil || count != n {
			b.Fatal(err, count)
		}
	}
	b.StopTimer()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	_ = gift.Read(bytes.NewReader(data), gift.Options{}, func(assess.Parsed) error { return nil })
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n), "B/item")
}

// BenchmarkRead10000 reads a 10,000-question file; allocated bytes per item
// (B/item) should match BenchmarkRead100000's: memory does not grow with
// the file.
func BenchmarkRead10000(b *testing.B)  { benchRead(b, 10_000) }
func BenchmarkRead100000(b *testing.B) { benchRead(b, 100_000) }
