package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vidya-edu/vidya/internal/api"
	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

const testPassword = "correct horse battery"

// env is a running server: the real mux and middleware chain over SQLite.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	svc      *identity.Service
	bank     *assess.Service
	delivery *assess.Delivery
	outbox   *mail.Outbox
	users    map[string]*identity.User
}

type envOpts struct {
	closedSignUp bool
}

func newEnv(t *testing.T, opts ...envOpts) *env {
	t.Helper()
	var o envOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	db := dbtest.SQLite(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := mail.NewOutbox(db, mail.SMTPConfig{})
	svc := identity.NewService(db, outbox, log, identity.Config{BaseURL: "http://vidya.test", AllowSignUp: !o.closedSignUp})
	files, err := blob.NewLocal(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetFiles(files)
	cookies := api.Cookies{}
	bank := assess.NewService(db, svc, log)
	bank.SetFiles(files)
	delivery, err := assess.NewDelivery(bank, log, assess.DeliveryOptions{Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(delivery.Close)
	w, err := New(Config{Identity: svc, Bank: bank, Delivery: delivery, Outbox: outbox, Cookies: cookies, Log: log, AllowSignUp: !o.closedSignUp, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	// The production chain, outermost first.
	var h http.Handler = mux
	h = api.Authenticate(svc, cookies, log, h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = httpx.SecureHeaders(h)
	h = httpx.Observe(log, httpx.NewMetrics(prometheus.NewRegistry()), false, nil, h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	e := &env{t: t, srv: srv, svc: svc, bank: bank, delivery: delivery, outbox: outbox, users: map[string]*identity.User{}}
	ctx := context.Background()
	for _, a := range []identity.NewAuthority{
		{Code: "ALPHA", Name: "Board A", ContactEmail: "office@a.example"},
		{Code: "BETA", Name: "Board B"},
	} {
		if _, err := svc.EnsureAuthority(ctx, "test", a); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct {
		email, name string
		platform    bool
		authority   string
		roles       []identity.Role
	}{
		{"root@vidya.test", "Root Admin", true, "", nil},
		{"admin-a@vidya.test", "Asha Admin", false, "ALPHA", []identity.Role{identity.RoleAdmin, identity.RoleAuthor}},
		{"learner-a@vidya.test", "Lalit Learner", false, "ALPHA", []identity.Role{identity.RoleLearner}},
		{"admin-b@vidya.test", "Bina Admin", false, "BETA", []identity.Role{identity.RoleAdmin}},
	} {
		got, err := svc.EnsureUser(ctx, "test", identity.NewUser{Email: u.email, Name: u.name, Password: testPassword, Roles: u.roles}, u.platform, u.authority)
		if err != nil {
			t.Fatal(err)
		}
		e.users[u.email] = got
	}
	return e
}

// client is one browser: its own cookie jar, redirects not followed.
type client struct {
	e *env
	c *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a response with its body read.
type page struct {
	*http.Response
	Body string
}

func (c *client) do(req *http.Request) *page {
	c.e.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return &page{Response: resp, Body: string(b)}
}

func (c *client) get(path string, hdr ...string) *page {
	c.e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.e.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, hdr ...string) *page {
	c.e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// signIn signs the client in as email and checks it worked.
func (c *client) signIn(email string) *client {
	c.e.t.Helper()
	p := c.post("/signin", url.Values{"email": {email}, "password": {testPassword}})
	if p.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("sign in as %s: status %d\n%s", email, p.StatusCode, p.Body)
	}
	return c
}

func (e *env) signedIn(email string) *client { return e.client().signIn(email) }

// wantStatus fails the test unless p has the status.
func (p *page) wantStatus(t *testing.T, status int) *page {
	t.Helper()
	if p.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d\n%s", p.Request.Method, p.Request.URL.Path, p.StatusCode, status, p.Body)
	}
	return p
}

func (p *page) wantRedirect(t *testing.T, to string) *page {
	t.Helper()
	p.wantStatus(t, http.StatusSeeOther)
	if got := p.Header.Get("Location"); got != to {
		t.Fatalf("%s %s: redirects to %q, want %q", p.Request.Method, p.Request.URL, got, to)
	}
	return p
}

func (p *page) wantContains(t *testing.T, subs ...string) *page {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s %s: body lacks %q\n%s", p.Request.Method, p.Request.URL, s, p.Body)
		}
	}
	return p
}

func (p *page) wantLacks(t *testing.T, subs ...string) *page {
	t.Helper()
	for _, s := range subs {
		if strings.Contains(p.Body, s) {
			t.Fatalf("%s %s: body has %q but should not\n%s", p.Request.Method, p.Request.URL, s, p.Body)
		}
	}
	return p
}

var requestIDRE = regexp.MustCompile(`<code>[0-9a-f]{24}</code>`)

// withoutRequestID blanks the request id, the one part of an error page
// that differs between requests.
func withoutRequestID(s string) string { return requestIDRE.ReplaceAllString(s, "<code>ID</code>") }
