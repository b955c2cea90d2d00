package assess

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/assess/render"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Problem codes of exam delivery, for the runner to act on.
const (
	CodeDeadlinePassed = "deadline-passed" // the attempt's time is up
	CodeSubmitted      = "attempt-submitted"
	CodeTakenOver      = "taken-over" // the attempt was resumed on another device
	CodeNotStarted     = "not-started"
	CodeTooEarly       = "shift-not-open"
	CodeTooLate        = "entry-closed"
	CodeNoShift        = "no-shift"
)

// Exam-day sign-in limits. Exam centres put hundreds of candidates behind
// one address, so the address limit is high; a roll number locks soon.
const (
	rollFailures = 10
	rollLock     = 30 * time.Second
	rollLockMax  = 15 * time.Minute
	centreFails  = 1000
	centreLock   = 5 * time.Minute
)

// Limits on what a device sends.
const (
	MaxSaveBatch     = 200    // answers per save request
	MaxAnswerText    = 20_000 // bytes of an essay
	maxShortAnswer   = 1_000  // bytes of a numeric or short-text answer
	ticketAfterShift = 2 * time.Hour
)

// Delivery runs exams on the day: candidate sign-in, start, the paper,
// saving answers, submission and auto-submission at the deadline.
type Delivery struct {
	bank  *Service
	db    *database.DB
	key   []byte
	log   *slog.Logger
	now   func() time.Time
	grace time.Duration

	mu    sync.Mutex // guards exams and tests
	exams map[int64]*liveExam
	tests map[[2]int64]*liveExam // practice papers by test id and version

	saver *saver
}

// DeliveryOptions configure a Delivery.
type DeliveryOptions struct {
	// Key signs candidates' tickets: at least 32 random bytes, the same on
	// every replica.
	Key []byte
	// Writers is how many group-commit writers run (default 1 on SQLite,
	// which has one writer anyway, and 4 on PostgreSQL).
	Writers int
	// MaxBatch is the most save requests committed in one transaction
	// (default 512).
	MaxBatch int
	// Grace is how long after an attempt's deadline it is auto-submitted,
	// so that saves that arrived in time but are still in flight are
	// committed first (default 10 s).
	Grace time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// NewDelivery starts exam delivery over bank's database. Close stops it.
func NewDelivery(bank *Service, log *slog.Logger, opts DeliveryOptions) (*Delivery, error) {
	if len(opts.Key) < 32 {
		return nil, errors.New("assess: delivery key must be at least 32 bytes")
	}
	if opts.Writers <= 0 {
		opts.Writers = 1
		if bank.db.Dialect() == database.Postgres {
			opts.Writers = 4
		}
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Grace <= 0 {
		opts.Grace = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = bank.now
	}
	d := &Delivery{bank: bank, db: bank.db, key: opts.Key, log: log, now: opts.Now, grace: opts.Grace, exams: map[int64]*liveExam{}, tests: map[[2]int64]*liveExam{}}
	d.saver = newSaver(bank.db, log, opts.Writers, opts.MaxBatch)
	return d, nil
}

// Close stops the writers after they have committed what they hold.
func (d *Delivery) Close() { d.saver.close() }

// liveExam is what delivery keeps in memory of an exam: it never changes
// once published, so it is loaded once per process.
type liveExam struct {
	exam  *ExamInfo
	v     *TestVersion
	views map[int64]json.RawMessage // what candidates see of each item
	// instructions are the paper's, rendered to safe HTML per language.
	instructions map[string]string
	// sign gives the images in rendered HTML URLs signed for this paper.
	sign func(html string) string

	scoreOnce sync.Once
	scoring   map[int64]*Scorer // set once by scorers
	scoreErr  error

	sectionOnce sync.Once
	sectionOf   map[int64]int // set once by sectionIndex
}

func (d *Delivery) live(ctx context.Context, examID int64) (*liveExam, error) {
	d.mu.Lock()
	le := d.exams[examID]
	d.mu.Unlock()
	if le != nil {
		return le, nil
	}
	var authority int64
	if err := d.db.QueryRow(ctx, `SELECT authority_id FROM exams WHERE id = $1`, examID).Scan(&authority); err != nil {
		if errors.Is(err, database.ErrNoRows) {
			return nil, errs.E(errs.NotFound, "assess: exam", "no exam %d", examID)
		}
		return nil, errs.Wrap("assess: exam", err)
	}
	e, err := d.bank.loadExam(ctx, d.db, authority, examID)
	if err != nil {
		return nil, err
	}
	v, err := d.bank.testVersion(ctx, d.db, e.TestID, e.TestVersion)
	if err != nil {
		return nil, err
	}
	le, err = d.newLive(e, v, examID)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if have := d.exams[examID]; have != nil {
		le = have
	} else {
		d.exams[examID] = le
	}
	d.mu.Unlock()
	return le, nil
}

// newLive prepares a paper for delivery: every item as candidates see it,
// its images signed for scope (the exam, or minus the test for practice).
func (d *Delivery) newLive(e *ExamInfo, v *TestVersion, scope int64) (*liveExam, error) {
	le := &liveExam{exam: e, v: v, views: make(map[int64]json.RawMessage, len(v.Items)), instructions: renderAll(v.Test.Instructions),
		sign: func(html string) string { return d.signMedia(scope, html) }}
	for id, it := range v.Items {
		view := candidateView(it, le.markingOf(id))
		for l, t := range view.Text {
			t.Stem = d.signMedia(scope, t.Stem)
			for _, m := range []map[string]string{t.Choices, t.Left, t.Right} {
				for k, h := range m {
					m[k] = d.signMedia(scope, h)
				}
			}
			view.Text[l] = t
		}
		b, err := json.Marshal(view)
		if err != nil {
			return nil, errs.Wrap("assess: exam", err)
		}
		le.views[id] = b
	}
	return le, nil
}

// liveTest is liveExam for practice: a published mock test's version.
func (d *Delivery) liveTest(ctx context.Context, testID int64, version int) (*liveExam, error) {
	key := [2]int64{testID, int64(version)}
	d.mu.Lock()
	le := d.tests[key]
	d.mu.Unlock()
	if le != nil {
		return le, nil
	}
	var authority int64
	var title string
	if err := d.db.QueryRow(ctx, `SELECT authority_id, title FROM tests WHERE id = $1`, testID).Scan(&authority, &title); err != nil {
		if errors.Is(err, database.ErrNoRows) {
			return nil, errs.E(errs.NotFound, "assess: test", "no test %d", testID)
		}
		return nil, errs.Wrap("assess: test", err)
	}
	v, err := d.bank.testVersion(ctx, d.db, testID, version)
	if err != nil {
		return nil, err
	}
	e := &ExamInfo{AuthorityID: authority, TestID: testID, TestVersion: version, Title: v.Test.Title}
	if le, err = d.newLive(e, v, -testID); err != nil {
		return nil, err
	}
	d.mu.Lock()
	if have := d.tests[key]; have != nil {
		le = have
	} else {
		d.tests[key] = le
	}
	d.mu.Unlock()
	return le, nil
}

// liveFor returns the paper a ticket is for.
func (d *Delivery) liveFor(ctx context.Context, t Ticket) (*liveExam, error) {
	if t.Practice() {
		return d.liveTest(ctx, t.TestID, int(t.Version))
	}
	return d.live(ctx, t.Exam)
}

// paperFor works out the ticket's paper: from the exam's secret for a
// candidate, from the attempt's stored seed for practice.
func (d *Delivery) paperFor(ctx context.Context, le *liveExam, t Ticket) (Paper, error) {
	if !t.Practice() {
		return le.v.Paper(PaperSeed(le.exam.secret, t.Candidate)), nil
	}
	var text string
	if err := d.db.QueryRow(ctx, `SELECT seed FROM attempts WHERE id = $1`, t.Attempt).Scan(&text); err != nil {
		return Paper{}, errs.Wrap("assess: paper", err)
	}
	return paperOfSeed(le, text)
}

func paperOfSeed(le *liveExam, text string) (Paper, error) {
	var seed [32]byte
	if b, err := hex.DecodeString(text); err != nil || len(b) != 32 {
		return Paper{}, fmt.Errorf("assess: paper: bad seed")
	} else {
		copy(seed[:], b)
	}
	return le.v.Paper(seed), nil
}

// CandidateItem is a question as a candidate sees it: no key, no
// solution, no feedback.
type CandidateItem struct {
	ID      int64                    `json:"id"`
	Type    ItemType                 `json:"type"`
	Text    map[string]CandidateText `json:"text"`
	Choices []string                 `json:"choices,omitempty"`
	Left    []string                 `json:"left,omitempty"`
	Right   []string                 `json:"right,omitempty"`
	Marks   float64                  `json:"marks"`
	Penalty float64                  `json:"penalty,omitempty"`
}

// CandidateText is an item's wording in one language, for candidates, as
// safe HTML rendered from the item's Markdown (see package render): maths
// is left as TeX in elements of class "math" for the page to typeset.
type CandidateText struct {
	Stem    string            `json:"stem"`
	Choices map[string]string `json:"choices,omitempty"`
	Left    map[string]string `json:"left,omitempty"`
	Right   map[string]string `json:"right,omitempty"`
}

func renderAll(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(render.Markdown(v))
	}
	return out
}

func candidateView(it *Item, m *Marking) CandidateItem {
	c := CandidateItem{ID: it.ID, Type: it.Type, Text: map[string]CandidateText{}, Left: it.Left, Right: it.Right, Marks: it.Scoring.Marks, Penalty: it.Scoring.Penalty}
	if m != nil {
		c.Marks, c.Penalty = m.Marks, m.Penalty
	}
	for _, ch := range it.Choices {
		c.Choices = append(c.Choices, ch.ID)
	}
	for l, t := range it.Text {
		c.Text[l] = CandidateText{Stem: string(render.Markdown(t.Stem)), Choices: renderAll(t.Choices), Left: renderAll(t.Left), Right: renderAll(t.Right)}
	}
	return c
}

// ExamSession is what a candidate sees after signing in.
type ExamSession struct {
	Ticket     string    `json:"ticket"`
	RollNo     string    `json:"roll_no"`
	Name       string    `json:"name"`
	ExamID     int64     `json:"exam_id"`
	ExamTitle  string    `json:"exam_title"`
	Shift      string    `json:"shift,omitempty"`
	StartsAt   time.Time `json:"starts_at,omitzero"`
	EntryUntil time.Time `json:"entry_until,omitzero"`
	EndsAt     time.Time `json:"ends_at,omitzero"`
	// Languages, Duration (seconds) and Instructions (per language, safe
	// HTML) are the paper's, for the instructions page before the start.
	Languages    []string          `json:"languages"`
	Duration     int               `json:"duration"`
	Instructions map[string]string `json:"instructions,omitempty"`
	// Status is not_started, in_progress or submitted.
	Status     string     `json:"status"`
	Deadline   *time.Time `json:"deadline,omitempty"`
	ServerTime time.Time  `json:"server_time"`
}

type candidateRow struct {
	id, exam, shiftID     int64
	roll, name, shift     string
	extra                 int
	startsAt, endsAt      time.Time
	lateEntry             int
	attempt               int64
	device                int32
	deadline, submittedAt *time.Time
}

const candidateQuery = `SELECT c.id, c.exam_id, COALESCE(c.shift_id, 0), c.roll_no, c.name, COALESCE(sh.code, ''), c.extra_time,
	sh.starts_at, sh.ends_at, COALESCE(sh.late_entry, 0), COALESCE(a.id, 0), COALESCE(a.device, 0), a.deadline, a.submitted_at
	FROM candidates c LEFT JOIN shifts sh ON sh.id = c.shift_id LEFT JOIN attempts a ON a.candidate_id = c.id`

func scanCandidate(r database.Row) (*candidateRow, error) {
	var c candidateRow
	var starts, ends *time.Time
	if err := r.Scan(&c.id, &c.exam, &c.shiftID, &c.roll, &c.name, &c.shift, &c.extra, &starts, &ends, &c.lateEntry, &c.attempt, &c.device, &c.deadline, &c.submittedAt); err != nil {
		return nil, err
	}
	if starts != nil {
		c.startsAt, c.endsAt = starts.UTC(), ends.UTC()
	}
	if c.deadline != nil {
		t := c.deadline.UTC()
		c.deadline = &t
	}
	return &c, nil
}

func (c *candidateRow) session(now time.Time) ExamSession {
	s := ExamSession{RollNo: c.roll, Name: c.name, ExamID: c.exam, Shift: c.shift, Status: "not_started", ServerTime: now, Deadline: c.deadline}
	if c.shiftID != 0 {
		s.StartsAt, s.EndsAt = c.startsAt, c.endsAt.Add(time.Duration(c.extra)*time.Second)
		s.EntryUntil = c.startsAt.Add(time.Duration(c.lateEntry) * time.Second)
	}
	switch {
	case c.submittedAt != nil:
		s.Status = "submitted"
	case c.attempt != 0:
		s.Status = "in_progress"
	}
	return s
}

// ticketExpiry is when a candidate's tickets stop working: well after
// the shift, so a long-running attempt never loses its ticket.
func (c *candidateRow) ticketExpiry(now time.Time) time.Time {
	if c.shiftID == 0 {
		return now.Add(ticketAfterShift)
	}
	return c.endsAt.Add(time.Duration(c.extra)*time.Second + ticketAfterShift)
}

// SignIn checks a roll number and access code and returns the candidate's
// session with a ticket. Wrong codes are counted against the roll number
// and the address, which are locked after too many.
func (d *Delivery) SignIn(ctx context.Context, roll, code string) (*ExamSession, error) {
	const op = "assess: candidate sign in"
	roll = strings.TrimSpace(roll)
	if roll == "" || code == "" {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "enter your roll number and access code",
			Fields: map[string]string{"roll_no": "is required", "access_code": "is required"}}
	}
	if len(roll) > maxRollLen {
		return nil, errs.E(errs.Unauthorized, op, "the roll number or access code is wrong")
	}
	ip := identity.OriginFrom(ctx).IP
	rollKey, ipKey := "roll:"+roll, "cip:"+ip
	counted, err := d.bank.id.CheckLocks(ctx, op, rollKey, ipKey)
	if err != nil {
		return nil, err
	}
	fail := func() (*ExamSession, error) {
		if err := d.bank.id.RecordFailures(ctx,
			identity.LockRule{Key: rollKey, Failures: rollFailures, Lock: rollLock, Doubling: true, MaxLock: rollLockMax},
			identity.LockRule{Key: ipKey, Failures: centreFails, Lock: centreLock}); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.Unauthorized, op, "the roll number or access code is wrong")
	}
	canon, ok := CanonicalAccessCode(code)
	if !ok {
		return fail()
	}
	c, err := scanCandidate(d.db.QueryRow(ctx, candidateQuery+` WHERE c.code_hash = $1`, hashAccessCode(canon)))
	if errors.Is(err, database.ErrNoRows) {
		return fail()
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if !strings.EqualFold(c.roll, roll) {
		return fail()
	}
	if counted {
		if err := d.bank.id.ClearFailures(ctx, rollKey); err != nil {
			return nil, err
		}
	}
	le, err := d.live(ctx, c.exam)
	if err != nil {
		return nil, err
	}
	now := d.now()
	s := c.session(now)
	s.ExamTitle = le.exam.Title
	s.Languages, s.Duration, s.Instructions = le.v.Test.Languages, le.v.Test.Duration, le.instructions
	expires := c.ticketExpiry(now)
	if c.submittedAt != nil {
		// After the exam a ticket only reads the result and makes
		// challenges, which may come days later.
		if day := now.Add(24 * time.Hour); day.After(expires) {
			expires = day
		}
	}
	s.Ticket = sealTicket(d.key, Ticket{Candidate: c.id, Exam: c.exam, Attempt: c.attempt, Expires: expires})
	return &s, nil
}

// ticket checks a ticket; started requires an attempt.
func (d *Delivery) ticket(s string, started bool) (Ticket, error) {
	t, ok := openTicket(d.key, s, d.now())
	if !ok {
		return t, errs.E(errs.Unauthorized, "assess: exam ticket", "your exam session has expired or is not valid; sign in again with your roll number and access code")
	}
	if started && t.Attempt == 0 {
		return t, &errs.Error{Kind: errs.Conflict, Op: "assess: exam ticket", Code: CodeNotStarted, Message: "start the exam first"}
	}
	return t, nil
}

// Started is what a device gets when a candidate starts or resumes.
type Started struct {
	Ticket     string    `json:"ticket"`
	Device     int32     `json:"device"`
	Deadline   time.Time `json:"deadline"`
	ServerTime time.Time `json:"server_time"`
	Resumed    bool      `json:"resumed"`
}

// Start begins the candidate's attempt, or resumes it on this device
// (taking it over from any other). The deadline is set now, by the
// server: the start time plus the test's duration plus the candidate's
// extra time, but no later than the shift's end (plus the extra time).
// Starting before the shift opens or after late entry closes is refused.
func (d *Delivery) Start(ctx context.Context, ticket string) (*Started, error) {
	const op = "assess: start exam"
	now := d.now() // taken first: a slow server never costs the candidate time
	t, err := d.ticket(ticket, false)
	if err != nil {
		return nil, err
	}
	if t.Practice() {
		return nil, errs.E(errs.Invalid, op, "a practice attempt is started or resumed from its mock test")
	}
	le, err := d.live(ctx, t.Exam)
	if err != nil {
		return nil, err
	}
	for range 2 {
		c, err := scanCandidate(d.db.QueryRow(ctx, candidateQuery+` WHERE c.id = $1`, t.Candidate))
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		if c.attempt != 0 {
			return d.resume(ctx, c, now)
		}
		switch {
		case c.shiftID == 0:
			return nil, &errs.Error{Kind: errs.Forbidden, Op: op, Code: CodeNoShift, Message: "you are not assigned to a shift of this exam; ask the exam centre"}
		case now.Before(c.startsAt):
			return nil, &errs.Error{Kind: errs.Forbidden, Op: op, Code: CodeTooEarly, Message: fmt.Sprintf("your shift opens at %s", c.startsAt.Format(time.RFC3339))}
		case now.After(c.startsAt.Add(time.Duration(c.lateEntry) * time.Second)):
			return nil, &errs.Error{Kind: errs.Forbidden, Op: op, Code: CodeTooLate, Message: fmt.Sprintf("entry to your shift closed at %s", c.startsAt.Add(time.Duration(c.lateEntry)*time.Second).Format(time.RFC3339))}
		}
		extra := time.Duration(c.extra) * time.Second
		deadline := now.Add(time.Duration(le.v.Test.Duration)*time.Second + extra)
		if end := c.endsAt.Add(extra); deadline.After(end) {
			deadline = end
		}
		deadline = deadline.Truncate(time.Second)
		seed := PaperSeed(le.exam.secret, c.id)
		// The insert joins the saves' group commit: at the start surge,
		// thousands of starts share each commit.
		var id int64
		_, err = d.saver.save(ctx, &saveReq{exec: func(ctx context.Context, tx *database.Tx) error {
			id = 0
			err := tx.QueryRow(ctx, `INSERT INTO attempts (authority_id, test_id, test_version, exam_id, candidate_id, seed, device, started_at, deadline)
				VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) ON CONFLICT (candidate_id) DO NOTHING RETURNING id`,
				le.exam.AuthorityID, le.exam.TestID, le.exam.TestVersion, le.exam.ID, c.id, hex.EncodeToString(seed[:]), now, deadline).Scan(&id)
			if errors.Is(err, database.ErrNoRows) {
				return nil // another device started it a moment ago
			}
			return errs.Wrap(op, err)
		}})
		if err != nil {
			return nil, err
		}
		if id == 0 {
			continue // resume the attempt the other device started
		}
		tk := Ticket{Candidate: c.id, Exam: c.exam, Attempt: id, Device: 1, Expires: c.ticketExpiry(now)}
		return &Started{Ticket: sealTicket(d.key, tk), Device: 1, Deadline: deadline, ServerTime: now}, nil
	}
	return nil, errs.E(errs.Unavailable, op, "the exam could not be started; try again")
}

func (d *Delivery) resume(ctx context.Context, c *candidateRow, now time.Time) (*Started, error) {
	const op = "assess: resume exam"
	if c.submittedAt != nil {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeSubmitted, Message: "you have submitted this exam"}
	}
	if c.deadline != nil && now.After(*c.deadline) {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeDeadlinePassed, Message: "the time for this exam is over; your saved answers will be submitted"}
	}
	var device int32
	var deadline time.Time
	_, err := d.saver.save(ctx, &saveReq{attempt: c.attempt, exec: func(ctx context.Context, tx *database.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE attempts SET device = device + 1 WHERE id = $1 AND submitted_at IS NULL RETURNING device, deadline`, c.attempt).Scan(&device, &deadline)
		if errors.Is(err, database.ErrNoRows) {
			return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeSubmitted, Message: "you have submitted this exam"}
		}
		return errs.Wrap(op, err)
	}})
	if err != nil {
		return nil, err
	}
	tk := Ticket{Candidate: c.id, Exam: c.exam, Attempt: c.attempt, Device: device, Expires: c.ticketExpiry(now)}
	return &Started{Ticket: sealTicket(d.key, tk), Device: device, Deadline: deadline.UTC(), ServerTime: now, Resumed: true}, nil
}

// PaperView is a candidate's paper: the test's sections and this
// candidate's questions in order, in every language of the test.
type PaperView struct {
	Title     string   `json:"title"`
	Languages []string `json:"languages"`
	// Instructions are per language, as safe HTML.
	Instructions map[string]string `json:"instructions,omitempty"`
	Navigation   Navigation        `json:"navigation"`
	Calculator   bool              `json:"calculator,omitempty"`
	// Feedback is when a practice test shows whether answers are right
	// ("each" question or at the "end"); empty on an exam.
	Feedback Feedback      `json:"feedback,omitempty"`
	Duration int           `json:"duration"`
	Sections []SectionView `json:"sections"`
	Slots    []Slot        `json:"slots"`
	// Items are the questions, as candidates see them, in slot order.
	Items []json.RawMessage `json:"items"`
}

// SectionView is a section as candidates see it.
type SectionView struct {
	ID       string            `json:"id"`
	Title    map[string]string `json:"title,omitempty"`
	Attempt  int               `json:"attempt,omitempty"`
	Duration int               `json:"duration,omitempty"`
}

// Paper returns the candidate's paper. Only a started attempt has one:
// no question of an exam is shown before the candidate's shift opens.
func (d *Delivery) Paper(ctx context.Context, ticket string) (*PaperView, error) {
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	le, err := d.liveFor(ctx, t)
	if err != nil {
		return nil, err
	}
	test := &le.v.Test
	p, err := d.paperFor(ctx, le, t)
	if err != nil {
		return nil, err
	}
	out := &PaperView{Title: le.exam.Title, Languages: test.Languages, Instructions: le.instructions, Navigation: test.Navigation,
		Calculator: test.Calculator, Duration: test.Duration, Slots: p.Slots, Items: make([]json.RawMessage, len(p.Slots))}
	if t.Practice() {
		out.Feedback = test.Feedback
	}
	for _, s := range test.Sections {
		out.Sections = append(out.Sections, SectionView{ID: s.ID, Title: s.Title, Attempt: s.Attempt, Duration: s.Duration})
	}
	for i, s := range p.Slots {
		out.Items[i] = le.views[s.ItemID]
	}
	return out, nil
}

// Answer is one saved answer. Seq is the device's sequence number for the
// question: the server keeps the answer with the highest, so a retried or
// late-arriving older save never overwrites a newer one.
type Answer struct {
	ItemID   int64     `json:"item_id"`
	Seq      int64     `json:"seq"`
	Response *Response `json:"response"` // nil or empty: the answer was cleared
	Marked   bool      `json:"marked,omitempty"`
	SavedAt  time.Time `json:"saved_at,omitzero"`
}

// AttemptState is where an attempt stands, for a device that resumes.
type AttemptState struct {
	Device int32 `json:"device"`
	// Deadline is zero (omitted) for an untimed practice test.
	Deadline   time.Time  `json:"deadline,omitzero"`
	ServerTime time.Time  `json:"server_time"`
	Submitted  *time.Time `json:"submitted_at,omitempty"`
	// Section is the index of the open section, and SectionCloses when it
	// closes, on a paper whose sections have their own time.
	Section       *int      `json:"section,omitempty"`
	SectionCloses time.Time `json:"section_closes,omitzero"`
	Answers       []Answer  `json:"answers"`
}

// State returns the attempt's saved answers, its deadline and the server
// time.
func (d *Delivery) State(ctx context.Context, ticket string) (*AttemptState, error) {
	const op = "assess: attempt state"
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	st := &AttemptState{ServerTime: d.now(), Answers: []Answer{}}
	var deadline, sectionStart *time.Time
	var began time.Time
	var section int
	// The ticket is signed: its attempt is the caller's.
	if err := d.db.QueryRow(ctx, `SELECT device, deadline, submitted_at, section, section_started_at, started_at FROM attempts WHERE id = $1`, t.Attempt).
		Scan(&st.Device, &deadline, &st.Submitted, &section, &sectionStart, &began); err != nil {
		return nil, errs.Wrap(op, err)
	}
	if deadline != nil {
		st.Deadline = deadline.UTC()
		if le, err := d.liveFor(ctx, t); err == nil && le.v.Test.SectionTimed() {
			from := began
			if sectionStart != nil {
				from = *sectionStart
			}
			open, closes := le.sectionAt(section, from, began, *deadline, st.ServerTime)
			st.Section, st.SectionCloses = &open, closes.UTC()
		}
	}
	if st.Device != t.Device {
		return nil, takenOver()
	}
	rows, err := d.db.Query(ctx, `SELECT item_id, seq, response, marked, saved_at FROM responses WHERE attempt_id = $1 ORDER BY item_id`, t.Attempt)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var a Answer
		var resp string
		if err := rows.Scan(&a.ItemID, &a.Seq, &resp, &a.Marked, &a.SavedAt); err != nil {
			return nil, errs.Wrap(op, err)
		}
		a.SavedAt = a.SavedAt.UTC()
		if resp != "null" {
			a.Response = new(Response)
			if err := decodeResponse([]byte(resp), a.Response); err != nil {
				return nil, errs.Wrap(op, err)
			}
		}
		st.Answers = append(st.Answers, a)
	}
	return st, errs.Wrap(op, rows.Err())
}

func takenOver() error {
	return &errs.Error{Kind: errs.Conflict, Op: "assess: exam", Code: CodeTakenOver, Message: "this exam was resumed on another device; carry on there, or start again here to move it back"}
}

// SaveResult says what became of a save request.
type SaveResult struct {
	// Saved counts answers stored; Stale those ignored because a newer one
	// (higher seq) was already stored.
	Saved      int       `json:"saved"`
	Stale      int       `json:"stale"`
	Deadline   time.Time `json:"deadline,omitzero"` // zero for an untimed practice test
	ServerTime time.Time `json:"server_time"`
	// Feedback, on a practice test that gives it after each question, says
	// for each answer saved whether it was right, with the solution.
	Feedback []AnswerFeedback `json:"feedback,omitempty"`
}

// Save stores answers. It returns only once they are committed to disk
// (group commit: concurrent saves share one transaction). The arrival
// time, taken first, decides whether a save beat the deadline.
func (d *Delivery) Save(ctx context.Context, ticket string, answers []Answer) (*SaveResult, error) {
	const op = "assess: save answers"
	arrived := d.now()
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	if len(answers) == 0 || len(answers) > MaxSaveBatch {
		return nil, errs.E(errs.Invalid, op, "send between 1 and %d answers at a time", MaxSaveBatch)
	}
	le, err := d.liveFor(ctx, t)
	if err != nil {
		return nil, err
	}
	rows := make([]saveRow, 0, len(answers))
	v := errs.Validation{Op: op}
	for i, a := range answers {
		it := le.v.Items[a.ItemID]
		field := fmt.Sprintf("answers.%d", i)
		if it == nil {
			v.Add(field+".item_id", "question %d is not in this exam", a.ItemID)
			continue
		}
		if a.Seq <= 0 {
			v.Add(field+".seq", "must be a positive number")
			continue
		}
		if msg := checkResponse(it, a.Response); msg != "" {
			v.Add(field+".response", "%s", msg)
			continue
		}
		resp := []byte("null")
		if !a.Response.Empty() {
			if resp, err = json.Marshal(a.Response); err != nil {
				return nil, errs.Wrap(op, err)
			}
		}
		rows = append(rows, saveRow{item: a.ItemID, seq: a.Seq, response: string(resp), marked: a.Marked})
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	res, err := d.saver.save(ctx, &saveReq{attempt: t.Attempt, device: t.Device, arrived: arrived, rows: rows, paper: le})
	if err != nil {
		return nil, err
	}
	res.ServerTime = d.now()
	if t.Practice() && le.v.Test.Feedback == EachQuestion {
		scorers, err := le.scorers()
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		for _, a := range answers {
			if a.Response.Empty() {
				continue
			}
			r := scorers[a.ItemID].Score(a.Response)
			res.Feedback = append(res.Feedback, AnswerFeedback{ItemID: a.ItemID, Correct: r.Correct, Score: r.Score, Solution: le.solution(a.ItemID)})
		}
	}
	return res, nil
}

// AnswerFeedback is what a practice test shows after an answer.
type AnswerFeedback struct {
	ItemID  int64   `json:"item_id"`
	Correct bool    `json:"correct"`
	Score   float64 `json:"score"`
	// Solution is each language's explanation, as safe HTML.
	Solution map[string]string `json:"solution,omitempty"`
}

// checkResponse says what is wrong with r as an answer to it, or "". It
// runs on every save, so it allocates nothing on the way to "".
func checkResponse(it *Item, r *Response) string {
	if r.Empty() {
		return ""
	}
	choiceIndex := func(id string) int {
		for i, c := range it.Choices {
			if c.ID == id {
				return i
			}
		}
		return -1
	}
	has := func(ids []string, id string) bool {
		for _, x := range ids {
			if x == id {
				return true
			}
		}
		return false
	}
	switch it.Type {
	case SingleChoice, TrueFalse, MultipleResponse, Ordering:
		if len(r.Pairs) > 0 || r.Text != "" {
			return "answer with choices"
		}
		var seen uint64 // Validate caps choices at MaxChoices (26)
		for _, c := range r.Choices {
			i := choiceIndex(c)
			if i < 0 || i >= 64 || seen&(1<<i) != 0 {
				return fmt.Sprintf("choice %q is not one of the question's, or is given twice", c)
			}
			seen |= 1 << i
		}
		if (it.Type == SingleChoice || it.Type == TrueFalse) && len(r.Choices) > 1 {
			return "choose one"
		}
		if it.Type == MultipleResponse && it.MaxChoices > 0 && len(r.Choices) > it.MaxChoices {
			return fmt.Sprintf("choose at most %d", it.MaxChoices)
		}
		if it.Type == Ordering && len(r.Choices) != len(it.Choices) {
			return "give every choice, in your order"
		}
	case Matching:
		if len(r.Choices) > 0 || r.Text != "" {
			return "answer with pairs"
		}
		for l, rt := range r.Pairs {
			if !has(it.Left, l) || !has(it.Right, rt) {
				return fmt.Sprintf("pair %s–%s is not one of the question's", l, rt)
			}
		}
	case Numeric, ShortText:
		if len(r.Choices) > 0 || len(r.Pairs) > 0 {
			return "answer with text"
		}
		if len(r.Text) > maxShortAnswer || !utf8.ValidString(r.Text) {
			return fmt.Sprintf("must be valid text of at most %d bytes", maxShortAnswer)
		}
	case Essay:
		if len(r.Choices) > 0 || len(r.Pairs) > 0 {
			return "answer with text"
		}
		if len(r.Text) > MaxAnswerText || !utf8.ValidString(r.Text) {
			return fmt.Sprintf("must be valid text of at most %d bytes", MaxAnswerText)
		}
	}
	return ""
}

// Submit ends the attempt at the candidate's request, with the answers
// saved so far. Submitting twice is harmless.
func (d *Delivery) Submit(ctx context.Context, ticket string) (*AttemptState, error) {
	arrived := d.now()
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	_, err = d.saver.save(ctx, &saveReq{attempt: t.Attempt, device: t.Device, arrived: arrived, submit: true})
	if e := errs.As(err); err != nil && (e == nil || e.Code != CodeSubmitted) {
		return nil, err
	}
	if t.Practice() {
		if err := d.practiceSubmitted(ctx, t); err != nil {
			return nil, err
		}
	}
	return d.State(ctx, ticket)
}

// AutoSubmit submits every attempt whose deadline passed more than the
// grace period ago, with whatever was saved, and returns how many. It is
// run by a periodic job, so an attempt whose server crashed is submitted
// all the same once any worker runs.
func (d *Delivery) AutoSubmit(ctx context.Context) (int64, error) {
	now := d.now()
	n, err := d.db.Exec(ctx, `UPDATE attempts SET submitted_at = deadline, submitted_by = 'deadline' WHERE submitted_at IS NULL AND deadline < $1`, now.Add(-d.grace))
	if err != nil {
		return 0, errs.Wrap("assess: auto-submit", err)
	}
	if n > 0 {
		d.log.InfoContext(ctx, "attempts auto-submitted at their deadline", "count", n)
	}
	return n, nil
}

// Item images are not public: staff see them as members of their
// authority. Candidates have no session, and an <img> cannot send their
// ticket, so the images of a paper are given URLs signed for the exam:
// only someone who was shown the paper has them.
var mediaSrc = regexp.MustCompile(`src="/media/([A-Za-z0-9_-]{1,32})/([a-f0-9]{64}\.[a-z]{3,4})"`)

func (d *Delivery) mediaSig(exam int64, code, name string) string {
	m := hmac.New(sha256.New, d.key)
	fmt.Fprintf(m, "vidya exam media\x00%d\x00%s\x00%s", exam, code, name)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// signMedia gives every item image in html a URL signed for the exam.
func (d *Delivery) signMedia(exam int64, html string) string {
	if !strings.Contains(html, `src="/media/`) {
		return html
	}
	return mediaSrc.ReplaceAllStringFunc(html, func(m string) string {
		p := mediaSrc.FindStringSubmatch(m)
		return fmt.Sprintf(`src="/media/%s/%s?exam=%d&amp;sig=%s"`, p[1], p[2], exam, d.mediaSig(exam, p[1], p[2]))
	})
}

// Media opens an image of an exam's paper for a candidate, given the URL
// signed for the exam.
func (d *Delivery) Media(ctx context.Context, code, name string, exam int64, sig string) (io.ReadCloser, blob.Info, error) {
	if !hmac.Equal([]byte(sig), []byte(d.mediaSig(exam, code, name))) {
		return nil, blob.Info{}, errs.E(errs.NotFound, "assess: image", "no such image")
	}
	var authority int64
	if exam < 0 { // a practice paper: minus the test's id
		if err := d.db.QueryRow(ctx, `SELECT authority_id FROM tests WHERE id = $1`, -exam).Scan(&authority); err != nil {
			return nil, blob.Info{}, errs.E(errs.NotFound, "assess: image", "no such image")
		}
	} else {
		le, err := d.live(ctx, exam)
		if err != nil {
			return nil, blob.Info{}, errs.E(errs.NotFound, "assess: image", "no such image")
		}
		authority = le.exam.AuthorityID
	}
	return d.bank.mediaOf(ctx, authority, name)
}

// solution is an item's explanation per language, as safe HTML, its
// images signed like the paper's.
func (le *liveExam) solution(id int64) map[string]string {
	var out map[string]string
	for l, t := range le.v.Items[id].Text {
		if t.Explanation == "" {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[l] = le.sign(string(render.Markdown(t.Explanation)))
	}
	return out
}
