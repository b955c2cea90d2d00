package identity_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestCreateAuthority(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})

		t.Run("a platform administrator creates one, normalised and audited", func(t *testing.T) {
			f := f.with(t)
			before := f.auditLen()
			a, err := f.svc.CreateAuthority(f.ctx, f.root, identity.NewAuthority{Code: " cbse ", Name: "  Central Board  ", ContactEmail: " Office@CBSE.Example ", ContactPhone: " +91 (11) 2345-6789 "})
			must(t, err)
			want := identity.Authority{ID: a.ID, Code: "CBSE", Name: "Central Board", ContactEmail: "office@cbse.example", ContactPhone: "+91 (11) 2345-6789", CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
			if *a != want {
				t.Fatalf("CreateAuthority = %+v, want %+v", *a, want)
			}
			got, err := f.svc.Authority(f.ctx, f.root, "cbse")
			must(t, err)
			if !got.CreatedAt.Equal(want.CreatedAt) || got.Code != want.Code || got.Name != want.Name || got.ContactEmail != want.ContactEmail || got.ContactPhone != want.ContactPhone {
				t.Fatalf("stored authority = %+v, want %+v", *got, want)
			}
			if n := f.auditLen(); n != before+1 {
				t.Fatalf("audit log grew by %d, want 1", n-before)
			}
			e := f.wantAudit("authority.create", f.root, a.ID, "CBSE", testOrigin)
			if e.Details["name"] != "Central Board" {
				t.Errorf("audit details = %v, want the name", e.Details)
			}
		})

		t.Run("nobody else may create one", func(t *testing.T) {
			f := f.with(t)
			adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)
			learner := f.member(f.A, "learner@a.example", identity.RoleLearner)
			_, loner := f.session(f.user("loner@example.org", "").ID)
			for _, c := range []struct {
				who string
				p   *identity.Principal
			}{{"an authority administrator", adminA}, {"a learner", learner}, {"a user with no role", loner}, {"an anonymous caller", nil}} {
				before := f.snapshot()
				_, err := f.svc.CreateAuthority(f.ctx, c.p, identity.NewAuthority{Code: "ROGUE", Name: "Rogue"})
				if !errs.Is(err, errs.Forbidden) {
					t.Errorf("%s: CreateAuthority error = %v, want forbidden", c.who, err)
				}
				f.unchanged(before)
			}
		})

		t.Run("a duplicate code conflicts, whatever its case", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, err := f.svc.CreateAuthority(f.ctx, f.root, identity.NewAuthority{Code: "auth-a", Name: "Another A"})
			wantErr(t, err, errs.Conflict, "code")
			f.unchanged(before)
		})
	})
}

func TestAuthorityValidation(t *testing.T) {
	t.Parallel()
	valid := identity.NewAuthority{Code: "OK-1", Name: "Fine Board", ContactEmail: "office@board.example", ContactPhone: "+91 11 2345 6789"}
	with := func(change func(a *identity.NewAuthority)) identity.NewAuthority {
		a := valid
		change(&a)
		return a
	}
	bad := []struct {
		name  string
		in    identity.NewAuthority
		field string
	}{
		{"an empty code", with(func(a *identity.NewAuthority) { a.Code = "" }), "code"},
		{"a one-character code", with(func(a *identity.NewAuthority) { a.Code = "A" }), "code"},
		{"a code of 21 characters", with(func(a *identity.NewAuthority) { a.Code = strings.Repeat("A", 21) }), "code"},
		{"a code starting with a dash", with(func(a *identity.NewAuthority) { a.Code = "-AB" }), "code"},
		{"a code with a space inside", with(func(a *identity.NewAuthority) { a.Code = "A B" }), "code"},
		{"a code with a non-ASCII letter", with(func(a *identity.NewAuthority) { a.Code = "ÄB" }), "code"},
		{"an empty name", with(func(a *identity.NewAuthority) { a.Name = "" }), "name"},
		{"a name of spaces", with(func(a *identity.NewAuthority) { a.Name = "   " }), "name"},
		{"a name of 201 characters", with(func(a *identity.NewAuthority) { a.Name = strings.Repeat("न", 201) }), "name"},
		{"a name with a control character", with(func(a *identity.NewAuthority) { a.Name = "Fine\x00Board" }), "name"},
		{"a name that is not UTF-8", with(func(a *identity.NewAuthority) { a.Name = "Board \xff" }), "name"},
		{"a contact e-mail without @", with(func(a *identity.NewAuthority) { a.ContactEmail = "office" }), "contact_email"},
		{"a contact e-mail with a display name", with(func(a *identity.NewAuthority) { a.ContactEmail = "Office <office@board.example>" }), "contact_email"},
		{"a contact e-mail of two addresses", with(func(a *identity.NewAuthority) { a.ContactEmail = "a@b.example, c@d.example" }), "contact_email"},
		{"a phone number with letters", with(func(a *identity.NewAuthority) { a.ContactPhone = "call the office" }), "contact_phone"},
		{"a phone number of 33 characters", with(func(a *identity.NewAuthority) { a.ContactPhone = strings.Repeat("1", 33) }), "contact_phone"},
	}
	good := []struct {
		name string
		in   identity.NewAuthority
	}{
		{"a two-character code", with(func(a *identity.NewAuthority) { a.Code = "K2" })},
		{"a 20-character code with - and _", with(func(a *identity.NewAuthority) { a.Code = "B-2_" + strings.Repeat("X", 16) })},
		{"a name of 200 Devanagari letters", with(func(a *identity.NewAuthority) { a.Code = "DEVA"; a.Name = strings.Repeat("न", 200) })},
		{"no contacts at all", with(func(a *identity.NewAuthority) { a.Code = "NOCONTACT"; a.ContactEmail = ""; a.ContactPhone = "" })},
	}
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		for _, tc := range bad {
			t.Run(tc.name+" is refused on "+tc.field, func(t *testing.T) {
				f := f.with(t)
				before := f.snapshot()
				_, err := f.svc.CreateAuthority(f.ctx, f.root, tc.in)
				wantErr(t, err, errs.Invalid, tc.field)
				f.unchanged(before)
				// An update checks the same rules (the code aside, which
				// an update keeps).
				if tc.field != "code" {
					_, err := f.svc.UpdateAuthority(f.ctx, f.root, f.A.Code, tc.in)
					wantErr(t, err, errs.Invalid, tc.field)
					f.unchanged(before)
				}
			})
		}
		for _, tc := range good {
			t.Run(tc.name+" is accepted", func(t *testing.T) {
				f := f.with(t)
				a, err := f.svc.CreateAuthority(f.ctx, f.root, tc.in)
				must(t, err)
				if a.Code != tc.in.Code || a.Name != tc.in.Name {
					t.Fatalf("created %q %q, want %q %q", a.Code, a.Name, tc.in.Code, tc.in.Name)
				}
			})
		}
	})
}

func TestUpdateAuthority(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)

		t.Run("an authority administrator changes name and contacts but not the code", func(t *testing.T) {
			f := f.with(t)
			f.clock.Advance(time.Hour)
			ctx := identity.WithOrigin(context.Background(), identity.Origin{IP: "192.0.2.10", RequestID: "req-update"})
			a, err := f.svc.UpdateAuthority(ctx, adminA, "auth-a", identity.NewAuthority{Code: "HIJACK", Name: " Renamed A ", ContactEmail: "Desk@A.Example", ContactPhone: "011 555"})
			must(t, err)
			if a.ID != f.A.ID || a.Code != "AUTH-A" || a.Name != "Renamed A" || a.ContactEmail != "desk@a.example" || a.ContactPhone != "011 555" {
				t.Fatalf("UpdateAuthority = %+v", *a)
			}
			if !a.UpdatedAt.Equal(f.clock.Now()) || !a.CreatedAt.Equal(f.A.CreatedAt) {
				t.Errorf("times = created %v updated %v, want created %v updated %v", a.CreatedAt, a.UpdatedAt, f.A.CreatedAt, f.clock.Now())
			}
			if n := f.count(`SELECT count(*) FROM authorities WHERE code = 'HIJACK'`); n != 0 {
				t.Errorf("an authority HIJACK exists: the code was changed")
			}
			f.wantAudit("authority.update", adminA, f.A.ID, "AUTH-A", identity.Origin{IP: "192.0.2.10", RequestID: "req-update"})
		})

		t.Run("a platform administrator may update any authority", func(t *testing.T) {
			a, err := f.svc.UpdateAuthority(f.ctx, f.root, "AUTH-B", identity.NewAuthority{Name: "Renamed B"})
			must(t, err)
			if a.Name != "Renamed B" {
				t.Fatalf("name = %q", a.Name)
			}
		})

		t.Run("an unknown authority is not found", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, err := f.svc.UpdateAuthority(f.ctx, f.root, "NOPE", identity.NewAuthority{Name: "X"})
			wantErr(t, err, errs.NotFound)
			f.unchanged(before)
		})
	})
}

func TestListAuthorities(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		c := f.authority("AUTH-C", "Authority C")
		codes := func(as []identity.Authority) []string {
			var out []string
			for _, a := range as {
				out = append(out, a.Code)
			}
			return out
		}
		list := func(t *testing.T, p *identity.Principal, pg identity.Page) ([]string, string) {
			t.Helper()
			as, next, err := f.svc.ListAuthorities(f.ctx, p, pg)
			must(t, err)
			return codes(as), next
		}
		learnerA := f.member(f.A, "learner@a.example", identity.RoleLearner)
		both := f.member(f.A, "both@example.org", identity.RoleAuthor)
		f.member(c, "both@example.org", identity.RoleGrader)
		_, both = f.session(both.User.ID) // a fresh session sees the new role
		_, loner := f.session(f.user("loner@example.org", "").ID)

		for _, tc := range []struct {
			name string
			p    *identity.Principal
			want []string
		}{
			{"a platform administrator sees every authority", f.root, []string{"AUTH-A", "AUTH-B", "AUTH-C"}},
			{"a learner of A sees only A", learnerA, []string{"AUTH-A"}},
			{"a member of A and C sees A and C", both, []string{"AUTH-A", "AUTH-C"}},
			{"a user with no role sees none", loner, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, next := list(t, tc.p, identity.Page{})
				if fmt.Sprint(got) != fmt.Sprint(tc.want) || next != "" {
					t.Fatalf("ListAuthorities = %v, next %q; want %v, no next", got, next, tc.want)
				}
			})
		}

		t.Run("a member pages through their authorities one at a time", func(t *testing.T) {
			var got []string
			after := ""
			for range 4 {
				page, next := list(t, both, identity.Page{After: after, Limit: 1})
				got = append(got, page...)
				if next == "" {
					break
				}
				after = next
			}
			if fmt.Sprint(got) != "[AUTH-A AUTH-C]" {
				t.Fatalf("pages gave %v, want [AUTH-A AUTH-C]", got)
			}
		})

		t.Run("an API token for C sees only C, a page at a time too", func(t *testing.T) {
			f := f.with(t)
			// Its owner belongs to A, B and C, so a page of one that was
			// filtered after the query would come back empty.
			f.member(f.A, "tokens@example.org", identity.RoleLearner)
			f.member(f.B, "tokens@example.org", identity.RoleLearner)
			owner := f.member(c, "tokens@example.org", identity.RoleGrader)
			_, secret, err := f.svc.CreateToken(f.ctx, owner, identity.NewToken{Name: "c", Authority: "AUTH-C", Role: identity.RoleGrader})
			must(t, err)
			tp, err := f.svc.AuthenticateToken(f.ctx, secret)
			must(t, err)
			for _, limit := range []int{0, 1} {
				got, next := list(t, tp, identity.Page{Limit: limit})
				if fmt.Sprint(got) != "[AUTH-C]" || next != "" {
					t.Errorf("limit %d: ListAuthorities(token) = %v, next %q; want [AUTH-C]", limit, got, next)
				}
			}
		})

		t.Run("an anonymous caller is unauthorized", func(t *testing.T) {
			_, _, err := f.svc.ListAuthorities(f.ctx, nil, identity.Page{})
			wantErr(t, err, errs.Unauthorized)
		})
	})
}

func TestListAuthoritiesPaginates(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		// Codes in reverse order of creation, so an engine that listed by
		// code would show up.
		for i := 120; i > 0; i-- {
			f.authority(fmt.Sprintf("P%03d", i), fmt.Sprintf("Programme %d", i))
		}
		var want []int64
		rows, err := db.Query(context.Background(), `SELECT id FROM authorities ORDER BY id`)
		must(t, err)
		for rows.Next() {
			var id int64
			must(t, rows.Scan(&id))
			want = append(want, id)
		}
		rows.Close()
		if len(want) != 122 {
			t.Fatalf("%d authorities in the table, want 122", len(want))
		}

		for _, limit := range []int{0, 7, 50, 500} {
			t.Run(fmt.Sprintf("pages of %d return each authority once, in order", limit), func(t *testing.T) {
				wantPage := limit
				switch {
				case limit == 0:
					wantPage = 50 // the default
				case limit > 200:
					wantPage = 200 // the cap
				}
				var got []int64
				after := ""
				for pages := 0; ; pages++ {
					if pages > 200 {
						t.Fatalf("no end after %d pages", pages)
					}
					as, next, err := f.svc.ListAuthorities(f.ctx, f.root, identity.Page{After: after, Limit: limit})
					must(t, err)
					if len(as) > wantPage {
						t.Fatalf("page of %d, want at most %d", len(as), wantPage)
					}
					if next != "" && len(as) != wantPage {
						t.Fatalf("a page of %d before the end, want %d", len(as), wantPage)
					}
					for _, a := range as {
						got = append(got, a.ID)
					}
					if next == "" {
						break
					}
					after = next
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("ids listed = %v\nwant %v", got, want)
				}
			})
		}

		for _, cursor := range []string{"zz", "-1", "0", "00ff", "ff ", " ff", "7fffffffffffffffff", "FF"} {
			t.Run(fmt.Sprintf("the cursor %q is invalid", cursor), func(t *testing.T) {
				_, _, err := f.svc.ListAuthorities(f.ctx, f.root, identity.Page{After: cursor})
				wantErr(t, err, errs.Invalid, "after")
			})
		}
	})
}
