package vc_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

// specExampleList is the encodedList of the examples in the W3C Bitstring
// Status List Recommendation: 131,072 clear bits.
const specExampleList = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"

func TestDecodeSpecExample(t *testing.T) {
	l, err := vc.DecodeStatusList(specExampleList)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != vc.MinStatusListBits {
		t.Fatalf("Len = %d", l.Len())
	}
	for _, i := range []int{0, 1, 94567, vc.MinStatusListBits - 1} {
		if set, err := l.Get(i); err != nil || set {
			t.Errorf("Get(%d) = %v, %v", i, set, err)
		}
	}
}

func TestStatusListSizes(t *testing.T) {
	for _, n := range []int{0, 8, vc.MinStatusListBits - 8, vc.MinStatusListBits + 1, -8, 8*vc.MaxStatusListBytes + 8} {
		if _, err := vc.NewStatusList(n); !errors.Is(err, vc.ErrStatusList) {
			t.Errorf("NewStatusList(%d): err = %v", n, err)
		}
	}
	l, err := vc.NewStatusList(2 * vc.MinStatusListBits)
	if err != nil || l.Len() != 2*vc.MinStatusListBits {
		t.Fatalf("NewStatusList: %v", err)
	}
}

func TestStatusListBitOrder(t *testing.T) {
	// Bit 0 is the most significant bit of byte 0: setting bits 0, 7 and 9
	// gives bytes 0x81 0x40.
	l, err := vc.NewStatusList(vc.MinStatusListBits)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 7, 9} {
		if err := l.Set(i); err != nil {
			t.Fatal(err)
		}
	}
	raw := gunzip(t, mustEncode(t, l))
	if raw[0] != 0x81 || raw[1] != 0x40 || len(raw) != vc.MinStatusListBits/8 {
		t.Fatalf("bytes % x… (%d)", raw[:2], len(raw))
	}
	if err := l.Clear(7); err != nil {
		t.Fatal(err)
	}
	if set, _ := l.Get(7); set {
		t.Error("bit 7 still set after Clear")
	}
	if set, _ := l.Get(0); !set {
		t.Error("Clear(7) cleared bit 0")
	}
	for _, i := range []int{-1, l.Len(), l.Len() + 100} {
		if err := l.Set(i); !errors.Is(err, vc.ErrStatusIndex) {
			t.Errorf("Set(%d): %v", i, err)
		}
		if _, err := l.Get(i); !errors.Is(err, vc.ErrStatusIndex) {
			t.Errorf("Get(%d): %v", i, err)
		}
		if err := l.Clear(i); !errors.Is(err, vc.ErrStatusIndex) {
			t.Errorf("Clear(%d): %v", i, err)
		}
	}
}

func TestStatusListRoundTrip(t *testing.T) {
	l, err := vc.NewStatusList(vc.MinStatusListBits)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	set := map[int]bool{}
	for range 500 {
		i := r.IntN(l.Len())
		set[i] = true
		if err := l.Set(i); err != nil {
			t.Fatal(err)
		}
	}
	s := mustEncode(t, l)
	if !strings.HasPrefix(s, "u") || strings.ContainsAny(s[1:], "+/=") {
		t.Fatalf("encodedList %q is not multibase base64url without padding", s[:20])
	}
	back, err := vc.DecodeStatusList(s)
	if err != nil {
		t.Fatal(err)
	}
	for i := range l.Len() {
		got, _ := back.Get(i)
		if got != set[i] {
			t.Fatalf("bit %d = %v after the round trip, want %v", i, got, set[i])
		}
	}
}

func TestDecodeStatusListRefuses(t *testing.T) {
	zeros := func(n int) string { return "u" + base64.RawURLEncoding.EncodeToString(gzipBytes(t, make([]byte, n))) }
	good := zeros(vc.MinStatusListBits / 8)
	rawGzip := gzipBytes(t, make([]byte, vc.MinStatusListBits/8))
	badCRC := append([]byte(nil), rawGzip...)
	badCRC[len(badCRC)-6] ^= 0xff
	cases := map[string]string{
		"no multibase prefix":          good[1:],
		"base64 with padding":          good + "==",
		"standard base64 characters":   "u" + base64.StdEncoding.EncodeToString(rawGzip),
		"not gzip":                     "u" + base64.RawURLEncoding.EncodeToString([]byte("plain bytes, not gzip")),
		"a truncated stream":           "u" + base64.RawURLEncoding.EncodeToString(rawGzip[:len(rawGzip)-10]),
		"a bad checksum":               "u" + base64.RawURLEncoding.EncodeToString(badCRC),
		"a list under 131,072 entries": zeros(vc.MinStatusListBits/8 - 1),
		"an empty list":                zeros(0),
		"a gzip bomb over 16 MiB":      zeros(vc.MaxStatusListBytes + 1),
		"an over-long text":            "u" + strings.Repeat("A", 23<<20),
	}
	for name, in := range cases {
		t.Run(name+" is refused", func(t *testing.T) {
			if l, err := vc.DecodeStatusList(in); !errors.Is(err, vc.ErrStatusList) || l != nil {
				t.Fatalf("DecodeStatusList = %v, %v", l, err)
			}
		})
	}
	t.Run("a list of exactly 16 MiB is accepted", func(t *testing.T) {
		l, err := vc.DecodeStatusList(zeros(vc.MaxStatusListBytes))
		if err != nil || l.Len() != 8*vc.MaxStatusListBytes {
			t.Fatalf("%v", err)
		}
	})
}

func TestStatusEntry(t *testing.T) {
	e := vc.NewStatusEntry("https://vidya.example/status/cbse/7", 94567)
	want := vc.StatusEntry{
		ID:                   "https://vidya.example/status/cbse/7#94567",
		Type:                 "BitstringStatusListEntry",
		StatusPurpose:        "revocation",
		StatusListIndex:      "94567",
		StatusListCredential: "https://vidya.example/status/cbse/7",
	}
	if e != want {
		t.Fatalf("NewStatusEntry = %+v", e)
	}
	if i, err := e.Index(); err != nil || i != 94567 {
		t.Fatalf("Index = %d, %v", i, err)
	}
	for _, bad := range []string{"", "-1", "+1", "01", "1.0", "1e3", "99999999999", "x"} {
		e.StatusListIndex = bad
		if _, err := e.Index(); !errors.Is(err, vc.ErrStatusIndex) {
			t.Errorf("Index(%q): %v", bad, err)
		}
	}
}

func TestStatusListCredentialRevokesCredential(t *testing.T) {
	key := testKey("cbse")
	const listURL = "https://vidya.example/status/cbse/7"
	list, err := vc.NewStatusList(vc.MinStatusListBits)
	if err != nil {
		t.Fatal(err)
	}
	if err := list.Set(94567); err != nil {
		t.Fatal(err)
	}
	lc, err := vc.NewStatusListCredential(listURL, boardDID, issuedAt, vc.PurposeRevocation, list)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(lc)
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]any
	if err := json.Unmarshal(doc, &shape); err != nil {
		t.Fatal(err)
	}
	sub := obj(shape, "credentialSubject")
	if sub["type"] != "BitstringStatusList" || sub["id"] != listURL+"#list" || sub["statusPurpose"] != "revocation" {
		t.Errorf("credentialSubject = %v", sub)
	}
	if ty, _ := json.Marshal(shape["type"]); string(ty) != `["VerifiableCredential","BitstringStatusListCredential"]` {
		t.Errorf("type = %s", ty)
	}
	signed, err := vc.Sign(doc, key, vc.ProofOptions{VerificationMethod: boardKID, Created: issuedAt})
	if err != nil {
		t.Fatal(err)
	}
	gotLC, gotList, err := vc.VerifyStatusListCredential(signed, fixedResolver(boardKID, key))
	if err != nil {
		t.Fatal(err)
	}

	cred := sampleCredential(t) // its status entry is listURL#94567
	revoked, err := vc.CheckStatus(cred, gotLC, gotList)
	if err != nil || !revoked {
		t.Fatalf("CheckStatus = %v, %v; want revoked", revoked, err)
	}
	other := *cred
	other.CredentialStatus = ptr(vc.NewStatusEntry(listURL, 94568))
	if revoked, err := vc.CheckStatus(&other, gotLC, gotList); err != nil || revoked {
		t.Fatalf("neighbour: CheckStatus = %v, %v", revoked, err)
	}
	other.CredentialStatus = nil
	if revoked, err := vc.CheckStatus(&other, gotLC, gotList); err != nil || revoked {
		t.Fatalf("no status: CheckStatus = %v, %v", revoked, err)
	}

	mismatches := map[string]func(c *vc.OpenBadgeCredential){
		"another list":    func(c *vc.OpenBadgeCredential) { c.CredentialStatus.StatusListCredential = listURL + "0" },
		"another purpose": func(c *vc.OpenBadgeCredential) { c.CredentialStatus.StatusPurpose = "suspension" },
		"another issuer":  func(c *vc.OpenBadgeCredential) { c.Issuer.ID = "did:web:other.example" },
	}
	for name, edit := range mismatches {
		t.Run(name+" is a mismatch", func(t *testing.T) {
			c := *cred
			c.CredentialStatus = ptr(*cred.CredentialStatus)
			edit(&c)
			if _, err := vc.CheckStatus(&c, gotLC, gotList); !errors.Is(err, vc.ErrStatusMismatch) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("an index past the list is out of range", func(t *testing.T) {
		c := *cred
		c.CredentialStatus = ptr(vc.NewStatusEntry(listURL, vc.MinStatusListBits))
		if _, err := vc.CheckStatus(&c, gotLC, gotList); !errors.Is(err, vc.ErrStatusIndex) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a list signed by another issuer's key is refused", func(t *testing.T) {
		forged, err := vc.Sign(doc, testKey("evil"), vc.ProofOptions{VerificationMethod: "did:web:evil.example#k", Created: issuedAt})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := vc.VerifyStatusListCredential(forged, anyResolver(testKey("evil"))); !errors.Is(err, vc.ErrIssuerMismatch) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a tampered list is refused", func(t *testing.T) {
		cleared := editJSON(t, signed, func(m map[string]any) { obj(m, "credentialSubject")["encodedList"] = specExampleList })
		if _, _, err := vc.VerifyStatusListCredential(cleared, fixedResolver(boardKID, key)); !errors.Is(err, vc.ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a signed credential that is not a status list is refused", func(t *testing.T) {
		s, _ := signedSample(t)
		if _, _, err := vc.VerifyStatusListCredential(s, fixedResolver(boardKID, key)); !errors.Is(err, vc.ErrStatusList) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNewStatusListCredentialRefuses(t *testing.T) {
	list, _ := vc.NewStatusList(vc.MinStatusListBits)
	if _, err := vc.NewStatusListCredential("not a url", boardDID, issuedAt, vc.PurposeRevocation, list); err == nil {
		t.Error("a bad id was accepted")
	}
	if _, err := vc.NewStatusListCredential("https://x.example/s/1", "", issuedAt, vc.PurposeRevocation, list); err == nil {
		t.Error("an empty issuer was accepted")
	}
	if _, err := vc.NewStatusListCredential("https://x.example/s/1", boardDID, issuedAt, "", list); err == nil {
		t.Error("an empty purpose was accepted")
	}
	if _, err := vc.NewStatusListCredential("https://x.example/s/1", boardDID, time.Time{}, vc.PurposeRevocation, list); err == nil {
		t.Error("a zero validFrom was accepted")
	}
	if _, err := vc.NewStatusListCredential("https://x.example/s/1", boardDID, issuedAt, vc.PurposeRevocation, nil); err == nil {
		t.Error("a nil list was accepted")
	}
}

// FuzzDecodeStatusList: no panics, no list outside the limits, and what
// decodes survives a round trip.
func FuzzDecodeStatusList(f *testing.F) {
	f.Add(specExampleList)
	l, _ := vc.NewStatusList(vc.MinStatusListBits)
	_ = l.Set(5)
	s, _ := l.Encode()
	f.Add(s)
	f.Add("u")
	f.Add("uH4sI")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := vc.DecodeStatusList(s)
		if err != nil {
			return
		}
		if l.Len() < vc.MinStatusListBits || l.Len() > 8*vc.MaxStatusListBytes {
			t.Fatalf("decoded a list of %d entries", l.Len())
		}
		again, err := vc.DecodeStatusList(mustEncode(t, l))
		if err != nil || again.Len() != l.Len() {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func mustEncode(t testing.TB, l *vc.StatusList) string {
	t.Helper()
	s, err := l.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t testing.TB, encoded string) []byte {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(encoded[1:])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := out.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
