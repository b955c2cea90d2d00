package database_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestOpenRejectsBadURLs(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ url, want string }{
		{"", "empty"},
		{"mysql://x", `unsupported database URL scheme "mysql"`},
		{"postgres://u:secret@127.0.0.1:1/db?connect_timeout=1", "cannot reach PostgreSQL at 127.0.0.1:1"},
		{"postgres://u:secret@[::1", "cannot parse"},
	} {
		_, err := database.Open(ctx, tc.url, database.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) = %v, want error containing %q", tc.url, err, tc.want)
		}
		if err != nil {
			if e := errs.As(err); e == nil || strings.Contains(e.Message, "secret") {
				t.Errorf("Open(%q): message must be kinded and must not echo the password: %v", tc.url, err)
			}
		}
	}
}

func TestMigrateIsIdempotentAndReportsVersion(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, quiet); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		pending, err := db.Pending(ctx)
		if err != nil || pending {
			t.Fatalf("Pending = %v, %v; want false", pending, err)
		}
		cur, target, err := db.Version(ctx)
		if err != nil || cur != target || cur < 1 {
			t.Fatalf("Version = %d, %d, %v", cur, target, err)
		}
	})
}

func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	url := dbtest.PostgresURL(t)
	schema := dbtest.NewSchema(t, url)
	ctx := context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := database.Open(ctx, url, database.Options{SearchPath: schema, MaxConns: 2})
			if err != nil {
				errc <- err
				return
			}
			defer db.Close()
			errc <- db.Migrate(ctx, quiet)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
}

func TestTransactions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Microsecond)
		insert := func(q database.Querier, code string) error {
			_, err := q.Exec(ctx, `INSERT INTO authorities (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3)`, code, "Name "+code, now)
			return err
		}
		count := func() int {
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM authorities`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		t.Run("committed writes are visible to reads", func(t *testing.T) {
			if err := db.InTx(ctx, func(tx *database.Tx) error { return insert(tx, "A1") }); err != nil {
				t.Fatal(err)
			}
			var got time.Time
			var name string
			if err := db.QueryRow(ctx, `SELECT name, created_at FROM authorities WHERE code = $1`, "A1").Scan(&name, &got); err != nil {
				t.Fatal(err)
			}
			if name != "Name A1" || !got.Equal(now) {
				t.Fatalf("got %q %v, want %q %v", name, got, "Name A1", now)
			}
		})
		t.Run("an error rolls back", func(t *testing.T) {
			before := count()
			boom := errors.New("boom")
			err := db.InTx(ctx, func(tx *database.Tx) error {
				if err := insert(tx, "B1"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) || count() != before {
				t.Fatalf("err = %v, count %d -> %d", err, before, count())
			}
		})
		t.Run("a panic rolls back", func(t *testing.T) {
			before := count()
			func() {
				defer func() { _ = recover() }()
				_ = db.InTx(ctx, func(tx *database.Tx) error {
					_ = insert(tx, "C1")
					panic("boom")
				})
			}()
			if count() != before {
				t.Fatalf("panic left a row")
			}
			// The writer connection must be usable after the panic.
			if err := insert(db, "C2"); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("unique violations are recognised", func(t *testing.T) {
			err := insert(db, "A1")
			if !database.IsUniqueViolation(err) {
				t.Fatalf("IsUniqueViolation(%v) = false", err)
			}
			if database.IsUniqueViolation(errors.New("x")) {
				t.Fatal("plain error taken as unique violation")
			}
		})
		t.Run("no rows is ErrNoRows", func(t *testing.T) {
			var n int
			err := db.QueryRow(ctx, `SELECT id FROM authorities WHERE code = $1`, "nope").Scan(&n)
			if !errors.Is(err, database.ErrNoRows) {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run("audit log rejects updates and deletes", func(t *testing.T) {
			for _, q := range []string{`UPDATE audit_log SET actor = 'x'`, `DELETE FROM audit_log`} {
				// Needs a row for the trigger to fire.
				_, _ = db.Exec(ctx, `INSERT INTO audit_log (id, at, actor, action, prev_hash, hash) VALUES (999999, $1, 'a', 'b', $2, $2)`, now, []byte{1})
				if _, err := db.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: err = %v, want append-only refusal", q, err)
				}
			}
		})
	})
}

func TestSQLiteFileIsCreatedWithItsDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "vidya.db")
	db, err := database.Open(context.Background(), path, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect() != database.SQLite {
		t.Fatalf("dialect %s", db.Dialect())
	}
	if err := db.Migrate(context.Background(), quiet); err != nil {
		t.Fatal(err)
	}
}
