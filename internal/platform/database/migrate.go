package database

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

//go:embed migrations
var migrationsFS embed.FS

// migrationLockKey is the PostgreSQL advisory lock that makes replicas
// starting together migrate one at a time: the first migrates, the others
// wait and then find nothing to do.
const migrationLockKey = 0x76696479 // "vidy"

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationsFS, "migrations/"+string(db.dialect))
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	return goose.NewProvider(dialect, db.std, sub, goose.WithDisableGlobalRegistry(true))
}

// Migrate applies every pending migration — Vidya's own, then the job
// queue's (River) — under one lock, and logs each it applies.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	unlock, err := db.lockMigrations(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	p, err := db.provider()
	if err != nil {
		return errs.Wrap("database: migrate", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return errs.Wrap("database: migrate", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err := db.migrateRiver(ctx, log); err != nil {
		return errs.Wrap("database: migrate job queue", err)
	}
	return nil
}

func (db *DB) migrateRiver(ctx context.Context, log *slog.Logger) error {
	var res *rivermigrate.MigrateResult
	if db.dialect == Postgres {
		m, err := rivermigrate.New(riverpgxv5.New(db.pool), nil)
		if err != nil {
			return err
		}
		if res, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return err
		}
	} else {
		m, err := rivermigrate.New(riversqlite.New(db.write), nil)
		if err != nil {
			return err
		}
		if res, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return err
		}
	}
	for _, v := range res.Versions {
		log.Info("job queue migration applied", "version", v.Version, "name", v.Name, "duration", v.Duration)
	}
	return nil
}

// Pending reports whether migrations remain to be applied.
func (db *DB) Pending(ctx context.Context) (bool, error) {
	p, err := db.provider()
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}

// Version returns the applied and the latest known schema versions.
func (db *DB) Version(ctx context.Context) (current, target int64, err error) {
	p, err := db.provider()
	if err != nil {
		return 0, 0, err
	}
	return p.GetVersions(ctx)
}

func (db *DB) lockMigrations(ctx context.Context) (func(), error) {
	if db.dialect != Postgres {
		// One SQLite file belongs to one process; its writer connection
		// already serialises the migrations.
		return func() {}, nil
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, errs.Wrap("database: migration lock", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		conn.Release()
		return nil, errs.Wrap("database: migration lock", fmt.Errorf("take advisory lock: %w", err))
	}
	return func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
		conn.Release()
	}, nil
}
