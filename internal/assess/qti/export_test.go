package qti

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

const (
	figURL  = "/media/HKCL/" + "1111111111111111111111111111111111111111111111111111111111111111.png"
	logoURL = "/media/HKCL/" + "2222222222222222222222222222222222222222222222222222222222222222.png"
)

// imageItems show figURL in two items (stem, Hindi stem, a choice), logoURL
// in one, and a web image.
func imageItems() []*assess.Item {
	return []*assess.Item{
		{ID: 10, Type: assess.SingleChoice, Choices: []assess.Choice{{ID: "A"}, {ID: "B"}},
			Text: map[string]assess.Text{
				"en": {Stem: "Look:\n\n![Figure 1](" + figURL + ")", Choices: map[string]string{"A": "![logo](" + logoURL + ")", "B": "![web](https://cdn.example/w.png)"}},
				"hi": {Stem: "देखिए:\n\n![चित्र 1](" + figURL + ")", Choices: map[string]string{"A": "![logo](" + logoURL + ")", "B": "![web](https://cdn.example/w.png)"}},
			},
			Key: assess.Key{Choices: []string{"A"}}, Scoring: assess.Scoring{Marks: 1}},
		{ID: 11, Type: assess.Essay, Text: map[string]assess.Text{"en": {Stem: "Describe ![the figure](" + figURL + ").", Explanation: "See ![it](" + figURL + ")."}},
			Scoring: assess.Scoring{Marks: 5}},
		{ID: 12, Type: assess.TrueFalse, Choices: []assess.Choice{{ID: "true"}, {ID: "false"}},
			Text: map[string]assess.Text{"en": {Stem: "No image here."}}, Key: assess.Key{Choices: []string{"true"}}, Scoring: assess.Scoring{Marks: 1}},
	}
}

func entries(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		if _, dup := out[f.Name]; dup {
			t.Errorf("%s is in the zip twice", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return out
}

func writeWith(t *testing.T, items []*assess.Item, v Version, opts WriteOptions) ([]byte, error) {
	t.Helper()
	var buf bytes.Buffer
	pw := NewPackageWriter(&buf, v, opts)
	for _, it := range items {
		if err := pw.Write(it); err != nil {
			pw.Abort()
			return nil, err
		}
	}
	err := pw.Close()
	return buf.Bytes(), err
}

func TestPackageCarriesImages(t *testing.T) {
	images := map[string][]byte{figURL: []byte("\x89PNG\r\n\x1a\nfigure"), logoURL: []byte("\x89PNG\r\n\x1a\nlogo")}
	for _, v := range []Version{V21, V30} {
		t.Run("QTI "+string(v), func(t *testing.T) {
			opened := map[string]int{}
			data, err := writeWith(t, imageItems(), v, WriteOptions{Media: func(ref string) (io.ReadCloser, error) {
				opened[ref]++
				b, ok := images[ref]
				if !ok {
					return nil, errs.E(errs.NotFound, "test", "no image %s", ref)
				}
				return io.NopCloser(bytes.NewReader(b)), nil
			}})
			if err != nil {
				t.Fatal(err)
			}
			if opened[figURL] != 1 || opened[logoURL] != 1 || len(opened) != 2 {
				t.Errorf("images opened %v; want each bank image once and no web image", opened)
			}
			files := entries(t, data)
			fig, logo := "media/"+figURL[len("/media/HKCL/"):], "media/"+logoURL[len("/media/HKCL/"):]
			if !bytes.Equal(files[fig], images[figURL]) || !bytes.Equal(files[logo], images[logoURL]) {
				t.Fatalf("the package's images are not the bank's: %v", keys(files))
			}
			doc := string(files["items/vidya-item-10.xml"])
			if !strings.Contains(doc, `src="../`+fig+`"`) || !strings.Contains(doc, `src="https://cdn.example/w.png"`) || strings.Contains(doc, "/media/HKCL") {
				t.Errorf("item 10 does not point at the package's images:\n%s", doc)
			}
			man := string(files["imsmanifest.xml"])
			for id, want := range map[string][]string{"vidya-item-10": {fig, logo}, "vidya-item-11": {fig}, "vidya-item-12": nil} {
				i := strings.Index(man, `identifier="`+id+`"`)
				res := man[i : i+strings.Index(man[i:], "</resource>")]
				for _, f := range []string{fig, logo} {
					n := strings.Count(res, `<file href="`+f+`"/>`)
					if wanted := strings.Contains(strings.Join(want, " "), f); wanted && n != 1 || !wanted && n != 0 {
						t.Errorf("%s lists %s %d times:\n%s", id, f, n, res)
					}
				}
			}
			checkShape(t, data, v)

			// Import into another authority: its file store gives new URLs.
			var stored []string
			got, err := readAll(t, data, Options{Media: func(path string, r io.Reader) (string, error) {
				b, _ := io.ReadAll(r)
				stored = append(stored, path)
				for ref, img := range images {
					if bytes.Equal(b, img) {
						return strings.Replace(ref, "/HKCL/", "/NIOS/", 1), nil
					}
				}
				return "", errors.New("unknown image")
			}})
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != 2 {
				t.Errorf("images stored on import: %v; want each once", stored)
			}
			for i, want := range imageItems() {
				if got[i].Err != nil {
					t.Fatalf("item %d: %v", want.ID, got[i].Err)
				}
				for lang, wt := range want.Text {
					gt := got[i].Item.Text[lang]
					moved := strings.NewReplacer("/HKCL/", "/NIOS/")
					if gt.Stem != moved.Replace(wt.Stem) || gt.Explanation != moved.Replace(wt.Explanation) || gt.Choices["A"] != moved.Replace(wt.Choices["A"]) || gt.Choices["B"] != wt.Choices["B"] {
						t.Errorf("item %d %s came back as %+v, want %+v with NIOS images", want.ID, lang, gt, wt)
					}
				}
			}
		})
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestPackageImageErrorsNameTheItem(t *testing.T) {
	items := imageItems()
	missing := func(ref string) (io.ReadCloser, error) {
		if ref == logoURL {
			return nil, errs.E(errs.NotFound, "assess: export image", "it is not in the file store")
		}
		return io.NopCloser(strings.NewReader("png")), nil
	}
	_, err := writeWith(t, items, V30, WriteOptions{Media: missing})
	if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), "item 10: image "+logoURL+": it is not in the file store") {
		t.Errorf("missing image: %v", err)
	}
	broken := func(string) (io.ReadCloser, error) { return io.NopCloser(&failing{}), nil }
	_, err = writeWith(t, items[1:], V21, WriteOptions{Media: broken})
	if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), "item 11: image "+figURL+": it cannot be read") {
		t.Errorf("unreadable image: %v", err)
	}
	internal := func(string) (io.ReadCloser, error) { return nil, errors.New("s3: connection refused") }
	_, err = writeWith(t, items[1:], V21, WriteOptions{Media: internal})
	if !errs.Is(err, errs.Internal) || !strings.Contains(err.Error(), "item 11: image "+figURL+" cannot be read") || errs.As(err).Message == "" {
		t.Errorf("store failure: %v", err)
	}
	// The package cannot be finished after an error.
	var buf bytes.Buffer
	pw := NewPackageWriter(&buf, V30, WriteOptions{Media: missing})
	if err := pw.Write(items[0]); err == nil {
		t.Fatal("no error")
	}
	if err := pw.Write(items[2]); err == nil {
		t.Error("a write after an error succeeded")
	}
	if err := pw.Close(); err == nil {
		t.Error("Close after an error succeeded")
	}
}

type failing struct{}

func (*failing) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestPackageIdentifiersNeverRepeat(t *testing.T) {
	base := sampleItems()
	a, b, c := *base[1], *base[1], *base[1]
	a.ID, b.ID, c.ID = 7, 7, 3 // a repeat, then one out of order
	var buf bytes.Buffer
	if err := WritePackage(&buf, []*assess.Item{&a, &b, &c}, V30); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, buf.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, p := range got {
		refs = append(refs, p.Ref)
	}
	is(t, "refs", strings.Join(refs, ","), "vidya-item-7,vidya-item-n2,vidya-item-n3")
}

// A large manifest moves to a temporary file, which Close removes.
func TestManifestSpillsToDisk(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	old := spillAt
	spillAt = 512
	defer func() { spillAt = old }()
	var buf bytes.Buffer
	pw := NewPackageWriter(&buf, V30, WriteOptions{})
	for i := range 40 {
		it := *sampleItems()[i%14]
		it.ID = int64(i + 1)
		if err := pw.Write(&it); err != nil {
			t.Fatal(err)
		}
	}
	if pw.res.f == nil {
		t.Fatal("the manifest did not move to a temporary file")
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if n := readCount(t, data); n != 40 {
		t.Fatalf("read %d items back, want 40", n)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// Other tools' LOM metadata is read where it is standard and ignored where
// it is theirs; what Vidya cannot take is an error on that resource.
func TestReadPackageMetadata(t *testing.T) {
	choice := testdataEntry(t, "q.xml", "v21/multiple.xml")
	lomRes := func(id, lom string) string {
		return `<resource identifier="` + id + `" type="imsqti_item_xmlv2p1" href="q.xml"><metadata><imsmd:lom xmlns:imsmd="http://ltsc.ieee.org/xsd/LOM">` +
			lom + `</imsmd:lom></metadata><file href="q.xml"/></resource>`
	}
	tests := []struct {
		name, lom string
		want      assess.Tags
		err       string
	}{
		{"another tool's metadata", `<imsmd:general><imsmd:title><imsmd:string>Kinetic energy</imsmd:string></imsmd:title>
			<imsmd:keyword><imsmd:string language="en">energy</imsmd:string><imsmd:string language="hi">ऊर्जा</imsmd:string></imsmd:keyword>
			<imsmd:keyword><imsmd:string>  motion </imsmd:string></imsmd:keyword><imsmd:keyword><imsmd:string>energy</imsmd:string></imsmd:keyword></imsmd:general>
			<imsmd:educational><imsmd:difficulty><imsmd:source>LOMv1.0</imsmd:source><imsmd:value>very difficult</imsmd:value></imsmd:difficulty></imsmd:educational>
			<imsmd:classification><imsmd:purpose><imsmd:source>LOMv1.0</imsmd:source><imsmd:value>discipline</imsmd:value></imsmd:purpose>
			<imsmd:taxonPath><imsmd:source><imsmd:string>ACM CCS</imsmd:string></imsmd:source><imsmd:taxon><imsmd:id>http://acm/123</imsmd:id></imsmd:taxon></imsmd:taxonPath></imsmd:classification>`,
			assess.Tags{Difficulty: "hard", Labels: []string{"energy", "motion"}}, ""},
		{"Vidya's topic and Bloom level", `<imsmd:classification><imsmd:purpose><imsmd:source>LOMv1.0</imsmd:source><imsmd:value>discipline</imsmd:value></imsmd:purpose>
			<imsmd:taxonPath><imsmd:source><imsmd:string>Vidya topics</imsmd:string></imsmd:source><imsmd:taxon><imsmd:id>physics</imsmd:id></imsmd:taxon><imsmd:taxon><imsmd:id>optics</imsmd:id></imsmd:taxon></imsmd:taxonPath></imsmd:classification>
			<imsmd:classification><imsmd:purpose><imsmd:source>LOMv1.0</imsmd:source><imsmd:value>educational objective</imsmd:value></imsmd:purpose>
			<imsmd:taxonPath><imsmd:source><imsmd:string>Bloom's taxonomy (revised)</imsmd:string></imsmd:source><imsmd:taxon><imsmd:id>Analyze</imsmd:id></imsmd:taxon></imsmd:taxonPath></imsmd:classification>`,
			assess.Tags{Topic: "physics/optics", Bloom: "analyse"}, ""},
		{"a difficulty LOM does not have", `<imsmd:educational><imsmd:difficulty><imsmd:value>extreme</imsmd:value></imsmd:difficulty></imsmd:educational>`,
			assess.Tags{}, `resource R: its metadata: difficulty "extreme" is not one of LOM's`},
		{"a Bloom level that is not one", `<imsmd:classification><imsmd:purpose><imsmd:value>educational objective</imsmd:value></imsmd:purpose>
			<imsmd:taxonPath><imsmd:source><imsmd:string>Bloom's taxonomy (revised)</imsmd:string></imsmd:source><imsmd:taxon><imsmd:id>memorise</imsmd:id></imsmd:taxon></imsmd:taxonPath></imsmd:classification>`,
			assess.Tags{}, `Bloom level "memorise" is not one of remember`},
		{"a topic path Vidya cannot take", `<imsmd:classification><imsmd:purpose><imsmd:value>discipline</imsmd:value></imsmd:purpose>
			<imsmd:taxonPath><imsmd:source><imsmd:string>Vidya topics</imsmd:string></imsmd:source><imsmd:taxon><imsmd:id>phy sics</imsmd:id></imsmd:taxon></imsmd:taxonPath></imsmd:classification>`,
			assess.Tags{}, `topic "phy sics" must be names separated by "/"`},
		{"a label too long", `<imsmd:general><imsmd:keyword><imsmd:string>` + strings.Repeat("x", 65) + `</imsmd:string></imsmd:keyword></imsmd:general>`,
			assess.Tags{}, "the tags in its manifest metadata are not valid (tags.labels: labels must be 1–64 bytes of text)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, zipOf(t, manifest(lomRes("R", tc.lom)), choice), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d Parsed", len(got))
			}
			if tc.err != "" {
				if got[0].Err == nil || !strings.Contains(got[0].Err.Error(), tc.err) {
					t.Errorf("error %v, want %q", got[0].Err, tc.err)
				}
				return
			}
			if got[0].Err != nil {
				t.Fatal(got[0].Err)
			}
			if a, b := fmt.Sprint(got[0].Item.Tags), fmt.Sprint(tc.want); a != b {
				t.Errorf("tags %s, want %s", a, b)
			}
		})
	}
}

func FuzzReadPackageMetadata(f *testing.F) {
	f.Add(`<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general><keyword><string>x</string></keyword></general></lom>`)
	var b strings.Builder
	writeLOM(&b, sampleItems()[0].Tags)
	f.Add(strings.TrimSuffix(strings.TrimPrefix(b.String(), "<metadata>"), "</metadata>"))
	f.Add(`<lom><classification><purpose><value>discipline</value></purpose><taxonPath><source><string>Vidya topics</string></source><taxon><id></id></taxon></taxonPath></classification></lom>`)
	choice, err := os.ReadFile("testdata/v21/multiple.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, metadata string) {
		m := manifest(`<resource identifier="R" type="imsqti_item_xmlv2p1" href="q.xml"><metadata>` + metadata + `</metadata><file href="q.xml"/></resource>`)
		data := zipOf(t, m, entry{"q.xml", choice})
		_ = ReadPackage(bytes.NewReader(data), int64(len(data)), Options{}, func(p assess.Parsed) error {
			checkParsed(t, p, true)
			return nil
		})
	})
}
