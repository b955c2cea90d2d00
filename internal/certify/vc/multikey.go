package vc

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/mr-tron/base58"
)

// ErrInvalidMultikey reports text that is not a multibase base58btc
// Ed25519 key with the expected multicodec prefix.
var ErrInvalidMultikey = errors.New("vc: invalid multikey")

// Multicodec prefixes (unsigned varints) of Ed25519 keys.
var (
	multicodecEd25519Pub  = [2]byte{0xed, 0x01} // ed25519-pub, 0xed
	multicodecEd25519Priv = [2]byte{0x80, 0x26} // ed25519-priv, 0x1300
)

// maxMultikeyLen bounds the text decoded: 34 bytes are at most 47 base58
// digits, plus the multibase prefix.
const maxMultikeyLen = 60

// EncodeMultikey returns the Multikey form of an Ed25519 public key:
// "z" + base58btc(0xed 0x01 ‖ key), which always starts "z6Mk".
func EncodeMultikey(pub ed25519.PublicKey) string {
	b := make([]byte, 0, 2+ed25519.PublicKeySize)
	b = append(b, multicodecEd25519Pub[:]...)
	b = append(b, pub...)
	return "z" + base58.Encode(b)
}

// DecodeMultikey parses a Multikey public key made by EncodeMultikey.
func DecodeMultikey(s string) (ed25519.PublicKey, error) {
	b, err := decodeMultikey(s, multicodecEd25519Pub, ed25519.PublicKeySize)
	if err != nil {
		return nil, err
	}
	return ed25519.PublicKey(b), nil
}

// EncodeSecretMultikey returns the Multikey form of an Ed25519 private key:
// "z" + base58btc(0x80 0x26 ‖ 32-byte seed).
func EncodeSecretMultikey(key ed25519.PrivateKey) string {
	b := make([]byte, 0, 2+ed25519.SeedSize)
	b = append(b, multicodecEd25519Priv[:]...)
	b = append(b, key.Seed()...)
	return "z" + base58.Encode(b)
}

// DecodeSecretMultikey parses a Multikey private key (the 32-byte seed with
// the ed25519-priv multicodec prefix), as in the W3C test vectors.
func DecodeSecretMultikey(s string) (ed25519.PrivateKey, error) {
	seed, err := decodeMultikey(s, multicodecEd25519Priv, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func decodeMultikey(s string, prefix [2]byte, size int) ([]byte, error) {
	if len(s) < 2 || len(s) > maxMultikeyLen || s[0] != 'z' {
		return nil, fmt.Errorf("%w: want a base58btc multibase string (\"z…\")", ErrInvalidMultikey)
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMultikey, err)
	}
	if len(b) != 2+size || b[0] != prefix[0] || b[1] != prefix[1] {
		return nil, fmt.Errorf("%w: want multicodec %x and %d key bytes", ErrInvalidMultikey, prefix[:], size)
	}
	return b[2:], nil
}

// ResolveDIDKey resolves a did:key verification method of an Ed25519 key,
// "did:key:z6Mk…" or "did:key:z6Mk…#z6Mk…", to its public key. It fits as
// the resolver of Verify for self-describing keys.
func ResolveDIDKey(verificationMethod string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(verificationMethod, "did:key:")
	if !ok {
		return nil, fmt.Errorf("vc: resolve %q: not a did:key", verificationMethod)
	}
	id, fragment, hasFragment := strings.Cut(rest, "#")
	if hasFragment && fragment != id {
		return nil, fmt.Errorf("vc: resolve %q: the fragment must repeat the key", verificationMethod)
	}
	key, err := DecodeMultikey(id)
	if err != nil {
		return nil, fmt.Errorf("vc: resolve %q: %w", verificationMethod, err)
	}
	return key, nil
}
