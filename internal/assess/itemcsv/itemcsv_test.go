package itemcsv_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/itemcsv"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func readAll(t testing.TB, src string) ([]assess.Parsed, error) {
	t.Helper()
	var out []assess.Parsed
	err := itemcsv.Read(strings.NewReader(src), itemcsv.Options{}, func(p assess.Parsed) error {
		out = append(out, p)
		return nil
	})
	return out, err
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func choices(ids ...string) []assess.Choice {
	var c []assess.Choice
	for _, id := range ids {
		c = append(c, assess.Choice{ID: id})
	}
	return c
}

// sampleItems are the items of testdata/sample.csv.
func sampleItems() []*assess.Item {
	mk := func(ref string, typ assess.ItemType, marks, penalty float64, tags assess.Tags, text map[string]assess.Text) *assess.Item {
		return &assess.Item{Ref: ref, Type: typ, Status: assess.Draft, Text: text, Scoring: assess.Scoring{Marks: marks, Penalty: penalty}, Tags: tags}
	}
	phy1 := mk("PHY-001", assess.SingleChoice, 4, 1, assess.Tags{Topic: "physics/mechanics", Difficulty: "easy", Bloom: "remember", Source: "NEET 2023 Q17", Labels: []string{"units", "si"}}, map[string]assess.Text{
		"en": {Stem: "What is the SI unit of force?", Choices: map[string]string{"A": "Joule", "B": "Newton", "C": "Watt", "D": "Pascal"}, Explanation: "Force = mass × acceleration, measured in newtons."},
		"hi": {Stem: "बल का SI मात्रक क्या है?", Choices: map[string]string{"A": "जूल", "B": "न्यूटन", "C": "वाट", "D": "पास्कल"}, Explanation: "बल = द्रव्यमान × त्वरण।"},
	})
	phy1.Choices, phy1.Key.Choices = choices("A", "B", "C", "D"), []string{"B"}
	phy2 := mk("PHY-002", assess.MultipleResponse, 4, 2, assess.Tags{Topic: "physics/mechanics", Difficulty: "medium", Bloom: "understand"}, map[string]assess.Text{
		"en": {Stem: "Which of these are vector quantities?", Choices: map[string]string{"A": "Velocity", "B": "Speed", "C": "Force", "D": "Mass"}},
		"hi": {Stem: "इनमें से कौन सी सदिश राशियाँ हैं?", Choices: map[string]string{"A": "वेग", "B": "चाल", "C": "बल", "D": "द्रव्यमान"}},
	})
	phy2.Choices, phy2.Key.Choices = choices("A", "B", "C", "D"), []string{"A", "C"}
	geo := mk("GEO-001", assess.TrueFalse, 1, 0, assess.Tags{Topic: "geography/india", Difficulty: "easy"}, map[string]assess.Text{
		"en": {Stem: "The Ganga flows into the Bay of Bengal."},
		"hi": {Stem: "गंगा बंगाल की खाड़ी में गिरती है।"},
	})
	geo.Choices, geo.Key.Choices = choices("true", "false"), []string{"true"}
	mat1 := mk("MAT-001", assess.Numeric, 2, 0, assess.Tags{Topic: "maths/geometry", Difficulty: "medium", Bloom: "apply"}, map[string]assess.Text{"en": {Stem: "What is the value of π to two decimal places?"}})
	mat1.Key.Numeric = &assess.NumericKey{Value: 3.14, Tolerance: 0.005}
	mat2 := mk("MAT-002", assess.Numeric, 1, 0, assess.Tags{Topic: "maths"}, map[string]assess.Text{"en": {Stem: "Give any whole number between 1 and 5."}})
	mat2.Key.Numeric = &assess.NumericKey{Range: true, Min: 1, Max: 5}
	gen := mk("GEN-001", assess.ShortText, 1, 0, assess.Tags{Topic: "general"}, map[string]assess.Text{
		"en": {Stem: "Who wrote the national anthem of India?"},
		"hi": {Stem: "भारत का राष्ट्रगान किसने लिखा?"},
	})
	gen.Key.Text = &assess.TextKey{Accepted: []string{"Rabindranath Tagore", "Tagore"}}
	his1 := mk("HIS-001", assess.Essay, 10, 0, assess.Tags{Topic: "history/modern", Difficulty: "hard", Bloom: "analyse", Labels: []string{"essay", "long"}}, map[string]assess.Text{
		"en": {Stem: "Describe the causes of the 1857 uprising.\nWrite about 200 words.", Explanation: "Cover economic, military and social causes."},
	})
	his2 := mk("HIS-002", assess.Ordering, 2, 0, assess.Tags{Topic: "history/modern", Difficulty: "medium"}, map[string]assess.Text{
		"en": {Stem: "Put these events in order.", Choices: map[string]string{"A": "Battle of Plassey", "B": "Battle of Buxar", "C": "First War of Independence", "D": "Partition of Bengal"}},
	})
	his2.Choices, his2.Key.Choices = choices("A", "B", "C", "D"), []string{"A", "B", "C", "D"}
	return []*assess.Item{phy1, phy2, geo, mat1, mat2, gen, his1, his2}
}

func TestReadSample(t *testing.T) {
	wheres := []string{"row 2", "row 3", "row 4", "row 5", "row 6", "row 7", "row 9", "row 10"}
	// The same bank saved as UTF-8, UTF-8 with a byte-order mark, and
	// Excel's UTF-16 "Unicode text" in both byte orders.
	for _, file := range []string{"sample.csv", "sample-bom.csv", "sample-utf16le.txt", "sample-utf16be.txt"} {
		t.Run(file, func(t *testing.T) {
			f, err := os.Open("testdata/" + file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var got []assess.Parsed
			if err := itemcsv.Read(f, itemcsv.Options{}, func(p assess.Parsed) error { got = append(got, p); return nil }); err != nil {
				t.Fatal(err)
			}
			want := sampleItems()
			if len(got) != len(want) {
				t.Fatalf("got %d, want %d", len(got), len(want))
			}
			for i, w := range want {
				p := got[i]
				if p.Err != nil || p.Where != wheres[i] || p.Ref != w.Ref || !reflect.DeepEqual(p.Item, w) {
					t.Errorf("row %d: %s ref %q err %v\n got %s\nwant %s", i, p.Where, p.Ref, p.Err, js(p.Item), js(w))
				}
			}
		})
	}
}

func TestReadRowErrors(t *testing.T) {
	const h = "type,stem_en,stem_hi,option_a_en,option_b_en,option_c_en,option_d_en,option_a_hi,option_b_hi,correct,tolerance,marks,negative_marks,difficulty,bloom,shuffle\n"
	cases := []struct{ name, row, err string }{
		{"option out of range", "single_choice,Q,,a,b,c,d,,,E,,,,,,", "row 2: column correct names option E, but only A–D are given"},
		{"two letters for single choice", "single_choice,Q,,a,b,,,,,\"A,B\",,,,,,", "row 2: column correct gives 2 options (A, B), but a single_choice question has one; use type multiple_response"},
		{"bad letter", "multiple_response,Q,,a,b,,,,,A+B,,,,,,", `row 2: column correct must give option letters like B or A,C; "A+B" is not one`},
		{"letter twice", "multiple_response,Q,,a,b,,,,,\"A,A\",,,,,,", "row 2: column correct names option A twice"},
		{"gap in options", "single_choice,Q,,a,,c,,,,A,,,,,,", "row 2: option_b_en is empty, but option_c_en is given"},
		{"languages disagree", "single_choice,Q,प्र,a,b,c,,क,ख,A,,,,,,", "row 2: the en options are A–C but the hi options are A–B"},
		{"hindi options without stem", "single_choice,Q,,a,b,,,क,ख,A,,,,,,", "row 2: option_a_hi is given, but stem_hi is empty"},
		{"no stem", "essay,,,,,,,,,,,,,,,", "row 2: stem_en and stem_hi are empty"},
		{"one option", "single_choice,Q,,a,,,,,,A,,,,,,", "row 2: a single_choice question needs at least 2 options"},
		{"unknown type", "mcq,Q,,a,b,,,,,A,,,,,,", `row 2: type "mcq" is not one of`},
		{"matching", "matching,Q,,a,b,,,,,A,,,,,,", "row 2: type matching has no columns in the CSV layout"},
		{"correct missing", "single_choice,Q,,a,b,,,,,,,,,,,", "row 2: column correct is empty"},
		{"bad numeric", "numeric,Q,,,,,,,,3.1.4,,,,,,", `row 2: column correct "3.1.4" is not a number`},
		{"bad range", "numeric,Q,,,,,,,,5..1,,,,,,", `row 2: the range "5..1" in column correct runs backwards`},
		{"bad tolerance", "numeric,Q,,,,,,,,5,abc,,,,,", `row 2: tolerance "abc" is not a number of 0 or more`},
		{"tolerance on a choice", "single_choice,Q,,a,b,,,,,A,0.1,,,,,", "row 2: tolerance is only for numeric questions"},
		{"options on numeric", "numeric,Q,,a,b,,,,,5,,,,,,", "row 2: a numeric question takes no options, but option_a_en is given"},
		{"bad true/false", "true_false,Q,,,,,,,,yes,,,,,,", `row 2: column correct must be true or false for a true_false question, not "yes"`},
		{"essay with answer", "essay,Q,,,,,,,,something,,,,,,", `row 2: an essay has no correct answer, but column correct says "something"`},
		{"ordering incomplete", "ordering,Q,,a,b,c,,,,\"C,A\",,,,,,", "row 2: column correct must give all 3 options (A–C) in the right order; it gives C, A"},
		{"bad marks", "essay,Q,,,,,,,,,,four,,,,", `row 2: marks "four" is not a number`},
		{"zero marks", "essay,Q,,,,,,,,,,0,,,,", "row 2: marks must be more than 0, not 0"},
		{"bad difficulty", "essay,Q,,,,,,,,,,,,tough,,", `row 2: difficulty "tough" is not easy, medium or hard`},
		{"bad bloom", "essay,Q,,,,,,,,,,,,,know,", `row 2: bloom "know" is not one of remember`},
		{"bad shuffle", "essay,Q,,,,,,,,,,,,,,maybe", `row 2: shuffle must be yes or no, not "maybe"`},
		{"too few cells", "essay,Q", "row 2: has 2 cells, but the header has 16"},
		{"bare quote", "essay,Q \"x\" y,,,,,,,,,,,,,,", `row 2: the cells cannot be read: bare " in non-quoted-field (line 2, column 9 of the file)`},
		{"too long for the model", "essay," + strings.Repeat("x", assess.MaxTextLen+1) + ",,,,,,,,,,,,,,", "row 2: the question is not valid (text.en.stem: is 20001 bytes; at most 20000)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAll(t, h+c.row+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d parsed", len(got))
			}
			p := got[0]
			if p.Item != nil || p.Err == nil || !errs.Is(p.Err, errs.Invalid) {
				t.Fatalf("got item %s err %v", js(p.Item), p.Err)
			}
			if p.Where != "row 2" || !strings.Contains(p.Err.Error(), c.err) {
				t.Errorf("got %s: %q\nwant row 2: %q", p.Where, p.Err, c.err)
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	cases := []struct{ name, src, err string }{
		{"empty file", "", "the file is empty"},
		{"unknown columns", "type,stem_en,optoin_a_en,Stem_TA\n", `the header names columns the layout does not have: "optoin_a_en", "Stem_TA"`},
		{"column twice", "type,stem_en,Stem_EN\n", `the header names a column twice: "Stem_EN"`},
		{"no type", "stem_en,correct\nQ,A\n", "the header has no type column"},
		{"no stem", "type,correct\nessay,\n", "the header has no stem column"},
		{"header only", "type,stem_en\n", "the file has a header but no questions"},
		{"Windows-1252", "type,stem_en\nessay,Caf\xe9?\n", "the file is not UTF-8 text: line 2, byte 10 is 0xE9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			err := itemcsv.Read(strings.NewReader(c.src), itemcsv.Options{}, func(assess.Parsed) error { n++; return nil })
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("got %v\nwant %q", err, c.err)
			}
		})
	}
	f, err := os.Open("testdata/windows-1252.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []assess.Parsed
	err = itemcsv.Read(f, itemcsv.Options{}, func(p assess.Parsed) error { got = append(got, p); return nil })
	const want = "the file is not UTF-8 text: line 3, byte 38 is 0xE9 — save it as UTF-8"
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), want) {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestBadRowDoesNotStopTheRest(t *testing.T) {
	src := "id,type,stem_en,option_a_en,option_b_en,correct\n" +
		"a,single_choice,Q1,x,y,A\n" +
		"b,single_choice,Q2,x,y,C\n" +
		"\n" +
		",,,,,\n" +
		"c,single_choice,\"Q3\non two lines\",x,y,B\n" +
		"d,numeric,Q4,,,four\n" +
		"e,essay,Q5,x\n" +
		"f,true_false,Q6,,,false\n"
	got, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		where, ref string
		ok         bool
	}{{"row 2", "a", true}, {"row 3", "b", false}, {"row 6", "c", true}, {"row 7", "d", false}, {"row 8", "", false}, {"row 9", "f", true}}
	if len(got) != len(want) {
		t.Fatalf("got %d parsed, want %d", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		if p.Where != w.where || p.Ref != w.ref || (p.Item != nil) != w.ok || (p.Err == nil) != w.ok {
			t.Errorf("%d: got %s %q item=%v err=%v; want %+v", i, p.Where, p.Ref, p.Item != nil, p.Err, w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	items := sampleItems()
	sh := *items[0]
	sh.Shuffle, sh.Ref, sh.Title = true, "", "with, comma \"quoted\""
	items = append(items, &sh)
	var buf bytes.Buffer
	if err := itemcsv.Write(&buf, items); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, buf.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) {
		t.Fatalf("got %d, want %d", len(got), len(items))
	}
	for i, it := range items {
		p := got[i]
		if p.Err != nil {
			t.Errorf("%d: %v", i, p.Err)
			continue
		}
		if p.Item.Hash() != it.Hash() || !reflect.DeepEqual(p.Item, it) {
			t.Errorf("%d changed:\n got %s\nwant %s", i, js(p.Item), js(it))
		}
	}
	header, _, _ := strings.Cut(buf.String(), "\n")
	const wantHeader = "id,title,type,stem_en,stem_hi,option_a_en,option_b_en,option_c_en,option_d_en,option_a_hi,option_b_hi,option_c_hi,option_d_hi,correct,tolerance,marks,negative_marks,explanation_en,explanation_hi,topic,difficulty,bloom,source,labels,shuffle"
	if header != wantHeader {
		t.Errorf("header\n got %s\nwant %s", header, wantHeader)
	}
}

func TestWriteRefuses(t *testing.T) {
	mt := &assess.Item{Type: assess.Matching}
	w := sampleItems()[0]
	w.Scoring.Weights = map[string]float64{"A": 1}
	fb := sampleItems()[1]
	fb.Text["en"] = assess.Text{Stem: "x", Feedback: map[string]string{"A": "no"}}
	for name, c := range map[string]struct {
		it  *assess.Item
		err string
	}{
		"matching": {mt, "item 2 of the list: matching questions have no columns in the CSV layout"},
		"weights":  {w, "item 2 of the list: the layout has no columns for weights"},
		"feedback": {fb, "item 2 of the list: the layout has no columns for feedback"},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			err := itemcsv.Write(&buf, []*assess.Item{sampleItems()[0], c.it})
			if !errs.Is(err, errs.Unsupported) || !strings.Contains(err.Error(), c.err) || buf.Len() != 0 {
				t.Errorf("got %v, wrote %d bytes", err, buf.Len())
			}
		})
	}
}

func FuzzRead(f *testing.F) {
	// The UTF-16 sample is left out: with it as a seed the Go fuzzer stalled
	// at 0 execs/s (a stress run of 20,000 mutations of it found no hang).
	for _, name := range []string{"sample.csv", "windows-1252.csv"} {
		if b, err := os.ReadFile("testdata/" + name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{"", "type,stem_en\n", "type,stem_en,correct\nnumeric,Q,1..2\n", "type,stem_hi,option_a_hi,option_b_hi,correct\nordering,प्र,क,ख,\"B,A\"\n", "type,stem_en\n\"essay\n", "\xef\xbb\xbftype,stem_en,,\nessay,Q,,x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		_ = itemcsv.Read(bytes.NewReader(src), itemcsv.Options{}, func(p assess.Parsed) error {
			if (p.Item == nil) == (p.Err == nil) || p.Where == "" {
				t.Fatalf("bad parsed: %+v", p)
			}
			if p.Item != nil {
				if err := p.Item.Validate(); err != nil {
					t.Fatalf("item does not validate: %v", err)
				}
				var buf bytes.Buffer
				if err := itemcsv.Write(&buf, []*assess.Item{p.Item}); err != nil {
					t.Fatalf("read item cannot be written: %v", err)
				}
				again, err := readAll(t, buf.String())
				if err != nil || len(again) != 1 || again[0].Err != nil || again[0].Item.Hash() != p.Item.Hash() {
					t.Fatalf("written item does not read back the same: %v %+v\n%s", err, again, buf.String())
				}
			}
			return nil
		})
	})
}

func genCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id,type,stem_en,stem_hi,option_a_en,option_b_en,option_c_en,option_d_en,option_a_hi,option_b_hi,option_c_hi,option_d_hi,correct,marks,negative_marks,topic,difficulty\n")
	for i := range n {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "Q%d,single_choice,What is %d + %d?,%d + %d क्या है?,%d,%d,%d,%d,%d,%d,%d,%d,B,4,1,maths/arithmetic,easy\n", i, i, i, i, i, i, 2*i, 3*i, 4*i, i, 2*i, 3*i, 4*i)
		case 1:
			fmt.Fprintf(&b, "Q%d,numeric,\"Half of %d, please\",,,,,,,,,,%d,1,,maths,medium\n", i, 2*i, i)
		case 2:
			fmt.Fprintf(&b, "Q%d,true_false,%d is even.,%d सम है।,,,,,,,,,%v,1,,maths,\n", i, i, i, i%2 == 0)
		}
	}
	return b.Bytes()
}

func benchRead(b *testing.B, n int) {
	data := genCSV(n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		err := itemcsv.Read(bytes.NewReader(data), itemcsv.Options{}, func(p assess.Parsed) error {
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
	_ = itemcsv.Read(bytes.NewReader(data), itemcsv.Options{}, func(assess.Parsed) error { return nil })
	runtime.ReadMemStats(&m1)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(m1.TotalAlloc-m0.TotalAlloc)/float64(n), "B/item")
}

// BenchmarkRead10000 reads a 10,000-row bank; B/item should match
// BenchmarkRead100000's: memory does not grow with the file.
func BenchmarkRead10000(b *testing.B)  { benchRead(b, 10_000) }
func BenchmarkRead100000(b *testing.B) { benchRead(b, 100_000) }
