package assess_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// clock is a settable time for delivery tests.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.t.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.t.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }

// examDay is a scheduled exam with candidates holding codes, and a
// delivery on a test clock.
type examDay struct {
	*world
	exam  *assess.ExamInfo
	v     *assess.TestVersion
	codes map[string]string // roll number → access code
	start time.Time         // the AM shift opens
	clock *clock
	d     *assess.Delivery
}

func newExamDay(t testing.TB, db *database.DB) *examDay {
	t.Helper()
	ctx := context.Background()
	w := newWorld(t, db)
	admin := w.approverAsAdmin(t)
	x := &examDay{world: w, v: w.publishedExam(t), codes: map[string]string{}, clock: &clock{}}
	var err error
	x.exam, err = w.bank.CreateExam(ctx, admin, "HKCL", x.v.TestID, 0, "December final")
	if err != nil {
		t.Fatal(err)
	}
	x.start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	// One hour paper, 15 minutes' late entry, shift ends 09:75.
	if _, err := w.bank.AddShift(ctx, admin, "HKCL", x.exam.ID, assess.Shift{Code: "AM", StartsAt: x.start, LateEntry: 900, EndsAt: x.start.Add(75 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	list := []assess.Candidate{{RollNo: "R1", Name: "अनन्या", Shift: "AM"}, {RollNo: "R2", Name: "Ravi", Shift: "AM", ExtraTime: 1200}, {RollNo: "R3", Name: "No shift"}}
	for i := 4; i <= 60; i++ {
		list = append(list, assess.Candidate{RollNo: fmt.Sprintf("R%d", i), Name: "Candidate", Shift: "AM"})
	}
	if _, err := w.bank.RegisterCandidates(ctx, admin, "HKCL", x.exam.ID, list); err != nil {
		t.Fatal(err)
	}
	codes, err := w.bank.IssueCodes(ctx, admin, "HKCL", x.exam.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		x.codes[c.RollNo] = c.Code
	}
	x.clock.set(x.start.Add(-10 * time.Minute))
	x.d, err = assess.NewDelivery(w.bank, slog.New(slog.NewTextHandler(io.Discard, nil)), assess.DeliveryOptions{
		Key: []byte("0123456789abcdef0123456789abcdef"), Now: x.clock.now, Grace: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.d.Close)
	return x
}

func (x *examDay) signIn(t testing.TB, roll string) *assess.ExamSession {
	t.Helper()
	s, err := x.d.SignIn(context.Background(), roll, x.codes[roll])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if e := errs.As(err); e == nil || e.Code != code {
		t.Fatalf("error = %v, want problem %s", err, code)
	}
}

func choose(id int64, seq int64, choice string) assess.Answer {
	return assess.Answer{ItemID: id, Seq: seq, Response: &assess.Response{Choices: []string{choice}}}
}

func TestExamDay(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := identity.WithOrigin(context.Background(), identity.Origin{IP: "203.0.113.7"})
		x := newExamDay(t, db)
		q1, q2 := x.v.Test.Sections[0].Questions[0].ItemID, x.v.Test.Sections[0].Questions[1].ItemID

		t.Run("wrong codes are refused and then locked out", func(t *testing.T) {
			_, err := x.d.SignIn(ctx, "R1", x.codes["R2"])
			wantKind(t, err, errs.Unauthorized)
			_, err = x.d.SignIn(ctx, "R1", "not a code")
			wantKind(t, err, errs.Unauthorized)
			for range 8 {
				_, err = x.d.SignIn(ctx, "R1", "AAAA-AAAA-AAAA-AAAA")
				wantKind(t, err, errs.Unauthorized)
			}
			_, err = x.d.SignIn(ctx, "R1", x.codes["R1"])
			wantKind(t, err, errs.TooMany)
			if n := x.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'signin.locked' AND target = 'roll:R1'`); n != 1 {
				t.Fatalf("%d lock audit entries", n)
			}
			x.clock.add(time.Minute)
			if _, err := db.Exec(context.Background(), `DELETE FROM login_failures`); err != nil {
				t.Fatal(err)
			}
		})

		s := x.signIn(t, "R1")
		if s.Status != "not_started" || s.Name != "अनन्या" || s.ExamTitle != "December final" || !s.EntryUntil.Equal(x.start.Add(15*time.Minute)) {
			t.Fatalf("session %+v", s)
		}
		t.Run("typed codes are forgiving", func(t *testing.T) {
			typed := strings.ToLower(strings.ReplaceAll(x.codes["R4"], "-", " "))
			if _, err := x.d.SignIn(ctx, "r4", typed); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("no paper before the start", func(t *testing.T) {
			_, err := x.d.Paper(ctx, s.Ticket)
			wantCode(t, err, assess.CodeNotStarted)
			_, err = x.d.Start(ctx, s.Ticket)
			wantCode(t, err, assess.CodeTooEarly)
		})
		t.Run("no shift, no start", func(t *testing.T) {
			_, err := x.d.Start(ctx, x.signIn(t, "R3").Ticket)
			wantCode(t, err, assess.CodeNoShift)
		})
		t.Run("a forged ticket is refused", func(t *testing.T) {
			b := []byte(s.Ticket)
			b[3] ^= 1
			_, err := x.d.Start(ctx, string(b))
			wantKind(t, err, errs.Unauthorized)
		})

		x.clock.set(x.start.Add(5 * time.Minute))
		st, err := x.d.Start(ctx, s.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		if want := x.start.Add(65 * time.Minute); !st.Deadline.Equal(want) || st.Device != 1 || st.Resumed {
			t.Fatalf("started %+v, want deadline %v", st, want)
		}
		t.Run("extra time is added", func(t *testing.T) {
			x.clock.set(x.start.Add(14 * time.Minute))
			st2, err := x.d.Start(ctx, x.signIn(t, "R2").Ticket)
			if err != nil {
				t.Fatal(err)
			}
			// 09:14 + 60 + 20 min = 10:34, within the shift's end (10:15) plus the extra 20 minutes.
			if want := x.start.Add(94 * time.Minute); !st2.Deadline.Equal(want) {
				t.Fatalf("deadline %v, want %v", st2.Deadline, want)
			}
			x.clock.set(x.start.Add(15*time.Minute + time.Second))
			_, err = x.d.Start(ctx, x.signIn(t, "R5").Ticket)
			wantCode(t, err, assess.CodeTooLate)
			x.clock.set(x.start.Add(10 * time.Minute))
		})

		t.Run("the paper has no keys", func(t *testing.T) {
			p, err := x.d.Paper(ctx, st.Ticket)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Slots) != 2 || len(p.Items) != 2 || p.Title != "December final" || p.Feedback != "" {
				t.Fatalf("paper %+v", p)
			}
			b, _ := json.Marshal(p)
			for _, secret := range []string{`"key"`, "Count on your fingers", `"scoring"`, `"explanation"`} {
				if strings.Contains(string(b), secret) {
					t.Fatalf("paper gives away %s: %s", secret, b)
				}
			}
			if !strings.Contains(string(b), "हिंदी") {
				t.Fatalf("paper lacks the Hindi text: %s", b)
			}
		})

		t.Run("the highest sequence number wins", func(t *testing.T) {
			r, err := x.d.Save(ctx, st.Ticket, []assess.Answer{choose(q1, 2, "B"), choose(q2, 1, "A")})
			if err != nil || r.Saved != 2 || !r.Deadline.Equal(st.Deadline) {
				t.Fatalf("%+v, %v", r, err)
			}
			r, err = x.d.Save(ctx, st.Ticket, []assess.Answer{choose(q1, 1, "A")}) // a late retry of an older save
			if err != nil || r.Saved != 0 || r.Stale != 1 {
				t.Fatalf("%+v, %v", r, err)
			}
			state, err := x.d.State(ctx, st.Ticket)
			if err != nil || len(state.Answers) != 2 || state.Answers[0].Response.Choices[0] != "B" && state.Answers[1].Response.Choices[0] != "B" {
				t.Fatalf("state %+v, %v", state, err)
			}
		})
		t.Run("bad answers change nothing", func(t *testing.T) {
			for _, a := range [][]assess.Answer{
				{choose(q1, 5, "Z")},
				{{ItemID: q1, Seq: 5, Response: &assess.Response{Choices: []string{"A", "B"}}}},
				{{ItemID: q1, Seq: 5, Response: &assess.Response{Text: "B"}}},
				{choose(999999, 5, "A")},
				{choose(q1, 0, "A")},
				{choose(q2, 9, "B"), choose(q1, 9, "nope")},
				nil,
			} {
				_, err := x.d.Save(ctx, st.Ticket, a)
				wantKind(t, err, errs.Invalid)
			}
			if n := x.count(t, `SELECT COUNT(*) FROM responses WHERE seq > 2`); n != 0 {
				t.Fatalf("%d bad answers stored", n)
			}
		})

		t.Run("a second device takes over", func(t *testing.T) {
			other, err := x.d.Start(ctx, x.signIn(t, "R1").Ticket)
			if err != nil || !other.Resumed || other.Device != 2 || !other.Deadline.Equal(st.Deadline) {
				t.Fatalf("%+v, %v", other, err)
			}
			_, err = x.d.Save(ctx, st.Ticket, []assess.Answer{choose(q1, 3, "A")})
			wantCode(t, err, assess.CodeTakenOver)
			_, err = x.d.State(ctx, st.Ticket)
			wantCode(t, err, assess.CodeTakenOver)
			if _, err := x.d.Save(ctx, other.Ticket, []assess.Answer{choose(q1, 3, "A")}); err != nil {
				t.Fatal(err)
			}
			st = other
		})

		t.Run("saves from many devices at once are all kept", func(t *testing.T) {
			var tickets []string
			for i := 10; i < 60; i++ {
				sess := x.signIn(t, fmt.Sprintf("R%d", i))
				started, err := x.d.Start(ctx, sess.Ticket)
				if err != nil {
					t.Fatal(err)
				}
				tickets = append(tickets, started.Ticket)
			}
			var wg sync.WaitGroup
			var acked atomic.Int64
			for _, tk := range tickets {
				for seq := int64(1); seq <= 10; seq++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						choice := []string{"A", "B"}[seq%2]
						if r, err := x.d.Save(ctx, tk, []assess.Answer{choose(q1, seq, choice), choose(q2, seq, choice)}); err != nil {
							t.Error(err)
						} else {
							acked.Add(int64(r.Saved + r.Stale))
						}
					}()
				}
			}
			wg.Wait()
			if acked.Load() != 50*10*2 {
				t.Fatalf("%d answers acknowledged", acked.Load())
			}
			// Whatever order they arrived in, seq 10 (choice A) is what stays.
			if n := x.count(t, `SELECT COUNT(*) FROM responses r JOIN attempts a ON a.id = r.attempt_id JOIN candidates c ON c.id = a.candidate_id
				WHERE c.roll_no <> 'R1' AND c.roll_no <> 'R2' AND r.seq = 10 AND r.response LIKE '%"A"%'`); n != 100 {
				t.Fatalf("%d answers at seq 10", n)
			}
		})

		t.Run("a proctor extends one candidate's time, with a reason", func(t *testing.T) {
			admin := x.approverAsAdmin(t)
			_, err := x.bank.ExtendTime(ctx, admin, "HKCL", x.exam.ID, "R1", 5, "")
			wantKind(t, err, errs.Invalid)
			_, err = x.bank.ExtendTime(ctx, x.author, "HKCL", x.exam.ID, "R1", 5, "power cut in lab 3")
			wantKind(t, err, errs.Forbidden)
			ext, err := x.bank.ExtendTime(ctx, admin, "HKCL", x.exam.ID, "R1", 5, "power cut in lab 3")
			if err != nil || ext.Deadline == nil || !ext.Deadline.Equal(st.Deadline.Add(5*time.Minute)) {
				t.Fatalf("%+v, %v", ext, err)
			}
			ext, err = x.bank.ExtendTime(ctx, admin, "HKCL", x.exam.ID, "R1", 2, "second cut, same lab")
			if err != nil || !ext.Deadline.Equal(st.Deadline.Add(7*time.Minute)) || ext.ExtraTime != 420 {
				t.Fatalf("%+v, %v", ext, err)
			}
			state, err := x.d.State(ctx, st.Ticket)
			if err != nil || !state.Deadline.Equal(st.Deadline.Add(7*time.Minute)) {
				t.Fatalf("state %+v, %v", state, err)
			}
			if n := x.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'exam.time.extend' AND details LIKE '%power cut in lab 3%'`); n != 1 {
				t.Fatalf("%d audit entries", n)
			}
			// Back to the original deadline for the tests that follow.
			if _, err := db.Exec(context.Background(), `UPDATE attempts SET deadline = $1 WHERE id IN (SELECT a.id FROM attempts a JOIN candidates c ON c.id = a.candidate_id WHERE c.roll_no = 'R1')`, st.Deadline); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("after the deadline saves are refused and the attempt is auto-submitted", func(t *testing.T) {
			x.clock.set(st.Deadline.Add(time.Second))
			_, err := x.d.Save(ctx, st.Ticket, []assess.Answer{choose(q2, 50, "B")})
			wantCode(t, err, assess.CodeDeadlinePassed)
			if n, err := x.d.AutoSubmit(ctx); err != nil || n != 0 {
				t.Fatalf("auto-submitted %d within the grace period, %v", n, err)
			}
			x.clock.add(10 * time.Second)
			n, err := x.d.AutoSubmit(ctx)
			if err != nil || n != 1 { // R1 started first
				t.Fatalf("auto-submitted %d, %v", n, err)
			}
			x.clock.set(x.start.Add(70*time.Minute + 11*time.Second))
			n, err = x.d.AutoSubmit(ctx)
			if err != nil || n != 50 { // the 50 who started at 09:10; R2 has extra time
				t.Fatalf("auto-submitted %d, %v", n, err)
			}
			state, err := x.d.State(ctx, st.Ticket)
			if err != nil || state.Submitted == nil || !state.Submitted.Equal(st.Deadline) || len(state.Answers) != 2 {
				t.Fatalf("state %+v, %v", state, err)
			}
			_, err = x.d.Start(ctx, x.signIn(t, "R1").Ticket)
			wantCode(t, err, assess.CodeSubmitted)
			if n := x.count(t, `SELECT COUNT(*) FROM attempts WHERE submitted_by = 'deadline'`); n != 51 {
				t.Fatalf("%d attempts submitted by the deadline", n)
			}
		})

		t.Run("a candidate submits", func(t *testing.T) {
			sess := x.signIn(t, "R2")
			started, err := x.d.Start(ctx, sess.Ticket)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := x.d.Save(ctx, started.Ticket, []assess.Answer{choose(q1, 1, "B")}); err != nil {
				t.Fatal(err)
			}
			state, err := x.d.Submit(ctx, started.Ticket)
			if err != nil || state.Submitted == nil || len(state.Answers) != 1 {
				t.Fatalf("%+v, %v", state, err)
			}
			_, err = x.d.Save(ctx, started.Ticket, []assess.Answer{choose(q1, 2, "A")})
			wantCode(t, err, assess.CodeSubmitted)
			again, err := x.d.Submit(ctx, started.Ticket)
			if err != nil || !again.Submitted.Equal(*state.Submitted) {
				t.Fatalf("submitting twice: %+v, %v", again, err)
			}
		})

		t.Run("submitted attempts are graded once", func(t *testing.T) {
			n, err := x.d.GradeSubmitted(ctx, 10_000)
			if err != nil || n != 52 { // R1, R2 and the 50
				t.Fatalf("graded %d, %v", n, err)
			}
			if n, err := x.d.GradeSubmitted(ctx, 10_000); err != nil || n != 0 {
				t.Fatalf("graded %d again, %v", n, err)
			}
			score := func(roll string) float64 {
				var s float64
				if err := db.QueryRow(context.Background(), `SELECT a.score FROM attempts a JOIN candidates c ON c.id = a.candidate_id WHERE c.roll_no = $1`, roll).Scan(&s); err != nil {
					t.Fatal(err)
				}
				return s
			}
			// +4/−1 per question: R1 ended with A on both (−1, −1); R2
			// answered only the first, rightly; the 50 chose A on both.
			if got := []float64{score("R1"), score("R2"), score("R10")}; got[0] != -2 || got[1] != 4 || got[2] != -2 {
				t.Fatalf("scores %v, want [-2 4 -2]", got)
			}
			var result string
			if err := db.QueryRow(context.Background(), `SELECT a.result FROM attempts a JOIN candidates c ON c.id = a.candidate_id WHERE c.roll_no = 'R2'`).Scan(&result); err != nil {
				t.Fatal(err)
			}
			var r assess.AttemptResult
			if err := json.Unmarshal([]byte(result), &r); err != nil {
				t.Fatal(err)
			}
			if r.Max != 8 || len(r.Items) != 2 || r.Sections[0].Correct != 1 || r.Sections[0].Answered != 1 || r.Sections[0].Wrong != 0 {
				t.Fatalf("result %+v", r)
			}
		})

		t.Run("results are ranked, then published to candidates", func(t *testing.T) {
			admin := x.approverAsAdmin(t)
			sess := x.signIn(t, "R2")
			started, err := x.d.Start(ctx, sess.Ticket)
			wantCode(t, err, assess.CodeSubmitted)
			_ = started
			// R2's ticket from sign-in carries the attempt: results need no start.
			_, err = x.d.Result(ctx, sess.Ticket)
			wantCode(t, err, assess.CodeNotPublished)
			err = x.bank.PublishResults(ctx, admin, "HKCL", x.exam.ID, true)
			wantKind(t, err, errs.Conflict) // nothing computed yet
			_, err = x.bank.ComputeResults(ctx, x.grader, "HKCL", x.exam.ID)
			wantKind(t, err, errs.Forbidden)

			queued, err := x.bank.ComputeResults(ctx, admin, "HKCL", x.exam.ID)
			if err != nil || queued.State != assess.ResultsQueued {
				t.Fatalf("%+v, %v", queued, err)
			}
			// Asking again while queued changes nothing.
			if again, err := x.bank.ComputeResults(ctx, admin, "HKCL", x.exam.ID); err != nil || again.State != assess.ResultsQueued {
				t.Fatalf("%+v, %v", again, err)
			}
			_, err = x.bank.Results(ctx, x.grader, "HKCL", x.exam.ID, 0, 3)
			if err != nil {
				t.Fatal(err)
			}
			err = x.bank.PublishResults(ctx, admin, "HKCL", x.exam.ID, true)
			wantKind(t, err, errs.Conflict) // queued, not computed
			if n, err := x.bank.RunQueuedResults(ctx); err != nil || n != 1 {
				t.Fatalf("ran %d, %v", n, err)
			}
			st, err := x.bank.ResultsStatus(ctx, x.grader, "HKCL", x.exam.ID)
			if err != nil || st.State != assess.ResultsReady || st.Progress != 52 || st.Total != 52 || st.ComputedAt == nil || st.Summary == nil {
				t.Fatalf("%+v, %v", st, err)
			}
			if sum := st.Summary; sum.Attempts != 52 || len(sum.Shifts) != 1 || sum.Test.Max != 4 {
				t.Fatalf("summary %+v", sum)
			}
			_, err = x.bank.ResultsStatus(ctx, x.otherAdmin, "HKCL", x.exam.ID)
			wantKind(t, err, errs.NotFound)
			list, err := x.bank.Results(ctx, x.grader, "HKCL", x.exam.ID, 0, 3)
			if err != nil || len(list) != 3 {
				t.Fatalf("%+v, %v", list, err)
			}
			// R2 alone scored 4: rank 1, percentile 100; the 51 others
			// scored −2: rank 2, percentile 100 × 51/52.
			if list[0].RollNo != "R2" || list[0].Rank != 1 || list[0].Percentile != "100.0000000" || list[1].Rank != 2 || list[1].Percentile != "98.0769231" {
				t.Fatalf("merit list %+v", list)
			}
			_, err = x.d.Result(ctx, sess.Ticket)
			wantCode(t, err, assess.CodeNotPublished)
			if err := x.bank.PublishResults(ctx, admin, "HKCL", x.exam.ID, true); err != nil {
				t.Fatal(err)
			}
			res, err := x.d.Result(ctx, sess.Ticket)
			if err != nil || res.Score != 4 || res.Percentile != "100.0000000" || res.OverallRank != 1 || len(res.Sheet) != 2 {
				t.Fatalf("%+v, %v", res, err)
			}
			for _, e := range res.Sheet {
				if len(e.Key.Choices) != 1 || e.Key.Choices[0] != "B" || e.Solution["en"] == "" {
					t.Fatalf("sheet entry %+v lacks the key or solution", e)
				}
			}
			an, err := x.bank.Analysis(ctx, x.grader, "HKCL", x.exam.ID)
			if err != nil || len(an.Items) != 2 || an.Test.N != 52 {
				t.Fatalf("analysis %+v, %v", an, err)
			}
			if err := x.bank.PublishResults(ctx, admin, "HKCL", x.exam.ID, false); err != nil {
				t.Fatal(err)
			}
			_, err = x.d.Result(ctx, sess.Ticket)
			wantCode(t, err, assess.CodeNotPublished)
			_, err = x.bank.Results(ctx, x.otherAdmin, "NIOS", x.exam.ID, 0, 0)
			wantKind(t, err, errs.NotFound)
		})
	})
}

// computeResults queues an exam's results and runs the job that computes
// them, as the worker would.
func computeResults(ctx context.Context, t *testing.T, bank *assess.Service, p *identity.Principal, code string, examID int64) {
	t.Helper()
	if _, err := bank.ComputeResults(ctx, p, code, examID); err != nil {
		t.Fatal(err)
	}
	if _, err := bank.RunQueuedResults(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := bank.ResultsStatus(ctx, p, code, examID)
	if err != nil || st.State != assess.ResultsReady {
		t.Fatalf("results %+v, %v", st, err)
	}
}
