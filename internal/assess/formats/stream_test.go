package formats_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func tf(id int64, stem string) *assess.Item {
	return &assess.Item{ID: id, Type: assess.TrueFalse, Choices: []assess.Choice{{ID: "true"}, {ID: "false"}},
		Text: map[string]assess.Text{"en": {Stem: stem}}, Key: assess.Key{Choices: []string{"true"}}, Scoring: assess.Scoring{Marks: 1}}
}

// seq yields items, then err if it is set; it counts the passes over it.
func seq(passes *int, err error, items ...*assess.Item) formats.Items {
	return func(yield func(*assess.Item, error) bool) {
		*passes++
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if err != nil {
			yield(nil, err)
		}
	}
}

func TestWriteStream(t *testing.T) {
	ordering := &assess.Item{ID: 9, Type: assess.Ordering, Choices: []assess.Choice{{ID: "A"}, {ID: "B"}},
		Text: map[string]assess.Text{"en": {Stem: "Order", Choices: map[string]string{"A": "a", "B": "b"}}},
		Key:  assess.Key{Choices: []string{"B", "A"}}, Scoring: assess.Scoring{Marks: 1, Partial: true}}

	t.Run("CSV and GIFT check every item before writing anything", func(t *testing.T) {
		for format, want := range map[string]string{formats.CSVOut: "item 9: the layout has no column for partial credit", formats.GIFTOut: "item 9:"} {
			var buf bytes.Buffer
			passes := 0
			err := formats.WriteStream(&buf, format, seq(&passes, nil, tf(1, "one"), tf(2, "two"), ordering), formats.WriteOptions{})
			if !errs.Is(err, errs.Unsupported) || !strings.Contains(err.Error(), want) || buf.Len() != 0 || passes != 1 {
				t.Errorf("%s: %v; wrote %d bytes in %d passes", format, err, buf.Len(), passes)
			}
		}
	})
	t.Run("CSV and GIFT write in a second pass, CSV with the columns the items need", func(t *testing.T) {
		var buf bytes.Buffer
		passes := 0
		if err := formats.WriteStream(&buf, formats.CSVOut, seq(&passes, nil, tf(1, "one"), tf(2, "two")), formats.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if passes != 2 || !strings.HasPrefix(buf.String(), "id,type,stem_en,correct,marks\n1,true_false,one,true,1\n") {
			t.Errorf("%d passes: %q", passes, buf.String())
		}
	})
	t.Run("QTI writes in one pass", func(t *testing.T) {
		var buf bytes.Buffer
		passes := 0
		if err := formats.WriteStream(&buf, formats.QTI21, seq(&passes, nil, tf(1, "one"), ordering), formats.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || passes != 1 || len(zr.File) != 3 {
			t.Errorf("%d passes, %v", passes, err)
		}
	})
	t.Run("a read error stops every format", func(t *testing.T) {
		broken := errors.New("database gone")
		for _, format := range formats.Export {
			passes := 0
			err := formats.WriteStream(&bytes.Buffer{}, format, seq(&passes, broken, tf(1, "one")), formats.WriteOptions{})
			if !errors.Is(err, broken) {
				t.Errorf("%s: %v", format, err)
			}
		}
	})
}
