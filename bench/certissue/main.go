// Command certissue measures certificate issuance end to end, the way a
// worker issues an approved batch: for each certificate an Open Badges
// 3.0 credential signed with eddsa-jcs-2022, a status-list entry, a PDF
// of the typical board certificate (background photo, two logos, a
// signature image, Hindi and English text, a vector QR code with the
// signed payload), both files stored durably in the blob store and the
// row in the database. It samples memory through the run to show it stays
// flat, then renders the same certificate with headless Chromium from
// HTML for the ratio, and measures credential verification.
//
//	go run ./bench/certissue [-n 20000] [-db postgres://…] [-chromium 100] [-verify 5s]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vidya-edu/vidya/bench/chromium"
	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func main() {
	n := flag.Int("n", 20000, "certificates to issue")
	dbURL := flag.String("db", "", "PostgreSQL URL (default: SQLite in a temp dir)")
	chrome := flag.Int("chromium", 100, "certificates to render with headless Chromium for the ratio (0: skip)")
	verifyFor := flag.Duration("verify", 5*time.Second, "how long to measure credential verification (0: skip)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the issuing to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "certissue:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "certissue:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *dbURL, *chrome, *verifyFor); err != nil {
		fmt.Fprintln(os.Stderr, "certissue:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type nopMailer struct{}

func (nopMailer) Queue(context.Context, *database.Tx, string, string, string) error { return nil }

func run(n int, dbURL string, chromeN int, verifyFor time.Duration) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "certissue-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dbName := "SQLite"
	if dbURL == "" {
		dbURL = filepath.Join(dir, "vidya.db")
	} else {
		dbName = "PostgreSQL"
		if dbURL, err = freshSchema(ctx, dbURL); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := database.Open(ctx, dbURL, database.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(dir, "blobs"), 0o750); err != nil {
		return err
	}
	files, err := blob.NewLocal(filepath.Join(dir, "blobs"), nil)
	if err != nil {
		return err
	}
	defer files.Close()
	ids := identity.NewService(db, nopMailer{}, log, identity.Config{})
	svc, err := certify.NewService(db, ids, log, certify.Options{KeyEncryptionKey: bytes.Repeat([]byte{7}, 32), BaseURL: "https://vidya.example", Blobs: files})
	if err != nil {
		return err
	}
	admin, approver, err := people(ctx, ids)
	if err != nil {
		return err
	}
	if _, err := svc.RotateKey(ctx, admin, "BSE"); err != nil {
		return err
	}
	tplDir := filepath.Join(repoRoot(), "internal/certify/pdf/testdata")
	for name, file := range map[string]string{"background": "background.jpg", "logo-board": "logo-board.png", "logo-scheme": "logo-scheme.png", "signature": "signature.png"} {
		f, err := os.Open(filepath.Join(tplDir, file))
		if err != nil {
			return err
		}
		_, err = svc.PutAsset(ctx, admin, "BSE", name, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	raw, err := os.ReadFile(filepath.Join(tplDir, "typical.json"))
	if err != nil {
		return err
	}
	tpl, err := pdf.ParseTemplate(raw)
	if err != nil {
		return err
	}
	def := certify.Definition{
		Name:        "Secondary School Certificate",
		Achievement: certify.AchievementDef{Name: "Secondary School Examination 2026", Description: "Passed the Secondary School Examination of the Board"},
		Fields: []certify.FieldDef{
			{Name: "holder.name_hi", Label: "नाम", Type: rules.String, Required: true},
			{Name: "course", Label: "Course", Type: rules.String, Required: true},
			{Name: "grade", Label: "Grade", Type: rules.String, Required: true},
			{Name: "roll", Label: "Roll", Type: rules.String, Required: true},
			{Name: "date", Label: "Date", Type: rules.String, Required: true},
			{Name: "result.percent", Label: "Percent", Type: rules.Number, Required: true},
		},
		Rules:    []certify.RuleDef{{Name: "pass", Expr: "result.percent >= 33.0", Message: "below the pass mark"}},
		Template: tpl,
	}
	if _, err := svc.SaveType(ctx, admin, "BSE", "ssc", def); err != nil {
		return err
	}
	csv, sample := batchCSV(n)
	t0 := time.Now()
	b, err := svc.CreateBatch(ctx, admin, "BSE", certify.BatchInput{Type: "ssc", Source: "March 2026", CSV: strings.NewReader(csv)})
	if err != nil {
		return err
	}
	validated := time.Since(t0)
	if b.Valid != n {
		rej, _ := svc.BatchRows(ctx, admin, "BSE", b.ID, certify.RowRejected, 0, 1)
		return fmt.Errorf("%d of %d rows valid: %+v", b.Valid, n, rej)
	}
	if _, err := svc.Decide(ctx, approver, "BSE", b.ID, true, "ok"); err != nil {
		return err
	}
	fmt.Printf("Vidya certificate issuance: %d certificates, %s, %d cores (GOMAXPROCS %d), %s\n\n", n, dbName, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("batch of %d rows parsed, validated (schema + CEL rule) and stored in %v (%.0f rows/s)\n", n, validated.Round(time.Millisecond), float64(n)/validated.Seconds())

	// Memory through the run: the Go heap in use and the process's RSS.
	var samples []memSample
	var mu sync.Mutex
	stop := make(chan struct{})
	var sampling sync.WaitGroup
	sampling.Add(1)
	go func() {
		defer sampling.Done()
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				mu.Lock()
				samples = append(samples, memSample{heap: ms.HeapInuse, rss: rss()})
				mu.Unlock()
			}
		}
	}()
	cpu0 := cpuTime()
	t0 = time.Now()
	var last atomic.Int64
	b, err = svc.IssueBatch(ctx, b.ID, func(b *certify.Batch) { last.Store(int64(b.Issued)) })
	elapsed := time.Since(t0)
	cpu := cpuTime() - cpu0
	close(stop)
	sampling.Wait()
	if err != nil {
		return err
	}
	if b.Issued != n || b.State != certify.BatchDone {
		return fmt.Errorf("batch ended %s with %d of %d issued, %d failed", b.State, b.Issued, n, b.Failed)
	}
	rate := float64(n) / elapsed.Seconds()
	perCert := cpu / time.Duration(n)
	fmt.Printf("issued %d in %v: %.0f certificates/s (2.5 million in %.1f min); CPU %v per certificate\n",
		n, elapsed.Round(time.Millisecond), rate, 2.5e6/rate/60, perCert.Round(time.Microsecond))
	printMemory(samples)
	var pdfBytes, stored int64
	packs := 0
	if err := db.QueryRow(ctx, `SELECT COALESCE(SUM(pdf_size), 0), COUNT(DISTINCT file_pack) FROM certificates`).Scan(&pdfBytes, &packs); err != nil {
		return err
	}
	_ = files.List(ctx, "certificates/", func(i blob.Info) error {
		stored += i.Size
		return nil
	})
	fmt.Printf("stored: PDFs %.1f KB each on average; %d packs of %.1f MB (PDFs and credentials)\n",
		float64(pdfBytes)/float64(n)/1024, packs, float64(stored)/float64(max(packs, 1))/1e6)

	rows, err := svc.BatchRows(ctx, admin, "BSE", b.ID, certify.RowIssued, 0, 1)
	if err != nil || len(rows) == 0 {
		return fmt.Errorf("no issued row: %v", err)
	}
	cred, err := svc.CertificateFile(ctx, admin, "BSE", rows[0].DocID, "json")
	if err != nil {
		return err
	}
	if verifyFor > 0 {
		if err := measureVerify(ctx, svc, cred, verifyFor); err != nil {
			return err
		}
		did, err := svc.DIDDocument(ctx, "BSE")
		if err != nil {
			return err
		}
		if err := measureOfflineVerify(did, cred, verifyFor); err != nil {
			return err
		}
	}
	if chromeN > 0 {
		if err := measureChromium(ctx, chromeN, sample, perCert, rate); err != nil {
			fmt.Printf("\nChromium: not measured: %v\n", err)
		}
	}
	return nil
}

// people makes the authority BSE with an administrator and an approver.
func people(ctx context.Context, ids *identity.Service) (admin, approver *identity.Principal, err error) {
	if _, err := ids.EnsureAuthority(ctx, "bench", identity.NewAuthority{Code: "BSE", Name: "Board of Secondary Education"}); err != nil {
		return nil, nil, err
	}
	person := func(email string, role identity.Role) (*identity.Principal, error) {
		u, err := ids.EnsureUser(ctx, "bench", identity.NewUser{Email: email, Name: email, Roles: []identity.Role{role}}, false, "BSE")
		if err != nil {
			return nil, err
		}
		tok, err := ids.StartSessionFor(ctx, u.ID, "bench")
		if err != nil {
			return nil, err
		}
		return ids.Authenticate(ctx, tok)
	}
	if admin, err = person("admin@bse.test", identity.RoleAdmin); err != nil {
		return nil, nil, err
	}
	approver, err = person("approver@bse.test", identity.RoleApprover)
	return admin, approver, err
}

var (
	givenEN = []string{"Aarav", "Priya", "Rahul", "Ananya", "Vikram", "Sneha", "Arjun", "Kavya", "Rohan", "Ishita", "Aditya", "Meera"}
	givenHI = []string{"आरव", "प्रिया", "राहुल", "अनन्या", "विक्रम", "स्नेहा", "अर्जुन", "काव्या", "रोहन", "इशिता", "आदित्य", "मीरा"}
	surEN   = []string{"Sharma", "Verma", "Gupta", "Singh", "Kumar", "Yadav", "Mishra", "Chaturvedi", "Trivedi", "Srivastava"}
	surHI   = []string{"शर्मा", "वर्मा", "गुप्ता", "सिंह", "कुमार", "यादव", "मिश्र", "चतुर्वेदी", "त्रिवेदी", "श्रीवास्तव"}
)

// batchCSV makes n rows of plausible candidates, and one as a map.
func batchCSV(n int) (string, map[string]string) {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString("holder.id,holder.name,holder.name_hi,course,grade,roll,date,result.percent\n")
	var sample map[string]string
	for i := range n {
		g, s := r.IntN(len(givenEN)), r.IntN(len(surEN))
		roll := fmt.Sprintf("2026-BSE-%07d", i)
		pct := 33 + r.IntN(67)
		grade := []string{"C", "B", "B+", "A", "A+"}[min(pct/15, 4)]
		row := []string{roll, givenEN[g] + " " + surEN[s], givenHI[g] + " " + surHI[s], "Secondary School Examination (March 2026)", "Grade " + grade, "Roll No. " + roll, "Date: 15-05-2026", fmt.Sprint(pct)}
		b.WriteString(strings.Join(row, ",") + "\n")
		if i == 0 {
			sample = map[string]string{"holder.name": row[1], "holder.name_hi": row[2], "course": row[3], "grade": row[4], "roll": row[5], "date": row[6], "certificate.id": "K7M2QX9PDA"}
		}
	}
	return b.String(), sample
}

type memSample struct{ heap, rss uint64 }

func printMemory(samples []memSample) {
	if len(samples) < 4 {
		fmt.Println("memory: run too short to sample")
		return
	}
	q := len(samples) / 4
	peak := func(ss []memSample) (h, r uint64) {
		for _, s := range ss {
			h, r = max(h, s.heap), max(r, s.rss)
		}
		return
	}
	h1, r1 := peak(samples[:q])
	h4, r4 := peak(samples[3*q:])
	fmt.Printf("memory (peak in the first and last quarter of the run): heap in use %.0f → %.0f MB, RSS %.0f → %.0f MB\n",
		mb(h1), mb(h4), mb(r1), mb(r4))
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func rss() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, res uint64
	fmt.Sscan(string(data), &size, &res)
	return res * uint64(os.Getpagesize())
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureVerify verifies the same signed credential from every core for
// d: signature, issuer key (cached), and the certificate's record.
func measureVerify(ctx context.Context, svc *certify.Service, cred []byte, d time.Duration) error {
	var count atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) * 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				v, err := svc.Verify(ctx, "application/json", cred)
				if err != nil || v.Status != certify.StatusValid {
					firstErr.CompareAndSwap(nil, fmt.Errorf("verify: %+v %v", v, err))
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok {
		return e
	}
	fmt.Printf("\nverification (POST /api/v1/verify's work, without HTTP: signature + issuer key + record): %.0f credentials/s\n", float64(count.Load())/d.Seconds())
	return nil
}

// measureOfflineVerify verifies the credential as a verifier's own
// software does with the issuer's DID document at hand: the proof and the
// credential's shape, no call to Vidya.
func measureOfflineVerify(didDoc, cred []byte, d time.Duration) error {
	doc, err := vc.ParseDIDDocument(didDoc)
	if err != nil {
		return err
	}
	var count atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, _, err := vc.VerifyCredential(cred, doc.Resolve); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok {
		return e
	}
	fmt.Printf("verification offline (proof + credential checks with the issuer's DID document, as a verifier's app does): %.0f credentials/s\n", float64(count.Load())/d.Seconds())
	return nil
}

// measureChromium renders the same certificate as HTML in headless
// Chromium, as most certificate systems do.
func measureChromium(ctx context.Context, n int, sample map[string]string, goCPU time.Duration, goRate float64) error {
	if err := chromium.Ready(); err != nil {
		return err
	}
	svg, err := chromium.QRSVG("https://vidya.example/v/K7M2QX9PDA#" + strings.Repeat("A", 300))
	if err != nil {
		return err
	}
	docs := make([]string, n)
	for i := range docs {
		docs[i] = chromium.HTML(sample, svg)
	}
	res, err := chromium.Measure(ctx, docs, 2, "")
	if err != nil {
		return err
	}
	fmt.Printf("\nheadless Chromium, the same certificate from HTML (PDF only: no signing, storing or database), %d renders on 2 pages at once:\n", res.Count)
	fmt.Printf("  %.2f certificates/s, CPU %v per certificate, %.1f KB per PDF\n", res.PerSecond(), (res.CPU / time.Duration(max(res.Count, 1))).Round(time.Millisecond), float64(res.Bytes)/float64(max(res.Count, 1))/1024)
	if res.CPU > 0 && goCPU > 0 {
		fmt.Printf("  ratio: Vidya's whole issuance is %.0f× the rate and uses 1/%.0f of the CPU per certificate\n", goRate/res.PerSecond(), float64(res.CPU)/float64(res.Count)/float64(goCPU))
	}
	return nil
}

// freshSchema makes an empty schema for the run and returns the URL that
// uses it.
func freshSchema(ctx context.Context, raw string) (string, error) {
	db, err := database.Open(ctx, raw, database.Options{})
	if err != nil {
		return "", err
	}
	defer db.Close()
	name := fmt.Sprintf("certbench_%d", time.Now().UnixNano())
	if _, err := db.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", errs.Wrap("create schema", err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
