package formats_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

type nopMailer struct{}

func (nopMailer) Queue(context.Context, *database.Tx, string, string, string) error { return nil }

// giftBank writes n distinct GIFT questions to a file.
func giftBank(b *testing.B, n int) (string, int64) {
	path := filepath.Join(b.TempDir(), "bank.gift")
	var sb strings.Builder
	sb.WriteString("$CATEGORY: maths/arithmetic\n\n")
	for i := range n {
		fmt.Fprintf(&sb, "::q%d:: What is %d + %d? {=%d ~%d ~%d ~%d}\n\n", i, i, i+1, 2*i+1, 2*i, 2*i+2, i)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path, int64(sb.Len())
}

// BenchmarkImport10000 imports a 10,000-question GIFT file end to end —
// read, validate, deduplicate, store with versions and history in one
// transaction — into an empty bank, on each engine.
//
//	go test -run XXX -bench Import -benchtime 1x ./internal/assess/formats/
func BenchmarkImport10000(b *testing.B) {
	for _, c := range []struct{ engine, format string }{{"sqlite", formats.GIFT}, {"sqlite", formats.QTI}, {"postgres", formats.GIFT}, {"postgres", formats.QTI}} {
		engine := c.engine
		b.Run(engine+"/"+c.format, func(b *testing.B) {
			path, size := giftBank(b, 10_000)
			if c.format == formats.QTI {
				path, size = qtiBank(b, path, size)
			}
			for b.Loop() {
				b.StopTimer()
				var db *database.DB
				if engine == "sqlite" {
					db = dbtest.SQLite(b)
				} else {
					db = dbtest.Postgres(b)
				}
				ctx := context.Background()
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				ids := identity.NewService(db, nopMailer{}, log, identity.Config{})
				if _, err := ids.EnsureAuthority(ctx, "bench", identity.NewAuthority{Code: "BENCH", Name: "Bench"}); err != nil {
					b.Fatal(err)
				}
				bank := assess.NewService(db, ids, log)
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				src, err := formats.Open(c.format, f, size, formats.Options{})
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()
				rep, err := bank.Import(ctx, identity.CommandLine(), "BENCH", src, assess.ImportOptions{})
				b.StopTimer()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				f.Close()
				if err != nil || rep.Imported != 10_000 {
					b.Fatalf("import: %v %+v", err, rep.Message)
				}
				b.ReportMetric(float64(after.HeapInuse)/(1<<20), "MiB-heap-after")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/10_000, "B-alloc/item")
				b.StartTimer()
			}
			b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}

// qtiBank turns the GIFT bank into a QTI 3.0 content package.
func qtiBank(b *testing.B, giftPath string, size int64) (string, int64) {
	f, err := os.Open(giftPath)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	src, err := formats.Open(formats.GIFT, f, size, formats.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var items []*assess.Item
	if err := src(func(p assess.Parsed) error {
		if p.Err != nil {
			return p.Err
		}
		items = append(items, p.Item)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "bank.zip")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := formats.Write(out, formats.QTI30, items, "en"); err != nil {
		b.Fatal(err)
	}
	st, _ := out.Stat()
	out.Close()
	return path, st.Size()
}
