package blob

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// swapHandler lets a test server start before the handler it runs exists.
type swapHandler struct {
	mu sync.Mutex
	h  http.Handler
}

func (s *swapHandler) set(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
}

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	h.ServeHTTP(w, r)
}

// onlyStore hides a store's concrete type, so Handler takes its generic path.
type onlyStore struct{ Store }

// handlerFixture is a Local store with blobs in it and a signer.
func handlerFixture(t *testing.T) (*Local, *Signer) {
	t.Helper()
	signer, err := NewSigner(testSecret, "http://blobs.example")
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLocal(t.TempDir(), signer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	put(t, l, "course/notes.txt", "0123456789abcdefghij", "text/plain; charset=utf-8")
	return l, signer
}

// serve runs one request through h and returns the response.
func serve(h http.Handler, method, target string, hdr http.Header) *http.Response {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

// pathOf strips the scheme and host from a signed URL.
func pathOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerServesRangesFromAnyStore(t *testing.T) {
	l, signer := handlerFixture(t)
	target := pathOf(t, signer.URL("course/notes.txt", time.Now().Add(time.Minute)))
	for name, s := range map[string]Store{"local file": l, "generic store": onlyStore{l}} {
		t.Run(name, func(t *testing.T) {
			h := Handler(s, signer)
			for _, tc := range []struct {
				rng, want, contentRange string
			}{
				{"bytes=0-3", "0123", "bytes 0-3/20"},
				{"bytes=10-14", "abcde", "bytes 10-14/20"},
				{"bytes=15-", "fghij", "bytes 15-19/20"},
				{"bytes=-2", "ij", "bytes 18-19/20"},
			} {
				resp := serve(h, http.MethodGet, target, http.Header{"Range": {tc.rng}})
				if resp.StatusCode != http.StatusPartialContent {
					t.Errorf("Range %s: status %d, want 206", tc.rng, resp.StatusCode)
				}
				if got := body(t, resp); got != tc.want {
					t.Errorf("Range %s: body %q, want %q", tc.rng, got, tc.want)
				}
				if got := resp.Header.Get("Content-Range"); got != tc.contentRange {
					t.Errorf("Range %s: Content-Range %q, want %q", tc.rng, got, tc.contentRange)
				}
			}
			resp := serve(h, http.MethodGet, target, http.Header{"Range": {"bytes=50-60"}})
			if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
				t.Errorf("unsatisfiable range: status %d, want 416", resp.StatusCode)
			}
			resp = serve(h, http.MethodGet, target, nil)
			if resp.StatusCode != http.StatusOK || body(t, resp) != "0123456789abcdefghij" {
				t.Errorf("full GET: status %d", resp.StatusCode)
			}
		})
	}
}

func TestHandlerSetsSafetyAndCachingHeaders(t *testing.T) {
	l, signer := handlerFixture(t)
	h := Handler(l, signer)
	fixed := time.Now()
	h.(*handler).now = func() time.Time { return fixed }
	resp := serve(h, http.MethodGet, pathOf(t, signer.URL("course/notes.txt", fixed.Add(90*time.Second))), nil)
	info, _ := l.Stat(t.Context(), "course/notes.txt")
	for name, want := range map[string]string{
		"Content-Type":           "text/plain; charset=utf-8",
		"ETag":                   `"` + info.ETag + `"`,
		"Cache-Control":          "private, max-age=89",
		"X-Content-Type-Options": "nosniff",
		"Accept-Ranges":          "bytes",
		"Content-Length":         "20",
		"Last-Modified":          info.ModTime.UTC().Format(http.TimeFormat),
	} {
		// The expiry is a whole second, so up to a second of it is already gone.
		if got := resp.Header.Get(name); got != want && !(name == "Cache-Control" && got == "private, max-age=90") {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestHandlerAnswersConditionalRequests(t *testing.T) {
	l, signer := handlerFixture(t)
	h := Handler(l, signer)
	target := pathOf(t, signer.URL("course/notes.txt", time.Now().Add(time.Minute)))
	etag := serve(h, http.MethodGet, target, nil).Header.Get("ETag")
	if resp := serve(h, http.MethodGet, target, http.Header{"If-None-Match": {etag}}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: status %d, want 304", resp.StatusCode)
	}
	if resp := serve(h, http.MethodGet, target, http.Header{"If-None-Match": {`"stale"`}}); resp.StatusCode != http.StatusOK {
		t.Errorf("If-None-Match with a stale ETag: status %d, want 200", resp.StatusCode)
	}
}

func TestHandlerContentDisposition(t *testing.T) {
	l, signer := handlerFixture(t)
	h := Handler(l, signer)
	for _, tc := range []struct {
		ct, want string
	}{
		{"text/html", `attachment; filename=page`},
		{"text/html; charset=utf-8", `attachment; filename=page`},
		{"image/svg+xml", `attachment; filename=page`},
		{"application/javascript", `attachment; filename=page`},
		{"application/octet-stream", `attachment; filename=page`},
		{"application/xhtml+xml", `attachment; filename=page`},
		{"image/png", ""},
		{"IMAGE/JPEG", ""},
		{"application/pdf", ""},
		{"text/plain", ""},
		{"text/plain; charset=utf-8", ""},
	} {
		t.Run(tc.ct, func(t *testing.T) {
			put(t, l, "x/page", "<script>alert(1)</script>", tc.ct)
			resp := serve(h, http.MethodGet, pathOf(t, signer.URL("x/page", time.Now().Add(time.Minute))), nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Disposition"); got != tc.want {
				t.Errorf("Content-Disposition = %q, want %q", got, tc.want)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.ct {
				t.Errorf("Content-Type = %q, want %q", got, tc.ct)
			}
		})
	}
}

func TestHandlerAttachmentNameIsQuotedSafely(t *testing.T) {
	l, signer := handlerFixture(t)
	put(t, l, `d/na"me;x=ü.html`, "x", "text/html")
	resp := serve(Handler(l, signer), http.MethodGet, pathOf(t, signer.URL(`d/na"me;x=ü.html`, time.Now().Add(time.Minute))), nil)
	want := `attachment; filename*=utf-8''na%22me%3Bx%3D%C3%BC.html`
	if got := resp.Header.Get("Content-Disposition"); got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
}

func TestHandlerRefusesBadRequests(t *testing.T) {
	l, signer := handlerFixture(t)
	h := Handler(l, signer)
	good := signer.URL("course/notes.txt", time.Now().Add(time.Minute))
	goodURL, _ := url.Parse(good)
	withQuery := func(mod func(url.Values)) string {
		q := goodURL.Query()
		mod(q)
		return goodURL.Path + "?" + q.Encode()
	}
	other, _ := NewSigner([]byte(strings.Repeat("x", 32)), "http://blobs.example")
	for _, tc := range []struct {
		name, method, target string
		status               int
		bodyHas              string
	}{
		{"a good URL works", http.MethodGet, pathOf(t, good), http.StatusOK, "0123456789"},
		{"HEAD works and sends no body", http.MethodHead, pathOf(t, good), http.StatusOK, ""},
		{"a changed signature is refused", http.MethodGet, withQuery(func(q url.Values) { q.Set("sig", flipChar(q.Get("sig"))) }), http.StatusForbidden, "invalid link"},
		{"a missing signature is refused", http.MethodGet, withQuery(func(q url.Values) { q.Del("sig") }), http.StatusForbidden, "invalid link"},
		{"a moved expiry is refused", http.MethodGet, withQuery(func(q url.Values) {
			exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
			q.Set("exp", strconv.FormatInt(exp+3600, 10))
		}), http.StatusForbidden, "invalid link"},
		{"a padded expiry is refused", http.MethodGet, withQuery(func(q url.Values) { q.Set("exp", "0"+q.Get("exp")) }), http.StatusForbidden, "invalid link"},
		{"another key with this signature is refused", http.MethodGet, strings.Replace(pathOf(t, good), "notes", "other", 1), http.StatusForbidden, "invalid link"},
		{"another secret's signature is refused", http.MethodGet, pathOf(t, other.URL("course/notes.txt", time.Now().Add(time.Minute))), http.StatusForbidden, "invalid link"},
		{"an expired URL is refused", http.MethodGet, pathOf(t, signer.URL("course/notes.txt", time.Now().Add(-time.Second))), http.StatusForbidden, "link expired"},
		{"a missing key is 404", http.MethodGet, pathOf(t, signer.URL("course/missing.txt", time.Now().Add(time.Minute))), http.StatusNotFound, ""},
		{"a signed invalid key is 404", http.MethodGet, pathOf(t, signer.URL("../etc/passwd", time.Now().Add(time.Minute))), http.StatusNotFound, ""},
		{"a path outside /blobs/ is 404", http.MethodGet, "/other/course/notes.txt", http.StatusNotFound, ""},
		{"POST is not allowed", http.MethodPost, pathOf(t, good), http.StatusMethodNotAllowed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := serve(h, tc.method, tc.target, nil)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if got := body(t, resp); !strings.Contains(got, tc.bodyHas) {
				t.Errorf("body %q, want it to contain %q", got, tc.bodyHas)
			}
			if tc.method == http.MethodHead && resp.Header.Get("Content-Length") != "20" {
				t.Errorf("HEAD Content-Length = %q, want 20", resp.Header.Get("Content-Length"))
			}
		})
	}
}

func TestNewSignerValidatesItsInput(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secret  []byte
		baseURL string
		ok      bool
	}{
		{"a long secret and an https URL", testSecret, "https://files.vidya.example/", true},
		{"a base URL with a path", testSecret, "http://localhost:8080/api", true},
		{"a short secret", []byte("short"), "https://x.example", false},
		{"a relative URL", testSecret, "/blobs", false},
		{"an ftp URL", testSecret, "ftp://x.example", false},
		{"a URL with a query", testSecret, "https://x.example/?a=b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSigner(tc.secret, tc.baseURL)
			if (err == nil) != tc.ok {
				t.Errorf("NewSigner err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestSignerURLEscapesTheKeyAndTrimsTheBase(t *testing.T) {
	s, err := NewSigner(testSecret, "https://x.example/files/")
	if err != nil {
		t.Fatal(err)
	}
	got := s.URL("a b/c?d#e%f/ü", time.Unix(1700000000, 0))
	const wantPrefix = "https://x.example/files/blobs/a%20b/c%3Fd%23e%25f/%C3%BC?exp=1700000000&sig="
	if !strings.HasPrefix(got, wantPrefix) {
		t.Errorf("URL = %q, want prefix %q", got, wantPrefix)
	}
}
