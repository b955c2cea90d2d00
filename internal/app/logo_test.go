package app

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{200, 80, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (c *client) upload(method, path, contentType string, body []byte) response {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func TestAuthorityLogo(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		w := setupTenants(t, sys, srv)
		good := pngOf(t, 120, 60)
		anon := newClient(t, srv)

		if r := anon.do("GET", "/authorities/AAA/logo", nil); r.status != 404 {
			t.Fatalf("logo before upload: %d", r.status)
		}
		t.Run("bad files are refused and change nothing", func(t *testing.T) {
			audit := w.platform.do("GET", "/api/v1/authorities/AAA/audit", nil).body
			for _, tc := range []struct {
				name, ct string
				body     []byte
				status   int
			}{
				{"a GIF", "image/gif", []byte("GIF89a...."), 415},
				{"text claiming to be PNG", "image/png", []byte("<svg onload=alert(1)>"), 400},
				{"a PNG claiming to be JPEG", "image/jpeg", good, 400},
				{"a truncated PNG", "image/png", good[:len(good)/2], 400},
				{"a tiny image", "image/png", pngOf(t, 8, 8), 400},
				{"over 1 MiB", "image/png", append(append([]byte{}, good...), make([]byte, 1<<20)...), 413},
				{"empty", "image/png", nil, 400},
			} {
				if r := w.adminA.upload("PUT", "/api/v1/authorities/AAA/logo", tc.ct, tc.body); r.status != tc.status {
					t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
				}
			}
			if after := w.platform.do("GET", "/api/v1/authorities/AAA/audit", nil).body; !bytes.Equal(after, audit) {
				t.Error("a refused upload changed the audit log")
			}
			if r := anon.do("GET", "/authorities/AAA/logo", nil); r.status != 404 {
				t.Errorf("a refused upload left a logo: %d", r.status)
			}
		})
		t.Run("only the authority's admins may change it", func(t *testing.T) {
			if r := w.learnerA.upload("PUT", "/api/v1/authorities/AAA/logo", "image/png", good); r.status != 403 {
				t.Errorf("learner: %d", r.status)
			}
			if r := w.adminA.upload("PUT", "/api/v1/authorities/BBB/logo", "image/png", good); r.status != 404 {
				t.Errorf("other authority's admin: %d", r.status)
			}
		})
		t.Run("an admin uploads a logo that anyone can fetch", func(t *testing.T) {
			r := w.adminA.upload("PUT", "/api/v1/authorities/AAA/logo", "image/png", good)
			if r.status != 200 || !strings.Contains(string(r.body), `"logo_key":"authorities/`) {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
			got := anon.do("GET", "/authorities/AAA/logo", nil)
			if got.status != 200 || !bytes.Equal(got.body, good) || got.header.Get("Content-Type") != "image/png" {
				t.Fatalf("fetch: %d %q, %d bytes", got.status, got.header.Get("Content-Type"), len(got.body))
			}
			req, _ := http.NewRequest("GET", srv.URL+"/authorities/AAA/logo", nil)
			req.Header.Set("If-None-Match", got.header.Get("ETag"))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 304 {
				t.Errorf("conditional fetch: %d", res.StatusCode)
			}
			var audit struct{ Items []struct{ Action string } }
			w.platform.do("GET", "/api/v1/authorities/AAA/audit?action=authority.logo", nil).json(t, &audit)
			if len(audit.Items) != 1 {
				t.Errorf("audit entries for the logo: %d", len(audit.Items))
			}
		})
		t.Run("removing it removes the file", func(t *testing.T) {
			if r := w.adminA.do("DELETE", "/api/v1/authorities/AAA/logo", nil); r.status != 200 {
				t.Fatalf("remove: %d %s", r.status, r.body)
			}
			if r := anon.do("GET", "/authorities/AAA/logo", nil); r.status != 404 {
				t.Fatalf("after removal: %d", r.status)
			}
		})
	})
}
