package certify_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

type nopMailer struct{}

func (nopMailer) Queue(context.Context, *database.Tx, string, string, string) error { return nil }

// world is two authorities with their people, and the certify service.
type world struct {
	db        *database.DB
	ids       *identity.Service
	svc       *certify.Service
	admin     *identity.Principal // HKCL
	approver  *identity.Principal // HKCL
	learner   *identity.Principal // HKCL
	nioAdmin  *identity.Principal // NIOS
	kek       []byte
	blobs     blob.Store
	principal func(email, code string, role identity.Role) *identity.Principal
}

func newWorld(t testing.TB, db *database.DB) *world {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ids := identity.NewService(db, nopMailer{}, log, identity.Config{})
	for _, code := range []string{"HKCL", "NIOS"} {
		if _, err := ids.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: code, Name: code + " Board"}); err != nil {
			t.Fatal(err)
		}
	}
	w := &world{db: db, ids: ids, kek: []byte("0123456789abcdef0123456789abcdef")}
	st, err := blob.NewLocal(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.blobs = st
	if w.svc, err = certify.NewService(db, ids, log, certify.Options{KeyEncryptionKey: w.kek, BaseURL: "https://vidya.example:8443/", Blobs: st}); err != nil {
		t.Fatal(err)
	}
	w.principal = func(email, code string, role identity.Role) *identity.Principal {
		u, err := ids.EnsureUser(ctx, "test", identity.NewUser{Email: email, Name: email, Roles: []identity.Role{role}}, false, code)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := ids.StartSessionFor(ctx, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		p, err := ids.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	w.admin = w.principal("admin@hkcl.test", "HKCL", identity.RoleAdmin)
	w.approver = w.principal("approver@hkcl.test", "HKCL", identity.RoleApprover)
	w.learner = w.principal("learner@hkcl.test", "HKCL", identity.RoleLearner)
	w.nioAdmin = w.principal("admin@nios.test", "NIOS", identity.RoleAdmin)
	return w
}

func wantKind(t *testing.T, err error, k errs.Kind) {
	t.Helper()
	if !errs.Is(err, k) {
		t.Fatalf("error %v, want kind %s", err, k)
	}
}

func TestSigningKeys(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)

		t.Run("an authority without a key cannot sign, and says why", func(t *testing.T) {
			_, err := w.svc.SignWith(ctx, "HKCL", []byte("x"))
			e := errs.As(err)
			if e == nil || e.Code != certify.CodeNoSigningKey || !strings.Contains(e.Message, "HKCL has no signing key yet") {
				t.Fatalf("error %v", err)
			}
			if _, keys, err := w.svc.PublishedKeys(ctx, "HKCL"); err != nil || len(keys) != 0 {
				t.Fatalf("%v, %v", keys, err)
			}
		})

		var first *certify.Key
		t.Run("the first key is created, published and signs", func(t *testing.T) {
			var err error
			first, err = w.svc.RotateKey(ctx, w.admin, "hkcl")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(first.ID, "key-") || first.VerificationMethod != "did:web:vidya.example%3A8443:authorities:HKCL#"+first.ID || !first.Active {
				t.Fatalf("key %+v", first)
			}
			sig, err := w.svc.SignWith(ctx, "HKCL", []byte("hello"))
			if err != nil {
				t.Fatal(err)
			}
			if sig.VerificationMethod != first.VerificationMethod || !ed25519.Verify(first.PublicKey, []byte("hello"), sig.Signature) {
				t.Fatalf("signature %+v does not verify with the published key", sig)
			}
			var n int
			if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'certify.key.rotate' AND target = $1`, first.VerificationMethod).Scan(&n); err != nil || n != 1 {
				t.Fatalf("%d audit entries, %v", n, err)
			}
		})

		t.Run("the private key is sealed at rest", func(t *testing.T) {
			var sealed []byte
			if err := db.QueryRow(ctx, `SELECT sealed_key FROM signing_keys WHERE kid = $1`, first.ID).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			// Neither the seed nor the whole private key appears in the row.
			priv := w.svc.PrivateKeyForTest(ctx, t, "HKCL")
			if strings.Contains(string(sealed), string(priv.Seed())) {
				t.Fatal("the seed is stored in clear")
			}
		})

		t.Run("rotation retires the old key, which stays published", func(t *testing.T) {
			second, err := w.svc.RotateKey(ctx, w.admin, "HKCL")
			if err != nil {
				t.Fatal(err)
			}
			keys, err := w.svc.Keys(ctx, w.approver, "HKCL")
			if err != nil || len(keys) != 2 {
				t.Fatalf("%+v, %v", keys, err)
			}
			if keys[0].ID != second.ID || !keys[0].Active || keys[1].ID != first.ID || keys[1].Active || keys[1].RetiredAt == nil {
				t.Fatalf("keys %+v", keys)
			}
			sig, err := w.svc.SignWith(ctx, "HKCL", []byte("after"))
			if err != nil || sig.VerificationMethod != second.VerificationMethod {
				t.Fatalf("signed with %+v, %v; want the new key", sig, err)
			}
			_, pub, err := w.svc.PublishedKeys(ctx, "HKCL")
			if err != nil || len(pub) != 2 {
				t.Fatalf("%+v, %v", pub, err)
			}
		})

		t.Run("a sealed key moved to another authority does not open", func(t *testing.T) {
			if _, err := w.svc.RotateKey(ctx, w.nioAdmin, "NIOS"); err != nil {
				t.Fatal(err)
			}
			var sealed []byte
			if err := db.QueryRow(ctx, `SELECT sealed_key FROM signing_keys k JOIN authorities a ON a.id = k.authority_id WHERE a.code = 'HKCL' AND k.retired_at IS NULL`).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `UPDATE signing_keys SET sealed_key = $1 WHERE authority_id = (SELECT id FROM authorities WHERE code = 'NIOS') AND retired_at IS NULL`, sealed); err != nil {
				t.Fatal(err)
			}
			fresh, err := certify.NewService(db, w.ids, slog.New(slog.NewTextHandler(io.Discard, nil)), certify.Options{KeyEncryptionKey: w.kek, BaseURL: "https://vidya.example", Blobs: w.blobs})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fresh.SignWith(ctx, "NIOS", []byte("x")); err == nil || errs.KindOf(err) != errs.Internal {
				t.Fatalf("signed with another authority's sealed key: %v", err)
			}
		})

		t.Run("the wrong platform secret cannot open the keys", func(t *testing.T) {
			other, err := certify.NewService(db, w.ids, slog.New(slog.NewTextHandler(io.Discard, nil)), certify.Options{KeyEncryptionKey: []byte("another key of thirty-two bytes!"), BaseURL: "https://vidya.example", Blobs: w.blobs})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := other.SignWith(ctx, "HKCL", []byte("x")); err == nil {
				t.Fatal("signed with a key sealed under another secret")
			}
		})

		t.Run("only the authority's administrators rotate keys", func(t *testing.T) {
			_, err := w.svc.RotateKey(ctx, w.approver, "HKCL")
			wantKind(t, err, errs.Forbidden)
			_, err = w.svc.RotateKey(ctx, w.nioAdmin, "HKCL")
			wantKind(t, err, errs.NotFound)
			_, err = w.svc.Keys(ctx, w.learner, "HKCL")
			wantKind(t, err, errs.Forbidden)
			_, err = w.svc.Keys(ctx, w.nioAdmin, "HKCL")
			wantKind(t, err, errs.NotFound)
			_, _, err = w.svc.PublishedKeys(ctx, "NOPE")
			wantKind(t, err, errs.NotFound)
		})
	})
}

func TestNewServiceChecksItsOptions(t *testing.T) {
	db := dbtest.SQLite(t)
	ids := identity.NewService(db, nopMailer{}, slog.New(slog.NewTextHandler(io.Discard, nil)), identity.Config{})
	for name, o := range map[string]certify.Options{
		"short key":    {KeyEncryptionKey: []byte("short"), BaseURL: "https://x.test"},
		"relative URL": {KeyEncryptionKey: make([]byte, 32), BaseURL: "/vidya"},
		"ftp URL":      {KeyEncryptionKey: make([]byte, 32), BaseURL: "ftp://x.test"},
		"no blobs":     {KeyEncryptionKey: make([]byte, 32), BaseURL: "https://x.test"},
	} {
		if _, err := certify.NewService(db, ids, nil, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
