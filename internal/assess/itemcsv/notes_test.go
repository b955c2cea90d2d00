package itemcsv_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/itemcsv"
)

func TestFileNotes(t *testing.T) {
	cases := map[string]string{
		"sample.csv":         "",
		"sample-bom.csv":     "",
		"sample-utf16le.txt": `The file is UTF-16 (little-endian) text, as Excel's "Unicode text" writes it; it was converted to UTF-8.`,
		"sample-utf16be.txt": `The file is UTF-16 (big-endian) text; it was converted to UTF-8.`,
	}
	for file, want := range cases {
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
			var wantFirst []string
			if want != "" {
				wantFirst = []string{want}
			}
			if !slices.Equal(got[0].FileNotes, wantFirst) {
				t.Errorf("first row's file notes %q, want %q", got[0].FileNotes, wantFirst)
			}
			for i, p := range got {
				if i > 0 && p.FileNotes != nil {
					t.Errorf("%s: file notes again: %q", p.Where, p.FileNotes)
				}
				if p.Notes != nil {
					t.Errorf("%s: row notes %q; the layout changes nothing in a row", p.Where, p.Notes)
				}
			}
		})
	}
	t.Run("the first row carries the note even when it is rejected", func(t *testing.T) {
		src := "type,stem_en\nbogus,Q?\nessay,Why?\n"
		u16 := []byte{0xFE, 0xFF}
		for _, r := range src {
			u16 = append(u16, 0, byte(r))
		}
		var got []assess.Parsed
		if err := itemcsv.Read(bytes.NewReader(u16), itemcsv.Options{}, func(p assess.Parsed) error { got = append(got, p); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Err == nil || len(got[0].FileNotes) != 1 || got[1].FileNotes != nil {
			t.Fatalf("got %+v", got)
		}
	})
}

func TestMaxChoicesColumn(t *testing.T) {
	head := "type,stem_en,option_a_en,option_b_en,option_c_en,option_d_en,correct,max_choices\n"
	t.Run("read", func(t *testing.T) {
		got, err := readAll(t, head+"multiple_response,Which?,a,b,c,d,\"A,C\",2\nmultiple_response,Which?,a,b,c,d,A,\n")
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Err != nil || got[0].Item.MaxChoices != 2 {
			t.Errorf("row 2: %v, MaxChoices %v", got[0].Err, got[0].Item)
		}
		if got[1].Err != nil || got[1].Item.MaxChoices != 0 {
			t.Errorf("row 3 (empty cell): %v, %+v", got[1].Err, got[1].Item)
		}
	})
	bad := []struct{ row, want string }{
		{"single_choice,Which?,a,b,c,d,A,1", "row 2: max_choices is only for multiple_response questions"},
		{"multiple_response,Which?,a,b,c,d,A,two", `row 2: max_choices "two" is not a whole number of 0 (no limit) or more`},
		{"multiple_response,Which?,a,b,c,d,A,-1", `row 2: max_choices "-1" is not a whole number of 0 (no limit) or more`},
		{"multiple_response,Which?,a,b,c,d,A,5", "row 2: max_choices is 5, but only 4 options (A–D) are given"},
		{"multiple_response,Which?,a,b,c,d,\"A,B,C\",2", "row 2: max_choices is 2, but column correct gives 3 options (A, B, C), so no one could choose them all"},
	}
	for _, c := range bad {
		t.Run("refuses "+c.row, func(t *testing.T) {
			got, err := readAll(t, head+c.row+"\n")
			if err != nil {
				t.Fatal(err)
			}
			if got[0].Err == nil || got[0].Err.Error() != c.want {
				t.Errorf("err %v, want %q", got[0].Err, c.want)
			}
		})
	}
	t.Run("written and read back", func(t *testing.T) {
		it := &assess.Item{Type: assess.MultipleResponse, Status: assess.Draft, Choices: choices("A", "B", "C"),
			Text:    map[string]assess.Text{"en": {Stem: "Which two?", Choices: map[string]string{"A": "x", "B": "y", "C": "z"}}},
			Key:     assess.Key{Choices: []string{"A", "B"}},
			Scoring: assess.Scoring{Marks: 1}, MaxChoices: 2}
		var buf bytes.Buffer
		if err := itemcsv.Write(&buf, []*assess.Item{it}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "max_choices") {
			t.Fatalf("no max_choices column:\n%s", buf.String())
		}
		got, err := readAll(t, buf.String())
		if err != nil || got[0].Err != nil {
			t.Fatal(err, got[0].Err)
		}
		if got[0].Item.MaxChoices != 2 || got[0].Item.Hash() != it.Hash() {
			t.Errorf("read back %s", js(got[0].Item))
		}
		// Items without a limit need no column.
		it.MaxChoices = 0
		buf.Reset()
		if err := itemcsv.Write(&buf, []*assess.Item{it}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "max_choices") {
			t.Errorf("max_choices column without a limit:\n%s", buf.String())
		}
	})
}
