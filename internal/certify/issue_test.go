package certify_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// issuing is a world whose service has a blob store and records the
// chunks an approval enqueues.
type issuing struct {
	*world
	mu     sync.Mutex
	chunks []certify.Chunk
}

func newIssuing(t *testing.T, db *database.DB) *issuing {
	t.Helper()
	w := newWorld(t, db)
	st := w.blobs
	is := &issuing{world: w}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var err error
	w.svc, err = certify.NewService(db, w.ids, log, certify.Options{KeyEncryptionKey: w.kek, BaseURL: "https://vidya.example", Blobs: st,
		Enqueue: func(ctx context.Context, tx *database.Tx, cs []certify.Chunk) error {
			is.mu.Lock()
			defer is.mu.Unlock()
			is.chunks = append(is.chunks, cs...)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return is
}

// marksheet is a certificate type with a Hindi name, a course, a
// percentage with a pass rule, and a QR code.
func marksheet() certify.Definition {
	return certify.Definition{
		Name:        "Secondary marksheet",
		Achievement: certify.AchievementDef{Name: "Secondary School Examination", Description: "Passed the secondary school examination", Criteria: "40% or more"},
		Fields: []certify.FieldDef{
			{Name: "holder.name_hi", Label: "नाम", Type: rules.String},
			{Name: "result.percent", Label: "Percent", Type: rules.Number, Required: true},
			{Name: "holder.dob", Label: "Date of birth", Type: rules.Date},
		},
		Rules: []certify.RuleDef{{Name: "pass mark", Expr: "result.percent >= 40.0", Message: "scored below 40%"}},
		Template: pdf.Template{
			Page: pdf.Page{Size: "A4", Orientation: "landscape"},
			Elements: []pdf.Element{
				{Type: pdf.ElemText, Field: certify.FieldHolderName, X: 20, Y: 40, Width: 200, Size: 24, Shrink: true},
				{Type: pdf.ElemText, Field: "holder.name_hi", X: 20, Y: 60, Width: 200, Size: 24, Lang: "hi", Shrink: true},
				{Type: pdf.ElemText, Field: certify.FieldAchievement, X: 20, Y: 80, Width: 200, Size: 14},
				{Type: pdf.ElemText, Field: certify.FieldDocID, X: 20, Y: 100, Width: 100, Size: 10},
				{Type: pdf.ElemQR, X: 230, Y: 150, Size: 40},
			},
		},
	}
}

const goodCSV = "holder.id,holder.name,holder.name_hi,result.percent,holder.dob\n" +
	"R001,Asha Verma,आशा वर्मा,72.5,05-03-2008\n" +
	"R002,Ravi Kumar,रवि कुमार,39,2008-01-01\n" + // fails the pass mark
	"R003,Meena Iyer,,81,31-02-2008\n" + // no such day
	"R001,Asha Again,,90,\n" + // R001 twice
	"R004,Kiran Rao,किरण राव,55\n" + // one cell short
	"R005,Arjun Singh,अर्जुन सिंह,40,\n"

func TestIssueFromCSV(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		is := newIssuing(t, db)
		svc := is.svc
		if _, err := svc.SaveType(ctx, is.admin, "HKCL", "marksheet", marksheet()); err != nil {
			t.Fatal(err)
		}
		b, err := svc.CreateBatch(ctx, is.admin, "HKCL", certify.BatchInput{Type: "marksheet", Source: "Secondary exam March 2026", CSV: strings.NewReader(goodCSV)})
		if err != nil {
			t.Fatal(err)
		}
		if b.Total != 6 || b.Valid != 2 || b.Rejected != 4 || b.State != certify.BatchPending {
			t.Fatalf("batch %+v: want 6 rows, 2 valid, 4 rejected, pending", b)
		}
		rej, err := svc.BatchRows(ctx, is.approver, "HKCL", b.ID, certify.RowRejected, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{3: "pass mark: scored below 40%", 4: "holder.dob", 5: "appears again; first on row 2", 6: "the row has 4 cells but the header has 5"}
		for _, r := range rej {
			if w := want[r.Row]; w == "" || !strings.Contains(strings.Join(r.Problems, "|"), w) {
				t.Errorf("row %d: problems %q, want one with %q", r.Row, r.Problems, w)
			}
			delete(want, r.Row)
		}
		if len(want) > 0 {
			t.Errorf("rows not rejected: %v", want)
		}
		var report bytes.Buffer
		if err := svc.WriteRejections(ctx, is.approver, "HKCL", b.ID, &report, nil); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(report.String(), "\n"); got != 5 || !strings.Contains(report.String(), "scored below 40%") {
			t.Errorf("rejection report:\n%s", report.String())
		}

		// Maker-checker: the maker cannot approve, nor can anyone without
		// the approver role, nor another authority.
		_, err = svc.Decide(ctx, is.admin, "HKCL", b.ID, true, "")
		wantKind(t, err, errs.Forbidden)
		both := is.principal("both@hkcl.test", "HKCL", identity.RoleApprover)
		_, err = svc.Decide(ctx, is.nioAdmin, "HKCL", b.ID, true, "")
		if err == nil {
			t.Fatal("another authority's admin approved")
		}
		// No signing key yet: refused, nothing changes.
		_, err = svc.Decide(ctx, is.approver, "HKCL", b.ID, true, "")
		if e := errs.As(err); e == nil || e.Code != certify.CodeNoSigningKey {
			t.Fatalf("approving without a key: %v", err)
		}
		if _, err := svc.RotateKey(ctx, is.admin, "HKCL"); err != nil {
			t.Fatal(err)
		}
		if b, err = svc.Decide(ctx, both, "HKCL", b.ID, true, "checked samples"); err != nil {
			t.Fatal(err)
		}
		if b.State != certify.BatchIssuing || len(is.chunks) != 1 || is.chunks[0].From != 2 || is.chunks[0].To != 7 {
			t.Fatalf("after approval: state %s, chunks %+v", b.State, is.chunks)
		}
		if _, err := svc.Decide(ctx, is.approver, "HKCL", b.ID, true, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("approving twice: %v", err)
		}
		if err := svc.IssueChunk(ctx, is.chunks[0]); err != nil {
			t.Fatal(err)
		}
		// Running the chunk again issues nothing more.
		if err := svc.IssueChunk(ctx, is.chunks[0]); err != nil {
			t.Fatal(err)
		}
		if b, err = svc.Batch(ctx, is.admin, "HKCL", b.ID); err != nil {
			t.Fatal(err)
		}
		if b.State != certify.BatchDone || b.Issued != 2 || b.Remaining() != 0 {
			t.Fatalf("after issuing: %+v", b)
		}
		issued, err := svc.BatchRows(ctx, is.admin, "HKCL", b.ID, certify.RowIssued, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		if len(issued) != 2 {
			t.Fatalf("%d rows issued, want 2", len(issued))
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM certificates`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d certificates (%v), want 2", n, err)
		}
		asha := issued[0]
		if asha.HolderID != "R001" || !certify.ValidDocID(asha.DocID) {
			t.Fatalf("first issued row %+v", asha)
		}
		checkCertificate(t, ctx, is, asha.DocID, "Asha Verma")

		// A second batch from the same source rejects holders who have the
		// certificate already.
		b2, err := svc.CreateBatch(ctx, is.admin, "HKCL", certify.BatchInput{Type: "marksheet", Source: "secondary  exam march 2026", CSV: strings.NewReader(goodCSV)})
		if err != nil {
			t.Fatal(err)
		}
		if b2.Valid != 0 {
			t.Fatalf("re-uploading the file: %d valid rows, want 0", b2.Valid)
		}
		if _, err := svc.Decide(ctx, is.approver, "HKCL", b2.ID, true, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("approving a batch with nothing to issue: %v", err)
		}
	})
}

// checkCertificate verifies a certificate every way it can be presented,
// tampers with each, revokes it and re-issues it.
func checkCertificate(t *testing.T, ctx context.Context, is *issuing, docID, holder string) {
	t.Helper()
	svc := is.svc
	v, err := svc.Lookup(ctx, docID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != certify.StatusValid || v.Holder != holder || v.Issuer != "HKCL Board" || v.Achievement != "Secondary School Examination" {
		t.Fatalf("lookup: %+v", v)
	}
	cred, err := svc.CertificateFile(ctx, is.admin, "HKCL", docID, "json")
	if err != nil {
		t.Fatal(err)
	}
	pdfData, err := svc.CertificateFile(ctx, is.admin, "HKCL", docID, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CertificateFile(ctx, is.nioAdmin, "NIOS", docID, "pdf"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another authority read the PDF: %v", err)
	}
	if !bytes.HasPrefix(pdfData, []byte("%PDF-")) {
		t.Fatal("the PDF is not a PDF")
	}
	// The credential: Open Badges 3.0, signed, names its status entry.
	var oc vc.OpenBadgeCredential
	if err := json.Unmarshal(cred, &oc); err != nil {
		t.Fatal(err)
	}
	if oc.CredentialSubject.HolderName() != holder || oc.CredentialStatus == nil || oc.ID != "https://vidya.example/v/"+docID {
		t.Fatalf("credential: %s", cred)
	}
	idx, _ := oc.CredentialStatus.Index()
	for name, tc := range map[string]struct {
		ct   string
		body []byte
		want string
	}{
		"credential":          {"application/json", cred, certify.StatusValid},
		"tampered credential": {"application/json", bytes.Replace(cred, []byte(holder), []byte("Someone Else"), 1), certify.StatusTampered},
		"PDF":                 {"application/pdf", pdfData, certify.StatusValid},
		"altered PDF":         {"application/pdf", append(bytes.Clone(pdfData), ' '), certify.StatusUnknown},
	} {
		v, err := svc.Verify(ctx, tc.ct, tc.body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if v.Status != tc.want {
			t.Errorf("%s: status %s (%s), want %s", name, v.Status, v.Message, tc.want)
		}
	}
	// The QR code: the verify URL with a signed payload that checks offline.
	url := qrOf(t, ctx, is, docID)
	if !strings.HasPrefix(url, "https://vidya.example/v/"+docID+"#") {
		t.Fatalf("QR URL %q", url)
	}
	payload := url[strings.IndexByte(url, '#')+1:]
	pub := is.svc.PrivateKeyForTest(ctx, t, "HKCL").Public()
	claims, err := vc.DecodeQR(payload, func(string) (ed25519.PublicKey, error) { return pub.(ed25519.PublicKey), nil })
	if err != nil || claims.Holder != holder || claims.DocID != docID {
		t.Fatalf("offline QR check: %+v, %v", claims, err)
	}
	if v, err := svc.Verify(ctx, "text/plain", []byte(url)); err != nil || v.Status != certify.StatusValid {
		t.Fatalf("QR verify: %+v %v", v, err)
	}
	bad := []byte(payload)
	bad[40] ^= 1
	if v, err := svc.Verify(ctx, "text/plain", bad); err == nil && v.Status == certify.StatusValid {
		t.Fatalf("an altered QR payload verified: %+v", v)
	}
	if _, err := svc.Verify(ctx, "image/gif", []byte("GIF89a")); !errs.Is(err, errs.Unsupported) {
		t.Fatalf("a GIF: %v", err)
	}

	// Revoke: the status list is signed again with the bit set.
	if _, err := svc.Revoke(ctx, is.admin, "HKCL", docID, ""); !errs.Is(err, errs.Invalid) {
		t.Fatalf("revoking without a reason: %v", err)
	}
	if _, err := svc.Revoke(ctx, is.nioAdmin, "NIOS", docID, "x"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another authority revoked: %v", err)
	}
	if _, err := svc.Revoke(ctx, is.admin, "HKCL", docID, "issued in error"); err != nil {
		t.Fatal(err)
	}
	if v, _ := svc.Lookup(ctx, docID); v.Status != certify.StatusRevoked {
		t.Fatalf("after revoking: %+v", v)
	}
	if v, _ := svc.Verify(ctx, "application/json", cred); v.Status != certify.StatusRevoked {
		t.Fatalf("a revoked credential verifies as %s", v.Status)
	}
	listURL := oc.CredentialStatus.StatusListCredential
	listID := listURL[strings.LastIndexByte(listURL, '/')+1:]
	var id int64
	fmt.Sscan(listID, &id)
	signedList, err := svc.StatusList(ctx, "HKCL", id)
	if err != nil {
		t.Fatal(err)
	}
	lc, list, err := vc.VerifyStatusListCredential(signedList, func(string) (ed25519.PublicKey, error) { return pub.(ed25519.PublicKey), nil })
	if err != nil {
		t.Fatal(err)
	}
	if revoked, err := vc.CheckStatus(&oc, lc, list); err != nil || !revoked {
		t.Fatalf("status bit %d: revoked %v, %v", idx, revoked, err)
	}
	if _, err := svc.Revoke(ctx, is.admin, "HKCL", docID, "again"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("revoking twice: %v", err)
	}
	if _, err := svc.Reissue(ctx, is.admin, "HKCL", docID, map[string]string{certify.FieldHolderName: "Asha V."}, "spelling"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("re-issuing a revoked certificate: %v", err)
	}
}

func TestReissue(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		is := newIssuing(t, db)
		svc := is.svc
		if _, err := svc.SaveType(ctx, is.admin, "HKCL", "marksheet", marksheet()); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RotateKey(ctx, is.admin, "HKCL"); err != nil {
			t.Fatal(err)
		}
		doc := issueOne(t, ctx, is, "R9,Priya Sharmaa,प्रिया शर्मा,88,")
		if _, err := svc.Reissue(ctx, is.admin, "HKCL", doc, map[string]string{"result.percent": "12"}, "marks"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a correction that fails a rule: %v", err)
		}
		if _, err := svc.Reissue(ctx, is.admin, "HKCL", doc, map[string]string{"nope": "1"}, "x"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an unknown field: %v", err)
		}
		if _, err := svc.Reissue(ctx, is.admin, "HKCL", doc, map[string]string{certify.FieldHolderID: "R10"}, "x"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("another holder: %v", err)
		}
		nc, err := svc.Reissue(ctx, is.admin, "HKCL", doc, map[string]string{certify.FieldHolderName: "Priya Sharma"}, "spelling of the name")
		if err != nil {
			t.Fatal(err)
		}
		if nc.Replaces != doc || nc.HolderName != "Priya Sharma" || nc.Data["result.percent"] != "88" {
			t.Fatalf("re-issued: %+v", nc)
		}
		old, _ := svc.Lookup(ctx, doc)
		if old.Status != certify.StatusReplaced || old.ReplacedBy != nc.DocID {
			t.Fatalf("old certificate: %+v", old)
		}
		if v, _ := svc.Lookup(ctx, nc.DocID); v.Status != certify.StatusValid || v.Replaces != doc {
			t.Fatalf("new certificate: %+v", v)
		}
		// Both keep their files: the old one in its batch's pack, the new
		// one in a pack of its own; each verifies as what it is.
		for doc, want := range map[string]string{doc: certify.StatusReplaced, nc.DocID: certify.StatusValid} {
			pdfData, err := svc.CertificateFile(ctx, is.admin, "HKCL", doc, "pdf")
			if err != nil {
				t.Fatal(err)
			}
			v, err := svc.Verify(ctx, "application/pdf", pdfData)
			if err != nil || v.Status != want || v.DocID != doc {
				t.Fatalf("%s's PDF verifies as %+v %v, want %s", doc, v, err, want)
			}
		}
		// A pack no certificate names (a chunk that died before its
		// commit) is removed once old enough; named packs stay.
		stray := "certificates/hkcl/packs/1/stray.pack"
		if err := is.blobs.Put(ctx, stray, strings.NewReader("orphan"), 6, "application/octet-stream"); err != nil {
			t.Fatal(err)
		}
		if n, _, err := svc.RemoveOrphanPacks(ctx, time.Hour); err != nil || n != 0 {
			t.Fatalf("a young orphan was removed: %d %v", n, err)
		}
		if n, size, err := svc.RemoveOrphanPacks(ctx, -time.Minute); err != nil || n != 1 || size != 6 {
			t.Fatalf("removing orphans: %d packs, %d bytes, %v; want the stray one", n, size, err)
		}
		if _, err := is.blobs.Stat(ctx, stray); !errs.Is(err, errs.NotFound) {
			t.Fatalf("the stray pack is still there: %v", err)
		}
		for _, d := range []string{doc, nc.DocID} {
			if _, err := svc.CertificateFile(ctx, is.admin, "HKCL", d, "pdf"); err != nil {
				t.Fatalf("%s lost its files to the clean-up: %v", d, err)
			}
		}
		// A certificate from before packs has files of its own, and they
		// are still found.
		pdfData, _ := svc.CertificateFile(ctx, is.admin, "HKCL", nc.DocID, "pdf")
		cred, _ := svc.CertificateFile(ctx, is.admin, "HKCL", nc.DocID, "json")
		base := "certificates/hkcl/" + nc.DocID[:2] + "/" + nc.DocID
		for ext, data := range map[string][]byte{".pdf": pdfData, ".json": cred} {
			if err := is.blobs.Put(ctx, base+ext, bytes.NewReader(data), int64(len(data)), ""); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Exec(ctx, `UPDATE certificates SET file_pack = NULL, pdf_offset = NULL, pdf_size = NULL, credential_offset = NULL, credential_size = NULL WHERE doc_id = $1`, nc.DocID); err != nil {
			t.Fatal(err)
		}
		for kind, want := range map[string][]byte{"pdf": pdfData, "json": cred} {
			if got, err := svc.CertificateFile(ctx, is.admin, "HKCL", nc.DocID, kind); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("a certificate with files of its own: %s read %d bytes, %v", kind, len(got), err)
			}
		}
		// A certificate whose pack is gone is an error, not an empty file.
		var pack string
		if err := db.QueryRow(ctx, `SELECT file_pack FROM certificates WHERE doc_id = $1`, doc).Scan(&pack); err != nil {
			t.Fatal(err)
		}
		if err := is.blobs.Delete(ctx, pack); err != nil {
			t.Fatal(err)
		}
		if got, err := svc.CertificateFile(ctx, is.admin, "HKCL", doc, "pdf"); !errs.Is(err, errs.NotFound) || len(got) != 0 {
			t.Fatalf("a certificate whose pack is gone: %d bytes, %v", len(got), err)
		}
	})
}

// issueOne issues a single certificate from a CSV row through a batch.
func issueOne(t *testing.T, ctx context.Context, is *issuing, row string) string {
	t.Helper()
	svc := is.svc
	b, err := svc.CreateBatch(ctx, is.admin, "HKCL", certify.BatchInput{Type: "marksheet", Source: "one", CSV: strings.NewReader("holder.id,holder.name,holder.name_hi,result.percent,holder.dob\n" + row + "\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Decide(ctx, is.approver, "HKCL", b.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if b, err = svc.IssueBatch(ctx, b.ID, nil); err != nil || b.Issued != 1 {
		t.Fatalf("issue: %+v %v", b, err)
	}
	rows, err := svc.BatchRows(ctx, is.admin, "HKCL", b.ID, certify.RowIssued, 0, 1)
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	return rows[0].DocID
}

func TestTypeErrors(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		is := newIssuing(t, db)
		svc := is.svc
		d := marksheet()
		d.Rules = []certify.RuleDef{{Name: "typo", Expr: "result.percnt >= 40.0"}}
		_, err := svc.SaveType(ctx, is.admin, "HKCL", "marksheet", d)
		if err == nil || !strings.Contains(err.Error(), "percnt") {
			t.Fatalf("a misspelt field in a rule: %v", err)
		}
		d = marksheet()
		d.Template.Elements = append(d.Template.Elements, pdf.Element{Type: pdf.ElemText, Field: "result.grade", X: 10, Y: 10, Width: 50, Size: 10})
		_, err = svc.SaveType(ctx, is.admin, "HKCL", "marksheet", d)
		if e := errs.As(err); e == nil || e.Kind != errs.Invalid || !strings.Contains(fmt.Sprint(e.Fields), "result.grade") {
			t.Fatalf("an unknown template field: %v", err)
		}
		d = marksheet()
		d.Template.Background = "missing"
		if _, err = svc.SaveType(ctx, is.admin, "HKCL", "marksheet", d); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a missing asset: %v", err)
		}
		if _, err = svc.SaveType(ctx, is.admin, "HKCL", "Bad Code", marksheet()); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a bad code: %v", err)
		}
		if _, err = svc.SaveType(ctx, is.approver, "HKCL", "marksheet", marksheet()); err == nil {
			t.Fatal("an approver saved a type")
		}
		if ts, _ := svc.Types(ctx, is.admin, "HKCL"); len(ts) != 0 {
			t.Fatalf("failed saves stored %d types", len(ts))
		}
		if _, err := svc.SaveType(ctx, is.admin, "HKCL", "marksheet", marksheet()); err != nil {
			t.Fatal(err)
		}
		// Files that do not fit the type create nothing.
		for name, csv := range map[string]string{
			"unknown column": "holder.id,holder.name,result.percent,grade\nR1,A,50,A\n",
			"missing column": "holder.id,holder.name\nR1,A\n",
			"empty":          "",
			"header only":    "holder.id,holder.name,result.percent\n",
			"bad quoting":    "holder.id,holder.name,result.percent\nR1,\"A,50\n",
		} {
			_, err := svc.CreateBatch(ctx, is.admin, "HKCL", certify.BatchInput{Type: "marksheet", Source: "s", CSV: strings.NewReader(csv)})
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := svc.CreateBatch(ctx, is.admin, "HKCL", certify.BatchInput{Type: "marksheet", CSV: strings.NewReader(goodCSV)}); !errs.Is(err, errs.Invalid) {
			t.Errorf("no source: %v", err)
		}
		if bs, _ := svc.Batches(ctx, is.admin, "HKCL", 0, 10); len(bs) != 0 {
			t.Fatalf("failed uploads stored %d batches", len(bs))
		}
		// Previews render the unsaved definition.
		png, err := svc.Preview(ctx, is.admin, "HKCL", marksheet(), "png", 600)
		if err != nil || !bytes.HasPrefix(png.Data, []byte("\x89PNG")) || png.WithoutBackground {
			t.Fatalf("preview: %v", err)
		}
	})
}

func TestPauseResumeCancel(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		is := newIssuing(t, db)
		svc := is.svc
		if _, err := svc.SaveType(ctx, is.admin, "HKCL", "marksheet", marksheet()); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RotateKey(ctx, is.admin, "HKCL"); err != nil {
			t.Fatal(err)
		}
		var csv strings.Builder
		csv.WriteString("holder.id,holder.name,result.percent\n")
		for i := range 600 {
			fmt.Fprintf(&csv, "R%04d,Student %d,%d\n", i, i, 40+i%60)
		}
		b, err := svc.CreateBatch(ctx, is.admin, "HKCL", certify.BatchInput{Type: "marksheet", Source: "s", CSV: strings.NewReader(csv.String())})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Decide(ctx, is.approver, "HKCL", b.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		if len(is.chunks) != 3 {
			t.Fatalf("%d chunks for 600 rows, want 3", len(is.chunks))
		}
		if err := svc.IssueChunk(ctx, is.chunks[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Pause(ctx, is.approver, "HKCL", b.ID); err != nil {
			t.Fatal(err)
		}
		// A job that runs while paused does nothing.
		if err := svc.IssueChunk(ctx, is.chunks[1]); err != nil {
			t.Fatal(err)
		}
		if b, _ = svc.Batch(ctx, is.admin, "HKCL", b.ID); b.Issued != certify.ChunkRows || b.State != certify.BatchPaused {
			t.Fatalf("paused: %+v", b)
		}
		is.chunks = nil
		if _, err := svc.Resume(ctx, is.admin, "HKCL", b.ID); err != nil {
			t.Fatal(err)
		}
		if len(is.chunks) != 2 || is.chunks[0].From != certify.ChunkRows+2 {
			t.Fatalf("resume enqueued %+v", is.chunks)
		}
		if err := svc.IssueChunk(ctx, is.chunks[0]); err != nil {
			t.Fatal(err)
		}
		if b, err = svc.Cancel(ctx, is.admin, "HKCL", b.ID); err != nil || b.State != certify.BatchCancelled {
			t.Fatalf("cancel: %+v %v", b, err)
		}
		if err := svc.IssueChunk(ctx, is.chunks[1]); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Resume(ctx, is.admin, "HKCL", b.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("resuming a cancelled batch: %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM certificates`).Scan(&n); err != nil || n != 2*certify.ChunkRows {
			t.Fatalf("%d certificates, want %d", n, 2*certify.ChunkRows)
		}
		// Every status index is distinct (the unique index) and they are
		// not in issuing order.
		var ordered int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM certificates a JOIN certificates b ON b.id = a.id + 1 WHERE b.status_index = a.status_index + 1`).Scan(&ordered); err != nil || ordered > 5 {
			t.Fatalf("%d consecutive status indexes (%v): the order is not random", ordered, err)
		}
	})
}

// qrOf reads the QR code of a certificate's PDF as a phone would: the
// page rendered to an image by pdftoppm and scanned by zbarimg. Without
// those tools it makes the payload again from the stored credential.
func qrOf(t *testing.T, ctx context.Context, is *issuing, docID string) string {
	t.Helper()
	pdfData, err := is.svc.CertificateFile(ctx, is.admin, "HKCL", docID, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	_, e1 := exec.LookPath("pdftoppm")
	_, e2 := exec.LookPath("zbarimg")
	if e1 != nil || e2 != nil {
		t.Log("pdftoppm or zbarimg missing (apt-get install poppler-utils zbar-tools): the QR payload is made again instead of scanned")
		u, err := is.svc.QRForTest(ctx, "HKCL", docID)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "c.pdf")
	if err := os.WriteFile(in, pdfData, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "150", "-png", "-singlefile", in, filepath.Join(dir, "c")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	out, err := exec.Command("zbarimg", "--raw", "-q", filepath.Join(dir, "c.png")).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// flakyStore fails every Put while fail is set.
type flakyStore struct {
	blob.Store
	fail atomic.Bool
}

func (f *flakyStore) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if f.fail.Load() {
		return errs.E(errs.Unavailable, "test store", "the file store is down")
	}
	return f.Store.Put(ctx, key, r, size, ct)
}

// TestStoreFailureAndStalledBatches: when the file store fails, a chunk
// issues nothing (no certificate row without its files) and the job
// fails; a batch that then makes no progress for StallAfter is handed to
// new jobs by Sweep, which finish it.
func TestStoreFailureAndStalledBatches(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		store := &flakyStore{Store: w.blobs}
		var mu sync.Mutex
		now := time.Now().UTC().Truncate(time.Microsecond)
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		var chunks []certify.Chunk
		svc, err := certify.NewService(db, w.ids, slog.New(slog.NewTextHandler(io.Discard, nil)), certify.Options{KeyEncryptionKey: w.kek, BaseURL: "https://vidya.example",
			Blobs: store, Now: clock, Enqueue: func(ctx context.Context, tx *database.Tx, cs []certify.Chunk) error {
				chunks = append(chunks, cs...)
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SaveType(ctx, w.admin, "HKCL", "marksheet", marksheet()); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RotateKey(ctx, w.admin, "HKCL"); err != nil {
			t.Fatal(err)
		}
		var csv strings.Builder
		csv.WriteString("holder.id,holder.name,result.percent\n")
		for i := range 300 {
			fmt.Fprintf(&csv, "R%04d,Student %d,%d\n", i, i, 40+i%60)
		}
		b, err := svc.CreateBatch(ctx, w.admin, "HKCL", certify.BatchInput{Type: "marksheet", Source: "s", CSV: strings.NewReader(csv.String())})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Decide(ctx, w.approver, "HKCL", b.ID, true, ""); err != nil {
			t.Fatal(err)
		}
		store.fail.Store(true)
		if err := svc.IssueChunk(ctx, chunks[0]); !errs.Is(err, errs.Unavailable) {
			t.Fatalf("issuing with the file store down: %v", err)
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM certificates`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d certificates (%v) with no files stored", n, err)
		}
		if b, _ = svc.Batch(ctx, w.admin, "HKCL", b.ID); b.Issued != 0 || b.Remaining() != 300 {
			t.Fatalf("after the failed chunk: %+v", b)
		}

		// Not stalled yet: the sweep leaves it alone.
		chunks = nil
		if n, err := svc.Sweep(ctx); err != nil || n != 0 || len(chunks) != 0 {
			t.Fatalf("sweep of a fresh batch: %d, %v, %+v", n, err, chunks)
		}
		mu.Lock()
		now = now.Add(certify.StallAfter + time.Second)
		mu.Unlock()
		if n, err := svc.Sweep(ctx); err != nil || n != 1 || len(chunks) != 2 || chunks[0].Round == 0 {
			t.Fatalf("sweep of a stalled batch: %d, %v, %+v", n, err, chunks)
		}
		if n, err := svc.Sweep(ctx); err != nil || n != 0 {
			t.Fatalf("a second sweep at once: %d, %v", n, err)
		}
		store.fail.Store(false)
		for _, c := range chunks {
			if err := svc.IssueChunk(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if b, _ = svc.Batch(ctx, w.admin, "HKCL", b.ID); b.State != certify.BatchDone || b.Issued != 300 {
			t.Fatalf("after the sweep's jobs: %+v", b)
		}
	})
}
