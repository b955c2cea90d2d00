package assess_test

import (
	"context"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestTaxonomy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		admin := w.approverAsAdmin(t)
		topical := func(topic string) *assess.Item {
			it := sample("About " + topic)
			it.Tags.Topic = topic
			return it
		}

		t.Run("without a taxonomy any topic is taken", func(t *testing.T) {
			if _, err := w.bank.CreateItem(ctx, w.author, "HKCL", topical("anything/goes")); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("administrators define it; parents come along", func(t *testing.T) {
			_, err := w.bank.AddTopic(ctx, w.author, "HKCL", assess.Topic{Path: "physics/optics"})
			wantKind(t, err, errs.Forbidden)
			_, err = w.bank.AddTopic(ctx, w.otherAdmin, "HKCL", assess.Topic{Path: "physics/optics"})
			wantKind(t, err, errs.NotFound)
			for _, bad := range []string{"", "/", "physics//optics", "a/b/c/d/e/f/g/h/i", "-dash", "has space"} {
				_, err := w.bank.AddTopic(ctx, admin, "HKCL", assess.Topic{Path: bad})
				wantKind(t, err, errs.Invalid)
			}
			if _, err := w.bank.AddTopic(ctx, admin, "HKCL", assess.Topic{Path: "physics/optics", NameEN: "Optics", NameHI: "प्रकाशिकी"}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.bank.AddTopic(ctx, admin, "HKCL", assess.Topic{Path: "गणित/बीजगणित"}); err != nil {
				t.Fatalf("a Hindi topic path: %v", err)
			}
			ts, err := w.bank.Topics(ctx, w.grader, "HKCL")
			if err != nil || len(ts) != 4 || ts[0].Path != "physics" || ts[1].NameHI != "प्रकाशिकी" {
				t.Fatalf("topics = %+v, %v", ts, err)
			}
		})
		t.Run("once defined, items must use it", func(t *testing.T) {
			_, err := w.bank.CreateItem(ctx, w.author, "HKCL", topical("chemistry"))
			wantKind(t, err, errs.Invalid)
			if errs.As(err).Fields["tags.topic"] == "" {
				t.Fatalf("fields = %v", errs.As(err).Fields)
			}
			it, err := w.bank.CreateItem(ctx, w.author, "HKCL", topical("physics/optics"))
			if err != nil {
				t.Fatal(err)
			}
			chem := "chemistry"
			_, err = w.bank.Bulk(ctx, w.author, "HKCL", assess.BulkChange{IDs: []int64{it.ID}, Topic: &chem})
			wantKind(t, err, errs.Invalid)
			// Items from before the taxonomy keep their topic when edited otherwise.
			old, _, _ := w.bank.ListItems(ctx, w.author, "HKCL", assess.ItemFilter{Topic: "anything"})
			edit := topical("anything/goes")
			edit.Text["en"] = assess.Text{Stem: "Edited", Choices: edit.Text["en"].Choices}
			if _, err := w.bank.UpdateItem(ctx, w.author, "HKCL", old[0].ID, old[0].Revision, edit); err != nil {
				t.Fatalf("editing an item whose topic predates the taxonomy: %v", err)
			}
		})
		t.Run("imports reject unknown topics unless asked to add them", func(t *testing.T) {
			rep, err := w.bank.Import(ctx, w.author, "HKCL", source(assess.Parsed{Item: topical("biology/cells"), Where: "line 1"}), assess.ImportOptions{})
			if err != nil || rep.Rejected != 1 || rep.Committed {
				t.Fatalf("unknown topic: %+v %v", rep, err)
			}
			rep, err = w.bank.Import(ctx, w.author, "HKCL", source(assess.Parsed{Item: topical("biology/cells"), Where: "line 1"}), assess.ImportOptions{AddTopics: true})
			if err != nil || rep.Imported != 1 || !rep.Committed {
				t.Fatalf("adding topics: %+v %v", rep, err)
			}
			ts, _ := w.bank.Topics(ctx, w.author, "HKCL")
			paths := ""
			for _, t := range ts {
				paths += t.Path + " "
			}
			if paths != "biology biology/cells physics physics/optics गणित गणित/बीजगणित " {
				t.Fatalf("topics after import: %s", paths)
			}
			// Naming an existing topic in a file does not wipe its names.
			if ts[3].NameEN != "Optics" {
				t.Fatalf("names lost: %+v", ts[3])
			}
		})
		t.Run("a topic in use or with subtopics stays", func(t *testing.T) {
			wantKind(t, w.bank.RemoveTopic(ctx, admin, "HKCL", "physics"), errs.Conflict)
			wantKind(t, w.bank.RemoveTopic(ctx, admin, "HKCL", "physics/optics"), errs.Conflict)
			wantKind(t, w.bank.RemoveTopic(ctx, admin, "HKCL", "nothing"), errs.NotFound)
			wantKind(t, w.bank.RemoveTopic(ctx, w.author, "HKCL", "गणित/बीजगणित"), errs.Forbidden)
			if err := w.bank.RemoveTopic(ctx, admin, "HKCL", "गणित/बीजगणित"); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("a topic filter does not treat _ as a wildcard", func(t *testing.T) {
			if _, err := w.bank.AddTopic(ctx, admin, "HKCL", assess.Topic{Path: "a_b/c"}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.bank.AddTopic(ctx, admin, "HKCL", assess.Topic{Path: "axb/c"}); err != nil {
				t.Fatal(err)
			}
			if _, err := w.bank.CreateItem(ctx, w.author, "HKCL", topical("axb/c")); err != nil {
				t.Fatal(err)
			}
			items, _, err := w.bank.ListItems(ctx, w.author, "HKCL", assess.ItemFilter{Topic: "a_b"})
			if err != nil || len(items) != 0 {
				t.Fatalf("a_b matched %d items: %v", len(items), err)
			}
		})
	})
}
