package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestSignUp(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{AllowSignUp: true})
		t.Run("is refused when sign-up is closed", func(t *testing.T) {
			f := f.with(t)
			closed := identity.NewService(db, f.outbox, quiet, identity.Config{AllowSignUp: false})
			before := f.snapshot()
			_, err := closed.SignUp(f.ctx, identity.NewUser{Email: "new@example.org", Name: "New", Password: goodPassword})
			wantErr(t, err, errs.Forbidden)
			f.unchanged(before)
		})

		t.Run("creates a plain account with a lower-case e-mail, granting nothing", func(t *testing.T) {
			f := f.with(t)
			u, err := f.svc.SignUp(f.ctx, identity.NewUser{Email: "  New.Learner@Example.ORG ", Name: "New Learner", Password: goodPassword, Roles: []identity.Role{identity.RoleAdmin}})
			must(t, err)
			if u.Email != "new.learner@example.org" || u.PlatformAdmin || u.Locale != "en" {
				t.Fatalf("SignUp = %+v", u)
			}
			if n := f.count(`SELECT count(*) FROM memberships WHERE user_id = $1`, u.ID); n != 0 {
				t.Fatalf("sign-up granted %d roles", n)
			}
			if n := f.count(`SELECT count(*) FROM users WHERE id = $1 AND password_hash LIKE '$argon2id$%'`, u.ID); n != 1 {
				t.Fatalf("no argon2id hash stored")
			}
			f.wantAudit("user.signup", &identity.Principal{User: *u}, 0, u.Email, testOrigin)
		})

		t.Run("a taken e-mail conflicts, whatever its case", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, err := f.svc.SignUp(f.ctx, identity.NewUser{Email: "NEW.LEARNER@example.org", Name: "Again", Password: goodPassword})
			wantErr(t, err, errs.Conflict, "email")
			f.unchanged(before)
		})

		for i, tc := range []struct {
			name     string
			password string
			ok       bool
		}{
			{"an empty password is refused", "", false},
			{"nine characters are too few", "abcdefghi", false},
			{"nine Devanagari letters (27 bytes) are too few", strings.Repeat("क", 9), false},
			{"257 bytes are too many", strings.Repeat("a", 257), false},
			{"text that is not UTF-8 is refused", "abcdefghijk\xff", false},
			{"ten characters are enough", "abcdefghij", true},
			{"ten Devanagari letters are enough", strings.Repeat("क", 10), true},
			{"256 bytes are allowed", strings.Repeat("a", 256), true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := f.with(t)
				before := f.snapshot()
				_, err := f.svc.SignUp(f.ctx, identity.NewUser{Email: fmt.Sprintf("pw%d@example.org", i), Name: "Password Rules", Password: tc.password})
				if tc.ok {
					must(t, err)
					return
				}
				wantErr(t, err, errs.Invalid, "password")
				f.unchanged(before)
			})
		}

		t.Run("a bad e-mail and name are refused field by field", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, err := f.svc.SignUp(f.ctx, identity.NewUser{Email: "nobody", Name: "", Password: goodPassword})
			wantErr(t, err, errs.Invalid, "email", "name")
			f.unchanged(before)
		})
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		alice := f.user("alice@example.org", goodPassword)
		f.member(f.A, "alice@example.org", identity.RoleAuthor)
		ctx := identity.WithOrigin(context.Background(), identity.Origin{IP: "203.0.113.20", UserAgent: "Firefox/140", RequestID: "req-signin"})

		t.Run("the right password starts a session that Authenticate accepts", func(t *testing.T) {
			f := f.with(t)
			tok, u, err := f.svc.SignIn(ctx, " ALICE@Example.org ", goodPassword)
			must(t, err)
			if u.ID != alice.ID || tok == "" {
				t.Fatalf("SignIn = %q, %+v", tok, u)
			}
			p, err := f.svc.Authenticate(ctx, tok)
			must(t, err)
			if p.User.ID != alice.ID || p.SessionID == "" || p.TokenID != 0 || !p.Has(f.A.ID, identity.RoleAuthor) {
				t.Fatalf("principal = %+v", p)
			}
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1 AND ip = '203.0.113.20' AND user_agent = 'Firefox/140' AND method = 'password'`, alice.ID); n != 1 {
				t.Fatalf("%d matching session rows, want 1", n)
			}
			if n := f.count(`SELECT count(*) FROM sessions WHERE token_hash = $1`, []byte(tok)); n != 0 {
				t.Fatalf("the session token is stored in the clear")
			}
		})

		t.Run("a wrong password and an unknown e-mail get the same answer", func(t *testing.T) {
			f := f.with(t)
			sessions := f.count(`SELECT count(*) FROM sessions`)
			_, _, errWrong := f.svc.SignIn(ctx, "alice@example.org", "wrong password!")
			_, _, errUnknown := f.svc.SignIn(ctx, "nobody@example.org", goodPassword)
			wantErr(t, errWrong, errs.Unauthorized)
			wantErr(t, errUnknown, errs.Unauthorized)
			if errWrong.Error() != errUnknown.Error() {
				t.Fatalf("wrong password: %q; unknown e-mail: %q; want the same", errWrong, errUnknown)
			}
			if n := f.count(`SELECT count(*) FROM sessions`); n != sessions {
				t.Fatalf("a failed sign-in started a session")
			}
		})

		t.Run("an empty e-mail or password is invalid", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, _, err := f.svc.SignIn(ctx, "", "")
			wantErr(t, err, errs.Invalid, "email", "password")
			f.unchanged(before)
		})

		t.Run("an over-long password is refused without a lookup", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, _, err := f.svc.SignIn(ctx, "alice@example.org", strings.Repeat("p", 257))
			wantErr(t, err, errs.Unauthorized)
			f.unchanged(before)
		})

		t.Run("a disabled account cannot sign in", func(t *testing.T) {
			f := f.with(t)
			bob := f.user("bob@example.org", goodPassword)
			f.exec(`UPDATE users SET disabled = TRUE WHERE id = $1`, bob.ID)
			sessions := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, bob.ID)
			_, _, err := f.svc.SignIn(ctx, "bob@example.org", goodPassword)
			wantErr(t, err, errs.Forbidden)
			// A wrong password says nothing about the account's state.
			_, _, err = f.svc.SignIn(ctx, "bob@example.org", "wrong password!")
			if e := wantErr(t, err, errs.Unauthorized); e.Message != "wrong e-mail or password" {
				t.Errorf("message = %q", e.Message)
			}
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, bob.ID); n != sessions {
				t.Fatalf("a disabled account got a session")
			}
			// No other way in starts a session either.
			_, err = f.svc.StartSessionFor(ctx, bob.ID, "test")
			wantErr(t, err, errs.Forbidden)
			// Sessions from before it was disabled end once no cache vouches for them.
			f.exec(`UPDATE users SET disabled = FALSE WHERE id = $1`, bob.ID)
			tok, err := f.svc.StartSessionFor(ctx, bob.ID, "test")
			must(t, err)
			f.exec(`UPDATE users SET disabled = TRUE WHERE id = $1`, bob.ID)
			replica := identity.NewService(db, f.outbox, quiet, identity.Config{})
			_, err = replica.Authenticate(ctx, tok)
			wantErr(t, err, errs.Unauthorized)
		})
	})
}

func TestSignInLocksAnAccount(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		u := f.user("carol@example.org", goodPassword)
		ctx := identity.WithOrigin(context.Background(), identity.Origin{IP: "203.0.113.30", RequestID: "req-lock"})

		for i := 1; i <= 5; i++ {
			_, _, err := f.svc.SignIn(ctx, "carol@example.org", fmt.Sprintf("wrong password %d", i))
			wantErr(t, err, errs.Unauthorized)
			want := int64(0)
			if i == 5 {
				want = 1
			}
			if locks := f.count(`SELECT count(*) FROM audit_log WHERE action = 'signin.locked'`); locks != want {
				t.Fatalf("after %d failures, %d lock entries in the audit log, want %d", i, locks, want)
			}
		}
		e := f.wantAudit("signin.locked", nil, 0, "account:carol@example.org", identity.Origin{IP: "203.0.113.30", RequestID: "req-lock"})
		if e.Details["failures"] != float64(5) || e.Details["locked_seconds"] != float64(30) {
			t.Errorf("lock details = %v, want 5 failures and 30 s", e.Details)
		}

		t.Run("even the right password is refused while locked, with a time to retry", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			for _, pw := range []string{goodPassword, "still wrong"} {
				_, _, err := f.svc.SignIn(ctx, "CAROL@example.org", pw)
				e := wantErr(t, err, errs.TooMany)
				if e.RetryAfter != 30 || !strings.Contains(e.Message, "try again in 30 s") {
					t.Fatalf("RetryAfter %d, message %q; want 30 s", e.RetryAfter, e.Message)
				}
			}
			// Refused before any work: no failure counted, no session.
			f.unchanged(before)
			f.clock.Advance(20 * time.Second)
			_, _, err := f.svc.SignIn(ctx, "carol@example.org", goodPassword)
			if e := wantErr(t, err, errs.TooMany); e.RetryAfter != 10 {
				t.Fatalf("RetryAfter = %d after 20 s, want 10", e.RetryAfter)
			}
		})

		t.Run("another failure after the lock ends doubles it", func(t *testing.T) {
			f.clock.Advance(11 * time.Second)
			_, _, err := f.svc.SignIn(ctx, "carol@example.org", "wrong again")
			wantErr(t, err, errs.Unauthorized)
			_, _, err = f.svc.SignIn(ctx, "carol@example.org", goodPassword)
			if e := wantErr(t, err, errs.TooMany); e.RetryAfter != 60 {
				t.Fatalf("RetryAfter = %d, want 60", e.RetryAfter)
			}
		})

		t.Run("once the lock has passed the right password works and clears the count", func(t *testing.T) {
			f := f.with(t)
			f.clock.Advance(61 * time.Second)
			tok, _, err := f.svc.SignIn(ctx, "carol@example.org", goodPassword)
			must(t, err)
			if _, err := f.svc.Authenticate(ctx, tok); err != nil {
				t.Fatal(err)
			}
			if n := f.count(`SELECT count(*) FROM login_failures WHERE key = 'account:carol@example.org'`); n != 0 {
				t.Fatalf("failure count not cleared")
			}
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 1 {
				t.Fatalf("%d sessions, want 1", n)
			}
		})
	})
}

func TestSignInLocksAnAddress(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		f.user("dave@example.org", goodPassword)
		attacker := identity.WithOrigin(context.Background(), identity.Origin{IP: "203.0.113.66", RequestID: "req-spray"})
		neighbour := identity.WithOrigin(context.Background(), identity.Origin{IP: "203.0.113.67"})

		// 50 failures spread over 50 accounts, none of them locked: unknown
		// e-mails still cost an argon2id hash, so two workers share them.
		var wg sync.WaitGroup
		errc := make(chan error, 50)
		for w := range 2 {
			wg.Go(func() {
				for i := w; i < 50; i += 2 {
					_, _, err := f.svc.SignIn(attacker, fmt.Sprintf("victim%02d@example.org", i), "guessed password")
					if !errs.Is(err, errs.Unauthorized) {
						errc <- fmt.Errorf("attempt %d: %v, want unauthorized", i, err)
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		if t.Failed() {
			t.FailNow()
		}
		if n := f.count(`SELECT count(*) FROM audit_log WHERE action = 'signin.locked'`); n != 1 {
			t.Fatalf("%d lock entries, want the address's alone", n)
		}
		f.wantAudit("signin.locked", nil, 0, "ip:203.0.113.66", identity.Origin{IP: "203.0.113.66", RequestID: "req-spray"})

		t.Run("the address is locked for every account, the right password too", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, _, err := f.svc.SignIn(attacker, "dave@example.org", goodPassword)
			e := wantErr(t, err, errs.TooMany)
			if e.RetryAfter != 300 || !strings.Contains(e.Message, "your network address") || !strings.Contains(e.Message, "try again in") {
				t.Fatalf("RetryAfter %d, message %q", e.RetryAfter, e.Message)
			}
			f.unchanged(before)
		})

		t.Run("another address is not affected", func(t *testing.T) {
			_, _, err := f.svc.SignIn(neighbour, "dave@example.org", goodPassword)
			must(t, err)
		})

		t.Run("the lock ends after five minutes", func(t *testing.T) {
			f.clock.Advance(5*time.Minute + time.Second)
			_, _, err := f.svc.SignIn(attacker, "dave@example.org", goodPassword)
			must(t, err)
		})
	})
}
