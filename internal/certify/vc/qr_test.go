package vc_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

// worstName is 60 Devanagari characters of 3 bytes each (180 bytes).
const worstName = "अनुराधाकुमारीविश्वकर्मासुपुत्रीश्रीरामेश्वरप्रसादत्रिपाठीजीक"

func sampleClaims(t testing.TB) vc.QRClaims {
	t.Helper()
	signed, _ := signedSample(t)
	digest, err := vc.CredentialDigest(signed)
	if err != nil {
		t.Fatal(err)
	}
	return vc.QRClaims{
		DocID:       "01J9Z3K8Q4X7M2N5P6R8T0V2W4",
		Issuer:      boardDID,
		KeyID:       boardKID,
		Holder:      holderName,
		Achievement: "Secondary School Examination 2026 (Class X)",
		IssuedOn:    time.Date(2026, time.May, 14, 0, 0, 0, 0, time.UTC),
		Digest:      digest,
	}
}

func TestQRRoundTrip(t *testing.T) {
	key := testKey("cbse")
	ist := time.FixedZone("IST", 5*3600+1800)
	cases := map[string]func(c *vc.QRClaims){
		"a Devanagari name":         func(c *vc.QRClaims) {},
		"an ASCII name":             func(c *vc.QRClaims) { c.Holder = "Anuradha Kumari Vishwakarma" },
		"a Tamil name":              func(c *vc.QRClaims) { c.Holder = "அனுராதா குமாரி" },
		"a Malayalam name with ZWJ": func(c *vc.QRClaims) { c.Holder = "അനുരാധ\u200dകുമാരി\u200c" },
		"a Sinhala name":            func(c *vc.QRClaims) { c.Holder = "අනුරාධා" },
		"a name mixing scripts":     func(c *vc.QRClaims) { c.Holder = "अनुराधा অনুরাধা" },
		"an Urdu name":              func(c *vc.QRClaims) { c.Holder = "انورادھا کماری" },
		"a Devanagari achievement": func(c *vc.QRClaims) {
			c.Achievement = "माध्यमिक विद्यालय परीक्षा 2026"
		},
		"a validity end":               func(c *vc.QRClaims) { c.ValidUntil = time.Date(2031, time.May, 13, 0, 0, 0, 0, time.UTC) },
		"an old certificate of 1901":   func(c *vc.QRClaims) { c.IssuedOn = time.Date(1901, 3, 1, 0, 0, 0, 0, time.UTC) },
		"a did:key issuer":             func(c *vc.QRClaims) { c.Issuer, c.KeyID = "did:key:z6Mkx", "did:key:z6Mkx#z6Mkx" },
		"a DocID with every character": func(c *vc.QRClaims) { c.DocID = "Az09-_.~" },
	}
	for name, edit := range cases {
		t.Run(name+" survives", func(t *testing.T) {
			c := sampleClaims(t)
			edit(&c)
			s, err := vc.EncodeQR(c, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := vc.DecodeQR(s, fixedResolver(c.KeyID, key))
			if err != nil {
				t.Fatal(err)
			}
			if got != c {
				t.Fatalf("DecodeQR =\n%+v\nwant\n%+v", got, c)
			}
		})
	}
	t.Run("dates keep their calendar day in any zone", func(t *testing.T) {
		c := sampleClaims(t)
		c.IssuedOn = time.Date(2026, time.May, 14, 0, 15, 0, 0, ist) // 13 May in UTC
		s, err := vc.EncodeQR(c, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := vc.DecodeQR(s, fixedResolver(c.KeyID, key))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2026, time.May, 14, 0, 0, 0, 0, time.UTC); !got.IssuedOn.Equal(want) {
			t.Fatalf("IssuedOn = %s, want %s", got.IssuedOn, want)
		}
	})
}

func TestQRPayloadIsSmallAndFragmentSafe(t *testing.T) {
	key := testKey("cbse")
	c := sampleClaims(t)
	c.Holder = worstName
	c.ValidUntil = time.Date(2031, time.May, 13, 0, 0, 0, 0, time.UTC)
	s, err := vc.EncodeQR(c, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("payload with a 60-character Devanagari name: %d characters", len(s))
	if len(s) >= 400 {
		t.Errorf("payload of %d characters; want well under 600", len(s))
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			t.Fatalf("payload has %q, not safe in a URL fragment", r)
		}
	}
	// A name mixing scripts falls back to UTF-8 (180 bytes) and must still
	// fit, as must a long achievement in Devanagari.
	mixed := c
	mixed.Holder = worstName[:len(worstName)-3] + "ক"
	bothLong := c
	bothLong.Achievement = "माध्यमिक विद्यालय परीक्षा 2026 (कक्षा दस), केंद्रीय माध्यमिक शिक्षा बोर्ड"
	for name, c := range map[string]vc.QRClaims{"a mixed-script name": mixed, "a long Devanagari achievement": bothLong} {
		s, err := vc.EncodeQR(c, key)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("payload with %s: %d characters", name, len(s))
		if len(s) >= 600 {
			t.Errorf("payload with %s: %d characters", name, len(s))
		}
	}
	// The largest claims the limits allow still decode.
	huge := vc.QRClaims{
		DocID:       strings.Repeat("d", vc.MaxQRDocID),
		Issuer:      "did:web:" + strings.Repeat("i", vc.MaxQRIssuer-8),
		Holder:      strings.Repeat("€", vc.MaxQRText/3),
		Achievement: strings.Repeat("€", vc.MaxQRText/3),
		IssuedOn:    time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
		ValidUntil:  time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
	}
	huge.KeyID = huge.Issuer + "#" + strings.Repeat("k", vc.MaxQRKeyFragment)
	hs, err := vc.EncodeQR(huge, key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vc.DecodeQR(hs, anyResolver(key)); err != nil || got != huge {
		t.Fatalf("the largest payload (%d characters) does not decode: %v", len(hs), err)
	}
}

func TestQRDetectsEveryTampering(t *testing.T) {
	key := testKey("cbse")
	c := sampleClaims(t)
	c.ValidUntil = time.Date(2031, time.May, 13, 0, 0, 0, 0, time.UTC)
	s, err := vc.EncodeQR(c, key)
	if err != nil {
		t.Fatal(err)
	}
	resolve := anyResolver(key)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every changed byte fails", func(t *testing.T) {
		for i := range raw {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				b := append([]byte(nil), raw...)
				b[i] ^= x
				if got, err := vc.DecodeQR(base64.RawURLEncoding.EncodeToString(b), resolve); err == nil {
					t.Fatalf("byte %d ^ %#x accepted: %+v", i, x, got)
				}
			}
		}
	})
	t.Run("every changed character fails", func(t *testing.T) {
		for i := range len(s) {
			b := []byte(s)
			b[i] = map[bool]byte{true: 'B', false: 'A'}[b[i] == 'A']
			if _, err := vc.DecodeQR(string(b), resolve); err == nil {
				t.Fatalf("character %d changed and accepted", i)
			}
		}
	})
	t.Run("cut or extended payloads fail", func(t *testing.T) {
		for _, bad := range []string{s[:len(s)-1], s[:len(s)/2], s + "A", s + "AAAA", ""} {
			if _, err := vc.DecodeQR(bad, resolve); err == nil {
				t.Fatalf("%d characters accepted", len(bad))
			}
		}
	})
	t.Run("a changed field fails with ErrBadSignature", func(t *testing.T) {
		edits := map[string]func(c *vc.QRClaims){
			"holder":      func(c *vc.QRClaims) { c.Holder += "x" },
			"achievement": func(c *vc.QRClaims) { c.Achievement = "Senior School Examination 2026" },
			"issue date":  func(c *vc.QRClaims) { c.IssuedOn = c.IssuedOn.AddDate(0, 0, 1) },
			"valid until": func(c *vc.QRClaims) { c.ValidUntil = time.Time{} },
			"digest":      func(c *vc.QRClaims) { c.Digest[0] ^= 1 },
			"document":    func(c *vc.QRClaims) { c.DocID = "01J9Z3K8Q4X7M2N5P6R8T0V2W5" },
		}
		for name, edit := range edits {
			forged := c
			edit(&forged)
			fs, err := vc.EncodeQR(forged, key)
			if err != nil {
				t.Fatal(err)
			}
			// Keep the forged fields, put back the original signature.
			fraw, _ := base64.RawURLEncoding.DecodeString(fs)
			copy(fraw[len(fraw)-64:], raw[len(raw)-64:])
			if _, err := vc.DecodeQR(base64.RawURLEncoding.EncodeToString(fraw), resolve); !errors.Is(err, vc.ErrBadSignature) {
				t.Errorf("%s: err = %v", name, err)
			}
		}
	})
	t.Run("another key fails with ErrBadSignature", func(t *testing.T) {
		if _, err := vc.DecodeQR(s, anyResolver(testKey("other"))); !errors.Is(err, vc.ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("an unknown key fails with ErrUnknownKey", func(t *testing.T) {
		_, err := vc.DecodeQR(s, func(kid string) (ed25519.PublicKey, error) {
			if kid != boardKID {
				t.Errorf("asked for %q", kid)
			}
			return nil, errors.New("retired")
		})
		if !errors.Is(err, vc.ErrUnknownKey) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("another version fails with ErrQRVersion", func(t *testing.T) {
		b := append([]byte(nil), raw...)
		b[0] = 2
		if _, err := vc.DecodeQR(base64.RawURLEncoding.EncodeToString(b), resolve); !errors.Is(err, vc.ErrQRVersion) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("padding, other alphabets and oversized text are malformed", func(t *testing.T) {
		for _, bad := range []string{s + "=", strings.ReplaceAll(s, "-", "+"), strings.Repeat("A", vc.MaxQRPayloadLen+1), "A"} {
			if _, err := vc.DecodeQR(bad, resolve); !errors.Is(err, vc.ErrQRPayload) && !errors.Is(err, vc.ErrQRVersion) {
				t.Errorf("%.20q…: err = %v", bad, err)
			}
		}
	})
}

func TestEncodeQRRefuses(t *testing.T) {
	key := testKey("cbse")
	cases := map[string]func(c *vc.QRClaims){
		"a key of another issuer":     func(c *vc.QRClaims) { c.KeyID = "did:web:evil.example#key-2026-01" },
		"a key without fragment":      func(c *vc.QRClaims) { c.KeyID = c.Issuer },
		"an issuer that is not a DID": func(c *vc.QRClaims) { c.Issuer, c.KeyID = "https://x.example", "https://x.example#k" },
		"an empty DocID":              func(c *vc.QRClaims) { c.DocID = "" },
		"a DocID with a slash":        func(c *vc.QRClaims) { c.DocID = "a/b" },
		"a DocID too long":            func(c *vc.QRClaims) { c.DocID = strings.Repeat("a", vc.MaxQRDocID+1) },
		"an empty holder":             func(c *vc.QRClaims) { c.Holder = "" },
		"a holder on two lines":       func(c *vc.QRClaims) { c.Holder = "A\nB" },
		"a holder that is not UTF-8":  func(c *vc.QRClaims) { c.Holder = "\xff" },
		"a holder too long":           func(c *vc.QRClaims) { c.Holder = strings.Repeat("अ", vc.MaxQRText+1) },
		"an empty achievement":        func(c *vc.QRClaims) { c.Achievement = "" },
		"no issue date":               func(c *vc.QRClaims) { c.IssuedOn = time.Time{} },
		"an issue date before 1900":   func(c *vc.QRClaims) { c.IssuedOn = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC) },
		"a validity end on the issue day": func(c *vc.QRClaims) {
			c.ValidUntil = c.IssuedOn.Add(5 * time.Hour)
		},
		"a validity end before 1900": func(c *vc.QRClaims) { c.ValidUntil = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC) },
	}
	for name, edit := range cases {
		t.Run(name+" is refused", func(t *testing.T) {
			c := sampleClaims(t)
			edit(&c)
			if s, err := vc.EncodeQR(c, key); err == nil {
				t.Fatalf("EncodeQR = %s", s)
			}
		})
	}
	if _, err := vc.EncodeQR(sampleClaims(t), key[:32]); err == nil {
		t.Error("a short key was accepted")
	}
}

// FuzzDecodeQR: payloads come from any camera; decoding must never panic
// and must never accept a payload the key did not sign.
func FuzzDecodeQR(f *testing.F) {
	key := testKey("cbse")
	c := sampleClaims(f)
	s, err := vc.EncodeQR(c, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s)
	c.ValidUntil = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Holder = "अनुराधा\u200d"
	s2, _ := vc.EncodeQR(c, key)
	f.Add(s2)
	f.Add("AQA")
	f.Add("")
	resolve := anyResolver(key)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := vc.DecodeQR(s, resolve)
		if err != nil {
			return
		}
		// Ed25519 signatures are deterministic and the format has one
		// encoding per claim set, so anything accepted re-encodes to itself.
		again, err := vc.EncodeQR(got, key)
		if err != nil || again != s {
			t.Fatalf("accepted %q, which re-encodes as %q (%v)", s, again, err)
		}
	})
}
