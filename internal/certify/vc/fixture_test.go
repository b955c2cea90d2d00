package vc_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

// Fixtures shared by the tests of package vc_test: a board's key and a
// realistic Class X certificate of a holder with a Devanagari name.

// holderName is 60 characters of Devanagari (172 bytes of UTF-8), about
// the worst case the QR payload is sized for.
const holderName = "श्रीमती अनुराधाकुमारी विश्वकर्मा सुपुत्री श्रीरामेश्वरप्रसाद"

const (
	boardDID = "did:web:vidya.example:a:cbse"
	boardKID = boardDID + "#key-2026-01"
)

// testKey derives a deterministic Ed25519 key from a label.
func testKey(label string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("vidya vc test key " + label))
	return ed25519.NewKeyFromSeed(seed[:])
}

// fixedResolver resolves exactly one verification method.
func fixedResolver(kid string, key ed25519.PrivateKey) func(string) (ed25519.PublicKey, error) {
	pub := key.Public().(ed25519.PublicKey)
	return func(vm string) (ed25519.PublicKey, error) {
		if vm != kid {
			return nil, fmt.Errorf("no key %q", vm)
		}
		return pub, nil
	}
}

// anyResolver returns key for every verification method.
func anyResolver(key ed25519.PrivateKey) func(string) (ed25519.PublicKey, error) {
	pub := key.Public().(ed25519.PublicKey)
	return func(string) (ed25519.PublicKey, error) { return pub, nil }
}

var issuedAt = time.Date(2026, time.May, 14, 10, 30, 0, 0, time.UTC)

// sampleCredential returns a complete, valid credential.
func sampleCredential(t testing.TB) *vc.OpenBadgeCredential {
	t.Helper()
	c, err := vc.NewOpenBadgeCredential(vc.OpenBadgeCredential{
		ID:          "https://vidya.example/v/01J9Z3K8Q4X7M2N5P6R8T0V2W4",
		Name:        "Secondary School Examination 2026 — Marksheet",
		Description: "Class X results of the Central Board of Secondary Education.",
		Issuer: vc.Profile{
			ID:    boardDID,
			Name:  "Central Board of Secondary Education",
			URL:   "https://cbse.example",
			Image: &vc.Image{ID: "https://vidya.example/a/cbse/logo.png"},
		},
		ValidFrom:   vc.NewDateTime(issuedAt),
		AwardedDate: vc.NewDateTime(issuedAt.Add(-48 * time.Hour)),
		CredentialSubject: vc.AchievementSubject{
			Identifier: []vc.IdentityObject{
				vc.NameIdentity(holderName),
				vc.HashedIdentity(vc.IdentityIdentifier, "2026-CBSE-10-4417823", "c2FsdC00NDE3ODIz"),
			},
			Achievement: vc.Achievement{
				ID:              "https://vidya.example/a/cbse/achievements/ssc-2026",
				AchievementType: "Certificate",
				Name:            "Secondary School Examination 2026",
				Description:     "Passed the Secondary School Examination (Class X).",
				Criteria:        vc.Criteria{Narrative: "Pass in five subjects with at least 33% marks in each."},
				ResultDescription: []vc.ResultDescription{
					{ID: "https://vidya.example/a/cbse/achievements/ssc-2026#total", Name: "Total marks", ResultType: "RawScore", ValueMin: "0", ValueMax: "500"},
					{ID: "https://vidya.example/a/cbse/achievements/ssc-2026#division", Name: "Division", ResultType: "LetterGrade"},
				},
			},
			Result: []vc.Result{
				{ResultDescription: "https://vidya.example/a/cbse/achievements/ssc-2026#total", Value: "452"},
				{ResultDescription: "https://vidya.example/a/cbse/achievements/ssc-2026#division", Value: "First Division with Distinction"},
			},
		},
		CredentialStatus: ptr(vc.NewStatusEntry("https://vidya.example/status/cbse/7", 94567)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// signedSample returns the sample credential signed with the board's key.
func signedSample(t testing.TB) ([]byte, ed25519.PrivateKey) {
	t.Helper()
	key := testKey("cbse")
	doc, err := json.Marshal(sampleCredential(t))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := vc.Sign(doc, key, vc.ProofOptions{VerificationMethod: boardKID, Created: issuedAt})
	if err != nil {
		t.Fatal(err)
	}
	return signed, key
}

// editJSON decodes doc, applies edit and encodes it again.
func editJSON(t testing.TB, doc []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj returns m[key] as an object.
func obj(m map[string]any, key string) map[string]any { return m[key].(map[string]any) }
