package vc

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// QRVersion is the version of the QR payload format EncodeQR writes.
const QRVersion = 1

// Limits of the QR payload. They keep the worst case within a QR code that
// a cheap phone reads from paper and bound the work of DecodeQR.
const (
	MaxQRDocID       = 64  // bytes of DocID
	MaxQRIssuer      = 128 // bytes of the issuer DID
	MaxQRKeyFragment = 64  // bytes of the key's fragment
	MaxQRText        = 240 // encoded bytes of Holder and of Achievement each
	// MaxQRPayloadLen bounds the text DecodeQR reads.
	MaxQRPayloadLen = 1200
)

// qrSigContext separates QR signatures from every other signature made
// with an issuer's key.
const qrSigContext = "vidya-qr-v1\x00"

// qrFlagValidUntil marks a payload that carries a ValidUntil date.
const qrFlagValidUntil = 0x01

// Errors of DecodeQR, beside ErrUnknownKey and ErrBadSignature.
var (
	// ErrQRPayload: the text is not a well-formed payload.
	ErrQRPayload = errors.New("vc: malformed QR payload")
	// ErrQRVersion: the payload has a version this code does not read.
	ErrQRVersion = errors.New("vc: unsupported QR payload version")
)

// qrEpoch is day 0 of the payload's dates.
var qrEpoch = time.Date(1900, time.January, 1, 0, 0, 0, 0, time.UTC)

// QRClaims is what a printed certificate's QR code states, signed by the
// issuer so that it can be checked offline.
type QRClaims struct {
	// DocID is the certificate's document id, as in its verify URL: 1 to
	// MaxQRDocID letters, digits, '-', '_', '.' or '~'.
	DocID string
	// Issuer is the issuer's DID.
	Issuer string
	// KeyID is the verification method of the signing key; it must be
	// Issuer + "#" + a fragment.
	KeyID       string
	Holder      string
	Achievement string
	// IssuedOn and ValidUntil are dates: only the calendar date in the
	// time's own location counts, and DecodeQR returns it as UTC midnight.
	// ValidUntil is optional (zero).
	IssuedOn   time.Time
	ValidUntil time.Time
	// Digest is CredentialDigest of the signed credential.
	Digest [16]byte
}

// EncodeQR signs claims with the issuer's key and returns the payload to
// put after '#' in the verify URL. See the package documentation for the
// format.
func EncodeQR(c QRClaims, key ed25519.PrivateKey) (string, error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("vc: encode QR: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	fragment, err := c.check()
	if err != nil {
		return "", fmt.Errorf("vc: encode QR: %w", err)
	}
	holder, err := encodeQRText(c.Holder)
	if err != nil {
		return "", fmt.Errorf("vc: encode QR: holder: %w", err)
	}
	achievement, err := encodeQRText(c.Achievement)
	if err != nil {
		return "", fmt.Errorf("vc: encode QR: achievement: %w", err)
	}

	b := make([]byte, len(qrSigContext), 512)
	copy(b, qrSigContext)
	var flags byte
	if !c.ValidUntil.IsZero() {
		flags |= qrFlagValidUntil
	}
	b = append(b, QRVersion, flags)
	b = appendQRString(b, c.DocID)
	b = appendQRString(b, c.Issuer)
	b = appendQRString(b, fragment)
	b = append(b, holder...)
	b = append(b, achievement...)
	b = binary.AppendUvarint(b, qrDay(c.IssuedOn))
	if !c.ValidUntil.IsZero() {
		b = binary.AppendUvarint(b, qrDay(c.ValidUntil))
	}
	b = append(b, c.Digest[:]...)
	b = append(b, ed25519.Sign(key, b)...)
	s := base64.RawURLEncoding.EncodeToString(b[len(qrSigContext):])
	if len(s) > MaxQRPayloadLen {
		return "", fmt.Errorf("vc: encode QR: payload of %d characters, more than %d", len(s), MaxQRPayloadLen)
	}
	return s, nil
}

// check validates the claims and returns the key's fragment.
func (c QRClaims) check() (string, error) {
	if c.DocID == "" || len(c.DocID) > MaxQRDocID || !isDocID(c.DocID) {
		return "", fmt.Errorf("DocID %q: want 1 to %d letters, digits, '-', '_', '.' or '~'", c.DocID, MaxQRDocID)
	}
	if len(c.Issuer) > MaxQRIssuer || !isDID(c.Issuer) {
		return "", fmt.Errorf("issuer %q is not a DID of at most %d bytes", c.Issuer, MaxQRIssuer)
	}
	fragment, ok := strings.CutPrefix(c.KeyID, c.Issuer+"#")
	if !ok || len(fragment) > MaxQRKeyFragment || !isFragment(fragment) {
		return "", fmt.Errorf("key %q is not a key of the issuer %q", c.KeyID, c.Issuer)
	}
	if c.Holder == "" || !isLine(c.Holder) {
		return "", errors.New("holder name is required and must be one line of text")
	}
	if c.Achievement == "" || !isLine(c.Achievement) {
		return "", errors.New("achievement is required and must be one line of text")
	}
	if qrDate(c.IssuedOn).Before(qrEpoch) || c.IssuedOn.Year() > 9999 {
		return "", fmt.Errorf("issue date %s is out of range", c.IssuedOn.Format(time.DateOnly))
	}
	if !c.ValidUntil.IsZero() && !qrDate(c.ValidUntil).After(qrDate(c.IssuedOn)) {
		return "", errors.New("valid-until date must be after the issue date")
	}
	if c.ValidUntil.Year() > 9999 {
		return "", fmt.Errorf("valid-until date %s is out of range", c.ValidUntil.Format(time.DateOnly))
	}
	return fragment, nil
}

func isDocID(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isIDChar(s[i]) && s[i] != '~' {
			return false
		}
	}
	return true
}

// qrDate is t's calendar date (in t's own location) as UTC midnight.
func qrDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// qrDay is the number of days from qrEpoch to t's calendar date, which
// check has ensured is not before it.
func qrDay(t time.Time) uint64 {
	// Unix seconds, not Sub: a Duration saturates after 292 years.
	return uint64((qrDate(t).Unix() - qrEpoch.Unix()) / 86400)
}

func appendQRString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// The compact text codecs. Codec 0 is UTF-8. Codecs 1–10 are single-byte
// codes for one Brahmic script block of 128 code points, U+0900 + 128·(k−1)
// (1 Devanagari, 2 Bengali, 3 Gurmukhi, 4 Gujarati, 5 Oriya, 6 Tamil,
// 7 Telugu, 8 Kannada, 9 Malayalam, 10 Sinhala): bytes 0x20–0x7E are ASCII,
// 0x80–0xFF the block's code points in order, 0x1C ZWNJ and 0x1D ZWJ. A name
// in one Indian script then costs one byte a character instead of three.
const (
	qrCodecUTF8     = 0
	qrCodecMaxBlock = 10
	qrBlockBase     = 0x0900
	qrZWNJ          = 0x200C
	qrZWJ           = 0x200D
)

// encodeQRText returns codec ‖ uvarint(length) ‖ bytes for s, in the
// smallest codec that represents it.
func encodeQRText(s string) ([]byte, error) {
	codec := qrCodecUTF8
	for _, r := range s {
		if r < 0x80 || r == qrZWNJ || r == qrZWJ {
			continue
		}
		block := int(r-qrBlockBase)/0x80 + 1
		if r < qrBlockBase || block > qrCodecMaxBlock || (codec != qrCodecUTF8 && codec != block) {
			codec = -1
			break
		}
		codec = block
	}
	var body []byte
	if codec <= qrCodecUTF8 {
		codec = qrCodecUTF8
		body = []byte(s)
	} else {
		base := rune(qrBlockBase + 0x80*(codec-1))
		body = make([]byte, 0, len(s))
		for _, r := range s {
			switch {
			case r == qrZWNJ:
				body = append(body, 0x1C)
			case r == qrZWJ:
				body = append(body, 0x1D)
			case r < 0x80:
				body = append(body, byte(r))
			default:
				body = append(body, byte(0x80+r-base))
			}
		}
	}
	if len(body) > MaxQRText {
		return nil, fmt.Errorf("%d bytes encoded, more than %d", len(body), MaxQRText)
	}
	b := make([]byte, 0, 3+len(body))
	b = append(b, byte(codec))
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...), nil
}

// DecodeQR parses and verifies a payload made by EncodeQR. resolve maps the
// payload's KeyID (a key of the payload's issuer) to the public key; it must
// only return keys the caller trusts for that issuer.
func DecodeQR(s string, resolve func(kid string) (ed25519.PublicKey, error)) (QRClaims, error) {
	if s == "" || len(s) > MaxQRPayloadLen {
		return QRClaims{}, fmt.Errorf("%w: %d characters", ErrQRPayload, len(s))
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return QRClaims{}, fmt.Errorf("%w: %w", ErrQRPayload, err)
	}
	if len(raw) < 2 {
		return QRClaims{}, fmt.Errorf("%w: too short", ErrQRPayload)
	}
	if raw[0] != QRVersion {
		return QRClaims{}, fmt.Errorf("%w: version %d", ErrQRVersion, raw[0])
	}
	flags := raw[1]
	if flags&^qrFlagValidUntil != 0 {
		return QRClaims{}, fmt.Errorf("%w: unknown flags %#x", ErrQRPayload, flags)
	}
	r := qrReader{b: raw, i: 2}
	var c QRClaims
	c.DocID = r.str(MaxQRDocID)
	c.Issuer = r.str(MaxQRIssuer)
	fragment := r.str(MaxQRKeyFragment)
	c.Holder = r.text()
	c.Achievement = r.text()
	c.IssuedOn = r.date()
	if flags&qrFlagValidUntil != 0 {
		c.ValidUntil = r.date()
	}
	copy(c.Digest[:], r.bytes(len(c.Digest)))
	signedEnd := r.i
	sig := r.bytes(ed25519.SignatureSize)
	if r.err == nil && r.i != len(raw) {
		r.err = fmt.Errorf("%d bytes after the signature", len(raw)-r.i)
	}
	if r.err != nil {
		return QRClaims{}, fmt.Errorf("%w: %w", ErrQRPayload, r.err)
	}
	c.KeyID = c.Issuer + "#" + fragment
	if _, err := c.check(); err != nil {
		return QRClaims{}, fmt.Errorf("%w: %w", ErrQRPayload, err)
	}

	key, err := resolve(c.KeyID)
	if err != nil {
		return QRClaims{}, fmt.Errorf("vc: decode QR: %w %q: %w", ErrUnknownKey, c.KeyID, err)
	}
	if len(key) != ed25519.PublicKeySize {
		return QRClaims{}, fmt.Errorf("vc: decode QR: %w %q: key has %d bytes", ErrUnknownKey, c.KeyID, len(key))
	}
	msg := make([]byte, 0, len(qrSigContext)+signedEnd)
	msg = append(msg, qrSigContext...)
	msg = append(msg, raw[:signedEnd]...)
	if !ed25519.Verify(key, msg, sig) {
		return QRClaims{}, fmt.Errorf("vc: decode QR: %w", ErrBadSignature)
	}
	return c, nil
}

// qrReader reads payload fields; the first error sticks and later reads
// return zero values.
type qrReader struct {
	b   []byte
	i   int
	err error
}

func (r *qrReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		r.err = errors.New("bad number")
		return 0
	}
	r.i += n
	return v
}

func (r *qrReader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.i {
		r.err = errors.New("truncated")
		return nil
	}
	out := r.b[r.i : r.i+n]
	r.i += n
	return out
}

func (r *qrReader) str(max int) string {
	n := r.uvarint()
	if r.err == nil && n > uint64(max) {
		r.err = fmt.Errorf("field of %d bytes, more than %d", n, max)
	}
	return string(r.bytes(int(n)))
}

func (r *qrReader) text() string {
	codec := r.bytes(1)
	n := r.uvarint()
	if r.err == nil && n > MaxQRText {
		r.err = fmt.Errorf("text of %d bytes, more than %d", n, MaxQRText)
	}
	body := r.bytes(int(n))
	if r.err != nil {
		return ""
	}
	k := int(codec[0])
	switch {
	case k == qrCodecUTF8:
		if !utf8.Valid(body) {
			r.err = errors.New("text is not UTF-8")
			return ""
		}
		return string(body)
	case k <= qrCodecMaxBlock:
		base := rune(qrBlockBase + 0x80*(k-1))
		out := make([]rune, 0, len(body))
		for _, c := range body {
			switch {
			case c == 0x1C:
				out = append(out, qrZWNJ)
			case c == 0x1D:
				out = append(out, qrZWJ)
			case c >= 0x80:
				out = append(out, base+rune(c-0x80))
			case c >= 0x20 && c < 0x7F:
				out = append(out, rune(c))
			default:
				r.err = fmt.Errorf("byte %#x in text codec %d", c, k)
				return ""
			}
		}
		return string(out)
	default:
		r.err = fmt.Errorf("unknown text codec %d", k)
		return ""
	}
}

func (r *qrReader) date() time.Time {
	d := r.uvarint()
	if r.err == nil && d > 3_000_000 { // past the year 9999
		r.err = fmt.Errorf("day %d out of range", d)
	}
	if r.err != nil {
		return time.Time{}
	}
	return qrEpoch.AddDate(0, 0, int(d))
}
