package assess_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

type nopMailer struct{}

func (nopMailer) Queue(context.Context, *database.Tx, string, string, string) error { return nil }

// world is a bank with two authorities and people of each role.
type world struct {
	db                                *database.DB
	bank                              *assess.Service
	ids                               *identity.Service
	author, author2, approver, grader *identity.Principal
	learner, otherAdmin               *identity.Principal
}

func newWorld(t testing.TB, db *database.DB) *world {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ids := identity.NewService(db, nopMailer{}, log, identity.Config{})
	for _, code := range []string{"HKCL", "NIOS"} {
		if _, err := ids.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	w := &world{db: db, bank: assess.NewService(db, ids, log), ids: ids}
	person := func(email, code string, role identity.Role) *identity.Principal {
		u, err := ids.EnsureUser(ctx, "test", identity.NewUser{Email: email, Name: email, Roles: []identity.Role{role}}, false, code)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := ids.StartSessionFor(ctx, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		p, err := ids.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	w.author = person("author@hkcl.test", "HKCL", identity.RoleAuthor)
	w.author2 = person("author2@hkcl.test", "HKCL", identity.RoleAuthor)
	w.approver = person("approver@hkcl.test", "HKCL", identity.RoleApprover)
	w.grader = person("grader@hkcl.test", "HKCL", identity.RoleGrader)
	w.learner = person("learner@hkcl.test", "HKCL", identity.RoleLearner)
	w.otherAdmin = person("admin@nios.test", "NIOS", identity.RoleAdmin)
	return w
}

func (w *world) count(t testing.TB, q string) int {
	t.Helper()
	var n int
	if err := w.db.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func sample(stem string) *assess.Item {
	return &assess.Item{
		Type: assess.SingleChoice,
		Text: map[string]assess.Text{
			"en": {Stem: stem, Choices: map[string]string{"A": "3", "B": "4"}, Explanation: "Count on your fingers."},
			"hi": {Stem: "हिंदी: " + stem, Choices: map[string]string{"A": "३", "B": "४"}},
		},
		Choices: []assess.Choice{{ID: "A"}, {ID: "B"}},
		Key:     assess.Key{Choices: []string{"B"}},
		Scoring: assess.Scoring{Marks: 4, Penalty: 1},
		Tags:    assess.Tags{Topic: "maths/arithmetic", Difficulty: "easy", Labels: []string{"warm-up"}},
		Shuffle: true,
	}
}

func wantKind(t *testing.T, err error, k errs.Kind) {
	t.Helper()
	if !errs.Is(err, k) {
		t.Fatalf("error = %v (kind %s), want kind %s", err, errs.KindOf(err), k)
	}
}

func TestItemLifecycle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)

		created, err := w.bank.CreateItem(ctx, w.author, "HKCL", sample("What is 2 + 2?"))
		if err != nil {
			t.Fatal(err)
		}
		if created.Version != 1 || created.Revision != 1 || created.Status != assess.Draft {
			t.Fatalf("created = v%d r%d %s", created.Version, created.Revision, created.Status)
		}
		got, err := w.bank.Item(ctx, w.grader, "HKCL", created.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash() != sample("What is 2 + 2?").Hash() || got.Tags.Topic != "maths/arithmetic" || got.Tags.Labels[0] != "warm-up" || got.Text["hi"].Choices["B"] != "४" {
			t.Fatalf("read back differs: %+v", got)
		}

		t.Run("access follows authority and role", func(t *testing.T) {
			_, err := w.bank.Item(ctx, w.otherAdmin, "HKCL", created.ID, 0)
			wantKind(t, err, errs.NotFound)
			_, err = w.bank.Item(ctx, w.learner, "HKCL", created.ID, 0)
			wantKind(t, err, errs.Forbidden)
			_, err = w.bank.CreateItem(ctx, w.grader, "HKCL", sample("x"))
			wantKind(t, err, errs.Forbidden)
			// An item id of one authority is not found through another.
			_, err = w.bank.Item(ctx, w.otherAdmin, "NIOS", created.ID, 0)
			wantKind(t, err, errs.NotFound)
		})
		t.Run("an invalid item is refused and nothing is stored", func(t *testing.T) {
			before := w.count(t, `SELECT count(*) FROM items`)
			bad := sample("x")
			bad.Key.Choices = []string{"Z"}
			_, err := w.bank.CreateItem(ctx, w.author, "HKCL", bad)
			wantKind(t, err, errs.Invalid)
			if errs.As(err).Fields["key.choices"] == "" {
				t.Fatalf("fields = %v", errs.As(err).Fields)
			}
			if w.count(t, `SELECT count(*) FROM items`) != before {
				t.Fatal("an invalid item was stored")
			}
		})
		t.Run("a draft is edited in place; a stale edit is refused", func(t *testing.T) {
			edit := sample("What is 2 + 2? (edited)")
			up, err := w.bank.UpdateItem(ctx, w.author, "HKCL", created.ID, 1, edit)
			if err != nil {
				t.Fatal(err)
			}
			if up.Version != 1 || up.Revision != 2 {
				t.Fatalf("after edit v%d r%d", up.Version, up.Revision)
			}
			_, err = w.bank.UpdateItem(ctx, w.author2, "HKCL", created.ID, 1, sample("lost update"))
			wantKind(t, err, errs.Conflict)
		})
		t.Run("review needs another author; publishing needs an approver", func(t *testing.T) {
			_, err := w.bank.SetStatus(ctx, w.author, "HKCL", created.ID, 2, assess.Reviewed)
			wantKind(t, err, errs.Conflict)
			_, err = w.bank.SetStatus(ctx, w.author2, "HKCL", created.ID, 2, assess.Published)
			wantKind(t, err, errs.Forbidden)
			_, err = w.bank.SetStatus(ctx, w.approver, "HKCL", created.ID, 2, assess.Published)
			wantKind(t, err, errs.Conflict) // a draft goes through review first
			r, err := w.bank.SetStatus(ctx, w.author2, "HKCL", created.ID, 2, assess.Reviewed)
			if err != nil || r.Status != assess.Reviewed {
				t.Fatalf("review: %v %v", r, err)
			}
			pub, err := w.bank.SetStatus(ctx, w.approver, "HKCL", created.ID, r.Revision, assess.Published)
			if err != nil || pub.Status != assess.Published {
				t.Fatalf("publish: %v %v", pub, err)
			}
			es, err := w.ids.ListAudit(ctx, w.otherAdmin, "NIOS", identity.AuditFilter{Action: "item.published"})
			if err != nil || len(es) != 0 {
				t.Fatalf("another authority sees the publication: %v %v", es, err)
			}
		})
		t.Run("editing a published item makes a new version and keeps the old", func(t *testing.T) {
			cur, _ := w.bank.Item(ctx, w.author, "HKCL", created.ID, 0)
			v2, err := w.bank.UpdateItem(ctx, w.author, "HKCL", created.ID, cur.Revision, sample("What is 3 + 1?"))
			if err != nil {
				t.Fatal(err)
			}
			if v2.Version != 2 || v2.Status != assess.Draft {
				t.Fatalf("v2 = v%d %s", v2.Version, v2.Status)
			}
			v1, err := w.bank.Item(ctx, w.author, "HKCL", created.ID, 1)
			if err != nil {
				t.Fatal(err)
			}
			if v1.Status != assess.Published || v1.Text["en"].Stem != "What is 2 + 2? (edited)" {
				t.Fatalf("version 1 changed: %s %q", v1.Status, v1.Text["en"].Stem)
			}
			_, err = w.bank.Item(ctx, w.author, "HKCL", created.ID, 9)
			wantKind(t, err, errs.NotFound)
			h, err := w.bank.History(ctx, w.grader, "HKCL", created.ID)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, e := range h {
				actions = append(actions, e.Actor+" "+e.Action)
			}
			want := "author@hkcl.test created|author@hkcl.test edited|author2@hkcl.test reviewed|approver@hkcl.test published|author@hkcl.test edited"
			if strings.Join(actions, "|") != want {
				t.Fatalf("history = %s", strings.Join(actions, "|"))
			}
		})
	})
}

func TestListItems(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		mk := func(stem, topic string, typ assess.ItemType, hindi bool) {
			it := sample(stem)
			it.Tags.Topic = topic
			if !hindi {
				delete(it.Text, "hi")
			}
			if typ == assess.Essay {
				it.Type, it.Choices, it.Key, it.Shuffle = assess.Essay, nil, assess.Key{}, false
				for l, tx := range it.Text {
					tx.Choices = nil
					it.Text[l] = tx
				}
			}
			if _, err := w.bank.CreateItem(ctx, w.author, "HKCL", it); err != nil {
				t.Fatal(err)
			}
		}
		mk("Refraction of light", "physics/optics", assess.SingleChoice, true)
		mk("Lenses and mirrors", "physics/optics", assess.SingleChoice, false)
		mk("Newton's laws", "physics/mechanics", assess.Essay, false)
		mk("Photosynthesis", "biology", assess.SingleChoice, true)
		if _, err := w.bank.CreateItem(ctx, w.otherAdmin, "NIOS", sample("Refraction elsewhere")); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    assess.ItemFilter
			want int
		}{
			{"all of this authority's", assess.ItemFilter{}, 4},
			{"an English word", assess.ItemFilter{Text: "refraction"}, 1},
			{"a Hindi word", assess.ItemFilter{Text: "हिंदी"}, 2},
			{"two words", assess.ItemFilter{Text: "lenses MIRRORS"}, 1},
			{"a LIKE wildcard is literal", assess.ItemFilter{Text: "%"}, 0},
			{"a topic and its subtopics", assess.ItemFilter{Topic: "physics"}, 3},
			{"a subtopic", assess.ItemFilter{Topic: "physics/optics"}, 2},
			{"a type", assess.ItemFilter{Type: assess.Essay}, 1},
			{"a language", assess.ItemFilter{Language: "hi"}, 2},
			{"a status", assess.ItemFilter{Status: assess.Published}, 0},
		} {
			items, _, err := w.bank.ListItems(ctx, w.grader, "HKCL", tc.f)
			if err != nil || len(items) != tc.want {
				t.Errorf("%s: %d items, %v; want %d", tc.name, len(items), err, tc.want)
			}
		}
		t.Run("pages cover everything once", func(t *testing.T) {
			seen := map[int64]bool{}
			f := assess.ItemFilter{Limit: 3}
			for range 5 {
				items, next, err := w.bank.ListItems(ctx, w.grader, "HKCL", f)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					if seen[it.ID] {
						t.Fatalf("item %d twice", it.ID)
					}
					seen[it.ID] = true
				}
				if next == "" {
					break
				}
				f.After = next
			}
			if len(seen) != 4 {
				t.Fatalf("saw %d items", len(seen))
			}
		})
		t.Run("bad filters are refused", func(t *testing.T) {
			for _, f := range []assess.ItemFilter{{After: "zz"}, {Type: "riddle"}, {Status: "lost"}, {Language: "fr"}} {
				_, _, err := w.bank.ListItems(ctx, w.grader, "HKCL", f)
				wantKind(t, err, errs.Invalid)
			}
		})
	})
}

// source makes an import source from a list of parsed items.
func source(ps ...assess.Parsed) assess.Source {
	return func(fn func(assess.Parsed) error) error {
		for _, p := range ps {
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestImport(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		existing, err := w.bank.CreateItem(ctx, w.author, "HKCL", sample("Already in the bank"))
		if err != nil {
			t.Fatal(err)
		}
		bad := assess.Parsed{Where: "line 9", Err: errs.E(errs.Invalid, "gift", "the answer block is not closed (missing })")}
		file := func() []assess.Parsed {
			return []assess.Parsed{
				{Item: sample("New one"), Where: "line 1", Ref: "q1"},
				bad,
				{Item: sample("New one"), Where: "line 12"},
				{Item: sample("Already in the bank"), Where: "line 15"},
				{Item: sample("Second new one"), Where: "line 18", Ref: "q2"},
			}
		}
		items := func() int { return w.count(t, `SELECT count(*) FROM items`) }
		before := items()

		t.Run("one rejected item means nothing is imported, and every item is reported", func(t *testing.T) {
			rep, err := w.bank.Import(ctx, w.author, "HKCL", source(file()...), assess.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Committed || items() != before || len(rep.Lines) != 5 || rep.Rejected != 1 {
				t.Fatalf("report %+v; items %d -> %d", rep, before, items())
			}
			if l := rep.Lines[1]; l.Outcome != assess.Rejected || l.Where != "line 9" || l.Reason != "the answer block is not closed (missing })" {
				t.Fatalf("rejected line = %+v", l)
			}
			if !strings.Contains(rep.Message, "Nothing was imported") {
				t.Fatalf("message = %q", rep.Message)
			}
		})
		t.Run("a preview changes nothing", func(t *testing.T) {
			rep, err := w.bank.Import(ctx, w.author, "HKCL", source(file()...), assess.ImportOptions{DryRun: true, ValidOnly: true})
			if err != nil || rep.Committed || items() != before || rep.Imported != 2 {
				t.Fatalf("preview %+v %v", rep, err)
			}
		})
		t.Run("the valid items can be imported on their own", func(t *testing.T) {
			rep, err := w.bank.Import(ctx, w.author, "HKCL", source(file()...), assess.ImportOptions{ValidOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			outcomes := []string{}
			for _, l := range rep.Lines {
				outcomes = append(outcomes, l.Outcome)
			}
			if got := strings.Join(outcomes, ","); got != "imported,rejected,duplicate,duplicate,imported" {
				t.Fatalf("outcomes %s", got)
			}
			if !rep.Committed || items() != before+2 || rep.Lines[3].ItemID != existing.ID {
				t.Fatalf("report %+v, items %d", rep, items())
			}
		})
		t.Run("a known source id with new content updates the item", func(t *testing.T) {
			changed := sample("New one, corrected")
			rep, err := w.bank.Import(ctx, w.author, "HKCL", source(assess.Parsed{Item: changed, Where: "line 1", Ref: "q1"}), assess.ImportOptions{})
			if err != nil || !rep.Committed || rep.Updated != 1 || items() != before+2 {
				t.Fatalf("report %+v %v", rep, err)
			}
			rep, err = w.bank.Import(ctx, w.author, "HKCL", source(assess.Parsed{Item: sample("New one, corrected"), Where: "line 1", Ref: "q1"}), assess.ImportOptions{})
			if err != nil || rep.Duplicates != 1 {
				t.Fatalf("same again: %+v %v", rep, err)
			}
		})
		t.Run("a file that cannot be read changes nothing", func(t *testing.T) {
			n := items()
			broken := func(fn func(assess.Parsed) error) error {
				if err := fn(assess.Parsed{Item: sample("Half a file"), Where: "line 1"}); err != nil {
					return err
				}
				return errs.E(errs.Invalid, "csv", "the file is not UTF-8 text: line 3, byte 17 is 0xE9")
			}
			_, err := w.bank.Import(ctx, w.author, "HKCL", broken, assess.ImportOptions{ValidOnly: true})
			wantKind(t, err, errs.Invalid)
			_, err = w.bank.Import(ctx, w.author, "HKCL", source(), assess.ImportOptions{})
			wantKind(t, err, errs.Invalid)
			if items() != n {
				t.Fatal("a failed import left items")
			}
		})
		t.Run("only authors and admins of the authority import", func(t *testing.T) {
			_, err := w.bank.Import(ctx, w.grader, "HKCL", source(file()...), assess.ImportOptions{})
			wantKind(t, err, errs.Forbidden)
			_, err = w.bank.Import(ctx, w.otherAdmin, "HKCL", source(file()...), assess.ImportOptions{})
			wantKind(t, err, errs.NotFound)
		})
		t.Run("imports are audited", func(t *testing.T) {
			es, err := w.ids.ListAudit(ctx, w.approverAsAdmin(t), "HKCL", identity.AuditFilter{Action: "items.import"})
			if err != nil || len(es) != 3 {
				t.Fatalf("audit entries %d %v", len(es), err)
			}
		})
	})
}

func (w *world) approverAsAdmin(t testing.TB) *identity.Principal {
	ctx := context.Background()
	u, err := w.ids.EnsureUser(ctx, "test", identity.NewUser{Email: "admin@hkcl.test", Name: "Admin", Roles: []identity.Role{identity.RoleAdmin}}, false, "HKCL")
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := w.ids.StartSessionFor(ctx, u.ID, "t")
	p, err := w.ids.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBulkChange(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		var ids []int64
		for _, stem := range []string{"one", "two", "three"} {
			it, err := w.bank.CreateItem(ctx, w.author, "HKCL", sample(stem))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, it.ID)
		}
		topic, hard := "maths/algebra", "hard"
		n, err := w.bank.Bulk(ctx, w.author, "HKCL", assess.BulkChange{IDs: ids[:2], Topic: &topic, Difficulty: &hard, AddLabels: []string{"2026"}})
		if err != nil || n != 2 {
			t.Fatalf("bulk tag: %d %v", n, err)
		}
		got, _ := w.bank.Item(ctx, w.author, "HKCL", ids[0], 0)
		if got.Tags.Topic != topic || got.Tags.Difficulty != "hard" || !slices.Contains(got.Tags.Labels, "2026") || got.Version != 1 || got.Revision != 2 {
			t.Fatalf("after bulk tag: %+v v%d r%d", got.Tags, got.Version, got.Revision)
		}
		items, _, _ := w.bank.ListItems(ctx, w.author, "HKCL", assess.ItemFilter{Topic: "maths/algebra"})
		if len(items) != 2 {
			t.Fatalf("filter by new topic: %d", len(items))
		}

		t.Run("one bad id changes nothing", func(t *testing.T) {
			nios, _ := w.bank.CreateItem(ctx, w.otherAdmin, "NIOS", sample("not yours"))
			easy := "easy"
			_, err := w.bank.Bulk(ctx, w.author, "HKCL", assess.BulkChange{IDs: []int64{ids[2], nios.ID}, Difficulty: &easy})
			wantKind(t, err, errs.NotFound)
			got, _ := w.bank.Item(ctx, w.author, "HKCL", ids[2], 0)
			if got.Tags.Difficulty != "easy" || got.Revision != 1 {
				t.Fatalf("partly applied: %+v r%d", got.Tags, got.Revision)
			}
			bad := "impossible"
			_, err = w.bank.Bulk(ctx, w.author, "HKCL", assess.BulkChange{IDs: ids, Difficulty: &bad})
			wantKind(t, err, errs.Invalid)
			_, err = w.bank.Bulk(ctx, w.author, "HKCL", assess.BulkChange{IDs: ids})
			wantKind(t, err, errs.Invalid)
		})
		t.Run("retiring needs an approver", func(t *testing.T) {
			_, err := w.bank.Bulk(ctx, w.author, "HKCL", assess.BulkChange{IDs: ids, Retire: true})
			wantKind(t, err, errs.Forbidden)
			n, err := w.bank.Bulk(ctx, w.approver, "HKCL", assess.BulkChange{IDs: ids, Retire: true})
			if err != nil || n != 3 {
				t.Fatalf("retire: %d %v", n, err)
			}
			items, _, _ := w.bank.ListItems(ctx, w.author, "HKCL", assess.ItemFilter{Status: assess.Retired})
			if len(items) != 3 {
				t.Fatalf("retired items: %d", len(items))
			}
			if n, _ := w.bank.Bulk(ctx, w.approver, "HKCL", assess.BulkChange{IDs: ids, Retire: true}); n != 0 {
				t.Fatalf("retiring again changed %d", n)
			}
		})
	})
}
