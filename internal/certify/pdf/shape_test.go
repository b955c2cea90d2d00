package pdf

import (
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/go-text/typesetting/language"
)

var updateHB = flag.Bool("update-hb", false, "regenerate testdata/hbshape.json by running hb-shape")

// hbCase is one line of text shaped by HarfBuzz's own hb-shape.
type hbCase struct {
	Font   string    `json:"font"`
	Script string    `json:"script"`
	Lang   string    `json:"lang"`
	Text   string    `json:"text"`
	Glyphs []hbGlyph `json:"glyphs"`
}

// hbGlyph is hb-shape's JSON output for a glyph: id, cluster (the index
// of a character), offsets and advance in font units.
type hbGlyph struct {
	G  int `json:"g"`
	Cl int `json:"cl"`
	Dx int `json:"dx"`
	Dy int `json:"dy"`
	Ax int `json:"ax"`
}

// hbTexts are hard cases: conjuncts (क्ष, ज्ञ, द्व, ष्ट्र, त्र्य), reph (र्),
// reordered i-matra, vocalic r (कृ, हृ), nukta in both spellings (ज़ as
// ज + ़ and as U+095B), candrabindu, visarga, explicit half forms with ZWJ
// and ZWNJ, and names as they appear on certificates.
var hbTexts = []string{
	"क्षितिज श्रीवास्तव",
	"हर्ष",
	"कृष्णमूर्ति",
	"प्रज्ञा द्विवेदी",
	"\u091c\u093c\u0948\u0928\u092c",
	"\u095b\u0948\u0928\u092c",
	"श्रद्धा रुक्मिणी",
	"पृथ्वीराज अर्जुन",
	"त्र्यंबकेश्वर",
	"हृषिकेश ऋषि",
	"राष्ट्रीय उद्घाटन",
	"विट्ठल स्त्री",
	"झुँझुनूँ दुःख",
	"क\u094d\u200dष क\u094d\u200cष",
	"मुहम्मद फ़ैज़ अंग्रेज़ी",
	"कक्षा 10 – 2025",
}

// hbLatin checks kerning and marks with Noto Sans.
var hbLatin = []string{"AVATAR Wolf Tö", "Kshitij Shrivastava", "Zoë Ağaoğlu"}

// TestShapingMatchesHarfBuzz shapes hard Hindi names (and some Latin) with
// the shipped fonts and compares glyph ids, clusters, advances and offsets
// with HarfBuzz's hb-shape, recorded in testdata/hbshape.json. To record
// again (HarfBuzz's hb-shape from Debian's libharfbuzz-bin must be
// installed):
//
//	go test ./internal/certify/pdf -run TestShapingMatchesHarfBuzz -update-hb
//
// which runs, for each text and font,
//
//	hb-shape --no-glyph-names --direction=ltr --script=deva --language=hi \
//	    --output-format=json fonts/NotoSansDevanagari-Regular.ttf TEXT
//
// (and the Bold font; --script=latn --language=en with Noto Sans for the
// Latin texts).
func TestShapingMatchesHarfBuzz(t *testing.T) {
	golden := filepath.Join("testdata", "hbshape.json")
	if *updateHB {
		recordHarfBuzz(t, golden)
	}
	raw, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	var cases []hbCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 2*len(hbTexts)+len(hbLatin) {
		t.Fatalf("the golden file has %d cases; record it again", len(cases))
	}
	if err := builtinFonts(); err != nil {
		t.Fatal(err)
	}
	fonts := map[string]*fontFile{
		"NotoSansDevanagari-Regular.ttf": builtin.devaReg,
		"NotoSansDevanagari-Bold.ttf":    builtin.devaBold,
		"NotoSans-Regular.ttf":           builtin.sansRegular,
	}
	for _, tc := range cases {
		t.Run(tc.Font+"/"+tc.Text, func(t *testing.T) {
			f := fonts[tc.Font]
			faces := []*fontFile{f}
			fam := &family{faces: []int{0}}
			var out shaped
			newShaper(faces).shape(fam, tc.Text, language.NewLanguage(tc.Lang), &out)
			if len(out.glyphs) != len(tc.Glyphs) {
				t.Fatalf("%d glyphs, HarfBuzz gives %d:\n got %v\nwant %v", len(out.glyphs), len(tc.Glyphs), summary(out.glyphs, f, tc.Text), tc.Glyphs)
			}
			upem := float32(f.upem)
			for i, want := range tc.Glyphs {
				g := out.glyphs[i]
				got := hbGlyph{G: int(g.gid), Cl: utf8.RuneCountInString(tc.Text[:g.cluster]), Dx: round(g.dx * upem), Dy: round(g.dy * upem), Ax: round(g.adv * upem)}
				if got != want {
					t.Errorf("glyph %d = %+v, HarfBuzz gives %+v", i, got, want)
				}
			}
		})
	}
}

func round(v float32) int {
	if v < 0 {
		return -int(-v + 0.5)
	}
	return int(v + 0.5)
}

func summary(gs []sglyph, f *fontFile, text string) []hbGlyph {
	var out []hbGlyph
	for _, g := range gs {
		u := float32(f.upem)
		out = append(out, hbGlyph{G: int(g.gid), Cl: utf8.RuneCountInString(text[:g.cluster]), Dx: round(g.dx * u), Dy: round(g.dy * u), Ax: round(g.adv * u)})
	}
	return out
}

func recordHarfBuzz(t *testing.T, golden string) {
	if _, err := exec.LookPath("hb-shape"); err != nil {
		t.Fatal("hb-shape is not installed (apt-get install libharfbuzz-bin)")
	}
	var cases []hbCase
	run := func(font, script, lang, text string) {
		out, err := exec.Command("hb-shape", "--no-glyph-names", "--direction=ltr", "--script="+script, "--language="+lang,
			"--output-format=json", filepath.Join("fonts", font), text).Output()
		if err != nil {
			t.Fatalf("hb-shape %s %q: %v", font, text, err)
		}
		c := hbCase{Font: font, Script: script, Lang: lang, Text: text}
		if err := json.Unmarshal(out, &c.Glyphs); err != nil {
			t.Fatalf("hb-shape output %q: %v", out, err)
		}
		cases = append(cases, c)
	}
	for _, font := range []string{"NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"} {
		for _, text := range hbTexts {
			run(font, "deva", "hi", text)
		}
	}
	for _, text := range hbLatin {
		run("NotoSans-Regular.ttf", "latn", "en", text)
	}
	raw, err := json.MarshalIndent(cases, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(golden, append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
