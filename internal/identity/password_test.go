package identity_test

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/vidya-edu/vidya/internal/identity"
)

func TestHashPassword(t *testing.T) {
	t.Parallel()
	h, err := identity.HashPassword(goodPassword)
	must(t, err)

	t.Run("the right password verifies", func(t *testing.T) {
		ok, err := identity.VerifyPassword(h, goodPassword)
		if err != nil || !ok {
			t.Fatalf("VerifyPassword(right) = %v, %v; want true, nil", ok, err)
		}
	})
	t.Run("a wrong password does not", func(t *testing.T) {
		ok, err := identity.VerifyPassword(h, goodPassword+"!")
		if err != nil || ok {
			t.Fatalf("VerifyPassword(wrong) = %v, %v; want false, nil", ok, err)
		}
	})
	t.Run("the hash is a PHC argon2id string with the OWASP parameters", func(t *testing.T) {
		// m=19456 KiB, t=2, p=1: OWASP Password Storage Cheat Sheet; 16-byte
		// salt and 32-byte key in unpadded base64.
		re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
		if !re.MatchString(h) {
			t.Fatalf("hash %q does not match %s", h, re)
		}
	})
	t.Run("each hash has its own salt", func(t *testing.T) {
		h2, err := identity.HashPassword(goodPassword)
		must(t, err)
		if h2 == h {
			t.Fatalf("two hashes of one password are equal: %q", h)
		}
	})
}

// phc builds a PHC string the way another implementation (or an older
// configuration of ours) would.
func phc(pw string, m, tm uint32, p uint8, keyLen uint32) string {
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, tm, m, p, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestVerifyPasswordUsesTheStoredParameters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		m, t     uint32
		p        uint8
		keyLen   uint32
		password string
	}{
		{"cheaper parameters of an older configuration", 8192, 1, 1, 32, "older password"},
		{"OWASP's highest-memory option (46 MiB, t=1)", 47104, 1, 1, 32, "strong password"},
		{"more lanes and a longer key", 9216, 4, 4, 64, "lanes password"},
	} {
		t.Run(tc.name+" still verify", func(t *testing.T) {
			h := phc(tc.password, tc.m, tc.t, tc.p, tc.keyLen)
			if ok, err := identity.VerifyPassword(h, tc.password); err != nil || !ok {
				t.Fatalf("VerifyPassword(%q) = %v, %v; want true", h, ok, err)
			}
			if ok, err := identity.VerifyPassword(h, tc.password+"x"); err != nil || ok {
				t.Fatalf("VerifyPassword(wrong) = %v, %v; want false", ok, err)
			}
		})
	}
}

const (
	saltB64 = "MDEyMzQ1Njc4OWFiY2RlZg"                      // 16 bytes
	keyB64  = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" // 32 bytes
)

func TestVerifyPasswordRefusesMalformedHashes(t *testing.T) {
	t.Parallel()
	hash := func(params string) string { return "$argon2id$v=19$" + params + "$" + saltB64 + "$" + keyB64 }
	for _, tc := range []struct{ name, hash string }{
		{"an empty hash", ""},
		{"plain text", "hunter2hunter2"},
		{"a bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i instead of argon2id", "$argon2i$v=19$m=19456,t=2,p=1$" + saltB64 + "$" + keyB64},
		{"argon2d instead of argon2id", "$argon2d$v=19$m=19456,t=2,p=1$" + saltB64 + "$" + keyB64},
		{"version 16", "$argon2id$v=16$m=19456,t=2,p=1$" + saltB64 + "$" + keyB64},
		{"no version", "$argon2id$m=19456,t=2,p=1$" + saltB64 + "$" + keyB64},
		{"a version that is not a number", "$argon2id$v=x$m=19456,t=2,p=1$" + saltB64 + "$" + keyB64},
		{"an extra section", hash("m=19456,t=2,p=1") + "$" + keyB64},
		{"no key section", "$argon2id$v=19$m=19456,t=2,p=1$" + saltB64},
		{"empty parameters", hash("")},
		{"parameters that are not numbers", hash("m=a,t=b,p=c")},
		{"parameters in another order", hash("t=2,m=19456,p=1")},
		{"zero memory", hash("m=0,t=2,p=1")},
		{"zero time", hash("m=19456,t=0,p=1")},
		{"zero lanes", hash("m=19456,t=2,p=0")},
		{"negative memory", hash("m=-1,t=2,p=1")},
		{"memory just over the bound (64 MiB)", hash("m=65537,t=1,p=1")},
		{"2 GiB of memory", hash("m=2097152,t=1,p=1")},
		{"4 TiB of memory (uint32 max)", hash("m=4294967295,t=1,p=1")},
		{"memory overflowing uint32", hash("m=4294967296,t=1,p=1")},
		{"time just over the bound", hash("m=8,t=11,p=1")},
		{"time of uint32 max", hash("m=19456,t=4294967295,p=1")},
		{"lanes overflowing uint8", hash("m=19456,t=2,p=256")},
		{"a salt that is not base64", "$argon2id$v=19$m=19456,t=2,p=1$!!!!$" + keyB64},
		{"a padded salt", "$argon2id$v=19$m=19456,t=2,p=1$" + saltB64 + "==$" + keyB64},
		{"a key that is not base64", "$argon2id$v=19$m=19456,t=2,p=1$" + saltB64 + "$****"},
		{"an empty key", "$argon2id$v=19$m=19456,t=2,p=1$" + saltB64 + "$"},
		{"a key over 128 bytes", "$argon2id$v=19$m=19456,t=2,p=1$" + saltB64 + "$" + base64.RawStdEncoding.EncodeToString(make([]byte, 129))},
		{"only separators", "$$$$$"},
		{"text before the first $", "x" + hash("m=19456,t=2,p=1")},
		{"a version with trailing text", "$argon2id$v=19A$m=19456,t=2,p=1$" + saltB64 + "$" + keyB64},
		{"parameters with trailing text", hash("m=19456,t=2,p=1junk")},
		{"parameters with spaces", hash("m= 19456,t=2,p=1")},
		{"parameters with a plus sign", hash("m=19456,t=+2,p=1")},
		{"parameters with leading zeros", hash("m=019456,t=2,p=1")},
		{"a line break inside the key", "$argon2id$v=19$m=19456,t=2,p=1$" + saltB64 + "$" + keyB64[:10] + "\n" + keyB64[10:]},
	} {
		t.Run(tc.name+" is an error", func(t *testing.T) {
			type result struct {
				ok  bool
				err error
			}
			done := make(chan result, 1)
			go func() {
				defer func() {
					if p := recover(); p != nil {
						done <- result{err: fmt.Errorf("panic: %v", p)}
					}
				}()
				ok, err := identity.VerifyPassword(tc.hash, goodPassword)
				done <- result{ok, err}
			}()
			select {
			case r := <-done:
				if r.err == nil || r.ok || strings.HasPrefix(r.err.Error(), "panic") {
					t.Fatalf("VerifyPassword(%q) = %v, %v; want false and a malformed-hash error", tc.hash, r.ok, r.err)
				}
			case <-time.After(10 * time.Second):
				// A parser that let the cost through would run argon2
				// with gigabytes of memory for a long time.
				t.Fatalf("VerifyPassword(%q) still running after 10 s: the parameters were not bounded", tc.hash)
			}
		})
	}
}

var canonicalPHC = regexp.MustCompile(`^\$argon2id\$v=19\$m=[1-9][0-9]*,t=[1-9][0-9]*,p=[1-9][0-9]*\$[A-Za-z0-9+/]*\$[A-Za-z0-9+/]+$`)

// FuzzVerifyPassword feeds arbitrary PHC strings to the parser, which reads
// values from the database (imported accounts included): it must never
// panic, never accept anything but argon2id v19, and keep argon2's cost
// bounded.
func FuzzVerifyPassword(f *testing.F) {
	good, err := identity.HashPassword("fuzz password")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "fuzz password")
	f.Add(good, "wrong password")
	f.Add(phc("small", 8, 1, 1, 16), "small")
	f.Add(phc("lanes", 64, 1, 8, 4), "lanes")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$"+saltB64+"$"+keyB64, "")
	f.Add("$argon2id$v=19$m=65537,t=10,p=255$$"+keyB64, "x")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$"+saltB64+"$"+keyB64, "x")
	f.Add("$argon2i$v=19$m=19456,t=2,p=1$"+saltB64+"$"+keyB64, "x")
	f.Add("$argon2id$v=19$m= 8,t=+1,p=1$"+saltB64+"$"+keyB64, "x")
	f.Add("$$$$$", "")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		// The parser bounds memory to 64 MiB and time to 10 passes (about
		// a second); skip the costly end of that range so the fuzzer spends
		// its time on parsing. TestVerifyPasswordRefusesMalformedHashes
		// checks the bound itself.
		if parts := strings.Split(hash, "$"); len(parts) == 6 {
			var m, tm uint64
			if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d", &m, &tm); err == nil && m <= 1<<16 && tm <= 10 && m*tm > 4*19456 {
				t.Skip("costly but within bounds")
			}
		}
		ok, err := identity.VerifyPassword(hash, password)
		if err != nil && ok {
			t.Fatalf("VerifyPassword(%q) = true with error %v", hash, err)
		}
		if err == nil && !canonicalPHC.MatchString(hash) {
			t.Fatalf("VerifyPassword accepted %q, which is not a canonical argon2id v19 hash", hash)
		}
		if ok && hash == good && password != "fuzz password" {
			t.Fatalf("password %q matched the hash of another", password)
		}
	})
}
