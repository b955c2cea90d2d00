package qti

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

type entry struct {
	name string
	data []byte
}

// zipOf builds a zip of the entries, in order.
func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testdataEntry(t testing.TB, name, file string) entry {
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return entry{name, b}
}

// manifest builds an imsmanifest.xml from resource lines.
func manifest(resources ...string) entry {
	return entry{"imsmanifest.xml", []byte(`<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m1">
  <metadata><schema>QTIv2.1 Package</schema><schemaversion>1.0.0</schemaversion></metadata>
  <organizations/>
  <resources>
` + strings.Join(resources, "\n") + `
  </resources>
</manifest>`)}
}

func res(id, typ, href string, files ...string) string {
	s := fmt.Sprintf(`<resource identifier="%s" type="%s" href="%s"><file href="%s"/>`, id, typ, href, href)
	for _, f := range files {
		s += `<file href="` + f + `"/>`
	}
	return s + "</resource>"
}

func readAll(t testing.TB, data []byte, opts Options) ([]assess.Parsed, error) {
	t.Helper()
	var out []assess.Parsed
	err := ReadPackage(bytes.NewReader(data), int64(len(data)), opts, func(p assess.Parsed) error {
		if (p.Item == nil) == (p.Err == nil) {
			t.Errorf("%s: want exactly one of Item and Err, got %v and %v", p.Where, p.Item, p.Err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

func TestReadPackage(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\nnot really a png")
	data := zipOf(t,
		manifest(
			res("R1", "imsqti_item_xmlv2p1", "items/choice.xml", "items/images/apple.png"),
			res("R2", "imsqti_item_xmlv3p0", "items/match.xml"),
			res("IMG", "webcontent", "items/images/apple.png"),
			res("T1", "imsqti_test_xmlv2p1", "tests/test.xml"),
			res("R3", "imsqti_item_xmlv2p1", "q17.xml"),
			res("R4", "imsqti_item_xmlv2p1", "items/q3.xml"),
			res("R5", "imsqti_item_xmlv2p1", "missing.xml"),
			res("R6", "imsqti_item_xmlv2p1", "../../etc/passwd"),
			res("CSS", "webcontent", "style.css"),
		),
		testdataEntry(t, "items/choice.xml", "v21/choice.xml"),
		testdataEntry(t, "items/match.xml", "v30/match.xml"),
		entry{"items/images/apple.png", png},
		entry{"tests/test.xml", []byte(`<assessmentTest xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="t"/>`)},
		testdataEntry(t, "q17.xml", "v21/q17.xml"),
		testdataEntry(t, "items/q3.xml", "v21/q3.xml"),
		entry{"style.css", []byte("p{}")},
		entry{"../../etc/passwd", []byte("root:x:0:0")},
	)
	var media []string
	opts := Options{Media: func(path string, r io.Reader) (string, error) {
		b, err := io.ReadAll(r)
		if err != nil {
			return "", err
		}
		if !bytes.Equal(b, png) {
			t.Errorf("media %s: wrong bytes", path)
		}
		media = append(media, path)
		return "https://media.vidya.example/" + filepath.Base(path), nil
	}}
	got, err := readAll(t, data, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ where, ref, err string }{
		{"zip entry ../../etc/passwd", "", "zip entry ../../etc/passwd: the name is not a safe relative path"},
		{"item items/choice.xml", "neet-phy-017", ""},
		{"item items/match.xml", "mt-4", ""},
		{"test tests/test.xml", "T1", "test tests/test.xml: assessmentTest resources are not imported as items"},
		{"item q17.xml", "q17", "item q17.xml: interaction graphicGapMatchInteraction is not supported"},
		{"item items/q3.xml", "q3", "item items/q3.xml: correctResponse names choice D, which the interaction does not have"},
		{"item missing.xml", "R5", "item missing.xml: file missing.xml listed in the manifest is not in the package"},
		{"resource R6", "R6", `resource R6: href path "../../etc/passwd" points outside the package`},
		{"resource CSS", "CSS", "resource CSS (webcontent, style.css) is not an item and no item uses it"},
	}
	if len(got) != len(want) {
		for _, p := range got {
			t.Logf("%s %s %v", p.Where, p.Ref, p.Err)
		}
		t.Fatalf("got %d Parsed, want %d", len(got), len(want))
	}
	for i, w := range want {
		p := got[i]
		is(t, fmt.Sprintf("%d where", i), p.Where, w.where)
		is(t, fmt.Sprintf("%d ref", i), p.Ref, w.ref)
		switch {
		case w.err == "" && p.Err != nil:
			t.Errorf("%s: unexpected error %v", p.Where, p.Err)
		case w.err != "" && (p.Err == nil || !strings.Contains(p.Err.Error(), w.err)):
			t.Errorf("%s: error %v, want %q", p.Where, p.Err, w.err)
		}
	}
	stem := got[1].Item.Text["en"].Stem
	if !strings.Contains(stem, "![An apple falling](https://media.vidya.example/apple.png)") {
		t.Errorf("image not passed through Options.Media: %q", stem)
	}
	is(t, "media calls", strings.Join(media, ","), "items/images/apple.png")

	t.Run("without Media the package path is kept", func(t *testing.T) {
		got, err := readAll(t, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s := got[1].Item.Text["en"].Stem; !strings.Contains(s, "](items/images/apple.png)") {
			t.Errorf("stem %q", s)
		}
	})
	t.Run("fn's error stops the read", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := ReadPackage(bytes.NewReader(data), int64(len(data)), Options{}, func(assess.Parsed) error { n++; return stop })
		if err != stop || n != 1 {
			t.Fatalf("err %v after %d calls", err, n)
		}
	})
}

func TestReadPackageRefusals(t *testing.T) {
	choice := testdataEntry(t, "q.xml", "v21/choice.xml")
	zeros := func(n int) []byte { return make([]byte, n) }
	tests := []struct {
		name  string
		data  []byte
		whole string // the returned error
		kind  errs.Kind
		item  string // the one Parsed's error
	}{
		{name: "not a zip", data: []byte("PK? this is a Word file, honest"), whole: "the file is not a zip archive", kind: errs.Invalid},
		{name: "no manifest", data: zipOf(t, choice), whole: "the package has no imsmanifest.xml at its top level", kind: errs.Invalid},
		{name: "malformed manifest", data: zipOf(t, entry{"imsmanifest.xml", []byte("<manifest>\n<resources>\n</manifest>")}, choice),
			whole: "imsmanifest.xml is not valid XML: line 3", kind: errs.Invalid},
		{name: "DOCTYPE in the manifest", data: zipOf(t, entry{"imsmanifest.xml", []byte(`<!DOCTYPE m [<!ENTITY a "b">]><manifest/>`)}),
			whole: "DOCTYPE declarations are not allowed", kind: errs.Invalid},
		{name: "missing file", data: zipOf(t, manifest(res("R", "imsqti_item_xmlv2p1", "q.xml", "img/x.png")), choice),
			item: "item q.xml: file img/x.png listed in the manifest is not in the package"},
		{name: "absolute href", data: zipOf(t, manifest(res("R", "imsqti_item_xmlv2p1", "/etc/passwd")), choice),
			item: `resource R: href path "/etc/passwd" is absolute`},
		{name: "backslash href", data: zipOf(t, manifest(res("R", "imsqti_item_xmlv2p1", `..\..\x.xml`)), choice),
			item: `resource R: href path "..\\..\\x.xml" contains a backslash`},
		{name: "image outside the package", data: zipOf(t, manifest(res("R", "imsqti_item_xmlv2p1", "q.xml")),
			entry{"q.xml", []byte(item21(`<p><img src="../../secret.png" alt=""/></p><extendedTextInteraction responseIdentifier="R"/>`, ""))}),
			item: `item q.xml: path "../../secret.png" points outside the package`},
		{name: "zip bomb item", data: zipOf(t, manifest(res("R", "imsqti_item_xmlv2p1", "q.xml")), entry{"q.xml", zeros(100 << 20)}),
			item: "item q.xml: q.xml is 100 MiB uncompressed; at most 2 MiB is allowed"},
		{name: "zip bomb image", data: zipOf(t, manifest(res("R", "imsqti_item_xmlv2p1", "q.xml")),
			entry{"q.xml", []byte(item21(`<p><img src="bomb.png" alt=""/></p><extendedTextInteraction responseIdentifier="R"/>`, ""))},
			entry{"bomb.png", zeros(40 << 20)}),
			item: "bomb.png expands from"},
		{name: "3 MiB item", data: zipOf(t, manifest(res("R", "imsqti_item_xmlv2p1", "q.xml")),
			entry{"q.xml", []byte(item21("<p>"+strings.Repeat("नमस्ते ", 3<<20/19)+"</p><extendedTextInteraction responseIdentifier=\"R\"/>", ""))}),
			item: "item q.xml: q.xml is 3.0 MiB uncompressed; at most 2 MiB is allowed"},
		{name: "package over 500 MiB declared", data: lyingZip(t, 600<<20, 1000), whole: "the package expands to 600.0 MiB; at most 500 MiB is allowed", kind: errs.TooLarge},
		{name: "entry longer than its header says", data: lyingZip(t, 1000, 3000), item: "item q.xml: q.xml cannot be read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			discard := func(_ string, r io.Reader) (string, error) { _, err := io.Copy(io.Discard, r); return "x", err }
			got, err := readAll(t, tc.data, Options{Media: discard})
			if tc.whole != "" {
				if err == nil || !strings.Contains(err.Error(), tc.whole) {
					t.Fatalf("error %v, want %q", err, tc.whole)
				}
				if k := errs.KindOf(err); k != tc.kind {
					t.Errorf("kind %s, want %s", k, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d Parsed, want 1: %+v", len(got), got)
			}
			if got[0].Err == nil || !strings.Contains(got[0].Err.Error(), tc.item) {
				t.Errorf("error %v, want %q", got[0].Err, tc.item)
			}
		})
	}
}

// lyingZip builds a package whose item entry's header declares declared
// bytes while the data holds actual zero bytes.
func lyingZip(t testing.TB, declared, actual uint64) []byte {
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestSpeed)
	fw.Write(make([]byte, actual))
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	m := manifest(res("R", "imsqti_item_xmlv2p1", "q.xml"))
	w, _ := zw.Create(m.name)
	w.Write(m.data)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "q.xml", Method: zip.Deflate,
		CompressedSize64: uint64(raw.Len()), UncompressedSize64: declared})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	zw.Close()
	return buf.Bytes()
}

// sampleItems has an item of every type, with negative marking, weights,
// a bilingual item and Vidya-only settings.
func sampleItems() []*assess.Item {
	f := func(v float64) *float64 { return &v }
	en := func(stem string, choices map[string]string) map[string]assess.Text {
		return map[string]assess.Text{"en": {Stem: stem, Choices: choices}}
	}
	abcd := []assess.Choice{{ID: "A"}, {ID: "B"}, {ID: "C"}, {ID: "D", Fixed: true}}
	return []*assess.Item{
		{ID: 1, Type: assess.SingleChoice, Title: "Bilingual +4/−1", Choices: abcd, Shuffle: true,
			Text: map[string]assess.Text{
				"en": {Stem: "A body of mass $m$ moves with speed $v$. Its **kinetic energy** is:\n\n![Figure 1](https://media.vidya.example/f1.png)",
					Choices:     map[string]string{"A": "$mv$", "B": "$\\frac{1}{2}mv^2$", "C": "$mv^2$", "D": "None of these"},
					Explanation: "KE = $\\frac{1}{2}mv^2$.\n\n$$E = \\frac{1}{2} m v^2$$",
					Feedback:    map[string]string{"A": "That is momentum."}},
				"hi": {Stem: "द्रव्यमान $m$ का पिंड $v$ चाल से चलता है। इसकी **गतिज ऊर्जा** है:\n\n![चित्र 1](https://media.vidya.example/f1.png)",
					Choices:     map[string]string{"A": "$mv$", "B": "$\\frac{1}{2}mv^2$", "C": "$mv^2$", "D": "इनमें से कोई नहीं"},
					Explanation: "गतिज ऊर्जा = $\\frac{1}{2}mv^2$।",
					Feedback:    map[string]string{"A": "यह संवेग है।"}},
			},
			Key: assess.Key{Choices: []string{"B"}}, Scoring: assess.Scoring{Marks: 4, Penalty: 1},
			Tags: assess.Tags{Topic: "physics/mechanics/energy", Difficulty: "hard", Bloom: "apply", Source: "NEET 2023 Q17 <&>",
				Labels: []string{"kinetic energy", "ऊर्जा", "a & b"}}},
		{ID: 2, Type: assess.SingleChoice, Choices: abcd[:3],
			Text: en("Plain one mark.", map[string]string{"A": "a", "B": "b", "C": "c"}),
			Key:  assess.Key{Choices: []string{"C"}}, Scoring: assess.Scoring{Marks: 1}},
		{ID: 3, Type: assess.MultipleResponse, Choices: abcd,
			Text: en("Select all that apply:\n\n- one\n- two", map[string]string{"A": "_a_", "B": "b", "C": "c", "D": "d"}),
			Key:  assess.Key{Choices: []string{"A", "B"}},
			Scoring: assess.Scoring{Marks: 2, Penalty: 1, Weights: map[string]float64{"A": 1, "B": 1, "C": -1},
				DefaultWeight: -0.5, Upper: f(1.5)},
			Tags: assess.Tags{Labels: []string{"only-labels"}}},
		{ID: 4, Type: assess.MultipleResponse, Choices: abcd[:3],
			Text: en("All or nothing, with a penalty.", map[string]string{"A": "a", "B": "b", "C": "c"}),
			Key:  assess.Key{Choices: []string{"A", "C"}}, Scoring: assess.Scoring{Marks: 2, Penalty: 0.5, Unanswered: -0.25}},
		{ID: 5, Type: assess.TrueFalse, Choices: []assess.Choice{{ID: "true"}, {ID: "false"}},
			Text: map[string]assess.Text{"en": {Stem: "Water boils at 100 °C at sea level."}, "hi": {Stem: "समुद्र तल पर पानी 100 °C पर उबलता है।"}},
			Key:  assess.Key{Choices: []string{"true"}}, Scoring: assess.Scoring{Marks: 1, Penalty: 0.25}},
		{ID: 6, Type: assess.Numeric, Text: en("Speed in m/s?\n\n| d | t |\n| --- | --- |\n| 50 | 4 |", nil),
			Key: assess.Key{Numeric: &assess.NumericKey{Value: 12.5, Tolerance: 0.05}}, Scoring: assess.Scoring{Marks: 4, Penalty: 1}},
		{ID: 7, Type: assess.Numeric, Text: en("Any value in range.", nil),
			Key: assess.Key{Numeric: &assess.NumericKey{Value: 3.14, Range: true, Min: 3.1, Max: 3.2}}, Scoring: assess.Scoring{Marks: 2}},
		{ID: 8, Type: assess.Numeric, Text: en("Exactly 42.", nil),
			Key: assess.Key{Numeric: &assess.NumericKey{Value: 42}}, Scoring: assess.Scoring{Marks: 1}},
		{ID: 9, Type: assess.ShortText, Text: en("Capital of India? (1 word)  \nNote: *spaces*, \\* stars and $ signs.", nil),
			Key:     assess.Key{Text: &assess.TextKey{Accepted: []string{"New Delhi", "Delhi"}, IgnoreSpaces: true}},
			Scoring: assess.Scoring{Marks: 2, Penalty: 0.5}},
		{ID: 10, Type: assess.ShortText, Text: en("Symbol for gold?", nil),
			Key: assess.Key{Text: &assess.TextKey{Accepted: []string{"Au"}, CaseSensitive: true}}, Scoring: assess.Scoring{Marks: 1}},
		{ID: 11, Type: assess.Ordering, Choices: abcd[:3], Text: en("Order these.", map[string]string{"A": "1", "B": "2", "C": "3"}),
			Key: assess.Key{Choices: []string{"B", "A", "C"}}, Scoring: assess.Scoring{Marks: 3, Partial: true}, Shuffle: true},
		{ID: 12, Type: assess.Matching, Left: []string{"L1", "L2"}, Right: []string{"R1", "R2", "R3"},
			Text: map[string]assess.Text{"en": {Stem: "Match.", Left: map[string]string{"L1": "one", "L2": "two"},
				Right: map[string]string{"R1": "ek", "R2": "do", "R3": "teen"}}},
			Key:     assess.Key{Pairs: map[string]string{"L1": "R1", "L2": "R2"}},
			Scoring: assess.Scoring{Marks: 2, Weights: map[string]float64{"L1=R1": 1, "L2=R2": 1, "L1=R3": -0.5}, Lower: f(0.5)}},
		{ID: 13, Type: assess.Matching, Left: []string{"L1", "L2"}, Right: []string{"R1", "R2"},
			Text: map[string]assess.Text{"en": {Stem: "Match, partial.", Left: map[string]string{"L1": "one", "L2": "two"},
				Right: map[string]string{"R1": "ek", "R2": "do"}}},
			Key: assess.Key{Pairs: map[string]string{"L1": "R2", "L2": "R1"}}, Scoring: assess.Scoring{Marks: 2, Partial: true},
			Tags: assess.Tags{Topic: "hindi", Difficulty: "easy", Bloom: "analyse"}},
		{ID: 14, Type: assess.Essay, Text: map[string]assess.Text{"en": {Stem: "Write about   the monsoon.\n\n\n\n1. causes\n1. effects\n\n```\ncode  block\n```",
			Explanation: "Marked by hand."}}, Scoring: assess.Scoring{Marks: 10, Unanswered: 0}},
	}
}

func TestRoundTrip(t *testing.T) {
	items := sampleItems()
	for _, it := range items {
		if err := it.Validate(); err != nil {
			t.Fatalf("sample item %d is not valid: %v", it.ID, err)
		}
	}
	for _, v := range []Version{V21, V30} {
		t.Run("QTI "+string(v), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePackage(&buf, items, v); err != nil {
				t.Fatal(err)
			}
			checkShape(t, buf.Bytes(), v)
			got, err := readAll(t, buf.Bytes(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(items) {
				t.Fatalf("got %d items back, want %d", len(got), len(items))
			}
			for i, p := range got {
				if p.Err != nil {
					t.Errorf("item %d: %v", items[i].ID, p.Err)
					continue
				}
				if p.Item.Hash() != items[i].Hash() {
					a, b := dump(items[i]), dump(p.Item)
					t.Errorf("item %d (%s) changed:\nwrote %s\nread  %s", items[i].ID, items[i].Type, a, b)
				}
				is(t, "ref", p.Ref, fmt.Sprintf("vidya-item-%d", items[i].ID))
				if a, b := tagsOf(items[i]), tagsOf(p.Item); a != b {
					t.Errorf("item %d: tags changed:\nwrote %s\nread  %s", items[i].ID, a, b)
				}
			}
		})
	}
}

func tagsOf(it *assess.Item) string {
	b, _ := json.Marshal(it.Tags)
	return string(b)
}

func dump(it *assess.Item) string {
	c := *it
	c.ContentHash, c.Title, c.Status = "", "", ""
	b, _ := jsonMarshal(c)
	return string(b)
}

// checkShape parses every file of an exported package with encoding/xml
// and checks the root element and namespace for the version.
func checkShape(t *testing.T, data []byte, v Version) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	wantNS, wantRoot, wantManifestNS := NS21, "assessmentItem", "http://www.imsglobal.org/xsd/imscp_v1p1"
	if v == V30 {
		wantNS, wantRoot, wantManifestNS = NS30, "qti-assessment-item", "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
	}
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".xml") {
			continue // an image
		}
		rc, _ := f.Open()
		d := xml.NewDecoder(rc)
		var root xml.StartElement
		var names []string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed: %v", f.Name, err)
			}
			if se, ok := tok.(xml.StartElement); ok {
				if root.Name.Local == "" {
					root = se
				}
				if se.Name.Space == wantNS {
					names = append(names, se.Name.Local)
				}
			}
		}
		rc.Close()
		if f.Name == "imsmanifest.xml" {
			is(t, "manifest namespace", root.Name.Space, wantManifestNS)
			continue
		}
		is(t, f.Name+" root", root.Name.Local, wantRoot)
		is(t, f.Name+" namespace", root.Name.Space, wantNS)
		for _, n := range names {
			qti3 := strings.HasPrefix(n, "qti-")
			html := strings.ToLower(n) == n && !qti3
			if v == V30 && !qti3 && !html || v == V21 && qti3 {
				t.Errorf("%s: element %s is not spelled for QTI %s", f.Name, n, v)
			}
		}
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
