package vc_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/mr-tron/base58"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

const vectorPublicMultikey = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"

func TestMultikeyRoundTrip(t *testing.T) {
	for _, label := range []string{"a", "b", "c"} {
		key := testKey(label)
		pub := key.Public().(ed25519.PublicKey)
		s := vc.EncodeMultikey(pub)
		if !strings.HasPrefix(s, "z6Mk") {
			t.Errorf("EncodeMultikey = %s, want z6Mk…", s)
		}
		got, err := vc.DecodeMultikey(s)
		if err != nil || !bytes.Equal(got, pub) {
			t.Errorf("DecodeMultikey(%s) = %x, %v", s, got, err)
		}
		secret := vc.EncodeSecretMultikey(key)
		back, err := vc.DecodeSecretMultikey(secret)
		if err != nil || !back.Equal(key) {
			t.Errorf("DecodeSecretMultikey(%s) = %v", secret, err)
		}
	}
}

func TestDecodeMultikeyRefuses(t *testing.T) {
	pub := testKey("a").Public().(ed25519.PublicKey)
	withPrefix := func(prefix []byte, key []byte) string {
		return "z" + base58.Encode(append(append([]byte(nil), prefix...), key...))
	}
	cases := map[string]string{
		"an empty string":            "",
		"a missing multibase z":      strings.TrimPrefix(vectorPublicMultikey, "z"),
		"another multibase (u…)":     "u" + vectorPublicMultikey[1:],
		"a base58 digit that is 0":   "z6Mk0JVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
		"a secret key":               "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq",
		"a secp256k1 key prefix":     withPrefix([]byte{0xe7, 0x01}, pub),
		"a key one byte short":       withPrefix([]byte{0xed, 0x01}, pub[:31]),
		"a key one byte long":        withPrefix([]byte{0xed, 0x01}, append(append([]byte(nil), pub...), 0)),
		"an absurdly long string":    "z" + strings.Repeat("6", 5000),
		"non-ASCII base58 lookalike": "z6Mkя",
	}
	for name, in := range cases {
		t.Run(name+" is refused", func(t *testing.T) {
			if k, err := vc.DecodeMultikey(in); !errors.Is(err, vc.ErrInvalidMultikey) || k != nil {
				t.Fatalf("DecodeMultikey = %x, %v", k, err)
			}
		})
	}
	if _, err := vc.DecodeSecretMultikey(vectorPublicMultikey); !errors.Is(err, vc.ErrInvalidMultikey) {
		t.Errorf("a public key decoded as a secret key: %v", err)
	}
}

func TestResolveDIDKey(t *testing.T) {
	want, err := vc.DecodeMultikey(vectorPublicMultikey)
	if err != nil {
		t.Fatal(err)
	}
	for _, vm := range []string{"did:key:" + vectorPublicMultikey, "did:key:" + vectorPublicMultikey + "#" + vectorPublicMultikey} {
		got, err := vc.ResolveDIDKey(vm)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ResolveDIDKey(%s) = %x, %v", vm, got, err)
		}
	}
	other := vc.EncodeMultikey(testKey("x").Public().(ed25519.PublicKey))
	for _, vm := range []string{"did:web:example.com#" + vectorPublicMultikey, "did:key:" + vectorPublicMultikey + "#" + other, "did:key:zzz", "did:key:"} {
		if _, err := vc.ResolveDIDKey(vm); err == nil {
			t.Errorf("ResolveDIDKey(%s) succeeded", vm)
		}
	}
}

// FuzzDecodeMultikey: no panics, and what decodes re-encodes to the input
// (base58 has one spelling for each byte string).
func FuzzDecodeMultikey(f *testing.F) {
	f.Add(vectorPublicMultikey)
	f.Add("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
	f.Add("z111111")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := vc.DecodeMultikey(s)
		if err != nil {
			return
		}
		if len(k) != ed25519.PublicKeySize {
			t.Fatalf("decoded %d bytes", len(k))
		}
		if again := vc.EncodeMultikey(k); again != s {
			t.Fatalf("%q decodes to a key that encodes as %q", s, again)
		}
	})
}
