package jobs

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

func benchEngines(b *testing.B, fn func(b *testing.B, db *database.DB, q *Queue)) {
	for _, e := range []struct {
		name string
		open func(testing.TB) *database.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(e.name, func(b *testing.B) {
			db := e.open(b)
			q, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{})
			if err != nil {
				b.Fatal(err)
			}
			fn(b, db, q)
		})
	}
}

// BenchmarkInsert inserts one job per transaction.
func BenchmarkInsert(b *testing.B) {
	benchEngines(b, func(b *testing.B, db *database.DB, q *Queue) {
		ctx := context.Background()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			err := db.InTx(ctx, func(tx *database.Tx) error {
				_, err := q.Insert(ctx, tx, bulkArgs{N: i}, nil)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "jobs/s")
	})
}

// BenchmarkInsertMany inserts 1000 jobs per transaction.
func BenchmarkInsertMany(b *testing.B) {
	const batch = 1000
	benchEngines(b, func(b *testing.B, db *database.DB, q *Queue) {
		ctx := context.Background()
		params := make([]InsertManyParams, batch)
		for i := range params {
			params[i] = InsertManyParams{Args: bulkArgs{N: i}}
		}
		b.ReportAllocs()
		for b.Loop() {
			err := db.InTx(ctx, func(tx *database.Tx) error {
				_, err := q.InsertMany(ctx, tx, params)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "jobs/s")
	})
}
