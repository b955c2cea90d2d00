package identity_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// goodPassword is the password of every test user that signs in.
const goodPassword = "correct horse battery"

// clock is a settable time source for Service.SetClock, so tests move time
// instead of sleeping.
type clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Microsecond)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is one engine's identity service with a platform administrator
// and two authorities, A and B.
type fixture struct {
	t      testing.TB
	ctx    context.Context
	db     *database.DB
	svc    *identity.Service
	outbox *mail.Outbox
	clock  *clock
	root   *identity.Principal // platform administrator
	A, B   *identity.Authority
}

// testOrigin is where the fixture's requests come from.
var testOrigin = identity.Origin{IP: "198.51.100.7", UserAgent: "vidya-test/1.0", RequestID: "req-fixture"}

func newFixture(t testing.TB, db *database.DB, cfg identity.Config) *fixture {
	t.Helper()
	f := &fixture{t: t, db: db, clock: newClock(), ctx: identity.WithOrigin(context.Background(), testOrigin)}
	f.outbox = mail.NewOutbox(db, mail.SMTPConfig{})
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://vidya.example.org/"
	}
	f.svc = identity.NewService(db, f.outbox, quiet, cfg)
	f.svc.SetClock(f.clock.Now)
	root, err := f.svc.EnsureUser(f.ctx, "test", identity.NewUser{Email: "root@vidya.example", Name: "Root"}, true, "")
	if err != nil {
		t.Fatalf("EnsureUser(root): %v", err)
	}
	_, f.root = f.session(root.ID)
	f.A = f.authority("AUTH-A", "Authority A")
	f.B = f.authority("AUTH-B", "Authority B")
	return f
}

// with returns the fixture reporting to t, for use inside a subtest (a
// subtest must not fail its parent's T).
func (f *fixture) with(t testing.TB) *fixture {
	g := *f
	g.t = t
	return &g
}

// authority creates an authority as the platform administrator.
func (f *fixture) authority(code, name string) *identity.Authority {
	f.t.Helper()
	a, err := f.svc.CreateAuthority(f.ctx, f.root, identity.NewAuthority{Code: code, Name: name})
	if err != nil {
		f.t.Fatalf("CreateAuthority(%s): %v", code, err)
	}
	return a
}

// member gives email the roles in a (creating the user if need be, without
// a password) and returns the principal of a fresh session.
func (f *fixture) member(a *identity.Authority, email string, roles ...identity.Role) *identity.Principal {
	f.t.Helper()
	m, err := f.svc.CreateUser(f.ctx, f.root, a.Code, identity.NewUser{Email: email, Name: nameOf(email), Roles: roles})
	if err != nil {
		f.t.Fatalf("CreateUser(%s, %s): %v", a.Code, email, err)
	}
	_, p := f.session(m.ID)
	return p
}

// user creates a user with no roles and, if password is set, a password
// (which costs one argon2id hash).
func (f *fixture) user(email, password string) *identity.User {
	f.t.Helper()
	u, err := f.svc.EnsureUser(f.ctx, "test", identity.NewUser{Email: email, Name: nameOf(email), Password: password}, false, "")
	if err != nil {
		f.t.Fatalf("EnsureUser(%s): %v", email, err)
	}
	return u
}

// session starts a session the way OIDC does (no argon2id, so tests stay
// fast) and authenticates it.
func (f *fixture) session(userID int64) (identity.SessionToken, *identity.Principal) {
	f.t.Helper()
	return f.sessionFrom(f.ctx, userID)
}

func (f *fixture) sessionFrom(ctx context.Context, userID int64) (identity.SessionToken, *identity.Principal) {
	f.t.Helper()
	tok, err := f.svc.StartSessionFor(ctx, userID, "test")
	if err != nil {
		f.t.Fatalf("StartSessionFor(%d): %v", userID, err)
	}
	p, err := f.svc.Authenticate(ctx, tok)
	if err != nil {
		f.t.Fatalf("Authenticate new session of %d: %v", userID, err)
	}
	return tok, p
}

func nameOf(email string) string {
	n, _, _ := strings.Cut(email, "@")
	return "User " + n
}

// count runs a SELECT count(*) query.
func (f *fixture) count(query string, args ...any) int64 {
	f.t.Helper()
	var n int64
	if err := f.db.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// exec runs a statement directly, behind the service's back.
func (f *fixture) exec(query string, args ...any) int64 {
	f.t.Helper()
	n, err := f.db.Exec(context.Background(), query, args...)
	if err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (f *fixture) auditLen() int64 { return f.count(`SELECT count(*) FROM audit_log`) }

// audit lists the whole audit log, newest first, as the platform administrator.
func (f *fixture) audit(filter identity.AuditFilter) []identity.AuditEntry {
	f.t.Helper()
	es, err := f.svc.ListAudit(context.Background(), f.root, "", filter)
	if err != nil {
		f.t.Fatalf("ListAudit: %v", err)
	}
	return es
}

// lastAudit returns the newest audit entry.
func (f *fixture) lastAudit() identity.AuditEntry {
	f.t.Helper()
	es := f.audit(identity.AuditFilter{Limit: 1})
	if len(es) != 1 {
		f.t.Fatalf("audit log is empty")
	}
	return es[0]
}

// wantAudit checks the newest audit entry.
func (f *fixture) wantAudit(action string, actor *identity.Principal, authorityID int64, target string, o identity.Origin) identity.AuditEntry {
	f.t.Helper()
	e := f.lastAudit()
	var actorID int64
	actorName := "system"
	if actor != nil {
		actorID, actorName = actor.User.ID, actor.User.Email
	}
	if e.Action != action || e.ActorID != actorID || e.Actor != actorName || e.AuthorityID != authorityID || e.Target != target || e.IP != o.IP || e.RequestID != o.RequestID {
		f.t.Errorf("newest audit entry = {action %q actor %d %q authority %d target %q ip %q request %q},\nwant {action %q actor %d %q authority %d target %q ip %q request %q}",
			e.Action, e.ActorID, e.Actor, e.AuthorityID, e.Target, e.IP, e.RequestID,
			action, actorID, actorName, authorityID, target, o.IP, o.RequestID)
	}
	return e
}

// tableColumns lists what a snapshot compares, table by table.
var tableColumns = []struct{ table, cols string }{
	{"authorities", "id, code, name, contact_email, contact_phone, logo_key, created_at, updated_at"},
	{"users", "id, email, name, password_hash, locale, platform_admin, disabled, created_at, updated_at"},
	{"memberships", "user_id, authority_id, role"},
	{"sessions", "token_hash, user_id, created_at, last_seen_at, expires_at"},
	{"api_tokens", "id, token_hash, user_id, authority_id, role, name, expires_at, last_used_at, revoked_at"},
	{"password_resets", "token_hash, user_id, expires_at, used_at"},
	{"login_failures", "key, window_start, failures, locked_until"},
	{"mail_outbox", "id, to_addr, subject, body"},
	{"audit_log", "id, action, target"},
	{"audit_head", "last_id, last_hash"},
}

// snapshot renders every identity table, so that a failed operation can be
// shown to have changed nothing.
func (f *fixture) snapshot() string {
	f.t.Helper()
	ctx := context.Background()
	var lines []string
	for _, tc := range tableColumns {
		n := strings.Count(tc.cols, ",") + 1
		rows, err := f.db.Query(ctx, `SELECT `+tc.cols+` FROM `+tc.table)
		if err != nil {
			f.t.Fatalf("snapshot %s: %v", tc.table, err)
		}
		for rows.Next() {
			vals := make([]any, n)
			ptrs := make([]any, n)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				f.t.Fatalf("snapshot %s: %v", tc.table, err)
			}
			for i, v := range vals {
				if tm, ok := v.(time.Time); ok {
					vals[i] = tm.UTC().Format(time.RFC3339Nano)
				}
			}
			lines = append(lines, fmt.Sprintf("%s %v", tc.table, vals))
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			f.t.Fatalf("snapshot %s: %v", tc.table, err)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// unchanged fails the test if the database differs from before.
func (f *fixture) unchanged(before string) {
	f.t.Helper()
	after := f.snapshot()
	if after == before {
		return
	}
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var gone, added []string
	for _, l := range b {
		if !slices.Contains(a, l) {
			gone = append(gone, l)
		}
	}
	for _, l := range a {
		if !slices.Contains(b, l) {
			added = append(added, l)
		}
	}
	f.t.Errorf("a failed operation changed the database:\n  removed: %q\n  added:   %q", gone, added)
}

// wantErr fails unless err has the kind and exactly the named fields.
func wantErr(t testing.TB, err error, kind errs.Kind, fields ...string) *errs.Error {
	t.Helper()
	if !errs.Is(err, kind) {
		t.Fatalf("error = %v (kind %s), want kind %s", err, errs.KindOf(err), kind)
	}
	e := errs.As(err)
	var got []string
	for k := range e.Fields {
		got = append(got, k)
	}
	sort.Strings(got)
	want := slices.Clone(fields)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("error fields = %v (%v), want %v", got, e.Fields, want)
	}
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func rolesOf(p *identity.Principal, authorityID int64) []identity.Role {
	var out []identity.Role
	for _, m := range p.Memberships {
		if m.AuthorityID == authorityID {
			out = append(out, m.Role)
		}
	}
	return out
}
