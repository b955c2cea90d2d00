package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

// OIDC signs staff in through an OpenID Connect provider (authorization
// code flow with PKCE, state and nonce).
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	BaseURL      string // Vidya's public URL; the callback is BaseURL + /auth/oidc/callback
	Identity     *identity.Service
	Cookies      Cookies
	Log          *slog.Logger
	// HTTPClient, if set, is used to reach the provider (tests).
	HTTPClient *http.Client

	mu       sync.Mutex // guards provider
	provider *oidc.Provider
}

const oidcFlowCookie = "vidya_oidc"

// Register adds the sign-in routes to mux.
func (o *OIDC) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /auth/oidc/start", o.start)
	mux.HandleFunc("GET /auth/oidc/callback", o.callback)
}

// discover finds the provider's endpoints on first use (and again after a
// failure), so Vidya starts even while the provider is unreachable.
func (o *OIDC) discover(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider == nil {
		ctx, cancel := context.WithTimeout(o.clientContext(ctx), 10*time.Second)
		defer cancel()
		p, err := oidc.NewProvider(ctx, o.Issuer)
		if err != nil {
			return nil, nil, &errs.Error{Kind: errs.Unavailable, Op: "oidc: discover", Message: "the single sign-on provider cannot be reached; try again shortly or sign in with your password", Err: err, RetryAfter: 30}
		}
		o.provider = p
	}
	cfg := &oauth2.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, Endpoint: o.provider.Endpoint(),
		RedirectURL: strings.TrimRight(o.BaseURL, "/") + "/auth/oidc/callback", Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	return o.provider, cfg, nil
}

func (o *OIDC) clientContext(ctx context.Context) context.Context {
	if o.HTTPClient != nil {
		return oidc.ClientContext(ctx, o.HTTPClient)
	}
	return oidc.ClientContext(ctx, &http.Client{Timeout: 15 * time.Second})
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (o *OIDC) start(w http.ResponseWriter, r *http.Request) {
	_, cfg, err := o.discover(r.Context())
	if err != nil {
		httpx.Error(w, r, o.Log, err)
		return
	}
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	next := SafeNext(r.URL.Query().Get("next"))
	// The flow's secrets ride in a short-lived cookie bound to this browser;
	// the callback must present the same state.
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Value: strings.Join([]string{state, nonce, verifier, base64.RawURLEncoding.EncodeToString([]byte(next))}, "."),
		Path: "/auth/oidc/", MaxAge: 600, HttpOnly: true, Secure: o.Cookies.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, cfg.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

func (o *OIDC) callback(w http.ResponseWriter, r *http.Request) {
	const op = "oidc: callback"
	fail := func(err error) { httpx.Error(w, r, o.Log, err) }
	c, err := r.Cookie(oidcFlowCookie)
	http.SetCookie(w, &http.Cookie{Name: oidcFlowCookie, Path: "/auth/oidc/", MaxAge: -1, HttpOnly: true, Secure: o.Cookies.Secure})
	if err != nil {
		fail(errs.E(errs.Invalid, op, "the sign-in took too long or came from another browser; start again"))
		return
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 4 {
		fail(errs.E(errs.Invalid, op, "the sign-in state is damaged; start again"))
		return
	}
	state, nonce, verifier := parts[0], parts[1], parts[2]
	nextB, _ := base64.RawURLEncoding.DecodeString(parts[3])
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		fail(errs.E(errs.Forbidden, op, "the identity provider refused the sign-in: %s", e))
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		fail(errs.E(errs.Invalid, op, "the sign-in state does not match; start again"))
		return
	}
	provider, cfg, err := o.discover(r.Context())
	if err != nil {
		fail(err)
		return
	}
	ctx := o.clientContext(r.Context())
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		fail(&errs.Error{Kind: errs.Unauthorized, Op: op, Message: "the identity provider did not accept the sign-in code", Err: err})
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: o.ClientID}).Verify(ctx, raw)
	if err != nil {
		fail(&errs.Error{Kind: errs.Unauthorized, Op: op, Message: "the identity provider's ID token is not valid", Err: err})
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		fail(errs.E(errs.Unauthorized, op, "the ID token was not issued for this sign-in (nonce mismatch)"))
		return
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			fail(&errs.Error{Kind: errs.Unauthorized, Op: op, Message: "the access token does not match the ID token", Err: err})
			return
		}
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		fail(&errs.Error{Kind: errs.Unauthorized, Op: op, Message: "the ID token's claims cannot be read", Err: err})
		return
	}
	verified := claims.EmailVerified == true || claims.EmailVerified == "true"
	session, _, err := o.Identity.SignInOIDC(r.Context(), identity.OIDCClaims{Issuer: idt.Issuer, Subject: idt.Subject, Email: claims.Email, EmailVerified: verified, Name: claims.Name})
	if err != nil {
		fail(err)
		return
	}
	o.Cookies.Set(w, session)
	http.Redirect(w, r, SafeNext(string(nextB)), http.StatusSeeOther)
}

// SafeNext returns next if it is a path on this site, else "/". It refuses
// scheme-relative ("//host"), backslash and absolute URLs, so a sign-in link
// cannot send the user to another site.
func SafeNext(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\") {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	// Encoded tricks (%2F%2F, %5C, %0A) are harmless to browsers but not
	// to every proxy in between; refuse them too.
	if strings.ContainsAny(u.Path, "\\") || strings.ContainsFunc(u.Path, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return "/"
	}
	return next
}
