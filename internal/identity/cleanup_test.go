package identity_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

func tokenHash(tok identity.SessionToken) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// TestPurgeExpired checks that the purge compares times correctly on both
// engines: it removes what has ended and nothing that is still in force.
func TestPurgeExpired(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{SessionIdle: time.Hour, SessionMax: 3 * time.Hour, ResetValidity: time.Hour})
		old := f.user("old@example.org", "")
		live := f.user("live@example.org", "")

		idle, _ := f.session(old.ID) // idle expiry an hour from now
		must(t, f.svc.RequestPasswordReset(f.ctx, "old@example.org"))
		f.clock.Advance(2*time.Hour + 30*time.Minute)
		now := f.clock.Now()
		fresh, _ := f.session(live.ID)
		aged, _ := f.session(live.ID)
		// Used recently, but created longer than SessionMax ago.
		f.exec(`UPDATE sessions SET created_at = $1 WHERE token_hash = $2`, now.Add(-3*time.Hour-time.Second), tokenHash(aged))
		must(t, f.svc.RequestPasswordReset(f.ctx, "live@example.org"))
		for _, r := range []struct {
			key                 string
			windowStart, locked any
		}{
			{"account:stale@example.org", now.Add(-20 * time.Minute), nil},                        // window over, never locked: goes
			{"account:served@example.org", now.Add(-20 * time.Minute), now.Add(-time.Minute)},     // window and lock over: goes
			{"ip:203.0.113.1", now.Add(-16 * time.Minute), now.Add(-time.Second)},                 // window and lock over: goes
			{"account:locked@example.org", now.Add(-20 * time.Minute), now.Add(10 * time.Minute)}, // still locked: stays
			{"account:counting@example.org", now.Add(-5 * time.Minute), nil},                      // window open: stays
		} {
			f.exec(`INSERT INTO login_failures (key, window_start, failures, locked_until) VALUES ($1, $2, 3, $3)`, r.key, r.windowStart, r.locked)
		}

		n, err := f.svc.PurgeExpired(context.Background())
		must(t, err)
		// Three sessions (the fixture's administrator has been idle since
		// the start too), one reset link, three counters.
		if n != 7 {
			t.Errorf("PurgeExpired removed %d rows, want 7", n)
		}
		for _, c := range []struct {
			what  string
			query string
			args  []any
			want  int64
		}{
			{"the idle session", `SELECT count(*) FROM sessions WHERE token_hash = $1`, []any{tokenHash(idle)}, 0},
			{"the aged session", `SELECT count(*) FROM sessions WHERE token_hash = $1`, []any{tokenHash(aged)}, 0},
			{"the fresh session", `SELECT count(*) FROM sessions WHERE token_hash = $1`, []any{tokenHash(fresh)}, 1},
			{"all sessions", `SELECT count(*) FROM sessions`, nil, 1},
			{"the expired reset link", `SELECT count(*) FROM password_resets WHERE user_id = $1`, []any{old.ID}, 0},
			{"the live reset link", `SELECT count(*) FROM password_resets WHERE user_id = $1`, []any{live.ID}, 1},
			{"the counters in force", `SELECT count(*) FROM login_failures WHERE key IN ('account:locked@example.org', 'account:counting@example.org')`, nil, 2},
			{"all counters", `SELECT count(*) FROM login_failures`, nil, 2},
		} {
			if got := f.count(c.query, c.args...); got != c.want {
				t.Errorf("%s: %d rows, want %d", c.what, got, c.want)
			}
		}
		if _, err := f.svc.Authenticate(f.ctx, fresh); err != nil {
			t.Errorf("the fresh session no longer authenticates: %v", err)
		}

		t.Run("a second purge finds nothing", func(t *testing.T) {
			n, err := f.svc.PurgeExpired(context.Background())
			if err != nil || n != 0 {
				t.Fatalf("PurgeExpired = %d, %v; want 0", n, err)
			}
		})
	})
}
