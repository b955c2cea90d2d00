package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
)

// testPoll is the fetch interval tests run with.
const testPoll = 50 * time.Millisecond

// logRecord is one captured log line.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]any
}

func (r logRecord) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", r.Level, r.Msg)
	for k, v := range r.Attrs {
		if k == "stack" {
			continue
		}
		fmt.Fprintf(&b, " %s=%v", k, v)
	}
	return b.String()
}

// logRecorder captures log records (Info and above) for assertions; a
// failing test prints them.
type logRecorder struct {
	mu   sync.Mutex
	recs []logRecord
}

func (l *logRecorder) all() []logRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logRecord(nil), l.recs...)
}

// forJob returns the records carrying job_id == id.
func (l *logRecorder) forJob(id int64) []logRecord {
	var out []logRecord
	for _, r := range l.all() {
		if v, ok := r.Attrs["job_id"]; ok && v == id {
			out = append(out, r)
		}
	}
	return out
}

type recHandler struct {
	rec   *logRecorder
	attrs []slog.Attr
}

func (h *recHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *recHandler) Handle(_ context.Context, r slog.Record) error {
	lr := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]any{}}
	add := func(a slog.Attr) bool {
		lr.Attrs[a.Key] = a.Value.Resolve().Any()
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	h.rec.mu.Lock()
	h.rec.recs = append(h.rec.recs, lr)
	h.rec.mu.Unlock()
	return nil
}

func (h *recHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recHandler{rec: h.rec, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *recHandler) WithGroup(string) slog.Handler { return h }

// newQueue builds a Queue for a test: short polling, no start-up jitter,
// workers registered by register, started if cfg.Work, and stopped when the
// test ends (before its database closes).
func newQueue(t *testing.T, db *database.DB, cfg Config, register func(q *Queue)) (*Queue, *logRecorder) {
	t.Helper()
	rec := &logRecorder{}
	t.Cleanup(func() {
		if t.Failed() {
			for _, r := range rec.all() {
				t.Log("log:", r)
			}
		}
	})
	if cfg.FetchPollInterval == 0 {
		cfg.FetchPollInterval = testPoll
	}
	cfg.testOnly = true
	q, err := New(db, slog.New(&recHandler{rec: rec}), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if register != nil {
		register(q)
	}
	if cfg.Work {
		if err := q.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return q, rec
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jobIDs returns the ids of the stored jobs of a kind, oldest first.
func jobIDs(t *testing.T, db *database.DB, kind string) []int64 {
	t.Helper()
	rows, err := db.Query(context.Background(), "SELECT id FROM river_job WHERE kind = $1 ORDER BY id", kind)
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatalf("scan job id: %v", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	return ids
}

// onlyJob returns the id of the single stored job of a kind.
func onlyJob(t *testing.T, db *database.DB, kind string) int64 {
	t.Helper()
	ids := jobIDs(t, db, kind)
	if len(ids) != 1 {
		t.Fatalf("want exactly one %s job stored, have %d", kind, len(ids))
	}
	return ids[0]
}

// jobState returns a stored job's state and attempt number.
func jobState(t *testing.T, db *database.DB, id int64) (state string, attempt int) {
	t.Helper()
	err := db.QueryRow(context.Background(), "SELECT state, attempt FROM river_job WHERE id = $1", id).Scan(&state, &attempt)
	if err != nil {
		t.Fatalf("job %d state: %v", id, err)
	}
	return state, attempt
}

func countJobs(t *testing.T, db *database.DB, kind string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE kind = $1", kind).Scan(&n); err != nil {
		t.Fatalf("count jobs: %v", err)
	}
	return n
}

// counter counts calls, safely across goroutines.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// insertTx inserts one job in a committed transaction.
func insertTx(t *testing.T, db *database.DB, q *Queue, args Args, opts *InsertOpts) bool {
	t.Helper()
	var inserted bool
	err := db.InTx(context.Background(), func(tx *database.Tx) error {
		var err error
		inserted, err = q.Insert(context.Background(), tx, args, opts)
		return err
	})
	if err != nil {
		t.Fatalf("insert %s: %v", args.Kind(), err)
	}
	return inserted
}
