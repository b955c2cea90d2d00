package assess_test

import (
	"context"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// published adds an item to HKCL's bank and takes it through review to
// published.
func (w *world) published(t testing.TB, it *assess.Item) *assess.Item {
	t.Helper()
	ctx := context.Background()
	c, err := w.bank.CreateItem(ctx, w.author, "HKCL", it)
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.bank.SetStatus(ctx, w.author2, "HKCL", c.ID, c.Revision, assess.Reviewed)
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.bank.SetStatus(ctx, w.approver, "HKCL", c.ID, r.Revision, assess.Published)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func examDef(fixed []int64, pool assess.Pool) *assess.Test {
	qs := make([]assess.Question, len(fixed))
	for i, id := range fixed {
		qs[i] = assess.Question{ItemID: id}
	}
	return &assess.Test{
		Kind: assess.Exam, Title: "Maths final", Languages: []string{"en", "hi"}, Duration: 3600,
		Instructions: map[string]string{"en": "Answer all.", "hi": "सभी उत्तर दें।"},
		Sections: []assess.Section{
			{ID: "A", Title: map[string]string{"en": "Part A", "hi": "भाग क"}, Questions: qs, Shuffle: true, ShuffleChoices: true},
			{ID: "B", Title: map[string]string{"en": "Part B", "hi": "भाग ख"}, Pools: []assess.Pool{pool}, Marking: &assess.Marking{Marks: 4, Penalty: 1}},
		},
	}
}

func TestTestDefinitionIsChecked(t *testing.T) {
	base := func() *assess.Test { return examDef([]int64{1, 2}, assess.Pool{Count: 2, Topic: "maths"}) }
	cases := []struct {
		name  string
		edit  func(*assess.Test)
		field string
	}{
		{"an exam needs a time limit", func(t *assess.Test) { t.Duration = 0 }, "duration"},
		{"an exam shows no feedback", func(t *assess.Test) { t.Feedback = assess.EachQuestion }, "feedback"},
		{"unknown kind", func(t *assess.Test) { t.Kind = "quiz" }, "kind"},
		{"unknown language", func(t *assess.Test) { t.Languages = []string{"en", "fr"} }, "languages"},
		{"no sections", func(t *assess.Test) { t.Sections = nil }, "sections"},
		{"section id twice", func(t *assess.Test) { t.Sections[1].ID = "A" }, "sections.1.id"},
		{"section title missing in a language", func(t *assess.Test) { delete(t.Sections[0].Title, "hi") }, "sections.0.title.hi"},
		{"item twice", func(t *assess.Test) { t.Sections[0].Questions[1].ItemID = 1 }, "sections.0.questions.1.item_id"},
		{"empty pool", func(t *assess.Test) { t.Sections[1].Pools[0].Count = 0 }, "sections.1.pools.0.count"},
		{"pool difficulty", func(t *assess.Test) { t.Sections[1].Pools[0].Difficulty = "brutal" }, "sections.1.pools.0.difficulty"},
		{"attempt all of them is not optional", func(t *assess.Test) { t.Sections[0].Attempt = 2 }, "sections.0.attempt"},
		{"some sections timed", func(t *assess.Test) { t.Sections[0].Duration = 600 }, "sections.1.duration"},
		{"marking without marks", func(t *assess.Test) { t.Sections[1].Marking.Marks = 0 }, "sections.1.marking.marks"},
		{"instructions in a language not offered", func(t *assess.Test) { t.Languages = []string{"en"} }, "instructions.hi"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := base()
			c.edit(def)
			def.Normalize()
			err := def.Validate()
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid || e.Fields[c.field] == "" {
				t.Fatalf("Validate() = %v, want a message for %s", err, c.field)
			}
		})
	}
	t.Run("a good definition passes", func(t *testing.T) {
		def := base()
		def.Normalize()
		if err := def.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("section durations add up", func(t *testing.T) {
		def := base()
		def.Sections[0].Duration, def.Sections[1].Duration = 600, 900
		def.Normalize()
		if err := def.Validate(); err != nil || def.Duration != 1500 || !def.SectionTimed() {
			t.Fatalf("err %v, duration %d", err, def.Duration)
		}
	})
}

func TestPublishTest(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		a := w.published(t, sample("What is 2 + 2?"))
		b := w.published(t, sample("What is 3 + 1?"))
		var pool []int64
		for _, s := range []string{"1 + 3", "0 + 4", "5 - 1", "8 / 2"} {
			pool = append(pool, w.published(t, sample("What is "+s+"?")).ID)
		}
		draft, err := w.bank.CreateItem(ctx, w.author, "HKCL", sample("A draft"))
		if err != nil {
			t.Fatal(err)
		}
		enOnly := sample("English only")
		delete(enOnly.Text, "hi")
		english := w.published(t, enOnly)

		_, err = w.bank.CreateTest(ctx, w.learner, "HKCL", examDef([]int64{a.ID}, assess.Pool{Count: 1}))
		wantKind(t, err, errs.Forbidden)
		_, err = w.bank.CreateTest(ctx, w.otherAdmin, "HKCL", examDef([]int64{a.ID}, assess.Pool{Count: 1}))
		wantKind(t, err, errs.NotFound)

		def := examDef([]int64{a.ID, b.ID, draft.ID, english.ID}, assess.Pool{Count: 3, Topic: "maths"})
		created, err := w.bank.CreateTest(ctx, w.author, "HKCL", def)
		if err != nil {
			t.Fatal(err)
		}
		if created.Status != assess.TestDraft || created.Version != 0 || created.Revision != 1 {
			t.Fatalf("created %+v", created)
		}

		t.Run("only approvers publish", func(t *testing.T) {
			_, err := w.bank.PublishTest(ctx, w.author, "HKCL", created.ID, 1)
			wantKind(t, err, errs.Forbidden)
		})
		t.Run("draft and one-language items are named", func(t *testing.T) {
			_, err := w.bank.PublishTest(ctx, w.approver, "HKCL", created.ID, 1)
			e := errs.As(err)
			if e == nil || e.Kind != errs.Invalid {
				t.Fatalf("err = %v", err)
			}
			if !strings.Contains(e.Fields["sections.0.questions.2"], "is draft") || !strings.Contains(e.Fields["sections.0.questions.3"], "no hi text") {
				t.Fatalf("fields %v", e.Fields)
			}
			if n := w.count(t, `SELECT COUNT(*) FROM test_versions`); n != 0 {
				t.Fatalf("%d versions stored after a failed publish", n)
			}
		})

		def.Sections[0].Questions = def.Sections[0].Questions[:2]
		def.Sections[1].Pools[0].Count = 5
		upd, err := w.bank.UpdateTest(ctx, w.author, "HKCL", created.ID, 1, def)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("a stale edit is refused", func(t *testing.T) {
			_, err := w.bank.UpdateTest(ctx, w.author, "HKCL", created.ID, 1, def)
			wantKind(t, err, errs.Conflict)
		})
		t.Run("a pool short of items says how short", func(t *testing.T) {
			_, err := w.bank.PublishTest(ctx, w.approver, "HKCL", created.ID, upd.Revision)
			e := errs.As(err)
			if e == nil || !strings.Contains(e.Fields["sections.1.pools.0.count"], "only 4 published items") {
				t.Fatalf("err = %v", err)
			}
		})

		def.Sections[1].Pools[0].Count = 3
		upd, err = w.bank.UpdateTest(ctx, w.author, "HKCL", created.ID, upd.Revision, def)
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.bank.PublishTest(ctx, w.approver, "HKCL", created.ID, upd.Revision)
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != 1 || len(v.Items) != 6 || len(v.Pools[1][0]) != 4 {
			t.Fatalf("version %d, %d items, pool %v", v.Version, len(v.Items), v.Pools)
		}
		for _, id := range v.Pools[1][0] {
			if id == a.ID || id == b.ID {
				t.Fatalf("pool %v holds fixed question %d", v.Pools[1][0], id)
			}
		}
		if q := v.Test.Sections[0].Questions[0]; q.Version != a.Version {
			t.Fatalf("question frozen at version %d, want %d", q.Version, a.Version)
		}

		t.Run("publishing twice is refused", func(t *testing.T) {
			_, err := w.bank.PublishTest(ctx, w.approver, "HKCL", created.ID, v.Test.Revision)
			wantKind(t, err, errs.Conflict)
		})
		t.Run("editing an item later leaves the version as it was", func(t *testing.T) {
			edit := sample("What is 2 + 2, really?")
			if _, err := w.bank.UpdateItem(ctx, w.author, "HKCL", a.ID, a.Revision, edit); err != nil {
				t.Fatal(err)
			}
			got, err := w.bank.PublishedTest(ctx, w.grader, "HKCL", created.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			if stem := got.Items[a.ID].Text["en"].Stem; stem != "What is 2 + 2?" {
				t.Fatalf("frozen stem = %q", stem)
			}
			if got.Items[a.ID].Key.Choices[0] != "B" {
				t.Fatalf("frozen key lost: %+v", got.Items[a.ID].Key)
			}
		})
		t.Run("another authority cannot see it", func(t *testing.T) {
			_, err := w.bank.PublishedTest(ctx, w.otherAdmin, "HKCL", created.ID, 0)
			wantKind(t, err, errs.NotFound)
			_, err = w.bank.Test(ctx, w.otherAdmin, "NIOS", created.ID)
			wantKind(t, err, errs.NotFound)
		})
		t.Run("listed newest first", func(t *testing.T) {
			if _, err := w.bank.CreateTest(ctx, w.author, "HKCL", &assess.Test{Kind: assess.Mock, Title: "Practice", Languages: []string{"en"},
				Sections: []assess.Section{{ID: "all", Questions: []assess.Question{{ItemID: a.ID}}}}}); err != nil {
				t.Fatal(err)
			}
			all, _, err := w.bank.ListTests(ctx, w.grader, "HKCL", "", "", 0)
			if err != nil || len(all) != 2 || all[0].Title != "Practice" || all[1].Status != assess.TestPublished {
				t.Fatalf("list %v, %v", all, err)
			}
			exams, _, err := w.bank.ListTests(ctx, w.grader, "HKCL", assess.Exam, "", 0)
			if err != nil || len(exams) != 1 {
				t.Fatalf("exams %v, %v", exams, err)
			}
		})
		if n := w.count(t, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'test.%'`); n < 4 {
			t.Fatalf("%d audit entries for tests", n)
		}
	})
}
