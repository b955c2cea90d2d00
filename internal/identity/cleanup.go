package identity

import (
	"context"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// PurgeExpired deletes ended sessions, spent or stale password-reset links
// and sign-in counters whose window and lock are over. It returns how many
// rows went.
func (s *Service) PurgeExpired(ctx context.Context) (int64, error) {
	now := s.now()
	var total int64
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM sessions WHERE expires_at < $1 OR created_at < $2`, []any{now, now.Add(-s.cfg.SessionMax)}},
		{`DELETE FROM password_resets WHERE expires_at < $1`, []any{now}},
		{`DELETE FROM login_failures WHERE window_start < $1 AND (locked_until IS NULL OR locked_until < $2)`, []any{now.Add(-failureWindow), now}},
	} {
		n, err := s.db.Exec(ctx, q.sql, q.args...)
		if err != nil {
			return total, errs.Wrap("identity: purge expired", err)
		}
		total += n
	}
	return total, nil
}
