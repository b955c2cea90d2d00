package assess_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// publishedExam makes a one-hour exam of two published items in HKCL and
// publishes it.
func (w *world) publishedExam(t testing.TB) *assess.TestVersion {
	t.Helper()
	ctx := context.Background()
	a := w.published(t, sample("What is 2 + 2?"))
	b := w.published(t, sample("What is 3 + 1?"))
	def := &assess.Test{Kind: assess.Exam, Title: "Arithmetic", Languages: []string{"en", "hi"}, Duration: 3600,
		Sections: []assess.Section{{ID: "A", Questions: []assess.Question{{ItemID: a.ID}, {ItemID: b.ID}}}}}
	c, err := w.bank.CreateTest(ctx, w.author, "HKCL", def)
	if err != nil {
		t.Fatal(err)
	}
	v, err := w.bank.PublishTest(ctx, w.approver, "HKCL", c.ID, c.Revision)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAccessCodes(t *testing.T) {
	seen := map[string]bool{}
	format := regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$`)
	for range 1000 {
		c := assess.NewAccessCode()
		if !format.MatchString(c) {
			t.Fatalf("code %q is not four groups of Crockford base32", c)
		}
		if seen[c] {
			t.Fatalf("code %q issued twice", c)
		}
		seen[c] = true
	}
	for _, c := range []struct{ typed, want string }{
		{"7KQM-3XPR-9HTD-W2FN", "7KQM3XPR9HTDW2FN"},
		{"7kqm 3xpr 9htd w2fn", "7KQM3XPR9HTDW2FN"},
		{"OKQM-iXPR-9HTD-W2FL", "0KQM1XPR9HTDW2F1"}, // O→0, I and L → 1
		{"7KQM3XPR9HTDW2F", ""},                     // too short
		{"7KQM-3XPR-9HTD-W2FNN", ""},                // too long
		{"7KQM-3XPR-9HTD-W2FU", ""},                 // U is not in the alphabet
		{"7KQM-3XPR-9HTD-W2F✓", ""},
		{strings.Repeat("-", 100), ""},
	} {
		got, ok := assess.CanonicalAccessCode(c.typed)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("CanonicalAccessCode(%q) = %q, %v; want %q", c.typed, got, ok, c.want)
		}
	}
}

func FuzzCanonicalAccessCode(f *testing.F) {
	f.Add("7KQM-3XPR-9HTD-W2FN")
	f.Add("oil0-OIL0-1234-abcd")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := assess.CanonicalAccessCode(s)
		if !ok {
			return
		}
		if len(c) != 16 {
			t.Fatalf("%q → %q", s, c)
		}
		if again, ok := assess.CanonicalAccessCode(c); !ok || again != c {
			t.Fatalf("not idempotent: %q → %q → %q", s, c, again)
		}
	})
}

func TestExamSetUp(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		admin := w.approverAsAdmin(t)
		v := w.publishedExam(t)

		t.Run("only administrators schedule exams", func(t *testing.T) {
			_, err := w.bank.CreateExam(ctx, w.approver, "HKCL", v.TestID, 0, "Final")
			wantKind(t, err, errs.Forbidden)
			_, err = w.bank.CreateExam(ctx, w.otherAdmin, "HKCL", v.TestID, 0, "Final")
			wantKind(t, err, errs.NotFound)
		})
		t.Run("a mock test or an unpublished test cannot be scheduled", func(t *testing.T) {
			m, err := w.bank.CreateTest(ctx, w.author, "HKCL", &assess.Test{Kind: assess.Mock, Title: "Practice", Languages: []string{"en"},
				Sections: []assess.Section{{ID: "all", Questions: []assess.Question{{ItemID: v.Test.Sections[0].Questions[0].ItemID}}}}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = w.bank.CreateExam(ctx, admin, "HKCL", m.ID, 0, "Final")
			if e := errs.As(err); e == nil || !strings.Contains(e.Fields["test_id"], "mock test") {
				t.Fatalf("err = %v", err)
			}
			_, err = w.bank.CreateExam(ctx, admin, "HKCL", v.TestID, 7, "Final")
			wantKind(t, err, errs.NotFound)
		})

		e, err := w.bank.CreateExam(ctx, admin, "HKCL", v.TestID, 0, "December final")
		if err != nil {
			t.Fatal(err)
		}
		if e.TestVersion != 1 {
			t.Fatalf("exam uses version %d", e.TestVersion)
		}
		start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

		t.Run("a shift must leave the full time to late starters", func(t *testing.T) {
			_, err := w.bank.AddShift(ctx, admin, "HKCL", e.ID, assess.Shift{Code: "AM", StartsAt: start, LateEntry: 900, EndsAt: start.Add(time.Hour)})
			if e := errs.As(err); e == nil || !strings.Contains(e.Fields["ends_at"], "2026-12-01T10:15:00Z") {
				t.Fatalf("err = %v", err)
			}
			_, err = w.bank.AddShift(ctx, admin, "HKCL", e.ID, assess.Shift{Code: "AM", StartsAt: start, LateEntry: -1, EndsAt: start.Add(3 * time.Hour)})
			if e := errs.As(err); e == nil || e.Fields["late_entry"] == "" {
				t.Fatalf("err = %v", err)
			}
		})
		am, err := w.bank.AddShift(ctx, admin, "HKCL", e.ID, assess.Shift{Code: "AM", StartsAt: start, LateEntry: 900, EndsAt: start.Add(75 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.bank.AddShift(ctx, admin, "HKCL", e.ID, assess.Shift{Code: "PM", StartsAt: start.Add(5 * time.Hour), EndsAt: start.Add(6 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		t.Run("a shift code is used once", func(t *testing.T) {
			_, err := w.bank.AddShift(ctx, admin, "HKCL", e.ID, assess.Shift{Code: "AM", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
			wantKind(t, err, errs.Conflict)
		})
		shifts, err := w.bank.Shifts(ctx, w.grader, "HKCL", e.ID)
		if err != nil || len(shifts) != 2 || shifts[0].ID != am.ID || !shifts[0].EndsAt.Equal(start.Add(75*time.Minute)) {
			t.Fatalf("shifts %+v, %v", shifts, err)
		}

		t.Run("one bad row saves nothing and every bad row is named", func(t *testing.T) {
			rep, err := w.bank.RegisterCandidates(ctx, admin, "HKCL", e.ID, []assess.Candidate{
				{RollNo: "R001", Name: "अनन्या शर्मा", Shift: "AM"},
				{RollNo: "R002", Name: "Ravi", Shift: "NIGHT"},
				{RollNo: "R001", Name: "Again", Shift: "AM"},
				{RollNo: "R 3", Name: "Space"},
				{RollNo: "R004", Name: "", Shift: "PM"},
				{RollNo: "R005", Name: "Slow", ExtraTime: -5},
			})
			wantKind(t, err, errs.Invalid)
			if rep == nil || len(rep.Rejected) != 5 || !strings.Contains(rep.Rejected[2], `no shift "NIGHT"`) || !strings.Contains(rep.Rejected[3], "row 1") {
				t.Fatalf("report %+v", rep)
			}
			if n := w.count(t, `SELECT COUNT(*) FROM candidates`); n != 0 {
				t.Fatalf("%d candidates saved", n)
			}
		})
		var list []assess.Candidate
		for i := range 30 {
			shift := "AM"
			if i%2 == 1 {
				shift = "PM"
			}
			list = append(list, assess.Candidate{RollNo: fmt.Sprintf("R%03d", i), Name: fmt.Sprintf("Candidate %d", i), Shift: shift})
		}
		list[0].Name, list[0].ExtraTime = "अनन्या शर्मा", 1200
		rep, err := w.bank.RegisterCandidates(ctx, admin, "HKCL", e.ID, list)
		if err != nil || rep.Added != 30 || rep.Updated != 0 {
			t.Fatalf("report %+v, %v", rep, err)
		}
		rep, err = w.bank.RegisterCandidates(ctx, admin, "HKCL", e.ID, []assess.Candidate{{RollNo: "R001", Name: "Renamed", Shift: "AM"}, {RollNo: "R100", Name: "New"}})
		if err != nil || rep.Added != 1 || rep.Updated != 1 {
			t.Fatalf("report %+v, %v", rep, err)
		}
		got, err := w.bank.Candidates(ctx, w.grader, "HKCL", e.ID, "", 0)
		if err != nil || len(got) != 31 || got[0].Name != "अनन्या शर्मा" || got[0].ExtraTime != 1200 || got[1].Name != "Renamed" || got[1].Shift != "AM" || got[30].Shift != "" {
			t.Fatalf("candidates %+v, %v", got, err)
		}

		codes, err := w.bank.IssueCodes(ctx, admin, "HKCL", e.ID, nil)
		if err != nil || len(codes) != 31 {
			t.Fatalf("%d codes, %v", len(codes), err)
		}
		if codes[0].RollNo != "R000" || codes[0].Shift != "AM" || codes[0].Name != "अनन्या शर्मा" {
			t.Fatalf("first admit code %+v", codes[0])
		}
		t.Run("codes are stored only as hashes", func(t *testing.T) {
			canon, _ := assess.CanonicalAccessCode(codes[0].Code)
			for _, q := range []string{
				`SELECT COUNT(*) FROM candidates WHERE code_hash LIKE '%` + canon + `%'`,
				`SELECT COUNT(*) FROM audit_log WHERE details LIKE '%` + canon[:8] + `%'`,
			} {
				if n := w.count(t, q); n != 0 {
					t.Fatalf("%s: %d", q, n)
				}
			}
			if n := w.count(t, `SELECT COUNT(DISTINCT code_hash) FROM candidates`); n != 31 {
				t.Fatalf("%d distinct hashes", n)
			}
		})
		t.Run("everyone has a code: nothing to issue", func(t *testing.T) {
			_, err := w.bank.IssueCodes(ctx, admin, "HKCL", e.ID, nil)
			wantKind(t, err, errs.NotFound)
		})
		t.Run("reissuing replaces one code", func(t *testing.T) {
			before := w.count(t, `SELECT COUNT(*) FROM candidates WHERE roll_no = 'R002' AND code_hash IS NOT NULL`)
			again, err := w.bank.IssueCodes(ctx, admin, "HKCL", e.ID, []string{"R002"})
			if err != nil || len(again) != 1 || again[0].Code == codes[2].Code || before != 1 {
				t.Fatalf("%+v, %v", again, err)
			}
			if n := w.count(t, `SELECT COUNT(DISTINCT code_hash) FROM candidates`); n != 31 {
				t.Fatalf("%d distinct hashes", n)
			}
			_, err = w.bank.IssueCodes(ctx, admin, "HKCL", e.ID, []string{"R999"})
			wantKind(t, err, errs.NotFound)
		})
		t.Run("another authority sees none of it", func(t *testing.T) {
			_, err := w.bank.Candidates(ctx, w.otherAdmin, "NIOS", e.ID, "", 0)
			wantKind(t, err, errs.NotFound)
			_, err = w.bank.IssueCodes(ctx, w.otherAdmin, "NIOS", e.ID, nil)
			wantKind(t, err, errs.NotFound)
			_, err = w.bank.RegisterCandidates(ctx, w.otherAdmin, "NIOS", e.ID, list)
			wantKind(t, err, errs.NotFound)
		})
	})
}
