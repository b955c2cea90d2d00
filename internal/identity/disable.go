package identity

import (
	"context"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// SetDisabled disables or re-enables an account. A disabled account cannot
// sign in by any means, its sessions end at once and its API tokens stop
// working. Platform administrators, never on themselves.
func (s *Service) SetDisabled(ctx context.Context, p *Principal, userID int64, disabled bool) (*User, error) {
	const op = "identity: disable user"
	if !p.IsPlatformAdmin() {
		return nil, errs.E(errs.Forbidden, op, "only platform administrators can disable accounts")
	}
	if userID == p.User.ID {
		return nil, errs.E(errs.Conflict, op, "you cannot disable your own account")
	}
	var u *User
	err := s.db.InTx(ctx, func(tx *database.Tx) (err error) {
		if u, err = s.userByID(ctx, tx, userID); err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`, disabled, s.now(), userID); err != nil {
			return errs.Wrap(op, err)
		}
		action := "user.enabled"
		if disabled {
			action = "user.disabled"
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID); err != nil {
				return errs.Wrap(op, err)
			}
		}
		u.Disabled = disabled
		return s.Record(ctx, tx, p, 0, action, u.Email, nil)
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(userID)
	return u, nil
}

// UserByEmail finds an account by e-mail. Platform administrators.
func (s *Service) UserByEmail(ctx context.Context, p *Principal, email string) (*User, error) {
	if !p.IsPlatformAdmin() {
		return nil, errs.E(errs.Forbidden, "identity: find user", "only platform administrators can look up accounts")
	}
	return s.userByEmail(ctx, s.db, email)
}
