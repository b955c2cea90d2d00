package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP Password Storage Cheat Sheet's first
// recommended configuration (m=19 MiB, t=2, p=1). About 20–40 ms per hash on
// one core of the reference machine; see bench/README.md.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Bounds on the parameters VerifyPassword accepts from a stored hash, so
// that one bad row cannot make a sign-in take gigabytes and minutes. They
// leave room for OWASP's and RFC 9106's 64 MiB configurations.
const (
	maxArgonMemory = 64 * 1024 // KiB
	maxArgonTime   = 10
)

// Password length bounds. NIST SP 800-63B: at least 8, allow at least 64.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// checkPassword returns what is wrong with a new password, or "".
func checkPassword(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return "must be valid text"
	case n < MinPasswordLen:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return fmt.Sprintf("must be at most %d bytes", MaxPasswordLen)
	}
	return ""
}

// HashPassword returns the PHC-format argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("identity: malformed password hash")

// VerifyPassword reports whether pw matches the PHC-format hash, using the
// parameters stored in the hash so they can be raised later.
func VerifyPassword(hash, pw string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > maxArgonMemory || t == 0 || t > maxArgonTime || p == 0 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false, errBadHash
	}
	// Sscanf ignores text after its last verb and base64 skips line breaks,
	// so the hash must also read back exactly as written ("v=19A" is not v=19).
	if hash != fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", version, m, t, p, b64.EncodeToString(salt), b64.EncodeToString(want)) {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when an account does not exist, so that
// sign-in takes as long for unknown e-mails as for wrong passwords.
var dummyHash = func() string {
	h, err := HashPassword("not-a-real-password")
	if err != nil {
		panic(err)
	}
	return h
}()
