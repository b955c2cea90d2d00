package identity_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// TestAuditRecordsEveryPrivilegedAction runs each privileged action from
// its own origin and checks the entry it appends.
func TestAuditRecordsEveryPrivilegedAction(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{AllowSignUp: true})
		adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)
		staff := f.member(f.A, "staff@a.example", identity.RoleAuthor)
		_, staff2 := f.session(staff.User.ID)
		var token *identity.APIToken
		var signedUp *identity.User
		var resetLink string
		const password2 = "the second password"

		type want struct {
			actor     func() *identity.Principal
			authority func() int64
			target    func() string
		}
		steps := []struct {
			action string
			do     func(ctx context.Context) error
			want   want
		}{
			{"authority.create", func(ctx context.Context) error {
				_, err := f.svc.CreateAuthority(ctx, f.root, identity.NewAuthority{Code: "AUTH-Z", Name: "Z"})
				return err
			}, want{func() *identity.Principal { return f.root }, func() int64 { return f.authorityID("AUTH-Z") }, func() string { return "AUTH-Z" }}},
			{"authority.update", func(ctx context.Context) error {
				_, err := f.svc.UpdateAuthority(ctx, adminA, "AUTH-A", identity.NewAuthority{Name: "A, renamed"})
				return err
			}, want{func() *identity.Principal { return adminA }, func() int64 { return f.A.ID }, func() string { return "AUTH-A" }}},
			{"user.create", func(ctx context.Context) error {
				_, err := f.svc.CreateUser(ctx, adminA, "AUTH-A", identity.NewUser{Email: "Hired@Example.org", Name: "Hired", Roles: []identity.Role{identity.RoleGrader}})
				return err
			}, want{func() *identity.Principal { return adminA }, func() int64 { return f.A.ID }, func() string { return "hired@example.org" }}},
			{"user.roles", func(ctx context.Context) error {
				_, err := f.svc.SetRoles(ctx, adminA, "AUTH-A", staff.User.ID, []identity.Role{identity.RoleAuthor, identity.RoleApprover})
				return err
			}, want{func() *identity.Principal { return adminA }, func() int64 { return f.A.ID }, func() string { return "staff@a.example" }}},
			{"token.create", func(ctx context.Context) (err error) {
				token, _, err = f.svc.CreateToken(ctx, staff, identity.NewToken{Name: "ci", Authority: "AUTH-A", Role: identity.RoleAuthor})
				return err
			}, want{func() *identity.Principal { return staff }, func() int64 { return f.A.ID }, func() string { return token.Prefix }}},
			{"token.revoke", func(ctx context.Context) error {
				return f.svc.RevokeToken(ctx, staff, token.ID)
			}, want{func() *identity.Principal { return staff }, func() int64 { return f.A.ID }, func() string { return token.Prefix }}},
			{"session.revoke", func(ctx context.Context) error {
				return f.svc.RevokeSession(ctx, staff, staff2.SessionID)
			}, want{func() *identity.Principal { return staff }, func() int64 { return 0 }, func() string { return staff2.SessionID }}},
			{"session.revoke_all", func(ctx context.Context) error {
				_, err := f.svc.SignOutEverywhere(ctx, staff)
				return err
			}, want{func() *identity.Principal { return staff }, func() int64 { return 0 }, func() string { return "staff@a.example" }}},
			{"user.signup", func(ctx context.Context) (err error) {
				signedUp, err = f.svc.SignUp(ctx, identity.NewUser{Email: "Self@Example.org", Name: "Self", Password: goodPassword})
				return err
			}, want{func() *identity.Principal { return &identity.Principal{User: *signedUp} }, func() int64 { return 0 }, func() string { return "self@example.org" }}},
			{"user.password_reset_requested", func(ctx context.Context) error {
				if err := f.svc.RequestPasswordReset(ctx, "self@example.org"); err != nil {
					return err
				}
				msgs, err := f.outbox.List(ctx, 0, 1)
				if err != nil || len(msgs) != 1 {
					return fmt.Errorf("outbox: %v, %v", msgs, err)
				}
				resetLink = resetLinkRE.FindStringSubmatch(msgs[0].Body)[1]
				return nil
			}, want{func() *identity.Principal { return &identity.Principal{User: *signedUp} }, func() int64 { return 0 }, func() string { return "self@example.org" }}},
			{"user.password_reset", func(ctx context.Context) error {
				return f.svc.ResetPassword(ctx, resetLink, password2)
			}, want{func() *identity.Principal { return &identity.Principal{User: *signedUp} }, func() int64 { return 0 }, func() string { return "self@example.org" }}},
			{"user.password_change", func(ctx context.Context) error {
				_, p := f.session(signedUp.ID)
				return f.svc.ChangePassword(ctx, p, password2, goodPassword)
			}, want{func() *identity.Principal { return &identity.Principal{User: *signedUp} }, func() int64 { return 0 }, func() string { return "self@example.org" }}},
		}
		for i, s := range steps {
			t.Run(s.action+" is recorded with who, where, what and from where", func(t *testing.T) {
				f := f.with(t)
				o := identity.Origin{IP: fmt.Sprintf("192.0.2.%d", 100+i), UserAgent: "audit-test", RequestID: "req-" + s.action}
				ctx := identity.WithOrigin(context.Background(), o)
				before := f.auditLen()
				// A minute's slack: this machine's wall clock has been seen to
				// step by seconds under load; the point is "now", not zero.
				start := time.Now().Add(-time.Minute)
				must(t, s.do(ctx))
				if n := f.auditLen(); n != before+1 {
					t.Fatalf("audit log grew by %d, want 1", n-before)
				}
				e := f.wantAudit(s.action, s.want.actor(), s.want.authority(), s.want.target(), o)
				if e.At.Before(start) || e.At.After(time.Now().Add(time.Minute)) {
					t.Errorf("entry time %v is not now", e.At)
				}
			})
		}
		t.Run("the whole log verifies", func(t *testing.T) {
			rep, err := f.svc.VerifyAudit(context.Background())
			must(t, err)
			if rep.BrokenAt != 0 || rep.Entries != f.auditLen() {
				t.Fatalf("VerifyAudit = %+v, want %d entries, unbroken", rep, f.auditLen())
			}
		})
	})
}

func TestListAudit(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)
		adminB := f.member(f.B, "admin@b.example", identity.RoleAdmin)
		for i := range 5 {
			f.member(f.A, fmt.Sprintf("a%d@a.example", i), identity.RoleLearner)
			f.member(f.B, fmt.Sprintf("b%d@b.example", i), identity.RoleLearner)
		}
		idsOf := func(t *testing.T, query string, args ...any) []int64 {
			rows, err := db.Query(context.Background(), query, args...)
			must(t, err)
			defer rows.Close()
			var out []int64
			for rows.Next() {
				var id int64
				must(t, rows.Scan(&id))
				out = append(out, id)
			}
			return out
		}

		for _, tc := range []struct {
			name string
			p    *identity.Principal
			code string
		}{
			{"A's administrator pages through A's entries only", adminA, "AUTH-A"},
			{"B's administrator pages through B's entries only", adminB, "AUTH-B"},
			{"a platform administrator pages through one authority's entries", f.root, "AUTH-A"},
			{"a platform administrator pages through every entry", f.root, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want := idsOf(t, `SELECT id FROM audit_log ORDER BY id DESC`)
				if tc.code != "" {
					a, err := f.svc.Authority(f.ctx, f.root, tc.code)
					must(t, err)
					want = idsOf(t, `SELECT id FROM audit_log WHERE authority_id = $1 ORDER BY id DESC`, a.ID)
				}
				if len(want) < 6 {
					t.Fatalf("only %d entries to page through", len(want))
				}
				var got []int64
				var before int64
				for pages := 0; pages < 100; pages++ {
					es, err := f.svc.ListAudit(f.ctx, tc.p, tc.code, identity.AuditFilter{Before: before, Limit: 4})
					must(t, err)
					for _, e := range es {
						got = append(got, e.ID)
					}
					if len(es) < 4 {
						break
					}
					before = es[len(es)-1].ID
				}
				if !slices.Equal(got, want) {
					t.Fatalf("listed %v, want %v", got, want)
				}
			})
		}

		t.Run("a filter by action narrows the list", func(t *testing.T) {
			es, err := f.svc.ListAudit(f.ctx, adminA, "AUTH-A", identity.AuditFilter{Action: "authority.create"})
			must(t, err)
			if len(es) != 1 || es[0].Target != "AUTH-A" {
				t.Fatalf("entries = %+v", es)
			}
		})

		t.Run("only platform administrators read the whole log", func(t *testing.T) {
			_, err := f.svc.ListAudit(f.ctx, adminA, "", identity.AuditFilter{})
			wantErr(t, err, errs.Forbidden)
			_, err = f.svc.ListAudit(f.ctx, nil, "", identity.AuditFilter{})
			wantErr(t, err, errs.Unauthorized)
		})
	})
}

// allowTampering lifts the append-only triggers, as someone with direct
// database access could.
func (f *fixture) allowTampering() {
	f.t.Helper()
	if f.db.Dialect() == database.Postgres {
		f.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
		return
	}
	f.exec(`DROP TRIGGER audit_log_no_update`)
	f.exec(`DROP TRIGGER audit_log_no_delete`)
}

func TestVerifyAudit(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		for i := range 8 {
			f.member(f.A, fmt.Sprintf("u%d@a.example", i), identity.RoleLearner)
		}
		total := f.auditLen()
		verify := func(t *testing.T) identity.AuditReport {
			t.Helper()
			rep, err := f.svc.VerifyAudit(context.Background())
			must(t, err)
			return rep
		}

		t.Run("an untouched chain verifies", func(t *testing.T) {
			if rep := verify(t); rep.BrokenAt != 0 || rep.Entries != total || rep.Reason != "" {
				t.Fatalf("VerifyAudit = %+v, want %d entries, unbroken", rep, total)
			}
		})

		t.Run("the log refuses updates and deletes", func(t *testing.T) {
			for _, q := range []string{`UPDATE audit_log SET target = 'x' WHERE id = 1`, `DELETE FROM audit_log WHERE id = 1`} {
				if _, err := db.Exec(context.Background(), q); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: error %v, want append-only", q, err)
				}
			}
		})

		f.allowTampering()
		const k = 5
		es := f.audit(identity.AuditFilter{Limit: 200})
		var orig identity.AuditEntry
		for _, e := range es {
			if e.ID == k {
				orig = e
			}
		}
		if orig.ID != k || orig.AuthorityID == 0 {
			t.Fatalf("entry %d: %+v", k, orig)
		}
		for _, tc := range []struct {
			column   string
			tampered any
			original any
		}{
			{"target", "someone-else@example.org", orig.Target},
			{"actor", "innocent@example.org", orig.Actor},
			{"action", "user.view", orig.Action},
			{"ip", "10.0.0.1", orig.IP},
			{"request_id", "req-forged", orig.RequestID},
			{"authority_id", f.B.ID, orig.AuthorityID},
			{"at", orig.At.Add(-24 * time.Hour), orig.At},
			{"details", `{"roles":["authority_admin"]}`, detailsJSON(t, db, k)},
		} {
			t.Run(fmt.Sprintf("a changed %s is reported at exactly that entry", tc.column), func(t *testing.T) {
				f := f.with(t)
				f.exec(`UPDATE audit_log SET `+tc.column+` = $1 WHERE id = $2`, tc.tampered, k)
				rep := verify(t)
				if rep.BrokenAt != k || rep.Entries != k-1 || !strings.Contains(rep.Reason, "altered") {
					t.Errorf("VerifyAudit = %+v, want broken at %d (altered)", rep, k)
				}
				// Putting it back makes the chain whole again: the hash
				// covers the entry exactly.
				f.exec(`UPDATE audit_log SET `+tc.column+` = $1 WHERE id = $2`, tc.original, k)
				if rep := verify(t); rep.BrokenAt != 0 {
					t.Fatalf("after restoring %s: %+v", tc.column, rep)
				}
			})
		}

		t.Run("a forged link is reported", func(t *testing.T) {
			f := f.with(t)
			f.exec(`UPDATE audit_log SET prev_hash = hash WHERE id = $1`, k)
			if rep := verify(t); rep.BrokenAt != k || !strings.Contains(rep.Reason, "link") {
				t.Errorf("VerifyAudit = %+v, want broken at %d (link)", rep, k)
			}
		})

		t.Run("a removed entry in the middle is reported by its id", func(t *testing.T) {
			f := f.with(t)
			f.exec(`DELETE FROM audit_log WHERE id = $1`, k)
			if rep := verify(t); rep.BrokenAt != k || !strings.Contains(rep.Reason, fmt.Sprintf("entry %d is missing", k)) {
				t.Errorf("VerifyAudit = %+v, want entry %d missing", rep, k)
			}
		})
	})
}

func (f *fixture) authorityID(code string) int64 {
	f.t.Helper()
	a, err := f.svc.Authority(context.Background(), f.root, code)
	if err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

func detailsJSON(t *testing.T, db *database.DB, id int64) string {
	t.Helper()
	var s string
	must(t, db.QueryRow(context.Background(), `SELECT details FROM audit_log WHERE id = $1`, id).Scan(&s))
	return s
}

func TestVerifyAuditDetectsATruncatedLog(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		f.member(f.A, "last@a.example", identity.RoleLearner)
		last := f.auditLen()
		f.allowTampering()
		f.exec(`DELETE FROM audit_log WHERE id = $1`, last)
		rep, err := f.svc.VerifyAudit(context.Background())
		must(t, err)
		if rep.BrokenAt != last || rep.Entries != last-1 || !strings.Contains(rep.Reason, "removed from the end") {
			t.Fatalf("VerifyAudit = %+v, want broken at %d (removed from the end)", rep, last)
		}
	})
}

func TestVerifyAuditOnAnEmptyLog(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		svc := identity.NewService(db, nil, quiet, identity.Config{})
		rep, err := svc.VerifyAudit(context.Background())
		must(t, err)
		if rep.Entries != 0 || rep.BrokenAt != 0 || rep.Head.ID != 0 || len(rep.Head.Hash) != 0 {
			t.Fatalf("VerifyAudit(empty) = %+v", rep)
		}
	})
}

func TestConcurrentAppendsKeepTheChain(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		adminA := f.member(f.A, "admin@a.example", identity.RoleAdmin)
		before := f.auditLen()
		const n = 20
		var wg sync.WaitGroup
		errc := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				code := "AUTH-A"
				if i%2 == 1 {
					code = "AUTH-B" // the platform administrator's half
				}
				p := adminA
				if code == "AUTH-B" {
					p = f.root
				}
				if _, err := f.svc.CreateUser(f.ctx, p, code, identity.NewUser{Email: fmt.Sprintf("c%02d@example.org", i), Name: "Concurrent", Roles: []identity.Role{identity.RoleLearner}}); err != nil {
					errc <- fmt.Errorf("user %d: %w", i, err)
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		total := f.auditLen()
		if total != before+n {
			t.Fatalf("audit log has %d entries, want %d", total, before+n)
		}
		var lo, hi, distinct int64
		must(t, db.QueryRow(context.Background(), `SELECT min(id), max(id), count(DISTINCT id) FROM audit_log`).Scan(&lo, &hi, &distinct))
		if lo != 1 || hi != total || distinct != total {
			t.Fatalf("ids run %d..%d with %d distinct, want 1..%d consecutive", lo, hi, distinct, total)
		}
		rep, err := f.svc.VerifyAudit(context.Background())
		must(t, err)
		if rep.BrokenAt != 0 || rep.Entries != total {
			t.Fatalf("VerifyAudit = %+v", rep)
		}
	})
}

// An anchor recorded outside the database catches what the chain alone
// cannot: the last entries deleted together with a rewritten head.
func TestAuditAnchors(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		admin := f.member(f.A, "admin@a.example", identity.RoleAdmin)
		for i := range 3 {
			f.member(f.A, fmt.Sprintf("u%d@a.example", i), identity.RoleLearner)
		}
		_ = admin
		rep, err := f.svc.VerifyAudit(f.ctx)
		must(t, err)
		anchor := rep.Head
		if anchor.ID != rep.Entries || len(anchor.Hash) != 32 {
			t.Fatalf("head = %+v after %d entries", anchor, rep.Entries)
		}
		head, err := f.svc.AuditHead(f.ctx)
		must(t, err)
		if head.String() != anchor.String() {
			t.Fatalf("AuditHead %s, VerifyAudit head %s", head, anchor)
		}
		parsed, err := identity.ParseAuditAnchor(anchor.String())
		if err != nil || parsed.String() != anchor.String() {
			t.Fatalf("anchor does not round trip: %v %v", parsed, err)
		}
		for _, bad := range []string{"", "12", "x:ab", "3:zz", "3:abcd", "-1:" + strings.Repeat("ab", 32)} {
			if _, err := identity.ParseAuditAnchor(bad); !errs.Is(err, errs.Invalid) {
				t.Errorf("ParseAuditAnchor(%q) = %v", bad, err)
			}
		}
		if rep, err := f.svc.VerifyAudit(f.ctx, anchor); err != nil || rep.BrokenAt != 0 {
			t.Fatalf("intact log against its own anchor: %+v %v", rep, err)
		}
		// Cut the last entry and rewrite the head to match: the chain alone
		// looks whole, the anchor does not.
		if db.Dialect() == database.SQLite {
			f.exec(`DROP TRIGGER audit_log_no_delete`)
		} else {
			f.exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
		}
		f.exec(`DELETE FROM audit_log WHERE id = $1`, anchor.ID)
		var prev []byte
		must(t, db.QueryRow(f.ctx, `SELECT hash FROM audit_log WHERE id = $1`, anchor.ID-1).Scan(&prev))
		f.exec(`UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1`, anchor.ID-1, prev)
		if rep, err := f.svc.VerifyAudit(f.ctx); err != nil || rep.BrokenAt != 0 {
			t.Fatalf("without an anchor the cut is invisible (the reason anchors exist): %+v %v", rep, err)
		}
		rep, err = f.svc.VerifyAudit(f.ctx, anchor)
		if err != nil || rep.BrokenAt != anchor.ID || !strings.Contains(rep.Reason, "anchor") {
			t.Fatalf("with the anchor: %+v %v", rep, err)
		}
	})
}
