package certify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The fields every certificate type has: who the certificate is for. The
// holder id (a roll number, an enrolment number) makes issuing idempotent:
// one certificate per type, holder and source.
const (
	FieldHolderID   = "holder.id"
	FieldHolderName = "holder.name"
)

// System fields a template may show besides the type's own; they are
// filled in when the certificate is issued.
const (
	FieldDocID       = "certificate.id"
	FieldIssuedOn    = "certificate.issued_on"
	FieldValidUntil  = "certificate.valid_until"
	FieldVerifyURL   = "certificate.url"
	FieldAchievement = "achievement.name"
	FieldIssuer      = "issuer.name"
)

var systemFields = []string{FieldDocID, FieldIssuedOn, FieldValidUntil, FieldVerifyURL, FieldAchievement, FieldIssuer}

// Definition is everything a certificate type says: what it certifies,
// for how long, the data it needs, the rules that data must meet and how
// the PDF looks. It is stored as JSON; a batch keeps a copy of the
// definition it was checked against.
type Definition struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	Achievement AchievementDef `json:"achievement"`
	// ValidityMonths is how long a certificate is valid; 0 means it does
	// not expire.
	ValidityMonths int          `json:"validity_months,omitempty"`
	Fields         []FieldDef   `json:"fields"`
	Rules          []RuleDef    `json:"rules,omitempty"`
	Template       pdf.Template `json:"template"`
}

// AchievementDef is what a certificate of the type certifies.
type AchievementDef struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Criteria    string `json:"criteria,omitempty"`
	// Kind is an Open Badges achievement type: Certificate (default),
	// Diploma, License, Course, Assessment, …
	Kind string `json:"kind,omitempty"`
}

// FieldDef is one piece of data the type needs.
type FieldDef struct {
	Name     string     `json:"name"`
	Label    string     `json:"label"`
	Type     rules.Type `json:"type"`
	Required bool       `json:"required,omitempty"`
}

// RuleDef is one eligibility or validation rule, a CEL condition.
type RuleDef struct {
	Name    string `json:"name"`
	Expr    string `json:"expr"`
	Message string `json:"message,omitempty"`
}

// CertType is a saved certificate type.
type CertType struct {
	ID         int64      `json:"id"`
	Code       string     `json:"code"`
	Version    int        `json:"version"`
	Definition Definition `json:"definition"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	Archived   bool       `json:"archived,omitempty"`
}

// achievementKinds are the OB 3.0 achievement types a type may name.
var achievementKinds = []string{"Certificate", "Diploma", "Degree", "License", "Course", "Assessment", "Award", "Badge", "Certification", "CourseCompletion", "Achievement"}

var typeCodeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// schema is the type's fields as rules sees them.
func (d *Definition) schema() []rules.Field {
	out := make([]rules.Field, len(d.Fields))
	for i, f := range d.Fields {
		out[i] = rules.Field{Name: f.Name, Label: f.Label, Type: f.Type, Required: f.Required}
	}
	return out
}

func (d *Definition) ruleList() []rules.Rule {
	out := make([]rules.Rule, len(d.Rules))
	for i, r := range d.Rules {
		out[i] = rules.Rule{Name: r.Name, Expr: r.Expr, Message: r.Message}
	}
	return out
}

// templateFields are the names a template may show.
func (d *Definition) templateFields() []string {
	out := make([]string, 0, len(d.Fields)+len(systemFields))
	for _, f := range d.Fields {
		out = append(out, f.Name)
	}
	return append(out, systemFields...)
}

// normalise adds the holder fields when they are missing, trims text and
// fills defaults.
func (d *Definition) normalise() {
	d.Name = strings.TrimSpace(d.Name)
	d.Description = strings.TrimSpace(d.Description)
	d.Achievement.Name = strings.TrimSpace(d.Achievement.Name)
	d.Achievement.Description = strings.TrimSpace(d.Achievement.Description)
	d.Achievement.Criteria = strings.TrimSpace(d.Achievement.Criteria)
	if d.Achievement.Kind == "" {
		d.Achievement.Kind = "Certificate"
	}
	if d.Achievement.Description == "" {
		d.Achievement.Description = d.Achievement.Name
	}
	need := []FieldDef{
		{Name: FieldHolderID, Label: "Roll or enrolment number", Type: rules.String, Required: true},
		{Name: FieldHolderName, Label: "Name", Type: rules.String, Required: true},
	}
	for i := len(need) - 1; i >= 0; i-- {
		if !slices.ContainsFunc(d.Fields, func(f FieldDef) bool { return f.Name == need[i].Name }) {
			d.Fields = append([]FieldDef{need[i]}, d.Fields...)
		}
	}
	for i := range d.Rules {
		d.Rules[i].Name = strings.TrimSpace(d.Rules[i].Name)
		d.Rules[i].Message = strings.TrimSpace(d.Rules[i].Message)
	}
}

// check validates everything but the template, and compiles the rules.
func (d *Definition) check() (*rules.RuleSet, error) {
	const op = "certify: check type"
	v := errs.Validation{Op: op}
	textField := func(key, s string, max int, required bool) {
		switch {
		case required && s == "":
			v.Add(key, "is required")
		case utf8.RuneCountInString(s) > max:
			v.Add(key, "must be at most %d characters", max)
		}
	}
	textField("name", d.Name, 200, true)
	textField("description", d.Description, 2000, false)
	textField("achievement.name", d.Achievement.Name, 200, true)
	textField("achievement.description", d.Achievement.Description, 2000, false)
	textField("achievement.criteria", d.Achievement.Criteria, 4000, false)
	if !slices.Contains(achievementKinds, d.Achievement.Kind) {
		v.Add("achievement.kind", "must be one of %s", strings.Join(achievementKinds, ", "))
	}
	if d.ValidityMonths < 0 || d.ValidityMonths > 1200 {
		v.Add("validity_months", "must be between 0 (never expires) and 1200")
	}
	for _, f := range d.Fields {
		if (f.Name == FieldHolderID || f.Name == FieldHolderName) && (f.Type != rules.String || !f.Required) {
			v.Add("fields", "%s must be a required text field", f.Name)
		}
		if slices.Contains(systemFields, f.Name) {
			v.Add("fields", "%s is filled in when the certificate is issued; choose another name", f.Name)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := rules.ValidateSchema(d.schema()); err != nil {
		return nil, err
	}
	return rules.Compile(d.schema(), d.ruleList())
}

// Assets and fonts a template may use, by name.
type assetSet struct {
	images map[string][]byte
	fonts  map[string][]byte
	digest [32]byte // of the names and contents' hashes, for the cache
}

// compiledType is a definition ready to issue from: its rules and its
// template, compiled once and shared.
type compiledType struct {
	def   Definition
	rules *rules.RuleSet
	tpl   *pdf.Compiled
}

// compiledCache keeps compiled definitions by the hash of the definition
// and its assets; compiling a template takes tens of milliseconds.
type compiledCache struct {
	mu sync.Mutex
	m  map[[32]byte]*compiledType
}

const maxCompiled = 64

func (c *compiledCache) get(k [32]byte) *compiledType {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *compiledCache) put(k [32]byte, ct *compiledType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCompiled {
		c.m = map[[32]byte]*compiledType{}
	}
	c.m[k] = ct
}

// compile checks a definition in full, template included, against an
// authority's assets.
func (s *Service) compile(ctx context.Context, authorityID int64, d Definition) (*compiledType, error) {
	d.normalise()
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, errs.Wrap("certify: compile type", err)
	}
	assets, err := s.assetSet(ctx, authorityID)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256(append(append(raw, 0), assets.digest[:]...))
	if ct := s.compiled.get(key); ct != nil {
		return ct, nil
	}
	rs, err := d.check()
	if err != nil {
		return nil, err
	}
	tpl, err := pdf.Compile(d.Template, assets.images, assets.fonts, d.templateFields())
	if err != nil {
		return nil, prefixFields(err, "template.")
	}
	ct := &compiledType{def: d, rules: rs, tpl: tpl}
	s.compiled.put(key, ct)
	return ct, nil
}

// prefixFields moves a validation error's fields under prefix, so that a
// template's problems name where they are in the whole definition.
func prefixFields(err error, prefix string) error {
	e := errs.As(err)
	if e == nil || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make(map[string]string, len(e.Fields))
	for k, v := range e.Fields {
		out.Fields[prefix+k] = v
	}
	return &out
}

// SaveType creates a certificate type or saves a new version of it, after
// checking its fields, compiling its rules (a rule that does not compile
// is refused with the line and column) and its template against the
// authority's assets. Administrators; audited.
func (s *Service) SaveType(ctx context.Context, p *identity.Principal, code, typeCode string, d Definition) (*CertType, error) {
	const op = "certify: save type"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return nil, err
	}
	if !typeCodeRE.MatchString(typeCode) {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the type's code is not valid",
			Fields: map[string]string{"code": "must be 1–40 lower-case letters, digits or -, starting with a letter or digit"}}
	}
	ct, err := s.compile(ctx, a.ID, d)
	if err != nil {
		return nil, err
	}
	def := ct.def
	raw, err := json.Marshal(def)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	now := s.now()
	out := &CertType{Code: typeCode, Definition: def, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, version, created_at FROM cert_types WHERE authority_id = $1 AND code = $2`, a.ID, typeCode).
			Scan(&out.ID, &out.Version, &out.CreatedAt)
		switch {
		case errors.Is(err, database.ErrNoRows):
			out.Version, out.CreatedAt = 1, now
			err = tx.QueryRow(ctx, `INSERT INTO cert_types (authority_id, code, name, version, definition, created_by, created_at, updated_by, updated_at)
				VALUES ($1, $2, $3, 1, $4, $5, $6, $5, $6) RETURNING id`, a.ID, typeCode, def.Name, string(raw), p.User.ID, now).Scan(&out.ID)
		case err == nil:
			out.Version++
			_, err = tx.Exec(ctx, `UPDATE cert_types SET name = $1, version = $2, definition = $3, updated_by = $4, updated_at = $5, archived_at = NULL WHERE id = $6`,
				def.Name, out.Version, string(raw), p.User.ID, now, out.ID)
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "certify.type.save", typeCode, map[string]any{"version": out.Version})
	})
	if err != nil {
		return nil, err
	}
	out.CreatedAt = out.CreatedAt.UTC()
	return out, nil
}

// Types lists an authority's certificate types by code. Administrators
// and approvers.
func (s *Service) Types(ctx context.Context, p *identity.Principal, code string) ([]CertType, error) {
	const op = "certify: types"
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, code, version, definition, created_at, updated_at, archived_at FROM cert_types WHERE authority_id = $1 ORDER BY code`, a.ID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := []CertType{}
	for rows.Next() {
		t, err := scanType(rows)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		out = append(out, *t)
	}
	return out, errs.Wrap(op, rows.Err())
}

// Type returns one certificate type. Administrators and approvers.
func (s *Service) Type(ctx context.Context, p *identity.Principal, code, typeCode string) (*CertType, error) {
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	return s.typeByCode(ctx, s.db, a.ID, typeCode)
}

type queryer interface {
	QueryRow(ctx context.Context, query string, args ...any) database.Row
}

func (s *Service) typeByCode(ctx context.Context, q queryer, authorityID int64, typeCode string) (*CertType, error) {
	t, err := scanType(q.QueryRow(ctx, `SELECT id, code, version, definition, created_at, updated_at, archived_at FROM cert_types WHERE authority_id = $1 AND code = $2`, authorityID, typeCode))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "certify: type", "there is no certificate type %q", typeCode)
	}
	return t, errs.Wrap("certify: type", err)
}

func scanType(r interface{ Scan(...any) error }) (*CertType, error) {
	var t CertType
	var raw string
	var archived *time.Time
	if err := r.Scan(&t.ID, &t.Code, &t.Version, &raw, &t.CreatedAt, &t.UpdatedAt, &archived); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(raw), &t.Definition); err != nil {
		return nil, fmt.Errorf("type %s: %w", t.Code, err)
	}
	t.CreatedAt, t.UpdatedAt, t.Archived = t.CreatedAt.UTC(), t.UpdatedAt.UTC(), archived != nil
	return &t, nil
}

// ArchiveType hides a type from new batches; what it issued stays valid.
// Administrators; audited.
func (s *Service) ArchiveType(ctx context.Context, p *identity.Principal, code, typeCode string) error {
	const op = "certify: archive type"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE cert_types SET archived_at = $1 WHERE authority_id = $2 AND code = $3 AND archived_at IS NULL`, s.now(), a.ID, typeCode)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if n == 0 {
			return errs.E(errs.NotFound, op, "there is no active certificate type %q", typeCode)
		}
		return s.id.Record(ctx, tx, p, a.ID, "certify.type.archive", typeCode, nil)
	})
}

// CheckRules compiles a type's rules without saving anything and, when
// csv is not nil, runs them over its rows: the dry run an administrator
// uses while writing rules. Administrators and approvers.
func (s *Service) CheckRules(ctx context.Context, p *identity.Principal, code string, d Definition, csv io.Reader) (*rules.Report, error) {
	if _, err := s.id.AuthorityAs(ctx, p, code, readRoles...); err != nil {
		return nil, err
	}
	d.normalise()
	rs, err := d.check()
	if err != nil {
		return nil, err
	}
	if csv == nil {
		return nil, nil
	}
	recs, err := readCSV(csv, d.schema())
	if err != nil {
		return nil, err
	}
	rep := rules.DryRun(d.schema(), rs, recs.seq(), s.now())
	return &rep, nil
}

// A Preview is a certificate type's template drawn with sample data.
type Preview struct {
	Data []byte // the PDF or PNG
	// WithoutBackground says a PNG leaves out the template's background,
	// a PDF page, which only the PDF shows.
	WithoutBackground bool
}

// Preview renders a definition, saved or not, with sample data: a PDF, or
// a PNG widthPx wide. Administrators and approvers.
func (s *Service) Preview(ctx context.Context, p *identity.Principal, code string, d Definition, format string, widthPx int) (*Preview, error) {
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	ct, err := s.compile(ctx, a.ID, d)
	if err != nil {
		return nil, err
	}
	data := pdf.Sample(ct.def.Template)
	s.systemValues(data, a, &ct.def, "SAMPLE0001", s.now())
	var buf bytes.Buffer
	qr := s.base + "/v/SAMPLE0001#" + strings.Repeat("A", 300) // as long as a real payload
	out := &Preview{}
	switch format {
	case "png":
		err = ct.tpl.Preview(&buf, data, qr, widthPx)
		out.WithoutBackground = ct.tpl.HasPDFBackground()
	default:
		err = ct.tpl.Render(&buf, data, qr)
	}
	if err != nil {
		return nil, err
	}
	out.Data = buf.Bytes()
	return out, nil
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
