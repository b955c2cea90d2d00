package assess_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// BenchmarkSave measures durable saves through the delivery service (no
// HTTP): 256 candidates' devices, each saving one answer at a time,
// group-committed.
// Reports saves/s; the HTTP figure is in bench/examload.
func BenchmarkSave(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *database.DB
			if engine == "sqlite" {
				db = dbtest.SQLite(b)
			} else {
				db = dbtest.Postgres(b)
			}
			x := newExamDay(b, db)
			ctx := context.Background()
			x.clock.set(x.start.Add(time.Minute))
			const devices = 256
			admin := x.approverAsAdmin(b)
			var more []assess.Candidate
			for i := range devices {
				more = append(more, assess.Candidate{RollNo: fmt.Sprintf("B%d", i), Name: "Bench", Shift: "AM"})
			}
			if _, err := x.bank.RegisterCandidates(ctx, admin, "HKCL", x.exam.ID, more); err != nil {
				b.Fatal(err)
			}
			codes, err := x.bank.IssueCodes(ctx, admin, "HKCL", x.exam.ID, nil)
			if err != nil {
				b.Fatal(err)
			}
			var tickets []string
			for _, c := range codes {
				s, err := x.d.SignIn(ctx, c.RollNo, c.Code)
				if err != nil {
					b.Fatal(err)
				}
				st, err := x.d.Start(ctx, s.Ticket)
				if err != nil {
					b.Fatal(err)
				}
				tickets = append(tickets, st.Ticket)
			}
			q := x.v.Test.Sections[0].Questions[0].ItemID
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range devices {
				wg.Add(1)
				go func() {
					defer wg.Done()
					tk := tickets[w] // one device per attempt, as on exam day
					for {
						n := next.Add(1)
						if n > int64(b.N) {
							return
						}
						if _, err := x.d.Save(ctx, tk, []assess.Answer{choose(q, n, "A")}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
		})
	}
}
