package assess_test

import (
	"context"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestKeyChallenges(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		x := newMarkingExam(t, db, 3)
		// q1's key is B, q2's is B; +4/−1.
		x.sit(t, "R1", choose(x.q1, 1, "B"), choose(x.q2, 1, "B"))
		x.sit(t, "R2", choose(x.q1, 1, "A"), choose(x.q2, 1, "A"))
		x.sit(t, "R3")
		x.grade(t)
		before := map[string]float64{}
		for _, r := range []string{"R1", "R2", "R3"} {
			_, before[r], _ = x.result(t, r)
		}
		if before["R1"] != 8 || before["R2"] != -2 || before["R3"] != 0 {
			t.Fatalf("scores before %v", before)
		}
		challenge := func(roll string, item int64, reason string) error {
			_, err := x.d.Challenge(ctx, x.tickets[roll], assess.ChallengeInput{ItemID: item, Reason: reason})
			return err
		}

		t.Run("no challenge before the window opens", func(t *testing.T) {
			wantCode(t, challenge("R2", x.q1, "A is right: 2 + 2 is not 4 here"), assess.CodeChallengeClosed)
		})
		end := x.start.Add(75 * time.Minute)
		t.Run("the window is checked", func(t *testing.T) {
			_, err := x.d.SetChallengeWindow(ctx, x.admin, "HKCL", x.exam.ID, assess.ChallengeWindow{OpensAt: end.Add(-time.Minute), ClosesAt: end})
			if e := errs.As(err); e == nil || e.Fields["opens_at"] == "" {
				t.Fatalf("window before the shift ends: %v", err)
			}
			_, err = x.d.SetChallengeWindow(ctx, x.grader, "HKCL", x.exam.ID, assess.ChallengeWindow{OpensAt: end, ClosesAt: end.Add(time.Hour)})
			wantKind(t, err, errs.Forbidden)
		})
		if _, err := x.d.SetChallengeWindow(ctx, x.admin, "HKCL", x.exam.ID, assess.ChallengeWindow{OpensAt: end, ClosesAt: end.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		x.clock.set(end.Add(10 * time.Minute))
		t.Run("candidates challenge questions on their paper, once", func(t *testing.T) {
			if err := challenge("R2", x.q1, "A is right: the question says base 3"); err != nil {
				t.Fatal(err)
			}
			wantCode(t, challenge("R2", x.q1, "and again, A is right"), assess.CodeChallenged)
			if err := challenge("R3", x.q1, "The question is ambiguous"); err != nil {
				t.Fatal(err)
			}
			if err := challenge("R1", x.q2, "Both answers could be right"); err != nil {
				t.Fatal(err)
			}
			err := challenge("R1", x.q1, "short")
			if e := errs.As(err); e == nil || e.Fields["reason"] == "" {
				t.Fatalf("short reason: %v", err)
			}
			_, err = x.d.Challenge(ctx, x.tickets["R1"], assess.ChallengeInput{ItemID: x.q1, Reason: "The key should be C", Proposed: &assess.Response{Choices: []string{"C"}}})
			if e := errs.As(err); e == nil || e.Fields["proposed"] == "" {
				t.Fatalf("proposed answer not on the question: %v", err)
			}
		})
		t.Run("a question not on the paper cannot be challenged", func(t *testing.T) {
			// The pool draws one of two questions for each candidate.
			paper, err := x.d.Paper(ctx, x.tickets["R1"])
			if err != nil {
				t.Fatal(err)
			}
			missing := x.pool[0]
			for _, s := range paper.Slots {
				if s.ItemID == missing {
					missing = x.pool[1]
				}
			}
			err = challenge("R1", missing, "This question is wrong too")
			if e := errs.As(err); e == nil || e.Kind != errs.Invalid || e.Fields["item_id"] == "" {
				t.Fatalf("challenge off the paper: %v", err)
			}
		})
		mine, err := x.d.MyChallenges(ctx, x.tickets["R2"])
		if err != nil || len(mine) != 1 || mine[0].ItemID != x.q1 || mine[0].Status != "pending" {
			t.Fatalf("R2's challenges %+v %v", mine, err)
		}
		list, err := x.d.Challenges(ctx, x.approver, "HKCL", x.exam.ID)
		if err != nil || len(list) != 2 || list[0].ItemID != x.q1 || list[0].Count != 2 || len(list[0].Reasons) != 2 || list[1].Count != 1 {
			t.Fatalf("challenges %+v %v", list, err)
		}
		t.Run("after the window closes challenges are refused", func(t *testing.T) {
			x.clock.set(end.Add(time.Hour))
			wantCode(t, challenge("R3", x.q2, "Too late to say anything"), assess.CodeChallengeClosed)
			x.clock.set(end.Add(10 * time.Minute))
		})

		t.Run("decisions are checked", func(t *testing.T) {
			for _, in := range []assess.DecisionInput{
				{Action: "maybe"},
				{Action: assess.DecisionAccept},
				{Action: assess.DecisionAccept, Key: &assess.Key{Choices: []string{"Z"}}},
				{Action: assess.DecisionDrop, Key: &assess.Key{Choices: []string{"A"}}},
			} {
				_, err := x.d.DecideChallenge(ctx, x.admin, "HKCL", x.exam.ID, x.q1, in)
				wantKind(t, err, errs.Invalid)
			}
			_, err := x.d.DecideChallenge(ctx, x.admin, "HKCL", x.exam.ID, x.es, assess.DecisionInput{Action: assess.DecisionDrop})
			wantKind(t, err, errs.Invalid)
			_, err = x.d.DecideChallenge(ctx, x.grader, "HKCL", x.exam.ID, x.q1, assess.DecisionInput{Action: assess.DecisionReject})
			wantKind(t, err, errs.Forbidden)
		})

		// Results were computed before the decision: they go stale.
		if _, err := db.Exec(ctx, `UPDATE exams SET results_state = 'ready', results_published_at = $1 WHERE id = $2`, end, x.exam.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := x.d.DecideChallenge(ctx, x.admin, "HKCL", x.exam.ID, x.q1, assess.DecisionInput{Action: assess.DecisionAccept, Key: &assess.Key{Choices: []string{"A"}}, Note: "typo in the key"}); err != nil {
			t.Fatal(err)
		}
		if _, err := x.d.DecideChallenge(ctx, x.admin, "HKCL", x.exam.ID, x.q2, assess.DecisionInput{Action: assess.DecisionDrop}); err != nil {
			t.Fatal(err)
		}
		t.Run("a question is decided once", func(t *testing.T) {
			_, err := x.d.DecideChallenge(ctx, x.admin, "HKCL", x.exam.ID, x.q1, assess.DecisionInput{Action: assess.DecisionReject})
			wantCode(t, err, assess.CodeDecided)
		})
		if n := x.count(t, `SELECT COUNT(*) FROM exams WHERE results_state = 'stale' AND results_published_at IS NULL`); n != 1 {
			t.Fatal("results are not marked stale")
		}
		if n := x.count(t, `SELECT COUNT(*) FROM audit_log WHERE action IN ('exam.challenge.accept', 'exam.challenge.drop')`); n != 2 {
			t.Fatalf("%d decision audit entries", n)
		}
		t.Run("results cannot be computed until regraded", func(t *testing.T) {
			_, err := x.bank.ComputeResults(ctx, x.admin, "HKCL", x.exam.ID)
			wantKind(t, err, errs.Conflict)
		})

		// A limit of 1 attempt a call shows the work resumes in batches.
		calls := 0
		for {
			n, err := x.d.Regrade(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			calls++
		}
		if calls != 6 { // three attempts for each of two decisions
			t.Fatalf("%d regrade calls", calls)
		}
		// q1 now keyed A: R1 4 → −1, R2 −1 → 4, R3 blank 0. q2 dropped:
		// everyone gets 4: R1 4 → 4, R2 −1 → 4, R3 0 → 4.
		want := map[string]float64{"R1": 3, "R2": 8, "R3": 4}
		check := func(t *testing.T) {
			for roll, w := range want {
				r, score, _ := x.result(t, roll)
				if score != w || r.Score != w || r.Sections[0].Score != w {
					t.Errorf("%s: score %v result %+v, want %v", roll, score, r, w)
				}
			}
			if is := x.itemScore(t, "R2", x.q1); !is.Correct || is.Score != 4 {
				t.Errorf("R2 q1 %+v", is)
			}
			if is := x.itemScore(t, "R3", x.q2); !is.Correct || is.Score != 4 || is.Answered {
				t.Errorf("R3 q2 %+v", is)
			}
		}
		check(t)
		if r, _, _ := x.result(t, "R1"); r.Sections[0].Correct != 1 || r.Sections[0].Wrong != 1 {
			t.Errorf("R1's counts %+v", r.Sections[0])
		}
		t.Run("re-running the regrade changes nothing", func(t *testing.T) {
			if n, err := x.d.Regrade(ctx, 1000); err != nil || n != 0 {
				t.Fatalf("%d %v", n, err)
			}
			if _, err := db.Exec(ctx, `UPDATE key_decisions SET done = FALSE, regraded_through = 0, regraded = 0`); err != nil {
				t.Fatal(err)
			}
			if _, err := x.d.Regrade(ctx, 1000); err != nil {
				t.Fatal(err)
			}
			if n := x.count(t, `SELECT COALESCE(SUM(regraded), 0) FROM key_decisions`); n != 0 {
				t.Fatalf("a second run changed %d attempts", n)
			}
			check(t)
		})
		mine, err = x.d.MyChallenges(ctx, x.tickets["R2"])
		if err != nil || mine[0].Status != assess.DecisionAccept {
			t.Fatalf("R2's challenges %+v %v", mine, err)
		}
		t.Run("results are computed again", func(t *testing.T) {
			computeResults(ctx, t, x.bank, x.admin, "HKCL", x.exam.ID)
			if err := x.bank.PublishResults(ctx, x.admin, "HKCL", x.exam.ID, true); err != nil {
				t.Fatal(err)
			}
			res, err := x.d.Result(ctx, x.tickets["R1"])
			if err != nil {
				t.Fatal(err)
			}
			if res.Score != 3 {
				t.Errorf("R1's published score %v", res.Score)
			}
			// The sheet shows the corrected key and the dropped question;
			// the frozen version keeps its key: the correction lives with
			// the exam.
			for _, e := range res.Sheet {
				if e.ItemID == x.q1 && (!e.Corrected || len(e.Key.Choices) != 1 || e.Key.Choices[0] != "A") {
					t.Errorf("the sheet does not show the corrected key: %+v", e)
				}
				if e.ItemID == x.q2 && !e.Dropped {
					t.Errorf("the sheet does not show the dropped question: %+v", e)
				}
			}
			v, err := x.bank.PublishedTest(ctx, x.admin, "HKCL", x.exam.TestID, x.exam.TestVersion)
			if err != nil || v.Items[x.q1].Key.Choices[0] != "B" {
				t.Errorf("the version's key changed: %v, %v", v.Items[x.q1].Key, err)
			}
		})
	})
}
