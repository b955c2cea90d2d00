package assess_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestPractice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		q1 := w.published(t, sample("What is 2 + 2?"))
		q2 := w.published(t, sample("What is 3 + 1?"))
		clock := &clock{}
		clock.set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
		d, err := assess.NewDelivery(w.bank, slog.New(slog.NewTextHandler(io.Discard, nil)), assess.DeliveryOptions{
			Key: []byte("0123456789abcdef0123456789abcdef"), Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		mock := func(title string, duration int, fb assess.Feedback) *assess.Test {
			c, err := w.bank.CreateTest(ctx, w.author, "HKCL", &assess.Test{Kind: assess.Mock, Title: title, Languages: []string{"en"}, Duration: duration, Feedback: fb,
				Sections: []assess.Section{{ID: "all", Shuffle: true, Questions: []assess.Question{{ItemID: q1.ID}, {ItemID: q2.ID}}}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.bank.PublishTest(ctx, w.approver, "HKCL", c.ID, c.Revision); err != nil {
				t.Fatal(err)
			}
			return c
		}
		each := mock("Warm-up", 0, assess.EachQuestion)
		timed := mock("Timed", 600, assess.AtEnd)
		silent := mock("Silent", 0, assess.NoFeedback)

		list, err := w.bank.MockTests(ctx, w.learner, "HKCL")
		if err != nil || len(list) != 3 || list[2].Title != "Warm-up" || list[2].Questions != 2 || list[1].Duration != 600 {
			t.Fatalf("mock tests %+v, %v", list, err)
		}
		_, err = w.bank.MockTests(ctx, w.otherAdmin, "HKCL")
		wantKind(t, err, errs.NotFound)
		_, err = d.Practise(ctx, w.otherAdmin, "HKCL", each.ID)
		wantKind(t, err, errs.NotFound)

		st, err := d.Practise(ctx, w.learner, "HKCL", each.ID)
		if err != nil || st.Resumed || !st.Deadline.IsZero() {
			t.Fatalf("%+v, %v", st, err)
		}
		p, err := d.Paper(ctx, st.Ticket)
		if err != nil || len(p.Slots) != 2 || p.Feedback != assess.EachQuestion {
			t.Fatalf("paper %+v, %v", p, err)
		}
		t.Run("feedback after each question", func(t *testing.T) {
			r, err := d.Save(ctx, st.Ticket, []assess.Answer{choose(q1.ID, 1, "B"), choose(q2.ID, 1, "A")})
			if err != nil || r.Saved != 2 || len(r.Feedback) != 2 {
				t.Fatalf("%+v, %v", r, err)
			}
			for _, f := range r.Feedback {
				if f.Correct != (f.ItemID == q1.ID) || f.Solution["en"] == "" {
					t.Fatalf("feedback %+v", f)
				}
			}
		})
		t.Run("a practice ticket does not start exams", func(t *testing.T) {
			_, err := d.Start(ctx, st.Ticket)
			wantKind(t, err, errs.Invalid)
		})
		t.Run("practising again on another device resumes it there", func(t *testing.T) {
			again, err := d.Practise(ctx, w.learner, "HKCL", each.ID)
			if err != nil || !again.Resumed || again.Device != 2 {
				t.Fatalf("%+v, %v", again, err)
			}
			_, err = d.Save(ctx, st.Ticket, []assess.Answer{choose(q2.ID, 2, "B")})
			wantCode(t, err, assess.CodeTakenOver)
			st = again
		})
		_, err = d.Result(ctx, st.Ticket)
		wantCode(t, err, assess.CodeNotPublished) // not submitted yet
		state, err := d.Submit(ctx, st.Ticket)
		if err != nil || state.Submitted == nil {
			t.Fatalf("%+v, %v", state, err)
		}
		res, err := d.Result(ctx, st.Ticket)
		if err != nil || res.Score != 3 || res.Max != 8 || len(res.Sheet) != 2 || res.Percentile != "" {
			t.Fatalf("result %+v, %v", res, err) // +4 − 1
		}
		t.Run("as often as they like: a new attempt after submitting", func(t *testing.T) {
			next, err := d.Practise(ctx, w.learner, "HKCL", each.ID)
			if err != nil || next.Resumed {
				t.Fatalf("%+v, %v", next, err)
			}
			if n := w.count(t, `SELECT COUNT(*) FROM attempts WHERE user_id IS NOT NULL`); n != 2 {
				t.Fatalf("%d practice attempts", n)
			}
		})
		t.Run("a timed mock test is auto-submitted and graded", func(t *testing.T) {
			ts, err := d.Practise(ctx, w.learner, "HKCL", timed.ID)
			if err != nil || !ts.Deadline.Equal(clock.now().Add(10*time.Minute)) {
				t.Fatalf("%+v, %v", ts, err)
			}
			if r, err := d.Save(ctx, ts.Ticket, []assess.Answer{choose(q1.ID, 1, "B")}); err != nil || len(r.Feedback) != 0 {
				t.Fatalf("feedback at the end only: %+v, %v", r, err)
			}
			clock.add(11 * time.Minute)
			_, err = d.Save(ctx, ts.Ticket, []assess.Answer{choose(q2.ID, 1, "B")})
			wantCode(t, err, assess.CodeDeadlinePassed)
			if n, err := d.AutoSubmit(ctx); err != nil || n != 1 {
				t.Fatalf("auto-submitted %d, %v", n, err)
			}
			if n, err := d.GradeSubmitted(ctx, 100); err != nil || n != 1 {
				t.Fatalf("graded %d, %v", n, err)
			}
			res, err := d.Result(ctx, ts.Ticket)
			if err != nil || res.Score != 4 {
				t.Fatalf("%+v, %v", res, err)
			}
		})
		t.Run("a mock test without feedback shows no result", func(t *testing.T) {
			ss, err := d.Practise(ctx, w.learner, "HKCL", silent.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.Submit(ctx, ss.Ticket); err != nil {
				t.Fatal(err)
			}
			_, err = d.Result(ctx, ss.Ticket)
			wantCode(t, err, assess.CodeNotPublished)
		})
	})
}
