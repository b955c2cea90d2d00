package formats_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// BenchmarkExport streams a bank of 5,000 and of 50,000 items out of the
// database into each export format, and reports the bytes allocated per
// item and the peak heap during the export: both stay flat as the bank
// grows tenfold, because items are read a page at a time and written as
// they come.
//
//	go test -run XXX -bench Export -benchtime 1x ./internal/assess/formats/
func BenchmarkExport(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, n := range []int{5_000, 50_000} {
			b.Run(fmt.Sprintf("%s/%d", engine, n), func(b *testing.B) {
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
				path, size := giftBank(b, n)
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				src, err := formats.Open(formats.GIFT, f, size, formats.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if rep, err := bank.Import(ctx, identity.CommandLine(), "BENCH", src, assess.ImportOptions{}); err != nil || rep.Imported != n {
					b.Fatalf("import: %v", err)
				}
				for _, format := range []string{formats.QTI30, formats.CSVOut, formats.GIFTOut} {
					b.Run(format, func(b *testing.B) {
						for b.Loop() {
							runtime.GC()
							var before runtime.MemStats
							runtime.ReadMemStats(&before)
							peak := watchHeap()
							x, err := bank.Export(ctx, identity.CommandLine(), "BENCH", assess.ItemFilter{}, nil)
							if err != nil {
								b.Fatal(err)
							}
							cw := &countWriter{}
							if err := formats.WriteStream(cw, format, x.All(ctx), formats.WriteOptions{}); err != nil {
								b.Fatal(err)
							}
							top := peak()
							var after runtime.MemStats
							runtime.ReadMemStats(&after)
							b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "B-alloc/item")
							b.ReportMetric(float64(top-before.HeapInuse)/(1<<20), "MiB-peak-heap-growth")
							b.ReportMetric(float64(cw.n)/float64(n), "B-out/item")
						}
						b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
					})
				}
			})
		}
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// watchHeap samples the heap in use until the returned function is called,
// which gives the highest figure seen.
func watchHeap() func() uint64 {
	var mu sync.Mutex // guards top
	var top uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			mu.Lock()
			top = max(top, m.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return top
	}
}
