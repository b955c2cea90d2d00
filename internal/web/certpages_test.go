package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"html"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vidya-edu/vidya/internal/api"
	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf/pdftest"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// certEnv is the real router over db with the certificates domain: ALPHA
// has an administrator who is also an approver (the maker of batches), a
// second approver and a learner; BETA has its own administrator.
type certEnv struct {
	*env
	cert *certify.Service
}

// newCertEnv starts the server; now, if given, is the certificates'
// clock.
func newCertEnv(t *testing.T, db *database.DB, now ...func() time.Time) *certEnv {
	t.Helper()
	opts := certify.Options{KeyEncryptionKey: []byte("0123456789abcdef0123456789abcdef"), BaseURL: "http://vidya.test"}
	if len(now) > 0 {
		opts.Now = now[0]
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := mail.NewOutbox(db, mail.SMTPConfig{})
	svc := identity.NewService(db, outbox, log, identity.Config{BaseURL: "http://vidya.test", AllowSignUp: true})
	files, err := blob.NewLocal(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.SetFiles(files)
	bank := assess.NewService(db, svc, log)
	bank.SetFiles(files)
	opts.Blobs = files
	cert, err := certify.NewService(db, svc, log, opts)
	if err != nil {
		t.Fatal(err)
	}
	cookies := api.Cookies{}
	w, err := New(Config{Identity: svc, Bank: bank, Certify: cert, Outbox: outbox, Cookies: cookies, Log: log, AllowSignUp: true, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	w.Register(mux)
	var h http.Handler = mux
	h = api.Authenticate(svc, cookies, log, h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = httpx.SecureHeaders(h)
	h = httpx.Observe(log, httpx.NewMetrics(prometheus.NewRegistry()), false, nil, h)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, svc: svc, bank: bank, outbox: outbox, users: map[string]*identity.User{}}
	for _, a := range []identity.NewAuthority{{Code: "ALPHA", Name: "Board A"}, {Code: "BETA", Name: "Board B"}} {
		if _, err := svc.EnsureAuthority(ctx, "test", a); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct {
		email, name, authority string
		roles                  []identity.Role
	}{
		{"admin-a@vidya.test", "Asha Admin", "ALPHA", []identity.Role{identity.RoleAdmin, identity.RoleApprover}},
		{"approver-a@vidya.test", "अनिल अनुमोदक", "ALPHA", []identity.Role{identity.RoleApprover}},
		{"learner-a@vidya.test", "Lalit Learner", "ALPHA", []identity.Role{identity.RoleLearner}},
		{"admin-b@vidya.test", "Bina Admin", "BETA", []identity.Role{identity.RoleAdmin}},
	} {
		got, err := svc.EnsureUser(ctx, "test", identity.NewUser{Email: u.email, Name: u.name, Password: testPassword, Roles: u.roles}, false, u.authority)
		if err != nil {
			t.Fatal(err)
		}
		e.users[u.email] = got
	}
	return &certEnv{env: e, cert: cert}
}

// postMulti sends a multipart form: values, and one file if field is set.
func (c *client) postMulti(path string, values url.Values, field, filename, contentType string, data []byte, hdr ...string) *page {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range values {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if field != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+filename+`"`)
		h.Set("Content-Type", contentType)
		part, _ := mw.CreatePart(h)
		part.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// passType is the editor's form for a type with a percentage and a pass
// mark; expr is the pass mark's condition.
func passType(code, expr string) url.Values {
	return url.Values{
		"code": {code}, "name": {"Secondary pass"}, "achievement.name": {"Secondary School Examination 2026"},
		"achievement.kind": {"Certificate"}, "validity_months": {""},
		"fields":       {"holder.id, Roll number, string, required\nholder.name, Name, string, required\nresult.percent, Percentage, number, required"},
		"rules.0.name": {"pass mark"}, "rules.0.expr": {expr}, "rules.0.message": {"scored below the pass mark"},
		"template": {starterTemplate}, "do": {"save"},
	}
}

const batchCSV = "holder.id,holder.name,result.percent\nR001,आरव शर्मा,72.5\nR002,Priya Nair,55\nR003,Low Scorer,20\nR001,Again,80\n"

var (
	previewSrcRE = regexp.MustCompile(`id="preview-img" alt="[^"]*" src="([^"]+)"`)
	batchURLRE   = regexp.MustCompile(`^/a/ALPHA/certificates/batches/(\d+)$`)
)

func TestCertificatePages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		e := newCertEnv(t, db)
		ctx := context.Background()
		admin := e.signedIn("admin-a@vidya.test")
		approver := e.signedIn("approver-a@vidya.test")
		other := e.signedIn("admin-b@vidya.test")
		anon := e.client()
		base := "/a/ALPHA/certificates"

		t.Run("the overview offers the first signing key", func(t *testing.T) {
			admin.get(base).wantStatus(t, http.StatusOK).wantContains(t, "There is no signing key yet", `action="/a/ALPHA/certificates/key"`)
			admin.get("/a/ALPHA").wantContains(t, `href="/a/ALPHA/certificates"`)
			admin.post(base+"/key", nil).wantRedirect(t, base)
			admin.get(base).wantContains(t, "A new signing key is active.", "Active key key-").wantLacks(t, "There is no signing key yet")
			// An approver reads the page without the administrator's forms.
			approver.get(base).wantStatus(t, http.StatusOK).wantLacks(t, `action="/a/ALPHA/certificates/key"`)
		})

		t.Run("a rule that does not compile is shown with its line and column and nothing is saved", func(t *testing.T) {
			p := admin.postMulti(base+"/types/new", passType("pass", "result.percnt >= 33"), "", "", "", nil).wantStatus(t, http.StatusUnprocessableEntity)
			p.wantContains(t, `id="f-rules.0.expr-err"`, "line 1, column 7: undefined field", "Please correct the fields marked below.",
				`name="rules.0.expr"`, "result.percnt &gt;= 33", `value="Secondary pass"`)
			checkHTML(t, p, "en")
			if ts, err := e.cert.Types(ctx, e.principal(t, "admin-a@vidya.test"), "ALPHA"); err != nil || len(ts) != 0 {
				t.Fatalf("types after a refused save: %v, %v", ts, err)
			}
			// A template that is not JSON says where.
			f := passType("pass", "result.percent >= 33")
			f.Set("template", "{\n  \"page\": {\"size\": \"A4\"},\n  \"elements\": [,]\n}")
			admin.postMulti(base+"/types/new", f, "", "", "", nil).wantStatus(t, http.StatusUnprocessableEntity).
				wantContains(t, `id="f-template-err"`, "The layout is not valid JSON (line 3, column")
		})

		t.Run("a type is saved and shows its preview", func(t *testing.T) {
			admin.postMulti(base+"/types/new", passType("pass", "result.percent >= 33"), "", "", "", nil).wantRedirect(t, base+"/types/pass")
			p := admin.get(base+"/types/pass").wantStatus(t, http.StatusOK).wantContains(t, "The type has been saved as version 1.", "result.percent &gt;= 33")
			checkHTML(t, p, "en")
			m := previewSrcRE.FindStringSubmatch(p.Body)
			if m == nil {
				t.Fatalf("no preview image:\n%s", p.Body)
			}
			src := html.UnescapeString(m[1])
			img := admin.get(src).wantStatus(t, http.StatusOK)
			if ct := img.Header.Get("Content-Type"); ct != "image/png" || !strings.HasPrefix(img.Body, "\x89PNG") {
				t.Fatalf("preview: %q %.8q", ct, img.Body)
			}
			pdfPage := admin.get(src+"&format=pdf").wantStatus(t, http.StatusOK)
			if pdfPage.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(pdfPage.Header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(pdfPage.Body, "%PDF-") {
				t.Fatalf("sample PDF: %v", pdfPage.Header)
			}
			// Another authority cannot render with ALPHA's assets.
			other.get(src).wantStatus(t, http.StatusNotFound)
		})

		t.Run("the live preview renders the form as it is, or says what is wrong", func(t *testing.T) {
			f := passType("pass", "not a rule at all ((")
			f.Set("name", "") // half-written: the preview does not mind
			p := admin.post(base+"/preview", f).wantStatus(t, http.StatusOK)
			if p.Header.Get("Content-Type") != "image/png" || !strings.HasPrefix(p.Body, "\x89PNG") || p.Header.Get("X-Preview-Draft") == "" {
				t.Fatalf("live preview: %v", p.Header)
			}
			f.Set("template", strings.Replace(starterTemplate, `"field": "holder.name"`, `"field": "holder.nmae"`, 1))
			p = admin.post(base+"/preview", f).wantStatus(t, http.StatusOK)
			if ct := p.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("preview problems as %q", ct)
			}
			var answer struct{ Problems []string }
			if err := json.Unmarshal([]byte(p.Body), &answer); err != nil || len(answer.Problems) == 0 || !strings.Contains(strings.Join(answer.Problems, " "), "elements.5.field") {
				t.Fatalf("preview problems: %s", p.Body)
			}
			// Without JavaScript the same form asks for the preview.
			f = passType("pass", "result.percent >= 33")
			f.Set("do", "preview")
			admin.postMulti(base+"/types/pass", f, "", "", "", nil).wantStatus(t, http.StatusOK).wantContains(t, `id="preview-img" alt="`, `src="/a/ALPHA/certificates/preview?d=`)
		})

		t.Run("a dry run reports the rows that fail without saving", func(t *testing.T) {
			f := passType("pass", "result.percent >= 60")
			f.Set("do", "dryrun")
			p := admin.postMulti(base+"/types/pass", f, "csv", "rows.csv", "text/csv", []byte(batchCSV)).wantStatus(t, http.StatusOK)
			p.wantContains(t, "4 rows read: 2 pass, 2 fail.", "<th scope=\"row\">pass mark</th><td>2</td>", "scored below the pass mark")
			checkHTML(t, p, "en")
			if ty, err := e.cert.Type(ctx, e.principal(t, "admin-a@vidya.test"), "ALPHA", "pass"); err != nil || ty.Version != 1 {
				t.Fatalf("the dry run saved: %+v %v", ty, err)
			}
		})

		var batchID string
		t.Run("a CSV batch shows its rejected rows and their report", func(t *testing.T) {
			f := url.Values{"type": {"pass"}, "source": {"Secondary examination, March 2026"}}
			p := admin.postMulti(base+"/batches", f, "csv", "results.csv", "text/csv", []byte(batchCSV)).wantStatus(t, http.StatusSeeOther)
			m := batchURLRE.FindStringSubmatch(p.Header.Get("Location"))
			if m == nil {
				t.Fatalf("created batch: %q", p.Header.Get("Location"))
			}
			batchID = m[1]
			p = admin.get(base+"/batches/"+batchID).wantStatus(t, http.StatusOK)
			p.wantContains(t, "valid / rejected rows: 2 / 2", "Waiting for approval", "R003", "pass mark: scored below the pass mark",
				"appears again; first on row 2", "आरव शर्मा", "rejected.csv")
			checkHTML(t, p, "en")
			csv := admin.get(base+"/batches/"+batchID+"/rejected.csv").wantStatus(t, http.StatusOK)
			if !strings.Contains(csv.Header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(csv.Body, "row,holder.id,state,problems") ||
				!strings.Contains(csv.Body, "R003") || strings.Count(csv.Body, "\n") != 3 {
				t.Fatalf("rejection report: %v\n%s", csv.Header, csv.Body)
			}
			// In Hindi, the problems are in Hindi, on the page and in the
			// report; field names and the authority's own words stay.
			again := hindi(t, "R001 appears again; first on row 2")
			hp := admin.inHindi().get(base+"/batches/"+batchID).wantStatus(t, http.StatusOK).
				wantContains(t, "holder.id: "+again, "pass mark: scored below the pass mark").wantLacks(t, "appears again")
			checkHTML(t, hp, "hi")
			hcsv := admin.get(base+"/batches/"+batchID+"/rejected.csv").wantStatus(t, http.StatusOK)
			if !strings.Contains(hcsv.Body, "holder.id: "+html.UnescapeString(again)) || strings.Contains(hcsv.Body, "appears again") {
				t.Fatalf("rejection report in Hindi:\n%s", hcsv.Body)
			}
			admin.inEnglish()
			// A file that does not fit the type creates nothing and says why.
			admin.postMulti(base+"/batches", f, "csv", "bad.csv", "text/csv", []byte("roll,name\n1,x\n")).
				wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-csv-err"`, "columns this certificate type does not have")
		})

		t.Run("the maker cannot approve their own batch", func(t *testing.T) {
			u := base + "/batches/" + batchID
			admin.get(u).wantContains(t, `id="why-no-approve"`, "You made this batch").wantLacks(t, `action="`+u+`/approve"`)
			admin.post(u+"/approve", nil).wantStatus(t, http.StatusForbidden).wantContains(t, "must be approved by someone other than")
			admin.get(u).wantContains(t, "Waiting for approval", "Asha Admin")
		})

		t.Run("another approver approves and the batch issues", func(t *testing.T) {
			u := base + "/batches/" + batchID
			p := approver.get(u).wantStatus(t, http.StatusOK).wantContains(t, `action="`+u+`/approve"`).wantLacks(t, `id="why-no-approve"`)
			checkHTML(t, p, "en")
			approver.post(u+"/decline", nil).wantStatus(t, http.StatusUnprocessableEntity)
			approver.post(u+"/approve", url.Values{"note": {"checked the samples"}}).wantRedirect(t, u)
			approver.get(u).wantContains(t, "Issuing", `<noscript><meta http-equiv="refresh" content="3"></noscript>`, `data-events="`+u+`/events"`, "checked the samples")

			// The event stream sends the counts at once.
			ev := readEvent(t, approver, u+"/events")
			if ev.State != certify.BatchIssuing || ev.Valid != 2 || ev.Final {
				t.Fatalf("first event: %+v", ev)
			}
			id := mustInt(t, batchID)
			if b, err := e.cert.IssueBatch(ctx, id, nil); err != nil || b.State != certify.BatchDone {
				t.Fatalf("issue: %+v %v", b, err)
			}
			ev = readEvent(t, approver, u+"/events")
			if ev.State != certify.BatchDone || ev.Issued != 2 || !ev.Final || ev.Percent != 100 {
				t.Fatalf("last event: %+v", ev)
			}
			p = admin.get(u).wantStatus(t, http.StatusOK).wantContains(t, `<span class="tag st-done" id="batch-state">Done</span>`, "Samples: the first certificates issued").
				wantLacks(t, "http-equiv", `data-events=`)
			checkHTML(t, p, "en")
		})

		var doc, doc2 string
		t.Run("a certificate's page, files and public status", func(t *testing.T) {
			rows, err := e.cert.BatchRows(ctx, e.principal(t, "admin-a@vidya.test"), "ALPHA", mustInt(t, batchID), certify.RowIssued, 0, 10)
			if err != nil || len(rows) != 2 {
				t.Fatalf("issued rows: %v %v", rows, err)
			}
			doc, doc2 = rows[0].DocID, rows[1].DocID
			p := admin.get(base+"/c/"+doc).wantStatus(t, http.StatusOK).wantContains(t, "आरव शर्मा", "R001", "72.5", "This certificate is genuine and in force.", "/file/pdf")
			checkHTML(t, p, "en")
			admin.get(base+"/find?number="+strings.ToLower(doc)).wantRedirect(t, base+"/c/"+doc)
			admin.get(base+"/find?number=NOSUCH").wantStatus(t, http.StatusNotFound).wantContains(t, "There is no certificate with this number.")
			for kind, ctype := range map[string]string{"pdf": "application/pdf", "json": "application/vc+ld+json"} {
				f := admin.get(base+"/c/"+doc+"/file/"+kind).wantStatus(t, http.StatusOK)
				if f.Header.Get("Content-Type") != ctype || !strings.HasPrefix(f.Header.Get("Content-Disposition"), "attachment") {
					t.Fatalf("%s: %v", kind, f.Header)
				}
			}
			v := anon.get("/v/"+doc).wantStatus(t, http.StatusOK).wantContains(t, "This certificate is genuine and in force.", "आरव शर्मा", "Board A",
				"Secondary School Examination 2026", `id="qr-check"`, "verify.").wantLacks(t, "R001", "72.5")
			if v.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("status page Cache-Control %q", v.Header.Get("Cache-Control"))
			}
			checkHTML(t, v, "en")
			checkHTML(t, anon.inHindi().get("/v/"+doc).wantContains(t, "यह प्रमाणपत्र असली है और मान्य है।"), "hi")
			anon.get("/lang/en?next=/")
		})

		t.Run("the verify form checks a PDF", func(t *testing.T) {
			file, err := e.cert.CertificateFile(ctx, e.principal(t, "admin-a@vidya.test"), "ALPHA", doc, "pdf")
			if err != nil {
				t.Fatal(err)
			}
			checkHTML(t, anon.get("/verify").wantStatus(t, http.StatusOK), "en")
			anon.get("/verify?number="+doc).wantRedirect(t, "/v/"+doc)
			anon.postMulti("/verify", nil, "file", "c.pdf", "application/pdf", file).wantStatus(t, http.StatusOK).
				wantContains(t, "This certificate is genuine and in force.", "byte for byte, the one the issuer issued")
			altered := bytes.Clone(file)
			altered[len(altered)/2] ^= 1
			anon.postMulti("/verify", nil, "file", "c.pdf", "application/pdf", altered).wantStatus(t, http.StatusOK).
				wantContains(t, "This was not issued by this service, or it was changed").wantLacks(t, "आरव शर्मा")
			anon.postMulti("/verify", url.Values{"qr": {""}}, "", "", "", nil).wantStatus(t, http.StatusUnprocessableEntity).
				wantContains(t, "Give a certificate file or the text of its QR code.")
		})

		t.Run("revoking shows on the public page", func(t *testing.T) {
			admin.post(base+"/c/"+doc+"/revoke", url.Values{"reason": {""}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-revoke-reason-err"`)
			approver.post(base+"/c/"+doc+"/revoke", url.Values{"reason": {"wrong person"}}).wantStatus(t, http.StatusForbidden)
			admin.post(base+"/c/"+doc+"/revoke", url.Values{"reason": {"issued in error"}}).wantRedirect(t, base+"/c/"+doc)
			admin.get(base+"/c/"+doc).wantContains(t, "revoked by its issuer", "issued in error").wantLacks(t, "/revoke\"")
			anon.get("/v/"+doc).wantStatus(t, http.StatusOK).wantContains(t, `class="alert"`, "This certificate was revoked by its issuer and is no longer in force.")
		})

		t.Run("a correction replaces a certificate and links both ways", func(t *testing.T) {
			p := admin.get(base+"/c/"+doc2).wantContains(t, `name="data.holder.name" type="text" value="Priya Nair"`)
			checkHTML(t, p, "en")
			f := url.Values{"data.holder.name": {"Priya Nair Menon"}, "data.result.percent": {"55"}, "reason": {"name misspelt"}}
			p = admin.post(base+"/c/"+doc2+"/reissue", f).wantStatus(t, http.StatusSeeOther)
			loc := p.Header.Get("Location")
			newDoc := strings.TrimPrefix(loc, base+"/c/")
			if newDoc == loc || newDoc == doc2 {
				t.Fatalf("reissue went to %q", loc)
			}
			admin.get(loc).wantContains(t, "Priya Nair Menon", `href="`+base+`/c/`+doc2+`"`)
			admin.get(base+"/c/"+doc2).wantContains(t, "replaced by a corrected one", `href="`+base+`/c/`+newDoc+`"`)
			anon.get("/v/"+doc2).wantContains(t, "replaced by a corrected one", `href="/v/`+newDoc+`"`)
			anon.get("/v/"+newDoc).wantContains(t, "genuine and in force", "Priya Nair Menon")
		})

		t.Run("an unknown number is not found", func(t *testing.T) {
			for _, id := range []string{"ZZZZZZZZZZ", "nonsense", "0000000000"} {
				p := anon.get("/v/"+id).wantStatus(t, http.StatusNotFound).wantContains(t, "There is no certificate with this number.").wantLacks(t, `id="qr-check"`)
				checkHTML(t, p, "en")
			}
			checkHTML(t, anon.inHindi().get("/v/ZZZZZZZZZZ").wantStatus(t, http.StatusNotFound).wantContains(t, "इस संख्या का कोई प्रमाणपत्र नहीं है।"), "hi")
			anon.get("/lang/en?next=/")
		})

		t.Run("a batch is paused, resumed, cancelled or declined", func(t *testing.T) {
			upload := func(source string) string {
				p := admin.postMulti(base+"/batches", url.Values{"type": {"pass"}, "source": {source}}, "csv", "r.csv", "text/csv",
					[]byte("holder.id,holder.name,result.percent\nS1,One,50\nS2,Two,60\n")).wantStatus(t, http.StatusSeeOther)
				return p.Header.Get("Location")
			}
			u := upload("Supplementary 2026")
			approver.post(u+"/approve", nil).wantRedirect(t, u)
			admin.post(u+"/pause", nil).wantRedirect(t, u)
			admin.get(u).wantContains(t, "Issuing is paused.", `action="`+u+`/resume"`, "Paused").wantLacks(t, `action="`+u+`/pause"`, "http-equiv")
			approver.post(u+"/resume", nil).wantRedirect(t, u)
			approver.get(u).wantContains(t, "Issuing has resumed.", `action="`+u+`/pause"`)
			admin.post(u+"/cancel", nil).wantRedirect(t, u)
			admin.get(u).wantContains(t, "Cancelled").wantLacks(t, `action="`+u+`/cancel"`, `action="`+u+`/resume"`, `<script`)
			// A state that does not allow the action is said so on the page.
			admin.post(u+"/resume", nil).wantStatus(t, http.StatusConflict).wantContains(t, `id="form-errors"`)

			u = upload("Compartment 2026")
			approver.post(u+"/decline", url.Values{"note": {"wrong source"}}).wantRedirect(t, u)
			admin.get(u).wantContains(t, "Declined", "wrong source").wantLacks(t, `id="why-no-approve"`)
			// An exam's results need the results source, which this server lacks.
			admin.postMulti(base+"/batches", url.Values{"type": {"pass"}, "exam_id": {"7"}}, "", "", "", nil).
				wantStatus(t, http.StatusUnsupportedMediaType).wantContains(t, "exam results are not available here")
		})

		t.Run("another authority's administrator finds nothing; a learner may not look", func(t *testing.T) {
			for _, path := range []string{base, base + "/types/pass", base + "/assets", base + "/batches/new", base + "/batches/" + batchID,
				base + "/batches/" + batchID + "/events", base + "/batches/" + batchID + "/rejected.csv", base + "/c/" + doc, base + "/c/" + doc + "/file/pdf"} {
				other.get(path).wantStatus(t, http.StatusNotFound)
			}
			other.post(base+"/key", nil).wantStatus(t, http.StatusNotFound)
			other.post(base+"/c/"+doc2+"/revoke", url.Values{"reason": {"x"}}).wantStatus(t, http.StatusNotFound)
			// BETA's own certificate numbers do not open ALPHA's certificates.
			other.get("/a/BETA/certificates/c/"+doc).wantStatus(t, http.StatusNotFound)
			learner := e.signedIn("learner-a@vidya.test")
			learner.get(base).wantStatus(t, http.StatusForbidden)
			learner.get("/a/ALPHA").wantLacks(t, `href="/a/ALPHA/certificates"`)
			anon.get(base).wantRedirect(t, "/signin?next="+url.QueryEscape(base))
		})

		t.Run("cross-site forms are refused", func(t *testing.T) {
			p := e.principal(t, "admin-a@vidya.test")
			before, _ := e.cert.Keys(ctx, p, "ALPHA")
			admin.post(base+"/key", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").wantStatus(t, http.StatusForbidden)
			admin.postMulti(base+"/types/new", passType("evil", "true"), "", "", "", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").
				wantStatus(t, http.StatusForbidden)
			after, _ := e.cert.Keys(ctx, p, "ALPHA")
			if len(after) != len(before) {
				t.Fatal("a cross-site POST rotated the key")
			}
			if _, err := e.cert.Type(ctx, p, "ALPHA", "evil"); err == nil {
				t.Fatal("a cross-site POST saved a type")
			}
			// The same form from the page's own origin works.
			admin.post(base+"/key", nil, "Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin").wantRedirect(t, base)
		})
	})
}

// progress is one event of a batch's stream.
type progress struct {
	State     string `json:"state"`
	Valid     int    `json:"valid"`
	Issued    int    `json:"issued"`
	Percent   int    `json:"percent"`
	Final     bool   `json:"final"`
	Remaining int    `json:"remaining"`
}

// readEvent reads a batch's event stream until its first progress event.
func readEvent(t *testing.T, c *client, path string) progress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.e.srv.URL+path, nil)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "event: "); ok {
			event = name
			continue
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && event == "progress" {
			var p progress
			if err := json.Unmarshal([]byte(data), &p); err != nil {
				t.Fatalf("event data %q: %v", data, err)
			}
			return p
		}
	}
	t.Fatalf("no progress event: %v", sc.Err())
	return progress{}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

func TestCertificateAssets(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		e := newCertEnv(t, db)
		admin := e.signedIn("admin-a@vidya.test")
		base := "/a/ALPHA/certificates/assets"
		var img bytes.Buffer
		png.Encode(&img, image.NewGray(image.Rect(0, 0, 40, 20)))

		admin.get(base).wantStatus(t, http.StatusOK).wantContains(t, "No images, PDF backgrounds or fonts yet.", `enctype="multipart/form-data"`)
		admin.postMulti(base, url.Values{"name": {"seal"}}, "file", "seal.txt", "text/plain", []byte("not an image")).
			wantStatus(t, http.StatusUnsupportedMediaType).wantContains(t, `id="f-file-err"`, "not a PNG or JPEG image, a PDF or a TrueType font")
		admin.postMulti(base, url.Values{"name": {"bad name!"}}, "file", "seal.png", "image/png", img.Bytes()).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-name-err"`)
		// Without a name the file's name is used.
		admin.postMulti(base, url.Values{"name": {""}}, "file", "seal.png", "image/png", img.Bytes()).wantRedirect(t, base)
		p := admin.get(base).wantStatus(t, http.StatusOK).wantContains(t, "seal has been saved.", `<img src="/a/ALPHA/certificates/assets/seal?v=`, "image/png")
		checkHTML(t, p, "en")
		checkHTML(t, admin.inHindi().get(base), "hi")
		admin.get("/lang/en?next=/")
		src := html.UnescapeString(regexp.MustCompile(`<img src="([^"]+)"`).FindStringSubmatch(p.Body)[1])
		got := admin.get(src).wantStatus(t, http.StatusOK)
		if got.Header.Get("Content-Type") != "image/png" || got.Body != img.String() {
			t.Fatalf("asset: %v", got.Header)
		}
		admin.get(src, "If-None-Match", got.Header.Get("ETag")).wantStatus(t, http.StatusNotModified)
		// A template can use it: the preview compiles with it.
		tpl := strings.Replace(starterTemplate, `"elements": [`, `"elements": [{"type": "image", "asset": "seal", "x": 20, "y": 140, "width": 20},`, 1)
		f := passType("sealed", "result.percent >= 33")
		f.Set("template", tpl)
		admin.post("/a/ALPHA/certificates/preview", f).wantStatus(t, http.StatusOK)
		e.signedIn("approver-a@vidya.test").get(base).wantStatus(t, http.StatusOK).wantContains(t, "seal").wantLacks(t, `action="/a/ALPHA/certificates/assets"`)
		e.signedIn("admin-b@vidya.test").get(src).wantStatus(t, http.StatusNotFound)
		// A PDF's first page is a background: the preview image leaves it
		// out and says so; the sample PDF has it.
		artwork := pdftest.OnePage()
		admin.postMulti(base, url.Values{"name": {"artwork"}}, "file", "artwork.pdf", "application/pdf", artwork).wantRedirect(t, base)
		admin.postMulti(base, url.Values{"name": {"broken"}}, "file", "broken.pdf", "application/pdf", []byte("%PDF-1.4\ngarbage")).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "the PDF file is damaged")
		p = admin.get(base).wantStatus(t, http.StatusOK).wantContains(t, "artwork", "PDF background", "application/pdf").wantLacks(t, "broken")
		checkHTML(t, p, "en")
		got = admin.get(base+"/artwork").wantStatus(t, http.StatusOK)
		if got.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(got.Header.Get("Content-Disposition"), `attachment; filename="artwork.pdf"`) || got.Body != string(artwork) {
			t.Fatalf("PDF asset: %v", got.Header)
		}
		bgTpl := strings.Replace(starterTemplate, `"elements": [`, `"background": "artwork", "elements": [`, 1)
		f.Set("template", bgTpl)
		pv := admin.post("/a/ALPHA/certificates/preview", f).wantStatus(t, http.StatusOK)
		if pv.Header.Get("Content-Type") != "image/png" || pv.Header.Get("X-Preview-Without-Background") != "true" {
			t.Fatalf("preview with a PDF background: %v", pv.Header)
		}
		f.Set("template", tpl)
		if pv := admin.post("/a/ALPHA/certificates/preview", f); pv.Header.Get("X-Preview-Without-Background") != "false" {
			t.Fatalf("preview with an image: %v", pv.Header)
		}
		f.Set("template", bgTpl)
		f.Set("do", "preview")
		ed := admin.postMulti("/a/ALPHA/certificates/types/new", f, "", "", "", nil).wantStatus(t, http.StatusOK).
			wantContains(t, `<p class="hint" id="preview-nobg">`, "This preview leaves out the PDF background")
		sample := html.UnescapeString(regexp.MustCompile(`id="preview-pdf" href="([^"]+)"`).FindStringSubmatch(ed.Body)[1])
		if body := admin.get(sample).wantStatus(t, http.StatusOK).Body; !strings.Contains(body, "/Subtype /Form") {
			t.Fatal("the sample PDF does not carry the PDF background as a form")
		}
		f.Set("template", tpl)
		admin.postMulti("/a/ALPHA/certificates/types/new", f, "", "", "", nil).wantStatus(t, http.StatusOK).wantContains(t, `<p class="hint" id="preview-nobg" hidden>`)
		admin.post(base+"/artwork/delete", nil).wantRedirect(t, base)
		admin.post(base+"/seal/delete", nil).wantRedirect(t, base)
		admin.get(base).wantContains(t, "seal has been deleted.", "No images, PDF backgrounds or fonts yet.")
		admin.get(src).wantStatus(t, http.StatusNotFound)
	})
}

// TestCertificatePagesAreWellFormed checks every certificate page, as
// the people who see it, in both languages.
func TestCertificatePagesAreWellFormed(t *testing.T) {
	e := newCertEnv(t, dbtest.SQLite(t))
	ctx := context.Background()
	admin := e.signedIn("admin-a@vidya.test")
	admin.post("/a/ALPHA/certificates/key", nil).wantRedirect(t, "/a/ALPHA/certificates")
	admin.postMulti("/a/ALPHA/certificates/types/new", passType("pass", "result.percent >= 33"), "", "", "", nil).wantStatus(t, http.StatusSeeOther)
	p := admin.postMulti("/a/ALPHA/certificates/batches", url.Values{"type": {"pass"}, "source": {"March 2026"}}, "csv", "r.csv", "text/csv", []byte(batchCSV))
	batch := p.Header.Get("Location")
	approver := e.signedIn("approver-a@vidya.test")
	approver.post(batch+"/approve", nil).wantRedirect(t, batch)
	if _, err := e.cert.IssueBatch(ctx, mustInt(t, strings.TrimPrefix(batch, "/a/ALPHA/certificates/batches/")), nil); err != nil {
		t.Fatal(err)
	}
	rows, err := e.cert.BatchRows(ctx, e.principal(t, "admin-a@vidya.test"), "ALPHA", mustInt(t, strings.TrimPrefix(batch, "/a/ALPHA/certificates/batches/")), certify.RowIssued, 0, 1)
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	doc := rows[0].DocID
	pending := admin.postMulti("/a/ALPHA/certificates/batches", url.Values{"type": {"pass"}, "source": {"April 2026"}}, "csv", "r.csv", "text/csv", []byte(batchCSV)).Header.Get("Location")
	pages := map[string][]string{
		"admin-a@vidya.test": {"/a/ALPHA/certificates", "/a/ALPHA/certificates/types/new", "/a/ALPHA/certificates/types/pass", "/a/ALPHA/certificates/assets",
			"/a/ALPHA/certificates/batches/new", batch, pending, "/a/ALPHA/certificates/c/" + doc, "/a/ALPHA", "/verify"},
		"approver-a@vidya.test": {"/a/ALPHA/certificates", "/a/ALPHA/certificates/types/pass", pending, "/a/ALPHA/certificates/c/" + doc, "/a/ALPHA"},
		"":                      {"/verify", "/v/" + doc, "/v/ZZZZZZZZZZ"},
	}
	for _, lang := range languages {
		for who, paths := range pages {
			c := e.client()
			if who != "" {
				c.signIn(who)
			}
			c.get("/lang/" + lang + "?next=/")
			for _, path := range paths {
				t.Run(lang+" "+who+" "+path, func(t *testing.T) {
					p := c.get(path)
					if p.StatusCode >= 500 || p.StatusCode == http.StatusSeeOther {
						t.Fatalf("status %d", p.StatusCode)
					}
					checkHTML(t, p, lang)
				})
			}
		}
	}
}

func TestEditorFormRoundTrip(t *testing.T) {
	w := &Web{cat: catalogue{"en": {}}}
	tpl, msg := w.decodeTemplate("en", starterTemplate)
	if msg != "" {
		t.Fatal(msg)
	}
	tpl.Background = "paper <A&B>"
	d := certify.Definition{Name: "Pass", Description: "d", Achievement: certify.AchievementDef{Name: "A", Description: "B", Criteria: "C", Kind: "Diploma"},
		ValidityMonths: 24, Template: tpl,
		Fields: []certify.FieldDef{{Name: "holder.id", Label: "Roll", Type: rules.String, Required: true}, {Name: "note", Label: "Note, if any", Type: rules.String}},
		Rules:  []certify.RuleDef{{Name: "r", Expr: "size(note) < 10\n&& true", Message: "m"}}}
	f := typeForm(d)
	got, rows := w.definitionOf("en", f)
	if len(f.Errors) > 0 || len(rows) != 1 {
		t.Fatalf("errors %v, rows %v", f.Errors, rows)
	}
	a, _ := json.Marshal(d)
	b, _ := json.Marshal(got)
	if !bytes.Equal(a, b) {
		t.Fatalf("round trip:\n%s\n%s", a, b)
	}
	if !strings.Contains(f.Get("template"), `"background": "paper <A&B>"`) || strings.Count(f.Get("template"), "\n") != len(tpl.Elements)+5 {
		t.Fatalf("template as written:\n%s", f.Get("template"))
	}
}

func TestParseFieldLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []certify.FieldDef
		bad  int
	}{
		{"a, A, string", []certify.FieldDef{{Name: "a", Label: "A", Type: "string"}}, 0},
		{"\n a , Label, with comma , NUMBER , required \n\n", []certify.FieldDef{{Name: "a", Label: "Label, with comma", Type: "number", Required: true}}, 0},
		{"a, A, date, optional", []certify.FieldDef{{Name: "a", Label: "A", Type: "date"}}, 0},
		{"a, A, bool\nb, string", []certify.FieldDef{{Name: "a", Label: "A", Type: "bool"}}, 2},
	} {
		got, bad := parseFieldLines(tc.in)
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(tc.want)
		if bad != tc.bad || !bytes.Equal(a, b) {
			t.Errorf("%q: %s, bad line %d; want %s, %d", tc.in, a, bad, b, tc.bad)
		}
	}
}

// FuzzDecodeDraft feeds the preview URL's parameter, which anyone can
// write, to its decoder: it must not panic, and what it accepts must
// encode again.
func FuzzDecodeDraft(f *testing.F) {
	w := &Web{cat: catalogue{"en": {}}}
	tpl, _ := w.decodeTemplate("en", starterTemplate)
	good, _ := encodeDraft(certify.Definition{Name: "x", Template: tpl})
	for _, s := range []string{good, "", "AAAA", "%%%", good[:len(good)/2]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := decodeDraft(s)
		if !ok {
			return
		}
		if _, err := encodeDraft(d); err != nil {
			t.Fatal(err)
		}
	})
}
