package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// run runs fn on every engine, each engine's subtest in parallel with the
// rest of the package (the tests mostly wait on timers).
func run(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		t.Parallel()
		fn(t, db)
	})
}

type greetArgs struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

func (greetArgs) Kind() string { return "test.greet" }

func TestCommittedJobRunsOnceWithTypedArgs(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		var (
			runs counter
			mu   sync.Mutex
			got  []greetArgs
		)
		q, _ := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[greetArgs]) error {
				runs.inc()
				mu.Lock()
				got = append(got, job.Args)
				mu.Unlock()
				return nil
			}))
		})
		want := greetArgs{Name: "Asha", Count: 3, Tags: []string{"a", "b"}}
		if !insertTx(t, db, q, want, nil) {
			t.Fatal("Insert reported not inserted")
		}
		id := onlyJob(t, db, want.Kind())
		waitFor(t, 10*time.Second, "the job to complete", func() bool {
			s, _ := jobState(t, db, id)
			return s == "completed"
		})
		// Let the queue poll a few more times: the job must not run again.
		time.Sleep(10 * testPoll)
		if n := runs.get(); n != 1 {
			t.Fatalf("worker ran %d times, want 1", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if got[0].Name != want.Name || got[0].Count != want.Count || !slices.Equal(got[0].Tags, want.Tags) {
			t.Fatalf("worker saw args %+v, want %+v", got[0], want)
		}
		if _, attempt := jobState(t, db, id); attempt != 1 {
			t.Fatalf("attempt = %d, want 1", attempt)
		}
	})
}

type noteArgs struct {
	N int `json:"n"`
}

func (noteArgs) Kind() string { return "test.note" }

func TestRolledBackTransactionEnqueuesNothing(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		var (
			mu   sync.Mutex
			seen []int
		)
		q, _ := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[noteArgs]) error {
				mu.Lock()
				seen = append(seen, job.Args.N)
				mu.Unlock()
				return nil
			}))
		})
		errAbort := errors.New("abort")
		err := db.InTx(ctx, func(tx *database.Tx) error {
			if ok, err := q.Insert(ctx, tx, noteArgs{N: 1}, nil); err != nil || !ok {
				t.Fatalf("Insert in tx: inserted=%v err=%v", ok, err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("InTx = %v, want the abort error", err)
		}
		if n := countJobs(t, db, noteArgs{}.Kind()); n != 0 {
			t.Fatalf("%d jobs stored after rollback, want 0", n)
		}
		// A job committed afterwards runs; had the rolled-back one been
		// enqueued it would have run too, before or with it.
		insertTx(t, db, q, noteArgs{N: 2}, nil)
		waitFor(t, 10*time.Second, "the committed job to run", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) > 0
		})
		time.Sleep(10 * testPoll)
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(seen, []int{2}) {
			t.Fatalf("worker saw jobs %v, want only [2]", seen)
		}
	})
}

type remindArgs struct{}

func (remindArgs) Kind() string { return "test.remind" }

func TestScheduledJobRunsAtItsTime(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		ranAt := make(chan time.Time, 4)
		q, _ := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[remindArgs]) error {
				ranAt <- time.Now()
				return nil
			}))
		})
		at := time.Now().Add(time.Second)
		insertTx(t, db, q, remindArgs{}, &InsertOpts{ScheduledAt: at})
		id := onlyJob(t, db, remindArgs{}.Kind())
		// Before its time the job waits. River's scheduler may already have
		// marked it available (it promotes soon-due jobs, notably on its
		// first pass when a leader starts), but its fetch never takes a job
		// before scheduled_at; what matters is that it has not run.
		if s, _ := jobState(t, db, id); s != "scheduled" && s != "available" && time.Now().Before(at) {
			t.Fatalf("state = %q before the scheduled time, want scheduled or available", s)
		}
		select {
		case got := <-ranAt:
			if got.Before(at) {
				t.Fatalf("job ran at %s, %s before its scheduled time", got.Format(time.RFC3339Nano), at.Sub(got))
			}
			// River's scheduler promotes due jobs every 5 s.
			if late := got.Sub(at); late > 8*time.Second {
				t.Fatalf("job ran %s late", late)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("scheduled job did not run within 15 s")
		}
		time.Sleep(5 * testPoll)
		if len(ranAt) != 0 {
			t.Fatal("scheduled job ran more than once")
		}
	})
}

type flakyArgs struct{}

func (flakyArgs) Kind() string { return "test.flaky" }

// flakyWorker fails its first two attempts and retries quickly.
type flakyWorker struct {
	WorkerDefaults[flakyArgs]
	mu       sync.Mutex
	attempts []int
}

func (w *flakyWorker) NextRetry(*Job[flakyArgs]) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

func (w *flakyWorker) Work(ctx context.Context, job *Job[flakyArgs]) error {
	w.mu.Lock()
	w.attempts = append(w.attempts, job.Attempt)
	w.mu.Unlock()
	if job.Attempt < 3 {
		return fmt.Errorf("transient failure %d", job.Attempt)
	}
	return nil
}

type doomedArgs struct{}

func (doomedArgs) Kind() string { return "test.doomed" }

func TestRetriesThenSucceeds(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		w := &flakyWorker{}
		q, rec := newQueue(t, db, Config{Work: true}, func(q *Queue) { AddWorker(q, w) })
		insertTx(t, db, q, flakyArgs{}, nil)
		id := onlyJob(t, db, flakyArgs{}.Kind())
		waitFor(t, 10*time.Second, "the job to complete", func() bool {
			s, _ := jobState(t, db, id)
			return s == "completed"
		})
		if _, attempt := jobState(t, db, id); attempt != 3 {
			t.Fatalf("completed on attempt %d, want 3", attempt)
		}
		w.mu.Lock()
		attempts := slices.Clone(w.attempts)
		w.mu.Unlock()
		if !slices.Equal(attempts, []int{1, 2, 3}) {
			t.Fatalf("worker saw attempts %v, want [1 2 3]", attempts)
		}
		logs := rec.forJob(id)
		if len(logs) != 2 {
			t.Fatalf("%d log records for the job, want one per failed attempt (2): %v", len(logs), logs)
		}
		for i, r := range logs {
			if r.Level != slog.LevelWarn || r.Attrs["attempt"] != int64(i+1) || r.Attrs["kind"] != (flakyArgs{}).Kind() ||
				!strings.Contains(fmt.Sprint(r.Attrs["error"]), "transient failure") {
				t.Errorf("log %d = %v; want a warning with kind, attempt %d and the error", i, r, i+1)
			}
		}
	})
}

func TestAlwaysFailingJobIsDiscardedAfterMaxAttempts(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		var runs counter
		q, rec := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[doomedArgs]) error {
				runs.inc()
				return errors.New("permanent failure")
			}))
		})
		// The default backoff waits ~1 s before the second attempt.
		insertTx(t, db, q, doomedArgs{}, &InsertOpts{MaxAttempts: 2})
		id := onlyJob(t, db, doomedArgs{}.Kind())
		waitFor(t, 15*time.Second, "the job to be discarded", func() bool {
			s, _ := jobState(t, db, id)
			return s == "discarded"
		})
		time.Sleep(5 * testPoll)
		if _, attempt := jobState(t, db, id); attempt != 2 {
			t.Fatalf("discarded at attempt %d, want 2", attempt)
		}
		if n := runs.get(); n != 2 {
			t.Fatalf("worker ran %d times, want 2", n)
		}
		logs := rec.forJob(id)
		if len(logs) != 2 {
			t.Fatalf("%d log records for the job, want 2: %v", len(logs), logs)
		}
		if logs[0].Level != slog.LevelWarn || logs[1].Level != slog.LevelError || logs[1].Attrs["attempt"] != int64(2) {
			t.Fatalf("logs = %v; want a warning for attempt 1 and an error for attempt 2", logs)
		}
	})
}

type panicArgs struct{}

func (panicArgs) Kind() string { return "test.panic" }

func TestPanickingJobIsLoggedNotFatal(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		q, rec := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[panicArgs]) error {
				panic("boom in worker")
			}))
		})
		insertTx(t, db, q, panicArgs{}, &InsertOpts{MaxAttempts: 1})
		id := onlyJob(t, db, panicArgs{}.Kind())
		waitFor(t, 10*time.Second, "the panicking job to be discarded", func() bool {
			s, _ := jobState(t, db, id)
			return s == "discarded"
		})
		logs := rec.forJob(id)
		if len(logs) != 1 {
			t.Fatalf("%d log records for the job, want 1: %v", len(logs), logs)
		}
		r := logs[0]
		if r.Level != slog.LevelError || r.Attrs["panic"] != "boom in worker" || r.Attrs["kind"] != (panicArgs{}).Kind() ||
			!strings.Contains(fmt.Sprint(r.Attrs["stack"]), "jobs_test.go") {
			t.Fatalf("log = %v; want an error with the panic value, kind and stack", r)
		}
	})
}

type digestArgs struct {
	UserID string `json:"user_id"`
}

func (digestArgs) Kind() string { return "test.digest" }

func TestUniqueJobInsertedOnce(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		q, _ := newQueue(t, db, Config{}, nil)
		opts := &InsertOpts{UniqueOpts: UniqueOpts{ByArgs: true}}
		if !insertTx(t, db, q, digestArgs{UserID: "u1"}, opts) {
			t.Fatal("first insert: inserted = false")
		}
		if insertTx(t, db, q, digestArgs{UserID: "u1"}, opts) {
			t.Fatal("second insert of the same unique args: inserted = true")
		}
		if ok, err := q.InsertNoTx(context.Background(), digestArgs{UserID: "u1"}, opts); err != nil || ok {
			t.Fatalf("InsertNoTx of the same unique args: inserted=%v err=%v, want false, nil", ok, err)
		}
		if !insertTx(t, db, q, digestArgs{UserID: "u2"}, opts) {
			t.Fatal("insert of different args: inserted = false")
		}
		var n int
		err := db.InTx(context.Background(), func(tx *database.Tx) error {
			var err error
			n, err = q.InsertMany(context.Background(), tx, []InsertManyParams{
				{Args: digestArgs{UserID: "u1"}, InsertOpts: opts},
				{Args: digestArgs{UserID: "u3"}, InsertOpts: opts},
			})
			return err
		})
		if err != nil || n != 1 {
			t.Fatalf("InsertMany with one duplicate = %d, %v; want 1, nil", n, err)
		}
		if got := countJobs(t, db, digestArgs{}.Kind()); got != 3 {
			t.Fatalf("%d jobs stored, want 3 (u1, u2, u3)", got)
		}
	})
}

type bulkArgs struct {
	N int `json:"n"`
}

func (bulkArgs) Kind() string { return "test.bulk" }

func TestInsertMany(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		const n = 500
		var (
			mu   sync.Mutex
			seen = map[int]int{}
		)
		q, _ := newQueue(t, db, Config{Work: true, Queues: map[string]int{"default": 50}}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[bulkArgs]) error {
				mu.Lock()
				seen[job.Args.N]++
				mu.Unlock()
				return nil
			}))
		})
		batch := func(from int) []InsertManyParams {
			ps := make([]InsertManyParams, n)
			for i := range ps {
				ps[i] = InsertManyParams{Args: bulkArgs{N: from + i}}
			}
			return ps
		}

		// Rolled back first: none of these may ever run.
		errAbort := errors.New("abort")
		err := db.InTx(ctx, func(tx *database.Tx) error {
			if got, err := q.InsertMany(ctx, tx, batch(10_000)); err != nil || got != n {
				t.Fatalf("InsertMany (to roll back) = %d, %v", got, err)
			}
			return errAbort
		})
		if !errors.Is(err, errAbort) {
			t.Fatalf("InTx = %v", err)
		}
		if got := countJobs(t, db, bulkArgs{}.Kind()); got != 0 {
			t.Fatalf("%d jobs stored after rollback, want 0", got)
		}

		err = db.InTx(ctx, func(tx *database.Tx) error {
			got, err := q.InsertMany(ctx, tx, batch(0))
			if err == nil && got != n {
				err = fmt.Errorf("inserted %d, want %d", got, n)
			}
			return err
		})
		if err != nil {
			t.Fatalf("InsertMany: %v", err)
		}
		waitFor(t, 20*time.Second, "all 500 jobs to run", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) >= n
		})
		time.Sleep(10 * testPoll)
		mu.Lock()
		defer mu.Unlock()
		for i := range n {
			if seen[i] != 1 {
				t.Fatalf("job %d ran %d times, want 1", i, seen[i])
			}
		}
		if len(seen) != n {
			t.Fatalf("%d distinct jobs ran, want %d (a rolled-back job ran)", len(seen), n)
		}
		if got := countJobs(t, db, bulkArgs{}.Kind()); got != n {
			t.Fatalf("%d jobs stored, want %d", got, n)
		}
	})
}

type writeArgs struct {
	N int `json:"n"`
}

func (writeArgs) Kind() string { return "test.write" }

type followArgs struct {
	N int `json:"n"`
}

func (followArgs) Kind() string { return "test.follow" }

// On SQLite, River and the application share one writer connection; a
// worker that opens a transaction (and enqueues a follow-up job in it) must
// not deadlock with River.
func TestWorkerWritesInTransaction(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		for _, ddl := range []string{
			"CREATE TABLE test_effects (n INTEGER PRIMARY KEY)",
			"CREATE TABLE test_followups (n INTEGER PRIMARY KEY)",
		} {
			if _, err := db.Exec(ctx, ddl); err != nil {
				t.Fatal(err)
			}
		}
		const n = 20
		_, _ = newQueue(t, db, Config{Work: true, Queues: map[string]int{"default": 5}, JobTimeout: 10 * time.Second}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[writeArgs]) error {
				return db.InTx(ctx, func(tx *database.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO test_effects (n) VALUES ($1)", job.Args.N); err != nil {
						return err
					}
					_, err := q.Insert(ctx, tx, followArgs(job.Args), nil)
					return err
				})
			}))
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[followArgs]) error {
				return db.InTx(ctx, func(tx *database.Tx) error {
					_, err := tx.Exec(ctx, "INSERT INTO test_followups (n) VALUES ($1)", job.Args.N)
					return err
				})
			}))
		})
		q2, _ := newQueue(t, db, Config{}, nil) // an inserting-only queue, as a web process has
		for i := range n {
			if _, err := q2.InsertNoTx(ctx, writeArgs{N: i}, nil); err != nil {
				t.Fatal(err)
			}
		}
		count := func(table string) int {
			var c int
			if err := db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		waitFor(t, 20*time.Second, "every worker's transaction and its follow-up", func() bool {
			return count("test_effects") == n && count("test_followups") == n
		})
	})
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "test.slow" }

func TestStopWaitsForRunningJob(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		started := make(chan struct{})
		var (
			mu       sync.Mutex
			finished bool
			workErr  error
		)
		q, _ := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[slowArgs]) error {
				close(started)
				var err error
				select {
				case <-time.After(500 * time.Millisecond):
				case <-ctx.Done():
					err = ctx.Err()
				}
				mu.Lock()
				finished, workErr = true, err
				mu.Unlock()
				return err
			}))
		})
		insertTx(t, db, q, slowArgs{}, nil)
		id := onlyJob(t, db, slowArgs{}.Kind())
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("job did not start")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !finished || workErr != nil {
			t.Fatalf("after Stop: finished=%v, job error=%v; want the job finished, uncancelled", finished, workErr)
		}
		if s, _ := jobState(t, db, id); s != "completed" {
			t.Fatalf("state = %q, want completed", s)
		}
	})
}

type stuckArgs struct{}

func (stuckArgs) Kind() string { return "test.stuck" }

func TestStopWithExpiredContextCancelsRunningJob(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		started := make(chan struct{})
		cancelled := make(chan error, 1)
		q, _ := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[stuckArgs]) error {
				close(started)
				select {
				case <-ctx.Done():
					cancelled <- ctx.Err()
					return ctx.Err()
				case <-time.After(30 * time.Second):
					cancelled <- nil
					return nil
				}
			}))
		})
		insertTx(t, db, q, stuckArgs{}, nil)
		id := onlyJob(t, db, stuckArgs{}.Kind())
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("job did not start")
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		begin := time.Now()
		if err := q.Stop(ctx); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if d := time.Since(begin); d > 5*time.Second {
			t.Fatalf("Stop took %s with an expired context", d)
		}
		select {
		case err := <-cancelled:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("job context error = %v, want context.Canceled", err)
			}
		default:
			t.Fatal("Stop returned while the job was still running")
		}
		// An interrupted job goes back to the queue for a later run.
		if s, _ := jobState(t, db, id); s != "available" {
			t.Fatalf("state = %q, want available", s)
		}
	})
}

type splitArgs struct {
	N int `json:"n"`
}

func (splitArgs) Kind() string { return "test.split" }

func TestInsertOnlyQueueNeverWorks(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		var webRuns, workerRuns counter
		web, _ := newQueue(t, db, Config{Work: false}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[splitArgs]) error {
				webRuns.inc()
				return nil
			}))
		})
		if err := web.Start(ctx); err != nil {
			t.Fatalf("Start on an inserting-only queue: %v", err)
		}
		insertTx(t, db, web, splitArgs{N: 1}, nil)
		if _, err := web.InsertNoTx(ctx, splitArgs{N: 2}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * testPoll)
		if n := webRuns.get(); n != 0 {
			t.Fatalf("inserting-only queue ran %d jobs", n)
		}
		for _, id := range jobIDs(t, db, splitArgs{}.Kind()) {
			if s, _ := jobState(t, db, id); s != "available" {
				t.Fatalf("job %d state = %q, want available", id, s)
			}
		}

		_, _ = newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[splitArgs]) error {
				workerRuns.inc()
				return nil
			}))
		})
		waitFor(t, 10*time.Second, "the working queue to run both jobs", func() bool { return workerRuns.get() == 2 })
		if n := webRuns.get(); n != 0 {
			t.Fatalf("inserting-only queue ran %d jobs", n)
		}
	})
}

type tickArgs struct{}

func (tickArgs) Kind() string { return "test.tick" }

func TestPeriodicSingletonJobRunsAgain(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		var runs counter
		q, _ := newQueue(t, db, Config{
			Work: true,
			Periodic: []*PeriodicJob{NewPeriodicJob(PeriodicInterval(500*time.Millisecond),
				func() (Args, *InsertOpts) { return tickArgs{}, &InsertOpts{UniqueOpts: Singleton()} },
				&PeriodicJobOpts{RunOnStart: true})},
		}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[tickArgs]) error {
				runs.inc()
				return nil
			}))
		})
		waitFor(t, 10*time.Second, "the periodic singleton job to run three times", func() bool { return runs.get() >= 3 })
		// And one inserted by hand after those completed runs too.
		before := runs.get()
		if ok, err := q.InsertNoTx(context.Background(), tickArgs{}, &InsertOpts{UniqueOpts: Singleton()}); err != nil {
			t.Fatal(err)
		} else if ok {
			waitFor(t, 10*time.Second, "the inserted singleton job to run", func() bool { return runs.get() > before })
		}
	})
}

func TestPeriodicJob(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		var runs counter
		_, _ = newQueue(t, db, Config{
			Work: true,
			Periodic: []*PeriodicJob{NewPeriodicJob(PeriodicInterval(500*time.Millisecond),
				func() (Args, *InsertOpts) { return tickArgs{}, nil },
				&PeriodicJobOpts{RunOnStart: true})},
		}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[tickArgs]) error {
				runs.inc()
				return nil
			}))
		})
		waitFor(t, 10*time.Second, "the periodic job to run twice", func() bool { return runs.get() >= 2 })
	})
}

func TestMisuse(t *testing.T) {
	run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		// Stop before Start, on both roles.
		for _, work := range []bool{false, true} {
			q, err := New(db, nil, Config{Work: work})
			if err != nil {
				t.Fatal(err)
			}
			if err := q.Stop(ctx); err != nil {
				t.Fatalf("Stop before Start (work=%v): %v", work, err)
			}
		}
		q, _ := newQueue(t, db, Config{Work: true}, func(q *Queue) {
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[noteArgs]) error { return nil }))
		})
		if _, err := q.Insert(ctx, nil, noteArgs{}, nil); err == nil {
			t.Fatal("Insert with a nil transaction succeeded")
		}
		// A working queue refuses jobs nobody here can run.
		if _, err := q.InsertNoTx(ctx, greetArgs{}, nil); err == nil {
			t.Fatal("Insert of a kind with no registered worker succeeded")
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("AddWorker after Start did not panic")
				}
			}()
			AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[greetArgs]) error { return nil }))
		}()
		if _, err := New(db, nil, Config{Periodic: []*PeriodicJob{NewPeriodicJob(PeriodicInterval(time.Hour),
			func() (Args, *InsertOpts) { return tickArgs{}, nil }, nil)}}); err == nil {
			t.Fatal("New accepted periodic jobs on an inserting-only queue")
		}
	})
}

func TestAddWorkerRejectsDuplicateAndBadKind(t *testing.T) {
	db := dbtest.SQLite(t)
	q, err := New(db, nil, Config{})
	if err != nil {
		t.Fatal(err)
	}
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", what)
			}
		}()
		f()
	}
	AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[noteArgs]) error { return nil }))
	mustPanic("duplicate AddWorker", func() {
		AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[noteArgs]) error { return nil }))
	})
	mustPanic("AddWorker of a bad kind", func() {
		AddWorker(q, WorkFunc(func(ctx context.Context, job *Job[badKindArgs]) error { return nil }))
	})
}

type badKindArgs struct{}

func (badKindArgs) Kind() string { return "has spaces" }
