package httpx_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type target struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, ct, body string
		max            int64
		kind           errs.Kind
		field          string
	}{
		{"valid", "application/json", `{"name":"x","count":2}`, 0, "", ""},
		{"json with charset", "application/json; charset=utf-8", `{"name":"x"}`, 0, "", ""},
		{"problem+json suffix", "application/merge-patch+json", `{"name":"x"}`, 0, "", ""},
		{"missing content type", "", `{"name":"x"}`, 0, errs.Unsupported, ""},
		{"form content type", "application/x-www-form-urlencoded", `name=x`, 0, errs.Unsupported, ""},
		{"unknown field", "application/json", `{"name":"x","extra":1}`, 0, errs.Invalid, "extra"},
		{"wrong type", "application/json", `{"count":"many"}`, 0, errs.Invalid, "count"},
		{"syntax error", "application/json", `{"name":}`, 0, errs.Invalid, ""},
		{"truncated", "application/json", `{"name":"x"`, 0, errs.Invalid, ""},
		{"empty", "application/json", ``, 0, errs.Invalid, ""},
		{"trailing value", "application/json", `{"name":"x"} {"name":"y"}`, 0, errs.Invalid, ""},
		{"too large", "application/json", `{"name":"` + strings.Repeat("x", 100) + `"}`, 50, errs.TooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			if tc.ct != "" {
				r.Header.Set("Content-Type", tc.ct)
			}
			var v target
			err := httpx.Decode(httptest.NewRecorder(), r, &v, tc.max)
			if tc.kind == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errs.Is(err, tc.kind) {
				t.Fatalf("err = %v, want kind %s", err, tc.kind)
			}
			if tc.field != "" && errs.As(err).Fields[tc.field] == "" {
				t.Fatalf("no message for field %s: %v", tc.field, err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"x","count":1}`, `[]`, `{"name":1}`, `{"a":`, "\x00", `{"name":"\ud800"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var v target
		err := httpx.Decode(httptest.NewRecorder(), r, &v, 1024)
		if err != nil && errs.KindOf(err) == errs.Internal {
			t.Fatalf("unclassified error for %q: %v", body, err)
		}
	})
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	httpx.Observe(quiet, httpx.NewMetrics(prometheus.NewRegistry()), false, nil, httpx.SecureHeaders(h)).ServeHTTP(w, r)
	return w
}

func TestObserve(t *testing.T) {
	t.Run("a good client request id is kept, a bad one replaced", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, httpx.RequestID(r.Context())) })
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Request-Id", "client-id-12345")
		if w := serve(h, r); w.Body.String() != "client-id-12345" || w.Header().Get("X-Request-Id") != "client-id-12345" {
			t.Fatalf("got %q", w.Body.String())
		}
		r.Header.Set("X-Request-Id", "<script>")
		if w := serve(h, r); w.Body.String() == "<script>" || len(w.Body.String()) != 24 {
			t.Fatalf("bad id kept: %q", w.Body.String())
		}
	})
	t.Run("a panic becomes a 500 problem without internals", func(t *testing.T) {
		h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("secret internals") })
		w := serve(h, httptest.NewRequest("GET", "/x", nil))
		if w.Code != 500 || strings.Contains(w.Body.String(), "secret") || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%d %s", w.Code, w.Body.String())
		}
	})
	t.Run("quiet routes log only failures and slow requests", func(t *testing.T) {
		var logged bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logged, nil))
		status := 200
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) })
		routeOf := func(r *http.Request) string { return r.Method + " " + r.URL.Path }
		obs := httpx.ObserveQuiet(log, httpx.NewMetrics(prometheus.NewRegistry()), false, routeOf, map[string]bool{"POST /save": true}, h)
		obs.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/save", nil))
		if logged.Len() != 0 {
			t.Fatalf("a quiet success was logged: %s", logged.String())
		}
		obs.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/other", nil))
		status = 409
		obs.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/save", nil))
		if n := strings.Count(logged.String(), `"msg":"request"`); n != 2 || !strings.Contains(logged.String(), `"status":409`) {
			t.Fatalf("want the other route and the failure logged, got %s", logged.String())
		}
	})
	t.Run("security headers are set", func(t *testing.T) {
		w := serve(http.NotFoundHandler(), httptest.NewRequest("GET", "/", nil))
		for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
			if w.Header().Get(h) == "" {
				t.Errorf("missing %s", h)
			}
		}
	})
}

func TestErrorMapsKindsAndHidesInternals(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		detail string
	}{
		{errs.E(errs.NotFound, "op", "no authority %q", "X"), 404, `no authority "X"`},
		{&errs.Error{Kind: errs.TooMany, Message: "slow down", RetryAfter: 7}, 429, "slow down"},
		{errs.Wrap("store", io.ErrUnexpectedEOF), 500, "Something went wrong"},
	} {
		w := httptest.NewRecorder()
		httpx.Error(w, httptest.NewRequest("GET", "/p", nil), quiet, tc.err)
		var p httpx.Problem
		if err := json.NewDecoder(w.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if w.Code != tc.status || p.Status != tc.status || !strings.Contains(p.Detail, tc.detail) || p.Instance != "/p" {
			t.Errorf("%v: %d %+v", tc.err, w.Code, p)
		}
		if strings.Contains(p.Detail, "unexpected EOF") {
			t.Errorf("internal error text leaked: %q", p.Detail)
		}
		if tc.status == 429 && w.Header().Get("Retry-After") != "7" {
			t.Errorf("Retry-After = %q", w.Header().Get("Retry-After"))
		}
	}
}

func TestClientIP(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, httpx.ClientIP(r.Context())) })
	for _, tc := range []struct {
		trust bool
		xff   string
		want  string
	}{
		{false, "1.2.3.4", "192.0.2.1"},
		{true, "1.2.3.4", "1.2.3.4"},
		{true, "6.6.6.6, 1.2.3.4", "1.2.3.4"},
		{true, "garbage", "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Forwarded-For", tc.xff)
		w := httptest.NewRecorder()
		httpx.Observe(quiet, httpx.NewMetrics(prometheus.NewRegistry()), tc.trust, nil, h).ServeHTTP(w, r)
		if w.Body.String() != tc.want {
			t.Errorf("trust=%v xff=%q: %q, want %q", tc.trust, tc.xff, w.Body.String(), tc.want)
		}
	}
}

func TestLimitBody(t *testing.T) {
	h := httpx.LimitBody(10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "too big", 413)
		}
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 11))))
	if w.Code != 413 {
		t.Fatalf("declared oversize: %d", w.Code)
	}
	r := httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(strings.Repeat("x", 11))))
	r.ContentLength = -1
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 413 {
		t.Fatalf("streamed oversize: %d", w.Code)
	}
}
