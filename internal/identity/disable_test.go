package identity_test

import (
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestDisableAccount(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		a := f.authority("HKCL", "HKCL")
		admin := f.member(a, "admin@hkcl.test", identity.RoleAdmin)
		root := identity.CommandLine()
		u := f.user("ravi@example.org", goodPassword)
		tok, _ := f.session(u.ID)

		t.Run("only platform administrators, never on themselves", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, err := f.svc.SetDisabled(f.ctx, admin, u.ID, true)
			wantErr(t, err, errs.Forbidden)
			_, err = f.svc.SetDisabled(f.ctx, root, root.User.ID, true)
			wantErr(t, err, errs.Conflict)
			_, err = f.svc.SetDisabled(f.ctx, root, 999999, true)
			wantErr(t, err, errs.NotFound)
			f.unchanged(before)
		})
		t.Run("a disabled account is shut out at once and audited", func(t *testing.T) {
			f := f.with(t)
			got, err := f.svc.SetDisabled(f.ctx, root, u.ID, true)
			must(t, err)
			if !got.Disabled {
				t.Fatal("not disabled")
			}
			_, err = f.svc.Authenticate(f.ctx, tok)
			wantErr(t, err, errs.Unauthorized)
			_, _, err = f.svc.SignIn(f.ctx, "ravi@example.org", goodPassword)
			wantErr(t, err, errs.Forbidden)
			if e := f.lastAudit(); e.Action != "user.disabled" || e.Target != "ravi@example.org" {
				t.Fatalf("audit = %+v", e)
			}
			n := f.auditLen()
			_, err = f.svc.SetDisabled(f.ctx, root, u.ID, true)
			must(t, err)
			if f.auditLen() != n {
				t.Fatal("disabling twice was audited twice")
			}
		})
		t.Run("re-enabled, the account signs in again", func(t *testing.T) {
			f := f.with(t)
			_, err := f.svc.SetDisabled(f.ctx, root, u.ID, false)
			must(t, err)
			if _, _, err := f.svc.SignIn(f.ctx, "ravi@example.org", goodPassword); err != nil {
				t.Fatal(err)
			}
		})
	})
}
