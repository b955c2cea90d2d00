package l10n

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// readCatalogue reads a catalogue file as written, keyed by English format.
func readCatalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("messages", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("messages/%s.json: %v", lang, err)
	}
	return m
}

// catalogueLangs lists the languages with a catalogue file.
func catalogueLangs(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("messages", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		out = append(out, strings.TrimSuffix(filepath.Base(n), ".json"))
	}
	if len(out) == 0 {
		t.Fatal("no catalogues in messages/")
	}
	return out
}

// TestCatalogueComplete fails for every message in the code without a
// translation, every translation whose verbs differ from the English
// format's, and every translation no longer used.
func TestCatalogueComplete(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	found, err := scanMessages(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 100 {
		t.Fatalf("found only %d messages in internal/; is the scanner blind?", len(found))
	}
	msgs := slices.Sorted(func(yield func(string) bool) {
		for m := range found {
			if !yield(m) {
				return
			}
		}
	})
	for _, lang := range catalogueLangs(t) {
		t.Run(lang, func(t *testing.T) {
			cat := readCatalogue(t, lang)
			var missing []string
			for _, m := range msgs {
				if _, ok := cat[m]; !ok {
					rel, _ := filepath.Rel(root, found[m][0])
					missing = append(missing, "\t"+quoteJSON(m)+": \"\",  // "+rel)
				}
			}
			if len(missing) > 0 {
				t.Errorf("%d messages have no %s translation in messages/%s.json:\n%s", len(missing), lang, lang, strings.Join(missing, "\n"))
			}
			for _, en := range slices.Sorted(mapKeys(cat)) {
				if err := SameVerbs(en, cat[en]); err != nil {
					t.Errorf("%s: %s", quoteJSON(en), err)
				}
				if strings.TrimSpace(cat[en]) == "" {
					t.Errorf("%s: the translation is empty", quoteJSON(en))
				}
				if _, ok := found[en]; !ok {
					t.Errorf("%s: no longer used in the code; remove it", quoteJSON(en))
				}
			}
		})
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// quoteJSON writes s as it would appear in a catalogue file.
func quoteJSON(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// sampleArgs fills a format's verbs with values of the right kind.
func sample(t *testing.T, format string, strArg string) string {
	t.Helper()
	ps, err := parseFormat(format)
	if err != nil {
		t.Fatalf("%q: %v", format, err)
	}
	var b strings.Builder
	for _, p := range ps {
		if !p.isVerb {
			b.WriteString(p.text)
			continue
		}
		switch p.verb.letter() {
		case 'd', 'x', 'X', 'b', 'o':
			b.WriteString("7")
		case 'e', 'E', 'f', 'F', 'g', 'G':
			b.WriteString("2.5")
		case 'q':
			b.WriteString(`"पाठ text"`)
		case 't':
			b.WriteString("true")
		case 'c':
			b.WriteString("C")
		default:
			b.WriteString(strArg)
		}
	}
	return b.String()
}

// TestCatalogueRoundTrip translates every English format, filled in, and
// wants its translation filled in the same way; then translates that again
// and wants it unchanged, since pages may pass a message through twice.
func TestCatalogueRoundTrip(t *testing.T) {
	for _, lang := range catalogueLangs(t) {
		cat := readCatalogue(t, lang)
		for _, en := range slices.Sorted(mapKeys(cat)) {
			if SameVerbs(en, cat[en]) != nil {
				continue // reported by TestCatalogueComplete
			}
			// "X9Z" is no message, so it stays itself wherever it lands.
			in, want := sample(t, en, "X9Z"), sampleOrdered(t, cat[en], en, "X9Z")
			if got := Translate(lang, in); got != want {
				t.Errorf("%s: Translate(%q)\n got %q\nwant %q (another entry matched first?)", lang, in, got, want)
			}
			if got := Translate(lang, want); got != want {
				t.Errorf("%s: translating %q again gives %q: an English pattern matches the translation", lang, want, got)
			}
		}
	}
}

// sampleOrdered fills a translation's verbs the way sample fills the
// English ones, following %[n] indexes.
func sampleOrdered(t *testing.T, tr, en, strArg string) string {
	t.Helper()
	tp, _ := parseFormat(tr)
	var b strings.Builder
	for _, p := range tp {
		if !p.isVerb {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(sample(t, "%"+p.verb.spec, strArg))
	}
	return b.String()
}
