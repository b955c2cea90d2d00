package certify

import (
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// FuzzReadCSV feeds arbitrary files to the batch reader: it must never
// panic, must refuse with a user's error (Invalid or TooLarge) rather than
// anything else, and rows it accepts hold only the type's columns.
func FuzzReadCSV(f *testing.F) {
	schema := []rules.Field{
		{Name: FieldHolderID, Label: "Roll", Type: rules.String, Required: true},
		{Name: FieldHolderName, Label: "Name", Type: rules.String, Required: true},
		{Name: "result.percent", Label: "Percent", Type: rules.Number},
	}
	for _, s := range []string{
		"holder.id,holder.name,result.percent\nR1,Asha,72.5\n",
		"\xef\xbb\xbfholder.id,holder.name\nR1,\"Verma, Asha\"\n",
		"holder.id,holder.name\nR1\n",
		"holder.id,holder.name,holder.name\n",
		"holder.id,holder.name\n\"unterminated\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		recs, err := readCSV(strings.NewReader(in), schema)
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid && k != errs.TooLarge {
				t.Fatalf("error of kind %s: %v", k, err)
			}
			return
		}
		if len(recs.rows) == 0 || len(recs.rows) != len(recs.lines) {
			t.Fatalf("%d rows, %d lines", len(recs.rows), len(recs.lines))
		}
		for _, row := range recs.rows {
			for k := range row {
				if k != rowProblemKey && k != FieldHolderID && k != FieldHolderName && k != "result.percent" {
					t.Fatalf("a row has the column %q", k)
				}
			}
		}
	})
}

// TestReadCSVRefusesTooLargeFiles: a file over the limit is refused as too
// large, wherever the limit falls, never read as a shorter file whose last
// row was cut; a file of exactly the limit is read whole.
func TestReadCSVRefusesTooLargeFiles(t *testing.T) {
	schema := []rules.Field{
		{Name: FieldHolderID, Label: "Roll", Type: rules.String, Required: true},
		{Name: FieldHolderName, Label: "Name", Type: rules.String, Required: true},
	}
	var b strings.Builder
	b.WriteString("holder.id,holder.name\n")
	for i := range 100 {
		b.WriteString("R" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + ",Asha Verma\n")
	}
	file := b.String()
	recs, err := readCSVMax(strings.NewReader(file), schema, int64(len(file)))
	if err != nil || len(recs.rows) != 100 {
		t.Fatalf("a file of exactly the limit: %v rows, %v", recs, err)
	}
	for _, limit := range []int64{10, int64(len(file)) / 2, int64(len(file)) - 1} {
		if _, err := readCSVMax(strings.NewReader(file), schema, limit); !errs.Is(err, errs.TooLarge) {
			t.Errorf("limit %d of %d bytes: %v, want TooLarge", limit, len(file), err)
		}
	}
}
