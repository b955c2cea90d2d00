package assess_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// BenchmarkGradeSubmitted grades submitted attempts of a 100-question
// exam end to end: read the answers, work out each paper, score, write
// the results, for 20,000 attempts; the per-attempt time scales to the
// 450,000 of the target (s/450k).
//
//	go test -run XXX -bench GradeSubmitted -benchtime 1x ./internal/assess/
func BenchmarkGradeSubmitted(b *testing.B) {
	attempts := 20_000
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *database.DB
			if engine == "sqlite" {
				db = dbtest.SQLite(b)
			} else {
				db = dbtest.Postgres(b)
			}
			ctx := context.Background()
			w := newWorld(b, db)
			admin := w.approverAsAdmin(b)
			var qs []assess.Question
			for i := range 100 {
				it := sample(fmt.Sprintf("Question %d?", i))
				qs = append(qs, assess.Question{ItemID: w.published(b, it).ID})
			}
			tst, err := w.bank.CreateTest(ctx, w.author, "HKCL", &assess.Test{Kind: assess.Exam, Title: "Bench", Languages: []string{"en", "hi"}, Duration: 3600,
				Sections: []assess.Section{{ID: "A", Shuffle: true, ShuffleChoices: true, Questions: qs}}})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.bank.PublishTest(ctx, w.approver, "HKCL", tst.ID, tst.Revision); err != nil {
				b.Fatal(err)
			}
			e, err := w.bank.CreateExam(ctx, admin, "HKCL", tst.ID, 0, "Bench")
			if err != nil {
				b.Fatal(err)
			}
			// Candidates and submitted attempts with 100 answers each,
			// written directly: the set-up is not what is measured.
			now := time.Now().UTC()
			err = db.InTx(ctx, func(tx *database.Tx) error {
				for start := 0; start < attempts; start += 500 {
					var c, a strings.Builder
					c.WriteString(`INSERT INTO candidates (exam_id, roll_no, name, created_at) VALUES `)
					for i := start; i < start+500; i++ {
						if i > start {
							c.WriteByte(',')
						}
						fmt.Fprintf(&c, "(%d, 'B%07d', 'Bench', '%s')", e.ID, i, now.Format("2006-01-02 15:04:05"))
					}
					if _, err := tx.Exec(ctx, c.String()); err != nil {
						return err
					}
					a.WriteString(`INSERT INTO attempts (authority_id, test_id, test_version, exam_id, candidate_id, seed, started_at, deadline, submitted_at, submitted_by)
						SELECT $1, $2, 1, $3, id, '', $4, $4, $4, 'deadline' FROM candidates WHERE exam_id = $3 AND id NOT IN (SELECT candidate_id FROM attempts WHERE candidate_id IS NOT NULL)`)
					if _, err := tx.Exec(ctx, a.String(), e.AuthorityID, tst.ID, e.ID, now); err != nil {
						return err
					}
				}
				for _, q := range qs {
					if _, err := tx.Exec(ctx, `INSERT INTO responses (attempt_id, item_id, seq, response, marked, saved_at)
						SELECT id, $1, 1, $2, FALSE, $3 FROM attempts WHERE exam_id = $4`, q.ItemID, `{"choices":["B"]}`, now, e.ID); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			d, err := assess.NewDelivery(w.bank, slog.New(slog.NewTextHandler(io.Discard, nil)), assess.DeliveryOptions{Key: []byte("0123456789abcdef0123456789abcdef")})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			b.ResetTimer()
			start := time.Now()
			n, err := d.GradeSubmitted(ctx, attempts+1)
			if err != nil || n != attempts {
				b.Fatalf("graded %d, %v", n, err)
			}
			el := time.Since(start)
			b.ReportMetric(float64(n)/el.Seconds(), "attempts/s")
			b.ReportMetric(el.Seconds()/float64(n)*450_000, "s/450k")
		})
	}
}
