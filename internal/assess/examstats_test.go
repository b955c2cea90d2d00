package assess_test

import (
	"context"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestExamProgress(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		x := newExamDay(t, db)
		admin := x.approverAsAdmin(t)
		want := func(t *testing.T, p *identity.Principal, registered, codes, started, submitted, graded int) *assess.ExamProgress {
			t.Helper()
			got, err := x.bank.ExamProgress(ctx, p, "HKCL", x.exam.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Exam.ID != x.exam.ID || got.Exam.Title != "December final" || got.Registered != registered || got.WithCodes != codes ||
				got.Started != started || got.Submitted != submitted || got.Graded != graded {
				t.Fatalf("progress %+v, want %d registered, %d with codes, %d started, %d submitted, %d graded",
					got, registered, codes, started, submitted, graded)
			}
			return got
		}

		t.Run("candidates without codes are counted apart", func(t *testing.T) {
			if _, err := x.bank.RegisterCandidates(ctx, admin, "HKCL", x.exam.ID, []assess.Candidate{{RollNo: "LATE1", Name: "Late"}, {RollNo: "LATE2", Name: "Later"}}); err != nil {
				t.Fatal(err)
			}
			got := want(t, x.grader, 62, 60, 0, 0, 0)
			if got.ResultsComputed != nil || got.ResultsPublished != nil {
				t.Fatalf("results times before any results: %+v", got)
			}
		})

		x.clock.set(x.start.Add(time.Minute))
		r1, err := x.d.Start(ctx, x.signIn(t, "R1").Ticket)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x.d.Start(ctx, x.signIn(t, "R2").Ticket); err != nil {
			t.Fatal(err)
		}
		t.Run("attempts started and submitted are counted", func(t *testing.T) {
			want(t, admin, 62, 60, 2, 0, 0)
			if _, err := x.d.Submit(ctx, r1.Ticket); err != nil {
				t.Fatal(err)
			}
			want(t, admin, 62, 60, 2, 1, 0)
			if n, err := x.d.GradeSubmitted(ctx, 100); err != nil || n != 1 {
				t.Fatalf("graded %d, %v", n, err)
			}
			want(t, admin, 62, 60, 2, 1, 1)
		})

		t.Run("proctors may follow progress; learners and other authorities may not", func(t *testing.T) {
			proctor, err := x.ids.EnsureUser(ctx, "test", identity.NewUser{Email: "proctor@hkcl.test", Name: "P", Roles: []identity.Role{identity.RoleProctor}}, false, "HKCL")
			if err != nil {
				t.Fatal(err)
			}
			tok, err := x.ids.StartSessionFor(ctx, proctor.ID, "test")
			if err != nil {
				t.Fatal(err)
			}
			pp, err := x.ids.Authenticate(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			want(t, pp, 62, 60, 2, 1, 1)
			list, err := x.bank.WatchedExams(ctx, pp, "HKCL")
			if err != nil || len(list) != 1 || list[0].ID != x.exam.ID {
				t.Fatalf("watched exams %+v, %v", list, err)
			}
			_, err = x.bank.ExamProgress(ctx, x.learner, "HKCL", x.exam.ID)
			wantKind(t, err, errs.Forbidden)
			_, err = x.bank.ExamProgress(ctx, x.otherAdmin, "HKCL", x.exam.ID)
			if err == nil {
				t.Fatal("another authority's admin saw the progress")
			}
			_, err = x.bank.ExamProgress(ctx, admin, "HKCL", x.exam.ID+99)
			wantKind(t, err, errs.NotFound)
		})

		t.Run("results times are reported", func(t *testing.T) {
			x.clock.set(x.start.Add(3 * time.Hour))
			if _, err := x.d.AutoSubmit(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := x.d.GradeSubmitted(ctx, 100); err != nil {
				t.Fatal(err)
			}
			computeResults(ctx, t, x.bank, admin, "HKCL", x.exam.ID)
			if err := x.bank.PublishResults(ctx, admin, "HKCL", x.exam.ID, true); err != nil {
				t.Fatal(err)
			}
			got := want(t, admin, 62, 60, 2, 2, 2)
			if got.ResultsComputed == nil || got.ResultsPublished == nil {
				t.Fatalf("results times missing: %+v", got)
			}
			if err := x.bank.PublishResults(ctx, admin, "HKCL", x.exam.ID, false); err != nil {
				t.Fatal(err)
			}
			if got := want(t, admin, 62, 60, 2, 2, 2); got.ResultsPublished != nil {
				t.Fatal("unpublished results still have a publication time")
			}
		})
	})
}

func TestTestVersions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		v := w.publishedExam(t)
		cur, err := w.bank.Test(ctx, w.author, "HKCL", v.TestID)
		if err != nil {
			t.Fatal(err)
		}
		cur.Title = "Arithmetic, revised"
		cur, err = w.bank.UpdateTest(ctx, w.author, "HKCL", v.TestID, cur.Revision, cur)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.bank.PublishTest(ctx, w.approver, "HKCL", v.TestID, cur.Revision); err != nil {
			t.Fatal(err)
		}
		list, err := w.bank.TestVersions(ctx, w.grader, "HKCL", v.TestID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Version != 2 || list[1].Version != 1 || list[0].Items != 2 || list[1].PublishedAt.IsZero() {
			t.Fatalf("versions %+v", list)
		}
		_, err = w.bank.TestVersions(ctx, w.learner, "HKCL", v.TestID)
		wantKind(t, err, errs.Forbidden)
		_, err = w.bank.TestVersions(ctx, w.author, "HKCL", v.TestID+99)
		wantKind(t, err, errs.NotFound)
	})
}
