package assess

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Access codes are what a candidate types on exam day with the roll
// number: 16 characters of Crockford's base32 (80 bits), printed in groups
// of four ("7KQM-3XPR-9HTD-W2FN"). Crockford's alphabet has no I, L, O or
// U; when typed, I and L are read as 1 and O as 0, case and separators do
// not matter. Only the SHA-256 of the canonical form is stored: checking a
// code is one hash and one indexed lookup, no password hashing on the
// exam-day path.
const (
	codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	codeLen      = 16
)

// NewAccessCode returns a fresh random access code, grouped for printing.
func NewAccessCode() string {
	var b [codeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	var s strings.Builder
	for i, x := range b {
		if i > 0 && i%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(codeAlphabet[x&31]) // 256 is a multiple of 32: no bias
	}
	return s.String()
}

// CanonicalAccessCode turns what a candidate typed into the stored form:
// upper case, separators and spaces dropped, I/L → 1 and O → 0. It
// reports false if the result is not a well-formed code.
func CanonicalAccessCode(typed string) (string, bool) {
	if len(typed) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(typed) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			continue
		case r == 'I' || r == 'L':
			r = '1'
		case r == 'O':
			r = '0'
		case !strings.ContainsRune(codeAlphabet, r):
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != codeLen {
		return "", false
	}
	return b.String(), true
}

// hashAccessCode is what is stored of a code (canonical form).
func hashAccessCode(canonical string) string {
	sum := sha256.Sum256([]byte("vidya access code\x00" + canonical))
	return hex.EncodeToString(sum[:])
}

// HashAccessCode returns the stored form of a code as typed, or false if it
// is not a well-formed code. Only the demo data needs it: real codes are
// made by IssueCodes.
func HashAccessCode(typed string) (string, bool) {
	c, ok := CanonicalAccessCode(typed)
	if !ok {
		return "", false
	}
	return hashAccessCode(c), true
}
