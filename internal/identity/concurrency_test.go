package identity_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// TestConcurrentSignInsOnSQLite starts 20 sign-ins at once against one
// SQLite file: each reads the account, then writes a session and clears a
// failure count, and none may fail with SQLITE_BUSY.
func TestConcurrentSignInsOnSQLite(t *testing.T) {
	t.Parallel()
	const n = 20
	// Room for every argon2id at once: this test is about the database,
	// not the hashing queue (whose 2 s wait the race detector's tenfold
	// slower argon2id would exceed).
	f := newFixture(t, dbtest.SQLite(t), identity.Config{SignInParallel: n})
	first := f.user("p00@example.org", goodPassword)
	for i := 1; i < n; i++ {
		u := f.user(fmt.Sprintf("p%02d@example.org", i), "")
		// One hash for all, copied rather than recomputed.
		f.exec(`UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE id = $1) WHERE id = $2`, first.ID, u.ID)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ctx := identity.WithOrigin(context.Background(), identity.Origin{IP: fmt.Sprintf("198.51.100.%d", i)})
			<-start
			tok, _, err := f.svc.SignIn(ctx, fmt.Sprintf("p%02d@example.org", i), goodPassword)
			if err != nil {
				errc <- fmt.Errorf("sign-in %d: %w", i, err)
				return
			}
			if _, err := f.svc.Authenticate(ctx, tok); err != nil {
				errc <- fmt.Errorf("authenticate %d: %w", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if got := f.count(`SELECT count(*) FROM sessions WHERE method = 'password'`); got != n {
		t.Fatalf("%d password sessions, want %d", got, n)
	}
}
