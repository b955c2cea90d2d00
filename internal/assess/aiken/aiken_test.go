package aiken_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/aiken"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func readAll(t testing.TB, src string) ([]assess.Parsed, error) {
	t.Helper()
	var out []assess.Parsed
	err := aiken.Read(strings.NewReader(src), aiken.Options{}, func(p assess.Parsed) error {
		out = append(out, p)
		return nil
	})
	return out, err
}

func sc(stem string, key string, opts ...string) *assess.Item {
	it := &assess.Item{Type: assess.SingleChoice, Status: assess.Draft, Scoring: assess.Scoring{Marks: 1}, Key: assess.Key{Choices: []string{key}}}
	t := assess.Text{Stem: stem, Choices: map[string]string{}}
	for i, o := range opts {
		id := string(rune('A' + i))
		it.Choices = append(it.Choices, assess.Choice{ID: id})
		t.Choices[id] = o
	}
	it.Text = map[string]assess.Text{"en": t}
	return it
}

func TestReadSample(t *testing.T) {
	f, err := os.Open("testdata/sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []assess.Parsed
	if err := aiken.Read(f, aiken.Options{}, func(p assess.Parsed) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		where string
		item  *assess.Item
	}{
		{"line 1", sc("What is the SI unit of force?", "B", "Joule", "Newton", "Watt", "Pascal")},
		{"line 7", sc("Which river is the longest in India?\nIt flows through several states.", "A", "Ganga", "Godavari", "Yamuna")},
		{"line 14", sc("Who was the first Prime Minister of India?", "C", "Vallabhbhai Patel", "B. R. Ambedkar", "Jawaharlal Nehru", "Rajendra Prasad")},
		{"line 22", sc("A. This first line looks like an option but is the question: which is a prime?", "B", "4", "7")},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Err != nil || got[i].Where != w.where || !reflect.DeepEqual(got[i].Item, w.item) {
			g, _ := json.Marshal(got[i].Item)
			e, _ := json.Marshal(w.item)
			t.Errorf("question %d: %s %v\n got %s\nwant %s %s", i+1, got[i].Where, got[i].Err, g, w.where, e)
		}
	}
}

func TestReadErrors(t *testing.T) {
	cases := []struct{ name, src, where, err string }{
		{"answer missing at the end", "Q?\nA) x\nB) y\n", "line 1", "question 1 (line 3): no ANSWER: line at the end of the file"},
		{"answer missing before the next question", "Q1?\nA) x\nB) y\nQ2?\nA) x\nB) y\nANSWER: A", "line 1", "question 1 (line 3): no ANSWER: line after the options"},
		{"answer names a missing option", "Q1?\nA) x\nB) y\nANSWER: A\n\nQ2?\nA) x\nB) y\nC) z\nD) w\nANSWER: F\n", "line 6", "question 2 (line 11): ANSWER: names F, which is not an option (the options are A–D)"},
		{"answer is not a letter", "Q?\nA) x\nB) y\nANSWER: 2", "line 1", `question 1 (line 4): ANSWER: "2" is not one option letter`},
		{"several answers", "Q?\nA) x\nB) y\nANSWER: A, B", "line 1", `ANSWER: "A, B" is not one option letter`},
		{"one option", "Q?\nA) x\nANSWER: A", "line 1", "question 1 (line 3): 1 option(s); a question needs at least 2"},
		{"no options", "Q?\nANSWER: A", "line 1", "question 1 (line 2): 0 option(s)"},
		{"letters out of sequence", "Q?\nA) x\nC) y\nANSWER: A", "line 1", "question 1 (line 3): option C is out of sequence; expected B"},
		{"letters not from A", "Q?\nB) x\nC) y\nANSWER: B", "line 1", "question 1 (line 2): option B is out of sequence; expected A"},
		{"empty option", "Q?\nA) x\nB)\nANSWER: A", "line 1", "question 1 (line 3): option B is empty"},
		{"answer without question", "ANSWER: A\n", "line 1", "question 1 (line 1): ANSWER: without a question before it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAll(t, c.src)
			if err != nil {
				t.Fatal(err)
			}
			p := got[0]
			for _, q := range got {
				if q.Err != nil {
					p = q
					break
				}
			}
			if p.Err == nil || p.Item != nil || !errs.Is(p.Err, errs.Invalid) {
				t.Fatalf("got item %v err %v", p.Item, p.Err)
			}
			if p.Where != c.where || !strings.Contains(p.Err.Error(), c.err) {
				t.Errorf("got %s: %q\nwant %s: %q", p.Where, p.Err, c.where, c.err)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	for name, src := range map[string]string{
		"empty file":        "",
		"only blank lines":  "\n\n\n",
		"Windows-1252 text": "Caf\xe9?\nA) x\nB) y\nANSWER: A\n",
	} {
		t.Run(name, func(t *testing.T) {
			err := aiken.Read(strings.NewReader(src), aiken.Options{}, func(assess.Parsed) error { return nil })
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("got %v, want an invalid error", err)
			}
		})
	}
}

func TestBadItemDoesNotStopTheRest(t *testing.T) {
	src := "Q1?\nA) x\nB) y\nANSWER: A\nQ2?\nA) x\nC) y\nANSWER: A\nQ3?\nA) x\nB) y\nQ4?\nA) x\nB) y\nANSWER: B\n"
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		where string
		ok    bool
	}{{"line 1", true}, {"line 5", false}, {"line 9", false}, {"line 12", true}}
	if len(got) != len(want) {
		t.Fatalf("got %d parsed, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Where != w.where || (got[i].Item != nil) != w.ok || (got[i].Err == nil) != w.ok {
			t.Errorf("question %d: %s %v %v", i+1, got[i].Where, got[i].Item != nil, got[i].Err)
		}
	}
}

func TestUTF16WithBOM(t *testing.T) {
	b, err := os.ReadFile("testdata/sample-utf16le.txt")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = aiken.Read(bytes.NewReader(b), aiken.Options{Lang: "hi"}, func(p assess.Parsed) error {
		if p.Err != nil {
			return p.Err
		}
		n++
		if p.Item.Text["hi"].Stem != "भारत की राजधानी क्या है?" {
			t.Errorf("stem %q", p.Item.Text["hi"].Stem)
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("got %v, %d items", err, n)
	}
}

func FuzzRead(f *testing.F) {
	if b, err := os.ReadFile("testdata/sample.txt"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{"", "Q\nA) x\nB) y\nANSWER: A", "ANSWER:", "A)\nB.\nANSWER: Z", "Q\nA. x\nB. \nANSWER: b\n\n\nx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_ = aiken.Read(strings.NewReader(src), aiken.Options{}, func(p assess.Parsed) error {
			if (p.Item == nil) == (p.Err == nil) || p.Where == "" {
				t.Fatalf("bad parsed: %+v", p)
			}
			if p.Item != nil {
				if err := p.Item.Validate(); err != nil {
					t.Fatalf("item does not validate: %v", err)
				}
			}
			return nil
		})
	})
}

func BenchmarkRead10000(b *testing.B) {
	var buf bytes.Buffer
	for i := range 10_000 {
		fmt.Fprintf(&buf, "What is %d + %d?\nA) %d\nB) %d\nC) %d\nD) %d\nANSWER: B\n\n", i, i, i, 2*i, 3*i, 4*i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := aiken.Read(bytes.NewReader(data), aiken.Options{}, func(p assess.Parsed) error { n++; return p.Err }); err != nil || n != 10_000 {
			b.Fatal(err, n)
		}
	}
	b.ReportMetric(10_000*float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
