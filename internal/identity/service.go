package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Mailer queues an e-mail inside a transaction, so it is sent if and only
// if the action that wrote it commits.
type Mailer interface {
	Queue(ctx context.Context, tx *database.Tx, to, subject, body string) error
}

// Config tunes the identity service.
type Config struct {
	BaseURL        string        // for links in e-mails, e.g. https://vidya.example.org
	SessionIdle    time.Duration // a session unused this long ends (default 7 days)
	SessionMax     time.Duration // no session lives longer (default 30 days)
	SessionCache   time.Duration // how long a checked session is trusted from memory (default 30 s)
	ResetValidity  time.Duration // password-reset links (default 1 hour)
	AllowSignUp    bool          // whether anyone may create an account
	SignInParallel int           // argon2 computations at once (default 2 per CPU)
}

// Service is the identity domain's entry point.
type Service struct {
	db       *database.DB
	mailer   Mailer
	files    blob.Store // logos; may be nil
	log      *slog.Logger
	cfg      Config
	sessions *sessionCache
	// hashing bounds concurrent argon2id work (each takes 19 MiB and tens of
	// milliseconds); callers beyond it get Unavailable with Retry-After.
	hashing chan struct{}
	now     func() time.Time
}

// NewService returns a Service over db.
func NewService(db *database.DB, mailer Mailer, log *slog.Logger, cfg Config) *Service {
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = 7 * 24 * time.Hour
	}
	if cfg.SessionMax == 0 {
		cfg.SessionMax = 30 * 24 * time.Hour
	}
	if cfg.SessionCache == 0 {
		cfg.SessionCache = 30 * time.Second
	}
	if cfg.ResetValidity == 0 {
		cfg.ResetValidity = time.Hour
	}
	if cfg.SignInParallel == 0 {
		cfg.SignInParallel = 2 * runtime.NumCPU()
	}
	return &Service{
		db: db, mailer: mailer, log: log, cfg: cfg,
		sessions: newSessionCache(cfg.SessionCache, 100_000),
		hashing:  make(chan struct{}, cfg.SignInParallel),
		now:      func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
	}
}

// SetFiles gives the service a file store for authority logos.
func (s *Service) SetFiles(files blob.Store) { s.files = files }

// SetClock replaces the clock (tests only).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// acquireHash waits briefly for a slot to run argon2id.
func (s *Service) acquireHash(ctx context.Context) (func(), error) {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-t.C:
		return nil, &errs.Error{Kind: errs.Unavailable, Op: "identity: sign in", Message: "sign-in is busy; please try again in a few seconds", RetryAfter: 5}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.acquireHash(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(pw)
}

// ---- validation helpers ----

var codeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{1,19}$`)

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func checkEmail(v *errs.Validation, field, e string) {
	if e == "" {
		v.Add(field, "is required")
		return
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		v.Add(field, "must be an e-mail address like name@example.org")
	}
}

func checkName(v *errs.Validation, field, n string, max int) {
	switch {
	case strings.TrimSpace(n) == "":
		v.Add(field, "is required")
	case !utf8.ValidString(n):
		v.Add(field, "must be valid text")
	case utf8.RuneCountInString(n) > max:
		v.Add(field, "must be at most %d characters", max)
	case strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.Add(field, "must not contain control characters")
	}
}

func randomToken(n int) ([]byte, string) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return b, strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// ---- authorities ----

// NewAuthority is the input for creating an authority.
type NewAuthority struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	ContactEmail string `json:"contact_email"`
	ContactPhone string `json:"contact_phone"`
}

func (in *NewAuthority) validate(op string) error {
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	in.ContactEmail = normEmail(in.ContactEmail)
	in.ContactPhone = strings.TrimSpace(in.ContactPhone)
	v := errs.Validation{Op: op}
	if !codeRE.MatchString(in.Code) {
		v.Add("code", "must be 2–20 letters, digits, - or _, starting with a letter or digit")
	}
	checkName(&v, "name", in.Name, 200)
	if in.ContactEmail != "" {
		checkEmail(&v, "contact_email", in.ContactEmail)
	}
	if len(in.ContactPhone) > 32 || strings.ContainsFunc(in.ContactPhone, func(r rune) bool { return !strings.ContainsRune("+0123456789 -()", r) }) {
		v.Add("contact_phone", "must be a phone number of digits, spaces, +, -, ( and )")
	}
	return v.Err()
}

// CreateAuthority creates an authority. Platform administrators only.
func (s *Service) CreateAuthority(ctx context.Context, p *Principal, in NewAuthority) (*Authority, error) {
	const op = "identity: create authority"
	if !p.IsPlatformAdmin() {
		return nil, errs.E(errs.Forbidden, op, "only platform administrators can create authorities")
	}
	if err := in.validate(op); err != nil {
		return nil, err
	}
	return s.insertAuthority(ctx, op, in, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email})
}

// insertAuthority stores a validated new authority and audits it as by.
func (s *Service) insertAuthority(ctx context.Context, op string, in NewAuthority, by AuditEntry) (*Authority, error) {
	a := &Authority{Code: in.Code, Name: in.Name, ContactEmail: in.ContactEmail, ContactPhone: in.ContactPhone, CreatedAt: s.now(), UpdatedAt: s.now()}
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO authorities (code, name, contact_email, contact_phone, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
			a.Code, a.Name, a.ContactEmail, a.ContactPhone, a.CreatedAt).Scan(&a.ID)
		if database.IsUniqueViolation(err) {
			return &errs.Error{Kind: errs.Conflict, Op: op, Message: "an authority with this code exists already", Fields: map[string]string{"code": "is taken"}}
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		by.AuthorityID, by.Action, by.Target, by.Details = a.ID, "authority.create", a.Code, map[string]any{"name": a.Name}
		return s.appendAudit(ctx, tx, by)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateAuthority changes an authority's name and contacts (its code is
// permanent). Platform administrators and the authority's administrators.
func (s *Service) UpdateAuthority(ctx context.Context, p *Principal, code string, in NewAuthority) (*Authority, error) {
	const op = "identity: update authority"
	a, err := s.authorityFor(ctx, p, code, RoleAdmin)
	if err != nil {
		return nil, err
	}
	in.Code = a.Code
	if err := in.validate(op); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE authorities SET name = $1, contact_email = $2, contact_phone = $3, updated_at = $4 WHERE id = $5`,
			in.Name, in.ContactEmail, in.ContactPhone, s.now(), a.ID); err != nil {
			return errs.Wrap(op, err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, AuthorityID: a.ID, Action: "authority.update", Target: a.Code,
			Details: map[string]any{"name": in.Name, "contact_email": in.ContactEmail, "contact_phone": in.ContactPhone}})
	})
	if err != nil {
		return nil, err
	}
	return s.authorityByCode(ctx, a.Code)
}

const authorityColumns = `id, code, name, contact_email, contact_phone, logo_key, created_at, updated_at`

func scanAuthority(r database.Row) (*Authority, error) {
	var a Authority
	if err := r.Scan(&a.ID, &a.Code, &a.Name, &a.ContactEmail, &a.ContactPhone, &a.LogoKey, &a.CreatedAt, &a.UpdatedAt); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

func (s *Service) authorityByCode(ctx context.Context, code string) (*Authority, error) {
	a, err := scanAuthority(s.db.QueryRow(ctx, `SELECT `+authorityColumns+` FROM authorities WHERE code = $1`, strings.ToUpper(code)))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "identity: authority", "no authority %q", code)
	}
	if err != nil {
		return nil, errs.Wrap("identity: authority", err)
	}
	return a, nil
}

// authorityFor loads the authority and checks the caller holds one of roles
// in it. An authority the caller has no part in is reported as not found,
// so its existence is not revealed to other tenants.
func (s *Service) authorityFor(ctx context.Context, p *Principal, code string, roles ...Role) (*Authority, error) {
	if p == nil {
		return nil, errs.E(errs.Unauthorized, "identity", "sign in first")
	}
	a, err := s.authorityByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if !p.InAuthority(a.ID) {
		return nil, errs.E(errs.NotFound, "identity: authority", "no authority %q", code)
	}
	if !p.Has(a.ID, roles...) {
		return nil, errs.E(errs.Forbidden, "identity: authority", "your role in %s does not allow this", a.Code)
	}
	return a, nil
}

// AuthorityAs returns an authority the caller holds one of roles in: an
// authority the caller has no part in is not found, and a role that does
// not suffice is forbidden.
func (s *Service) AuthorityAs(ctx context.Context, p *Principal, code string, roles ...Role) (*Authority, error) {
	return s.authorityFor(ctx, p, code, roles...)
}

// Authority returns an authority the caller belongs to.
func (s *Service) Authority(ctx context.Context, p *Principal, code string) (*Authority, error) {
	return s.authorityFor(ctx, p, code, Roles...)
}

// PublicAuthority returns an authority by code without access checks, for
// what an authority publishes to everyone (its logo, its certificate
// signing keys).
func (s *Service) PublicAuthority(ctx context.Context, code string) (*Authority, error) {
	return s.authorityByCode(ctx, code)
}

// AuthorityByID returns an authority by id, without access checks (for
// internal use by other domains that have checked already).
func (s *Service) AuthorityByID(ctx context.Context, id int64) (*Authority, error) {
	a, err := scanAuthority(s.db.QueryRow(ctx, `SELECT `+authorityColumns+` FROM authorities WHERE id = $1`, id))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "identity: authority", "no authority %d", id)
	}
	return a, errs.Wrap("identity: authority", err)
}

// Page asks for one page of a list: items after the cursor, at most Limit.
type Page struct {
	After string
	Limit int
}

// Size is the page size asked for, within bounds (default 50, at most 200).
func (pg Page) Size() int { return pg.limit() }

func (pg Page) limit() int {
	switch {
	case pg.Limit <= 0:
		return 50
	case pg.Limit > 200:
		return 200
	}
	return pg.Limit
}

// cursorID decodes a cursor that holds an id.
func cursorID(op, c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	var id int64
	if _, err := fmt.Sscanf(c, "%x", &id); err != nil || id <= 0 || fmt.Sprintf("%x", id) != c {
		return 0, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the page cursor is not valid", Fields: map[string]string{"after": "is not a cursor this server gave out"}}
	}
	return id, nil
}

// CursorFor encodes an id as a page cursor.
func CursorFor(id int64) string { return fmt.Sprintf("%x", id) }

// ListAuthorities lists authorities in order of id (the page cursor): all of
// them for platform administrators, otherwise those the caller belongs to.
func (s *Service) ListAuthorities(ctx context.Context, p *Principal, pg Page) ([]Authority, string, error) {
	const op = "identity: list authorities"
	if p == nil {
		return nil, "", errs.E(errs.Unauthorized, op, "sign in first")
	}
	after, err := cursorID(op, pg.After)
	if err != nil {
		return nil, "", err
	}
	var rows database.Rows
	switch {
	case p.IsPlatformAdmin():
		rows, err = s.db.Query(ctx, `SELECT `+authorityColumns+` FROM authorities WHERE id > $1 ORDER BY id LIMIT $2`, after, pg.limit()+1)
	case p.TokenID != 0:
		// A token acts in its one authority. Filtering the owner's
		// authorities after LIMIT would return short or empty pages.
		var id int64
		if len(p.Memberships) > 0 {
			id = p.Memberships[0].AuthorityID
		}
		rows, err = s.db.Query(ctx, `SELECT `+authorityColumns+` FROM authorities WHERE id > $1 AND id = $2 ORDER BY id LIMIT $3`, after, id, pg.limit()+1)
	default:
		rows, err = s.db.Query(ctx, `SELECT `+authorityColumns+` FROM authorities WHERE id > $1 AND id IN (SELECT authority_id FROM memberships WHERE user_id = $2) ORDER BY id LIMIT $3`, after, p.User.ID, pg.limit()+1)
	}
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []Authority
	for rows.Next() {
		a, err := scanAuthority(rows)
		if err != nil {
			return nil, "", errs.Wrap(op, err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	next := ""
	if len(out) > pg.limit() {
		out = out[:pg.limit()]
		next = CursorFor(out[len(out)-1].ID)
	}
	return out, next, nil
}

// ---- users ----

// NewUser is the input for creating a user.
type NewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Locale   string `json:"locale"`
	Roles    []Role `json:"roles"`
}

func (in *NewUser) validate(op string, needPassword, needRoles bool) error {
	in.Email = normEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	v := errs.Validation{Op: op}
	checkEmail(&v, "email", in.Email)
	checkName(&v, "name", in.Name, 200)
	if in.Password != "" || needPassword {
		if msg := checkPassword(in.Password); msg != "" {
			v.Add("password", "%s", msg)
		}
	}
	if in.Locale == "" {
		in.Locale = "en"
	}
	if in.Locale != "en" && in.Locale != "hi" {
		v.Add("locale", "must be en or hi")
	}
	for _, r := range in.Roles {
		if !r.Valid() {
			v.Add("roles", "unknown role %q", r)
		}
	}
	if needRoles && len(in.Roles) == 0 {
		v.Add("roles", "give at least one role")
	}
	return v.Err()
}

// insertUser adds a user with an already computed password hash (empty for
// none). Hash before the transaction: argon2 takes tens of milliseconds, and
// on SQLite an open write transaction holds up every other writer.
func (s *Service) insertUser(ctx context.Context, tx *database.Tx, op string, in NewUser, passwordHash string, platformAdmin bool) (*User, error) {
	u := &User{Email: in.Email, Name: in.Name, Locale: in.Locale, PlatformAdmin: platformAdmin, CreatedAt: s.now(), UpdatedAt: s.now(), passwordHash: passwordHash}
	err := tx.QueryRow(ctx, `INSERT INTO users (email, name, password_hash, locale, platform_admin, created_at, updated_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $6) RETURNING id`,
		u.Email, u.Name, u.passwordHash, u.Locale, platformAdmin, u.CreatedAt).Scan(&u.ID)
	if database.IsUniqueViolation(err) {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Message: "an account with this e-mail exists already", Fields: map[string]string{"email": "is taken"}}
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	return u, nil
}

// SignUp creates a learner account for oneself (when sign-up is open).
func (s *Service) SignUp(ctx context.Context, in NewUser) (*User, error) {
	const op = "identity: sign up"
	if !s.cfg.AllowSignUp {
		return nil, errs.E(errs.Forbidden, op, "sign-up is closed on this server; ask your administrator for an account")
	}
	in.Roles = nil
	if err := in.validate(op, true, false); err != nil {
		return nil, err
	}
	if _, err := s.userByEmail(ctx, s.db, in.Email); err == nil {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Message: "an account with this e-mail exists already", Fields: map[string]string{"email": "is taken"}}
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	var u *User
	err = s.db.InTx(ctx, func(tx *database.Tx) (err error) {
		u, err = s.insertUser(ctx, tx, op, in, hash, false)
		if err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: u.ID, Actor: u.Email, Action: "user.signup", Target: u.Email})
	})
	return u, err
}

// CreateUser creates a user in an authority with the given roles, or gives
// the roles to an existing user with that e-mail. Authority administrators.
func (s *Service) CreateUser(ctx context.Context, p *Principal, authorityCode string, in NewUser) (*Member, error) {
	const op = "identity: create user"
	a, err := s.authorityFor(ctx, p, authorityCode, RoleAdmin)
	if err != nil {
		return nil, err
	}
	if err := in.validate(op, false, true); err != nil {
		return nil, err
	}
	hash := ""
	if _, err := s.userByEmail(ctx, s.db, in.Email); errs.Is(err, errs.NotFound) && in.Password != "" {
		if hash, err = s.hashPassword(ctx, in.Password); err != nil {
			return nil, err
		}
	}
	var m *Member
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		// Existing account: add the roles rather than fail, so one person
		// can work for several authorities. Look it up before inserting: on
		// PostgreSQL a failed INSERT aborts the whole transaction.
		u, err := s.userByEmail(ctx, tx, in.Email)
		if errs.Is(err, errs.NotFound) {
			u, err = s.insertUser(ctx, tx, op, in, hash, false)
		}
		if err != nil {
			return err
		}
		for _, r := range in.Roles {
			if _, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, authority_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, u.ID, a.ID, string(r), s.now()); err != nil {
				return errs.Wrap(op, err)
			}
		}
		if err := s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, AuthorityID: a.ID, Action: "user.create", Target: u.Email, Details: map[string]any{"roles": in.Roles}}); err != nil {
			return err
		}
		m, err = s.member(ctx, tx, a.ID, u.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(m.ID)
	return m, nil
}

// SetRoles replaces a member's roles in an authority. An empty list removes
// the user from the authority. Authority administrators; nobody may remove
// their own administrator role (so an authority is never left without one by
// accident).
func (s *Service) SetRoles(ctx context.Context, p *Principal, authorityCode string, userID int64, roles []Role) (*Member, error) {
	const op = "identity: set roles"
	a, err := s.authorityFor(ctx, p, authorityCode, RoleAdmin)
	if err != nil {
		return nil, err
	}
	v := errs.Validation{Op: op}
	for _, r := range roles {
		if !r.Valid() {
			v.Add("roles", "unknown role %q", r)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if userID == p.User.ID && !p.IsPlatformAdmin() && !containsRole(roles, RoleAdmin) {
		return nil, errs.E(errs.Conflict, op, "you cannot remove your own administrator role; ask another administrator")
	}
	var m *Member
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		before, err := s.member(ctx, tx, a.ID, userID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM memberships WHERE user_id = $1 AND authority_id = $2`, userID, a.ID); err != nil {
			return errs.Wrap(op, err)
		}
		for _, r := range roles {
			if _, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, authority_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, userID, a.ID, string(r), s.now()); err != nil {
				return errs.Wrap(op, err)
			}
		}
		if err := s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, AuthorityID: a.ID, Action: "user.roles", Target: before.Email,
			Details: map[string]any{"from": before.Roles, "to": roles}}); err != nil {
			return err
		}
		if len(roles) == 0 {
			m = &Member{User: before.User}
			return nil
		}
		m, err = s.member(ctx, tx, a.ID, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(userID)
	return m, nil
}

func containsRole(roles []Role, r Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

const userColumns = `id, email, name, password_hash, locale, platform_admin, disabled, created_at, updated_at`

func scanUser(r database.Row) (*User, error) {
	var u User
	if err := r.Scan(&u.ID, &u.Email, &u.Name, &u.passwordHash, &u.Locale, &u.PlatformAdmin, &u.Disabled, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

func (s *Service) userByEmail(ctx context.Context, q database.Querier, email string) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, normEmail(email)))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "identity: user", "no such user")
	}
	return u, errs.Wrap("identity: user", err)
}

func (s *Service) userByID(ctx context.Context, q database.Querier, id int64) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "identity: user", "no such user")
	}
	return u, errs.Wrap("identity: user", err)
}

// member loads a user with their roles in the authority; a user with no
// role there is not found.
func (s *Service) member(ctx context.Context, q database.Querier, authorityID, userID int64) (*Member, error) {
	u, err := s.userByID(ctx, q, userID)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT role FROM memberships WHERE authority_id = $1 AND user_id = $2 ORDER BY role`, authorityID, userID)
	if err != nil {
		return nil, errs.Wrap("identity: member", err)
	}
	defer rows.Close()
	m := &Member{User: *u}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, errs.Wrap("identity: member", err)
		}
		m.Roles = append(m.Roles, Role(r))
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap("identity: member", err)
	}
	if len(m.Roles) == 0 {
		return nil, errs.E(errs.NotFound, "identity: member", "no such user in this authority")
	}
	return m, nil
}

// Member returns one member of an authority. Authority administrators.
func (s *Service) Member(ctx context.Context, p *Principal, authorityCode string, userID int64) (*Member, error) {
	a, err := s.authorityFor(ctx, p, authorityCode, RoleAdmin)
	if err != nil {
		return nil, err
	}
	return s.member(ctx, s.db, a.ID, userID)
}

// ListMembers lists an authority's users with their roles, by id.
// Authority administrators.
func (s *Service) ListMembers(ctx context.Context, p *Principal, authorityCode string, pg Page) ([]Member, string, error) {
	const op = "identity: list members"
	a, err := s.authorityFor(ctx, p, authorityCode, RoleAdmin)
	if err != nil {
		return nil, "", err
	}
	after, err := cursorID(op, pg.After)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.db.Query(ctx, `SELECT u.id, u.email, u.name, u.password_hash, u.locale, u.platform_admin, u.disabled, u.created_at, u.updated_at, m.role
		FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.authority_id = $1 AND u.id IN (SELECT DISTINCT user_id FROM memberships WHERE authority_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3)
		ORDER BY u.id, m.role`, a.ID, after, pg.limit()+1)
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var u User
		var role string
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.passwordHash, &u.Locale, &u.PlatformAdmin, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &role); err != nil {
			return nil, "", errs.Wrap(op, err)
		}
		if n := len(out); n > 0 && out[n-1].ID == u.ID {
			out[n-1].Roles = append(out[n-1].Roles, Role(role))
			continue
		}
		u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
		out = append(out, Member{User: u, Roles: []Role{Role(role)}})
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	next := ""
	if len(out) > pg.limit() {
		out = out[:pg.limit()]
		next = CursorFor(out[len(out)-1].ID)
	}
	return out, next, nil
}

func (s *Service) memberships(ctx context.Context, userID int64) ([]Membership, error) {
	rows, err := s.db.Query(ctx, `SELECT a.id, a.code, a.name, m.role FROM memberships m JOIN authorities a ON a.id = m.authority_id WHERE m.user_id = $1 ORDER BY a.code, m.role`, userID)
	if err != nil {
		return nil, errs.Wrap("identity: memberships", err)
	}
	defer rows.Close()
	var out []Membership
	for rows.Next() {
		var m Membership
		var r string
		if err := rows.Scan(&m.AuthorityID, &m.AuthorityCode, &m.AuthorityName, &r); err != nil {
			return nil, errs.Wrap("identity: memberships", err)
		}
		m.Role = Role(r)
		out = append(out, m)
	}
	return out, errs.Wrap("identity: memberships", rows.Err())
}

// ---- bootstrap (command line; no principal) ----

// EnsureAuthority creates an authority if its code is new (command line and
// demo data), recording the given actor label in the audit log.
func (s *Service) EnsureAuthority(ctx context.Context, actor string, in NewAuthority) (*Authority, error) {
	const op = "identity: ensure authority"
	if err := in.validate(op); err != nil {
		return nil, err
	}
	if a, err := s.authorityByCode(ctx, in.Code); err == nil {
		return a, nil
	}
	return s.insertAuthority(ctx, op, in, AuditEntry{Actor: actor})
}

// EnsureUser creates a user (or updates the roles of an existing one) from
// the command line: platformAdmin grants platform rights; roles are given in
// the authority named by authorityCode (may be empty).
func (s *Service) EnsureUser(ctx context.Context, actor string, in NewUser, platformAdmin bool, authorityCode string) (*User, error) {
	const op = "identity: ensure user"
	if err := in.validate(op, false, false); err != nil {
		return nil, err
	}
	var a *Authority
	if authorityCode != "" {
		var err error
		if a, err = s.authorityByCode(ctx, authorityCode); err != nil {
			return nil, err
		}
	}
	hash := ""
	if _, err := s.userByEmail(ctx, s.db, in.Email); errs.Is(err, errs.NotFound) && in.Password != "" {
		if hash, err = s.hashPassword(ctx, in.Password); err != nil {
			return nil, err
		}
	}
	var u *User
	err := s.db.InTx(ctx, func(tx *database.Tx) (err error) {
		changed := false
		u, err = s.userByEmail(ctx, tx, in.Email)
		if errs.Is(err, errs.NotFound) {
			u, err = s.insertUser(ctx, tx, op, in, hash, platformAdmin)
			changed = true
		} else if err == nil && platformAdmin && !u.PlatformAdmin {
			_, err = tx.Exec(ctx, `UPDATE users SET platform_admin = TRUE, updated_at = $1 WHERE id = $2`, s.now(), u.ID)
			u.PlatformAdmin, changed = true, true
		}
		if err != nil {
			return err
		}
		var authorityID int64
		if a != nil {
			authorityID = a.ID
			for _, r := range in.Roles {
				n, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, authority_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, u.ID, a.ID, string(r), s.now())
				if err != nil {
					return errs.Wrap(op, err)
				}
				changed = changed || n > 0
			}
		}
		if !changed {
			return nil // running it again records nothing new
		}
		return s.appendAudit(ctx, tx, AuditEntry{Actor: actor, AuthorityID: authorityID, Action: "user.create", Target: u.Email,
			Details: map[string]any{"roles": in.Roles, "platform_admin": platformAdmin}})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	return u, nil
}

// SetPassword sets a user's password from the command line and ends all
// their sessions.
func (s *Service) SetPassword(ctx context.Context, actor, email, password string) error {
	const op = "identity: set password"
	if msg := checkPassword(password); msg != "" {
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: "the password is not acceptable", Fields: map[string]string{"password": msg}}
	}
	u, err := s.userByEmail(ctx, s.db, email)
	if err != nil {
		return err
	}
	h, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.setPasswordTx(ctx, tx, u.ID, h, ""); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, AuditEntry{Actor: actor, Action: "user.password_reset", Target: u.Email, Details: map[string]any{"via": "command line"}})
	})
	if err == nil {
		s.sessions.forgetUser(u.ID)
	}
	return err
}

// setPasswordTx stores a new password hash and ends the user's sessions,
// all but the one whose public id is keep (if any).
func (s *Service) setPasswordTx(ctx context.Context, tx *database.Tx, userID int64, hash, keep string) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3`, hash, s.now(), userID); err != nil {
		return errs.Wrap("identity: set password", err)
	}
	keepPrefix, _ := hex.DecodeString(keep)
	if len(keepPrefix) != 8 {
		keepPrefix = []byte{}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, 8) <> $2`, userID, keepPrefix); err != nil {
		return errs.Wrap("identity: set password", err)
	}
	return nil
}

// ListAudit lists audit entries, newest first: an authority's (its
// administrators) or all of them (platform administrators).
func (s *Service) ListAudit(ctx context.Context, p *Principal, authorityCode string, f AuditFilter) ([]AuditEntry, error) {
	if p == nil {
		return nil, errs.E(errs.Unauthorized, "identity: audit", "sign in first")
	}
	if authorityCode == "" {
		if !p.IsPlatformAdmin() {
			return nil, errs.E(errs.Forbidden, "identity: audit", "only platform administrators can read the whole audit log")
		}
		f.AuthorityID = 0
	} else {
		a, err := s.authorityFor(ctx, p, authorityCode, RoleAdmin)
		if err != nil {
			return nil, err
		}
		f.AuthorityID = a.ID
	}
	f.Limit = Page{Limit: f.Limit}.Size()
	return s.listAudit(ctx, f)
}

// sessionIDOf is the public id of a session: a prefix of its token's hash,
// which reveals nothing about the token.
func sessionIDOf(hash []byte) string { return hex.EncodeToString(hash[:8]) }

// ProfileUpdate changes the caller's own name and language.
type ProfileUpdate struct {
	Name   string `json:"name"`
	Locale string `json:"locale"`
}

// UpdateProfile sets the caller's name and preferred language.
func (s *Service) UpdateProfile(ctx context.Context, p *Principal, in ProfileUpdate) (*User, error) {
	const op = "identity: update profile"
	if p == nil {
		return nil, errs.E(errs.Unauthorized, op, "sign in first")
	}
	in.Name = strings.TrimSpace(in.Name)
	v := errs.Validation{Op: op}
	checkName(&v, "name", in.Name, 200)
	if in.Locale != "en" && in.Locale != "hi" {
		v.Add("locale", "must be en or hi")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET name = $1, locale = $2, updated_at = $3 WHERE id = $4`, in.Name, in.Locale, s.now(), p.User.ID); err != nil {
			return errs.Wrap(op, err)
		}
		if in.Name == p.User.Name {
			return nil
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, Action: "user.profile", Target: p.User.Email,
			Details: map[string]any{"from": p.User.Name, "to": in.Name}})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(p.User.ID)
	return s.userByID(ctx, s.db, p.User.ID)
}
