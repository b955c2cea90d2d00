package vc

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Names and limits of the W3C Bitstring Status List.
const (
	TypeStatusListEntry      = "BitstringStatusListEntry"
	TypeStatusListCredential = "BitstringStatusListCredential"
	TypeStatusList           = "BitstringStatusList"
	PurposeRevocation        = "revocation"

	// MinStatusListBits is the smallest list the Recommendation allows
	// (16 KiB), so that one credential's index hides among many.
	MinStatusListBits = 131072
	// MaxStatusListBytes caps a decoded list (16 MiB, 134 million
	// entries), so a small gzip bomb cannot exhaust memory.
	MaxStatusListBytes = 16 << 20
)

// maxEncodedListLen bounds the encodedList text before decoding: base64 of
// an incompressible gzip stream of MaxStatusListBytes, with room for gzip's
// block overhead.
const maxEncodedListLen = (MaxStatusListBytes+MaxStatusListBytes/64+1024)*4/3 + 4

// Errors of the status list functions.
var (
	// ErrStatusList: an encoded list is not base64url GZIP of a list of
	// allowed size, or a status list credential is malformed.
	ErrStatusList = errors.New("vc: invalid status list")
	// ErrStatusIndex: an index is outside the list.
	ErrStatusIndex = errors.New("vc: status list index out of range")
	// ErrStatusMismatch: a credential's status entry does not point at the
	// status list credential given, or not for the same purpose or issuer.
	ErrStatusMismatch = errors.New("vc: status entry does not match the status list")
)

// StatusList is a bitstring of credential statuses: bit i set means the
// credential with statusListIndex i is revoked (for purpose revocation).
// Bit 0 is the most significant bit of the first byte. A StatusList is not
// safe for concurrent use; callers that share one guard it.
type StatusList struct {
	bits []byte
}

// NewStatusList returns a list of n cleared bits; n must be a multiple of 8
// from MinStatusListBits to 8·MaxStatusListBytes.
func NewStatusList(n int) (*StatusList, error) {
	if n < MinStatusListBits || n%8 != 0 || n/8 > MaxStatusListBytes {
		return nil, fmt.Errorf("%w: %d bits: want a multiple of 8 from %d to %d", ErrStatusList, n, MinStatusListBits, 8*MaxStatusListBytes)
	}
	return &StatusList{bits: make([]byte, n/8)}, nil
}

// StatusListFromBytes returns the list whose bitstring is b (as Bytes
// returns it), which it keeps.
func StatusListFromBytes(b []byte) (*StatusList, error) {
	if len(b)*8 < MinStatusListBits || len(b) > MaxStatusListBytes {
		return nil, fmt.Errorf("%w: %d bytes: want %d to %d", ErrStatusList, len(b), MinStatusListBits/8, MaxStatusListBytes)
	}
	return &StatusList{bits: b}, nil
}

// Bytes returns the list's bitstring, which the list keeps using.
func (l *StatusList) Bytes() []byte { return l.bits }

// Len returns the number of entries.
func (l *StatusList) Len() int { return 8 * len(l.bits) }

// Set sets bit i (revokes credential i).
func (l *StatusList) Set(i int) error {
	if err := l.check(i); err != nil {
		return err
	}
	l.bits[i>>3] |= 0x80 >> (i & 7)
	return nil
}

// Clear clears bit i.
func (l *StatusList) Clear(i int) error {
	if err := l.check(i); err != nil {
		return err
	}
	l.bits[i>>3] &^= 0x80 >> (i & 7)
	return nil
}

// Get reports whether bit i is set.
func (l *StatusList) Get(i int) (bool, error) {
	if err := l.check(i); err != nil {
		return false, err
	}
	return l.bits[i>>3]&(0x80>>(i&7)) != 0, nil
}

func (l *StatusList) check(i int) error {
	if i < 0 || i >= l.Len() {
		return fmt.Errorf("%w: %d not in [0, %d)", ErrStatusIndex, i, l.Len())
	}
	return nil
}

// Encode returns the encodedList form: "u" + base64url without padding of
// the GZIP-compressed bitstring.
func (l *StatusList) Encode() (string, error) {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(l.bits); err != nil {
		return "", fmt.Errorf("vc: encode status list: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("vc: encode status list: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// gzipWriters keeps compressors between Encode calls: each holds close to a
// megabyte of tables.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// DecodeStatusList parses an encodedList. It rejects lists shorter than
// MinStatusListBits and, without inflating further, longer than
// MaxStatusListBytes.
func DecodeStatusList(s string) (*StatusList, error) {
	rest, ok := strings.CutPrefix(s, "u")
	if !ok {
		return nil, fmt.Errorf("%w: want multibase base64url (\"u…\")", ErrStatusList)
	}
	if len(rest) > maxEncodedListLen {
		return nil, fmt.Errorf("%w: encoded list of %d characters is too long", ErrStatusList, len(s))
	}
	compressed, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStatusList, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStatusList, err)
	}
	bits, err := io.ReadAll(io.LimitReader(zr, MaxStatusListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStatusList, err)
	}
	if len(bits) > MaxStatusListBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrStatusList, MaxStatusListBytes)
	}
	if len(bits)*8 < MinStatusListBits {
		return nil, fmt.Errorf("%w: %d entries, fewer than %d", ErrStatusList, len(bits)*8, MinStatusListBits)
	}
	return &StatusList{bits: bits}, nil
}

// StatusEntry is a credential's credentialStatus: where its bit is.
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// NewStatusEntry returns the revocation entry for bit index of the status
// list credential at listCredential; its id is listCredential#index.
func NewStatusEntry(listCredential string, index int) StatusEntry {
	i := strconv.Itoa(index)
	return StatusEntry{
		ID:                   listCredential + "#" + i,
		Type:                 TypeStatusListEntry,
		StatusPurpose:        PurposeRevocation,
		StatusListIndex:      i,
		StatusListCredential: listCredential,
	}
}

// Index returns the entry's statusListIndex as a number.
func (e StatusEntry) Index() (int, error) {
	if !isIndex(e.StatusListIndex) {
		return 0, fmt.Errorf("%w: statusListIndex %q", ErrStatusIndex, e.StatusListIndex)
	}
	i, _ := strconv.Atoi(e.StatusListIndex)
	return i, nil
}

func checkStatusEntry(v *errs.Validation, field string, st *StatusEntry) {
	checkURI(v, field+".id", st.ID, true)
	if st.Type != TypeStatusListEntry {
		v.Add(field+".type", "must be %q", TypeStatusListEntry)
	}
	checkText(v, field+".statusPurpose", st.StatusPurpose, true)
	if !isIndex(st.StatusListIndex) {
		v.Add(field+".statusListIndex", "must be a whole number of 0 or more")
	}
	checkURI(v, field+".statusListCredential", st.StatusListCredential, true)
}

// StatusListCredential is a BitstringStatusListCredential before signing
// (sign its JSON with Sign) or after verification.
type StatusListCredential struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              Types             `json:"type"`
	Issuer            string            `json:"issuer"`
	ValidFrom         DateTime          `json:"validFrom"`
	ValidUntil        DateTime          `json:"validUntil,omitzero"`
	CredentialSubject StatusListSubject `json:"credentialSubject"`
}

// StatusListSubject is the subject of a status list credential.
type StatusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

// NewStatusListCredential builds the unsigned status list credential at
// URL id for issuer (a DID), encoding list. Its subject id is id#list.
func NewStatusListCredential(id, issuer string, validFrom time.Time, purpose string, list *StatusList) (*StatusListCredential, error) {
	switch {
	case !isURI(id):
		return nil, fmt.Errorf("vc: status list credential: id %q is not a URL", id)
	case !isURI(issuer):
		return nil, fmt.Errorf("vc: status list credential: issuer %q is not a URI", issuer)
	case validFrom.IsZero():
		return nil, errors.New("vc: status list credential: validFrom is required")
	case purpose == "" || !isText(purpose):
		return nil, errors.New("vc: status list credential: status purpose is required")
	case list == nil:
		return nil, errors.New("vc: status list credential: no list")
	}
	encoded, err := list.Encode()
	if err != nil {
		return nil, fmt.Errorf("vc: status list credential: %w", err)
	}
	return &StatusListCredential{
		Context:   []string{ContextCredentialsV2},
		ID:        id,
		Type:      Types{TypeVerifiableCredential, TypeStatusListCredential},
		Issuer:    issuer,
		ValidFrom: NewDateTime(validFrom),
		CredentialSubject: StatusListSubject{
			ID:            id + "#list",
			Type:          TypeStatusList,
			StatusPurpose: purpose,
			EncodedList:   encoded,
		},
	}, nil
}

// VerifyStatusListCredential verifies a signed status list credential (as
// Verify, with the key bound to the issuer as in VerifyCredential) and
// decodes its list.
func VerifyStatusListCredential(signed []byte, resolve func(verificationMethod string) (ed25519.PublicKey, error)) (*StatusListCredential, *StatusList, error) {
	p, err := Verify(signed, resolve)
	if err != nil {
		return nil, nil, err
	}
	var c StatusListCredential
	if err := json.Unmarshal(signed, &c); err != nil {
		return nil, nil, fmt.Errorf("vc: verify status list: %w: %w", ErrStatusList, err)
	}
	if len(c.Context) == 0 || c.Context[0] != ContextCredentialsV2 ||
		!c.Type.Has(TypeVerifiableCredential) || !c.Type.Has(TypeStatusListCredential) ||
		c.CredentialSubject.Type != TypeStatusList || c.CredentialSubject.StatusPurpose == "" ||
		!isURI(c.ID) || !isURI(c.Issuer) {
		return nil, nil, fmt.Errorf("vc: verify status list: %w: not a BitstringStatusListCredential", ErrStatusList)
	}
	if did, _, _ := strings.Cut(p.VerificationMethod, "#"); did != c.Issuer {
		return nil, nil, fmt.Errorf("vc: verify status list: %w: %q is not a key of %q", ErrIssuerMismatch, p.VerificationMethod, c.Issuer)
	}
	list, err := DecodeStatusList(c.CredentialSubject.EncodedList)
	if err != nil {
		return nil, nil, fmt.Errorf("vc: verify status list: %w", err)
	}
	return &c, list, nil
}

// CheckStatus reports whether cred's status bit is set in list, the decoded
// list of listCred (from VerifyStatusListCredential). The entry must point
// at listCred, for listCred's purpose, and both must have the same issuer.
// A credential without credentialStatus is never revoked.
func CheckStatus(cred *OpenBadgeCredential, listCred *StatusListCredential, list *StatusList) (bool, error) {
	e := cred.CredentialStatus
	if e == nil {
		return false, nil
	}
	switch {
	case e.StatusListCredential != listCred.ID:
		return false, fmt.Errorf("%w: entry points at %q, list is %q", ErrStatusMismatch, e.StatusListCredential, listCred.ID)
	case e.StatusPurpose != listCred.CredentialSubject.StatusPurpose:
		return false, fmt.Errorf("%w: entry is for %q, list for %q", ErrStatusMismatch, e.StatusPurpose, listCred.CredentialSubject.StatusPurpose)
	case cred.Issuer.ID != listCred.Issuer:
		return false, fmt.Errorf("%w: credential issued by %q, list by %q", ErrStatusMismatch, cred.Issuer.ID, listCred.Issuer)
	}
	i, err := e.Index()
	if err != nil {
		return false, err
	}
	return list.Get(i)
}
