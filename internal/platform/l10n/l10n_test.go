package l10n

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// testCatalogue is a small catalogue in a made-up language, so the cases
// below do not move when the Hindi wording does.
func testCatalogue(t testing.TB) *catalogue {
	t.Helper()
	c := newCatalogue(map[string]string{
		"is required":                          "REQUIRED",
		"must be at most %d characters":        "AT MOST %d CHARS",
		"line %d: %s":                          "LINE %d: %s",
		"row %d: %s":                           "ROW %d: %s",
		"question %d (line %d): %s":            "%[3]s (QUESTION %[1]d, LINE %[2]d)",
		"the question is not valid":            "QUESTION NOT VALID",
		"%q is not a number":                   "%q IS NO NUMBER",
		"answer %s at %s%% is dropped":         "ANSWER %s AT %s%% DROPPED",
		"no item %d":                           "NO ITEM %d",
		"no item %d in %s":                     "NO ITEM %d IN %s",
		"item %s: %s":                          "ITEM %s: %s",
		"item %s: %s is missing":               "ITEM %s: %s MISSING",
		"%s has no logo":                       "%s HAS NO LOGO",
		"a %s item":                            "A %s ITEM",
		"weights sum to %.1f":                  "WEIGHTS SUM %.1f",
		"mismatch %d":                          "MISMATCH %s", // broken: verbs differ
		"%s":                                   "%s",          // broken: nothing to translate
		"100% sure":                            "100% SURE",   // broken: a format, and "% s" is a verb
		"100%% sure":                           "100%% SURE",
		"the range %q runs backwards; flip it": "RANGE %q BACKWARDS; FLIP",
	})
	return c
}

func TestTranslatePatterns(t *testing.T) {
	c := testCatalogue(t)
	for _, tc := range []struct{ name, in, want string }{
		{"exact message", "is required", "REQUIRED"},
		{"unknown message stays English", "the moon is made of cheese", "the moon is made of cheese"},
		{"number argument", "must be at most 200 characters", "AT MOST 200 CHARS"},
		{"negative number", "must be at most -3 characters", "AT MOST -3 CHARS"},
		{"not a number where %d stands", "must be at most many characters", "must be at most many characters"},
		{"nested message is translated", "line 12: is required", "LINE 12: REQUIRED"},
		{"nested twice", "line 3: row 4: is required", "LINE 3: ROW 4: REQUIRED"},
		{"unknown nested message stays", "line 3: something odd", "LINE 3: something odd"},
		{"explicit indexes reorder", "question 2 (line 7): is required", "REQUIRED (QUESTION 2, LINE 7)"},
		{"quoted text is not translated", `"is required" is not a number`, `"is required" IS NO NUMBER`},
		{"quoted text with escapes", `"a\"b" is not a number`, `"a\"b" IS NO NUMBER`},
		{"percent signs", "answer 12 at 50% is dropped", "ANSWER 12 AT 50% DROPPED"},
		{"most literal text wins", "no item 4 in Board A", "NO ITEM 4 IN Board A"},
		{"shorter pattern when the longer does not fit", "no item 4", "NO ITEM 4"},
		{"more specific of two string patterns", "item 3: stem is missing", "ITEM 3: stem MISSING"},
		{"leading verb", "HKCL has no logo", "HKCL HAS NO LOGO"},
		{"float verb", "weights sum to 0.5", "WEIGHTS SUM 0.5"},
		{"broken entry is not used", "mismatch 3", "mismatch 3"},
		{"escaped percent in a format", "100% sure", "100% SURE"},
		{"semicolon inside a message", `the range "5..1" runs backwards; flip it`, `RANGE "5..1" BACKWARDS; FLIP`},
		{"fields form", "the question is not valid (stem: is required; text.hi.stem: must be at most 10 characters)",
			"QUESTION NOT VALID (stem: REQUIRED; text.hi.stem: AT MOST 10 CHARS)"},
		{"fields form nested in a pattern", "line 9: the question is not valid (choices[1]: is required)",
			"LINE 9: QUESTION NOT VALID (choices[1]: REQUIRED)"},
		{"fields form with a semicolon in a message", `the question is not valid (key: the range "2..1" runs backwards; flip it; stem: is required)`,
			`QUESTION NOT VALID (key: RANGE "2..1" BACKWARDS; FLIP; stem: REQUIRED)`},
		{"fields form with parentheses in a message", "the question is not valid (key: question 1 (line 2): is required)",
			"QUESTION NOT VALID (key: REQUIRED (QUESTION 1, LINE 2))"},
		{"parentheses that are not fields", "see (this one)", "see (this one)"},
		{"multi-line argument", "line 1: is\nrequired", "LINE 1: is\nrequired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.translate(tc.in, 0); got != tc.want {
				t.Errorf("translate(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestBrokenEntriesAreListed(t *testing.T) {
	c := testCatalogue(t)
	for _, en := range []string{"mismatch %d", "%s", "100% sure"} {
		if c.broken[en] == nil {
			t.Errorf("%q was accepted", en)
		}
	}
	if len(c.broken) != 3 {
		t.Errorf("broken = %v", c.broken)
	}
}

func TestTranslateDepthIsBounded(t *testing.T) {
	c := testCatalogue(t)
	in := strings.Repeat("line 1: ", 50) + "is required"
	got := c.translate(in, 0)
	if !strings.HasPrefix(got, strings.Repeat("LINE 1: ", maxDepth)) || !strings.HasSuffix(got, "is required") {
		t.Errorf("got %q", got)
	}
}

func TestPatternOrderIsDeterministic(t *testing.T) {
	// The same catalogue built many times (map order differs) must
	// translate an ambiguous message the same way each time.
	m := map[string]string{"%s: %s!": "A %s %s", "x%s: %s!": "B %s %s", "%s: y%s!": "C %s %s", "%sx: y%s!": "D %s %s"}
	var first string
	for i := range 50 {
		got := newCatalogue(m).translate("xa: yb!", 0)
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("run %d: %q, first %q", i, got, first)
		}
	}
	// D has the most text but does not fit; B and C fit with as much
	// text, and C's English sorts first.
	if first != "C xa b" {
		t.Errorf("got %q", first)
	}
	if got := newCatalogue(m).translate("x: y!", 0); got != "D  " {
		t.Errorf("got %q; want the pattern with the most text to win", got)
	}
}

func TestTranslateLanguages(t *testing.T) {
	msg := "is required"
	if got := Translate("en", msg); got != msg {
		t.Errorf("en: %q", got)
	}
	if got := Translate("fr", msg); got != msg {
		t.Errorf("unknown language: %q", got)
	}
	if got := Translate("hi", msg); got == msg || !utf8.ValidString(got) {
		t.Errorf("hi: %q", got)
	}
	if got := Translate("hi", "line 4: is required"); !strings.Contains(got, Translate("hi", "is required")) || strings.Contains(got, "line") {
		t.Errorf("hi nested: %q", got)
	}
	if got := Languages(); !slices.Equal(got, []string{"en", "hi"}) {
		t.Errorf("Languages() = %v", got)
	}
}

func TestTranslateLabelled(t *testing.T) {
	req := Translate("hi", "is required")
	for _, tc := range []struct{ in, want string }{
		{"is required", req},                                            // no label
		{"holder.dob: is required", "holder.dob: " + req},               // a field's label stays
		{"pass_mark: scored too low", "pass_mark: scored too low"},      // the authority's own words stay
		{"line 4: is required", Translate("hi", "line 4: is required")}, // a catalogue pattern wins
		{"two words: is required", "two words: is required"},            // not a label
		{": is required", ": is required"},
	} {
		if got := TranslateLabelled("hi", tc.in); got != tc.want {
			t.Errorf("TranslateLabelled(hi, %q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := TranslateLabelled("en", "holder.dob: is required"); got != "holder.dob: is required" {
		t.Errorf("en: %q", got)
	}
}

func TestSameVerbs(t *testing.T) {
	for _, tc := range []struct {
		en, tr string
		ok     bool
	}{
		{"no verbs", "कोई नहीं", true},
		{"%d of %s", "%[2]s में से %[1]d", true},
		{"%d of %s", "%s में से %d", false},
		{"%d of %s", "%d", false},
		{"%d of %s", "%d %s %s", false},
		{"%.1f MiB", "%.1f MiB", true},
		{"%.1f MiB", "%f MiB", false},
		{"%q is bad", "%s is bad", false},
		{"100%% sure", "100%% पक्का", true},
		{"%[2]s %[1]s", "%[2]s %[1]s", true},
		{"%[1]s %[1]s", "%[1]s %[1]s", false},
		{"%d", "%[0]d", false},
		{"%d", "%[x]d", false},
		{"%d", "%", false},
		{"%d", "%[1", false},
	} {
		err := SameVerbs(tc.en, tc.tr)
		if (err == nil) != tc.ok {
			t.Errorf("SameVerbs(%q, %q) = %v, want ok=%v", tc.en, tc.tr, err, tc.ok)
		}
	}
}

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", "en"},
		{"hi", "hi"},
		{"hi-IN", "hi"},
		{"hi-IN,hi;q=0.9,en;q=0.8", "hi"},
		{"en-GB,en;q=0.9,hi;q=0.5", "en"},
		{"fr", "en"},
		{"fr, hi;q=0.5", "hi"},
		{"*", "en"},
		{";;;q=", "en"},
		{"hi;q=0", "en"},
	} {
		if got := Negotiate(tc.header); got != tc.want {
			t.Errorf("Negotiate(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func FuzzTranslate(f *testing.F) {
	for _, s := range []string{"is required", "line 3: is required", "question 2 (line 7): x", "a (b: c; d: e)", "((", "%", "line 1: line 2: (x: y)", "\xff"} {
		f.Add("hi", s)
		f.Add("en", s)
	}
	cs, _ := load()
	for en := range cs["hi"].exact {
		f.Add("hi", "line 2: "+en)
	}
	f.Fuzz(func(t *testing.T, lang, msg string) {
		got := Translate(lang, msg)
		if lang == "en" && got != msg {
			t.Fatalf("en changed %q to %q", msg, got)
		}
		if _, ok := cs[lang]; !ok && got != msg {
			t.Fatalf("%s has no catalogue, yet %q became %q", lang, msg, got)
		}
		if utf8.ValidString(msg) && !utf8.ValidString(got) {
			t.Fatalf("%q became invalid UTF-8 %q", msg, got)
		}
	})
}

// reasons builds n import reasons like the readers write: messages from
// the catalogue, filled in and wrapped in a line number, some with field
// lists, a few unknown.
func reasons(b *testing.B, n int) []string {
	cat := readCatalogue(&testing.T{}, "hi")
	keys := slices.Sorted(mapKeys(cat))
	out := make([]string, n)
	for i := range out {
		en := keys[(i*7919)%len(keys)]
		msg := sampleFill(en)
		switch i % 4 {
		case 0:
			msg = fmt.Sprintf("line %d: %s", i, msg)
		case 1:
			msg = fmt.Sprintf("line %d: the question is not valid (text.en.stem: is required; choices: %s)", i, msg)
		case 2:
			msg = fmt.Sprintf("row %d: something no catalogue has %d", i, i)
		}
		out[i] = msg
	}
	return out
}

// sampleFill fills a format's verbs with plain values.
func sampleFill(format string) string {
	ps, err := parseFormat(format)
	if err != nil {
		return format
	}
	var s strings.Builder
	for _, p := range ps {
		switch {
		case !p.isVerb:
			s.WriteString(p.text)
		case p.verb.letter() == 'q':
			s.WriteString(`"value"`)
		case strings.ContainsRune("dxXbo", rune(p.verb.letter())):
			s.WriteString("42")
		case strings.ContainsRune("eEfFgG", rune(p.verb.letter())):
			s.WriteString("0.5")
		default:
			s.WriteString("value")
		}
	}
	return s.String()
}

// BenchmarkTranslateReport translates a 10,000-line import report's
// reasons into Hindi.
func BenchmarkTranslateReport(b *testing.B) {
	rs := reasons(b, 10000)
	Translate("hi", "warm up")
	b.ResetTimer()
	for b.Loop() {
		for _, r := range rs {
			Translate("hi", r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rs)), "ns/reason")
}
