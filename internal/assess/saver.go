package assess

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The saver commits candidates' answers in groups: each writer goroutine
// takes every save request waiting for it, up to a batch, and commits them
// in one transaction, so the cost of a commit (an fsync on SQLite) is
// shared by all of them. A request is answered only after its transaction
// commits: an acknowledged save survives a crash or a power cut.
type saver struct {
	db       *database.DB
	log      *slog.Logger
	maxBatch int

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool
	reqs   chan *saveReq
	wg     sync.WaitGroup
}

// saveRow is one answer to store.
type saveRow struct {
	item     int64
	seq      int64
	response string // JSON; "null" for a cleared answer
	marked   bool
}

// saveReq is one device's request: answers to store, or a submission.
type saveReq struct {
	attempt int64
	device  int32
	arrived time.Time
	rows    []saveRow
	submit  bool
	// exec, if set, is other work to do in the group's transaction (a
	// start or resume), instead of saving: its error is the request's.
	// It must leave the transaction usable when it returns a domain error.
	exec func(ctx context.Context, tx *database.Tx) error
	// paper is the paper the rows answer, for section time limits.
	paper *liveExam

	res  SaveResult
	err  error
	done chan struct{}
}

func newSaver(db *database.DB, log *slog.Logger, writers, maxBatch int) *saver {
	s := &saver{db: db, log: log, maxBatch: maxBatch, reqs: make(chan *saveReq, maxBatch*writers)}
	for range writers {
		s.wg.Add(1)
		go s.run()
	}
	return s
}

// save hands r to a writer and waits until it is committed or refused.
func (s *saver) save(ctx context.Context, r *saveReq) (*SaveResult, error) {
	r.done = make(chan struct{})
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, errs.E(errs.Unavailable, "assess: save", "the server is shutting down; your answers are kept on your device and will be sent again")
	}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		s.mu.RUnlock()
		return nil, ctx.Err()
	}
	s.mu.RUnlock()
	select {
	case <-r.done:
		if r.err != nil {
			return nil, r.err
		}
		return &r.res, nil
	case <-ctx.Done():
		// The save may still commit; the device retries with the same
		// sequence numbers, which is harmless.
		return nil, ctx.Err()
	}
}

// close stops taking requests and waits for the writers to commit what
// they hold.
func (s *saver) close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.reqs)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *saver) run() {
	defer s.wg.Done()
	batch := make([]*saveReq, 0, s.maxBatch)
	for r := range s.reqs {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < s.maxBatch {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch commits a batch; if the transaction fails as a whole, each
// request is tried on its own, so one bad request cannot sink the others.
func (s *saver) commitBatch(batch []*saveReq) {
	err := s.commit(batch)
	if err != nil && len(batch) > 1 {
		s.log.Warn("group commit failed; committing its saves one by one", "saves", len(batch), "err", err)
		for _, r := range batch {
			r.res, r.err = SaveResult{}, nil
			if err := s.commit([]*saveReq{r}); err != nil {
				r.err = err
			}
		}
	} else if err != nil {
		batch[0].err = err
	}
	for _, r := range batch {
		if r.err != nil && errs.KindOf(r.err) == errs.Internal {
			s.log.Error("exam write failed", "attempt", r.attempt, "err", r.err)
			if r.exec != nil {
				r.err = errs.E(errs.Unavailable, "assess: start", "the server could not start your exam just now; try again in a moment")
			} else {
				r.err = errs.E(errs.Unavailable, "assess: save", "your answers could not be saved just now; they are kept on your device and will be sent again")
			}
		}
		close(r.done)
	}
}

type attemptState struct {
	device       int32
	deadline     *time.Time // nil for an untimed practice test
	submitted    bool
	section      int
	sectionStart *time.Time
	began        time.Time
}

type rowKey struct{ attempt, item int64 }

// commit runs one transaction for batch, setting each request's result
// or refusal. It returns an error only when the transaction failed.
func (s *saver) commit(batch []*saveReq) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var saves []*saveReq
		for _, r := range batch {
			if r.exec == nil {
				saves = append(saves, r)
				continue
			}
			r.err = r.exec(ctx, tx)
			if r.err != nil && errs.KindOf(r.err) == errs.Internal {
				return r.err // the transaction may be broken: fail the group
			}
		}
		batch = saves
		if len(batch) == 0 {
			return nil
		}
		states, err := readStates(ctx, tx, batch)
		if err != nil {
			return err
		}
		best := map[rowKey]int{} // → index into rows
		var rows []saveRow
		var owners []*saveReq
		for _, r := range batch {
			r.err = nil
			st, ok := states[r.attempt]
			switch {
			case !ok:
				r.err = errs.E(errs.NotFound, "assess: save", "no such attempt")
				continue
			case st.submitted:
				r.err = &errs.Error{Kind: errs.Conflict, Op: "assess: save", Code: CodeSubmitted, Message: "this exam has been submitted; nothing more can be saved"}
				continue
			case st.device != r.device:
				r.err = takenOver()
				continue
			case st.deadline != nil && r.arrived.After(*st.deadline):
				r.err = &errs.Error{Kind: errs.Conflict, Op: "assess: save", Code: CodeDeadlinePassed,
					Message: fmt.Sprintf("the time for this exam ended at %s; answers sent after it are not kept", st.deadline.UTC().Format(time.RFC3339))}
				continue
			}
			if err := r.checkSection(st); err != nil {
				r.err = err
				continue
			}
			if st.deadline != nil {
				r.res.Deadline = st.deadline.UTC()
			}
			if r.submit {
				if _, err := tx.Exec(ctx, `UPDATE attempts SET submitted_at = $1, submitted_by = 'candidate' WHERE id = $2 AND submitted_at IS NULL`, r.arrived, r.attempt); err != nil {
					return errs.Wrap("assess: submit", err)
				}
				st.submitted = true
				states[r.attempt] = st
				continue
			}
			for _, row := range r.rows {
				k := rowKey{r.attempt, row.item}
				if i, ok := best[k]; ok {
					if rows[i].seq >= row.seq {
						r.res.Stale++
						continue
					}
					owners[i].res.Stale++ // superseded within the batch
					rows[i], owners[i] = row, r
					continue
				}
				best[k] = len(rows)
				rows = append(rows, row)
				owners = append(owners, r)
			}
		}
		// The same order in every transaction: concurrent writers on
		// PostgreSQL then wait for each other's row locks but never
		// deadlock.
		order := make([]int, len(rows))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int {
			if c := cmp.Compare(owners[a].attempt, owners[b].attempt); c != 0 {
				return c
			}
			return cmp.Compare(rows[a].item, rows[b].item)
		})
		sortedRows, sortedOwners := make([]saveRow, len(rows)), make([]*saveReq, len(rows))
		for i, j := range order {
			sortedRows[i], sortedOwners[i] = rows[j], owners[j]
		}
		rows, owners = sortedRows, sortedOwners
		applied, err := upsertResponses(ctx, tx, rows, owners)
		if err != nil {
			return err
		}
		for i := range rows {
			if applied[rowKey{owners[i].attempt, rows[i].item}] {
				owners[i].res.Saved++
			} else {
				owners[i].res.Stale++
			}
		}
		return nil
	})
}

func readStates(ctx context.Context, tx *database.Tx, batch []*saveReq) (map[int64]attemptState, error) {
	ids := make([]any, 0, len(batch))
	seen := map[int64]bool{}
	for _, r := range batch {
		if !seen[r.attempt] {
			seen[r.attempt] = true
			ids = append(ids, r.attempt)
		}
	}
	var q strings.Builder
	q.WriteString(`SELECT id, device, deadline, submitted_at IS NOT NULL, section, section_started_at, started_at FROM attempts WHERE id IN (`)
	ph := placeholders(tx.Dialect())
	for i := range ids {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString(ph(i + 1))
	}
	q.WriteByte(')')
	rows, err := tx.Query(ctx, q.String(), ids...)
	if err != nil {
		return nil, errs.Wrap("assess: save", err)
	}
	defer rows.Close()
	out := make(map[int64]attemptState, len(ids))
	for rows.Next() {
		var id int64
		var st attemptState
		if err := rows.Scan(&id, &st.device, &st.deadline, &st.submitted, &st.section, &st.sectionStart, &st.began); err != nil {
			return nil, errs.Wrap("assess: save", err)
		}
		out[id] = st
	}
	return out, errs.Wrap("assess: save", rows.Err())
}

// placeholders returns how to write the nth parameter of a statement whose
// parameters appear in order: $n on PostgreSQL, ? on SQLite, which looks
// $n up by name, a cost that grows with the number of parameters and
// dominated multi-row statements.
func placeholders(d database.Dialect) func(n int) string {
	if d == database.SQLite {
		return func(int) string { return "?" }
	}
	return func(n int) string { return "$" + strconv.Itoa(n) }
}

// upsertChunk is how many answers go in one statement: 6 parameters each,
// well under SQLite's and PostgreSQL's limits.
const upsertChunk = 500

// upsertResponses stores rows, each replacing the stored answer only if
// its seq is higher, and returns which were stored.
func upsertResponses(ctx context.Context, tx *database.Tx, rows []saveRow, owners []*saveReq) (map[rowKey]bool, error) {
	applied := make(map[rowKey]bool, len(rows))
	now := time.Now().UTC()
	for start := 0; start < len(rows); start += upsertChunk {
		end := min(start+upsertChunk, len(rows))
		var q strings.Builder
		q.WriteString(`INSERT INTO responses (attempt_id, item_id, seq, response, marked, saved_at) VALUES `)
		args := make([]any, 0, 6*(end-start))
		ph := placeholders(tx.Dialect())
		for i := start; i < end; i++ {
			if i > start {
				q.WriteByte(',')
			}
			n := len(args)
			q.WriteByte('(')
			for k := 1; k <= 6; k++ {
				if k > 1 {
					q.WriteByte(',')
				}
				q.WriteString(ph(n + k))
			}
			q.WriteByte(')')
			args = append(args, owners[i].attempt, rows[i].item, rows[i].seq, rows[i].response, rows[i].marked, now)
		}
		q.WriteString(` ON CONFLICT (attempt_id, item_id) DO UPDATE SET seq = excluded.seq, response = excluded.response, marked = excluded.marked, saved_at = excluded.saved_at
			WHERE excluded.seq > responses.seq RETURNING attempt_id, item_id`)
		res, err := tx.Query(ctx, q.String(), args...)
		if err != nil {
			return nil, errs.Wrap("assess: save", err)
		}
		for res.Next() {
			var k rowKey
			if err := res.Scan(&k.attempt, &k.item); err != nil {
				res.Close()
				return nil, errs.Wrap("assess: save", err)
			}
			applied[k] = true
		}
		err = res.Err()
		res.Close()
		if err != nil {
			return nil, errs.Wrap("assess: save", err)
		}
	}
	return applied, nil
}
