package gift_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/gift"
)

// Every change the reader makes to an accepted question is said in a note.
func TestNotesSayWhatWasDropped(t *testing.T) {
	long := strings.Repeat("t", 201)
	cases := []struct {
		name  string
		src   string
		notes []string
	}{
		{"a question read as written has no notes",
			"::Q1:: Capital of India? {=Delhi =New Delhi}", nil},
		{"partial short answers are dropped",
			"Capital of India? {=Delhi =%50%Dilli =%0%Bombay}", []string{
				`answer "Dilli" at 50% is dropped: a short-answer item accepts only answers at 100%`,
				`answer "Bombay" at 0% is dropped: a short-answer item accepts only answers at 100%`,
			}},
		{"feedback of later accepted short answers is dropped",
			"Capital? {=Delhi#Yes =New Delhi#Also}", []string{
				`the feedback on answer "New Delhi" is dropped: only the first accepted answer's feedback is kept, as the explanation`,
			}},
		{"short-answer feedback gives way to general feedback",
			"Capital? {=Delhi#Yes ####Delhi has been the capital since 1911.}", []string{
				`the feedback on answer "Delhi" is dropped: the general feedback (####) is the explanation`,
			}},
		{"feedback of a dropped partial answer is said too",
			"Capital? {=Delhi =%50%Dilli#Close}", []string{
				`answer "Dilli" at 50% is dropped: a short-answer item accepts only answers at 100%`,
				`the feedback on answer "Dilli" is dropped with it`,
			}},
		{"partial and wrong numeric answers are dropped",
			"Pi? {# =3.14:0.01 =%50%3:0.5#Close ~4}", []string{
				`answer 3:0.5 at 50% is dropped: a numeric item keeps only its fully right answer`,
				`the feedback on answer 3:0.5 is dropped with it`,
				`answer 4 at 0% is dropped: a numeric item keeps only its fully right answer`,
			}},
		{"a second fully right numeric answer is dropped",
			"Pi? {# =3.14:0.01 =22/7}", nil}, // 22/7 is not a number: rejected, so no notes
		{"a second fully right number is dropped",
			"Pi? {# =3.14:0.01 =3.1416}", []string{
				`answer 3.1416 is dropped: a numeric item keeps only the first fully right answer`,
			}},
		{"numeric feedback gives way to general feedback",
			"Pi? {#3.14:0.01#Good ####Pi is about 3.14159.}", []string{
				`the feedback on answer 3.14:0.01 is dropped: the general feedback (####) is the explanation`,
			}},
		{"matching pair feedback is ignored",
			"Match. {=Raman -> scattering#Nobel 1930 =Bose -> statistics}", []string{
				`the feedback on pair "Raman" -> "scattering" is ignored, as in Moodle`,
			}},
		{"a rounded weight is said",
			"Which? {~%33.3333333%a ~%33.3333333%b ~%33.3333334%c ~%-100%d}", []string{
				`the weight 33.3333333% of answer A is rounded to 0.333333 marks (6 decimal places)`,
				`the weight 33.3333333% of answer B is rounded to 0.333333 marks (6 decimal places)`,
				`the weight 33.3333334% of answer C is rounded to 0.333333 marks (6 decimal places)`,
			}},
		{"weights that need no rounding are not noted",
			"Which? {~%50%a ~%50%b ~%-100%c}", nil},
		{"plain text is read as Markdown",
			"[plain] 2*3*4 = ? {=24}", []string{
				`the text is marked [plain] but is read as Markdown, so characters such as * _ # and single line breaks may show differently`,
			}},
		{"Moodle auto-format is read as Markdown",
			"[moodle]Line one\nline two {=x}", []string{
				`the text is marked [moodle] but is read as Markdown, so characters such as * _ # and single line breaks may show differently`,
			}},
		{"html and markdown need no note",
			"[html]<b>Bold</b>? {T}\n\n[markdown]**Bold**? {F}", nil},
		{"a title too long for a title is kept as the source id",
			"::" + long + ":: Q? {T}", []string{
				`the title is 201 characters, more than an item's title may have (200); it is kept as the item's source id only`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readAll(t, c.src, gift.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var notes []string
			for _, p := range got {
				if p.Err != nil && len(p.Notes) > 0 {
					t.Errorf("%s: rejected, yet has notes %q", p.Where, p.Notes)
				}
				if len(p.FileNotes) > 0 {
					t.Errorf("%s: file notes %q for UTF-8 text", p.Where, p.FileNotes)
				}
				notes = append(notes, p.Notes...)
			}
			if !slices.Equal(notes, c.notes) {
				t.Errorf("notes:\n got %q\nwant %q", notes, c.notes)
			}
		})
	}
}

func TestFileNoteForUTF16(t *testing.T) {
	src := "Q1? {T}\n\nQ2? {F}\n"
	u16 := []byte{0xFF, 0xFE}
	for _, r := range src {
		u16 = append(u16, byte(r), 0)
	}
	var got []assess.Parsed
	if err := gift.Read(strings.NewReader(string(u16)), gift.Options{}, func(p assess.Parsed) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d questions, want 2", len(got))
	}
	want := []string{`The file is UTF-16 (little-endian) text, as Excel's "Unicode text" writes it; it was converted to UTF-8.`}
	if !slices.Equal(got[0].FileNotes, want) || got[1].FileNotes != nil {
		t.Errorf("file notes: first %q, second %q; want %q once, on the first", got[0].FileNotes, got[1].FileNotes, want)
	}
}

func FuzzReadNotes(f *testing.F) {
	for _, s := range []string{"Q {=a =%50%b}", "Q {#=1 =%50%2#x ~3}", "Q{=a->b#c =d->e}", "[plain] Q {=x}", "Q {~%33.33333%a ~%66.66667%b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_ = gift.Read(strings.NewReader(src), gift.Options{}, func(p assess.Parsed) error {
			if p.Err != nil && len(p.Notes) > 0 {
				t.Fatalf("a rejected question has notes: %+v", p)
			}
			for _, n := range p.Notes {
				if strings.TrimSpace(n) == "" || !utf8.ValidString(n) {
					t.Fatalf("note %q is empty or not text", n)
				}
			}
			return nil
		})
	})
}
