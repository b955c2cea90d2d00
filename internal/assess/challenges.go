package assess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The answer-key challenge window. After an exam an administrator opens a
// window in which candidates may challenge the key of a question on their
// own paper, once per question, with a reason and optionally the answer
// they think right. Administrators see the challenges grouped by question
// and decide: reject, accept with a corrected key, or drop the question
// (everyone whose paper had it gets its full marks). The frozen test
// version is never changed: the decision is stored for the exam, and
// accepting regrades every attempt whose paper had the question (Regrade,
// run by a job, in batches, resumable) and marks the exam's results stale
// until they are computed again.

// Problem codes of challenges.
const (
	CodeChallengeClosed = "challenge-window-closed" // outside the exam's challenge window
	CodeChallenged      = "already-challenged"      // one challenge per candidate per question
	CodeDecided         = "key-decided"             // the question's key has been decided
	CodeNotGraded       = "attempts-not-graded"     // regrading needs every attempt graded
)

// Challenge decisions.
const (
	DecisionReject = "reject"
	DecisionAccept = "accept" // with a corrected key
	DecisionDrop   = "drop"   // full marks for everyone whose paper had it
)

// Limits of challenges.
const (
	MinChallengeReason = 10
	MaxChallengeReason = 2000
	MaxChallengeWindow = 31 * 24 * time.Hour
	maxReasonsShown    = 100 // per question in the administrators' list
	RegradeBatch       = 500 // attempts regraded per transaction
)

// ChallengeWindow is when candidates may challenge an exam's key.
type ChallengeWindow struct {
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
}

// ChallengeInput is a candidate's challenge of a question's key.
type ChallengeInput struct {
	ItemID int64  `json:"item_id"`
	Reason string `json:"reason"`
	// Proposed is the answer the candidate thinks right (optional).
	Proposed *Response `json:"proposed,omitempty"`
}

// Challenge is a candidate's challenge, as the candidate sees it.
type Challenge struct {
	ItemID    int64     `json:"item_id"`
	Reason    string    `json:"reason"`
	Proposed  *Response `json:"proposed,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Status is pending, or the decision: reject, accept or drop.
	Status string `json:"status"`
}

// ChallengedItem is a question's challenges, for administrators: how many,
// the reasons (up to 100) and the decision if made.
type ChallengedItem struct {
	ItemID   int64             `json:"item_id"`
	Count    int               `json:"count"`
	Reasons  []ChallengeReason `json:"reasons"`
	Decision *KeyDecision      `json:"decision,omitempty"`
}

// ChallengeReason is one candidate's reason, without their identity.
type ChallengeReason struct {
	Reason   string    `json:"reason"`
	Proposed *Response `json:"proposed,omitempty"`
}

// DecisionInput is an administrator's decision on a question's key.
type DecisionInput struct {
	Action string `json:"action"` // reject, accept or drop
	// Key is the corrected key, for accept.
	Key  *Key   `json:"key,omitempty"`
	Note string `json:"note,omitempty"`
}

// KeyDecision is a decision on a question's key for one exam, and how far
// regrading has gone.
type KeyDecision struct {
	ItemID    int64     `json:"item_id"`
	Action    string    `json:"action"`
	Key       *Key      `json:"key,omitempty"`
	Note      string    `json:"note,omitempty"`
	DecidedAt time.Time `json:"decided_at"`
	// Regraded counts the attempts whose score changed; Done says every
	// affected attempt has been regraded.
	Regraded int  `json:"regraded"`
	Done     bool `json:"done"`
}

// SetChallengeWindow opens (or moves) an exam's challenge window. It may
// not open before the exam's last shift ends. Administrators; audited.
func (d *Delivery) SetChallengeWindow(ctx context.Context, p *identity.Principal, code string, examID int64, w ChallengeWindow) (*ChallengeWindow, error) {
	const op = "assess: challenge window"
	a, _, err := d.markingExam(ctx, p, code, examID, examAdminRoles)
	if err != nil {
		return nil, err
	}
	w.OpensAt, w.ClosesAt = w.OpensAt.UTC().Truncate(time.Second), w.ClosesAt.UTC().Truncate(time.Second)
	v := errs.Validation{Op: op}
	if w.OpensAt.IsZero() {
		v.Add("opens_at", "is required")
	}
	if !w.ClosesAt.After(w.OpensAt) || w.ClosesAt.Sub(w.OpensAt) > MaxChallengeWindow {
		v.Add("closes_at", "must be after opens_at, by at most %d days", int(MaxChallengeWindow/(24*time.Hour)))
	}
	var lastEnd time.Time
	err = d.db.QueryRow(ctx, `SELECT ends_at FROM shifts WHERE exam_id = $1 ORDER BY ends_at DESC LIMIT 1`, examID).Scan(&lastEnd)
	if err != nil && !errors.Is(err, database.ErrNoRows) {
		return nil, errs.Wrap(op, err)
	}
	if err == nil && w.OpensAt.Before(lastEnd.UTC()) {
		v.Add("opens_at", "must not be before the last shift ends (%s)", lastEnd.UTC().Format(time.RFC3339))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = d.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE exams SET challenge_opens_at = $1, challenge_closes_at = $2 WHERE id = $3`, w.OpensAt, w.ClosesAt, examID); err != nil {
			return errs.Wrap(op, err)
		}
		return d.bank.id.Record(ctx, tx, p, a.ID, "exam.challenges.window", fmt.Sprintf("exam %d", examID),
			map[string]any{"opens_at": w.OpensAt, "closes_at": w.ClosesAt})
	})
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// Challenge records the candidate's challenge of a question's key: only a
// question on their paper, once, while the window is open.
func (d *Delivery) Challenge(ctx context.Context, ticket string, in ChallengeInput) (*Challenge, error) {
	const op = "assess: challenge key"
	now := d.now()
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	le, err := d.live(ctx, t.Exam)
	if err != nil {
		return nil, err
	}
	var opens, closes *time.Time
	if err := d.db.QueryRow(ctx, `SELECT challenge_opens_at, challenge_closes_at FROM exams WHERE id = $1`, t.Exam).Scan(&opens, &closes); err != nil {
		return nil, errs.Wrap(op, err)
	}
	if opens == nil || now.Before(*opens) || !now.Before(*closes) {
		return nil, &errs.Error{Kind: errs.Forbidden, Op: op, Code: CodeChallengeClosed, Message: "the answer key cannot be challenged now: the challenge window is not open"}
	}
	in.Reason = strings.TrimSpace(in.Reason)
	v := errs.Validation{Op: op}
	onPaper := slices.ContainsFunc(le.v.Paper(PaperSeed(le.exam.secret, t.Candidate)).Slots, func(s Slot) bool { return s.ItemID == in.ItemID })
	if !onPaper {
		v.Add("item_id", "question %d is not on your paper", in.ItemID)
	}
	if n := utf8.RuneCountInString(in.Reason); !utf8.ValidString(in.Reason) || n < MinChallengeReason || n > MaxChallengeReason {
		v.Add("reason", "must be %d–%d characters", MinChallengeReason, MaxChallengeReason)
	}
	proposed := ""
	if onPaper && in.Proposed != nil {
		if msg := checkResponse(le.v.Items[in.ItemID], in.Proposed); msg != "" {
			v.Add("proposed", "%s", msg)
		} else if !in.Proposed.Empty() {
			b, err := json.Marshal(in.Proposed)
			if err != nil {
				return nil, errs.Wrap(op, err)
			}
			proposed = string(b)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	_, err = d.db.Exec(ctx, `INSERT INTO challenges (exam_id, candidate_id, item_id, reason, proposed, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.Exam, t.Candidate, in.ItemID, in.Reason, proposed, now)
	if database.IsUniqueViolation(err) {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeChallenged, Message: fmt.Sprintf("you have challenged the key of question %d already", in.ItemID)}
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	c := &Challenge{ItemID: in.ItemID, Reason: in.Reason, CreatedAt: now.UTC(), Status: "pending"}
	if proposed != "" {
		c.Proposed = in.Proposed
	}
	return c, nil
}

// ChallengeWindowOf returns an exam's challenge window, nil if none was
// set. Readers of exams.
func (d *Delivery) ChallengeWindowOf(ctx context.Context, p *identity.Principal, code string, examID int64) (*ChallengeWindow, error) {
	a, err := d.bank.authority(ctx, p, code, examReadRoles)
	if err != nil {
		return nil, err
	}
	if _, err := d.bank.loadExam(ctx, d.db, a.ID, examID); err != nil {
		return nil, err
	}
	return d.windowOf(ctx, examID)
}

func (d *Delivery) windowOf(ctx context.Context, examID int64) (*ChallengeWindow, error) {
	var opens, closes *time.Time
	if err := d.db.QueryRow(ctx, `SELECT challenge_opens_at, challenge_closes_at FROM exams WHERE id = $1`, examID).Scan(&opens, &closes); err != nil {
		return nil, errs.Wrap("assess: challenge window", err)
	}
	if opens == nil || closes == nil {
		return nil, nil
	}
	return &ChallengeWindow{OpensAt: opens.UTC(), ClosesAt: closes.UTC()}, nil
}

// CandidateChallenges is what a candidate sees of challenges: their own,
// and the window, open now or not.
type CandidateChallenges struct {
	Items  []Challenge      `json:"items"`
	Window *ChallengeWindow `json:"window,omitempty"`
	Open   bool             `json:"open"`
}

// CandidateChallenges lists the candidate's challenges with the exam's
// challenge window.
func (d *Delivery) CandidateChallenges(ctx context.Context, ticket string) (*CandidateChallenges, error) {
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	items, err := d.MyChallenges(ctx, ticket)
	if err != nil {
		return nil, err
	}
	out := &CandidateChallenges{Items: items}
	if t.Practice() {
		return out, nil
	}
	if out.Window, err = d.windowOf(ctx, t.Exam); err != nil {
		return nil, err
	}
	now := d.now()
	out.Open = out.Window != nil && !now.Before(out.Window.OpensAt) && now.Before(out.Window.ClosesAt)
	return out, nil
}

// MyChallenges lists the candidate's challenges with their status.
func (d *Delivery) MyChallenges(ctx context.Context, ticket string) ([]Challenge, error) {
	const op = "assess: challenges"
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.Query(ctx, `SELECT c.item_id, c.reason, c.proposed, c.created_at, COALESCE(k.action, 'pending') FROM challenges c
		LEFT JOIN key_decisions k ON k.exam_id = c.exam_id AND k.item_id = c.item_id WHERE c.candidate_id = $1 ORDER BY c.item_id`, t.Candidate)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := []Challenge{}
	for rows.Next() {
		var c Challenge
		var proposed string
		if err := rows.Scan(&c.ItemID, &c.Reason, &proposed, &c.CreatedAt, &c.Status); err != nil {
			return nil, errs.Wrap(op, err)
		}
		c.CreatedAt = c.CreatedAt.UTC()
		if c.Proposed, err = decodeProposed(proposed); err != nil {
			return nil, errs.Wrap(op, err)
		}
		out = append(out, c)
	}
	return out, errs.Wrap(op, rows.Err())
}

func decodeProposed(s string) (*Response, error) {
	if s == "" {
		return nil, nil
	}
	r := new(Response)
	return r, json.Unmarshal([]byte(s), r)
}

// Challenges lists an exam's challenges grouped by question, most
// challenged first, with the decisions made. Readers of exams.
func (d *Delivery) Challenges(ctx context.Context, p *identity.Principal, code string, examID int64) ([]ChallengedItem, error) {
	const op = "assess: list challenges"
	if _, _, err := d.markingExam(ctx, p, code, examID, examReadRoles); err != nil {
		return nil, err
	}
	decisions, err := d.decisions(ctx, d.db, examID)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.Query(ctx, `SELECT item_id, COUNT(*) FROM challenges WHERE exam_id = $1 GROUP BY item_id ORDER BY COUNT(*) DESC, item_id`, examID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	out := []ChallengedItem{}
	for rows.Next() {
		c := ChallengedItem{Reasons: []ChallengeReason{}}
		if err := rows.Scan(&c.ItemID, &c.Count); err != nil {
			rows.Close()
			return nil, errs.Wrap(op, err)
		}
		c.Decision = decisions[c.ItemID]
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(op, err)
	}
	for i := range out {
		rows, err := d.db.Query(ctx, `SELECT reason, proposed FROM challenges WHERE exam_id = $1 AND item_id = $2 ORDER BY id LIMIT $3`, examID, out[i].ItemID, maxReasonsShown)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		for rows.Next() {
			var r ChallengeReason
			var proposed string
			if err := rows.Scan(&r.Reason, &proposed); err != nil {
				rows.Close()
				return nil, errs.Wrap(op, err)
			}
			if r.Proposed, err = decodeProposed(proposed); err != nil {
				rows.Close()
				return nil, errs.Wrap(op, err)
			}
			out[i].Reasons = append(out[i].Reasons, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	return out, nil
}

func (d *Delivery) decisions(ctx context.Context, q database.Querier, examID int64) (map[int64]*KeyDecision, error) {
	rows, err := q.Query(ctx, `SELECT item_id, action, new_key, note, decided_at, regraded, done FROM key_decisions WHERE exam_id = $1`, examID)
	if err != nil {
		return nil, errs.Wrap("assess: key decisions", err)
	}
	defer rows.Close()
	out := map[int64]*KeyDecision{}
	for rows.Next() {
		k := &KeyDecision{}
		var key string
		if err := rows.Scan(&k.ItemID, &k.Action, &key, &k.Note, &k.DecidedAt, &k.Regraded, &k.Done); err != nil {
			return nil, errs.Wrap("assess: key decisions", err)
		}
		k.DecidedAt = k.DecidedAt.UTC()
		if key != "" {
			k.Key = new(Key)
			if err := json.Unmarshal([]byte(key), k.Key); err != nil {
				return nil, errs.Wrap("assess: key decisions", err)
			}
		}
		out[k.ItemID] = k
	}
	return out, errs.Wrap("assess: key decisions", rows.Err())
}

// DecideChallenge decides a question's key for the exam: reject, accept
// with a corrected key, or drop the question. Accepting or dropping needs
// every attempt graded; it marks the exam's results stale (hiding them
// from candidates until computed and published again) and leaves the
// affected attempts to Regrade. A question is decided once.
// Administrators; audited.
func (d *Delivery) DecideChallenge(ctx context.Context, p *identity.Principal, code string, examID, itemID int64, in DecisionInput) (*KeyDecision, error) {
	const op = "assess: decide challenge"
	a, le, err := d.markingExam(ctx, p, code, examID, examAdminRoles)
	if err != nil {
		return nil, err
	}
	it := le.v.Items[itemID]
	if it == nil {
		return nil, errs.E(errs.NotFound, op, "question %d is not in this exam", itemID)
	}
	in.Note = strings.TrimSpace(in.Note)
	v := errs.Validation{Op: op}
	if !utf8.ValidString(in.Note) || utf8.RuneCountInString(in.Note) > MaxChallengeReason {
		v.Add("note", "must be at most %d characters", MaxChallengeReason)
	}
	key := ""
	switch in.Action {
	case DecisionReject:
		if in.Key != nil {
			v.Add("key", "is only for accept")
		}
	case DecisionAccept, DecisionDrop:
		if it.Type == Essay {
			v.Add("action", "an essay is marked by markers, not by a key")
			break
		}
		if in.Action == DecisionDrop {
			if in.Key != nil {
				v.Add("key", "is only for accept")
			}
			break
		}
		if in.Key == nil {
			v.Add("key", "is required to accept: give the corrected key")
			break
		}
		c := *it
		c.Key = *in.Key
		if _, err := Compile(&c); err != nil {
			if e := errs.As(err); e != nil && len(e.Fields) > 0 {
				for f, m := range e.Fields {
					if strings.HasPrefix(f, "key") {
						v.Add(f, "%s", m)
					}
				}
			}
			if v.Err() == nil {
				v.Add("key", "is not a valid key for question %d", itemID)
			}
			break
		}
		b, err := json.Marshal(in.Key)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		key = string(b)
	default:
		v.Add("action", "must be reject, accept or drop")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := d.now()
	err = d.db.InTx(ctx, func(tx *database.Tx) error {
		if in.Action != DecisionReject {
			var ungraded int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM attempts WHERE exam_id = $1 AND graded_at IS NULL`, examID).Scan(&ungraded); err != nil {
				return errs.Wrap(op, err)
			}
			if ungraded > 0 {
				return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeNotGraded, Message: fmt.Sprintf("%d attempts are not submitted and graded yet; decide after grading", ungraded)}
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO key_decisions (exam_id, item_id, action, new_key, note, decided_by, decided_at, done) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			examID, itemID, in.Action, key, in.Note, p.User.ID, now, in.Action == DecisionReject)
		if database.IsUniqueViolation(err) {
			return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeDecided, Message: fmt.Sprintf("the key of question %d has been decided already", itemID)}
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		if in.Action != DecisionReject {
			// Results computed before are wrong now: compute and publish
			// them again once regrading is done.
			if _, err := tx.Exec(ctx, `UPDATE exams SET results_state = 'stale', results_published_at = NULL WHERE id = $1 AND results_state <> ''`, examID); err != nil {
				return errs.Wrap(op, err)
			}
		}
		details := map[string]any{"action": in.Action}
		if key != "" {
			details["key"] = json.RawMessage(key)
		}
		if in.Note != "" {
			details["note"] = in.Note
		}
		return d.bank.id.Record(ctx, tx, p, a.ID, "exam.challenge."+in.Action, fmt.Sprintf("exam %d item %d", examID, itemID), details)
	})
	if err != nil {
		return nil, err
	}
	return &KeyDecision{ItemID: itemID, Action: in.Action, Key: in.Key, Note: in.Note, DecidedAt: now.UTC(), Done: in.Action == DecisionReject}, nil
}

// Regrade applies accepted and dropped keys to the attempts they affect,
// up to limit attempts, in batches of RegradeBatch (each one transaction
// that also records how far it got), and returns how many attempts it
// looked at. Run by a job until it returns 0: it resumes where it
// stopped, and re-running it changes nothing, since each item is scored
// afresh from the answer and the corrected key.
func (d *Delivery) Regrade(ctx context.Context, limit int) (int, error) {
	done := 0
	for done < limit {
		var exam, item int64
		err := d.db.QueryRow(ctx, `SELECT exam_id, item_id FROM key_decisions WHERE done = FALSE ORDER BY decided_at, exam_id, item_id LIMIT 1`).Scan(&exam, &item)
		if errors.Is(err, database.ErrNoRows) {
			return done, nil
		}
		if err != nil {
			return done, errs.Wrap("assess: regrade", err)
		}
		n, err := d.regradeBatch(ctx, exam, item, min(RegradeBatch, limit-done))
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// RegradeExam runs Regrade's work for one exam's decisions, up to limit
// attempts, and returns the decisions. Administrators (for exams small
// enough not to wait for the job).
func (d *Delivery) RegradeExam(ctx context.Context, p *identity.Principal, code string, examID int64, limit int) ([]KeyDecision, error) {
	if _, _, err := d.markingExam(ctx, p, code, examID, examAdminRoles); err != nil {
		return nil, err
	}
	done := 0
	for done < limit {
		var item int64
		err := d.db.QueryRow(ctx, `SELECT item_id FROM key_decisions WHERE exam_id = $1 AND done = FALSE ORDER BY decided_at, item_id LIMIT 1`, examID).Scan(&item)
		if errors.Is(err, database.ErrNoRows) {
			break
		}
		if err != nil {
			return nil, errs.Wrap("assess: regrade", err)
		}
		n, err := d.regradeBatch(ctx, examID, item, min(RegradeBatch, limit-done))
		if err != nil {
			return nil, err
		}
		done += n
	}
	m, err := d.decisions(ctx, d.db, examID)
	if err != nil {
		return nil, err
	}
	out := make([]KeyDecision, 0, len(m))
	for _, k := range m {
		out = append(out, *k)
	}
	slices.SortFunc(out, func(a, b KeyDecision) int { return int(a.ItemID - b.ItemID) })
	return out, nil
}

// regradeBatch regrades the next n attempts of the exam for one decision
// and returns how many it looked at (0 when it found the decision done).
func (d *Delivery) regradeBatch(ctx context.Context, examID, itemID int64, n int) (int, error) {
	const op = "assess: regrade"
	le, err := d.live(ctx, examID)
	if err != nil {
		return 0, err
	}
	it := le.v.Items[itemID]
	if it == nil {
		return 0, errs.Wrap(op, fmt.Errorf("exam %d: item %d is not in the version", examID, itemID))
	}
	sec, ok := sectionIndex(le.v)[itemID]
	if !ok {
		return 0, errs.Wrap(op, fmt.Errorf("exam %d: item %d is in no section", examID, itemID))
	}
	looked := 0
	err = d.db.InTx(ctx, func(tx *database.Tx) error {
		lock := ""
		if tx.Dialect() == database.Postgres {
			lock = ` FOR UPDATE`
		}
		var action, key string
		var through int64
		var done bool
		err := tx.QueryRow(ctx, `SELECT action, new_key, regraded_through, done FROM key_decisions WHERE exam_id = $1 AND item_id = $2`+lock, examID, itemID).Scan(&action, &key, &through, &done)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if done {
			return nil
		}
		var sc *Scorer
		if action == DecisionAccept {
			c := *withMarking(it, le.v.Test.Sections[sec].Marking)
			// A fresh key: decoding into the copy's would write into the
			// frozen version's slices.
			c.Key = Key{}
			if err := json.Unmarshal([]byte(key), &c.Key); err != nil {
				return errs.Wrap(op, err)
			}
			if sc, err = Compile(&c); err != nil {
				return errs.Wrap(op, err)
			}
		}
		rows, err := tx.Query(ctx, `SELECT id, result FROM attempts WHERE exam_id = $1 AND id > $2 AND result IS NOT NULL ORDER BY id LIMIT $3`+lock, examID, through, n)
		if err != nil {
			return errs.Wrap(op, err)
		}
		type row struct {
			id   int64
			text string
		}
		var list []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.text); err != nil {
				rows.Close()
				return errs.Wrap(op, err)
			}
			list = append(list, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(op, err)
		}
		if len(list) == 0 {
			_, err := tx.Exec(ctx, `UPDATE key_decisions SET done = TRUE WHERE exam_id = $1 AND item_id = $2`, examID, itemID)
			return errs.Wrap(op, err)
		}
		looked = len(list)
		answers := map[int64]*Response{}
		if sc != nil {
			resp, err := tx.Query(ctx, `SELECT attempt_id, response FROM responses WHERE item_id = $1 AND attempt_id >= $2 AND attempt_id <= $3`, itemID, list[0].id, list[len(list)-1].id)
			if err != nil {
				return errs.Wrap(op, err)
			}
			for resp.Next() {
				var aid int64
				var text string
				if err := resp.Scan(&aid, &text); err != nil {
					resp.Close()
					return errs.Wrap(op, err)
				}
				if text == "null" {
					continue
				}
				r := new(Response)
				if err := decodeResponse([]byte(text), r); err != nil {
					resp.Close()
					return errs.Wrap(op, fmt.Errorf("attempt %d item %d: %w", aid, itemID, err))
				}
				answers[aid] = r
			}
			resp.Close()
			if err := resp.Err(); err != nil {
				return errs.Wrap(op, err)
			}
		}
		changed := 0
		for _, r := range list {
			var res AttemptResult
			if err := json.Unmarshal([]byte(r.text), &res); err != nil {
				return errs.Wrap(op, fmt.Errorf("attempt %d: %w", r.id, err))
			}
			i := slices.IndexFunc(res.Items, func(is ItemScore) bool { return is.ItemID == itemID })
			if i < 0 || res.Items[i].Ignored || sec >= len(res.Sections) {
				continue // not on this paper, or beyond "attempt any n"
			}
			old := res.Items[i]
			is := old
			if sc != nil {
				s := sc.Score(answers[r.id])
				is.Score, is.Answered, is.Correct, is.Manual = s.Score, s.Answered, s.Correct, s.Manual
			} else {
				is.Score, is.Correct = old.Max, true
			}
			if is == old {
				continue
			}
			rescore(&res, i, sec, is)
			b, err := json.Marshal(&res)
			if err != nil {
				return errs.Wrap(op, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE attempts SET score = $1, result = $2 WHERE id = $3`, res.Score, string(b), r.id); err != nil {
				return errs.Wrap(op, err)
			}
			changed++
		}
		_, err = tx.Exec(ctx, `UPDATE key_decisions SET regraded_through = $1, regraded = regraded + $2 WHERE exam_id = $3 AND item_id = $4`, list[len(list)-1].id, changed, examID, itemID)
		return errs.Wrap(op, err)
	})
	return looked, err
}
