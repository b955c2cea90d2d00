package blob

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MinSignerSecret is the shortest secret, in bytes, NewSigner accepts.
const MinSignerSecret = 32

// Signer makes and checks time-limited URLs for blobs served by Handler.
type Signer struct {
	secret []byte
	base   string // baseURL without a trailing slash
}

// NewSigner returns a Signer that signs with secret (at least 32 bytes) URLs
// rooted at baseURL, the absolute http(s) URL where Handler is mounted.
func NewSigner(secret []byte, baseURL string) (*Signer, error) {
	const op = "blob: new signer"
	if len(secret) < MinSignerSecret {
		return nil, errs.E(errs.Invalid, op, "secret is %d bytes; it must be at least %d", len(secret), MinSignerSecret)
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errs.E(errs.Invalid, op, "base URL %q must be an absolute http(s) URL without query, fragment or user info", baseURL)
	}
	return &Signer{
		secret: append([]byte(nil), secret...),
		base:   strings.TrimRight(baseURL, "/"),
	}, nil
}

// URL returns the signed URL for key that stops working at expires:
// {baseURL}/blobs/{key}?exp={unix}&sig={base64url HMAC-SHA256(key+"\n"+exp)}.
func (s *Signer) URL(key string, expires time.Time) string {
	exp := expires.Unix()
	return s.base + "/blobs/" + escapeKey(key) +
		"?exp=" + strconv.FormatInt(exp, 10) + "&sig=" + s.sign(key, exp)
}

// sign returns the signature of key valid until the unix time exp.
func (s *Signer) sign(key string, exp int64) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(key))
	m.Write([]byte{'\n'})
	m.Write([]byte(strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify checks the exp and sig query values for key at time now and
// returns when the URL expires; the error text is safe to show.
func (s *Signer) verify(key, exp, sig string, now time.Time) (time.Time, error) {
	const op = "blob: verify signed URL"
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || exp != strconv.FormatInt(t, 10) {
		return time.Time{}, errs.E(errs.Forbidden, op, "invalid link")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		return time.Time{}, errs.E(errs.Forbidden, op, "invalid link")
	}
	want, _ := base64.RawURLEncoding.DecodeString(s.sign(key, t))
	if !hmac.Equal(got, want) {
		return time.Time{}, errs.E(errs.Forbidden, op, "invalid link")
	}
	expires := time.Unix(t, 0)
	if !now.Before(expires) {
		return time.Time{}, errs.E(errs.Forbidden, op, "link expired")
	}
	return expires, nil
}

// escapeKey escapes each segment of key for use in a URL path.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
