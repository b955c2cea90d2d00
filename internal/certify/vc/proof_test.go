package vc_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

func TestSignedCredentialVerifies(t *testing.T) {
	signed, key := signedSample(t)
	p, err := vc.Verify(signed, fixedResolver(boardKID, key))
	if err != nil {
		t.Fatal(err)
	}
	if p.VerificationMethod != boardKID || !p.Created.Equal(issuedAt) || p.ProofPurpose != vc.PurposeAssertion {
		t.Errorf("proof = %+v", p)
	}
	var m map[string]any
	if err := json.Unmarshal(signed, &m); err != nil {
		t.Fatal(err)
	}
	proof := obj(m, "proof")
	if got := proof["created"]; got != "2026-05-14T10:30:00Z" {
		t.Errorf("created = %v", got)
	}
	if _, ok := proof["@context"]; !ok {
		t.Error("the proof does not carry the document's @context")
	}
	if pv, _ := proof["proofValue"].(string); !strings.HasPrefix(pv, "z") {
		t.Errorf("proofValue = %q", pv)
	}
}

func TestVerifyIgnoresFormattingAndMemberOrder(t *testing.T) {
	signed, key := signedSample(t)
	var m map[string]any
	if err := json.Unmarshal(signed, &m); err != nil {
		t.Fatal(err)
	}
	// encoding/json writes map members sorted and indented: different bytes,
	// same JSON.
	reformatted, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(reformatted, signed) {
		t.Fatal("the reformatted document should differ in bytes")
	}
	if _, err := vc.Verify(reformatted, fixedResolver(boardKID, key)); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	signed, key := signedSample(t)
	cases := []struct {
		name string
		edit func(m map[string]any)
		want error
	}{
		{"a changed holder name", func(m map[string]any) {
			ids := obj(m, "credentialSubject")["identifier"].([]any)
			ids[0].(map[string]any)["identityHash"] = "श्रीमती अनुराधा"
		}, vc.ErrBadSignature},
		{"changed marks", func(m map[string]any) {
			r := obj(m, "credentialSubject")["result"].([]any)
			r[0].(map[string]any)["value"] = "499"
		}, vc.ErrBadSignature},
		{"another issuer", func(m map[string]any) { obj(m, "issuer")["id"] = "did:web:evil.example" }, vc.ErrBadSignature},
		{"another issuer name", func(m map[string]any) { obj(m, "issuer")["name"] = "Board of Forgery" }, vc.ErrBadSignature},
		{"a later validFrom", func(m map[string]any) { m["validFrom"] = "2027-05-14T10:30:00Z" }, vc.ErrBadSignature},
		{"an added member", func(m map[string]any) { m["validUntil"] = "2030-01-01T00:00:00Z" }, vc.ErrBadSignature},
		{"a removed member", func(m map[string]any) { delete(m, "credentialStatus") }, vc.ErrBadSignature},
		{"a changed @context", func(m map[string]any) { m["@context"] = []any{vc.ContextCredentialsV2} }, vc.ErrBadSignature},
		{"an appended @context", func(m map[string]any) {
			m["@context"] = append(m["@context"].([]any), "https://evil.example/context.json")
		}, vc.ErrBadSignature},
		{"a changed proof @context", func(m map[string]any) {
			obj(m, "proof")["@context"] = []any{vc.ContextCredentialsV2}
			m["@context"] = []any{vc.ContextCredentialsV2}
		}, vc.ErrBadSignature},
		{"another created", func(m map[string]any) { obj(m, "proof")["created"] = "2026-05-14T10:30:01Z" }, vc.ErrBadSignature},
		{"another verificationMethod", func(m map[string]any) { obj(m, "proof")["verificationMethod"] = boardDID + "#key-2025-01" }, vc.ErrBadSignature},
		{"an added proof member", func(m map[string]any) { obj(m, "proof")["nonce"] = "123" }, vc.ErrBadSignature},
		{"a changed proofValue byte", func(m map[string]any) {
			p := obj(m, "proof")
			pv := []byte(p["proofValue"].(string))
			pv[10] = map[bool]byte{true: '2', false: '3'}[pv[10] == '3']
			p["proofValue"] = string(pv)
		}, vc.ErrBadSignature},
		{"a truncated proofValue", func(m map[string]any) {
			p := obj(m, "proof")
			p["proofValue"] = p["proofValue"].(string)[:40]
		}, vc.ErrBadSignature},
		{"another proofPurpose", func(m map[string]any) { obj(m, "proof")["proofPurpose"] = "authentication" }, vc.ErrProofPurpose},
		{"another cryptosuite", func(m map[string]any) { obj(m, "proof")["cryptosuite"] = "eddsa-rdfc-2022" }, vc.ErrUnsupportedProof},
		{"another proof type", func(m map[string]any) { obj(m, "proof")["type"] = "Ed25519Signature2020" }, vc.ErrUnsupportedProof},
		{"a proof set", func(m map[string]any) { m["proof"] = []any{m["proof"]} }, vc.ErrUnsupportedProof},
	}
	for _, tc := range cases {
		t.Run(tc.name+" fails", func(t *testing.T) {
			tampered := editJSON(t, signed, tc.edit)
			_, err := vc.Verify(tampered, anyResolver(key))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestVerifyAcceptsProofWithoutContext(t *testing.T) {
	// Signers that predate the Recommendation leave @context out of the
	// proof; the configuration then takes the document's, so the signature
	// is the same.
	signed, key := signedSample(t)
	stripped := editJSON(t, signed, func(m map[string]any) { delete(obj(m, "proof"), "@context") })
	if _, err := vc.Verify(stripped, fixedResolver(boardKID, key)); err != nil {
		t.Fatal(err)
	}
	// ...and the document's @context is still covered.
	changed := editJSON(t, stripped, func(m map[string]any) { m["@context"] = []any{vc.ContextCredentialsV2} })
	if _, err := vc.Verify(changed, fixedResolver(boardKID, key)); !errors.Is(err, vc.ErrBadSignature) {
		t.Fatalf("err = %v, want ErrBadSignature", err)
	}
}

func TestVerifyRejectsBadInput(t *testing.T) {
	signed, key := signedSample(t)
	resolve := fixedResolver(boardKID, key)
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty input", "", vc.ErrMalformed},
		{"not JSON", "{not json", vc.ErrMalformed},
		{"trailing garbage", string(signed) + "x", vc.ErrMalformed},
		{"an array", `[1,2]`, vc.ErrMalformed},
		{"a string", `"proof"`, vc.ErrMalformed},
		{"duplicate members", `{"a":1,"a":2,"proof":{}}`, vc.ErrMalformed},
		{"invalid UTF-8", "{\"a\":\"\xff\",\"proof\":{}}", vc.ErrMalformed},
		{"no proof", `{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:x"}`, vc.ErrNoProof},
		{"a proof that is a string", `{"proof":"zabc"}`, vc.ErrMalformed},
		{"a proof member that is not a string", `{"proof":{"type":1}}`, vc.ErrMalformed},
		{"a proof without proofValue", `{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","verificationMethod":"did:key:x"}}`, vc.ErrMalformed},
		{"a proof without verificationMethod", `{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","proofValue":"z1"}}`, vc.ErrMalformed},
		{"a bad created", `{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","created":"yesterday","verificationMethod":"did:key:x","proofValue":"z1"}}`, vc.ErrMalformed},
		{"a proofValue that is not base58", `{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","verificationMethod":"did:key:x","proofValue":"z0OIl"}}`, vc.ErrBadSignature},
		{"a proofValue without multibase prefix", `{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","verificationMethod":"did:key:x","proofValue":"2HnFSS"}}`, vc.ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			p, err := vc.Verify([]byte(tc.in), resolve)
			if !errors.Is(err, tc.want) || p != nil {
				t.Fatalf("Verify = %v, %v; want %v", p, err, tc.want)
			}
		})
	}
}

func TestVerifyKeyFailures(t *testing.T) {
	signed, key := signedSample(t)
	t.Run("an unknown key is ErrUnknownKey and keeps the resolver's error", func(t *testing.T) {
		cause := errors.New("no such key in did.json")
		_, err := vc.Verify(signed, func(string) (ed25519.PublicKey, error) { return nil, cause })
		if !errors.Is(err, vc.ErrUnknownKey) || !errors.Is(err, cause) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a key of the wrong size is ErrUnknownKey", func(t *testing.T) {
		_, err := vc.Verify(signed, func(string) (ed25519.PublicKey, error) { return make([]byte, 31), nil })
		if !errors.Is(err, vc.ErrUnknownKey) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("another key is ErrBadSignature", func(t *testing.T) {
		_, err := vc.Verify(signed, anyResolver(testKey("other")))
		if !errors.Is(err, vc.ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("the resolver is not asked before the proof is checked", func(t *testing.T) {
		asked := false
		_, err := vc.Verify([]byte(`{"proof":{"type":"X"}}`), func(string) (ed25519.PublicKey, error) {
			asked = true
			return key.Public().(ed25519.PublicKey), nil
		})
		if err == nil || asked {
			t.Fatalf("err = %v, asked = %v", err, asked)
		}
	})
}

func TestSignRefusesBadInput(t *testing.T) {
	key := testKey("cbse")
	opts := vc.ProofOptions{VerificationMethod: boardKID, Created: issuedAt}
	cases := []struct {
		name string
		doc  string
		key  ed25519.PrivateKey
		opts vc.ProofOptions
	}{
		{"a document with a proof", `{"id":"urn:x","proof":{}}`, key, opts},
		{"an array", `[]`, key, opts},
		{"invalid JSON", `{"a":}`, key, opts},
		{"empty input", ``, key, opts},
		{"a short key", `{}`, key[:32], opts},
		{"no verification method", `{}`, key, vc.ProofOptions{Created: issuedAt}},
		{"no creation time", `{}`, key, vc.ProofOptions{VerificationMethod: boardKID}},
		{"a verification method that is not UTF-8", `{}`, key, vc.ProofOptions{VerificationMethod: "did:x#\xff", Created: issuedAt}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			if out, err := vc.Sign([]byte(tc.doc), tc.key, tc.opts); err == nil {
				t.Fatalf("Sign = %s, want an error", out)
			}
		})
	}
}

func TestSignEdgeDocuments(t *testing.T) {
	key := testKey("edge")
	cases := map[string]string{
		"an empty object":                  `{}`,
		"an empty object with whitespace":  " {\n} \n",
		"a document without @context":      `{"id":"urn:uuid:1","n":1e21,"s":"\u0000\"\\"}`,
		"member names that sort by UTF-16": `{"@context":"x","\ud83d\ude00":1,"\uffff":2,"a\"b":3,"!":4,"€":5}`,
	}
	for name, doc := range cases {
		t.Run(name+" signs and verifies", func(t *testing.T) {
			opts := vc.ProofOptions{VerificationMethod: "did:key:x#x", Created: issuedAt}
			signed, err := vc.Sign([]byte(doc), key, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(signed) {
				t.Fatalf("not JSON: %s", signed)
			}
			if _, err := vc.Verify(signed, anyResolver(key)); err != nil {
				t.Fatalf("%v\n%s", err, signed)
			}
		})
	}
	t.Run("a proof for another purpose fails Verify with ErrProofPurpose", func(t *testing.T) {
		signed, err := vc.Sign([]byte(`{"id":"urn:x"}`), key, vc.ProofOptions{VerificationMethod: "did:key:x#x", Created: issuedAt, ProofPurpose: "authentication"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vc.Verify(signed, anyResolver(key)); !errors.Is(err, vc.ErrProofPurpose) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("created is written in UTC to the second", func(t *testing.T) {
		ist := time.FixedZone("IST", 5*3600+1800)
		created := time.Date(2026, 5, 14, 16, 0, 0, 999_000_000, ist)
		signed, err := vc.Sign([]byte(`{}`), key, vc.ProofOptions{VerificationMethod: "did:key:x#x", Created: created})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(signed, []byte(`"created":"2026-05-14T10:30:00Z"`)) {
			t.Fatalf("%s", signed)
		}
	})
}

// FuzzVerify feeds arbitrary bytes to Verify with a fixed resolver: it
// must never panic, and whatever it accepts must still verify once
// reformatted, since the proof covers the JSON data, not its bytes.
func FuzzVerify(f *testing.F) {
	signed, key := signedSample(f)
	f.Add(signed)
	vector, err := os.ReadFile("testdata/vc-di-eddsa/eddsa-jcs-2022/signedJCS.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(vector)
	f.Add([]byte(`{"proof":{"type":"DataIntegrityProof","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","verificationMethod":"did:key:x","proofValue":"z1"}}`))
	f.Add([]byte(`{"proof":[{}]}`))
	f.Add([]byte(`{"\u00e9":{"a":[1,2,{"b":"c\"d"}]},"proof":{"@context":[]}}`))
	f.Add([]byte(`[`))
	resolve := anyResolver(key)
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := vc.Verify(doc, resolve)
		if err == nil && p == nil {
			t.Fatal("no error and no proof")
		}
		if err == nil {
			var v any
			if jerr := json.Unmarshal(doc, &v); jerr != nil {
				t.Fatalf("verified a document encoding/json rejects: %v", jerr)
			}
			again, jerr := json.MarshalIndent(v, "", " ")
			if jerr != nil {
				t.Fatal(jerr)
			}
			if _, err := vc.Verify(again, resolve); err != nil {
				t.Fatalf("verifies as given but not reformatted: %v", err)
			}
		}
	})
}
