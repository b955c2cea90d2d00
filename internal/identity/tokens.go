package identity

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// TokenPrefix starts every API token, so leaked tokens are easy to find
// with secret scanners.
const TokenPrefix = "vidya_"

// APIToken is a long-lived credential for programs, scoped to one role in
// one authority. Only its SHA-256 is stored; the token itself is shown once.
type APIToken struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Prefix      string     `json:"prefix"`
	Authority   string     `json:"authority"`
	AuthorityID int64      `json:"-"`
	Role        Role       `json:"role"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// NewToken is the input for issuing a token.
type NewToken struct {
	Name      string `json:"name"`
	Authority string `json:"authority"`
	Role      Role   `json:"role"`
	// ExpiresInDays: 0 means the token does not expire.
	ExpiresInDays int `json:"expires_in_days"`
}

// CreateToken issues a token for the caller, with a role the caller holds in
// the authority. It returns the token's secret, which is never shown again.
func (s *Service) CreateToken(ctx context.Context, p *Principal, in NewToken) (*APIToken, string, error) {
	const op = "identity: create token"
	if p == nil || p.TokenID != 0 {
		return nil, "", errs.E(errs.Forbidden, op, "API tokens can only be made from a signed-in browser session")
	}
	in.Name = strings.TrimSpace(in.Name)
	v := errs.Validation{Op: op}
	checkName(&v, "name", in.Name, 100)
	if !in.Role.Valid() {
		v.Add("role", "must be one of the authority roles")
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 3650 {
		v.Add("expires_in_days", "must be between 0 (never) and 3650")
	}
	if in.Authority == "" {
		v.Add("authority", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	a, err := s.authorityFor(ctx, p, in.Authority, in.Role)
	if err != nil {
		return nil, "", err
	}
	// authorityFor lets platform administrators act as any role, but a
	// token works only while its owner holds its role (AuthenticateToken),
	// so one minted without the membership would be dead on arrival.
	if !slices.ContainsFunc(p.Memberships, func(m Membership) bool { return m.AuthorityID == a.ID && m.Role == in.Role }) {
		return nil, "", errs.E(errs.Forbidden, op, "you do not hold the role %s in %s", in.Role, a.Code)
	}
	_, secret := randomToken(20)
	secret = TokenPrefix + secret
	t := &APIToken{Name: in.Name, Prefix: secret[:len(TokenPrefix)+6], Authority: a.Code, AuthorityID: a.ID, Role: in.Role, CreatedAt: s.now()}
	if in.ExpiresInDays > 0 {
		e := t.CreatedAt.AddDate(0, 0, in.ExpiresInDays)
		t.ExpiresAt = &e
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO api_tokens (token_hash, user_id, authority_id, role, name, prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			hashToken(secret), p.User.ID, a.ID, string(t.Role), t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt).Scan(&t.ID); err != nil {
			return errs.Wrap(op, err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, AuthorityID: a.ID, Action: "token.create", Target: t.Prefix,
			Details: map[string]any{"name": t.Name, "role": t.Role, "expires_in_days": in.ExpiresInDays}})
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

const tokenColumns = `t.id, t.name, t.prefix, a.code, t.authority_id, t.role, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

func scanToken(r database.Row) (*APIToken, error) {
	var t APIToken
	var role string
	var exp, used, rev sql.NullTime
	if err := r.Scan(&t.ID, &t.Name, &t.Prefix, &t.Authority, &t.AuthorityID, &role, &t.CreatedAt, &exp, &used, &rev); err != nil {
		return nil, err
	}
	t.Role = Role(role)
	t.CreatedAt = t.CreatedAt.UTC()
	opt := func(n sql.NullTime) *time.Time {
		if !n.Valid {
			return nil
		}
		v := n.Time.UTC()
		return &v
	}
	t.ExpiresAt, t.LastUsedAt, t.RevokedAt = opt(exp), opt(used), opt(rev)
	return &t, nil
}

// ListTokens lists the caller's tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, p *Principal) ([]APIToken, error) {
	rows, err := s.db.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN authorities a ON a.id = t.authority_id WHERE t.user_id = $1 ORDER BY t.id DESC LIMIT 500`, p.User.ID)
	if err != nil {
		return nil, errs.Wrap("identity: list tokens", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, errs.Wrap("identity: list tokens", err)
		}
		out = append(out, *t)
	}
	return out, errs.Wrap("identity: list tokens", rows.Err())
}

// RevokeToken revokes one of the caller's tokens. It stops working at once
// on this replica and within the cache lifetime on others.
func (s *Service) RevokeToken(ctx context.Context, p *Principal, id int64) error {
	const op = "identity: revoke token"
	var t *APIToken
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var err error
		t, err = scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM api_tokens t JOIN authorities a ON a.id = t.authority_id WHERE t.id = $1 AND t.user_id = $2`, id, p.User.ID))
		if errors.Is(err, database.ErrNoRows) {
			return errs.E(errs.NotFound, op, "no such token")
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2`, s.now(), id); err != nil {
			return errs.Wrap(op, err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, AuthorityID: t.AuthorityID, Action: "token.revoke", Target: t.Prefix})
	})
	if err == nil {
		s.sessions.forgetUser(p.User.ID)
	}
	return err
}

// AuthenticateToken returns the principal for an API token: the token's
// user, holding only the token's role in the token's authority, and only
// while the user still holds that role.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (*Principal, error) {
	const op = "identity: authenticate token"
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return nil, errs.E(errs.Unauthorized, op, "the API token is not valid")
	}
	h := hashToken(secret)
	key := "t" + string(h)
	now := s.now()
	if e, ok := s.sessions.get(key, now); ok {
		return e.p, nil
	}
	var id, userID, authorityID int64
	var role string
	var exp, rev, used sql.NullTime
	err := s.db.QueryRow(ctx, `SELECT id, user_id, authority_id, role, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1`, h).Scan(&id, &userID, &authorityID, &role, &exp, &rev, &used)
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.Unauthorized, op, "the API token is not valid")
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if rev.Valid {
		return nil, errs.E(errs.Unauthorized, op, "the API token was revoked")
	}
	if exp.Valid && now.After(exp.Time) {
		return nil, errs.E(errs.Unauthorized, op, "the API token has expired")
	}
	full, err := s.principal(ctx, userID)
	if err != nil {
		return nil, err
	}
	p := &Principal{User: full.User, TokenID: id}
	for _, m := range full.Memberships {
		if m.AuthorityID == authorityID && string(m.Role) == role {
			p.Memberships = []Membership{m}
		}
	}
	if len(p.Memberships) == 0 {
		return nil, errs.E(errs.Unauthorized, op, "the API token's owner no longer holds its role")
	}
	if !used.Valid || now.Sub(used.Time) >= time.Minute {
		if _, err := s.db.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, now, id); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	until := now.Add(s.sessions.ttl)
	if exp.Valid {
		until = minTime(until, exp.Time)
	}
	s.sessions.put(key, cachedSession{p: p, userID: userID, until: until, expiresAt: until, touchedAt: now})
	return p, nil
}
