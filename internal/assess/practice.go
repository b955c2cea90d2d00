package assess

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Practice: learners take an authority's published mock tests as often as
// they like. Each attempt gets its own random paper (pools drawn, order
// shuffled) and a ticket like a candidate's, so the same runner and the
// same delivery API serve practice and exams; timed mock tests are
// auto-submitted like exams. Results need no publication: feedback comes
// after each question or at the end, as the test says.

// MockTest is a published mock test as learners see it in a list.
type MockTest struct {
	ID        int64    `json:"id"`
	Title     string   `json:"title"`
	Version   int      `json:"version"`
	Duration  int      `json:"duration"` // seconds; 0 when untimed
	Questions int      `json:"questions"`
	Languages []string `json:"languages"`
	Feedback  Feedback `json:"feedback"`
}

// MockTests lists an authority's published mock tests for any member
// (learners included).
func (s *Service) MockTests(ctx context.Context, p *identity.Principal, code string) ([]MockTest, error) {
	const op = "assess: mock tests"
	a, err := s.id.Authority(ctx, p, code)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, version FROM tests WHERE authority_id = $1 AND kind = $2 AND version > 0 AND status <> $3 ORDER BY id DESC LIMIT 200`, a.ID, string(Mock), string(TestRetired))
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	type ref struct {
		id      int64
		version int
	}
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.id, &r.version); err != nil {
			rows.Close()
			return nil, errs.Wrap(op, err)
		}
		refs = append(refs, r)
	}
	rows.Close()
	out := []MockTest{}
	for _, r := range refs {
		m, err := s.mockTest(ctx, r.id, r.version)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// mockTest is the list entry of a published mock-test version, from the
// cache or from the frozen version (which holds every item it can use, so
// it is read once).
func (s *Service) mockTest(ctx context.Context, id int64, version int) (MockTest, error) {
	key := [2]int64{id, int64(version)}
	if m, ok := s.mockTests.Load(key); ok {
		return m.(MockTest), nil
	}
	v, err := s.testVersion(ctx, s.db, id, version)
	if err != nil {
		return MockTest{}, err
	}
	n := 0
	for _, sec := range v.Test.Sections {
		n += len(sec.Questions)
		for _, pool := range sec.Pools {
			n += pool.Count
		}
	}
	m := MockTest{ID: id, Title: v.Test.Title, Version: version, Duration: v.Test.Duration, Questions: n, Languages: v.Test.Languages, Feedback: v.Test.Feedback}
	s.mockTests.Store(key, m)
	return m, nil
}

// Practise starts an attempt at a published mock test for the signed-in
// learner, or resumes the one they have in progress (on this device),
// and returns its ticket. Any member of the authority.
func (d *Delivery) Practise(ctx context.Context, p *identity.Principal, code string, testID int64) (*Started, error) {
	const op = "assess: practise"
	now := d.now()
	a, err := d.bank.id.Authority(ctx, p, code)
	if err != nil {
		return nil, err
	}
	t, err := d.bank.loadTest(ctx, d.db, a.ID, testID)
	if err != nil {
		return nil, err
	}
	if t.Kind != Mock || t.Version == 0 || t.Status == TestRetired {
		return nil, errs.E(errs.NotFound, op, "no mock test %d to practise", testID)
	}
	// The latest published version, whatever the draft says now.
	le, err := d.liveTest(ctx, testID, t.Version)
	if err != nil {
		return nil, err
	}
	expires := func(deadline *time.Time) time.Time {
		if deadline != nil {
			return deadline.Add(ticketAfterShift)
		}
		return now.Add(24 * time.Hour)
	}
	var id int64
	var version int
	var deadline *time.Time
	err = d.db.QueryRow(ctx, `SELECT id, test_version, deadline FROM attempts WHERE user_id = $1 AND test_id = $2 AND submitted_at IS NULL ORDER BY id DESC LIMIT 1`, p.User.ID, testID).Scan(&id, &version, &deadline)
	switch {
	case err == nil && (deadline == nil || now.Before(*deadline)):
		var device int32
		_, err := d.saver.save(ctx, &saveReq{attempt: id, exec: func(ctx context.Context, tx *database.Tx) error {
			err := tx.QueryRow(ctx, `UPDATE attempts SET device = device + 1 WHERE id = $1 AND submitted_at IS NULL RETURNING device`, id).Scan(&device)
			return errs.Wrap(op, err)
		}})
		if err != nil {
			return nil, err
		}
		tk := Ticket{Attempt: id, Device: device, Expires: expires(deadline), TestID: testID, Version: int32(version)}
		st := &Started{Ticket: sealTicket(d.key, tk), Device: device, ServerTime: now, Resumed: true}
		if deadline != nil {
			st.Deadline = deadline.UTC()
		}
		return st, nil
	case err != nil && !errors.Is(err, database.ErrNoRows):
		return nil, errs.Wrap(op, err)
	}
	// No attempt in progress (or its time is up: the auto-submit job will
	// close it): a new one.
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return nil, errs.Wrap(op, err)
	}
	deadline = nil
	if le.v.Test.Duration > 0 {
		dl := now.Add(time.Duration(le.v.Test.Duration) * time.Second).Truncate(time.Second)
		deadline = &dl
	}
	_, err = d.saver.save(ctx, &saveReq{exec: func(ctx context.Context, tx *database.Tx) error {
		var dl any
		if deadline != nil {
			dl = *deadline
		}
		err := tx.QueryRow(ctx, `INSERT INTO attempts (authority_id, test_id, test_version, user_id, seed, device, started_at, deadline)
			VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id`, a.ID, testID, t.Version, p.User.ID, hex.EncodeToString(seed[:]), now, dl).Scan(&id)
		return errs.Wrap(op, err)
	}})
	if err != nil {
		return nil, err
	}
	tk := Ticket{Attempt: id, Device: 1, Expires: expires(deadline), TestID: testID, Version: int32(t.Version)}
	st := &Started{Ticket: sealTicket(d.key, tk), Device: 1, ServerTime: now}
	if deadline != nil {
		st.Deadline = *deadline
	}
	return st, nil
}

// practiceResult is the result of a submitted practice attempt: no
// publication, no ranks; the sheet shows the key only if the test gives
// feedback.
func (d *Delivery) practiceResult(ctx context.Context, le *liveExam, t Ticket) (*CandidateResult, error) {
	const op = "assess: practice result"
	if le.v.Test.Feedback == NoFeedback {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeNotPublished, Message: "this mock test does not show results"}
	}
	var submitted *time.Time
	var graded *time.Time
	if err := d.db.QueryRow(ctx, `SELECT submitted_at, graded_at FROM attempts WHERE id = $1`, t.Attempt).Scan(&submitted, &graded); err != nil {
		return nil, errs.Wrap(op, err)
	}
	if submitted == nil {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeNotPublished, Message: "submit the test to see your result"}
	}
	if graded == nil {
		if err := d.gradeAttempt(ctx, t.Attempt); err != nil {
			return nil, err
		}
	}
	return d.sheet(ctx, le, t, &CandidateResult{ExamTitle: le.v.Test.Title})
}

// practiceSubmitted grades a practice attempt as soon as it is submitted,
// so the learner sees the result at once.
func (d *Delivery) practiceSubmitted(ctx context.Context, t Ticket) error {
	if err := d.gradeAttempt(ctx, t.Attempt); err != nil {
		return fmt.Errorf("assess: grade practice: %w", err)
	}
	return nil
}
