package identity

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// OIDCClaims is what Vidya takes from a verified OpenID Connect ID token.
type OIDCClaims struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// SignInOIDC signs in a staff member whom an OpenID Connect provider has
// vouched for. Accounts are never created here: staff are provisioned by an
// administrator first. The first sign-in links the provider's subject to the
// account with the same verified e-mail; later sign-ins match the subject,
// so a changed e-mail at the provider cannot take over another account.
func (s *Service) SignInOIDC(ctx context.Context, c OIDCClaims) (SessionToken, *User, error) {
	const op = "identity: sign in with OIDC"
	if c.Issuer == "" || c.Subject == "" {
		return "", nil, errs.E(errs.Unauthorized, op, "the identity provider sent no subject")
	}
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, c.Issuer, c.Subject))
	if errors.Is(err, database.ErrNoRows) {
		if !c.EmailVerified || c.Email == "" {
			return "", nil, errs.E(errs.Forbidden, op, "your identity provider did not confirm your e-mail address, so it cannot be matched to a Vidya account")
		}
		u, err = s.userByEmail(ctx, s.db, c.Email)
		if errs.Is(err, errs.NotFound) {
			return "", nil, errs.E(errs.Forbidden, op, "there is no Vidya account for %s; ask your administrator to add you", normEmail(c.Email))
		}
		if err != nil {
			return "", nil, err
		}
		var linkedIssuer sql.NullString
		if err := s.db.QueryRow(ctx, `SELECT oidc_issuer FROM users WHERE id = $1`, u.ID).Scan(&linkedIssuer); err != nil {
			return "", nil, errs.Wrap(op, err)
		}
		if linkedIssuer.Valid && linkedIssuer.String != "" {
			return "", nil, errs.E(errs.Forbidden, op, "this Vidya account is linked to a different single sign-on identity")
		}
		err = s.db.InTx(ctx, func(tx *database.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE users SET oidc_issuer = $1, oidc_subject = $2, updated_at = $3 WHERE id = $4`, c.Issuer, c.Subject, s.now(), u.ID); err != nil {
				return errs.Wrap(op, err)
			}
			return s.appendAudit(ctx, tx, AuditEntry{ActorID: u.ID, Actor: u.Email, Action: "user.oidc_link", Target: u.Email, Details: map[string]any{"issuer": c.Issuer}})
		})
		if err != nil {
			return "", nil, err
		}
	} else if err != nil {
		return "", nil, errs.Wrap(op, err)
	}
	if u.Disabled {
		return "", nil, errs.E(errs.Forbidden, op, "this account is disabled")
	}
	tok, err := s.startSession(ctx, u.ID, "oidc")
	if err != nil {
		return "", nil, err
	}
	return tok, u, nil
}
