package assess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/assess/analysis"
	"github.com/vidya-edu/vidya/internal/assess/render"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// CodeNotPublished is the problem code for a result asked for before the
// exam's results are published.
const CodeNotPublished = "results-not-published"

// PublishResults shows the computed results to candidates (publish) or
// hides them again. Administrators; audited.
func (s *Service) PublishResults(ctx context.Context, p *identity.Principal, code string, examID int64, publish bool) error {
	const op = "assess: publish results"
	a, err := s.authority(ctx, p, code, examAdminRoles)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var state string
		err := tx.QueryRow(ctx, `SELECT results_state FROM exams WHERE id = $1 AND authority_id = $2`, examID, a.ID).Scan(&state)
		if errors.Is(err, database.ErrNoRows) {
			return errs.E(errs.NotFound, op, "no exam %d", examID)
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		if publish && state != "ready" {
			return errs.E(errs.Conflict, op, "compute the results before publishing them")
		}
		var at any
		action := "exam.results.unpublish"
		if publish {
			at, action = s.now(), "exam.results.publish"
		}
		if _, err := tx.Exec(ctx, `UPDATE exams SET results_published_at = $1 WHERE id = $2`, at, examID); err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, action, fmt.Sprintf("exam %d", examID), nil)
	})
}

// CandidateResult is what a candidate sees once results are published:
// their scores, standing and response sheet.
type CandidateResult struct {
	ExamTitle   string         `json:"exam_title"`
	Score       float64        `json:"score"`
	Max         float64        `json:"max"`
	Sections    []SectionScore `json:"sections"`
	Shift       string         `json:"shift"`
	ShiftRank   int            `json:"shift_rank"`
	Percentile  string         `json:"percentile"` // within the shift, 7 decimals (NTA)
	OverallRank int            `json:"overall_rank"`
	// Pending counts answers still waiting for a marker.
	Pending int          `json:"pending,omitempty"`
	Sheet   []SheetEntry `json:"sheet"`
}

// SheetEntry is one question of the response sheet: the candidate's
// answer beside the key, with the solution.
type SheetEntry struct {
	ItemID   int64     `json:"item_id"`
	Section  string    `json:"section"`
	Response *Response `json:"response"`
	Key      Key       `json:"key"`
	Score    float64   `json:"score"`
	Correct  bool      `json:"correct,omitempty"`
	Ignored  bool      `json:"ignored,omitempty"`
	// Corrected says the key was corrected after a challenge (Key is the
	// corrected one); Dropped that the question was dropped and everyone
	// whose paper had it got its marks.
	Corrected bool `json:"corrected,omitempty"`
	Dropped   bool `json:"dropped,omitempty"`
	// Solution is each language's explanation, as safe HTML.
	Solution map[string]string `json:"solution,omitempty"`
}

// Result returns the candidate's result and response sheet, once the
// exam's results are published.
func (d *Delivery) Result(ctx context.Context, ticket string) (*CandidateResult, error) {
	const op = "assess: candidate result"
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	le, err := d.liveFor(ctx, t)
	if err != nil {
		return nil, err
	}
	if t.Practice() {
		return d.practiceResult(ctx, le, t)
	}
	var published *time.Time
	out := &CandidateResult{ExamTitle: le.exam.Title}
	err = d.db.QueryRow(ctx, `SELECT e.results_published_at, COALESCE(r.shift, ''), COALESCE(r.shift_rank, 0), COALESCE(r.percentile, ''), COALESCE(r.overall_rank, 0)
		FROM attempts a JOIN exams e ON e.id = a.exam_id LEFT JOIN results r ON r.attempt_id = a.id
		WHERE a.id = $1 AND a.candidate_id = $2`, t.Attempt, t.Candidate).Scan(&published, &out.Shift, &out.ShiftRank, &out.Percentile, &out.OverallRank)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	// A results row exists only for a graded attempt (ComputeResults).
	if published == nil || out.Percentile == "" {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeNotPublished, Message: "the results of this exam are not published yet"}
	}
	return d.sheet(ctx, le, t, out)
}

// sheet fills in a graded attempt's scores and response sheet.
func (d *Delivery) sheet(ctx context.Context, le *liveExam, t Ticket, out *CandidateResult) (*CandidateResult, error) {
	const op = "assess: response sheet"
	var text *string
	if err := d.db.QueryRow(ctx, `SELECT result FROM attempts WHERE id = $1`, t.Attempt).Scan(&text); err != nil {
		return nil, errs.Wrap(op, err)
	}
	if text == nil {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeNotPublished, Message: "the attempt is not graded yet"}
	}
	var res AttemptResult
	if err := json.Unmarshal([]byte(*text), &res); err != nil {
		return nil, errs.Wrap(op, err)
	}
	out.Score, out.Max, out.Sections, out.Pending = res.Score, res.Max, res.Sections, res.Pending
	answers := map[int64]*Response{}
	rows, err := d.db.Query(ctx, `SELECT item_id, response FROM responses WHERE attempt_id = $1`, t.Attempt)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	for rows.Next() {
		var id int64
		var r string
		if err := rows.Scan(&id, &r); err != nil {
			rows.Close()
			return nil, errs.Wrap(op, err)
		}
		if r != "null" {
			answers[id] = new(Response)
			if err := decodeResponse([]byte(r), answers[id]); err != nil {
				rows.Close()
				return nil, errs.Wrap(op, err)
			}
		}
	}
	rows.Close()
	paper, err := d.paperFor(ctx, le, t)
	if err != nil {
		return nil, err
	}
	var decided map[int64]*KeyDecision
	if !t.Practice() {
		if decided, err = d.decisions(ctx, d.db, t.Exam); err != nil {
			return nil, err
		}
	}
	for i, slot := range paper.Slots {
		it := le.v.Items[slot.ItemID]
		e := SheetEntry{ItemID: slot.ItemID, Section: le.v.Test.Sections[slot.Section].ID, Response: answers[slot.ItemID], Key: it.Key}
		if k := decided[slot.ItemID]; k != nil {
			switch {
			case k.Action == DecisionAccept && k.Key != nil:
				e.Key, e.Corrected = *k.Key, true
			case k.Action == DecisionDrop:
				e.Dropped = true
			}
		}
		if i < len(res.Items) && res.Items[i].ItemID == slot.ItemID {
			e.Score, e.Correct, e.Ignored = res.Items[i].Score, res.Items[i].Correct, res.Items[i].Ignored
		}
		for l, tx := range it.Text {
			if tx.Explanation != "" {
				if e.Solution == nil {
					e.Solution = map[string]string{}
				}
				e.Solution[l] = le.sign(string(render.Markdown(tx.Explanation)))
			}
		}
		out.Sheet = append(out.Sheet, e)
	}
	return out, nil
}

// ResultsSummary says what the last computation of an exam's results
// found.
type ResultsSummary struct {
	Attempts int                     `json:"attempts"`
	Shifts   []analysis.ShiftSummary `json:"shifts"`
	Test     analysis.TestStats      `json:"test"`
}

// Results states of an exam.
const (
	ResultsQueued    = "queued"    // asked for; a job will compute them
	ResultsComputing = "computing" // a job is reading the attempts
	ResultsReady     = "ready"     // computed; may be published
	ResultsStale     = "stale"     // a corrected key changed scores since
	ResultsFailed    = "failed"    // the job could not compute them; see Error
)

// ResultsStatus says where the computation of an exam's results is.
type ResultsStatus struct {
	// State is "" (never asked for) or one of the Results* states.
	State string `json:"state"`
	// Progress counts the attempts read so far out of Total, while the
	// job is computing.
	Progress    int        `json:"progress"`
	Total       int        `json:"total"`
	RequestedAt *time.Time `json:"requested_at,omitempty"`
	ComputedAt  *time.Time `json:"computed_at,omitempty"`
	// Error says why the last computation failed.
	Error string `json:"error,omitempty"`
	// Summary describes the results last computed (also while newer ones
	// are being computed).
	Summary *ResultsSummary `json:"summary,omitempty"`
}

// resultsStaleAfter is how long a computation may go without finishing
// before another worker takes it over (its worker died).
const resultsStaleAfter = 15 * time.Minute

// ComputeResults asks for an exam's results once every attempt is
// submitted, graded and marked: percentiles within each shift (NTA), the
// merit list across shifts and the item analysis (see package analysis).
// Reading every attempt of a national exam takes minutes, so the work is
// done by RunQueuedResults in a background job; this checks what it can
// at once, queues the exam and returns its status. Asking again while a
// computation is queued or running changes nothing. Results replace
// earlier ones but are not shown to candidates until PublishResults.
// Administrators; audited.
func (s *Service) ComputeResults(ctx context.Context, p *identity.Principal, code string, examID int64) (*ResultsStatus, error) {
	const op = "assess: compute results"
	a, err := s.authority(ctx, p, code, examAdminRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	if err := s.resultsReady(ctx, s.db, op, examID); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		n, err := tx.Exec(ctx, `UPDATE exams SET results_state = 'queued', results_requested_at = $1, results_error = '', results_progress = 0
			WHERE id = $2 AND results_state NOT IN ('queued', 'computing')`, s.now(), examID)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if n == 0 {
			return nil // already on its way
		}
		return s.id.Record(ctx, tx, p, a.ID, "exam.results.compute", fmt.Sprintf("exam %d", examID), nil)
	})
	if err != nil {
		return nil, err
	}
	if s.resultsQueued != nil {
		s.resultsQueued()
	}
	return s.resultsStatus(ctx, op, examID)
}

// OnResultsQueued sets f to be called after an exam's results are queued,
// so the application can start the job at once instead of at its next
// periodic run. Call it before serving.
func (s *Service) OnResultsQueued(f func()) { s.resultsQueued = f }

// ResultsStatus says where the computation of an exam's results is.
// Readers of exams.
func (s *Service) ResultsStatus(ctx context.Context, p *identity.Principal, code string, examID int64) (*ResultsStatus, error) {
	const op = "assess: results status"
	a, err := s.authority(ctx, p, code, examWatchRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	return s.resultsStatus(ctx, op, examID)
}

func (s *Service) resultsStatus(ctx context.Context, op string, examID int64) (*ResultsStatus, error) {
	var st ResultsStatus
	var summary *string
	err := s.db.QueryRow(ctx, `SELECT results_state, results_progress, results_total, results_requested_at, results_computed_at, results_error, results_summary
		FROM exams WHERE id = $1`, examID).Scan(&st.State, &st.Progress, &st.Total, &st.RequestedAt, &st.ComputedAt, &st.Error, &summary)
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, op, "no exam %d", examID)
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	for _, t := range []*time.Time{st.RequestedAt, st.ComputedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	if summary != nil {
		st.Summary = new(ResultsSummary)
		if err := json.Unmarshal([]byte(*summary), st.Summary); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	return &st, nil
}

// resultsReady checks that an exam's attempts can be ranked: none open,
// ungraded or waiting for a marker, and no corrected key half applied.
func (s *Service) resultsReady(ctx context.Context, q database.Querier, op string, examID int64) error {
	var open, ungraded, pending int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FILTER (WHERE submitted_at IS NULL), COUNT(*) FILTER (WHERE submitted_at IS NOT NULL AND graded_at IS NULL),
		COUNT(*) FILTER (WHERE pending > 0) FROM attempts WHERE exam_id = $1`, examID).Scan(&open, &ungraded, &pending); err != nil {
		return errs.Wrap(op, err)
	}
	switch {
	case open > 0:
		return errs.E(errs.Conflict, op, "%d attempts are still in progress; compute results after the last shift ends", open)
	case ungraded > 0:
		return errs.E(errs.Conflict, op, "%d submitted attempts are not graded yet (grading runs every 15 seconds); try again shortly", ungraded)
	case pending > 0:
		return errs.E(errs.Conflict, op, "%d attempts have answers waiting for a marker", pending)
	}
	var regrading int
	if err := q.QueryRow(ctx, `SELECT COUNT(*) FROM key_decisions WHERE exam_id = $1 AND done = FALSE`, examID).Scan(&regrading); err != nil {
		return errs.Wrap(op, err)
	}
	if regrading > 0 {
		return errs.E(errs.Conflict, op, "%d corrected keys are still being applied to the attempts; try again shortly", regrading)
	}
	return nil
}

// RunQueuedResults computes the results of every queued exam, one at a
// time, and of any whose computation was left unfinished by a worker that
// died. It returns how many it computed. A computation that cannot finish
// (say a marker reopened a script meanwhile) marks the exam failed with
// the reason; it is not retried until asked for again.
func (s *Service) RunQueuedResults(ctx context.Context) (int, error) {
	const op = "assess: run queued results"
	done := 0
	for {
		now := s.now()
		stale := now.Add(-resultsStaleAfter)
		var examID int64
		var run int
		err := s.db.InTx(ctx, func(tx *database.Tx) error {
			return tx.QueryRow(ctx, `UPDATE exams SET results_state = 'computing', results_started_at = $1, results_progress = 0, results_total = 0, results_run = results_run + 1
			WHERE id = (SELECT id FROM exams WHERE results_state = 'queued' OR (results_state = 'computing' AND results_started_at < $2)
				ORDER BY results_requested_at, id LIMIT 1)
			AND (results_state = 'queued' OR (results_state = 'computing' AND results_started_at < $2)) RETURNING id, results_run`, now, stale).Scan(&examID, &run)
		})
		if errors.Is(err, database.ErrNoRows) {
			return done, nil
		}
		if err != nil {
			return done, errs.Wrap(op, err)
		}
		if err := s.computeResults(ctx, examID, run); err != nil {
			if errors.Is(err, errClaimLost) {
				continue
			}
			if ctx.Err() != nil {
				// Stopped: leave it computing; it is taken over once stale.
				return done, ctx.Err()
			}
			msg := errs.E(errs.Internal, op, "the results could not be computed; see the server log").Message
			if e := errs.As(err); e != nil && e.Kind != errs.Internal {
				msg = e.Message
			} else {
				s.log.Error("computing results failed", "exam", examID, "err", err)
			}
			if _, uerr := s.db.Exec(ctx, `UPDATE exams SET results_state = 'failed', results_error = $1 WHERE id = $2 AND results_state = 'computing' AND results_run = $3`, msg, examID, run); uerr != nil {
				return done, errs.Wrap(op, uerr)
			}
			continue
		}
		done++
	}
}

// resultsProgressEvery is how many attempts the results job reads between
// progress reports.
const resultsProgressEvery = 10_000

// errClaimLost says a results computation was taken over, or its exam's
// results went stale, before it could store its work.
var errClaimLost = errors.New("assess: results computation no longer holds its claim")

// computeResults does the work of ComputeResults for one exam claimed as
// computation run.
func (s *Service) computeResults(ctx context.Context, examID int64, run int) error {
	const op = "assess: compute results"
	var authorityID int64
	if err := s.db.QueryRow(ctx, `SELECT authority_id FROM exams WHERE id = $1`, examID).Scan(&authorityID); err != nil {
		return errs.Wrap(op, err)
	}
	e, err := s.loadExam(ctx, s.db, authorityID, examID)
	if err != nil {
		return err
	}
	v, err := s.testVersion(ctx, s.db, e.TestID, e.TestVersion)
	if err != nil {
		return err
	}
	if err := s.resultsReady(ctx, s.db, op, examID); err != nil {
		return err
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM attempts WHERE exam_id = $1`, examID).Scan(&total); err != nil {
		return errs.Wrap(op, err)
	}
	if _, err := s.db.Exec(ctx, `UPDATE exams SET results_total = $1 WHERE id = $2 AND results_run = $3`, total, examID, run); err != nil {
		return errs.Wrap(op, err)
	}
	exam := analysis.Exam{}
	for _, sec := range v.Test.Sections {
		exam.Sections = append(exam.Sections, sec.ID)
	}
	var attempts []analysis.Attempt
	var candidates []int64
	rows, err := s.db.Query(ctx, `SELECT a.id, a.candidate_id, COALESCE(sh.code, ''), a.result FROM attempts a JOIN candidates c ON c.id = a.candidate_id
		LEFT JOIN shifts sh ON sh.id = c.shift_id WHERE a.exam_id = $1 ORDER BY a.id`, examID)
	if err != nil {
		return errs.Wrap(op, err)
	}
	for rows.Next() {
		var id, cand int64
		var shift, text string
		if err := rows.Scan(&id, &cand, &shift, &text); err != nil {
			rows.Close()
			return errs.Wrap(op, err)
		}
		var r AttemptResult
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			rows.Close()
			return errs.Wrap(op, fmt.Errorf("attempt %d: %w", id, err))
		}
		at := analysis.Attempt{ID: id, Shift: shift, Score: r.Score, Sections: make([]float64, len(r.Sections)), Items: make([]analysis.Response, len(r.Items))}
		for i, sec := range r.Sections {
			at.Sections[i] = sec.Score
			at.Right += sec.Correct
			at.Wrong += sec.Wrong
		}
		for i, is := range r.Items {
			// An answer beyond "attempt any n" did not count: not answered.
			at.Items[i] = analysis.Response{Item: is.ItemID, Score: is.Score, Max: is.Max, Answered: is.Answered && !is.Ignored, Choice: is.Choice}
		}
		attempts = append(attempts, at)
		candidates = append(candidates, cand)
		if len(attempts)%resultsProgressEvery == 0 {
			if _, err := s.db.Exec(ctx, `UPDATE exams SET results_progress = $1 WHERE id = $2 AND results_run = $3`, len(attempts), examID, run); err != nil {
				rows.Close()
				return errs.Wrap(op, err)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return errs.Wrap(op, err)
	}
	if len(attempts) == 0 {
		return errs.E(errs.Conflict, op, "no candidate has sat this exam")
	}
	rep, err := analysis.Analyse(exam, attempts)
	if err != nil {
		return errs.Wrap(op, err)
	}
	candidateOf := make(map[int64]int64, len(attempts))
	for i, at := range attempts {
		candidateOf[at.ID] = candidates[i]
	}
	doc, err := json.Marshal(rep.Items)
	if err != nil {
		return errs.Wrap(op, err)
	}
	summary, err := json.Marshal(ResultsSummary{Attempts: len(attempts), Shifts: rep.Ranking.Shifts, Test: rep.Items.Test})
	if err != nil {
		return errs.Wrap(op, err)
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM results WHERE exam_id = $1`, examID); err != nil {
			return errs.Wrap(op, err)
		}
		ph := placeholders(tx.Dialect())
		res := rep.Ranking.Results
		for start := 0; start < len(res); start += 500 {
			end := min(start+500, len(res))
			var q strings.Builder
			q.WriteString(`INSERT INTO results (attempt_id, exam_id, candidate_id, shift, score, shift_rank, percentile, overall_rank) VALUES `)
			args := make([]any, 0, 8*(end-start))
			for i := start; i < end; i++ {
				if i > start {
					q.WriteByte(',')
				}
				n := len(args)
				q.WriteByte('(')
				for k := 1; k <= 8; k++ {
					if k > 1 {
						q.WriteByte(',')
					}
					q.WriteString(ph(n + k))
				}
				q.WriteByte(')')
				r := res[i]
				args = append(args, r.ID, examID, candidateOf[r.ID], r.Shift, r.Score, r.ShiftRank, r.Percentile.String(), r.Rank)
			}
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return errs.Wrap(op, err)
			}
		}
		// Only the computation that holds the claim stores its work: one
		// taken over as stale must not overwrite its successor's.
		n, err := tx.Exec(ctx, `UPDATE exams SET results_state = 'ready', results_computed_at = $1, analysis = $2, results_summary = $3, results_progress = $4
			WHERE id = $5 AND results_state = 'computing' AND results_run = $6`, now, string(doc), string(summary), len(attempts), examID, run)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if n == 0 {
			return errClaimLost
		}
		return nil
	})
	return err
}

// ExamResult is one line of an exam's merit list, for staff.
type ExamResult struct {
	Rank       int     `json:"rank"`
	RollNo     string  `json:"roll_no"`
	Name       string  `json:"name"`
	Shift      string  `json:"shift"`
	Score      float64 `json:"score"`
	ShiftRank  int     `json:"shift_rank"`
	Percentile string  `json:"percentile"`
}

// Results lists an exam's merit list from rank after+1, limit at a time
// (default 50, at most 200). Readers of exams.
func (s *Service) Results(ctx context.Context, p *identity.Principal, code string, examID int64, after, limit int) ([]ExamResult, error) {
	const op = "assess: results"
	a, err := s.authority(ctx, p, code, examReadRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	n := identity.Page{Limit: limit}.Size()
	rows, err := s.db.Query(ctx, `SELECT r.overall_rank, c.roll_no, c.name, r.shift, r.score, r.shift_rank, r.percentile FROM results r JOIN candidates c ON c.id = r.candidate_id
		WHERE r.exam_id = $1 AND r.overall_rank > $2 ORDER BY r.overall_rank, r.attempt_id LIMIT $3`, examID, after, n)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := []ExamResult{}
	for rows.Next() {
		var r ExamResult
		if err := rows.Scan(&r.Rank, &r.RollNo, &r.Name, &r.Shift, &r.Score, &r.ShiftRank, &r.Percentile); err != nil {
			return nil, errs.Wrap(op, err)
		}
		out = append(out, r)
	}
	return out, errs.Wrap(op, rows.Err())
}

// Analysis returns the item analysis and test statistics stored by
// ComputeResults. Readers of exams.
func (s *Service) Analysis(ctx context.Context, p *identity.Principal, code string, examID int64) (*analysis.ItemReport, error) {
	const op = "assess: analysis"
	a, err := s.authority(ctx, p, code, examReadRoles)
	if err != nil {
		return nil, err
	}
	var doc *string
	err = s.db.QueryRow(ctx, `SELECT analysis FROM exams WHERE id = $1 AND authority_id = $2`, examID, a.ID).Scan(&doc)
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, op, "no exam %d", examID)
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if doc == nil {
		return nil, errs.E(errs.NotFound, op, "the results of exam %d have not been computed", examID)
	}
	var rep analysis.ItemReport
	if err := json.Unmarshal([]byte(*doc), &rep); err != nil {
		return nil, errs.Wrap(op, err)
	}
	return &rep, nil
}

// ExamRecords calls fn with each of an exam's computed results, in merit
// order and numbered from 1, as the fields a certificate may use: holder.id (roll number),
// holder.name, result.score, result.rank, result.percentile,
// result.shift, result.shift_rank and exam.title. It returns the exam's
// title. Readers of exams.
func (s *Service) ExamRecords(ctx context.Context, p *identity.Principal, code string, examID int64, fn func(n int, rec map[string]string) error) (string, error) {
	const op = "assess: exam records"
	a, err := s.authority(ctx, p, code, examReadRoles)
	if err != nil {
		return "", err
	}
	e, err := s.loadExam(ctx, s.db, a.ID, examID)
	if err != nil {
		return "", err
	}
	rows, err := s.db.Query(ctx, `SELECT r.overall_rank, c.roll_no, c.name, r.shift, r.score, r.shift_rank, r.percentile FROM results r JOIN candidates c ON c.id = r.candidate_id
		WHERE r.exam_id = $1 ORDER BY r.overall_rank, r.attempt_id`, examID)
	if err != nil {
		return "", errs.Wrap(op, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var r ExamResult
		if err := rows.Scan(&r.Rank, &r.RollNo, &r.Name, &r.Shift, &r.Score, &r.ShiftRank, &r.Percentile); err != nil {
			return "", errs.Wrap(op, err)
		}
		n++
		if err := fn(n, map[string]string{
			"holder.id": r.RollNo, "holder.name": r.Name, "result.score": strconv.FormatFloat(r.Score, 'f', -1, 64),
			"result.rank": strconv.Itoa(r.Rank), "result.percentile": r.Percentile, "result.shift": r.Shift,
			"result.shift_rank": strconv.Itoa(r.ShiftRank), "exam.title": e.Title,
		}); err != nil {
			return "", err
		}
	}
	return e.Title, errs.Wrap(op, rows.Err())
}
