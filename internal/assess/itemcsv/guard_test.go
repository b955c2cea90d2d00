package itemcsv_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/itemcsv"
)

// cells reads a CSV into maps of column → raw cell, as a spreadsheet sees
// them.
func cells(t *testing.T, data []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, c := range recs[0] {
			m[c] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func TestFormulaCellsAreGuarded(t *testing.T) {
	items := []*assess.Item{
		{Ref: "=HYPERLINK(\"http://evil.example\")", Type: assess.SingleChoice, Title: "+1 trick", Choices: choices("A", "B", "C", "D"),
			Text: map[string]assess.Text{
				"en": {Stem: "=1+1", Choices: map[string]string{"A": "-2", "B": "@SUM(A1)", "C": "'tis plain", "D": "'=already quoted"}, Explanation: "- a list\n- of points"},
				"hi": {Stem: "'सही' is quoted", Choices: map[string]string{"A": "-२", "B": "@x", "C": "c", "D": "''+two apostrophes"}},
			},
			Key: assess.Key{Choices: []string{"B"}}, Scoring: assess.Scoring{Marks: 4, Penalty: 1},
			Tags: assess.Tags{Topic: "maths", Source: "=cmd|' /C calc'!A0", Labels: []string{"-neg", "ok"}}},
		{Ref: "n1", Type: assess.Numeric, Text: map[string]assess.Text{"en": {Stem: "What is 1 − 4.5?"}},
			Key: assess.Key{Numeric: &assess.NumericKey{Value: -3.5, Tolerance: 0.01}}, Scoring: assess.Scoring{Marks: 2, Penalty: 0.5}},
		{Ref: "n2", Type: assess.Numeric, Text: map[string]assess.Text{"en": {Stem: "Between?"}},
			Key: assess.Key{Numeric: &assess.NumericKey{Range: true, Min: -5, Max: -1}}, Scoring: assess.Scoring{Marks: 1}},
		{Ref: "s1", Type: assess.ShortText, Text: map[string]assess.Text{"en": {Stem: "Type the formula"}},
			Key: assess.Key{Text: &assess.TextKey{Accepted: []string{"=A1*2", "x"}}}, Scoring: assess.Scoring{Marks: 1}},
	}
	for _, it := range items {
		if err := it.Validate(); err != nil {
			t.Fatalf("item %s: %v", it.Ref, err)
		}
	}
	var buf bytes.Buffer
	if err := itemcsv.Write(&buf, items); err != nil {
		t.Fatal(err)
	}
	rows := cells(t, buf.Bytes())

	t.Run("text cells that start like a formula get an apostrophe", func(t *testing.T) {
		for col, want := range map[string]string{
			"id": `'=HYPERLINK("http://evil.example")`, "title": "'+1 trick", "stem_en": "'=1+1", "option_a_en": "'-2", "option_b_en": "'@SUM(A1)",
			"option_c_en": "'tis plain", "option_d_en": "''=already quoted", "explanation_en": "'- a list\n- of points",
			"stem_hi": "'सही' is quoted", "option_a_hi": "'-२", "option_d_hi": "'''+two apostrophes",
			"source": "'=cmd|' /C calc'!A0", "labels": "'-neg;ok", "topic": "maths",
		} {
			if got := rows[0][col]; got != want {
				t.Errorf("%s = %q, want %q", col, got, want)
			}
		}
		if got := rows[3]["correct"]; got != "'=A1*2|x" {
			t.Errorf("short-text answers %q, want guarded", got)
		}
		for i, row := range rows {
			for col, c := range row {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) && !numeric(col, i) {
					t.Errorf("row %d %s = %q still starts like a formula", i, col, c)
				}
			}
		}
	})
	t.Run("numbers stay numbers", func(t *testing.T) {
		for _, c := range []struct {
			row       int
			col, want string
		}{
			{0, "marks", "4"}, {0, "negative_marks", "1"}, {1, "correct", "-3.5"}, {1, "tolerance", "0.01"}, {2, "correct", "-5..-1"},
		} {
			if got := rows[c.row][c.col]; got != c.want {
				t.Errorf("row %d %s = %q, want %q", c.row, c.col, got, c.want)
			}
		}
	})
	t.Run("reading takes the apostrophes off again", func(t *testing.T) {
		got, err := readAll(t, buf.String())
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range got {
			if p.Err != nil {
				t.Fatalf("row %d: %v", i, p.Err)
			}
			want := *items[i]
			want.Status = assess.Draft
			if a, b := js(p.Item), js(&want); a != b {
				t.Errorf("item %d changed:\nwrote %s\nread  %s", i, b, a)
			}
		}
	})
	t.Run("hand-made cells keep their apostrophes", func(t *testing.T) {
		got, err := readAll(t, "type,stem_en,correct,source\nessay,'tis the season,,'Guarded' by nobody\nnumeric,x,'-2,\n")
		if err != nil {
			t.Fatal(err)
		}
		if s := got[0].Item.Text["en"].Stem; s != "'tis the season" || got[0].Item.Tags.Source != "'Guarded' by nobody" {
			t.Errorf("an apostrophe not before a formula start was taken off: %q", s)
		}
		if got[1].Err != nil || got[1].Item.Key.Numeric.Value != -2 {
			t.Errorf("a guarded number from another tool: %v %+v", got[1].Err, got[1].Item)
		}
	})
}

func numeric(col string, row int) bool {
	switch col {
	case "marks", "negative_marks", "tolerance":
		return true
	}
	return col == "correct" && (row == 1 || row == 2)
}

// The guard is undone exactly, whatever the text: what Write writes, Read
// reads back.
func FuzzGuardRoundTrip(f *testing.F) {
	for _, s := range []string{"=1+1", "'=x", "''@y", "'tis", "-", "plain", "'", "+91 98xxxx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stem string) {
		it := &assess.Item{Type: assess.Essay, Text: map[string]assess.Text{"en": {Stem: stem}}, Scoring: assess.Scoring{Marks: 1}}
		it.Normalize()
		if it.Validate() != nil {
			return
		}
		stem = it.Text["en"].Stem
		var buf bytes.Buffer
		if err := itemcsv.Write(&buf, []*assess.Item{it}); err != nil {
			t.Fatal(err)
		}
		cell := cells(t, buf.Bytes())[0]["stem_en"]
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Fatalf("stem %q written as %q, which starts like a formula", stem, cell)
		}
		got, err := readAll(t, buf.String())
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Err != nil {
			return // e.g. text the layout's trimming changes
		}
		if s := got[0].Item.Text["en"].Stem; s != stem {
			t.Fatalf("stem %q read back as %q (cell %q)", stem, s, cell)
		}
	})
}
