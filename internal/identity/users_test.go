package identity_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// dbRoles reads a user's roles in an authority straight from the table.
func (f *fixture) dbRoles(userID, authorityID int64) []identity.Role {
	f.t.Helper()
	rows, err := f.db.Query(context.Background(), `SELECT role FROM memberships WHERE user_id = $1 AND authority_id = $2 ORDER BY role`, userID, authorityID)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []identity.Role
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, identity.Role(r))
	}
	return out
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)
		adminB := f.member(f.B, "admin@b.example", identity.RoleAdmin)

		t.Run("an administrator adds a user to their authority with roles", func(t *testing.T) {
			f := f.with(t)
			before := f.auditLen()
			m, err := f.svc.CreateUser(f.ctx, adminA, "AUTH-A", identity.NewUser{Email: "  New.Person@Example.ORG ", Name: " New Person ", Locale: "hi", Roles: []identity.Role{identity.RoleGrader, identity.RoleAuthor}})
			must(t, err)
			if m.Email != "new.person@example.org" || m.Name != "New Person" || m.Locale != "hi" || m.PlatformAdmin || m.Disabled {
				t.Errorf("member = %+v", m.User)
			}
			want := []identity.Role{identity.RoleAuthor, identity.RoleGrader}
			if !slices.Equal(m.Roles, want) || !slices.Equal(f.dbRoles(m.ID, f.A.ID), want) {
				t.Errorf("roles = %v, in the table %v; want %v", m.Roles, f.dbRoles(m.ID, f.A.ID), want)
			}
			if n := f.auditLen(); n != before+1 {
				t.Errorf("audit log grew by %d, want 1", n-before)
			}
			f.wantAudit("user.create", adminA, f.A.ID, "new.person@example.org", testOrigin)
		})

		t.Run("an existing e-mail gets the roles added instead of failing", func(t *testing.T) {
			f := f.with(t)
			other, err := f.svc.CreateUser(f.ctx, adminB, "AUTH-B", identity.NewUser{Email: "shared@example.org", Name: "Shared", Roles: []identity.Role{identity.RoleLearner}})
			must(t, err)
			// Mark the stored password, to show an administrator of another
			// authority cannot overwrite it.
			f.exec(`UPDATE users SET password_hash = 'stored-hash-marker' WHERE id = $1`, other.ID)
			users := f.count(`SELECT count(*) FROM users`)

			m, err := f.svc.CreateUser(f.ctx, adminA, "AUTH-A", identity.NewUser{Email: "SHARED@example.org", Name: "Renamed", Password: "attacker chosen password", Roles: []identity.Role{identity.RoleGrader}})
			must(t, err)
			if m.ID != other.ID || !slices.Equal(m.Roles, []identity.Role{identity.RoleGrader}) {
				t.Fatalf("member = id %d roles %v; want id %d roles [grader]", m.ID, m.Roles, other.ID)
			}
			if n := f.count(`SELECT count(*) FROM users`); n != users {
				t.Errorf("users grew from %d to %d", users, n)
			}
			if got := f.dbRoles(other.ID, f.B.ID); !slices.Equal(got, []identity.Role{identity.RoleLearner}) {
				t.Errorf("roles in B = %v, want them untouched", got)
			}
			if n := f.count(`SELECT count(*) FROM users WHERE id = $1 AND password_hash = 'stored-hash-marker' AND name = 'Shared'`, other.ID); n != 1 {
				t.Errorf("the existing account's password or name was overwritten")
			}
		})

		t.Run("giving a role the user holds already changes nothing but the log", func(t *testing.T) {
			f := f.with(t)
			m, err := f.svc.CreateUser(f.ctx, adminA, "AUTH-A", identity.NewUser{Email: "new.person@example.org", Name: "X", Roles: []identity.Role{identity.RoleAuthor}})
			must(t, err)
			if want := []identity.Role{identity.RoleAuthor, identity.RoleGrader}; !slices.Equal(m.Roles, want) {
				t.Fatalf("roles = %v, want %v", m.Roles, want)
			}
		})

		for _, tc := range []struct {
			name  string
			in    identity.NewUser
			field string
		}{
			{"an unknown role", identity.NewUser{Email: "x@example.org", Name: "X", Roles: []identity.Role{"superuser"}}, "roles"},
			{"no role at all", identity.NewUser{Email: "x@example.org", Name: "X"}, "roles"},
			{"a malformed e-mail", identity.NewUser{Email: "x-at-example.org", Name: "X", Roles: []identity.Role{identity.RoleLearner}}, "email"},
			{"an empty name", identity.NewUser{Email: "x@example.org", Name: " ", Roles: []identity.Role{identity.RoleLearner}}, "name"},
			{"an unsupported locale", identity.NewUser{Email: "x@example.org", Name: "X", Locale: "fr", Roles: []identity.Role{identity.RoleLearner}}, "locale"},
			{"a short password", identity.NewUser{Email: "x@example.org", Name: "X", Password: "short", Roles: []identity.Role{identity.RoleLearner}}, "password"},
		} {
			t.Run(tc.name+" is refused on "+tc.field, func(t *testing.T) {
				f := f.with(t)
				before := f.snapshot()
				_, err := f.svc.CreateUser(f.ctx, adminA, "AUTH-A", tc.in)
				wantErr(t, err, errs.Invalid, tc.field)
				f.unchanged(before)
			})
		}
	})
}

func TestSetRoles(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)
		staff, err := f.svc.CreateUser(f.ctx, adminA, "AUTH-A", identity.NewUser{Email: "staff@a.example", Name: "Staff", Roles: []identity.Role{identity.RoleAuthor, identity.RoleGrader}})
		must(t, err)
		staffTok, staffP := f.session(staff.ID)
		if !staffP.Has(f.A.ID, identity.RoleAuthor) {
			t.Fatalf("staff principal lacks author: %+v", staffP.Memberships)
		}

		t.Run("the new roles replace the old", func(t *testing.T) {
			f := f.with(t)
			m, err := f.svc.SetRoles(f.ctx, adminA, "AUTH-A", staff.ID, []identity.Role{identity.RoleProctor, identity.RoleLearner})
			must(t, err)
			want := []identity.Role{identity.RoleLearner, identity.RoleProctor}
			if !slices.Equal(m.Roles, want) || !slices.Equal(f.dbRoles(staff.ID, f.A.ID), want) {
				t.Fatalf("roles = %v, in the table %v; want %v", m.Roles, f.dbRoles(staff.ID, f.A.ID), want)
			}
			e := f.wantAudit("user.roles", adminA, f.A.ID, "staff@a.example", testOrigin)
			if fmt.Sprint(e.Details["from"]) != "[author grader]" || fmt.Sprint(e.Details["to"]) != "[proctor learner]" {
				t.Errorf("audit details = %v", e.Details)
			}
		})

		t.Run("the change reaches the member's session at once on this replica", func(t *testing.T) {
			p, err := f.svc.Authenticate(f.ctx, staffTok)
			must(t, err)
			if got := rolesOf(p, f.A.ID); !slices.Equal(got, []identity.Role{identity.RoleLearner, identity.RoleProctor}) {
				t.Fatalf("session roles = %v, want [learner proctor]", got)
			}
		})

		t.Run("no roles removes the user from the authority", func(t *testing.T) {
			f := f.with(t)
			users := f.count(`SELECT count(*) FROM users`)
			m, err := f.svc.SetRoles(f.ctx, adminA, "AUTH-A", staff.ID, nil)
			must(t, err)
			if m.ID != staff.ID || len(m.Roles) != 0 {
				t.Fatalf("SetRoles(none) = %+v", m)
			}
			if n := f.count(`SELECT count(*) FROM memberships WHERE user_id = $1`, staff.ID); n != 0 {
				t.Fatalf("%d memberships left", n)
			}
			if n := f.count(`SELECT count(*) FROM users`); n != users {
				t.Fatalf("the account itself was removed")
			}
			_, err = f.svc.Member(f.ctx, adminA, "AUTH-A", staff.ID)
			wantErr(t, err, errs.NotFound)
			ms, _, err := f.svc.ListMembers(f.ctx, adminA, "AUTH-A", identity.Page{})
			must(t, err)
			for _, m := range ms {
				if m.ID == staff.ID {
					t.Fatalf("removed user still listed")
				}
			}
			f.wantAudit("user.roles", adminA, f.A.ID, "staff@a.example", testOrigin)
			p, err := f.svc.Authenticate(f.ctx, staffTok)
			must(t, err)
			if p.InAuthority(f.A.ID) {
				t.Fatalf("the session still belongs to A")
			}
		})

		t.Run("an administrator cannot remove their own administrator role", func(t *testing.T) {
			f := f.with(t)
			for _, roles := range [][]identity.Role{nil, {identity.RoleAuthor}} {
				before := f.snapshot()
				_, err := f.svc.SetRoles(f.ctx, adminA, "AUTH-A", adminA.User.ID, roles)
				wantErr(t, err, errs.Conflict)
				f.unchanged(before)
			}
			m, err := f.svc.SetRoles(f.ctx, adminA, "AUTH-A", adminA.User.ID, []identity.Role{identity.RoleAdmin, identity.RoleAuthor})
			must(t, err)
			if !slices.Equal(m.Roles, []identity.Role{identity.RoleAuthor, identity.RoleAdmin}) {
				t.Fatalf("roles = %v", m.Roles)
			}
		})

		t.Run("an unknown role is refused", func(t *testing.T) {
			f := f.with(t)
			learner := f.member(f.A, "learner@a.example", identity.RoleLearner)
			before := f.snapshot()
			_, err := f.svc.SetRoles(f.ctx, adminA, "AUTH-A", learner.User.ID, []identity.Role{identity.RoleLearner, "owner"})
			wantErr(t, err, errs.Invalid, "roles")
			f.unchanged(before)
		})

		t.Run("a user outside the authority is not found", func(t *testing.T) {
			f := f.with(t)
			outsider := f.member(f.B, "outsider@b.example", identity.RoleLearner)
			before := f.snapshot()
			_, err := f.svc.SetRoles(f.ctx, adminA, "AUTH-A", outsider.User.ID, []identity.Role{identity.RoleAdmin})
			wantErr(t, err, errs.NotFound)
			f.unchanged(before)
		})
	})
}

func TestListMembers(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)
		f.member(f.B, "b-only@b.example", identity.RoleLearner)
		for i := range 9 {
			roles := []identity.Role{identity.RoleLearner}
			if i%3 == 0 {
				roles = []identity.Role{identity.RoleGrader, identity.RoleAuthor, identity.RoleProctor}
			}
			f.member(f.A, fmt.Sprintf("m%d@a.example", i), roles...)
		}
		f.member(f.B, "m4@a.example", identity.RoleAdmin) // also in B

		var want []string
		rows, err := db.Query(context.Background(), `SELECT u.id, u.email, m.role FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.authority_id = $1 ORDER BY u.id, m.role`, f.A.ID)
		must(t, err)
		for rows.Next() {
			var id int64
			var email, role string
			must(t, rows.Scan(&id, &email, &role))
			if n := len(want); n > 0 && strings.HasPrefix(want[n-1], fmt.Sprintf("%d %s ", id, email)) {
				want[n-1] += "," + role
				continue
			}
			want = append(want, fmt.Sprintf("%d %s %s", id, email, role))
		}
		rows.Close()
		if len(want) != 10 {
			t.Fatalf("%d members of A in the table, want 10", len(want))
		}

		for _, limit := range []int{1, 3, 4, 10, 0} {
			t.Run(fmt.Sprintf("pages of %d list each member once with all their roles", limit), func(t *testing.T) {
				var got []string
				after := ""
				for pages := 0; pages <= len(want)+1; pages++ {
					ms, next, err := f.svc.ListMembers(f.ctx, adminA, "AUTH-A", identity.Page{After: after, Limit: limit})
					must(t, err)
					if limit > 0 && len(ms) > limit {
						t.Fatalf("page of %d, limit %d", len(ms), limit)
					}
					for _, m := range ms {
						var rs []string
						for _, r := range m.Roles {
							rs = append(rs, string(r))
						}
						got = append(got, fmt.Sprintf("%d %s %s", m.ID, m.Email, strings.Join(rs, ",")))
					}
					if next == "" {
						break
					}
					after = next
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("listed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}

		t.Run("a bad cursor is invalid", func(t *testing.T) {
			_, _, err := f.svc.ListMembers(f.ctx, adminA, "AUTH-A", identity.Page{After: "not-a-cursor"})
			wantErr(t, err, errs.Invalid, "after")
		})

		t.Run("an administrator reads one member", func(t *testing.T) {
			m, err := f.svc.Member(f.ctx, adminA, "AUTH-A", adminA.User.ID)
			must(t, err)
			if m.Email != "admin@a.example" || !slices.Equal(m.Roles, []identity.Role{identity.RoleAdmin}) {
				t.Fatalf("Member = %+v", m)
			}
		})
	})
}

// TestTenantIsolation checks that no role in authority A reaches authority
// B, and that B's existence does not leak: every operation answers as it
// would for an authority that does not exist.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		inA := map[identity.Role]*identity.Principal{}
		for _, r := range identity.Roles {
			inA[r] = f.member(f.A, string(r)+"@a.example", r)
		}
		targetA := f.member(f.A, "target@a.example", identity.RoleLearner).User.ID
		targetB := f.member(f.B, "target@b.example", identity.RoleLearner).User.ID
		target := map[string]int64{"AUTH-A": targetA, "AUTH-B": targetB, "NOPE": targetB}

		type op struct {
			name  string
			admin bool // whether only administrators may do it
			do    func(p *identity.Principal, code string) error
		}
		ops := []op{
			{"read the authority", false, func(p *identity.Principal, code string) error {
				_, err := f.svc.Authority(f.ctx, p, code)
				return err
			}},
			{"update the authority", true, func(p *identity.Principal, code string) error {
				_, err := f.svc.UpdateAuthority(f.ctx, p, code, identity.NewAuthority{Name: "Taken over"})
				return err
			}},
			{"create a user", true, func(p *identity.Principal, code string) error {
				_, err := f.svc.CreateUser(f.ctx, p, code, identity.NewUser{Email: "intruder@example.org", Name: "Intruder", Roles: []identity.Role{identity.RoleAdmin}})
				return err
			}},
			{"set a member's roles", true, func(p *identity.Principal, code string) error {
				_, err := f.svc.SetRoles(f.ctx, p, code, target[code], []identity.Role{identity.RoleAdmin})
				return err
			}},
			{"read a member", true, func(p *identity.Principal, code string) error {
				_, err := f.svc.Member(f.ctx, p, code, target[code])
				return err
			}},
			{"list members", true, func(p *identity.Principal, code string) error {
				_, _, err := f.svc.ListMembers(f.ctx, p, code, identity.Page{})
				return err
			}},
			{"read the audit log", true, func(p *identity.Principal, code string) error {
				_, err := f.svc.ListAudit(f.ctx, p, code, identity.AuditFilter{})
				return err
			}},
			{"create an API token", false, func(p *identity.Principal, code string) error {
				_, _, err := f.svc.CreateToken(f.ctx, p, identity.NewToken{Name: "probe", Authority: code, Role: p.Memberships[0].Role})
				return err
			}},
		}

		for _, r := range identity.Roles {
			p := inA[r]
			for _, o := range ops {
				t.Run(fmt.Sprintf("the %s of A cannot %s of B: not found", r, o.name), func(t *testing.T) {
					f := f.with(t)
					before := f.snapshot()
					errB := o.do(p, "AUTH-B")
					wantErr(t, errB, errs.NotFound)
					f.unchanged(before)
					// Indistinguishable from an authority that does not exist.
					errNone := o.do(p, "NOPE")
					wantErr(t, errNone, errs.NotFound)
					if got, want := strings.ReplaceAll(errB.Error(), "AUTH-B", "NOPE"), errNone.Error(); got != want {
						t.Errorf("B's error %q differs from a missing authority's %q", got, want)
					}
					f.unchanged(before)
				})
			}
		}

		for _, r := range identity.Roles[1:] {
			p := inA[r]
			for _, o := range ops {
				if !o.admin {
					continue
				}
				t.Run(fmt.Sprintf("the %s of A cannot %s of A: forbidden", r, o.name), func(t *testing.T) {
					f := f.with(t)
					before := f.snapshot()
					wantErr(t, o.do(p, "AUTH-A"), errs.Forbidden)
					f.unchanged(before)
				})
			}
		}

		// The same operations succeed for those allowed, so the refusals
		// above are about tenancy and role, not a broken operation.
		for _, o := range ops {
			t.Run(fmt.Sprintf("the administrator of A can %s of A", o.name), func(t *testing.T) {
				must(t, o.do(inA[identity.RoleAdmin], "AUTH-A"))
			})
		}
		t.Run("the platform administrator can read and list B", func(t *testing.T) {
			for _, o := range ops {
				if o.name == "create an API token" {
					continue // they hold no role in B (see TestCreateToken)
				}
				if err := o.do(f.root, "AUTH-B"); err != nil {
					t.Errorf("platform administrator cannot %s of B: %v", o.name, err)
				}
			}
		})
	})
}
