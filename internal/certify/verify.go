package certify

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Verification statuses.
const (
	StatusValid    = "valid"
	StatusRevoked  = "revoked"
	StatusReplaced = "replaced" // revoked because a corrected certificate replaced it
	StatusExpired  = "expired"
	StatusUnknown  = "unknown"  // no certificate by that id, or a file Vidya did not issue
	StatusTampered = "tampered" // a signature does not match: the content was changed
)

// Verification is what anyone may learn about a certificate: whether it
// stands, who issued it, to whom, for what and when. Nothing else of the
// holder's data.
type Verification struct {
	Status      string     `json:"status"`
	Message     string     `json:"message"`
	DocID       string     `json:"doc_id,omitempty"`
	Issuer      string     `json:"issuer,omitempty"`
	IssuerCode  string     `json:"issuer_code,omitempty"`
	IssuerDID   string     `json:"issuer_did,omitempty"`
	Holder      string     `json:"holder,omitempty"`
	Achievement string     `json:"achievement,omitempty"`
	IssuedOn    *time.Time `json:"issued_on,omitempty"`
	ValidUntil  *time.Time `json:"valid_until,omitempty"`
	RevokedOn   *time.Time `json:"revoked_on,omitempty"`
	ReplacedBy  string     `json:"replaced_by,omitempty"`
	Replaces    string     `json:"replaces,omitempty"`
	// Checked lists what was checked: "record", "signature", "file".
	Checked []string `json:"checked,omitempty"`
}

// Certificate is an issued certificate as its authority's staff see it.
type Certificate struct {
	DocID         string            `json:"doc_id"`
	Type          string            `json:"type"`
	BatchID       *int64            `json:"batch_id,omitempty"`
	HolderID      string            `json:"holder_id"`
	HolderName    string            `json:"holder_name"`
	Source        string            `json:"source"`       // the source as it keeps certificates unique
	SourceLabel   string            `json:"source_label"` // the source as its batch named it
	Achievement   string            `json:"achievement"`
	Data          map[string]string `json:"data"`
	IssuedAt      time.Time         `json:"issued_at"`
	ValidUntil    *time.Time        `json:"valid_until,omitempty"`
	KeyID         string            `json:"kid"`
	StatusList    int64             `json:"status_list"`
	StatusIndex   int               `json:"status_index"`
	Replaces      string            `json:"replaces,omitempty"`
	ReplacedBy    string            `json:"replaced_by,omitempty"`
	RevokedAt     *time.Time        `json:"revoked_at,omitempty"`
	RevokedReason string            `json:"revoked_reason,omitempty"`
	VerifyURL     string            `json:"verify_url"`

	authorityID int64
	typeID      int64
	pdfSum      string
	credSum     string
	files       fileRef
}

const certColumns = `c.doc_id, t.code, c.batch_id, c.holder_id, c.holder_name, c.source, c.achievement, c.data, c.issued_at, c.valid_until, c.kid,
	c.status_list_id, c.status_index, c.replaces, c.replaced_by, c.revoked_at, c.revoked_reason, c.authority_id, c.type_id, c.pdf_sha256, c.credential_sha256,
	COALESCE(c.file_pack, ''), COALESCE(c.pdf_offset, 0), COALESCE(c.pdf_size, 0), COALESCE(c.credential_offset, 0), COALESCE(c.credential_size, 0),
	COALESCE((SELECT b.source_label FROM cert_batches b WHERE b.id = c.batch_id), (SELECT b.source_label FROM cert_batches b WHERE b.type_id = c.type_id AND b.source = c.source ORDER BY b.id LIMIT 1), c.source)`

func (s *Service) scanCert(r interface{ Scan(...any) error }) (*Certificate, error) {
	var c Certificate
	var data string
	var replaces, replacedBy, reason *string
	if err := r.Scan(&c.DocID, &c.Type, &c.BatchID, &c.HolderID, &c.HolderName, &c.Source, &c.Achievement, &data, &c.IssuedAt, &c.ValidUntil, &c.KeyID,
		&c.StatusList, &c.StatusIndex, &replaces, &replacedBy, &c.RevokedAt, &reason, &c.authorityID, &c.typeID, &c.pdfSum, &c.credSum,
		&c.files.pack, &c.files.pdfAt, &c.files.pdfLen, &c.files.credAt, &c.files.credLen, &c.SourceLabel); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &c.Data); err != nil {
		return nil, err
	}
	c.IssuedAt = c.IssuedAt.UTC()
	inUTC(&c.ValidUntil, &c.RevokedAt)
	for _, p := range []struct {
		src *string
		dst *string
	}{{replaces, &c.Replaces}, {replacedBy, &c.ReplacedBy}, {reason, &c.RevokedReason}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	c.VerifyURL = s.base + "/v/" + c.DocID
	return &c, nil
}

func (s *Service) certByDocID(ctx context.Context, q queryer, docID string) (*Certificate, error) {
	c, err := s.scanCert(q.QueryRow(ctx, `SELECT `+certColumns+` FROM certificates c JOIN cert_types t ON t.id = c.type_id WHERE c.doc_id = $1`, docID))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "certify: certificate", "there is no certificate %s", docID)
	}
	return c, errs.Wrap("certify: certificate", err)
}

// Certificate returns one of an authority's certificates with its data.
// Administrators and approvers.
func (s *Service) Certificate(ctx context.Context, p *identity.Principal, code, docID string) (*Certificate, error) {
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	c, err := s.certByDocID(ctx, s.db, strings.ToUpper(docID))
	if err != nil || c.authorityID != a.ID {
		return nil, errs.E(errs.NotFound, "certify: certificate", "there is no certificate %s", docID)
	}
	return c, nil
}

// CertificateFile returns a certificate's PDF ("pdf") or signed credential
// ("json"). Administrators and approvers.
func (s *Service) CertificateFile(ctx context.Context, p *identity.Principal, code, docID, kind string) ([]byte, error) {
	c, err := s.Certificate(ctx, p, code, docID)
	if err != nil {
		return nil, err
	}
	if kind != "pdf" && kind != "json" {
		return nil, errs.E(errs.NotFound, "certify: certificate file", "no such file")
	}
	return s.certFile(ctx, code, c, kind)
}

// Lookup tells anyone whether the certificate with a document id stands.
// Public: it shows only the issuer, holder's name, achievement and dates.
func (s *Service) Lookup(ctx context.Context, docID string) (*Verification, error) {
	docID = strings.ToUpper(strings.TrimSpace(docID))
	if !ValidDocID(docID) {
		return &Verification{Status: StatusUnknown, Message: "There is no certificate with this number."}, nil
	}
	// Only what the public may see, in one small query: verification is
	// the busiest read of certificates.
	var c Certificate
	var replaces, replacedBy *string
	err := s.db.QueryRow(ctx, `SELECT doc_id, holder_name, achievement, issued_at, valid_until, replaces, replaced_by, revoked_at, authority_id FROM certificates WHERE doc_id = $1`, docID).
		Scan(&c.DocID, &c.HolderName, &c.Achievement, &c.IssuedAt, &c.ValidUntil, &replaces, &replacedBy, &c.RevokedAt, &c.authorityID)
	if errors.Is(err, database.ErrNoRows) {
		return &Verification{Status: StatusUnknown, Message: "There is no certificate with this number.", DocID: docID}, nil
	}
	if err != nil {
		return nil, errs.Wrap("certify: lookup", err)
	}
	if replaces != nil {
		c.Replaces = *replaces
	}
	if replacedBy != nil {
		c.ReplacedBy = *replacedBy
	}
	c.IssuedAt = c.IssuedAt.UTC()
	inUTC(&c.ValidUntil, &c.RevokedAt)
	return s.describe(ctx, &c)
}

// authorityTTL is how long verification uses an authority's name before
// reading it again.
const authorityTTL = time.Minute

type cachedAuthority struct {
	a      *identity.Authority
	loaded time.Time
}

// authority returns an authority by id, from a cache: every verification
// names its issuer, and names rarely change.
func (s *Service) authority(ctx context.Context, id int64) (*identity.Authority, error) {
	if v, ok := s.authorities.Load(id); ok {
		if ca := v.(cachedAuthority); s.now().Sub(ca.loaded) < authorityTTL {
			return ca.a, nil
		}
	}
	a, err := s.id.AuthorityByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.authorities.Store(id, cachedAuthority{a: a, loaded: s.now()})
	return a, nil
}

func (s *Service) describe(ctx context.Context, c *Certificate) (*Verification, error) {
	a, err := s.authority(ctx, c.authorityID)
	if err != nil {
		return nil, err
	}
	issued := c.IssuedAt
	v := &Verification{Status: StatusValid, Message: "This certificate is genuine and in force.", DocID: c.DocID, Issuer: a.Name, IssuerCode: a.Code, IssuerDID: s.DID(a.Code),
		Holder: c.HolderName, Achievement: c.Achievement, IssuedOn: &issued, ValidUntil: c.ValidUntil, Replaces: c.Replaces, Checked: []string{"record"}}
	switch {
	case c.ReplacedBy != "":
		v.Status, v.ReplacedBy, v.RevokedOn = StatusReplaced, c.ReplacedBy, c.RevokedAt
		v.Message = "This certificate was replaced by a corrected one and is no longer in force."
	case c.RevokedAt != nil:
		v.Status, v.RevokedOn = StatusRevoked, c.RevokedAt
		v.Message = "This certificate was revoked by its issuer and is no longer in force."
	case c.ValidUntil != nil && s.now().After(*c.ValidUntil):
		v.Status = StatusExpired
		v.Message = "This certificate was genuine but has expired."
	}
	return v, nil
}

// resolveKey maps a verification method of one of this Vidya's
// authorities to its public key. Keys of other issuers are not trusted.
func (s *Service) resolveKey(ctx context.Context) func(string) (ed25519.PublicKey, error) {
	return func(vm string) (ed25519.PublicKey, error) {
		did, kid, ok := strings.Cut(vm, "#")
		prefix := s.DID("") // did:web:host:authorities:
		if !ok || !strings.HasPrefix(did, prefix) {
			return nil, fmt.Errorf("%q is not a key of an authority of this Vidya", vm)
		}
		code := did[len(prefix):]
		if v, ok := s.pubKeys.Load(vm); ok {
			return v.(ed25519.PublicKey), nil
		}
		a, err := s.id.PublicAuthority(ctx, code)
		if err != nil {
			return nil, err
		}
		var pub []byte
		if err := s.db.QueryRow(ctx, `SELECT public_key FROM signing_keys WHERE authority_id = $1 AND kid = $2`, a.ID, kid).Scan(&pub); err != nil {
			return nil, fmt.Errorf("no key %q: %w", vm, err)
		}
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("key %q has %d bytes", vm, len(pub))
		}
		// Public keys never change, so they are kept.
		s.pubKeys.Store(vm, ed25519.PublicKey(pub))
		return pub, nil
	}
}

// MaxVerifyBytes is the largest document Verify takes: a certificate PDF
// with its images.
const MaxVerifyBytes = 16 << 20

// Verify checks a presented certificate: its signed credential (JSON), its
// PDF, or its QR code (the payload, or the whole verify URL). A signature
// that does not match its content is "tampered"; a PDF that is not byte
// for byte one Vidya issued is "unknown". What is genuine is then checked
// against the issuer's records (revoked, replaced, expired). Public.
func (s *Service) Verify(ctx context.Context, contentType string, body []byte) (*Verification, error) {
	const op = "certify: verify"
	ct, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	ct = strings.TrimSpace(ct)
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, errs.E(errs.Invalid, op, "send a certificate: its credential (JSON), its PDF or its QR code")
	case ct == "application/pdf" || bytes.HasPrefix(body, []byte("%PDF-")):
		return s.verifyPDF(ctx, body)
	case strings.HasSuffix(ct, "json") || len(trimmed) > 0 && trimmed[0] == '{':
		var probe struct {
			QR    *string         `json:"qr"`
			Proof json.RawMessage `json:"proof"`
		}
		if err := json.Unmarshal(trimmed, &probe); err != nil {
			return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the JSON could not be read", Err: err}
		}
		if probe.QR != nil {
			return s.verifyQR(ctx, *probe.QR)
		}
		return s.verifyCredential(ctx, trimmed)
	case ct == "" || ct == "text/plain" || ct == "application/x-www-form-urlencoded":
		if !utf8.Valid(trimmed) {
			return nil, errs.E(errs.Invalid, op, "the QR code's text is not valid")
		}
		return s.verifyQR(ctx, string(trimmed))
	default:
		return nil, errs.E(errs.Unsupported, op, "send the credential as application/json, the PDF as application/pdf or the QR code as text/plain")
	}
}

func (s *Service) verifyCredential(ctx context.Context, signed []byte) (*Verification, error) {
	cred, _, err := vc.VerifyCredential(signed, s.resolveKey(ctx))
	if err != nil {
		return &Verification{Status: StatusTampered, Message: "The credential's signature does not match its content, or it was not signed by an authority of this service: " + err.Error(), Checked: []string{"signature"}}, nil
	}
	docID := cred.ID[strings.LastIndexByte(cred.ID, '/')+1:]
	if !strings.HasPrefix(cred.ID, s.base+"/v/") || !ValidDocID(docID) {
		return &Verification{Status: StatusUnknown, Message: "The credential is signed by an authority of this service, but its id is not one of our certificates.", Checked: []string{"signature"}}, nil
	}
	v, err := s.Lookup(ctx, docID)
	if err != nil {
		return nil, err
	}
	v.Checked = append([]string{"signature"}, v.Checked...)
	if v.Status == StatusUnknown {
		v.Message = "The credential is signed by an authority of this service, but there is no record of it."
	}
	return v, nil
}

func (s *Service) verifyQR(ctx context.Context, text string) (*Verification, error) {
	payload := text
	if i := strings.IndexByte(text, '#'); i >= 0 {
		payload = text[i+1:]
	}
	claims, err := vc.DecodeQR(payload, s.resolveKey(ctx))
	if err != nil {
		if errors.Is(err, vc.ErrBadSignature) {
			return &Verification{Status: StatusTampered, Message: "The QR code's signature does not match what it says: it was altered.", Checked: []string{"signature"}}, nil
		}
		if errors.Is(err, vc.ErrUnknownKey) {
			return &Verification{Status: StatusUnknown, Message: "The QR code was not signed by an authority of this service.", Checked: []string{"signature"}}, nil
		}
		return nil, &errs.Error{Kind: errs.Invalid, Op: "certify: verify QR", Message: "this is not the QR code of a certificate of this service", Err: err}
	}
	v, err := s.Lookup(ctx, claims.DocID)
	if err != nil {
		return nil, err
	}
	v.Checked = append([]string{"signature"}, v.Checked...)
	if v.Status != StatusUnknown && (v.Holder != claims.Holder || v.Achievement != claims.Achievement) {
		v.Status, v.Message = StatusTampered, "The QR code is signed, but what it says differs from the issuer's record."
	}
	return v, nil
}

func (s *Service) verifyPDF(ctx context.Context, body []byte) (*Verification, error) {
	var docID string
	err := s.db.QueryRow(ctx, `SELECT doc_id FROM certificates WHERE pdf_sha256 = $1`, hexSum(body)).Scan(&docID)
	if errors.Is(err, database.ErrNoRows) {
		return &Verification{Status: StatusUnknown, Checked: []string{"file"},
			Message: "This PDF is not, byte for byte, a certificate this service issued: it may have been altered. Scan its QR code or enter its certificate number to see the issuer's record."}, nil
	}
	if err != nil {
		return nil, errs.Wrap("certify: verify PDF", err)
	}
	v, err := s.Lookup(ctx, docID)
	if err != nil {
		return nil, err
	}
	v.Checked = append([]string{"file"}, v.Checked...)
	return v, nil
}

// Revoke withdraws a certificate with a reason: its bit in its status
// list is set and the list signed again, so that verifiers who check the
// list offline see it too. Administrators; audited.
func (s *Service) Revoke(ctx context.Context, p *identity.Principal, code, docID, reason string) (*Certificate, error) {
	const op = "certify: revoke"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "give the reason for revoking", Fields: map[string]string{"reason": "is required, at most 500 characters"}}
	}
	if _, err := s.Certificate(ctx, p, code, docID); err != nil {
		return nil, err
	}
	key, err := s.activeKey(ctx, a)
	if err != nil {
		return nil, err
	}
	var c *Certificate
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var err error
		if c, err = s.certByDocID(ctx, tx, strings.ToUpper(docID)); err != nil || c.authorityID != a.ID {
			return errs.E(errs.NotFound, op, "there is no certificate %s", docID)
		}
		if c.RevokedAt != nil {
			return errs.E(errs.Conflict, op, "certificate %s is already revoked", c.DocID)
		}
		now := s.now()
		if err := s.revokeIn(ctx, tx, a, key, c, p.User.ID, reason, "", now); err != nil {
			return err
		}
		c.RevokedAt, c.RevokedReason = &now, reason
		return s.id.Record(ctx, tx, p, a.ID, "certify.revoke", c.DocID, map[string]any{"reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// statusLocks serialises changes to one status list within a process;
// the row update's check catches another process.
var statusLocks sync.Map // int64 → *sync.Mutex

// revokeIn marks c revoked (and replaced, if replacedBy is set) and sets
// its status bit, re-signing the list, within tx.
func (s *Service) revokeIn(ctx context.Context, tx *database.Tx, a *identity.Authority, key *Key, c *Certificate, by int64, reason, replacedBy string, now time.Time) error {
	const op = "certify: revoke"
	var repl *string
	if replacedBy != "" {
		repl = &replacedBy
	}
	n, err := tx.Exec(ctx, `UPDATE certificates SET revoked_at = $1, revoked_reason = $2, revoked_by = $3, replaced_by = $4 WHERE doc_id = $5 AND revoked_at IS NULL`, now, reason, by, repl, c.DocID)
	if err != nil {
		return errs.Wrap(op, err)
	}
	if n != 1 {
		return errs.E(errs.Conflict, op, "certificate %s is already revoked", c.DocID)
	}
	mu, _ := statusLocks.LoadOrStore(c.StatusList, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	q := `SELECT bits, updated_at FROM status_lists WHERE id = $1`
	if tx.Dialect() == database.Postgres {
		q += ` FOR UPDATE`
	}
	var bits []byte
	var stamp time.Time
	if err := tx.QueryRow(ctx, q, c.StatusList).Scan(&bits, &stamp); err != nil {
		return errs.Wrap(op, err)
	}
	list, err := vc.StatusListFromBytes(bits)
	if err != nil {
		return errs.Wrap(op, err)
	}
	if err := list.Set(c.StatusIndex); err != nil {
		return errs.Wrap(op, err)
	}
	signed, err := s.signStatusList(a, key, c.StatusList, list, now)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE status_lists SET bits = $1, credential = $2, updated_at = $3 WHERE id = $4`, list.Bytes(), string(signed), now, c.StatusList)
	return errs.Wrap(op, err)
}

// Reissue issues a corrected certificate in place of one: the old one's
// data with changes applied, checked against the type's current fields
// and rules and rendered with its current template. The old certificate is
// revoked as replaced and the new one names it. Administrators; audited.
func (s *Service) Reissue(ctx context.Context, p *identity.Principal, code, docID string, changes map[string]string, reason string) (*Certificate, error) {
	const op = "certify: reissue"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "give the reason for the correction", Fields: map[string]string{"reason": "is required, at most 500 characters"}}
	}
	old, err := s.Certificate(ctx, p, code, docID)
	if err != nil {
		return nil, err
	}
	if old.RevokedAt != nil {
		return nil, errs.E(errs.Conflict, op, "certificate %s is revoked or replaced already", old.DocID)
	}
	t, err := s.typeByCode(ctx, s.db, a.ID, old.Type)
	if err != nil {
		return nil, err
	}
	ct, err := s.compile(ctx, a.ID, t.Definition)
	if err != nil {
		return nil, err
	}
	data := map[string]string{}
	for _, f := range ct.def.Fields {
		if v, ok := old.Data[f.Name]; ok {
			data[f.Name] = v
		}
	}
	v := errs.Validation{Op: op}
	for k, val := range changes {
		if !ctHasField(ct, k) {
			v.Add(k, "is not a field of this certificate type")
			continue
		}
		data[k] = strings.TrimSpace(val)
	}
	if data[FieldHolderID] != old.HolderID {
		v.Add(FieldHolderID, "cannot be changed: a certificate for another holder is a new certificate")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rec, ferrs := rules.Coerce(ct.def.schema(), data)
	for _, fe := range ferrs {
		v.Add(fe.Field, "%s", fe.Message)
	}
	if len(ferrs) == 0 {
		for _, f := range ct.rules.Evaluate(rec, s.now()) {
			v.Add("rules", "%s: %s", f.Rule, f.Message)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	key, err := s.activeKey(ctx, a)
	if err != nil {
		return nil, err
	}
	slots, err := s.allocSlots(ctx, a, key, 1)
	if err != nil {
		return nil, err
	}
	now := s.now().Truncate(time.Second)
	b := &Batch{Type: old.Type, Source: old.Source, def: ct.def, authorityID: a.ID}
	out := s.issueOne(a, key, ct, b, BatchRow{HolderID: old.HolderID, Data: data}, slots[0], now)
	if out.err != nil {
		return nil, out.err
	}
	one := []issued{out}
	if err := s.storeFiles(ctx, a.Code, 0, one); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.revokeIn(ctx, tx, a, key, old, p.User.ID, "replaced by "+out.docID+": "+reason, out.docID, now); err != nil {
			return err
		}
		var until *time.Time
		if ct.def.ValidityMonths > 0 {
			u := now.AddDate(0, ct.def.ValidityMonths, 0)
			until = &u
		}
		f := one[0].files
		if _, err := tx.Exec(ctx, `INSERT INTO certificates (doc_id, authority_id, type_id, holder_id, source, holder_name, achievement, data,
			issued_at, valid_until, kid, status_list_id, status_index, credential_sha256, pdf_sha256, replaces, file_pack, pdf_offset, pdf_size, credential_offset, credential_size)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
			out.docID, a.ID, old.typeID, old.HolderID, old.Source, out.holderName, ct.def.Achievement.Name, out.data, now, until, key.ID,
			out.slot.list, out.slot.index, out.credSum, out.pdfSum, old.DocID, f.pack, f.pdfAt, f.pdfLen, f.credAt, f.credLen); err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "certify.reissue", out.docID, map[string]any{"replaces": old.DocID, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return s.Certificate(ctx, p, code, out.docID)
}

func ctHasField(ct *compiledType, name string) bool {
	for _, f := range ct.def.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// inUTC turns the times that are set into UTC, as the API shows times.
func inUTC(ts ...**time.Time) {
	for _, t := range ts {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
}
