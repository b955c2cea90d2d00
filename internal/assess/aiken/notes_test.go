package aiken_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/aiken"
)

func TestNoteOnDroppedBlankLines(t *testing.T) {
	const dropped = "blank lines inside the question text were dropped, so its paragraphs run together (Aiken has no paragraphs)"
	cases := []struct {
		name, src string
		notes     [][]string // per question
	}{
		{"one paragraph has no note", "Q1 line one\nline two\nA) x\nB) y\nANSWER: A", [][]string{nil}},
		{"a blank line before the options has no note", "Q1\n\nA) x\nB) y\n\nANSWER: A", [][]string{nil}},
		{"a blank line inside the text is noted", "Read this.\n\nThen answer: which?\nA) x\nB) y\nANSWER: B", [][]string{{dropped}}},
		{"only the question it happened in is noted",
			"Q1\nA) x\nB) y\nANSWER: A\n\nPara one.\n\n\nPara two?\nA) x\nB) y\nANSWER: B\nQ3\nA) x\nB) y\nANSWER: A",
			[][]string{nil, {dropped}, nil}},
		{"a rejected question has no note", "Para one.\n\nPara two?\nA) x\nANSWER: A", [][]string{nil}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAll(t, c.src)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.notes) {
				t.Fatalf("read %d questions, want %d", len(got), len(c.notes))
			}
			for i, p := range got {
				if !slices.Equal(p.Notes, c.notes[i]) {
					t.Errorf("question %d (%s): notes %q, want %q", i+1, p.Where, p.Notes, c.notes[i])
				}
				if p.Item != nil && strings.Contains(p.Item.Text["en"].Stem, "\n\n") {
					t.Errorf("question %d kept a blank line: %q", i+1, p.Item.Text["en"].Stem)
				}
			}
		})
	}
}

func TestFileNoteForUTF16(t *testing.T) {
	b, err := os.ReadFile("testdata/sample-utf16le.txt")
	if err != nil {
		t.Fatal(err)
	}
	var got []assess.Parsed
	if err := aiken.Read(bytes.NewReader(b), aiken.Options{Lang: "hi"}, func(p assess.Parsed) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{`The file is UTF-16 (little-endian) text, as Excel's "Unicode text" writes it; it was converted to UTF-8.`}
	if len(got) == 0 || !slices.Equal(got[0].FileNotes, want) {
		t.Fatalf("file notes %+v, want %q on the first question", got, want)
	}
	for _, p := range got[1:] {
		if p.FileNotes != nil {
			t.Errorf("%s: file notes again: %q", p.Where, p.FileNotes)
		}
	}
	// UTF-8, with or without a byte-order mark, needs no note.
	for _, src := range []string{"Q\nA) x\nB) y\nANSWER: A", "\ufeffQ\nA) x\nB) y\nANSWER: A"} {
		ps, err := readAll(t, src)
		if err != nil || len(ps) != 1 || ps[0].FileNotes != nil {
			t.Errorf("UTF-8 %q: %v, %+v", src[:3], err, ps)
		}
	}
}

func FuzzReadNotes(f *testing.F) {
	for _, s := range []string{"Q\n\nmore\nA) x\nB) y\nANSWER: A", "\n\nQ\nA) x\n\nB) y\nANSWER: A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_ = aiken.Read(strings.NewReader(src), aiken.Options{}, func(p assess.Parsed) error {
			if p.Err != nil && len(p.Notes) > 0 {
				t.Fatalf("a rejected question has notes: %+v", p)
			}
			return nil
		})
	})
}
