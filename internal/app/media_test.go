package app

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
)

// qtiPackageWithImage is a QTI 2.1 package of one item that shows an image.
func qtiPackageWithImage(t *testing.T, png []byte) []byte {
	t.Helper()
	item, err := os.ReadFile("../assess/qti/testdata/v21/choice.xml")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range map[string][]byte{
		"imsmanifest.xml": []byte(`<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><organizations/><resources>
<resource identifier="R1" type="imsqti_item_xmlv2p1" href="items/choice.xml"><file href="items/choice.xml"/><file href="items/images/apple.png"/></resource>
</resources></manifest>`),
		"items/choice.xml":       item,
		"items/images/apple.png": png,
	} {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	zw.Close()
	return b.Bytes()
}

func TestItemImages(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		w := setupTenants(t, sys, srv)
		png := pngOf(t, 40, 30)
		base := "/api/v1/authorities/AAA/items/media"
		var ref struct{ URL string }

		r := w.adminA.upload("POST", base, "image/png", png)
		if r.status != 201 {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		r.json(t, &ref)
		if !regexp.MustCompile(`^/media/AAA/[0-9a-f]{64}\.png$`).MatchString(ref.URL) {
			t.Fatalf("url %q", ref.URL)
		}
		var again struct{ URL string }
		w.adminA.upload("POST", base, "image/png", png).json(t, &again)
		if again.URL != ref.URL {
			t.Fatalf("the same image stored twice: %s, %s", ref.URL, again.URL)
		}
		t.Run("members see it; nobody else does", func(t *testing.T) {
			if got := w.learnerA.do("GET", ref.URL, nil); got.status != 200 || !bytes.Equal(got.body, png) || got.header.Get("Content-Type") != "image/png" {
				t.Fatalf("learner of A: %d %q", got.status, got.header.Get("Content-Type"))
			}
			if got := newClient(t, srv).do("GET", ref.URL, nil); got.status != 401 {
				t.Errorf("anonymous: %d", got.status)
			}
			if got := w.adminB.do("GET", strings.Replace(ref.URL, "/AAA/", "/BBB/", 1), nil); got.status != 404 {
				t.Errorf("B asking for it under its own code: %d", got.status)
			}
			if got := w.adminB.do("GET", ref.URL, nil); got.status != 404 {
				t.Errorf("B asking under A's code: %d", got.status)
			}
			for _, bad := range []string{"/media/AAA/x.png", "/media/AAA/" + strings.Repeat("0", 64) + ".png"} {
				if got := w.adminA.do("GET", bad, nil); got.status != 404 {
					t.Errorf("%s: %d", bad, got.status)
				}
			}
			// The router cleans a path with .. and redirects; nothing is served.
			if got := w.adminA.do("GET", "/media/AAA/../../secret.key", nil); got.status == 200 {
				t.Errorf("a path with .. was served")
			}
		})
		t.Run("only real images of a sane size are stored", func(t *testing.T) {
			for _, tc := range []struct {
				name   string
				c      *client
				body   []byte
				status int
			}{
				{"an SVG", w.adminA, []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), 415},
				{"HTML claiming to be PNG", w.adminA, []byte("<html><script>alert(1)</script>"), 415},
				{"empty", w.adminA, nil, 400},
				{"over 5 MiB", w.adminA, append(append([]byte{}, png...), make([]byte, 5<<20)...), 413},
				{"a learner", w.learnerA, png, 403},
			} {
				if r := tc.c.upload("POST", base, "image/png", tc.body); r.status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
				}
			}
		})
		t.Run("a QTI package's images are stored and the item points at them", func(t *testing.T) {
			pkg := qtiPackageWithImage(t, pngOf(t, 50, 50))
			preview := w.adminA.upload("POST", "/api/v1/authorities/AAA/items/import?format=qti&dry_run=true", "application/zip", pkg)
			var rep assess.ImportReport
			if err := json.Unmarshal(preview.body, &rep); err != nil || rep.Imported != 1 {
				t.Fatalf("preview: %s", preview.body)
			}
			r := w.adminA.upload("POST", "/api/v1/authorities/AAA/items/import?format=qti", "application/zip", pkg)
			if err := json.Unmarshal(r.body, &rep); err != nil || !rep.Committed || rep.Imported != 1 {
				t.Fatalf("import: %s", r.body)
			}
			var item struct {
				Text map[string]struct{ Stem string }
			}
			w.adminA.do("GET", "/api/v1/authorities/AAA/items/"+itoa64(rep.Lines[0].ItemID), nil).json(t, &item)
			m := regexp.MustCompile(`\]\((/media/AAA/[0-9a-f]{64}\.png)\)`).FindStringSubmatch(item.Text["en"].Stem)
			if m == nil {
				t.Fatalf("the stem does not point at a stored image: %q", item.Text["en"].Stem)
			}
			if got := w.learnerA.do("GET", m[1], nil); got.status != 200 {
				t.Fatalf("the imported image: %d", got.status)
			}
		})
	})
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
