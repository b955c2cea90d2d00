package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// TestKilledIssuerIssuesEachCertificateOnce approves a batch, lets a
// server process issue it through its jobs, kills that process with
// SIGKILL mid-batch, then finishes the batch with `vidya certs issue`:
// every row must end with exactly one certificate, with its files, and
// no certificate may exist for anyone else.
func TestKilledIssuerIssuesEachCertificateOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	run := func(t *testing.T, databaseURL string) {
		t.Parallel()
		const rows = 3000
		dir := t.TempDir()
		addr := freeAddr(t)
		base := "http://" + addr
		c := Config{DataDir: dir, DatabaseURL: databaseURL, Listen: addr, BaseURL: base, AllowSignUp: "false", TrustProxy: "false",
			LogLevel: "error", SMTPTLS: "starttls", SMTPPort: "587", SecretKey: strings.Repeat("ef", 32)}
		s, err := c.validate()
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		sys, err := start(ctx, s, slog.New(slog.NewJSONHandler(io.Discard, nil)), roleAll)
		if err != nil {
			t.Fatal(err)
		}
		batchID := seedBatch(t, sys, rows)
		sys.close(ctx)

		env := map[string]string{"VIDYA_DATA_DIR": dir, "VIDYA_DATABASE_URL": databaseURL, "VIDYA_LISTEN": addr, "VIDYA_BASE_URL": base,
			"VIDYA_SECRET_KEY": c.SecretKey, "VIDYA_LOG_LEVEL": "error", "VIDYA_BLOB_URL": "", "VIDYA_ROLE": "all"}
		var list []string
		for k, v := range env {
			list = append(list, k+"="+v)
		}
		db, err := database.Open(ctx, s.databaseURL, database.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		issued := func() (n int, state string) {
			if err := db.QueryRow(ctx, `SELECT issued, state FROM cert_batches WHERE id = $1`, batchID).Scan(&n, &state); err != nil {
				t.Fatal(err)
			}
			return n, state
		}

		child := startChild(t, list, base)
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			n, state := issued()
			if state != certify.BatchIssuing {
				t.Fatalf("the batch is %s with %d issued before the kill: the test proves nothing", state, n)
			}
			if n >= 250 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server issued only %d certificates in a minute", n)
			}
		}
		if err := child.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = child.cmd.Wait()
		atKill, _ := issued()
		if atKill >= rows {
			t.Fatalf("all %d issued before the kill landed", atKill)
		}
		t.Logf("%d of %d certificates issued when the server was killed", atKill, rows)

		// Finish the batch from the command line, as an operator would.
		var out, errOut bytes.Buffer
		err = Run(ctx, []string{"certs", "issue", "--batch", strconv.FormatInt(batchID, 10)}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		if err != nil {
			t.Fatalf("certs issue: %v\n%s", err, errOut.String())
		}
		if want := fmt.Sprintf("batch %d done: %d issued, 0 failed", batchID, rows); !strings.Contains(out.String(), want) {
			t.Fatalf("certs issue printed %q, want %q", out.String(), want)
		}

		// Exactly one certificate per row, for the right holder, and the
		// row points at it.
		var certs, holders, rowsWith, matched, distinctDocs int
		if err := db.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT holder_id), COUNT(DISTINCT row_no), COUNT(DISTINCT doc_id) FROM certificates WHERE batch_id = $1`, batchID).
			Scan(&certs, &holders, &rowsWith, &distinctDocs); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM cert_batch_rows r JOIN certificates c ON c.batch_id = r.batch_id AND c.row_no = r.row_no AND c.doc_id = r.doc_id
			WHERE r.batch_id = $1 AND r.state = 'issued' AND c.holder_id = r.holder_id`, batchID).Scan(&matched); err != nil {
			t.Fatal(err)
		}
		if certs != rows || holders != rows || rowsWith != rows || distinctDocs != rows || matched != rows {
			t.Fatalf("after the kill and the resume: %d certificates for %d holders and %d rows (%d distinct ids), %d rows matched; want %d of each",
				certs, holders, rowsWith, distinctDocs, matched, rows)
		}
		var strays int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM certificates`).Scan(&strays); err != nil || strays != rows {
			t.Fatalf("%d certificates in all (%v), want %d", strays, err, rows)
		}
		// Packs the killed server stored but never committed are removed
		// by the clean-up; the certificates' own stay (checked below).
		sys, err = start(ctx, s, slog.New(slog.NewJSONHandler(io.Discard, nil)), roleWeb)
		if err != nil {
			t.Fatal(err)
		}
		removed, _, err := sys.certify.RemoveOrphanPacks(ctx, -time.Minute)
		sys.close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d packs the kill left unnamed were removed", removed)
		// Every certificate has its PDF and credential.
		files, err := blob.Open(ctx, s.blobURL, nil, func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		defer files.Close()
		docs, err := db.Query(ctx, `SELECT doc_id, file_pack, pdf_offset, pdf_size, pdf_sha256, credential_offset, credential_size, credential_sha256 FROM certificates`)
		if err != nil {
			t.Fatal(err)
		}
		defer docs.Close()
		packs := map[string]bool{}
		for docs.Next() {
			var doc, pack, pdfSum, credSum string
			var pdfAt, pdfLen, credAt, credLen int64
			if err := docs.Scan(&doc, &pack, &pdfAt, &pdfLen, &pdfSum, &credAt, &credLen, &credSum); err != nil {
				t.Fatal(err)
			}
			packs[pack] = true
			for _, f := range []struct {
				what    string
				at, len int64
				sum     string
			}{{"PDF", pdfAt, pdfLen, pdfSum}, {"credential", credAt, credLen, credSum}} {
				rc, _, err := files.Get(ctx, pack, &blob.Range{Offset: f.at, Length: f.len})
				if err != nil {
					t.Fatalf("certificate %s: its %s: %v", doc, f.what, err)
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if sum := sha256.Sum256(data); err != nil || int64(len(data)) != f.len || hex.EncodeToString(sum[:]) != f.sum {
					t.Fatalf("certificate %s: its %s (%d bytes at %d of %s) does not match its hash: %v", doc, f.what, f.len, f.at, pack, err)
				}
				if f.what == "PDF" && (!bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(data), []byte("%%EOF"))) {
					t.Fatalf("certificate %s: its PDF range is not a whole PDF file", doc)
				}
			}
		}
		if err := docs.Err(); err != nil {
			t.Fatal(err)
		}
		// A chunk's certificates share a pack: far fewer packs than
		// certificates (a chunk cut short by the kill has one of its own).
		if len(packs) > rows/100 {
			t.Errorf("%d packs for %d certificates", len(packs), rows)
		}
		stored := 0
		if err := files.List(ctx, "certificates/", func(i blob.Info) error {
			if strings.HasSuffix(i.Key, ".pack") {
				stored++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if stored != len(packs) {
			t.Errorf("%d packs stored, %d named by certificates: the clean-up left orphans", stored, len(packs))
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, "") })
	t.Run("postgres", func(t *testing.T) {
		u := dbtest.PostgresURL(t)
		schema := dbtest.NewSchema(t, u)
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		run(t, u+sep+"search_path="+schema)
	})
}

// seedBatch makes authority CRT with a signing key and a certificate
// type, and an approved batch of n rows; it returns the batch's id.
func seedBatch(t *testing.T, sys *system, n int) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := sys.identity.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: "CRT", Name: "Certificate board"}); err != nil {
		t.Fatal(err)
	}
	person := func(email string, role identity.Role) *identity.Principal { return member(t, sys, "CRT", email, role) }
	admin, approver := person("admin@crt.test", identity.RoleAdmin), person("approver@crt.test", identity.RoleApprover)
	if _, err := sys.certify.RotateKey(ctx, admin, "CRT"); err != nil {
		t.Fatal(err)
	}
	def := certify.Definition{
		Name:        "Course completion",
		Achievement: certify.AchievementDef{Name: "Digital literacy course", Description: "Completed the course"},
		Fields:      []certify.FieldDef{{Name: "result.percent", Label: "Percent", Type: rules.Number, Required: true}},
		Rules:       []certify.RuleDef{{Name: "pass", Expr: "result.percent >= 40.0", Message: "below the pass mark"}},
		Template: pdf.Template{Page: pdf.Page{Size: "A4", Orientation: "landscape"}, Elements: []pdf.Element{
			{Type: pdf.ElemText, Field: certify.FieldHolderName, X: 20, Y: 40, Width: 200, Size: 24, Shrink: true},
			{Type: pdf.ElemText, Field: certify.FieldDocID, X: 20, Y: 100, Width: 100, Size: 10},
			{Type: pdf.ElemQR, X: 230, Y: 150, Size: 40},
		}},
	}
	if _, err := sys.certify.SaveType(ctx, admin, "CRT", "course", def); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("holder.id,holder.name,result.percent\n")
	for i := range n {
		fmt.Fprintf(&csv, "R%05d,Learner %d,%d\n", i, i, 40+i%60)
	}
	b, err := sys.certify.CreateBatch(ctx, admin, "CRT", certify.BatchInput{Type: "course", Source: "October 2026", CSV: strings.NewReader(csv.String())})
	if err != nil {
		t.Fatal(err)
	}
	if b.Valid != n {
		t.Fatalf("%d valid rows of %d", b.Valid, n)
	}
	if _, err := sys.certify.Decide(ctx, approver, "CRT", b.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	return b.ID
}
