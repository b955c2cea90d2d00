package vc_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

func TestDIDWeb(t *testing.T) {
	cases := []struct {
		host string
		path []string
		want string
	}{
		{"vidya.example", nil, "did:web:vidya.example"},
		{"Vidya.Example", nil, "did:web:vidya.example"},
		{"localhost:8443", nil, "did:web:localhost%3A8443"},
		{"vidya.example", []string{"a", "cbse"}, "did:web:vidya.example:a:cbse"},
		{"vidya.example", []string{"a", "", "b"}, "did:web:vidya.example:a:b"},
		{"vidya.example", []string{"board of x", "a:b", "é"}, "did:web:vidya.example:board%20of%20x:a%3Ab:%C3%A9"},
	}
	for _, tc := range cases {
		if got := vc.DIDWeb(tc.host, tc.path...); got != tc.want {
			t.Errorf("DIDWeb(%q, %q) = %s, want %s", tc.host, tc.path, got, tc.want)
		}
	}
}

func TestDIDWebURL(t *testing.T) {
	cases := map[string]string{
		"did:web:vidya.example":                "https://vidya.example/.well-known/did.json",
		"did:web:vidya.example%3A8443":         "https://vidya.example:8443/.well-known/did.json",
		"did:web:localhost%3a8443:a:cbse":      "https://localhost:8443/a/cbse/did.json",
		"did:web:w3c-ccg.github.io:user:alice": "https://w3c-ccg.github.io/user/alice/did.json",
		"did:web:vidya.example:board%20of%20x": "https://vidya.example/board%20of%20x/did.json",
		"did:web:Vidya.Example:A":              "https://vidya.example/A/did.json",
	}
	for did, want := range cases {
		got, err := vc.DIDWebURL(did)
		if err != nil || got != want {
			t.Errorf("DIDWebURL(%s) = %q, %v; want %s", did, got, err, want)
		}
	}
	for _, bad := range []string{
		"", "did:web:", "did:key:z6Mk", "did:web:vidya.example#key-1", "did:web:vidya.example/path",
		"did:web:vidya.example:a::b", "did:web:vidya.example:..", "did:web:vidya.example:.", "did:web:vidya.example:a:",
		"did:web:vidya.example%3A0", "did:web:vidya.example%3A99999", "did:web:vidya.example%3Ax", "did:web:-bad.example",
		"did:web:bad..example", "did:web:user@vidya.example", "did:web:vidya.example%2Fevil", "did:web:vidya.example:a%zz",
		"did:web:[::1]",
	} {
		if got, err := vc.DIDWebURL(bad); err == nil {
			t.Errorf("DIDWebURL(%q) = %s, want an error", bad, got)
		}
	}
	t.Run("DIDWeb and DIDWebURL agree", func(t *testing.T) {
		got, err := vc.DIDWebURL(vc.DIDWeb("Vidya.example:8443", "a", "board of x"))
		if err != nil || got != "https://vidya.example:8443/a/board%20of%20x/did.json" {
			t.Fatalf("%s %v", got, err)
		}
	})
}

func issuerKeys() []vc.PublicKey {
	return []vc.PublicKey{
		{ID: "key-2025-01", Key: testKey("cbse-2025").Public().(ed25519.PublicKey)},
		{ID: "key-2026-01", Key: testKey("cbse").Public().(ed25519.PublicKey)},
	}
}

func TestDIDDocumentResolvesEveryKey(t *testing.T) {
	keys := issuerKeys()
	doc, err := vc.DIDDocument(boardDID, keys)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Context            []string `json:"@context"`
		ID                 string   `json:"id"`
		VerificationMethod []struct {
			ID, Type, Controller, PublicKeyMultibase string
		} `json:"verificationMethod"`
		AssertionMethod []string `json:"assertionMethod"`
	}
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Context, []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"}) || m.ID != boardDID {
		t.Errorf("document head = %v %s", m.Context, m.ID)
	}
	if len(m.VerificationMethod) != 2 || !slices.Equal(m.AssertionMethod, []string{boardDID + "#key-2025-01", boardKID}) {
		t.Fatalf("methods = %+v, assertion = %v", m.VerificationMethod, m.AssertionMethod)
	}
	for i, vm := range m.VerificationMethod {
		if vm.Type != "Multikey" || vm.Controller != boardDID || vm.ID != m.AssertionMethod[i] || !strings.HasPrefix(vm.PublicKeyMultibase, "z6Mk") {
			t.Errorf("method %d = %+v", i, vm)
		}
	}

	parsed, err := vc.ParseDIDDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(parsed.Methods(), m.AssertionMethod) {
		t.Errorf("Methods = %v", parsed.Methods())
	}
	for _, k := range keys {
		got, err := parsed.Resolve(boardDID + "#" + k.ID)
		if err != nil || !bytes.Equal(got, k.Key) {
			t.Errorf("Resolve(%s) = %x, %v", k.ID, got, err)
		}
	}
	if _, err := parsed.Resolve(boardDID + "#key-2024-01"); err == nil {
		t.Error("an unknown key resolved")
	}
	if _, err := parsed.Resolve("#key-2026-01"); err == nil {
		t.Error("a relative reference resolved; Verify always passes full URLs")
	}

	t.Run("a credential signed with a retired key still verifies", func(t *testing.T) {
		doc, _ := json.Marshal(sampleCredential(t))
		signed, err := vc.Sign(doc, testKey("cbse-2025"), vc.ProofOptions{VerificationMethod: boardDID + "#key-2025-01", Created: issuedAt})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := vc.VerifyCredential(signed, parsed.Resolve); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDIDDocumentRefuses(t *testing.T) {
	k := testKey("a").Public().(ed25519.PublicKey)
	cases := map[string]struct {
		did  string
		keys []vc.PublicKey
	}{
		"a DID with a fragment": {"did:web:x.example#a", []vc.PublicKey{{ID: "k", Key: k}}},
		"not a DID":             {"https://x.example", []vc.PublicKey{{ID: "k", Key: k}}},
		"no keys":               {"did:web:x.example", nil},
		"a key id used twice":   {"did:web:x.example", []vc.PublicKey{{ID: "k", Key: k}, {ID: "k", Key: k}}},
		"a key id with a space": {"did:web:x.example", []vc.PublicKey{{ID: "k 1", Key: k}}},
		"an empty key id":       {"did:web:x.example", []vc.PublicKey{{ID: "", Key: k}}},
		"a short key":           {"did:web:x.example", []vc.PublicKey{{ID: "k", Key: k[:16]}}},
	}
	for name, tc := range cases {
		t.Run(name+" is refused", func(t *testing.T) {
			if _, err := vc.DIDDocument(tc.did, tc.keys); err == nil {
				t.Fatal("DIDDocument succeeded")
			}
			if tc.did == "did:web:x.example" {
				if _, err := vc.JWKS(tc.keys); err == nil {
					t.Fatal("JWKS succeeded")
				}
			}
		})
	}
}

func TestParseThirdPartyDIDDocument(t *testing.T) {
	a := testKey("a").Public().(ed25519.PublicKey)
	b := testKey("b").Public().(ed25519.PublicKey)
	c := testKey("c").Public().(ed25519.PublicKey)
	x := base64.RawURLEncoding.EncodeToString(c)
	doc := `{
	  "@context": ["https://www.w3.org/ns/did/v1"],
	  "id": "did:web:issuer.example",
	  "verificationMethod": [
	    {"id": "#multi", "type": "Multikey", "controller": "did:web:issuer.example", "publicKeyMultibase": "` + vc.EncodeMultikey(a) + `"},
	    {"id": "did:web:issuer.example#jwk", "type": "JsonWebKey2020", "controller": "did:web:issuer.example", "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "` + x + `"}},
	    {"id": "did:web:other.example#k", "type": "Multikey", "controller": "did:web:other.example", "publicKeyMultibase": "` + vc.EncodeMultikey(b) + `"},
	    {"id": "#auth-only", "type": "Multikey", "controller": "did:web:issuer.example", "publicKeyMultibase": "` + vc.EncodeMultikey(b) + `"},
	    {"id": "#p256", "type": "JsonWebKey", "controller": "did:web:issuer.example", "publicKeyJwk": {"kty": "EC", "crv": "P-256", "x": "abc", "y": "def"}}
	  ],
	  "authentication": ["#auth-only"],
	  "assertionMethod": [
	    "#multi",
	    "did:web:issuer.example#jwk",
	    "did:web:other.example#k",
	    "#p256",
	    {"id": "#embedded", "type": "Ed25519VerificationKey2020", "controller": "did:web:issuer.example", "publicKeyMultibase": "` + vc.EncodeMultikey(b) + `"}
	  ]
	}`
	d, err := vc.ParseDIDDocument([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]ed25519.PublicKey{
		"did:web:issuer.example#multi":    a,
		"did:web:issuer.example#jwk":      c,
		"did:web:issuer.example#embedded": b,
	}
	if got := d.Methods(); len(got) != len(want) {
		t.Fatalf("Methods = %v", got)
	}
	for vm, k := range want {
		if got, err := d.Resolve(vm); err != nil || !bytes.Equal(got, k) {
			t.Errorf("Resolve(%s) = %x, %v", vm, got, err)
		}
	}
	for _, vm := range []string{"did:web:other.example#k", "did:web:issuer.example#auth-only", "did:web:issuer.example#p256"} {
		if _, err := d.Resolve(vm); err == nil {
			t.Errorf("Resolve(%s) succeeded; only the issuer's own Ed25519 assertion keys may", vm)
		}
	}

	bad := map[string]string{
		"not JSON":                    `{`,
		"an id that is not a DID":     `{"id":"https://x.example"}`,
		"a reference to nothing":      `{"id":"did:web:x.example","assertionMethod":["#missing"]}`,
		"a method listed twice":       `{"id":"did:web:x.example","verificationMethod":[{"id":"#a"},{"id":"did:web:x.example#a"}]}`,
		"an assertion method of 42":   `{"id":"did:web:x.example","assertionMethod":[42]}`,
		"one method id with two keys": `{"id":"did:web:x.example","verificationMethod":[{"id":"#a","type":"Multikey","publicKeyMultibase":"` + vc.EncodeMultikey(a) + `"}],"assertionMethod":["#a",{"id":"#a","type":"Multikey","publicKeyMultibase":"` + vc.EncodeMultikey(b) + `"}]}`,
	}
	for name, in := range bad {
		if _, err := vc.ParseDIDDocument([]byte(in)); !errors.Is(err, vc.ErrDIDDocument) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := vc.ParseDIDDocument(bytes.Repeat([]byte(" "), 1<<20+1)); !errors.Is(err, vc.ErrDIDDocument) {
		t.Errorf("an oversized document: %v", err)
	}
}

func TestJWKS(t *testing.T) {
	keys := issuerKeys()
	b, err := vc.JWKS(keys)
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != len(keys) {
		t.Fatalf("%d keys", len(set.Keys))
	}
	for i, j := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(j["x"])
		if err != nil || !bytes.Equal(x, keys[i].Key) {
			t.Errorf("key %d: x = %s (%v)", i, j["x"], err)
		}
		if j["kty"] != "OKP" || j["crv"] != "Ed25519" || j["alg"] != "EdDSA" || j["use"] != "sig" || j["kid"] != keys[i].ID {
			t.Errorf("key %d = %v", i, j)
		}
	}
}

// FuzzParseDIDDocument: DID documents come from other servers; parsing
// must never panic and must only yield keys of the document's own DID.
func FuzzParseDIDDocument(f *testing.F) {
	doc, _ := vc.DIDDocument(boardDID, issuerKeys())
	f.Add(doc)
	f.Add([]byte(`{"id":"did:web:x.example","verificationMethod":[{"id":"#a"}],"assertionMethod":["#a",{"id":"#b"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := vc.ParseDIDDocument(b)
		if err != nil {
			return
		}
		for _, vm := range d.Methods() {
			if !strings.HasPrefix(vm, d.ID+"#") {
				t.Fatalf("method %s is not of %s", vm, d.ID)
			}
			if k, err := d.Resolve(vm); err != nil || len(k) != ed25519.PublicKeySize {
				t.Fatalf("Resolve(%s) = %x, %v", vm, k, err)
			}
		}
	})
}

// FuzzDIDWebURL: DIDs come from credentials; the URL must stay on the
// DID's host, over HTTPS, ending in did.json.
func FuzzDIDWebURL(f *testing.F) {
	f.Add("did:web:vidya.example%3A8443:a:cbse")
	f.Add("did:web:vidya.example:..")
	f.Fuzz(func(t *testing.T, did string) {
		u, err := vc.DIDWebURL(did)
		if err != nil {
			return
		}
		rest, ok := strings.CutPrefix(u, "https://")
		if !ok || !strings.HasSuffix(u, "/did.json") {
			t.Fatalf("%s -> %s", did, u)
		}
		host, _, _ := strings.Cut(rest, "/")
		if strings.ContainsAny(host, "@?#\\%") || strings.Contains(u, "/../") || strings.Contains(u, "/./") {
			t.Fatalf("%s -> %s", did, u)
		}
	})
}
