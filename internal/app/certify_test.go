package app

import (
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/identity"
)

func TestSigningKeysArePublished(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		ctx := context.Background()
		for _, code := range []string{"CRT", "OTH"} {
			if _, err := sys.identity.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: code, Name: code + " board"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: "boss@crt.test", Name: "Boss", Password: "long-enough-pass", Roles: []identity.Role{identity.RoleAdmin}}, false, "CRT"); err != nil {
			t.Fatal(err)
		}
		if _, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: "boss@oth.test", Name: "Other", Password: "long-enough-pass", Roles: []identity.Role{identity.RoleAdmin}}, false, "OTH"); err != nil {
			t.Fatal(err)
		}
		admin, other, anon := newClient(t, srv), newClient(t, srv), newClient(t, srv)
		admin.signIn("boss@crt.test", "long-enough-pass")
		other.signIn("boss@oth.test", "long-enough-pass")

		if r := anon.do("GET", "/authorities/CRT/did.json", nil); r.status != 404 || !strings.Contains(string(r.body), "CRT has not published a signing key yet") {
			t.Fatalf("DID document before any key: %d %s", r.status, r.body)
		}
		var first, second struct {
			Kid                string `json:"kid"`
			VerificationMethod string `json:"verification_method"`
		}
		r := admin.do("POST", "/api/v1/authorities/CRT/signing-keys", nil)
		if r.status != 201 {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		r.json(t, &first)
		if r := other.do("POST", "/api/v1/authorities/CRT/signing-keys", nil); r.status != 404 {
			t.Fatalf("another authority's admin rotated CRT's key: %d %s", r.status, r.body)
		}
		admin.do("POST", "/api/v1/authorities/CRT/signing-keys", nil).json(t, &second)

		r = anon.do("GET", "/authorities/crt/did.json", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/did+json" || r.header.Get("Cache-Control") != "public, max-age=300" {
			t.Fatalf("DID document: %d %v %s", r.status, r.header, r.body)
		}
		doc, err := vc.ParseDIDDocument(r.body)
		if err != nil {
			t.Fatal(err)
		}
		// Both keys verify what they sign: the retired one stays published.
		for _, vm := range []string{first.VerificationMethod, second.VerificationMethod} {
			pub, err := doc.Resolve(vm)
			if err != nil {
				t.Fatalf("resolve %s: %v", vm, err)
			}
			if len(pub) != ed25519.PublicKeySize {
				t.Fatalf("key %s of %d bytes", vm, len(pub))
			}
		}
		r = anon.do("GET", "/authorities/CRT/jwks.json", nil)
		var set struct {
			Keys []struct{ Kid, Crv string }
		}
		r.json(t, &set)
		if r.status != 200 || len(set.Keys) != 2 || set.Keys[0].Kid != second.Kid || set.Keys[1].Kid != first.Kid || set.Keys[0].Crv != "Ed25519" {
			t.Fatalf("JWKS: %d %s", r.status, r.body)
		}
		if r := anon.do("GET", "/authorities/NOPE/did.json", nil); r.status != 404 {
			t.Fatalf("unknown authority: %d %s", r.status, r.body)
		}
	})
}
