package assess_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// TestSectionTimeLimits: section A has 10 minutes, B 20; only the open
// section's questions take answers; moving on early cannot be undone;
// extra time stretches both.
func TestSectionTimeLimits(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := identity.WithOrigin(context.Background(), identity.Origin{IP: "198.51.100.9"})
		w := newWorld(t, db)
		admin := w.approverAsAdmin(t)
		a := w.published(t, sample("In section A?"))
		b := w.published(t, sample("In section B?"))
		def := &assess.Test{Kind: assess.Exam, Title: "Sectioned", Languages: []string{"en", "hi"},
			Sections: []assess.Section{
				{ID: "A", Title: map[string]string{"en": "A", "hi": "क"}, Duration: 600, Questions: []assess.Question{{ItemID: a.ID}}},
				{ID: "B", Title: map[string]string{"en": "B", "hi": "ख"}, Duration: 1200, Questions: []assess.Question{{ItemID: b.ID}}},
			}}
		c, err := w.bank.CreateTest(ctx, w.author, "HKCL", def)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.bank.PublishTest(ctx, w.approver, "HKCL", c.ID, c.Revision); err != nil {
			t.Fatal(err)
		}
		e, err := w.bank.CreateExam(ctx, admin, "HKCL", c.ID, 0, "Sectioned exam")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		if _, err := w.bank.AddShift(ctx, admin, "HKCL", e.ID, assess.Shift{Code: "AM", StartsAt: t0, EndsAt: t0.Add(2 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.bank.RegisterCandidates(ctx, admin, "HKCL", e.ID, []assess.Candidate{{RollNo: "S1", Name: "One", Shift: "AM"}, {RollNo: "S2", Name: "Two", Shift: "AM", ExtraTime: 360}, {RollNo: "S3", Name: "Three", Shift: "AM"}}); err != nil {
			t.Fatal(err)
		}
		codes, err := w.bank.IssueCodes(ctx, admin, "HKCL", e.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		clock := &clock{}
		clock.set(t0)
		d, err := assess.NewDelivery(w.bank, slog.New(slog.NewTextHandler(io.Discard, nil)), assess.DeliveryOptions{Key: []byte("0123456789abcdef0123456789abcdef"), Now: clock.now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		start := func(i int) string {
			s, err := d.SignIn(ctx, codes[i].RollNo, codes[i].Code)
			if err != nil {
				t.Fatal(err)
			}
			st, err := d.Start(ctx, s.Ticket)
			if err != nil {
				t.Fatal(err)
			}
			return st.Ticket
		}
		one, two, three := start(0), start(1), start(2)
		at := func(min int) { clock.set(t0.Add(time.Duration(min) * time.Minute)) }
		save := func(tk string, item int64, seq int64) error {
			_, err := d.Save(ctx, tk, []assess.Answer{choose(item, seq, "B")})
			return err
		}

		at(5)
		if err := save(one, a.ID, 1); err != nil {
			t.Fatal(err)
		}
		wantCode(t, save(one, b.ID, 1), assess.CodeSectionClosed) // B has not opened
		st, err := d.State(ctx, one)
		if err != nil || st.Section == nil || *st.Section != 0 || !st.SectionCloses.Equal(t0.Add(10*time.Minute)) {
			t.Fatalf("state at 09:05: %+v, %v", st, err)
		}

		at(11) // A's time is up: B is open, though nobody moved
		wantCode(t, save(one, a.ID, 2), assess.CodeSectionClosed)
		if err := save(one, b.ID, 1); err != nil {
			t.Fatal(err)
		}
		if st, _ := d.State(ctx, one); *st.Section != 1 || !st.SectionCloses.Equal(t0.Add(30*time.Minute)) {
			t.Fatalf("state at 09:11: %+v", st)
		}
		_, err = d.NextSection(ctx, one)
		if e := errs.As(err); e == nil || e.Kind != errs.Conflict {
			t.Fatalf("moving on from the last section: %v", err)
		}

		t.Run("extra time stretches every section", func(t *testing.T) {
			// 30 + 6 minutes: A gets 12, B 24.
			if err := save(two, a.ID, 1); err != nil { // at 09:11, still A for S2
				t.Fatal(err)
			}
			st, _ := d.State(ctx, two)
			if *st.Section != 0 || !st.SectionCloses.Equal(t0.Add(12*time.Minute)) || !st.Deadline.Equal(t0.Add(36*time.Minute)) {
				t.Fatalf("%+v", st)
			}
		})
		t.Run("moving on early cannot be undone", func(t *testing.T) {
			at(3)
			defer at(11)
			st, err := d.NextSection(ctx, three)
			if err != nil || *st.Section != 1 || !st.SectionCloses.Equal(t0.Add(30*time.Minute)) {
				t.Fatalf("%+v, %v", st, err)
			}
			wantCode(t, save(three, a.ID, 1), assess.CodeSectionClosed)
			if err := save(three, b.ID, 1); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("an untimed-section paper has no next section", func(t *testing.T) {
			x := newExamDay(t, db)
			x.clock.set(x.start.Add(time.Minute))
			s := x.signIn(t, "R1")
			st, err := x.d.Start(ctx, s.Ticket)
			if err != nil {
				t.Fatal(err)
			}
			_, err = x.d.NextSection(ctx, st.Ticket)
			wantKind(t, err, errs.Invalid)
			state, _ := x.d.State(ctx, st.Ticket)
			if state.Section != nil {
				t.Fatalf("section %v on a paper without section times", *state.Section)
			}
		})
	})
}
