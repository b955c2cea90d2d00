package identity_test

import (
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestUpdateProfile(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		u := f.user("ira@example.org", goodPassword)
		tok, p := f.session(u.ID)

		t.Run("bad names and languages are refused and change nothing", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			for _, tc := range []struct {
				in    identity.ProfileUpdate
				field string
			}{
				{identity.ProfileUpdate{Name: "", Locale: "en"}, "name"},
				{identity.ProfileUpdate{Name: "Ira", Locale: "fr"}, "locale"},
				{identity.ProfileUpdate{Name: "a\x00b", Locale: "en"}, "name"},
			} {
				_, err := f.svc.UpdateProfile(f.ctx, p, tc.in)
				wantErr(t, err, errs.Invalid, tc.field)
			}
			_, err := f.svc.UpdateProfile(f.ctx, nil, identity.ProfileUpdate{Name: "X", Locale: "en"})
			wantErr(t, err, errs.Unauthorized)
			f.unchanged(before)
		})
		t.Run("a new name and language are saved, audited and seen at once", func(t *testing.T) {
			f := f.with(t)
			got, err := f.svc.UpdateProfile(f.ctx, p, identity.ProfileUpdate{Name: " इरा मेहता ", Locale: "hi"})
			must(t, err)
			if got.Name != "इरा मेहता" || got.Locale != "hi" {
				t.Fatalf("user = %+v", got)
			}
			f.wantAudit("user.profile", p, 0, "ira@example.org", testOrigin)
			// The cached principal is dropped, so the session sees the change.
			p2, err := f.svc.Authenticate(f.ctx, tok)
			must(t, err)
			if p2.User.Name != "इरा मेहता" || p2.User.Locale != "hi" {
				t.Fatalf("session still sees %+v", p2.User)
			}
		})
		t.Run("changing only the language is not audited", func(t *testing.T) {
			f := f.with(t)
			p2, err := f.svc.Authenticate(f.ctx, tok)
			must(t, err)
			n := f.auditLen()
			_, err = f.svc.UpdateProfile(f.ctx, p2, identity.ProfileUpdate{Name: p2.User.Name, Locale: "en"})
			must(t, err)
			if f.auditLen() != n {
				t.Fatal("a language change was audited")
			}
		})
	})
}
