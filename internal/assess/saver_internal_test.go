package assess

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// TestGroupCommitSurvivesOneBadRequest: when one request of a group makes
// the shared transaction fail, the others are committed one by one and
// acknowledged; only the bad one is refused, as "try again".
func TestGroupCommitSurvivesOneBadRequest(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		sv := newSaver(db, slog.New(slog.NewTextHandler(io.Discard, nil)), 1, 16)
		t.Cleanup(sv.close)
		insert := func(key string) func(context.Context, *database.Tx) error {
			return func(ctx context.Context, tx *database.Tx) error {
				_, err := tx.Exec(ctx, `INSERT INTO login_failures (key, window_start, failures) VALUES ($1, $2, 1)`, key, time.Now().UTC())
				return errs.Wrap("test", err)
			}
		}
		// The first request holds the writer until the other two wait in
		// the queue, so that those two share the next transaction.
		release, entered := make(chan struct{}), make(chan struct{}, 1)
		first := make(chan error, 1)
		go func() {
			_, err := sv.save(ctx, &saveReq{exec: func(ctx context.Context, tx *database.Tx) error {
				select {
				case entered <- struct{}{}:
				default: // run again, one by one: do not wait
				}
				<-release
				return insert("first")(ctx, tx)
			}})
			first <- err
		}()
		<-entered
		results := make(chan error, 2)
		good := &saveReq{exec: insert("good")}
		bad := &saveReq{exec: func(context.Context, *database.Tx) error { return errs.Wrap("test", errors.New("disk on fire")) }}
		for _, r := range []*saveReq{good, bad} {
			go func() {
				_, err := sv.save(ctx, r)
				results <- err
			}()
		}
		for deadline := time.Now().Add(10 * time.Second); len(sv.reqs) < 2; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the two requests never reached the queue")
			}
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		<-results
		<-results
		if good.err != nil {
			t.Fatalf("the good request was refused: %v", good.err)
		}
		if !errs.Is(bad.err, errs.Unavailable) {
			t.Fatalf("the bad request: %v, want unavailable", bad.err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM login_failures WHERE key IN ('first', 'good')`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d rows committed, %v", n, err)
		}
	})
}
