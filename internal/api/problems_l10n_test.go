package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vidya-edu/vidya/internal/api"
	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// newAPIServer runs the real API routes and middleware over SQLite.
func newAPIServer(t *testing.T) *httptest.Server {
	t.Helper()
	db := dbtest.SQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := mail.NewOutbox(db, mail.SMTPConfig{})
	svc := identity.NewService(db, outbox, log, identity.Config{BaseURL: "http://vidya.test", AllowSignUp: true})
	a := &api.API{Identity: svc, Bank: assess.NewService(db, svc, log), Outbox: outbox, Log: log, Version: "test"}
	mux := http.NewServeMux()
	a.Register(mux)
	var h http.Handler = mux
	h = api.Authenticate(svc, api.Cookies{}, log, h)
	h = httpx.SecureHeaders(h)
	h = httpx.Observe(log, httpx.NewMetrics(prometheus.NewRegistry()), false, nil, h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// problemOf sends a request and decodes the problem it answers with.
func problemOf(t *testing.T, srv *httptest.Server, method, path, body, acceptLanguage string) (httpx.Problem, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, ct)
	}
	var p httpx.Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p, res.Header
}

func TestProblemsSpeakTheCallersLanguage(t *testing.T) {
	srv := newAPIServer(t)
	const signup = `{"name":"","email":"not-an-address","password":"short","locale":"en"}`

	t.Run("a validation error is in English by default", func(t *testing.T) {
		p, h := problemOf(t, srv, "POST", "/api/v1/auth/signup", signup, "")
		if p.Status != http.StatusBadRequest || p.Detail != "some fields are not valid" || p.Errors["name"] != "is required" ||
			p.Errors["email"] != "must be an e-mail address like name@example.org" {
			t.Fatalf("problem = %+v", p)
		}
		if h.Get("Content-Language") != "" {
			t.Errorf("Content-Language = %q", h.Get("Content-Language"))
		}
	})

	t.Run("a validation error is in Hindi when the caller prefers it", func(t *testing.T) {
		p, h := problemOf(t, srv, "POST", "/api/v1/auth/signup", signup, "hi-IN,hi;q=0.9,en;q=0.5")
		want := map[string]string{
			"name":     "आवश्यक है",
			"email":    "name@example.org जैसा ई-मेल पता होना चाहिए",
			"password": l10n.Translate("hi", "must be at least 10 characters"),
		}
		if p.Detail != "कुछ फ़ील्ड मान्य नहीं हैं" {
			t.Errorf("detail = %q", p.Detail)
		}
		for f, msg := range want {
			if p.Errors[f] != msg {
				t.Errorf("errors[%s] = %q, want %q", f, p.Errors[f], msg)
			}
		}
		if !strings.Contains(p.Errors["password"], "10") || strings.Contains(p.Errors["password"], "characters") {
			t.Errorf("password message %q is not the translated one with its number", p.Errors["password"])
		}
		if p.Title != "The request is not valid" || p.Type != httpx.ProblemBase+"invalid" {
			t.Errorf("title and type must stay stable: %q %q", p.Title, p.Type)
		}
		if h.Get("Content-Language") != "hi" || !strings.Contains(h.Get("Vary"), "Accept-Language") {
			t.Errorf("headers: Content-Language %q, Vary %q", h.Get("Content-Language"), h.Get("Vary"))
		}
	})

	t.Run("a message with arguments keeps them in Hindi", func(t *testing.T) {
		p, _ := problemOf(t, srv, "GET", "/api/nowhere", "", "hi")
		if p.Detail != "API में GET /api/nowhere नाम का कोई एंडपॉइंट नहीं है" {
			t.Errorf("detail = %q", p.Detail)
		}
	})

	t.Run("a language we lack falls back to English", func(t *testing.T) {
		p, h := problemOf(t, srv, "POST", "/api/v1/auth/signup", signup, "fr-FR")
		if p.Detail != "some fields are not valid" || p.Errors["name"] != "is required" || h.Get("Content-Language") != "" {
			t.Errorf("problem = %+v, Content-Language %q", p, h.Get("Content-Language"))
		}
	})

	t.Run("English wins when the caller weighs it higher", func(t *testing.T) {
		p, _ := problemOf(t, srv, "POST", "/api/v1/auth/signup", signup, "en-GB, hi;q=0.3")
		if p.Detail != "some fields are not valid" {
			t.Errorf("detail = %q", p.Detail)
		}
	})
}
