package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestSessionCache(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{}) // cache lifetime 30 s
		u := f.user("erin@example.org", "")

		t.Run("a session deleted behind the service's back is trusted until the cache lifetime passes", func(t *testing.T) {
			// The designed trade-off: most requests need no database read,
			// at the price that a session removed by another replica (or
			// by hand) lives on here for up to SessionCache.
			f := f.with(t)
			tok, _ := f.session(u.ID)
			f.exec(`DELETE FROM sessions WHERE user_id = $1`, u.ID)
			f.clock.Advance(29 * time.Second)
			p, err := f.svc.Authenticate(f.ctx, tok)
			if err != nil || p.User.ID != u.ID {
				t.Fatalf("Authenticate within the cache lifetime = %v, %v; want the cached principal", p, err)
			}
			f.clock.Advance(2 * time.Second)
			_, err = f.svc.Authenticate(f.ctx, tok)
			wantErr(t, err, errs.Unauthorized)
		})

		t.Run("sign-out on the same service takes effect at once", func(t *testing.T) {
			f := f.with(t)
			tok, _ := f.session(u.ID)
			must(t, f.svc.SignOut(f.ctx, tok))
			_, err := f.svc.Authenticate(f.ctx, tok)
			wantErr(t, err, errs.Unauthorized)
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 0 {
				t.Fatalf("%d session rows left", n)
			}
		})

		t.Run("nonsense tokens are unauthorized", func(t *testing.T) {
			for _, tok := range []identity.SessionToken{"", "abc", identity.SessionToken(make([]byte, 101))} {
				_, err := f.svc.Authenticate(f.ctx, tok)
				wantErr(t, err, errs.Unauthorized)
			}
		})
	})
}

func TestSessionIdleExpiry(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		t.Run("an idle session ends after SessionIdle", func(t *testing.T) {
			f := newFixture(t, db, identity.Config{}) // idle 7 days
			u := f.user("frank@example.org", "")
			tok, _ := f.session(u.ID)
			f.clock.Advance(7*24*time.Hour + time.Second)
			_, err := f.svc.Authenticate(f.ctx, tok)
			if e := wantErr(t, err, errs.Unauthorized); e.Message != "your session has expired; sign in again" {
				t.Errorf("message = %q", e.Message)
			}
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 0 {
				t.Errorf("the expired session row was kept")
			}

			t.Run("but use keeps it alive", func(t *testing.T) {
				f := f.with(t)
				tok, _ := f.session(u.ID)
				for range 4 { // 24 days in all, never 7 idle
					f.clock.Advance(6 * 24 * time.Hour)
					if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
						t.Fatalf("session used every 6 days ended: %v", err)
					}
				}
			})
		})
	})
}

func TestSessionMaxLifetime(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		t.Run("no session outlives SessionMax, however busy", func(t *testing.T) {
			f := newFixture(t, db, identity.Config{SessionIdle: time.Hour, SessionMax: 3 * time.Hour})
			u := f.user("grace@example.org", "")
			tok, _ := f.session(u.ID)
			for i := range 3 { // 2 h 30 in all
				f.clock.Advance(50 * time.Minute)
				if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
					t.Fatalf("use %d: %v", i, err)
				}
			}
			f.clock.Advance(29 * time.Minute) // 2 h 59
			if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
				t.Fatalf("at 2 h 59: %v", err)
			}
			var expires time.Time
			must(t, db.QueryRow(context.Background(), `SELECT expires_at FROM sessions WHERE user_id = $1`, u.ID).Scan(&expires))
			created := f.clock.Now().Add(-179 * time.Minute)
			if !expires.Equal(created.Add(3 * time.Hour)) {
				t.Errorf("expires_at = %v, want capped at creation + 3 h = %v", expires.UTC(), created.Add(3*time.Hour))
			}
			f.clock.Advance(2 * time.Minute) // 3 h 01, used 2 minutes ago
			_, err := f.svc.Authenticate(f.ctx, tok)
			wantErr(t, err, errs.Unauthorized)
		})
	})
}

func TestSessionMaxHoldsWhenIdleIsLonger(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		t.Run("SessionMax holds even when SessionIdle is longer", func(t *testing.T) {
			f := newFixture(t, db, identity.Config{SessionIdle: 2 * time.Hour, SessionMax: time.Hour})
			u := f.user("hank@example.org", "")
			tok, _ := f.session(u.ID)
			// Used at 4 minutes: too soon to touch it, so its stored
			// expiry stays at creation + SessionIdle.
			f.clock.Advance(4 * time.Minute)
			if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
				t.Fatalf("at 4 min: %v", err)
			}
			f.clock.Advance(57 * time.Minute)
			_, err := f.svc.Authenticate(f.ctx, tok)
			wantErr(t, err, errs.Unauthorized)
		})
	})
}

func TestListAndRevokeSessions(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		u := f.user("heidi@example.org", "")
		laptop := identity.WithOrigin(context.Background(), identity.Origin{IP: "192.0.2.1", UserAgent: "Laptop", RequestID: "req-laptop"})
		phone := identity.WithOrigin(context.Background(), identity.Origin{IP: "192.0.2.2", UserAgent: "Phone"})
		tokLaptop, pLaptop := f.sessionFrom(laptop, u.ID)
		f.clock.Advance(time.Minute)
		tokPhone, pPhone := f.sessionFrom(phone, u.ID)
		mallory := f.user("mallory@example.org", "")
		_, pMallory := f.session(mallory.ID)

		t.Run("each sees their sessions with the current one marked", func(t *testing.T) {
			ss, err := f.svc.ListSessions(laptop, pLaptop)
			must(t, err)
			if len(ss) != 2 {
				t.Fatalf("%d sessions, want 2", len(ss))
			}
			// Most recent first: the phone, then the laptop (current).
			if ss[0].ID != pPhone.SessionID || ss[0].Current || ss[0].IP != "192.0.2.2" || ss[0].UserAgent != "Phone" ||
				ss[1].ID != pLaptop.SessionID || !ss[1].Current || ss[1].IP != "192.0.2.1" || ss[1].UserAgent != "Laptop" || ss[1].Method != "test" {
				t.Fatalf("sessions = %+v", ss)
			}
			if !ss[1].ExpiresAt.Equal(ss[1].CreatedAt.Add(7 * 24 * time.Hour)) {
				t.Errorf("laptop session expires %v, created %v", ss[1].ExpiresAt, ss[1].CreatedAt)
			}
		})

		t.Run("another user's session id is not found", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			for _, id := range []string{pLaptop.SessionID, "", "zz", "0011"} {
				err := f.svc.RevokeSession(f.ctx, pMallory, id)
				wantErr(t, err, errs.NotFound)
			}
			f.unchanged(before)
			if _, err := f.svc.Authenticate(laptop, tokLaptop); err != nil {
				t.Fatalf("laptop session harmed: %v", err)
			}
		})

		t.Run("revoking one's own other session ends it at once and is audited", func(t *testing.T) {
			f := f.with(t)
			if _, err := f.svc.Authenticate(phone, tokPhone); err != nil { // warm the cache
				t.Fatal(err)
			}
			must(t, f.svc.RevokeSession(laptop, pLaptop, pPhone.SessionID))
			_, err := f.svc.Authenticate(phone, tokPhone)
			wantErr(t, err, errs.Unauthorized)
			f.wantAudit("session.revoke", pLaptop, 0, pPhone.SessionID, identity.Origin{IP: "192.0.2.1", RequestID: "req-laptop"})
			if _, err := f.svc.Authenticate(laptop, tokLaptop); err != nil {
				t.Fatalf("the revoking session ended too: %v", err)
			}
		})

		t.Run("signing out everywhere ends every session and is audited", func(t *testing.T) {
			f := f.with(t)
			toks := []identity.SessionToken{tokLaptop}
			for range 2 {
				tok, _ := f.session(u.ID)
				toks = append(toks, tok)
			}
			n, err := f.svc.SignOutEverywhere(laptop, pLaptop)
			must(t, err)
			if n != 3 {
				t.Fatalf("SignOutEverywhere ended %d sessions, want 3", n)
			}
			for i, tok := range toks {
				if _, err := f.svc.Authenticate(f.ctx, tok); !errs.Is(err, errs.Unauthorized) {
					t.Errorf("session %d after sign-out everywhere: %v", i, err)
				}
			}
			e := f.wantAudit("session.revoke_all", pLaptop, 0, "heidi@example.org", identity.Origin{IP: "192.0.2.1", RequestID: "req-laptop"})
			if e.Details["sessions"] != float64(3) {
				t.Errorf("audit details = %v, want 3 sessions", e.Details)
			}
			if _, err := f.svc.ListSessions(f.ctx, pMallory); err != nil {
				t.Fatal(err)
			}
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, mallory.ID); n != 1 {
				t.Errorf("another user's sessions were touched")
			}
		})
	})
}

func TestRevocationReachesOtherReplicas(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		const ttl = 50 * time.Millisecond
		f := newFixture(t, db, identity.Config{SessionCache: ttl})
		replica := identity.NewService(db, f.outbox, quiet, identity.Config{SessionCache: ttl}) // real clock
		u := f.user("ivan@example.org", "")
		f.member(f.A, "ivan@example.org", identity.RoleAuthor)

		tok, p := f.session(u.ID)
		if _, err := replica.Authenticate(f.ctx, tok); err != nil {
			t.Fatal(err)
		}

		t.Run("a role change shows on the other replica once its cache has passed", func(t *testing.T) {
			_, err := f.svc.SetRoles(f.ctx, f.root, "AUTH-A", u.ID, []identity.Role{identity.RoleLearner})
			must(t, err)
			time.Sleep(ttl + 10*time.Millisecond)
			rp, err := replica.Authenticate(f.ctx, tok)
			must(t, err)
			if rp.Has(f.A.ID, identity.RoleAuthor) || !rp.Has(f.A.ID, identity.RoleLearner) {
				t.Fatalf("replica still sees roles %v", rolesOf(rp, f.A.ID))
			}
		})

		t.Run("sign-out everywhere ends the session here at once and there within the cache lifetime", func(t *testing.T) {
			_, err := f.svc.SignOutEverywhere(f.ctx, p)
			must(t, err)
			_, err = f.svc.Authenticate(f.ctx, tok)
			wantErr(t, err, errs.Unauthorized)
			time.Sleep(ttl + 10*time.Millisecond)
			_, err = replica.Authenticate(f.ctx, tok)
			wantErr(t, err, errs.Unauthorized)
		})
	})
}
