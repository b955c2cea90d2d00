package identity_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

var resetLinkRE = regexp.MustCompile(`https://vidya\.example\.org/reset-password\?token=([a-z2-7]+)\n`)

// resetToken requests a reset for email and returns the token from the
// e-mail it queued.
func (f *fixture) resetToken(email string) string {
	f.t.Helper()
	before, err := f.outbox.List(context.Background(), 0, 1)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.svc.RequestPasswordReset(f.ctx, email); err != nil {
		f.t.Fatalf("RequestPasswordReset(%s): %v", email, err)
	}
	msgs, err := f.outbox.List(context.Background(), 0, 1)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(msgs) == 0 || (len(before) > 0 && msgs[0].ID == before[0].ID) {
		f.t.Fatalf("no e-mail queued for %s", email)
	}
	m := msgs[0]
	if m.To != strings.ToLower(strings.TrimSpace(email)) || m.Subject != "Reset your Vidya password" {
		f.t.Fatalf("e-mail to %q, subject %q", m.To, m.Subject)
	}
	match := resetLinkRE.FindStringSubmatch(m.Body)
	if match == nil {
		f.t.Fatalf("no reset link in the e-mail:\n%s", m.Body)
	}
	return match[1]
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	const newPassword = "a brand new password"
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		u := f.user("leo@example.org", goodPassword)
		ctx := f.ctx

		t.Run("an unknown e-mail gets the same answer and nothing is sent", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			must(t, f.svc.RequestPasswordReset(ctx, "nobody@example.org"))
			f.unchanged(before)
		})

		t.Run("a malformed e-mail is invalid", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			wantErr(t, f.svc.RequestPasswordReset(ctx, "leo"), errs.Invalid, "email")
			f.unchanged(before)
		})

		t.Run("a disabled account is sent nothing", func(t *testing.T) {
			f := f.with(t)
			off := f.user("off@example.org", "")
			f.exec(`UPDATE users SET disabled = TRUE WHERE id = $1`, off.ID)
			before := f.snapshot()
			must(t, f.svc.RequestPasswordReset(ctx, "off@example.org"))
			f.unchanged(before)
		})

		t.Run("the link works once, ends every session and clears the lock", func(t *testing.T) {
			f := f.with(t)
			sessionTok, _ := f.session(u.ID)
			// Lock the account as five failures would.
			now := f.clock.Now()
			f.exec(`INSERT INTO login_failures (key, window_start, failures, locked_until) VALUES ($1, $2, 5, $3)`, "account:leo@example.org", now, now.Add(10*time.Minute))
			_, _, err := f.svc.SignIn(ctx, "leo@example.org", goodPassword)
			wantErr(t, err, errs.TooMany)

			token := f.resetToken(" Leo@Example.org ")
			f.wantAudit("user.password_reset_requested", &identity.Principal{User: *u}, 0, "leo@example.org", testOrigin)
			if n := f.count(`SELECT count(*) FROM password_resets WHERE token_hash = $1`, []byte(token)); n != 0 {
				t.Fatalf("the reset token is stored in the clear")
			}

			must(t, f.svc.ResetPassword(ctx, token, newPassword))
			f.wantAudit("user.password_reset", &identity.Principal{User: *u}, 0, "leo@example.org", testOrigin)
			_, err = f.svc.Authenticate(ctx, sessionTok)
			wantErr(t, err, errs.Unauthorized)
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 0 {
				t.Fatalf("%d sessions survived the reset", n)
			}
			if n := f.count(`SELECT count(*) FROM login_failures WHERE key = 'account:leo@example.org'`); n != 0 {
				t.Fatalf("the lock survived the reset")
			}
			if _, _, err := f.svc.SignIn(ctx, "leo@example.org", newPassword); err != nil {
				t.Fatalf("sign-in with the new password: %v", err)
			}

			before := f.snapshot()
			err = f.svc.ResetPassword(ctx, token, "yet another password")
			wantErr(t, err, errs.Invalid, "token")
			f.unchanged(before)
		})

		t.Run("a too-short new password leaves the link usable", func(t *testing.T) {
			f := f.with(t)
			token := f.resetToken("leo@example.org")
			before := f.snapshot()
			wantErr(t, f.svc.ResetPassword(ctx, token, "short"), errs.Invalid, "password")
			f.unchanged(before)
			must(t, f.svc.ResetPassword(ctx, token, goodPassword))
		})

		t.Run("an expired link is refused", func(t *testing.T) {
			f := f.with(t)
			token := f.resetToken("leo@example.org")
			f.clock.Advance(time.Hour + time.Second)
			before := f.snapshot()
			wantErr(t, f.svc.ResetPassword(ctx, token, newPassword), errs.Invalid, "token")
			f.unchanged(before)
		})

		t.Run("a new request voids the older link", func(t *testing.T) {
			f := f.with(t)
			older := f.resetToken("leo@example.org")
			newer := f.resetToken("leo@example.org")
			before := f.snapshot()
			wantErr(t, f.svc.ResetPassword(ctx, older, newPassword), errs.Invalid, "token")
			f.unchanged(before)
			must(t, f.svc.ResetPassword(ctx, newer, newPassword))
		})

		t.Run("made-up tokens are refused", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			for _, tok := range []string{"", "abc", strings.Repeat("a", 101)} {
				wantErr(t, f.svc.ResetPassword(ctx, tok, newPassword), errs.Invalid, "token")
			}
			f.unchanged(before)
		})
	})
}

// The outbox is the Mailer the service is built with in production.
var _ identity.Mailer = (*mail.Outbox)(nil)

func TestChangePassword(t *testing.T) {
	t.Parallel()
	const newPassword = "a changed password"
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		u := f.user("mia@example.org", goodPassword)
		tok, p := f.session(u.ID)
		other, _ := f.session(u.ID)

		t.Run("a wrong current password is refused and changes nothing", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			wantErr(t, f.svc.ChangePassword(f.ctx, p, "not my password", newPassword), errs.Invalid, "current_password")
			f.unchanged(before)
		})

		t.Run("a too-short new password is refused and changes nothing", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			wantErr(t, f.svc.ChangePassword(f.ctx, p, goodPassword, "short"), errs.Invalid, "new_password")
			f.unchanged(before)
		})

		t.Run("the change ends every other session and keeps this one", func(t *testing.T) {
			f := f.with(t)
			must(t, f.svc.ChangePassword(f.ctx, p, goodPassword, newPassword))
			_, err := f.svc.Authenticate(f.ctx, other)
			wantErr(t, err, errs.Unauthorized)
			if _, err := f.svc.Authenticate(f.ctx, tok); err != nil {
				t.Fatalf("the session that changed the password ended: %v", err)
			}
			if n := f.count(`SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID); n != 1 {
				t.Fatalf("%d sessions left, want 1", n)
			}
			var hash string
			must(t, db.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE id = $1`, u.ID).Scan(&hash))
			if ok, err := identity.VerifyPassword(hash, newPassword); err != nil || !ok {
				t.Fatalf("the stored hash does not match the new password: %v, %v", ok, err)
			}
			f.wantAudit("user.password_change", p, 0, "mia@example.org", testOrigin)
		})
	})
}
