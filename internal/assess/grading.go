package assess

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// AttemptResult is a graded attempt.
type AttemptResult struct {
	Score    float64        `json:"score"`
	Max      float64        `json:"max"`
	Sections []SectionScore `json:"sections"`
	Items    []ItemScore    `json:"items"`
	// Pending counts answers waiting for a marker (essays); Score leaves
	// them out until they are marked.
	Pending int `json:"pending,omitempty"`
}

// SectionScore is a section's part of a result.
type SectionScore struct {
	ID       string  `json:"id"`
	Score    float64 `json:"score"`
	Max      float64 `json:"max"`
	Answered int     `json:"answered"`
	Correct  int     `json:"correct"`
	Wrong    int     `json:"wrong"`
}

// ItemScore is one question's part of a result, in paper order.
type ItemScore struct {
	ItemID   int64   `json:"item_id"`
	Score    float64 `json:"score"`
	Max      float64 `json:"max"` // the most the question could earn on this paper
	Answered bool    `json:"answered,omitempty"`
	Correct  bool    `json:"correct,omitempty"`
	Manual   bool    `json:"manual,omitempty"` // waits for a marker
	// Choice is the option chosen on a single-choice or true/false item,
	// for distractor analysis.
	Choice string `json:"choice,omitempty"`
	// Ignored is set on answers beyond a section's "attempt any n": only
	// the first n answered, in paper order, count.
	Ignored bool `json:"ignored,omitempty"`
}

// scorers compiles each item of the version once, with its section's
// marking scheme applied.
func (le *liveExam) scorers() (map[int64]*Scorer, error) {
	le.scoreOnce.Do(func() {
		le.scoring = make(map[int64]*Scorer, len(le.v.Items))
		for id, it := range le.v.Items {
			sc, err := Compile(withMarking(it, le.markingOf(id)))
			if err != nil {
				le.scoreErr = err
				return
			}
			le.scoring[id] = sc
		}
	})
	return le.scoring, le.scoreErr
}

// withMarking returns it scored by a section's scheme: its marks, penalty
// and unanswered score replaced, weights and bounds scaled to the new
// marks.
func withMarking(it *Item, m *Marking) *Item {
	if m == nil {
		return it
	}
	c := *it
	sc := it.Scoring
	f := 1.0
	if sc.Marks > 0 {
		f = m.Marks / sc.Marks
	}
	c.Scoring = Scoring{Marks: m.Marks, Penalty: m.Penalty, Unanswered: m.Unanswered, Partial: sc.Partial, DefaultWeight: sc.DefaultWeight * f}
	if len(sc.Weights) > 0 {
		c.Scoring.Weights = make(map[string]float64, len(sc.Weights))
		for k, w := range sc.Weights {
			c.Scoring.Weights[k] = w * f
		}
		if sc.Upper != nil {
			u := *sc.Upper * f
			c.Scoring.Upper = &u
		}
		if sc.Lower != nil {
			l := *sc.Lower * f
			c.Scoring.Lower = &l
		}
	}
	return &c
}

// grade scores a candidate's answers on their paper.
func (le *liveExam) grade(p Paper, answers map[int64]*Response) (*AttemptResult, error) {
	scorers, err := le.scorers()
	if err != nil {
		return nil, err
	}
	test := &le.v.Test
	res := &AttemptResult{Sections: make([]SectionScore, len(test.Sections)), Items: make([]ItemScore, len(p.Slots))}
	counted := make([]int, len(test.Sections))
	maxima := make([][]float64, len(test.Sections))
	for i, slot := range p.Slots {
		sec := &res.Sections[slot.Section]
		sec.ID = test.Sections[slot.Section].ID
		sc := scorers[slot.ItemID]
		if sc == nil {
			return nil, fmt.Errorf("assess: grade: item %d is not in the version", slot.ItemID)
		}
		maxima[slot.Section] = append(maxima[slot.Section], sc.Max())
		is := ItemScore{ItemID: slot.ItemID, Max: sc.Max()}
		ans := answers[slot.ItemID]
		r := sc.Score(ans)
		if t := le.v.Items[slot.ItemID].Type; (t == SingleChoice || t == TrueFalse) && ans != nil && len(ans.Choices) == 1 {
			is.Choice = ans.Choices[0]
		}
		is.Score, is.Answered, is.Correct, is.Manual = r.Score, r.Answered, r.Correct, r.Manual
		if limit := test.Sections[slot.Section].Attempt; limit > 0 && r.Answered {
			if counted[slot.Section] >= limit {
				is = ItemScore{ItemID: slot.ItemID, Max: is.Max, Answered: true, Ignored: true}
			}
			counted[slot.Section]++
		}
		if !is.Ignored {
			switch {
			case is.Manual:
				res.Pending++
			case is.Correct:
				sec.Correct++
			case is.Answered && is.Score <= 0:
				sec.Wrong++
			}
			if is.Answered {
				sec.Answered++
			}
			sec.Score += is.Score
		}
		res.Items[i] = is
	}
	for i := range res.Sections {
		m := maxima[i]
		if limit := test.Sections[i].Attempt; limit > 0 && limit < len(m) {
			// Only the best n can count.
			slices.SortFunc(m, func(a, b float64) int { return int(math.Copysign(1, b-a)) })
			m = m[:limit]
		}
		for _, x := range m {
			res.Sections[i].Max += x
		}
		res.Sections[i].Score = round6(res.Sections[i].Score)
		res.Score += res.Sections[i].Score
		res.Max += res.Sections[i].Max
	}
	res.Score = round6(res.Score)
	return res, nil
}

// round6 keeps sums of fractional marks from showing float noise.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// GradeBatch is how many submitted attempts one grading transaction takes.
const GradeBatch = 500

// GradeSubmitted grades up to limit submitted, ungraded exam attempts (in
// batches of GradeBatch, each in one transaction) and returns how many it
// graded. Run by a periodic job, so attempts are graded whichever server
// submitted them, and after a crash.
func (d *Delivery) GradeSubmitted(ctx context.Context, limit int) (int, error) {
	const op = "assess: grade"
	// The ids first, then their batches on two workers: one reads and
	// scores a batch while the other writes, on both engines.
	rows, err := d.db.Query(ctx, `SELECT id FROM attempts WHERE submitted_at IS NOT NULL AND graded_at IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return 0, errs.Wrap(op, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, errs.Wrap(op, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, errs.Wrap(op, err)
	}
	batches := make(chan []int64)
	var (
		mu    sync.Mutex // guards done and first
		done  int
		first error
		wg    sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			for b := range batches {
				n, err := d.grade(ctx, `WHERE id >= $1 AND id <= $2 AND submitted_at IS NOT NULL AND graded_at IS NULL`, b[0], b[len(b)-1])
				mu.Lock()
				done += n
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	for start := 0; start < len(ids); start += GradeBatch {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		batches <- ids[start:min(start+GradeBatch, len(ids))]
	}
	close(batches)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return done, first
}

type gradeRow struct {
	id, exam, candidate int64
	test                int64
	version             int
	seed                string
	answers             map[int64]*Response
}

// gradeAttempt grades one submitted attempt now (practice, on submit).
func (d *Delivery) gradeAttempt(ctx context.Context, id int64) error {
	_, err := d.grade(ctx, `WHERE id = $1 AND submitted_at IS NOT NULL AND graded_at IS NULL`, id)
	return err
}

// grade grades the attempts that where selects (exams' and practice), in
// one transaction.
func (d *Delivery) grade(ctx context.Context, where string, args ...any) (int, error) {
	const op = "assess: grade"
	rows, err := d.db.Query(ctx, `SELECT id, COALESCE(exam_id, 0), COALESCE(candidate_id, 0), test_id, test_version, seed FROM attempts `+where+` ORDER BY id`, args...)
	if err != nil {
		return 0, errs.Wrap(op, err)
	}
	var list []*gradeRow
	byID := map[int64]*gradeRow{}
	for rows.Next() {
		g := &gradeRow{answers: map[int64]*Response{}}
		if err := rows.Scan(&g.id, &g.exam, &g.candidate, &g.test, &g.version, &g.seed); err != nil {
			rows.Close()
			return 0, errs.Wrap(op, err)
		}
		list = append(list, g)
		byID[g.id] = g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, errs.Wrap(op, err)
	}
	if len(list) == 0 {
		return 0, nil
	}
	// One range read of the batch's answers (attempt ids ascending).
	resp, err := d.db.Query(ctx, `SELECT attempt_id, item_id, response FROM responses WHERE attempt_id >= $1 AND attempt_id <= $2`, list[0].id, list[len(list)-1].id)
	if err != nil {
		return 0, errs.Wrap(op, err)
	}
	for resp.Next() {
		var aid, item int64
		var text string
		if err := resp.Scan(&aid, &item, &text); err != nil {
			resp.Close()
			return 0, errs.Wrap(op, err)
		}
		g := byID[aid]
		if g == nil || text == "null" {
			continue
		}
		r := new(Response)
		if err := decodeResponse([]byte(text), r); err != nil {
			resp.Close()
			return 0, errs.Wrap(op, fmt.Errorf("attempt %d item %d: %w", aid, item, err))
		}
		g.answers[item] = r
	}
	resp.Close()
	if err := resp.Err(); err != nil {
		return 0, errs.Wrap(op, err)
	}
	type graded struct {
		id      int64
		score   float64
		result  string
		pending int
	}
	out := make([]graded, 0, len(list))
	for _, g := range list {
		var res *AttemptResult
		t := Ticket{Exam: g.exam, Candidate: g.candidate, TestID: g.test, Version: int32(g.version)}
		le, err := d.liveFor(ctx, t)
		if err != nil {
			return 0, err
		}
		var paper Paper
		if t.Practice() {
			if paper, err = paperOfSeed(le, g.seed); err != nil {
				return 0, errs.Wrap(op, err)
			}
		} else {
			paper = le.v.Paper(PaperSeed(le.exam.secret, g.candidate))
		}
		res, err = le.grade(paper, g.answers)
		if err != nil {
			return 0, errs.Wrap(op, err)
		}
		b, err := json.Marshal(res)
		if err != nil {
			return 0, errs.Wrap(op, err)
		}
		out = append(out, graded{g.id, res.Score, string(b), res.Pending})
	}
	now := d.now()
	err = d.db.InTx(ctx, func(tx *database.Tx) error {
		if tx.Dialect() == database.SQLite {
			// One short statement per attempt: SQLite's UPDATE … FROM a
			// VALUES list scans the table for every row of the list.
			for _, g := range out {
				if _, err := tx.Exec(ctx, `UPDATE attempts SET score = ?, result = ?, pending = ?, graded_at = ? WHERE id = ? AND graded_at IS NULL`,
					g.score, g.result, g.pending, now, g.id); err != nil {
					return errs.Wrap(op, err)
				}
			}
			return nil
		}
		for start := 0; start < len(out); start += 100 {
			end := min(start+100, len(out))
			// One statement per hundred attempts.
			var q strings.Builder
			args := make([]any, 0, 4*(end-start)+1)
			ph := placeholders(tx.Dialect())
			q.WriteString(`WITH v(id, score, result, pending) AS (VALUES `)
			for i := start; i < end; i++ {
				if i > start {
					q.WriteByte(',')
				}
				n := len(args)
				if tx.Dialect() == database.Postgres {
					fmt.Fprintf(&q, "(%s::bigint,%s::double precision,%s::text,%s::integer)", ph(n+1), ph(n+2), ph(n+3), ph(n+4))
				} else {
					fmt.Fprintf(&q, "(%s,%s,%s,%s)", ph(n+1), ph(n+2), ph(n+3), ph(n+4))
				}
				args = append(args, out[i].id, out[i].score, out[i].result, out[i].pending)
			}
			args = append(args, now)
			q.WriteString(`) UPDATE attempts SET score = v.score, result = v.result, pending = v.pending, graded_at = ` + ph(len(args)) + ` FROM v WHERE attempts.id = v.id AND attempts.graded_at IS NULL`)
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return errs.Wrap(op, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(out), nil
}

// Result returns the graded result of the candidate's attempt, for staff
// (the candidate sees it once results are published). Nil if not graded.
func (d *Delivery) result(ctx context.Context, attempt int64) (*AttemptResult, *time.Time, error) {
	var text *string
	var at *time.Time
	if err := d.db.QueryRow(ctx, `SELECT result, graded_at FROM attempts WHERE id = $1`, attempt).Scan(&text, &at); err != nil {
		return nil, nil, errs.Wrap("assess: result", err)
	}
	if text == nil {
		return nil, nil, nil
	}
	var r AttemptResult
	if err := json.Unmarshal([]byte(*text), &r); err != nil {
		return nil, nil, errs.Wrap("assess: result", err)
	}
	return &r, at, nil
}
