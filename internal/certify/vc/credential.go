package vc

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// JSON-LD contexts of the credentials this package makes.
const (
	ContextCredentialsV2 = "https://www.w3.org/ns/credentials/v2"
	ContextOpenBadgesV3  = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
)

// Type names used in Open Badges 3.0 credentials.
const (
	TypeVerifiableCredential = "VerifiableCredential"
	TypeOpenBadgeCredential  = "OpenBadgeCredential"
	TypeProfile              = "Profile"
	TypeAchievementSubject   = "AchievementSubject"
	TypeAchievement          = "Achievement"
	TypeResult               = "Result"
	TypeResultDescription    = "ResultDescription"
	TypeIdentityObject       = "IdentityObject"
	TypeImage                = "Image"
)

// Identity types of IdentityObject used by Vidya (OB 3.0 IdentifierTypeEnum).
const (
	// IdentityName marks the holder's display name, in clear text.
	IdentityName = "name"
	// IdentityIdentifier marks an opaque identifier such as a roll number,
	// usually hashed.
	IdentityIdentifier = "identifier"
)

// Errors of VerifyCredential and OpenBadgeCredential.ValidAt beyond those
// of Verify.
var (
	// ErrIssuerMismatch: the proof was made with a key that does not belong
	// to the credential's issuer.
	ErrIssuerMismatch = errors.New("vc: signing key does not belong to the issuer")
	// ErrNotYetValid: the credential's validFrom is in the future.
	ErrNotYetValid = errors.New("vc: credential is not yet valid")
	// ErrExpired: the credential's validUntil has passed.
	ErrExpired = errors.New("vc: credential has expired")
)

// DateTime is an XML Schema dateTime, written in UTC to the second
// ("2026-05-01T09:30:00Z") and read in any RFC 3339 form.
type DateTime struct{ time.Time }

// NewDateTime returns t as a DateTime in UTC, truncated to the second.
func NewDateTime(t time.Time) DateTime {
	if t.IsZero() {
		return DateTime{}
	}
	return DateTime{t.UTC().Truncate(time.Second)}
}

// MarshalJSON writes the time in UTC to the second.
func (d DateTime) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return nil, errors.New("vc: DateTime: zero time")
	}
	return []byte(`"` + d.UTC().Format("2006-01-02T15:04:05Z") + `"`), nil
}

// UnmarshalJSON reads an XML Schema dateTime string.
func (d *DateTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("vc: DateTime: %w", err)
	}
	t, err := parseDateTime(s)
	if err != nil {
		return fmt.Errorf("vc: DateTime: %w", err)
	}
	d.Time = t
	return nil
}

// Types is a JSON-LD type list: written as an array, read from an array or
// a single string.
type Types []string

// UnmarshalJSON accepts a string or an array of strings.
func (t *Types) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Types{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*t = ss
	return nil
}

// Has reports whether name is one of the types.
func (t Types) Has(name string) bool { return slices.Contains(t, name) }

// OpenBadgeCredential is an Open Badges 3.0 credential (a W3C VC 2.0) before
// signing. Build one with NewOpenBadgeCredential, marshal it with
// encoding/json and sign the bytes with Sign.
type OpenBadgeCredential struct {
	Context []string `json:"@context"`
	// ID is the credential's URL ("https://host/v/DOCID") or "urn:uuid:…".
	ID   string `json:"id"`
	Type Types  `json:"type"`
	// Name is the credential's title for wallets, e.g. "Class X Marksheet".
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Issuer      Profile  `json:"issuer"`
	ValidFrom   DateTime `json:"validFrom"`
	ValidUntil  DateTime `json:"validUntil,omitzero"`
	// AwardedDate is when the achievement was awarded (OB 3.0 puts it on the
	// credential, not on the subject); validFrom is when this document
	// became valid, which differs for a re-issue.
	AwardedDate       DateTime           `json:"awardedDate,omitzero"`
	CredentialSubject AchievementSubject `json:"credentialSubject"`
	CredentialStatus  *StatusEntry       `json:"credentialStatus,omitempty"`
}

// Profile is the issuer: an authority such as an exam board.
type Profile struct {
	// ID is the issuer's DID, e.g. "did:web:vidya.example:a:cbse".
	ID    string `json:"id"`
	Type  Types  `json:"type"`
	Name  string `json:"name"`
	URL   string `json:"url,omitempty"`
	Image *Image `json:"image,omitempty"`
}

// Image is an OB 3.0 image reference.
type Image struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Caption string `json:"caption,omitempty"`
}

// AchievementSubject is the holder and what they achieved. OB 3.0 requires
// an id or at least one identifier.
//
// The holder's name is carried as an IdentityObject with identityType
// "name" (see NameIdentity), which is where OB 3.0 (IdentifierTypeEnum)
// puts a recipient's name; OB 3.0's AchievementSubject has no "name"
// property of its own, and although both contexts define the term, the
// 1EdTech JSON schema does not list it there.
type AchievementSubject struct {
	ID          string           `json:"id,omitempty"`
	Type        Types            `json:"type"`
	Identifier  []IdentityObject `json:"identifier,omitempty"`
	Achievement Achievement      `json:"achievement"`
	Result      []Result         `json:"result,omitempty"`
}

// HolderName returns the clear-text name identifier of the subject, or "".
func (s AchievementSubject) HolderName() string {
	for _, id := range s.Identifier {
		if id.IdentityType == IdentityName && !id.Hashed {
			return id.IdentityHash
		}
	}
	return ""
}

// IdentityObject identifies the holder, in clear text or salted and hashed.
type IdentityObject struct {
	Type   string `json:"type"`
	Hashed bool   `json:"hashed"`
	// IdentityHash is the clear value when Hashed is false, otherwise
	// "sha256$" + hex(SHA-256(value ‖ salt)).
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Salt         string `json:"salt,omitempty"`
}

// NameIdentity returns the identifier carrying the holder's display name.
func NameIdentity(name string) IdentityObject {
	return IdentityObject{Type: TypeIdentityObject, IdentityHash: name, IdentityType: IdentityName}
}

// HashedIdentity returns a salted SHA-256 identifier of value (e.g. a roll
// number), as OB 3.0 defines it. salt should be random and unique per
// credential so that equal values do not link credentials.
func HashedIdentity(identityType, value, salt string) IdentityObject {
	return IdentityObject{
		Type:         TypeIdentityObject,
		Hashed:       true,
		IdentityHash: identityHash(value, salt),
		IdentityType: identityType,
		Salt:         salt,
	}
}

func identityHash(value, salt string) string {
	sum := sha256.Sum256([]byte(value + salt))
	return "sha256$" + hex.EncodeToString(sum[:])
}

// Matches reports whether the identifier stands for value.
func (o IdentityObject) Matches(value string) bool {
	if !o.Hashed {
		return o.IdentityHash == value
	}
	return strings.EqualFold(o.IdentityHash, identityHash(value, o.Salt))
}

// Achievement is what the credential certifies, e.g. an examination passed.
type Achievement struct {
	ID   string `json:"id"`
	Type Types  `json:"type"`
	// AchievementType is an OB 3.0 AchievementType such as "Certificate",
	// "Diploma" or "License".
	AchievementType   string              `json:"achievementType,omitempty"`
	Name              string              `json:"name"`
	Description       string              `json:"description"`
	Criteria          Criteria            `json:"criteria"`
	Image             *Image              `json:"image,omitempty"`
	ResultDescription []ResultDescription `json:"resultDescription,omitempty"`
}

// Criteria says how the achievement is earned: a narrative, a URL, or both.
type Criteria struct {
	ID        string `json:"id,omitempty"`
	Narrative string `json:"narrative,omitempty"`
}

// ResultDescription describes a kind of result the achievement records,
// e.g. the total marks.
type ResultDescription struct {
	ID   string `json:"id"`
	Type Types  `json:"type"`
	Name string `json:"name"`
	// ResultType is an OB 3.0 ResultType such as "RawScore",
	// "LetterGrade", "Percent" or "Status".
	ResultType   string   `json:"resultType"`
	ValueMin     string   `json:"valueMin,omitempty"`
	ValueMax     string   `json:"valueMax,omitempty"`
	AllowedValue []string `json:"allowedValue,omitempty"`
}

// Result is one result of the holder, e.g. "412" marks or grade "A1".
type Result struct {
	Type Types `json:"type"`
	// ResultDescription is the id of one of the achievement's result
	// descriptions.
	ResultDescription string `json:"resultDescription,omitempty"`
	Value             string `json:"value,omitempty"`
	AchievedLevel     string `json:"achievedLevel,omitempty"`
	Status            string `json:"status,omitempty"`
}

// NewOpenBadgeCredential completes c with the fixed members (@context and
// every type) where they are empty and validates it. c's slices are not
// modified.
func NewOpenBadgeCredential(c OpenBadgeCredential) (*OpenBadgeCredential, error) {
	if c.Context == nil {
		c.Context = []string{ContextCredentialsV2, ContextOpenBadgesV3}
	}
	if c.Type == nil {
		c.Type = Types{TypeVerifiableCredential, TypeOpenBadgeCredential}
	}
	if c.Issuer.Type == nil {
		c.Issuer.Type = Types{TypeProfile}
	}
	c.Issuer.Image = withImageType(c.Issuer.Image)
	s := &c.CredentialSubject
	if s.Type == nil {
		s.Type = Types{TypeAchievementSubject}
	}
	s.Identifier = slices.Clone(s.Identifier)
	for i := range s.Identifier {
		if s.Identifier[i].Type == "" {
			s.Identifier[i].Type = TypeIdentityObject
		}
	}
	a := &s.Achievement
	if a.Type == nil {
		a.Type = Types{TypeAchievement}
	}
	a.Image = withImageType(a.Image)
	a.ResultDescription = slices.Clone(a.ResultDescription)
	for i := range a.ResultDescription {
		if a.ResultDescription[i].Type == nil {
			a.ResultDescription[i].Type = Types{TypeResultDescription}
		}
	}
	s.Result = slices.Clone(s.Result)
	for i := range s.Result {
		if s.Result[i].Type == nil {
			s.Result[i].Type = Types{TypeResult}
		}
	}
	if c.CredentialStatus != nil {
		st := *c.CredentialStatus
		if st.Type == "" {
			st.Type = TypeStatusListEntry
		}
		c.CredentialStatus = &st
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func withImageType(im *Image) *Image {
	if im == nil {
		return nil
	}
	c := *im
	if c.Type == "" {
		c.Type = TypeImage
	}
	return &c
}

// Validate checks that every member OB 3.0 requires is present and well
// formed. The error is an errs.Invalid error naming each bad field by its
// JSON path.
func (c *OpenBadgeCredential) Validate() error {
	v := errs.Validation{Op: "vc: check credential"}
	if len(c.Context) == 0 || c.Context[0] != ContextCredentialsV2 {
		v.Add("@context", "must begin with %q", ContextCredentialsV2)
	} else if !slices.Contains(c.Context, ContextOpenBadgesV3) {
		v.Add("@context", "must include %q", ContextOpenBadgesV3)
	}
	checkURI(&v, "id", c.ID, true)
	checkTypes(&v, "type", c.Type, TypeVerifiableCredential, TypeOpenBadgeCredential)
	checkText(&v, "name", c.Name, true)
	checkText(&v, "description", c.Description, false)

	checkURI(&v, "issuer.id", c.Issuer.ID, true)
	checkTypes(&v, "issuer.type", c.Issuer.Type, TypeProfile)
	checkText(&v, "issuer.name", c.Issuer.Name, true)
	checkURI(&v, "issuer.url", c.Issuer.URL, false)
	checkImage(&v, "issuer.image", c.Issuer.Image)

	if c.ValidFrom.IsZero() {
		v.Add("validFrom", "is required")
	}
	if !c.ValidUntil.IsZero() && !c.ValidFrom.IsZero() && !c.ValidUntil.After(c.ValidFrom.Time) {
		v.Add("validUntil", "must be after validFrom")
	}

	s := &c.CredentialSubject
	checkURI(&v, "credentialSubject.id", s.ID, false)
	checkTypes(&v, "credentialSubject.type", s.Type, TypeAchievementSubject)
	if s.ID == "" && len(s.Identifier) == 0 {
		v.Add("credentialSubject.identifier", "give an id or at least one identifier")
	}
	for i, id := range s.Identifier {
		p := fmt.Sprintf("credentialSubject.identifier[%d]", i)
		if id.Type != TypeIdentityObject {
			v.Add(p+".type", "must be %q", TypeIdentityObject)
		}
		checkText(&v, p+".identityType", id.IdentityType, true)
		if id.Hashed {
			if !isSHA256Identity(id.IdentityHash) {
				v.Add(p+".identityHash", "must be sha256$ followed by 64 hexadecimal digits")
			}
		} else {
			checkText(&v, p+".identityHash", id.IdentityHash, true)
		}
		checkText(&v, p+".salt", id.Salt, false)
	}

	a := &s.Achievement
	checkURI(&v, "credentialSubject.achievement.id", a.ID, true)
	checkTypes(&v, "credentialSubject.achievement.type", a.Type, TypeAchievement)
	checkText(&v, "credentialSubject.achievement.achievementType", a.AchievementType, false)
	checkText(&v, "credentialSubject.achievement.name", a.Name, true)
	checkText(&v, "credentialSubject.achievement.description", a.Description, true)
	if a.Criteria.ID == "" && a.Criteria.Narrative == "" {
		v.Add("credentialSubject.achievement.criteria", "give a narrative or an id")
	}
	checkURI(&v, "credentialSubject.achievement.criteria.id", a.Criteria.ID, false)
	checkText(&v, "credentialSubject.achievement.criteria.narrative", a.Criteria.Narrative, false)
	checkImage(&v, "credentialSubject.achievement.image", a.Image)
	descriptions := make(map[string]bool, len(a.ResultDescription))
	for i, rd := range a.ResultDescription {
		p := fmt.Sprintf("credentialSubject.achievement.resultDescription[%d]", i)
		checkURI(&v, p+".id", rd.ID, true)
		if descriptions[rd.ID] {
			v.Add(p+".id", "is used twice")
		}
		descriptions[rd.ID] = true
		checkTypes(&v, p+".type", rd.Type, TypeResultDescription)
		checkText(&v, p+".name", rd.Name, true)
		checkText(&v, p+".resultType", rd.ResultType, true)
	}
	for i, r := range s.Result {
		p := fmt.Sprintf("credentialSubject.result[%d]", i)
		checkTypes(&v, p+".type", r.Type, TypeResult)
		if r.ResultDescription != "" && !descriptions[r.ResultDescription] {
			v.Add(p+".resultDescription", "must name one of the achievement's result descriptions")
		}
		checkText(&v, p+".value", r.Value, false)
		checkURI(&v, p+".achievedLevel", r.AchievedLevel, false)
		checkText(&v, p+".status", r.Status, false)
	}

	if st := c.CredentialStatus; st != nil {
		checkStatusEntry(&v, "credentialStatus", st)
	}
	return v.Err()
}

// ValidAt reports whether the credential is within its validity period at
// t: ErrNotYetValid before validFrom, ErrExpired from validUntil on.
func (c *OpenBadgeCredential) ValidAt(t time.Time) error {
	if t.Before(c.ValidFrom.Time) {
		return fmt.Errorf("%w: valid from %s", ErrNotYetValid, c.ValidFrom.Format(time.RFC3339))
	}
	if !c.ValidUntil.IsZero() && !t.Before(c.ValidUntil.Time) {
		return fmt.Errorf("%w: valid until %s", ErrExpired, c.ValidUntil.Format(time.RFC3339))
	}
	return nil
}

// VerifyCredential verifies a signed Open Badges credential: the proof (as
// Verify), the credential's structure (as Validate) and that the proof's
// verification method belongs to the issuer (its DID is issuer.id). It does
// not check the validity period (ValidAt) or revocation (CheckStatus), which
// need the time and the status list.
func VerifyCredential(signed []byte, resolve func(verificationMethod string) (ed25519.PublicKey, error)) (*OpenBadgeCredential, *Proof, error) {
	p, err := Verify(signed, resolve)
	if err != nil {
		return nil, nil, err
	}
	var c OpenBadgeCredential
	if err := json.Unmarshal(signed, &c); err != nil {
		return nil, nil, fmt.Errorf("vc: verify credential: %w: %w", ErrMalformed, err)
	}
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("vc: verify credential: %w: %w", ErrMalformed, err)
	}
	if did, _, _ := strings.Cut(p.VerificationMethod, "#"); did != c.Issuer.ID {
		return nil, nil, fmt.Errorf("vc: verify credential: %w: %q is not a key of %q", ErrIssuerMismatch, p.VerificationMethod, c.Issuer.ID)
	}
	return &c, p, nil
}

// CredentialDigest returns the first 16 bytes of the SHA-256 of the JCS
// form of a signed credential. A QR payload carries it to bind the printed
// certificate to the full credential; reformatting the JSON does not change
// it, any change of content does.
func CredentialDigest(signed []byte) ([16]byte, error) {
	var d [16]byte
	canon, err := canonicalize(signed)
	if err != nil {
		return d, fmt.Errorf("vc: credential digest: %w: %w", ErrMalformed, err)
	}
	sum := sha256.Sum256(canon)
	copy(d[:], sum[:16])
	return d, nil
}

func checkTypes(v *errs.Validation, field string, got Types, want ...string) {
	for _, w := range want {
		if !got.Has(w) {
			v.Add(field, "must include %q", w)
			return
		}
	}
}

// checkText checks that s, if required, is present and is valid UTF-8
// without control characters other than line breaks and tabs.
func checkText(v *errs.Validation, field, s string, required bool) {
	if strings.TrimSpace(s) == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if !isText(s) {
		v.Add(field, "contains characters that are not allowed")
	}
}

func isText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return false
		}
	}
	return true
}

// isLine reports whether s is valid UTF-8 without any control character.
func isLine(s string) bool {
	return isText(s) && !strings.ContainsAny(s, "\n\r\t")
}

// checkURI checks that s is an absolute URI: a URL, a URN or a DID.
func checkURI(v *errs.Validation, field, s string, required bool) {
	if s == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if !isURI(s) {
		v.Add(field, "must be a URL, URN or DID")
	}
}

// isURI reports whether s has an RFC 3986 scheme, something after it and
// no characters that URIs never contain.
func isURI(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || rest == "" || len(s) > 2048 {
		return false
	}
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		alpha := c|0x20 >= 'a' && c|0x20 <= 'z'
		if !alpha && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			return false
		}
	}
	return true
}

func checkImage(v *errs.Validation, field string, im *Image) {
	if im == nil {
		return
	}
	checkURI(v, field+".id", im.ID, true)
	if im.Type != TypeImage {
		v.Add(field+".type", "must be %q", TypeImage)
	}
	checkText(v, field+".caption", im.Caption, false)
}

func isSHA256Identity(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256$")
	if !ok || len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// isIndex reports whether s is a decimal integer ≥ 0 without sign or
// leading zeros, as statusListIndex is written.
func isIndex(s string) bool {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return false
	}
	_, err := strconv.ParseUint(s, 10, 31)
	return err == nil
}
