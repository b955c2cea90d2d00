package assess

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Who runs exams: administrators schedule them and register candidates;
// approvers and graders may look.
var (
	examAdminRoles = []identity.Role{identity.RoleAdmin}
	examReadRoles  = []identity.Role{identity.RoleAdmin, identity.RoleApprover, identity.RoleGrader}
)

// Limits on exam set-up.
const (
	MaxShifts        = 100
	MaxCandidates    = 1_000_000 // per exam
	MaxRegisterBatch = 50_000    // candidates per call
	MaxExtraTime     = 4 * 60 * 60
	maxRollLen       = 32
	maxNameLen       = 200
)

// ExamInfo is a scheduled exam: a published version of an exam test given
// to registered candidates in shifts.
type ExamInfo struct {
	ID          int64     `json:"id"`
	AuthorityID int64     `json:"-"`
	TestID      int64     `json:"test_id"`
	TestVersion int       `json:"test_version"`
	Title       string    `json:"title"`
	CreatedAt   time.Time `json:"created_at"`
	secret      []byte
}

// Shift is one sitting of an exam. Candidates may start from StartsAt
// until StartsAt + LateEntry seconds; every attempt ends by EndsAt, which
// must leave the full duration to a candidate starting at the last moment
// of late entry.
type Shift struct {
	ID        int64     `json:"id"`
	ExamID    int64     `json:"exam_id"`
	Code      string    `json:"code"` // e.g. "2026-12-01-AM"
	StartsAt  time.Time `json:"starts_at"`
	LateEntry int       `json:"late_entry"` // seconds
	EndsAt    time.Time `json:"ends_at"`
}

// Candidate is someone registered for an exam.
type Candidate struct {
	ID     int64  `json:"id"`
	ExamID int64  `json:"exam_id"`
	RollNo string `json:"roll_no"`
	Name   string `json:"name"`
	// Shift is the shift's code; empty until assigned.
	Shift string `json:"shift,omitempty"`
	// ExtraTime is an accommodation in seconds (e.g. for a scribe).
	ExtraTime int `json:"extra_time,omitempty"`
	// CodeIssuedAt is when the current access code was made; zero if none.
	CodeIssuedAt *time.Time `json:"code_issued_at,omitempty"`
}

// AdmitCode is a candidate's access code as issued: shown once, for the
// admit card, and never stored in clear.
type AdmitCode struct {
	RollNo string `json:"roll_no"`
	Name   string `json:"name"`
	Shift  string `json:"shift"`
	Code   string `json:"code"`
}

// CreateExam schedules an exam from a published exam test (version 0:
// its latest). Administrators.
func (s *Service) CreateExam(ctx context.Context, p *identity.Principal, code string, testID int64, version int, title string) (*ExamInfo, error) {
	const op = "assess: create exam"
	a, err := s.authority(ctx, p, code, examAdminRoles)
	if err != nil {
		return nil, err
	}
	title = strings.TrimSpace(title)
	if title == "" || utf8.RuneCountInString(title) > 200 || !utf8.ValidString(title) {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"title": "must be 1–200 characters"}}
	}
	t, err := s.loadTest(ctx, s.db, a.ID, testID)
	if err != nil {
		return nil, err
	}
	if t.Kind != Exam {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"test_id": fmt.Sprintf("test %d is a mock test; schedule an exam test", testID)}}
	}
	if version == 0 {
		version = t.Version
	}
	if version == 0 {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"test_id": fmt.Sprintf("test %d has not been published", testID)}}
	}
	if _, err := s.testVersion(ctx, s.db, testID, version); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, errs.Wrap(op, err)
	}
	e := &ExamInfo{AuthorityID: a.ID, TestID: testID, TestVersion: version, Title: title, CreatedAt: s.now(), secret: secret}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO exams (authority_id, test_id, test_version, title, secret, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			a.ID, testID, version, title, hex.EncodeToString(secret), p.User.ID, e.CreatedAt).Scan(&e.ID); err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "exam.create", fmt.Sprintf("exam %d", e.ID), map[string]any{"test": testID, "version": version, "title": title})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Exam returns one exam of an authority.
func (s *Service) Exam(ctx context.Context, p *identity.Principal, code string, id int64) (*ExamInfo, error) {
	a, err := s.authority(ctx, p, code, examReadRoles)
	if err != nil {
		return nil, err
	}
	return s.loadExam(ctx, s.db, a.ID, id)
}

func (s *Service) loadExam(ctx context.Context, q database.Querier, authorityID, id int64) (*ExamInfo, error) {
	var e ExamInfo
	var secret string
	err := q.QueryRow(ctx, `SELECT id, authority_id, test_id, test_version, title, secret, created_at FROM exams WHERE id = $1 AND authority_id = $2`, id, authorityID).
		Scan(&e.ID, &e.AuthorityID, &e.TestID, &e.TestVersion, &e.Title, &secret, &e.CreatedAt)
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "assess: exam", "no exam %d", id)
	}
	if err != nil {
		return nil, errs.Wrap("assess: exam", err)
	}
	if e.secret, err = hex.DecodeString(secret); err != nil {
		return nil, errs.Wrap("assess: exam", err)
	}
	e.CreatedAt = e.CreatedAt.UTC()
	return &e, nil
}

// ListExams lists an authority's exams, newest first.
func (s *Service) ListExams(ctx context.Context, p *identity.Principal, code string) ([]ExamInfo, error) {
	return s.listExams(ctx, p, code, examReadRoles)
}

func (s *Service) listExams(ctx context.Context, p *identity.Principal, code string, roles []identity.Role) ([]ExamInfo, error) {
	const op = "assess: list exams"
	a, err := s.authority(ctx, p, code, roles)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, authority_id, test_id, test_version, title, created_at FROM exams WHERE authority_id = $1 ORDER BY id DESC LIMIT 500`, a.ID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []ExamInfo
	for rows.Next() {
		var e ExamInfo
		if err := rows.Scan(&e.ID, &e.AuthorityID, &e.TestID, &e.TestVersion, &e.Title, &e.CreatedAt); err != nil {
			return nil, errs.Wrap(op, err)
		}
		e.CreatedAt = e.CreatedAt.UTC()
		out = append(out, e)
	}
	return out, errs.Wrap(op, rows.Err())
}

// AddShift adds a sitting to an exam. Administrators.
func (s *Service) AddShift(ctx context.Context, p *identity.Principal, code string, examID int64, in Shift) (*Shift, error) {
	const op = "assess: add shift"
	a, err := s.authority(ctx, p, code, examAdminRoles)
	if err != nil {
		return nil, err
	}
	e, err := s.loadExam(ctx, s.db, a.ID, examID)
	if err != nil {
		return nil, err
	}
	v, err := s.testVersion(ctx, s.db, e.TestID, e.TestVersion)
	if err != nil {
		return nil, err
	}
	in.Code = strings.TrimSpace(in.Code)
	in.StartsAt, in.EndsAt = in.StartsAt.UTC().Truncate(time.Second), in.EndsAt.UTC().Truncate(time.Second)
	val := errs.Validation{Op: op}
	if !validID(in.Code) {
		val.Add("code", "must be 1–64 letters, digits, -, _ or .")
	}
	if in.StartsAt.IsZero() {
		val.Add("starts_at", "is required")
	}
	if in.LateEntry < 0 || time.Duration(in.LateEntry)*time.Second > MaxTestDuration {
		val.Add("late_entry", "must be between 0 and %d seconds", int(MaxTestDuration/time.Second))
	}
	if need := in.StartsAt.Add(time.Duration(in.LateEntry+v.Test.Duration) * time.Second); in.EndsAt.Before(need) {
		val.Add("ends_at", "must be at least %s, so a candidate who starts at the end of late entry gets the full %d minutes", need.Format(time.RFC3339), v.Test.Duration/60)
	}
	if err := val.Err(); err != nil {
		return nil, err
	}
	in.ExamID = examID
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM shifts WHERE exam_id = $1`, examID).Scan(&n); err != nil {
			return errs.Wrap(op, err)
		}
		if n >= MaxShifts {
			return errs.E(errs.Invalid, op, "an exam has at most %d shifts", MaxShifts)
		}
		err := tx.QueryRow(ctx, `INSERT INTO shifts (exam_id, code, starts_at, late_entry, ends_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			examID, in.Code, in.StartsAt, in.LateEntry, in.EndsAt).Scan(&in.ID)
		if database.IsUniqueViolation(err) {
			return &errs.Error{Kind: errs.Conflict, Op: op, Message: "the exam has that shift already", Fields: map[string]string{"code": "is taken"}}
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "exam.shift.add", fmt.Sprintf("exam %d", examID), map[string]any{"shift": in.Code, "starts_at": in.StartsAt, "ends_at": in.EndsAt})
	})
	if err != nil {
		return nil, err
	}
	return &in, nil
}

// Shifts lists an exam's shifts in start order.
func (s *Service) Shifts(ctx context.Context, p *identity.Principal, code string, examID int64) ([]Shift, error) {
	const op = "assess: shifts"
	a, err := s.authority(ctx, p, code, examReadRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT id, exam_id, code, starts_at, late_entry, ends_at FROM shifts WHERE exam_id = $1 ORDER BY starts_at, code`, examID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []Shift
	for rows.Next() {
		var sh Shift
		if err := rows.Scan(&sh.ID, &sh.ExamID, &sh.Code, &sh.StartsAt, &sh.LateEntry, &sh.EndsAt); err != nil {
			return nil, errs.Wrap(op, err)
		}
		sh.StartsAt, sh.EndsAt = sh.StartsAt.UTC(), sh.EndsAt.UTC()
		out = append(out, sh)
	}
	return out, errs.Wrap(op, rows.Err())
}

// RegistrationReport says what RegisterCandidates did.
type RegistrationReport struct {
	Added   int `json:"added"`
	Updated int `json:"updated"`
	// Rejected maps a row (1-based, as in the caller's list or file) to
	// why it was not taken; when any row is rejected nothing is saved.
	Rejected map[int]string `json:"rejected,omitempty"`
}

// RegisterCandidates adds candidates to an exam, or updates the name,
// shift and extra time of those already registered under the same roll
// number. The whole list is checked first: one bad row (unknown shift,
// roll number twice, extra time out of range) means nothing is saved, and
// the report names every bad row. Candidates who have started keep their
// shift. Administrators.
func (s *Service) RegisterCandidates(ctx context.Context, p *identity.Principal, code string, examID int64, list []Candidate) (*RegistrationReport, error) {
	const op = "assess: register candidates"
	a, err := s.authority(ctx, p, code, examAdminRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errs.E(errs.Invalid, op, "the list has no candidates")
	}
	if len(list) > MaxRegisterBatch {
		return nil, errs.E(errs.Invalid, op, "register at most %d candidates at a time", MaxRegisterBatch)
	}
	shifts := map[string]int64{}
	rows, err := s.db.Query(ctx, `SELECT code, id FROM shifts WHERE exam_id = $1`, examID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	for rows.Next() {
		var c string
		var id int64
		if err := rows.Scan(&c, &id); err != nil {
			rows.Close()
			return nil, errs.Wrap(op, err)
		}
		shifts[c] = id
	}
	rows.Close()
	rep := &RegistrationReport{Rejected: map[int]string{}}
	seen := map[string]int{}
	for i := range list {
		c := &list[i]
		row := i + 1
		c.RollNo, c.Name, c.Shift = strings.TrimSpace(c.RollNo), strings.TrimSpace(c.Name), strings.TrimSpace(c.Shift)
		switch {
		case c.RollNo == "" || len(c.RollNo) > maxRollLen || !validID(c.RollNo):
			rep.Rejected[row] = fmt.Sprintf("roll number %q must be 1–%d letters, digits, -, _ or .", c.RollNo, maxRollLen)
		case seen[c.RollNo] > 0:
			rep.Rejected[row] = fmt.Sprintf("roll number %s is also on row %d", c.RollNo, seen[c.RollNo])
		case c.Name == "" || utf8.RuneCountInString(c.Name) > maxNameLen || !utf8.ValidString(c.Name):
			rep.Rejected[row] = fmt.Sprintf("the name must be 1–%d characters", maxNameLen)
		case c.Shift != "" && shifts[c.Shift] == 0:
			rep.Rejected[row] = fmt.Sprintf("the exam has no shift %q", c.Shift)
		case c.ExtraTime < 0 || c.ExtraTime > MaxExtraTime:
			rep.Rejected[row] = fmt.Sprintf("extra time must be between 0 and %d seconds", MaxExtraTime)
		}
		if seen[c.RollNo] == 0 {
			seen[c.RollNo] = row
		}
	}
	if len(rep.Rejected) > 0 {
		fields := make(map[string]string, len(rep.Rejected))
		for row, why := range rep.Rejected {
			fields[fmt.Sprintf("rows.%d", row)] = why
		}
		return rep, &errs.Error{Kind: errs.Invalid, Op: op, Message: fmt.Sprintf("%d of %d rows are not valid; nothing was saved", len(rep.Rejected), len(list)), Fields: fields}
	}
	rep.Rejected = nil
	now := s.now()
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var have int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM candidates WHERE exam_id = $1`, examID).Scan(&have); err != nil {
			return errs.Wrap(op, err)
		}
		for _, c := range list {
			var shift any
			if c.Shift != "" {
				shift = shifts[c.Shift]
			}
			// A candidate who has started keeps the shift they sat.
			_, err := tx.Exec(ctx, `INSERT INTO candidates (exam_id, roll_no, name, shift_id, extra_time, created_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (exam_id, roll_no) DO UPDATE SET name = excluded.name, extra_time = excluded.extra_time,
				  shift_id = CASE WHEN EXISTS (SELECT 1 FROM attempts WHERE attempts.candidate_id = candidates.id) THEN candidates.shift_id ELSE excluded.shift_id END`,
				examID, c.RollNo, c.Name, shift, c.ExtraTime, now)
			if err != nil {
				return errs.Wrap(op, err)
			}
		}
		var now2 int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM candidates WHERE exam_id = $1`, examID).Scan(&now2); err != nil {
			return errs.Wrap(op, err)
		}
		rep.Added, rep.Updated = now2-have, len(list)-(now2-have)
		if now2 > MaxCandidates {
			return errs.E(errs.Invalid, op, "an exam has at most %d candidates", MaxCandidates)
		}
		return s.id.Record(ctx, tx, p, a.ID, "exam.candidates.register", fmt.Sprintf("exam %d", examID), map[string]any{"added": rep.Added, "updated": rep.Updated})
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// Candidates lists an exam's candidates in roll-number order, a page at a
// time (after: the last roll number of the previous page).
func (s *Service) Candidates(ctx context.Context, p *identity.Principal, code string, examID int64, after string, limit int) ([]Candidate, error) {
	const op = "assess: candidates"
	a, err := s.authority(ctx, p, code, examReadRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	n := identity.Page{Limit: limit}.Size()
	rows, err := s.db.Query(ctx, `SELECT c.id, c.exam_id, c.roll_no, c.name, COALESCE(sh.code, ''), c.extra_time, c.code_issued_at
		FROM candidates c LEFT JOIN shifts sh ON sh.id = c.shift_id WHERE c.exam_id = $1 AND c.roll_no > $2 ORDER BY c.roll_no LIMIT $3`, examID, after, n)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []Candidate
	for rows.Next() {
		var c Candidate
		var issued *time.Time
		if err := rows.Scan(&c.ID, &c.ExamID, &c.RollNo, &c.Name, &c.Shift, &c.ExtraTime, &issued); err != nil {
			return nil, errs.Wrap(op, err)
		}
		if issued != nil {
			u := issued.UTC()
			c.CodeIssuedAt = &u
		}
		out = append(out, c)
	}
	return out, errs.Wrap(op, rows.Err())
}

// IssueCodes makes access codes for an exam's candidates: those named by
// roll number, or, with no roll numbers, the candidates who have none yet
// (at most MaxRegisterBatch a call, in roll-number order: call again for
// the rest).
// Naming a candidate who has a code replaces it (the old one stops
// working at once). The codes are returned this once, for admit cards.
// Administrators.
func (s *Service) IssueCodes(ctx context.Context, p *identity.Principal, code string, examID int64, rolls []string) ([]AdmitCode, error) {
	const op = "assess: issue access codes"
	a, err := s.authority(ctx, p, code, examAdminRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	type who struct {
		id                int64
		roll, name, shift string
	}
	var list []who
	read := func(rows database.Rows, err error) error {
		if err != nil {
			return errs.Wrap(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var w who
			if err := rows.Scan(&w.id, &w.roll, &w.name, &w.shift); err != nil {
				return errs.Wrap(op, err)
			}
			list = append(list, w)
		}
		return errs.Wrap(op, rows.Err())
	}
	const cols = `SELECT c.id, c.roll_no, c.name, COALESCE(sh.code, '') FROM candidates c LEFT JOIN shifts sh ON sh.id = c.shift_id`
	if len(rolls) == 0 {
		if err := read(s.db.Query(ctx, cols+` WHERE c.exam_id = $1 AND c.code_hash IS NULL ORDER BY c.roll_no LIMIT $2`, examID, MaxRegisterBatch)); err != nil {
			return nil, err
		}
	} else {
		if len(rolls) > MaxRegisterBatch {
			return nil, errs.E(errs.Invalid, op, "issue at most %d codes at a time", MaxRegisterBatch)
		}
		for _, r := range rolls {
			n := len(list)
			if err := read(s.db.Query(ctx, cols+` WHERE c.exam_id = $1 AND c.roll_no = $2`, examID, strings.TrimSpace(r))); err != nil {
				return nil, err
			}
			if len(list) == n {
				return nil, errs.E(errs.NotFound, op, "the exam has no candidate with roll number %q", r)
			}
		}
	}
	if len(list) == 0 {
		return nil, errs.E(errs.NotFound, op, "every candidate has a code already; name roll numbers to replace theirs")
	}
	out := make([]AdmitCode, len(list))
	now := s.now()
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		for i, w := range list {
			c := NewAccessCode()
			canon, _ := CanonicalAccessCode(c)
			if _, err := tx.Exec(ctx, `UPDATE candidates SET code_hash = $1, code_issued_at = $2 WHERE id = $3`, hashAccessCode(canon), now, w.id); err != nil {
				return errs.Wrap(op, err)
			}
			out[i] = AdmitCode{RollNo: w.roll, Name: w.name, Shift: w.shift, Code: c}
		}
		details := map[string]any{"codes": len(list)}
		if len(rolls) > 0 && len(rolls) <= 20 {
			details["roll_numbers"] = rolls
		}
		return s.id.Record(ctx, tx, p, a.ID, "exam.codes.issue", fmt.Sprintf("exam %d", examID), details)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Extension is what ExtendTime did.
type Extension struct {
	RollNo string `json:"roll_no"`
	// Deadline is the attempt's new deadline; nil if the candidate has not
	// started (the minutes are then added to their extra time).
	Deadline  *time.Time `json:"deadline,omitempty"`
	ExtraTime int        `json:"extra_time"` // seconds, after the change
}

// ExtendTime gives one candidate more time after an incident (a power or
// network cut): minutes are added to the deadline of their attempt in
// progress, or to their extra time if they have not started. The reason
// is required and, with the old and new deadlines, goes into the audit
// log. A submitted attempt cannot be extended. Administrators and
// proctors.
func (s *Service) ExtendTime(ctx context.Context, p *identity.Principal, code string, examID int64, roll string, minutes int, reason string) (*Extension, error) {
	const op = "assess: extend time"
	a, err := s.authority(ctx, p, code, []identity.Role{identity.RoleAdmin, identity.RoleProctor})
	if err != nil {
		return nil, err
	}
	if _, err := s.loadExam(ctx, s.db, a.ID, examID); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	v := errs.Validation{Op: op}
	if minutes < 1 || minutes > MaxExtraTime/60 {
		v.Add("minutes", "must be between 1 and %d", MaxExtraTime/60)
	}
	if utf8.RuneCountInString(reason) < 5 || utf8.RuneCountInString(reason) > 500 {
		v.Add("reason", "say what happened, in 5 to 500 characters")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	out := &Extension{RollNo: roll}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var cid int64
		var extra int
		var attempt *int64
		var deadline, submitted *time.Time
		err := tx.QueryRow(ctx, `SELECT c.id, c.extra_time, a.id, a.deadline, a.submitted_at FROM candidates c LEFT JOIN attempts a ON a.candidate_id = c.id
			WHERE c.exam_id = $1 AND c.roll_no = $2`, examID, roll).Scan(&cid, &extra, &attempt, &deadline, &submitted)
		if errors.Is(err, database.ErrNoRows) {
			return errs.E(errs.NotFound, op, "the exam has no candidate with roll number %q", roll)
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		if submitted != nil {
			return errs.E(errs.Conflict, op, "%s's attempt was submitted at %s; it cannot be extended", roll, submitted.UTC().Format(time.RFC3339))
		}
		// Increments in the database, not read-modify-write: two proctors
		// extending at once both count.
		err = tx.QueryRow(ctx, `UPDATE candidates SET extra_time = extra_time + $1 WHERE id = $2 RETURNING extra_time`, minutes*60, cid).Scan(&extra)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if extra > MaxExtraTime {
			return &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"minutes": fmt.Sprintf("the candidate's extra time would pass %d minutes", MaxExtraTime/60)}}
		}
		details := map[string]any{"roll_no": roll, "minutes": minutes, "reason": reason}
		if attempt != nil {
			next := deadline.UTC().Add(time.Duration(minutes) * time.Minute)
			// Guarded by the deadline read: a concurrent extension or
			// submission makes this one fail rather than be lost.
			n, err := tx.Exec(ctx, `UPDATE attempts SET deadline = $1 WHERE id = $2 AND submitted_at IS NULL AND deadline = $3`, next, *attempt, deadline.UTC())
			if err != nil {
				return errs.Wrap(op, err)
			}
			if n == 0 {
				return errs.E(errs.Conflict, op, "%s's attempt changed a moment ago (submitted or extended); look again", roll)
			}
			details["old_deadline"], details["new_deadline"] = deadline.UTC(), next
			out.Deadline = &next
		}
		out.ExtraTime = extra
		return s.id.Record(ctx, tx, p, a.ID, "exam.time.extend", fmt.Sprintf("exam %d", examID), details)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
