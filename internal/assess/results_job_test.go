package assess_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

func TestResultsJob(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		x := newExamDay(t, db)
		admin := x.approverAsAdmin(t)
		status := func(t *testing.T) *assess.ResultsStatus {
			t.Helper()
			st, err := x.bank.ResultsStatus(ctx, admin, "HKCL", x.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		run := func(t *testing.T, want int) {
			t.Helper()
			if n, err := x.bank.RunQueuedResults(ctx); err != nil || n != want {
				t.Fatalf("computed %d, %v; want %d", n, err, want)
			}
		}
		x.clock.set(x.start.Add(time.Minute))
		r1, err := x.d.Start(ctx, x.signIn(t, "R1").Ticket)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.d.Submit(ctx, r1.Ticket); err != nil {
			t.Fatal(err)
		}
		if _, err := x.d.GradeSubmitted(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if st := status(t); st.State != "" || st.Summary != nil {
			t.Fatalf("never asked for: %+v", st)
		}

		t.Run("a computation that cannot finish fails with the reason", func(t *testing.T) {
			if _, err := x.bank.ComputeResults(ctx, admin, "HKCL", x.exam.ID); err != nil {
				t.Fatal(err)
			}
			// R2 starts after the results were asked for.
			if _, err := x.d.Start(ctx, x.signIn(t, "R2").Ticket); err != nil {
				t.Fatal(err)
			}
			run(t, 0)
			st := status(t)
			if st.State != assess.ResultsFailed || !strings.Contains(st.Error, "1 attempts are still in progress") || st.ComputedAt != nil {
				t.Fatalf("%+v", st)
			}
			// Failed is not retried until asked for again.
			run(t, 0)
		})

		x.clock.add(3 * time.Hour)
		if _, err := x.d.AutoSubmit(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := x.d.GradeSubmitted(ctx, 100); err != nil {
			t.Fatal(err)
		}

		t.Run("a computation whose worker died is taken over once stale", func(t *testing.T) {
			if _, err := x.bank.ComputeResults(ctx, admin, "HKCL", x.exam.ID); err != nil {
				t.Fatal(err)
			}
			// A worker claimed it a minute ago and is still working.
			if _, err := db.Exec(ctx, `UPDATE exams SET results_state = 'computing', results_started_at = $1, results_run = results_run + 1 WHERE id = $2`,
				time.Now().UTC().Add(-time.Minute), x.exam.ID); err != nil {
				t.Fatal(err)
			}
			run(t, 0)
			if st := status(t); st.State != assess.ResultsComputing || st.Error != "" {
				t.Fatalf("%+v", st)
			}
			// That worker died an hour ago.
			if _, err := db.Exec(ctx, `UPDATE exams SET results_started_at = $1 WHERE id = $2`, time.Now().UTC().Add(-time.Hour), x.exam.ID); err != nil {
				t.Fatal(err)
			}
			run(t, 1)
			st := status(t)
			if st.State != assess.ResultsReady || st.Summary == nil || st.Summary.Attempts != 2 || st.Progress != 2 || st.Total != 2 {
				t.Fatalf("%+v", st)
			}
			list, err := x.bank.Results(ctx, admin, "HKCL", x.exam.ID, 0, 10)
			if err != nil || len(list) != 2 {
				t.Fatalf("%+v, %v", list, err)
			}
		})

		t.Run("asking again while computing changes nothing", func(t *testing.T) {
			if _, err := db.Exec(ctx, `UPDATE exams SET results_state = 'computing', results_started_at = $1 WHERE id = $2`, time.Now().UTC(), x.exam.ID); err != nil {
				t.Fatal(err)
			}
			st, err := x.bank.ComputeResults(ctx, admin, "HKCL", x.exam.ID)
			if err != nil || st.State != assess.ResultsComputing || st.Summary == nil {
				t.Fatalf("%+v, %v", st, err)
			}
		})
	})
}
