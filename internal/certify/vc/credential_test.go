package vc_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestNewCredentialFillsFixedMembers(t *testing.T) {
	doc, err := json.Marshal(sampleCredential(t))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"@context":                               `["https://www.w3.org/ns/credentials/v2","https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]`,
		"type":                                   `["VerifiableCredential","OpenBadgeCredential"]`,
		"validFrom":                              `"2026-05-14T10:30:00Z"`,
		"awardedDate":                            `"2026-05-12T10:30:00Z"`,
		"issuer.type":                            `["Profile"]`,
		"issuer.image":                           `{"id":"https://vidya.example/a/cbse/logo.png","type":"Image"}`,
		"credentialSubject.type":                 `["AchievementSubject"]`,
		"credentialSubject.achievement.type":     `["Achievement"]`,
		"credentialSubject.achievement.criteria": `{"narrative":"Pass in five subjects with at least 33% marks in each."}`,
		"credentialStatus":                       `{"id":"https://vidya.example/status/cbse/7#94567","statusListCredential":"https://vidya.example/status/cbse/7","statusListIndex":"94567","statusPurpose":"revocation","type":"BitstringStatusListEntry"}`,
	}
	for path, w := range want {
		v := any(m)
		for _, k := range strings.Split(path, ".") {
			v = v.(map[string]any)[k]
		}
		got, _ := json.Marshal(v)
		if string(got) != w {
			t.Errorf("%s = %s, want %s", path, got, w)
		}
	}
	if _, ok := m["validUntil"]; ok {
		t.Error("an unset validUntil is written")
	}
	sub := obj(m, "credentialSubject")
	if _, ok := sub["id"]; ok {
		t.Error("an unset subject id is written")
	}
	if _, ok := sub["name"]; ok {
		t.Error("credentialSubject.name is written; the name belongs in an identifier")
	}
	ids, _ := json.Marshal(sub["identifier"])
	wantIDs := `[{"hashed":false,"identityHash":"` + holderName + `","identityType":"name","type":"IdentityObject"},` +
		`{"hashed":true,"identityHash":"sha256$` // the digest is checked below
	if !strings.HasPrefix(string(ids), wantIDs) {
		t.Errorf("identifier = %s", ids)
	}
	results, _ := json.Marshal(sub["result"])
	if !strings.Contains(string(results), `"type":["Result"]`) || !strings.Contains(string(results), `"value":"452"`) {
		t.Errorf("result = %s", results)
	}
}

func TestNewCredentialDoesNotTouchCallerSlices(t *testing.T) {
	results := []vc.Result{{Value: "1"}}
	in := *sampleCredential(t)
	in.CredentialSubject.Result = results
	in.CredentialSubject.Achievement.ResultDescription = nil
	if _, err := vc.NewOpenBadgeCredential(in); err != nil {
		t.Fatal(err)
	}
	if results[0].Type != nil {
		t.Errorf("the caller's result got type %v", results[0].Type)
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(c *vc.OpenBadgeCredential)
	}{
		{"@context", func(c *vc.OpenBadgeCredential) { c.Context = []string{vc.ContextOpenBadgesV3, vc.ContextCredentialsV2} }},
		{"@context", func(c *vc.OpenBadgeCredential) { c.Context = []string{vc.ContextCredentialsV2} }},
		{"id", func(c *vc.OpenBadgeCredential) { c.ID = "" }},
		{"id", func(c *vc.OpenBadgeCredential) { c.ID = "not a uri" }},
		{"type", func(c *vc.OpenBadgeCredential) { c.Type = vc.Types{"VerifiableCredential"} }},
		{"name", func(c *vc.OpenBadgeCredential) { c.Name = "  " }},
		{"name", func(c *vc.OpenBadgeCredential) { c.Name = "bell\a" }},
		{"issuer.id", func(c *vc.OpenBadgeCredential) { c.Issuer.ID = "" }},
		{"issuer.type", func(c *vc.OpenBadgeCredential) { c.Issuer.Type = vc.Types{"Organization"} }},
		{"issuer.name", func(c *vc.OpenBadgeCredential) { c.Issuer.Name = "" }},
		{"issuer.url", func(c *vc.OpenBadgeCredential) { c.Issuer.URL = "cbse.example" }},
		{"issuer.image.type", func(c *vc.OpenBadgeCredential) { c.Issuer.Image = &vc.Image{ID: "https://x.example/i.png"} }},
		{"validFrom", func(c *vc.OpenBadgeCredential) { c.ValidFrom = vc.DateTime{} }},
		{"validUntil", func(c *vc.OpenBadgeCredential) { c.ValidUntil = vc.NewDateTime(issuedAt.Add(-time.Hour)) }},
		{"credentialSubject.type", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Type = nil }},
		{"credentialSubject.identifier", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Identifier = nil }},
		{"credentialSubject.identifier[1].identityHash", func(c *vc.OpenBadgeCredential) {
			c.CredentialSubject.Identifier[1].IdentityHash = "sha256$abc"
		}},
		{"credentialSubject.identifier[0].identityType", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Identifier[0].IdentityType = "" }},
		{"credentialSubject.identifier[0].type", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Identifier[0].Type = "Identity" }},
		{"credentialSubject.identifier[0].identityHash", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Identifier[0].IdentityHash = "" }},
		{"credentialSubject.achievement.id", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Achievement.ID = "" }},
		{"credentialSubject.achievement.type", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Achievement.Type = nil }},
		{"credentialSubject.achievement.name", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Achievement.Name = "" }},
		{"credentialSubject.achievement.description", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Achievement.Description = "" }},
		{"credentialSubject.achievement.criteria", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Achievement.Criteria = vc.Criteria{} }},
		{"credentialSubject.achievement.resultDescription[1].id", func(c *vc.OpenBadgeCredential) {
			a := &c.CredentialSubject.Achievement
			a.ResultDescription[1].ID = a.ResultDescription[0].ID
		}},
		{"credentialSubject.achievement.resultDescription[0].resultType", func(c *vc.OpenBadgeCredential) {
			c.CredentialSubject.Achievement.ResultDescription[0].ResultType = ""
		}},
		{"credentialSubject.result[0].resultDescription", func(c *vc.OpenBadgeCredential) {
			c.CredentialSubject.Result[0].ResultDescription = "https://vidya.example/unknown"
		}},
		{"credentialSubject.result[0].type", func(c *vc.OpenBadgeCredential) { c.CredentialSubject.Result[0].Type = vc.Types{} }},
		{"credentialStatus.type", func(c *vc.OpenBadgeCredential) { c.CredentialStatus.Type = "StatusList2021Entry" }},
		{"credentialStatus.statusListIndex", func(c *vc.OpenBadgeCredential) { c.CredentialStatus.StatusListIndex = "-4" }},
		{"credentialStatus.statusListCredential", func(c *vc.OpenBadgeCredential) { c.CredentialStatus.StatusListCredential = "" }},
	}
	for _, tc := range cases {
		t.Run(tc.field+" is named", func(t *testing.T) {
			c := deepCopy(t, sampleCredential(t))
			tc.edit(c)
			err := c.Validate()
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("err = %v, want an Invalid error", err)
			}
			if msg, ok := errs.As(err).Fields[tc.field]; !ok || msg == "" {
				t.Fatalf("fields = %v, want %s", errs.As(err).Fields, tc.field)
			}
		})
	}
	t.Run("a valid credential passes", func(t *testing.T) {
		if err := sampleCredential(t).Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a subject id is enough without identifiers", func(t *testing.T) {
		c := deepCopy(t, sampleCredential(t))
		c.CredentialSubject.Identifier = nil
		c.CredentialSubject.ID = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// deepCopy copies a credential through JSON.
func deepCopy(t testing.TB, c *vc.OpenBadgeCredential) *vc.OpenBadgeCredential {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var out vc.OpenBadgeCredential
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestVerifyCredential(t *testing.T) {
	signed, key := signedSample(t)
	c, p, err := vc.VerifyCredential(signed, fixedResolver(boardKID, key))
	if err != nil {
		t.Fatal(err)
	}
	if p.VerificationMethod != boardKID {
		t.Errorf("proof = %+v", p)
	}
	if got := c.CredentialSubject.HolderName(); got != holderName {
		t.Errorf("HolderName = %q", got)
	}
	if !c.ValidFrom.Equal(issuedAt) || c.CredentialSubject.Result[0].Value != "452" {
		t.Errorf("credential = %+v", c)
	}
	if !c.CredentialSubject.Identifier[1].Matches("2026-CBSE-10-4417823") || c.CredentialSubject.Identifier[1].Matches("2026-CBSE-10-4417824") {
		t.Error("the hashed roll number does not match exactly its value")
	}

	t.Run("a key of another DID is ErrIssuerMismatch", func(t *testing.T) {
		doc, _ := json.Marshal(sampleCredential(t))
		evil := testKey("evil")
		forged, err := vc.Sign(doc, evil, vc.ProofOptions{VerificationMethod: "did:web:evil.example#key-1", Created: issuedAt})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := vc.VerifyCredential(forged, anyResolver(evil)); !errors.Is(err, vc.ErrIssuerMismatch) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a signed document that is no Open Badge is ErrMalformed", func(t *testing.T) {
		s, err := vc.Sign([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:x"}`), key, vc.ProofOptions{VerificationMethod: boardKID, Created: issuedAt})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = vc.VerifyCredential(s, fixedResolver(boardKID, key))
		if !errors.Is(err, vc.ErrMalformed) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a tampered credential is ErrBadSignature", func(t *testing.T) {
		tampered := editJSON(t, signed, func(m map[string]any) { m["name"] = "Forged" })
		if _, _, err := vc.VerifyCredential(tampered, fixedResolver(boardKID, key)); !errors.Is(err, vc.ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestValidAt(t *testing.T) {
	c := sampleCredential(t)
	c.ValidUntil = vc.NewDateTime(issuedAt.AddDate(5, 0, 0))
	cases := []struct {
		at   time.Time
		want error
	}{
		{issuedAt.Add(-time.Second), vc.ErrNotYetValid},
		{issuedAt, nil},
		{issuedAt.AddDate(5, 0, 0).Add(-time.Second), nil},
		{issuedAt.AddDate(5, 0, 0), vc.ErrExpired},
	}
	for _, tc := range cases {
		if err := c.ValidAt(tc.at); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("ValidAt(%s) = %v, want %v", tc.at, err, tc.want)
		}
	}
}

func TestCredentialDigest(t *testing.T) {
	signed, _ := signedSample(t)
	d, err := vc.CredentialDigest(signed)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	_ = json.Unmarshal(signed, &m)
	indented, _ := json.MarshalIndent(m, "", "  ")
	if d2, err := vc.CredentialDigest(indented); err != nil || d2 != d {
		t.Errorf("reformatting changed the digest: %x vs %x (%v)", d2, d, err)
	}
	changed := editJSON(t, signed, func(m map[string]any) { m["name"] = "x" })
	if d3, _ := vc.CredentialDigest(changed); d3 == d {
		t.Error("a content change kept the digest")
	}
	if _, err := vc.CredentialDigest([]byte("{")); !errors.Is(err, vc.ErrMalformed) {
		t.Errorf("err = %v", err)
	}
}

func TestDateTimeAndTypesJSON(t *testing.T) {
	var v struct {
		T  vc.DateTime `json:"t"`
		Ty vc.Types    `json:"ty"`
	}
	if err := json.Unmarshal([]byte(`{"t":"2026-05-14T16:00:00+05:30","ty":"Profile"}`), &v); err != nil {
		t.Fatal(err)
	}
	if !v.T.Equal(issuedAt) || !v.Ty.Has("Profile") || len(v.Ty) != 1 {
		t.Errorf("got %v %v", v.T, v.Ty)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"t":"2026-05-14T10:30:00Z","ty":["Profile"]}` {
		t.Errorf("marshal = %s", out)
	}
	if err := json.Unmarshal([]byte(`{"t":"14/05/2026"}`), &v); err == nil {
		t.Error("a non-ISO date was accepted")
	}
	if err := json.Unmarshal([]byte(`{"ty":3}`), &v); err == nil {
		t.Error("a numeric type was accepted")
	}
	if _, err := json.Marshal(vc.DateTime{}); err == nil {
		t.Error("a zero DateTime marshalled")
	}
	if err := json.Unmarshal([]byte(`{"t":"2026-05-14T10:30:00"}`), &v); err != nil || !v.T.Equal(issuedAt) {
		t.Errorf("a dateTime without zone: %v %v", v.T, err)
	}
}
