package assess

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/assess/render"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Manual marking. Answers a scorer cannot mark (essays: ItemScore.Manual)
// become scripts in a queue per exam. A marker asks for the next script
// and sees the question, its rubric (the item's explanation) and the
// answer, never who wrote it: the script's id is a random reference.
//
// A script is reserved for the marker who got it for ReservationTime, so
// two markers never mark it at once; an expired reservation goes to the
// next marker who asks. With double marking two different markers mark
// each script independently (the second does not see the first mark). If
// their scores differ by more than the exam's tolerance, a third person,
// an approver or administrator, moderates: their score is final.
// Otherwise the final score is the mean of the two marks (not rounded to
// the step: 3 and 3.5 give 3.25). With single marking the one mark is
// final. No one marks the same script twice.
//
// When a script's final score is known, the attempt's result (the
// question's score, its section's and the total) and its pending count
// are updated in the same transaction, and the final score is audited.

// Problem codes of marking.
const (
	CodeNothingToMark   = "nothing-to-mark"  // the queue has nothing for this marker now
	CodeReservationLost = "reservation-lost" // the marker's reservation expired and went to another
	CodeAlreadyMarked   = "already-marked"   // the script's mark for this round is in
	CodeMarkingStarted  = "marking-started"  // settings cannot change once scripts exist
)

// ReservationTime is how long a script stays with the marker who got it.
const ReservationTime = 30 * time.Minute

// Limits of marking.
const (
	MaxMarkComment  = 2000 // characters of a marker's comment
	MaxTolerance    = 1000 // marks
	scriptQueueSize = 500  // attempts queued for marking per transaction
)

// Who marks: graders and administrators mark; approvers and
// administrators moderate.
var (
	markerRoles    = []identity.Role{identity.RoleGrader, identity.RoleAdmin}
	moderatorRoles = []identity.Role{identity.RoleApprover, identity.RoleAdmin}
	markingRoles   = []identity.Role{identity.RoleGrader, identity.RoleApprover, identity.RoleAdmin}
)

// MarkingSettings are an exam's marking rules.
type MarkingSettings struct {
	// DoubleMarking has every answer marked by two markers.
	DoubleMarking bool `json:"double_marking"`
	// Tolerance is how far apart, in marks, two marks may be before the
	// answer goes to moderation.
	Tolerance float64 `json:"tolerance"`
	// Step is the granularity of scores: 0.25, 0.5 (the default) or 1.
	Step float64 `json:"step"`
}

// Script is an answer to mark, as the marker sees it: no candidate's
// identity.
type Script struct {
	// Script is the answer's opaque reference.
	Script string `json:"script"`
	ExamID int64  `json:"exam_id"`
	ItemID int64  `json:"item_id"`
	// Round is 1 for a first mark, 2 for a second and 3 for moderation.
	Round int `json:"round"`
	// Question is the stem and the rubric in each language of the item,
	// as safe HTML.
	Question map[string]MarkingText `json:"question"`
	// Answer is the candidate's text as written (plain text: escape it).
	Answer string  `json:"answer"`
	Max    float64 `json:"max"`
	Step   float64 `json:"step"`
	// ReservedUntil is when the script goes back to the queue unless
	// marked.
	ReservedUntil time.Time `json:"reserved_until"`
	// Marks are the two earlier marks, shown to the moderator only.
	Marks []PriorMark `json:"marks,omitempty"`
}

// MarkingText is a question's wording for markers, as safe HTML.
type MarkingText struct {
	Stem   string `json:"stem"`
	Rubric string `json:"rubric,omitempty"`
}

// PriorMark is an earlier mark of a script, for its moderator.
type PriorMark struct {
	Round   int     `json:"round"`
	Score   float64 `json:"score"`
	Comment string  `json:"comment,omitempty"`
}

// MarkOutcome says what a mark did.
type MarkOutcome struct {
	Script string `json:"script"`
	Round  int    `json:"round"`
	// Final is the answer's final score, once known.
	Final *float64 `json:"final,omitempty"`
	// Moderation is set when the two marks differ by more than the
	// tolerance: a moderator gives the final score.
	Moderation bool `json:"moderation,omitempty"`
}

// MarkingProgress counts an exam's answers by where they stand.
type MarkingProgress struct {
	Answers      int `json:"answers"` // to be marked by hand, in all
	FirstMarked  int `json:"first_marked"`
	SecondMarked int `json:"second_marked"`
	InModeration int `json:"in_moderation"`
	Final        int `json:"final"`
	Reserved     int `json:"reserved"` // with a marker now
}

// markingExam checks the caller's roles in the exam's authority and loads
// the exam for marking.
func (d *Delivery) markingExam(ctx context.Context, p *identity.Principal, code string, examID int64, roles []identity.Role) (*identity.Authority, *liveExam, error) {
	a, err := d.bank.authority(ctx, p, code, roles)
	if err != nil {
		return nil, nil, err
	}
	if _, err := d.bank.loadExam(ctx, d.db, a.ID, examID); err != nil {
		return nil, nil, err
	}
	le, err := d.live(ctx, examID)
	if err != nil {
		return nil, nil, err
	}
	return a, le, nil
}

func (d *Delivery) settings(ctx context.Context, q database.Querier, examID int64) (*MarkingSettings, error) {
	var s MarkingSettings
	if err := q.QueryRow(ctx, `SELECT double_marking, marking_tolerance, marking_step FROM exams WHERE id = $1`, examID).Scan(&s.DoubleMarking, &s.Tolerance, &s.Step); err != nil {
		return nil, errs.Wrap("assess: marking settings", err)
	}
	return &s, nil
}

// MarkingSettings returns an exam's marking rules. Staff who mark or run
// exams.
func (d *Delivery) MarkingSettings(ctx context.Context, p *identity.Principal, code string, examID int64) (*MarkingSettings, error) {
	if _, _, err := d.markingExam(ctx, p, code, examID, markingRoles); err != nil {
		return nil, err
	}
	return d.settings(ctx, d.db, examID)
}

// SetMarkingSettings changes an exam's marking rules, before any answer is
// queued for marking. Administrators; audited.
func (d *Delivery) SetMarkingSettings(ctx context.Context, p *identity.Principal, code string, examID int64, in MarkingSettings) (*MarkingSettings, error) {
	const op = "assess: marking settings"
	a, _, err := d.markingExam(ctx, p, code, examID, examAdminRoles)
	if err != nil {
		return nil, err
	}
	v := errs.Validation{Op: op}
	if math.IsNaN(in.Tolerance) || in.Tolerance < 0 || in.Tolerance > MaxTolerance {
		v.Add("tolerance", "must be from 0 to %d marks", MaxTolerance)
	}
	if in.Step == 0 {
		in.Step = 0.5
	}
	if in.Step != 0.25 && in.Step != 0.5 && in.Step != 1 {
		v.Add("step", "must be 0.25, 0.5 or 1")
	}
	if !in.DoubleMarking && in.Tolerance != 0 {
		v.Add("tolerance", "applies to double marking only")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = d.db.InTx(ctx, func(tx *database.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM scripts WHERE exam_id = $1`, examID).Scan(&n); err != nil {
			return errs.Wrap(op, err)
		}
		if n > 0 {
			return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeMarkingStarted, Message: "marking of this exam has started; its settings cannot change"}
		}
		if _, err := tx.Exec(ctx, `UPDATE exams SET double_marking = $1, marking_tolerance = $2, marking_step = $3 WHERE id = $4`, in.DoubleMarking, in.Tolerance, in.Step, examID); err != nil {
			return errs.Wrap(op, err)
		}
		return d.bank.id.Record(ctx, tx, p, a.ID, "exam.marking.settings", fmt.Sprintf("exam %d", examID),
			map[string]any{"double_marking": in.DoubleMarking, "tolerance": in.Tolerance, "step": in.Step})
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// queueScripts turns the manual answers of up to limit graded attempts of
// the exam into scripts and returns how many attempts it queued.
func (d *Delivery) queueScripts(ctx context.Context, examID int64, limit int) (int, error) {
	const op = "assess: queue scripts"
	st, err := d.settings(ctx, d.db, examID)
	if err != nil {
		return 0, err
	}
	needed := 1
	if st.DoubleMarking {
		needed = 2
	}
	rows, err := d.db.Query(ctx, `SELECT a.id, a.result FROM attempts a WHERE a.exam_id = $1 AND a.graded_at IS NOT NULL AND a.pending > 0
		AND NOT EXISTS (SELECT 1 FROM scripts s WHERE s.attempt_id = a.id) ORDER BY a.id LIMIT $2`, examID, limit)
	if err != nil {
		return 0, errs.Wrap(op, err)
	}
	type script struct {
		attempt, item int64
		slot          int
		max           float64
	}
	var list []script
	attempts := 0
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			rows.Close()
			return 0, errs.Wrap(op, err)
		}
		var res AttemptResult
		if err := json.Unmarshal([]byte(text), &res); err != nil {
			rows.Close()
			return 0, errs.Wrap(op, fmt.Errorf("attempt %d: %w", id, err))
		}
		attempts++
		for i, is := range res.Items {
			if is.Manual && !is.Ignored {
				list = append(list, script{id, is.ItemID, i, is.Max})
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, errs.Wrap(op, err)
	}
	if len(list) == 0 {
		return attempts, nil
	}
	err = d.db.InTx(ctx, func(tx *database.Tx) error {
		ph := placeholders(tx.Dialect())
		for start := 0; start < len(list); start += 100 {
			end := min(start+100, len(list))
			var q strings.Builder
			q.WriteString(`INSERT INTO scripts (ref, exam_id, attempt_id, item_id, slot, max, needed) VALUES `)
			args := make([]any, 0, 7*(end-start))
			for i := start; i < end; i++ {
				if i > start {
					q.WriteByte(',')
				}
				n := len(args)
				fmt.Fprintf(&q, "(%s,%s,%s,%s,%s,%s,%s)", ph(n+1), ph(n+2), ph(n+3), ph(n+4), ph(n+5), ph(n+6), ph(n+7))
				s := list[i]
				args = append(args, scriptRef(), examID, s.attempt, s.item, s.slot, s.max, needed)
			}
			// Another marker may have queued the same attempt a moment ago.
			q.WriteString(` ON CONFLICT (attempt_id, item_id) DO NOTHING`)
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return errs.Wrap(op, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return attempts, nil
}

// scriptRef is a script's opaque reference: it says nothing of the
// candidate, the attempt or the order of scripts.
func scriptRef() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// queueAll queues every manual answer of the exam not yet queued.
func (d *Delivery) queueAll(ctx context.Context, examID int64) error {
	for {
		n, err := d.queueScripts(ctx, examID, scriptQueueSize)
		if err != nil || n == 0 {
			return err
		}
	}
}

// NextForMarking reserves the next answer the caller may mark in the exam
// and returns it; one the caller holds already is returned again with its
// reservation renewed. Moderation comes first for those who moderate.
// Graders, approvers (moderation only) and administrators. With nothing to
// mark the error has code CodeNothingToMark.
func (d *Delivery) NextForMarking(ctx context.Context, p *identity.Principal, code string, examID int64) (*Script, error) {
	const op = "assess: next for marking"
	a, le, err := d.markingExam(ctx, p, code, examID, markingRoles)
	if err != nil {
		return nil, err
	}
	canMark, canModerate := p.Has(a.ID, markerRoles...), p.Has(a.ID, moderatorRoles...)
	me := p.User.ID
	now := d.now()
	until := now.Add(ReservationTime)
	var id int64
	err = d.db.QueryRow(ctx, `SELECT id FROM scripts WHERE exam_id = $1 AND reserved_by = $2 AND reserved_until > $3 AND final_score IS NULL ORDER BY id LIMIT 1`, examID, me, now).Scan(&id)
	switch {
	case err == nil:
		if _, err := d.db.Exec(ctx, `UPDATE scripts SET reserved_until = $1 WHERE id = $2 AND reserved_by = $3`, until, id, me); err != nil {
			return nil, errs.Wrap(op, err)
		}
	case errors.Is(err, database.ErrNoRows):
		round := ""
		switch {
		case !canModerate:
			round = ` AND s.needed < 3`
		case !canMark:
			round = ` AND s.needed = 3`
		}
		lock := ""
		if d.db.Dialect() == database.Postgres {
			// Markers asking at once each skip the rows others are taking.
			lock = ` FOR UPDATE SKIP LOCKED`
		}
		claim := `UPDATE scripts SET reserved_by = $1, reserved_until = $2 WHERE id = (
			SELECT s.id FROM scripts s WHERE s.exam_id = $3 AND s.final_score IS NULL AND s.marks < s.needed
			AND (s.reserved_until IS NULL OR s.reserved_until <= $4)
			AND NOT EXISTS (SELECT 1 FROM script_marks k WHERE k.script_id = s.id AND k.marker_id = $1)` + round + `
			ORDER BY s.needed DESC, s.id LIMIT 1` + lock + `)
			AND final_score IS NULL AND (reserved_until IS NULL OR reserved_until <= $4) RETURNING id`
		for queued := false; ; queued = true {
			err = d.db.QueryRowWrite(ctx, claim, me, until, examID, now).Scan(&id)
			if err == nil {
				break
			}
			if !errors.Is(err, database.ErrNoRows) {
				return nil, errs.Wrap(op, err)
			}
			if queued {
				return nil, &errs.Error{Kind: errs.NotFound, Op: op, Code: CodeNothingToMark, Message: "there is no answer for you to mark in this exam now"}
			}
			// Nothing in the queue: queue what grading has left since.
			if err := d.queueAll(ctx, examID); err != nil {
				return nil, err
			}
		}
	default:
		return nil, errs.Wrap(op, err)
	}
	return d.script(ctx, le, id)
}

// script loads a reserved script for its marker.
func (d *Delivery) script(ctx context.Context, le *liveExam, id int64) (*Script, error) {
	const op = "assess: script"
	s := &Script{ExamID: le.exam.ID, Question: map[string]MarkingText{}}
	var attempt int64
	var marks int
	var until *time.Time
	if err := d.db.QueryRow(ctx, `SELECT ref, attempt_id, item_id, max, marks, reserved_until FROM scripts WHERE id = $1`, id).Scan(&s.Script, &attempt, &s.ItemID, &s.Max, &marks, &until); err != nil {
		return nil, errs.Wrap(op, err)
	}
	if until != nil {
		s.ReservedUntil = until.UTC()
	}
	s.Round = marks + 1
	st, err := d.settings(ctx, d.db, le.exam.ID)
	if err != nil {
		return nil, err
	}
	s.Step = st.Step
	var text string
	err = d.db.QueryRow(ctx, `SELECT response FROM responses WHERE attempt_id = $1 AND item_id = $2`, attempt, s.ItemID).Scan(&text)
	if err != nil && !errors.Is(err, database.ErrNoRows) {
		return nil, errs.Wrap(op, err)
	}
	if text != "" && text != "null" {
		var r Response
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			return nil, errs.Wrap(op, err)
		}
		s.Answer = r.Text
	}
	if it := le.v.Items[s.ItemID]; it != nil {
		for l, t := range it.Text {
			s.Question[l] = MarkingText{Stem: string(render.Markdown(t.Stem)), Rubric: string(render.Markdown(t.Explanation))}
		}
	}
	if s.Round == 3 {
		rows, err := d.db.Query(ctx, `SELECT round, score, comment FROM script_marks WHERE script_id = $1 ORDER BY round`, id)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var m PriorMark
			if err := rows.Scan(&m.Round, &m.Score, &m.Comment); err != nil {
				return nil, errs.Wrap(op, err)
			}
			s.Marks = append(s.Marks, m)
		}
		if err := rows.Err(); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	return s, nil
}

// checkMark says what is wrong with a score, or "".
func checkMark(score, max, step float64) string {
	if math.IsNaN(score) || math.IsInf(score, 0) || score < 0 || score > max+1e-9 {
		return fmt.Sprintf("must be from 0 to %g", max)
	}
	if q := score / step; math.Abs(q-math.Round(q)) > 1e-9 {
		return fmt.Sprintf("must be in steps of %g", step)
	}
	return ""
}

// Mark records the caller's score (and optional comment) for a script
// they hold. The answer's final score, once known, goes into the
// attempt's result at once. Graders, approvers (moderation) and
// administrators.
func (d *Delivery) Mark(ctx context.Context, p *identity.Principal, code string, examID int64, ref string, score float64, comment string) (*MarkOutcome, error) {
	const op = "assess: mark"
	a, le, err := d.markingExam(ctx, p, code, examID, markingRoles)
	if err != nil {
		return nil, err
	}
	comment = strings.TrimSpace(comment)
	if !utf8.ValidString(comment) || utf8.RuneCountInString(comment) > MaxMarkComment {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"comment": fmt.Sprintf("must be at most %d characters", MaxMarkComment)}}
	}
	st, err := d.settings(ctx, d.db, examID)
	if err != nil {
		return nil, err
	}
	me := p.User.ID
	now := d.now()
	out := &MarkOutcome{Script: ref}
	lock := ""
	if d.db.Dialect() == database.Postgres {
		lock = ` FOR UPDATE`
	}
	err = d.db.InTx(ctx, func(tx *database.Tx) error {
		var id, attempt, item int64
		var slot, needed, marks int
		var max float64
		var by *int64
		var final *float64
		err := tx.QueryRow(ctx, `SELECT id, attempt_id, item_id, slot, max, needed, marks, reserved_by, final_score FROM scripts WHERE ref = $1 AND exam_id = $2`+lock, ref, examID).
			Scan(&id, &attempt, &item, &slot, &max, &needed, &marks, &by, &final)
		if errors.Is(err, database.ErrNoRows) {
			return errs.E(errs.NotFound, op, "no script %q in this exam", ref)
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		if final != nil || marks >= needed {
			return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeAlreadyMarked, Message: "this answer has been marked"}
		}
		if by == nil || *by != me {
			return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeReservationLost, Message: "this answer is not reserved for you (your reservation may have expired and gone to another marker); ask for the next answer"}
		}
		round := marks + 1
		if round == 3 && !p.Has(a.ID, moderatorRoles...) || round < 3 && !p.Has(a.ID, markerRoles...) {
			return errs.E(errs.Forbidden, op, "your role does not allow this mark")
		}
		if msg := checkMark(score, max, st.Step); msg != "" {
			return &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"score": msg}}
		}
		out.Round = round
		if _, err := tx.Exec(ctx, `INSERT INTO script_marks (script_id, marker_id, round, score, comment, marked_at) VALUES ($1, $2, $3, $4, $5, $6)`, id, me, round, score, comment, now); err != nil {
			if database.IsUniqueViolation(err) {
				return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeAlreadyMarked, Message: "you have marked this answer already"}
			}
			return errs.Wrap(op, err)
		}
		var fin *float64
		switch {
		case round < needed:
		case round == 3 || needed == 1:
			fin = &score
		default: // the second of two marks
			var first float64
			if err := tx.QueryRow(ctx, `SELECT score FROM script_marks WHERE script_id = $1 AND round = 1`, id).Scan(&first); err != nil {
				return errs.Wrap(op, err)
			}
			if math.Abs(first-score) > st.Tolerance+1e-9 {
				needed = 3
				out.Moderation = true
			} else {
				mean := round6((first + score) / 2)
				fin = &mean
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE scripts SET marks = $1, needed = $2, reserved_by = NULL, reserved_until = NULL, final_score = $3, finalised_at = $4 WHERE id = $5`,
			round, needed, fin, finalAt(fin, now), id); err != nil {
			return errs.Wrap(op, err)
		}
		if fin == nil {
			return nil
		}
		out.Final = fin
		if err := d.setItemScore(ctx, tx, le, attempt, slot, item, *fin); err != nil {
			return err
		}
		return d.bank.id.Record(ctx, tx, p, a.ID, "exam.marking.final", fmt.Sprintf("exam %d attempt %d item %d", examID, attempt, item),
			map[string]any{"script": ref, "score": *fin, "marks": round, "moderated": round == 3})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func finalAt(fin *float64, now time.Time) any {
	if fin == nil {
		return nil
	}
	return now
}

// setItemScore puts a marked answer's final score into the attempt's
// result, inside the marking transaction.
func (d *Delivery) setItemScore(ctx context.Context, tx *database.Tx, le *liveExam, attempt int64, slot int, item int64, score float64) error {
	const op = "assess: record mark"
	lock := ""
	if tx.Dialect() == database.Postgres {
		lock = ` FOR UPDATE`
	}
	var text string
	if err := tx.QueryRow(ctx, `SELECT result FROM attempts WHERE id = $1`+lock, attempt).Scan(&text); err != nil {
		return errs.Wrap(op, err)
	}
	var res AttemptResult
	if err := json.Unmarshal([]byte(text), &res); err != nil {
		return errs.Wrap(op, err)
	}
	if slot >= len(res.Items) || res.Items[slot].ItemID != item || !res.Items[slot].Manual {
		return errs.Wrap(op, fmt.Errorf("attempt %d: slot %d is not a manual answer to item %d", attempt, slot, item))
	}
	sec, ok := sectionIndex(le.v)[item]
	if !ok || sec >= len(res.Sections) {
		return errs.Wrap(op, fmt.Errorf("attempt %d: item %d is in no section", attempt, item))
	}
	is := res.Items[slot]
	is.Score, is.Manual = score, false
	is.Correct = is.Max > 0 && score >= is.Max
	rescore(&res, slot, sec, is)
	b, err := json.Marshal(&res)
	if err != nil {
		return errs.Wrap(op, err)
	}
	_, err = tx.Exec(ctx, `UPDATE attempts SET score = $1, result = $2, pending = $3 WHERE id = $4`, res.Score, string(b), res.Pending, attempt)
	return errs.Wrap(op, err)
}

// sectionIndex maps each item of the version to its section's index.
func sectionIndex(v *TestVersion) map[int64]int {
	m := map[int64]int{}
	for i, sec := range v.Test.Sections {
		for _, q := range sec.Questions {
			m[q.ItemID] = i
		}
		if i < len(v.Pools) {
			for _, pool := range v.Pools[i] {
				for _, id := range pool {
					m[id] = i
				}
			}
		}
	}
	return m
}

// tally adds (sign 1) or takes away (sign −1) an item's part of its
// section's score and counts, as grading counts them, and returns its
// part of the pending count.
func tally(s *SectionScore, is ItemScore, sign int) (pending int) {
	if is.Ignored {
		return 0
	}
	switch {
	case is.Manual:
		pending = sign
	case is.Correct:
		s.Correct += sign
	case is.Answered && is.Score <= 0:
		s.Wrong += sign
	}
	if is.Answered {
		s.Answered += sign
	}
	s.Score += float64(sign) * is.Score
	return pending
}

// rescore replaces the item in slot i (of section sec) and brings the
// section's and the attempt's totals and counts up to date.
func rescore(res *AttemptResult, i, sec int, is ItemScore) {
	s := &res.Sections[sec]
	res.Pending += tally(s, res.Items[i], -1)
	res.Pending += tally(s, is, 1)
	res.Items[i] = is
	s.Score = round6(s.Score)
	res.Score = 0
	for _, x := range res.Sections {
		res.Score += x.Score
	}
	res.Score = round6(res.Score)
}

// MarkingProgress counts where the exam's hand-marked answers stand,
// queueing any graded since. Staff who mark or run exams.
func (d *Delivery) MarkingProgress(ctx context.Context, p *identity.Principal, code string, examID int64) (*MarkingProgress, error) {
	const op = "assess: marking progress"
	if _, _, err := d.markingExam(ctx, p, code, examID, markingRoles); err != nil {
		return nil, err
	}
	if err := d.queueAll(ctx, examID); err != nil {
		return nil, err
	}
	var m MarkingProgress
	err := d.db.QueryRow(ctx, `SELECT COUNT(*), COUNT(*) FILTER (WHERE marks >= 1), COUNT(*) FILTER (WHERE marks >= 2),
		COUNT(*) FILTER (WHERE needed = 3 AND final_score IS NULL), COUNT(*) FILTER (WHERE final_score IS NOT NULL),
		COUNT(*) FILTER (WHERE final_score IS NULL AND reserved_until > $2) FROM scripts WHERE exam_id = $1`, examID, d.now()).
		Scan(&m.Answers, &m.FirstMarked, &m.SecondMarked, &m.InModeration, &m.Final, &m.Reserved)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	return &m, nil
}
