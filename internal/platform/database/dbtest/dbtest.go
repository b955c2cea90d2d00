// Package dbtest runs store tests against every database engine: SQLite in
// a temporary directory always, and PostgreSQL when VIDYA_TEST_POSTGRES_URL
// is set, each test in a fresh schema that is dropped afterwards.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/vidya-edu/vidya/internal/platform/database"
)

// EnvPostgres names the variable holding the PostgreSQL URL for tests.
const EnvPostgres = "VIDYA_TEST_POSTGRES_URL"

// EnvRequirePostgres, when "1", turns a missing PostgreSQL into a failure
// instead of a skip, so CI cannot pass with the PostgreSQL suite silently off.
const EnvRequirePostgres = "VIDYA_TEST_REQUIRE_POSTGRES"

var skipOnce sync.Once

// Run calls fn as one subtest per engine ("sqlite", "postgres"), each with
// a freshly migrated, empty database.
func Run(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, SQLite(t))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, Postgres(t))
	})
}

// SQLite returns a migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *database.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "vidya.db"), database.Options{})
}

// PostgresURL returns the test PostgreSQL URL, skipping the test (or
// failing it, under VIDYA_TEST_REQUIRE_POSTGRES=1) when it is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvPostgres)
	if u == "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatalf("%s is not set but %s=1: the PostgreSQL suite must run", EnvPostgres, EnvRequirePostgres)
		}
		skipOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "dbtest: PostgreSQL tests SKIPPED: set %s to run them\n", EnvPostgres)
		})
		t.Skipf("PostgreSQL suite skipped: %s is not set", EnvPostgres)
	}
	return u
}

// Postgres returns a migrated database in a new PostgreSQL schema that is
// dropped when the test ends.
func Postgres(t testing.TB) *database.DB {
	t.Helper()
	u := PostgresURL(t)
	schema := NewSchema(t, u)
	return open(t, u, database.Options{SearchPath: schema, MaxConns: 8})
}

// NewSchema creates an empty schema with a random name and drops it (with
// everything in it) when the test ends.
func NewSchema(t testing.TB, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("dbtest: connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("dbtest: connect to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dbtest: drop schema %s: %v", schema, err)
		}
	})
	return schema
}

func open(t testing.TB, url string, opts database.Options) *database.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	// Registered after NewSchema's cleanup, so it runs first: the pool is
	// closed before its schema is dropped.
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("dbtest: migrate: %v", err)
	}
	return db
}
