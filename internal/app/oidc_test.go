package app

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/vidya-edu/vidya/internal/identity"
)

// idp is a minimal in-process OpenID Connect provider: discovery, JWKS, an
// authorize endpoint that approves at once, and a token endpoint that checks
// PKCE and issues an RS256 ID token.
type idp struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	mu     sync.Mutex // guards codes and the claims to issue
	codes  map[string]authz
	sub    string
	email  string
	verify bool
	// badNonce makes the ID token carry a different nonce.
	badNonce bool
}

type authz struct {
	nonce, challenge, clientID string
}

func newIDP(t *testing.T) *idp {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{key: key, codes: map[string]authz{}}
	mux := http.NewServeMux()
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
			http.Error(w, "PKCE S256 and the code flow are required", 400)
			return
		}
		code := rand.Text()
		p.mu.Lock()
		p.codes[code] = authz{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), clientID: q.Get("client_id")}
		p.mu.Unlock()
		u, _ := url.Parse(q.Get("redirect_uri"))
		v := u.Query()
		v.Set("code", code)
		v.Set("state", q.Get("state"))
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		a, ok := p.codes[r.Form.Get("code")]
		delete(p.codes, r.Form.Get("code"))
		sub, email, verified, badNonce := p.sub, p.email, p.verify, p.badNonce
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != a.challenge {
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		nonce := a.nonce
		if badNonce {
			nonce = "someone-else"
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
		now := time.Now()
		raw, _ := jwt.Signed(signer).Claims(map[string]any{
			"iss": p.srv.URL, "sub": sub, "aud": a.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
			"nonce": nonce, "email": email, "email_verified": verified, "name": "Staff Member",
		}).Serialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at-" + rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
	})
	return p
}

func (p *idp) as(sub, email string, verified bool) {
	p.mu.Lock()
	p.sub, p.email, p.verify, p.badNonce = sub, email, verified, false
	p.mu.Unlock()
}

// follow runs the browser side of the flow and returns the final response.
func (c *client) followOIDC(t *testing.T, next string) response {
	t.Helper()
	r := c.do("GET", "/auth/oidc/start?next="+url.QueryEscape(next), nil)
	for i := 0; i < 5 && (r.status == 302 || r.status == 303); i++ {
		loc := r.header.Get("Location")
		if strings.HasPrefix(loc, c.srv.URL) {
			r = c.do("GET", strings.TrimPrefix(loc, c.srv.URL), nil)
			continue
		}
		if strings.HasPrefix(loc, "/") {
			return r
		}
		res, err := c.hc.Get(loc)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		r = response{status: res.StatusCode, header: res.Header}
	}
	return r
}

func TestStaffSignInThroughOIDC(t *testing.T) {
	p := newIDP(t)
	sys, srv := newSystem(t, "", func(c *Config) {
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret = p.srv.URL, "vidya-test", "s3cret"
	})
	w := setupTenants(t, sys, srv)
	_ = w

	t.Run("a provisioned staff member signs in and is linked", func(t *testing.T) {
		p.as("sub-123", "Admin@A.test", true)
		c := newClient(t, srv)
		r := c.followOIDC(t, "/account")
		if r.status != 303 || r.header.Get("Location") != "/account" {
			t.Fatalf("callback: %d %s", r.status, r.header.Get("Location"))
		}
		var me struct{ User identity.User }
		c.do("GET", "/api/v1/me", nil).json(t, &me)
		if me.User.Email != "admin@a.test" {
			t.Fatalf("signed in as %q", me.User.Email)
		}
	})
	t.Run("later sign-ins match the subject, not the e-mail", func(t *testing.T) {
		// The provider now says this subject has another address: still the same account.
		p.as("sub-123", "changed@elsewhere.test", true)
		c := newClient(t, srv)
		c.followOIDC(t, "/")
		var me struct{ User identity.User }
		c.do("GET", "/api/v1/me", nil).json(t, &me)
		if me.User.Email != "admin@a.test" {
			t.Fatalf("signed in as %q", me.User.Email)
		}
		// And another subject claiming that address cannot take the account.
		p.as("sub-evil", "admin@a.test", true)
		c2 := newClient(t, srv)
		if r := c2.followOIDC(t, "/"); r.status != 403 {
			t.Fatalf("second subject for a linked account: %d", r.status)
		}
	})
	t.Run("unknown people and unverified e-mails are refused", func(t *testing.T) {
		for _, tc := range []struct {
			sub, email string
			verified   bool
		}{{"sub-x", "stranger@x.test", true}, {"sub-y", "learner@a.test", false}} {
			p.as(tc.sub, tc.email, tc.verified)
			c := newClient(t, srv)
			if r := c.followOIDC(t, "/"); r.status != 403 {
				t.Errorf("%s: %d, want 403", tc.email, r.status)
			}
			if r := c.do("GET", "/api/v1/me", nil); r.status != 401 {
				t.Errorf("%s: got a session", tc.email)
			}
		}
	})
	t.Run("a forged state or a wrong nonce is refused", func(t *testing.T) {
		p.as("sub-123", "admin@a.test", true)
		c := newClient(t, srv)
		r := c.do("GET", "/auth/oidc/start", nil)
		loc, _ := url.Parse(r.header.Get("Location"))
		res, _ := c.hc.Get(loc.String())
		res.Body.Close()
		cb, _ := url.Parse(res.Header.Get("Location"))
		q := cb.Query()
		q.Set("state", "forged")
		cb.RawQuery = q.Encode()
		if r := c.do("GET", "/auth/oidc/callback?"+cb.RawQuery, nil); r.status != 400 {
			t.Errorf("forged state: %d", r.status)
		}
		p.mu.Lock()
		p.badNonce = true
		p.mu.Unlock()
		c = newClient(t, srv)
		if r := c.followOIDC(t, "/"); r.status != 401 {
			t.Errorf("wrong nonce: %d", r.status)
		}
		if r := c.do("GET", "/api/v1/me", nil); r.status != 401 {
			t.Error("wrong nonce gave a session")
		}
	})
}
