package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// engines runs fn against a system on SQLite and on PostgreSQL.
func engines(t *testing.T, fn func(t *testing.T, sys *system, srv *httptest.Server)) {
	t.Run("sqlite", func(t *testing.T) {
		sys, srv := newSystem(t, "")
		fn(t, sys, srv)
	})
	t.Run("postgres", func(t *testing.T) {
		u := dbtest.PostgresURL(t)
		schema := dbtest.NewSchema(t, u)
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		sys, srv := newSystem(t, u+sep+"search_path="+schema)
		fn(t, sys, srv)
	})
}

// newSystem starts the whole system (all roles) on databaseURL (empty:
// SQLite in a temp dir) behind an httptest server.
func newSystem(t testing.TB, databaseURL string, opts ...func(*Config)) (*system, *httptest.Server) {
	t.Helper()
	dir := t.TempDir()
	srv := httptest.NewUnstartedServer(nil)
	c := Config{DataDir: dir, DatabaseURL: databaseURL, BlobURL: filepath.Join(dir, "blobs"), Listen: "127.0.0.1:0",
		BaseURL: "http://" + srv.Listener.Addr().String(), OIDCName: "Test IdP",
		AllowSignUp: "true", TrustProxy: "false", LogLevel: "error", SMTPTLS: "starttls", SMTPPort: "587",
		SecretKey: strings.Repeat("ab", 32)}
	for _, o := range opts {
		o(&c)
	}
	s, err := c.validate()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	sys, err := start(context.Background(), s, log, roleAll)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sys.handler
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		sys.close(context.Background())
	})
	return sys, srv
}

// client is an HTTP client with a cookie jar, speaking to srv.
type client struct {
	t     *testing.T
	srv   *httptest.Server
	hc    *http.Client
	token string // API token, sent as Bearer when set
}

func newClient(t *testing.T, srv *httptest.Server) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, srv: srv, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (c *client) do(method, path string, body any) response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			j, _ := json.Marshal(b)
			rd = bytes.NewReader(j)
		}
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) signIn(email, password string) {
	c.t.Helper()
	r := c.do("POST", "/api/v1/auth/signin", map[string]string{"email": email, "password": password})
	if r.status != 200 {
		c.t.Fatalf("sign in %s: %d %s", email, r.status, r.body)
	}
}

func jsonDecode(res *http.Response, v any) error {
	return json.NewDecoder(res.Body).Decode(v)
}
