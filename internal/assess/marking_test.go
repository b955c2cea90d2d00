package assess_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// markingExam is an exam of two choice questions (+4/−1) and an essay
// (10 marks) in section A and a pool drawing one of two questions in
// section B, sat by candidates R1…Rn on a test clock.
type markingExam struct {
	*world
	admin      *identity.Principal
	exam       *assess.ExamInfo
	q1, q2, es int64
	pool       [2]int64
	codes      map[string]string
	tickets    map[string]string
	start      time.Time
	clock      *clock
	d          *assess.Delivery
}

func newMarkingExam(t testing.TB, db *database.DB, candidates int) *markingExam {
	t.Helper()
	ctx := context.Background()
	w := newWorld(t, db)
	x := &markingExam{world: w, admin: w.approverAsAdmin(t), codes: map[string]string{}, tickets: map[string]string{}, clock: &clock{}}
	x.q1 = w.published(t, sample("What is 2 + 2?")).ID
	x.q2 = w.published(t, sample("What is 3 + 1?")).ID
	x.es = w.published(t, &assess.Item{Type: assess.Essay,
		Text:    map[string]assess.Text{"en": {Stem: "Explain **carrying** in addition.", Explanation: "Award 2 marks per step; <script>alert(1)</script>"}},
		Scoring: assess.Scoring{Marks: 10}, Tags: assess.Tags{Topic: "maths/essays"}}).ID
	for i := range x.pool {
		it := sample(fmt.Sprintf("Pool question %d", i))
		it.Tags.Topic = "pool/p"
		x.pool[i] = w.published(t, it).ID
	}
	def := &assess.Test{Kind: assess.Exam, Title: "Arithmetic", Languages: []string{"en"}, Duration: 3600,
		Sections: []assess.Section{
			{ID: "A", Title: map[string]string{"en": "Part A"}, Questions: []assess.Question{{ItemID: x.q1}, {ItemID: x.q2}, {ItemID: x.es}}},
			{ID: "B", Title: map[string]string{"en": "Part B"}, Pools: []assess.Pool{{Count: 1, Topic: "pool"}}},
		}}
	tst, err := w.bank.CreateTest(ctx, w.author, "HKCL", def)
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.bank.PublishTest(ctx, w.approver, "HKCL", tst.ID, tst.Revision)
	if err != nil {
		t.Fatal(err)
	}
	if x.exam, err = w.bank.CreateExam(ctx, x.admin, "HKCL", v.TestID, 0, "Marking exam"); err != nil {
		t.Fatal(err)
	}
	x.start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if _, err := w.bank.AddShift(ctx, x.admin, "HKCL", x.exam.ID, assess.Shift{Code: "AM", StartsAt: x.start, LateEntry: 900, EndsAt: x.start.Add(75 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var list []assess.Candidate
	for i := 1; i <= candidates; i++ {
		list = append(list, assess.Candidate{RollNo: fmt.Sprintf("R%d", i), Name: fmt.Sprintf("Candidate %d", i), Shift: "AM"})
	}
	if _, err := w.bank.RegisterCandidates(ctx, x.admin, "HKCL", x.exam.ID, list); err != nil {
		t.Fatal(err)
	}
	codes, err := w.bank.IssueCodes(ctx, x.admin, "HKCL", x.exam.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		x.codes[c.RollNo] = c.Code
	}
	x.clock.set(x.start.Add(time.Minute))
	x.d, err = assess.NewDelivery(w.bank, slog.New(slog.NewTextHandler(io.Discard, nil)), assess.DeliveryOptions{
		Key: []byte("0123456789abcdef0123456789abcdef"), Now: x.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.d.Close)
	return x
}

// sit signs the candidate in, starts, saves the answers and submits.
func (x *markingExam) sit(t testing.TB, roll string, answers ...assess.Answer) {
	t.Helper()
	ctx := context.Background()
	s, err := x.d.SignIn(ctx, roll, x.codes[roll])
	if err != nil {
		t.Fatal(err)
	}
	st, err := x.d.Start(ctx, s.Ticket)
	if err != nil {
		t.Fatal(err)
	}
	if len(answers) > 0 {
		if _, err := x.d.Save(ctx, st.Ticket, answers); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := x.d.Submit(ctx, st.Ticket); err != nil {
		t.Fatal(err)
	}
	x.tickets[roll] = st.Ticket
}

func (x *markingExam) grade(t testing.TB) {
	t.Helper()
	if _, err := x.d.GradeSubmitted(context.Background(), 100_000); err != nil {
		t.Fatal(err)
	}
}

// result is the candidate's stored result.
func (x *markingExam) result(t testing.TB, roll string) (assess.AttemptResult, float64, int) {
	t.Helper()
	var text string
	var score float64
	var pending int
	err := x.db.QueryRow(context.Background(), `SELECT a.result, a.score, a.pending FROM attempts a JOIN candidates c ON c.id = a.candidate_id WHERE c.exam_id = $1 AND c.roll_no = $2`, x.exam.ID, roll).Scan(&text, &score, &pending)
	if err != nil {
		t.Fatal(err)
	}
	var r assess.AttemptResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	return r, score, pending
}

func (x *markingExam) itemScore(t testing.TB, roll string, item int64) assess.ItemScore {
	t.Helper()
	r, _, _ := x.result(t, roll)
	for _, is := range r.Items {
		if is.ItemID == item {
			return is
		}
	}
	t.Fatalf("%s's paper has no item %d", roll, item)
	return assess.ItemScore{}
}

// person makes a member of HKCL with one role.
func (x *markingExam) person(t testing.TB, email string, role identity.Role) *identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := x.ids.EnsureUser(ctx, "test", identity.NewUser{Email: email, Name: email, Roles: []identity.Role{role}}, false, "HKCL")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := x.ids.StartSessionFor(ctx, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := x.ids.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func essay(id int64, text string) assess.Answer {
	return assess.Answer{ItemID: id, Seq: 1, Response: &assess.Response{Text: text}}
}

func TestDoubleMarking(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		x := newMarkingExam(t, db, 4)
		// R1: q1 right (+4), essay. R2: q1 wrong (−1), essay. R3: essay
		// only. R4: no essay, nothing to mark.
		x.sit(t, "R1", choose(x.q1, 1, "B"), essay(x.es, "R1 writes about carrying"))
		x.sit(t, "R2", choose(x.q1, 1, "A"), essay(x.es, "R2 writes about carrying"))
		x.sit(t, "R3", essay(x.es, "R3 writes about carrying"))
		x.sit(t, "R4", choose(x.q1, 1, "B"))
		x.grade(t)
		if _, score, pending := x.result(t, "R1"); score != 4 || pending != 1 {
			t.Fatalf("R1 before marking: score %v pending %d", score, pending)
		}
		g1, g2, g3 := x.grader, x.person(t, "g2@hkcl.test", identity.RoleGrader), x.person(t, "g3@hkcl.test", identity.RoleGrader)

		t.Run("settings are checked and audited", func(t *testing.T) {
			_, err := x.d.SetMarkingSettings(ctx, x.admin, "HKCL", x.exam.ID, assess.MarkingSettings{DoubleMarking: true, Tolerance: -1, Step: 0.3})
			if e := errs.As(err); e == nil || e.Fields["tolerance"] == "" || e.Fields["step"] == "" {
				t.Fatalf("bad settings: %v", err)
			}
			_, err = x.d.SetMarkingSettings(ctx, g1, "HKCL", x.exam.ID, assess.MarkingSettings{DoubleMarking: true, Tolerance: 1})
			wantKind(t, err, errs.Forbidden)
			_, err = x.d.SetMarkingSettings(ctx, x.otherAdmin, "HKCL", x.exam.ID, assess.MarkingSettings{DoubleMarking: true, Tolerance: 1})
			wantKind(t, err, errs.NotFound)
			if _, err := x.d.SetMarkingSettings(ctx, x.admin, "HKCL", x.exam.ID, assess.MarkingSettings{DoubleMarking: true, Tolerance: 1}); err != nil {
				t.Fatal(err)
			}
			if n := x.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'exam.marking.settings'`); n != 1 {
				t.Fatalf("%d audit entries", n)
			}
		})
		t.Run("an author may not mark", func(t *testing.T) {
			_, err := x.d.NextForMarking(ctx, x.author, "HKCL", x.exam.ID)
			wantKind(t, err, errs.Forbidden)
		})

		// First marks: g1 takes all three scripts in turn.
		refs := map[string]string{} // candidate's answer text → ref
		for range 3 {
			s, err := x.d.NextForMarking(ctx, g1, "HKCL", x.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Round != 1 || s.Max != 10 || s.Step != 0.5 || len(s.Marks) != 0 {
				t.Fatalf("script %+v", s)
			}
			if q := s.Question["en"]; !strings.Contains(q.Stem, "<strong>carrying</strong>") || !strings.Contains(q.Rubric, "Award 2 marks") || strings.Contains(q.Rubric, "<script>") {
				t.Fatalf("question not rendered safely: %+v", q)
			}
			if strings.Contains(s.Script, "R") || strings.Contains(fmt.Sprint(s), "Candidate") {
				t.Fatalf("script shows who wrote it: %+v", s)
			}
			again, err := x.d.NextForMarking(ctx, g1, "HKCL", x.exam.ID)
			if err != nil || again.Script != s.Script {
				t.Fatalf("asking again gave %v %v, want the held script %s", again, err, s.Script)
			}
			refs[s.Answer[:2]] = s.Script
			score := map[string]float64{"R1": 6, "R2": 8, "R3": 3}[s.Answer[:2]]
			out, err := x.d.Mark(ctx, g1, "HKCL", x.exam.ID, s.Script, score, "first mark")
			if err != nil || out.Final != nil || out.Round != 1 {
				t.Fatalf("first mark: %+v %v", out, err)
			}
		}
		if len(refs) != 3 {
			t.Fatalf("g1 got scripts %v", refs)
		}
		t.Run("a marker never marks the same answer twice", func(t *testing.T) {
			_, err := x.d.NextForMarking(ctx, g1, "HKCL", x.exam.ID)
			wantCode(t, err, assess.CodeNothingToMark)
			_, err = x.d.Mark(ctx, g1, "HKCL", x.exam.ID, refs["R1"], 6, "")
			wantCode(t, err, assess.CodeReservationLost)
		})

		t.Run("scores are checked", func(t *testing.T) {
			s, err := x.d.NextForMarking(ctx, g2, "HKCL", x.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Round != 2 || len(s.Marks) != 0 {
				t.Fatalf("second marker sees %+v", s)
			}
			for _, bad := range []float64{-0.5, 10.5, 6.3} {
				_, err := x.d.Mark(ctx, g2, "HKCL", x.exam.ID, s.Script, bad, "")
				if e := errs.As(err); e == nil || e.Fields["score"] == "" {
					t.Fatalf("score %v: %v", bad, err)
				}
			}
			_, err = x.d.Mark(ctx, g2, "HKCL", x.exam.ID, "nosuchscript", 5, "")
			wantKind(t, err, errs.NotFound)
		})

		t.Run("reservations expire and go to another marker", func(t *testing.T) {
			held, err := x.d.NextForMarking(ctx, g2, "HKCL", x.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			x.clock.add(assess.ReservationTime + time.Second)
			s, err := x.d.NextForMarking(ctx, g3, "HKCL", x.exam.ID)
			if err != nil || s.Script != held.Script {
				t.Fatalf("g3 got %v %v, want the expired %s", s, err, held.Script)
			}
			_, err = x.d.Mark(ctx, g2, "HKCL", x.exam.ID, held.Script, 5, "")
			wantCode(t, err, assess.CodeReservationLost)
			// g3 gives the reserved script back by marking it below.
			ans := ""
			for k, v := range refs {
				if v == s.Script {
					ans = k
				}
			}
			score := map[string]float64{"R1": 7, "R2": 4, "R3": 3}[ans]
			if _, err := x.d.Mark(ctx, g3, "HKCL", x.exam.ID, s.Script, score, "second"); err != nil {
				t.Fatal(err)
			}
		})
		// Second marks for the rest, by g2: R1 6 & 7 (within 1: mean
		// 6.5), R2 8 & 4 (beyond: moderation), R3 3 & 3 (3).
		for {
			s, err := x.d.NextForMarking(ctx, g2, "HKCL", x.exam.ID)
			if e := errs.As(err); e != nil && e.Code == assess.CodeNothingToMark {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			score := map[string]float64{refs["R1"]: 7, refs["R2"]: 4, refs["R3"]: 3}[s.Script]
			if _, err := x.d.Mark(ctx, g2, "HKCL", x.exam.ID, s.Script, score, ""); err != nil {
				t.Fatal(err)
			}
		}
		p, err := x.d.MarkingProgress(ctx, g1, "HKCL", x.exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *p != (assess.MarkingProgress{Answers: 3, FirstMarked: 3, SecondMarked: 3, InModeration: 1, Final: 2}) {
			t.Fatalf("progress %+v", p)
		}
		t.Run("within tolerance the final score is the mean", func(t *testing.T) {
			is := x.itemScore(t, "R1", x.es)
			r, score, pending := x.result(t, "R1")
			if is.Score != 6.5 || is.Manual || score != 10.5 || pending != 0 || r.Score != 10.5 || r.Pending != 0 || r.Sections[0].Score != 10.5 {
				t.Fatalf("R1: item %+v, score %v, pending %d, result %+v", is, score, pending, r)
			}
			if _, score, _ := x.result(t, "R3"); score != 3 {
				t.Fatalf("R3 score %v", score)
			}
			if n := x.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'exam.marking.final'`); n != 2 {
				t.Fatalf("%d final-score audit entries", n)
			}
		})
		t.Run("beyond tolerance a moderator's score is final", func(t *testing.T) {
			_, err := x.d.NextForMarking(ctx, g3, "HKCL", x.exam.ID)
			wantCode(t, err, assess.CodeNothingToMark) // graders do not moderate
			s, err := x.d.NextForMarking(ctx, x.approver, "HKCL", x.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Script != refs["R2"] || s.Round != 3 || len(s.Marks) != 2 || s.Marks[0].Score != 8 || s.Marks[1].Score != 4 {
				t.Fatalf("moderation script %+v", s)
			}
			out, err := x.d.Mark(ctx, x.approver, "HKCL", x.exam.ID, s.Script, 5, "moderated")
			if err != nil || out.Final == nil || *out.Final != 5 {
				t.Fatalf("moderation: %+v %v", out, err)
			}
			// −1 for q1 and 5 for the essay.
			if _, score, pending := x.result(t, "R2"); score != 4 || pending != 0 {
				t.Fatalf("R2 score %v pending %d", score, pending)
			}
			_, err = x.d.Mark(ctx, x.approver, "HKCL", x.exam.ID, s.Script, 5, "")
			wantCode(t, err, assess.CodeAlreadyMarked)
		})
		t.Run("results can be computed once all is marked", func(t *testing.T) {
			x.clock.set(x.start.Add(2 * time.Hour))
			computeResults(ctx, t, x.bank, x.admin, "HKCL", x.exam.ID)
		})
		t.Run("settings are fixed once marking started", func(t *testing.T) {
			_, err := x.d.SetMarkingSettings(ctx, x.admin, "HKCL", x.exam.ID, assess.MarkingSettings{})
			wantCode(t, err, assess.CodeMarkingStarted)
		})
	})
}

func TestSingleMarkingIsFinal(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		x := newMarkingExam(t, db, 1)
		x.sit(t, "R1", choose(x.q1, 1, "A"), essay(x.es, "An essay"))
		x.grade(t)
		s, err := x.d.NextForMarking(ctx, x.admin, "HKCL", x.exam.ID)
		if err != nil {
			t.Fatal(err)
		}
		out, err := x.d.Mark(ctx, x.admin, "HKCL", x.exam.ID, s.Script, 9.5, "")
		if err != nil || out.Final == nil || *out.Final != 9.5 {
			t.Fatalf("%+v %v", out, err)
		}
		r, score, pending := x.result(t, "R1")
		sec := r.Sections[0]
		if score != 8.5 || pending != 0 || sec.Score != 8.5 || sec.Answered != 2 || sec.Wrong != 1 || sec.Correct != 0 {
			t.Fatalf("score %v pending %d section %+v", score, pending, sec)
		}
	})
}

func TestMarkersNeverShareAScript(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		const candidates, markers = 30, 12
		x := newMarkingExam(t, db, candidates)
		for i := 1; i <= candidates; i++ {
			x.sit(t, fmt.Sprintf("R%d", i), essay(x.es, fmt.Sprintf("Essay %d", i)))
		}
		x.grade(t)
		ps := make([]*identity.Principal, markers)
		for i := range ps {
			ps[i] = x.person(t, fmt.Sprintf("m%d@hkcl.test", i), identity.RoleGrader)
		}
		var mu sync.Mutex // guards holder
		holder := map[string]int{}
		var wg sync.WaitGroup
		errc := make(chan error, markers)
		for i, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each marker marks until the queue is empty; a script
				// is held by one marker at a time.
				for {
					s, err := x.d.NextForMarking(ctx, p, "HKCL", x.exam.ID)
					if e := errs.As(err); e != nil && e.Code == assess.CodeNothingToMark {
						return
					}
					if err != nil {
						errc <- err
						return
					}
					mu.Lock()
					if h, ok := holder[s.Script]; ok {
						mu.Unlock()
						errc <- fmt.Errorf("script %s given to marker %d while marker %d held it", s.Script, i, h)
						return
					}
					holder[s.Script] = i
					mu.Unlock()
					if _, err := x.d.Mark(ctx, p, "HKCL", x.exam.ID, s.Script, 5, ""); err != nil {
						errc <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		if len(holder) != candidates {
			t.Fatalf("%d scripts marked, want %d", len(holder), candidates)
		}
		if n := x.count(t, `SELECT COUNT(*) FROM attempts WHERE pending = 0 AND score = 5`); n != candidates {
			t.Fatalf("%d attempts fully marked", n)
		}
	})
}
