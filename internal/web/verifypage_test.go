package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// issue makes ALPHA's signing key and a type valid for validity months,
// and issues certificates to holders (id → name) through the service, as
// the staff pages do; it returns their numbers by holder id.
func (e *certEnv) issue(t *testing.T, validity int, holders map[string]string) map[string]string {
	t.Helper()
	ctx := context.Background()
	admin, approver := e.principal(t, "admin-a@vidya.test"), e.principal(t, "approver-a@vidya.test")
	if _, err := e.cert.RotateKey(ctx, admin, "ALPHA"); err != nil {
		t.Fatal(err)
	}
	tpl, err := pdf.ParseTemplate([]byte(starterTemplate))
	if err != nil {
		t.Fatal(err)
	}
	def := certify.Definition{Name: "Course completion", Achievement: certify.AchievementDef{Name: "Basic Computing Course"}, ValidityMonths: validity,
		Fields: []certify.FieldDef{{Name: "holder.id", Label: "Roll", Type: rules.String, Required: true}, {Name: "holder.name", Label: "Name", Type: rules.String, Required: true},
			{Name: "grade", Label: "Grade", Type: rules.String}},
		Template: tpl}
	if _, err := e.cert.SaveType(ctx, admin, "ALPHA", "course", def); err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("holder.id,holder.name,grade\n")
	for id, name := range holders {
		csv.WriteString(id + "," + name + ",A+ secret grade\n")
	}
	b, err := e.cert.CreateBatch(ctx, admin, "ALPHA", certify.BatchInput{Type: "course", Source: "2026", CSV: strings.NewReader(csv.String())})
	if err != nil || b.Valid != len(holders) {
		t.Fatalf("batch: %+v %v", b, err)
	}
	if _, err := e.cert.Decide(ctx, approver, "ALPHA", b.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cert.IssueBatch(ctx, b.ID, nil); err != nil {
		t.Fatal(err)
	}
	rows, err := e.cert.BatchRows(ctx, admin, "ALPHA", b.ID, certify.RowIssued, 0, 100)
	if err != nil || len(rows) != len(holders) {
		t.Fatalf("issued: %v %v", rows, err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.HolderID] = r.DocID
	}
	return out
}

func TestVerifyStatusPage(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		var mu sync.Mutex
		clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		now := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		}
		e := newCertEnv(t, db, now)
		docs := e.issue(t, 12, map[string]string{"R1": "सानिया गुप्ता", "R2": "Priya Nair"})
		anon := e.client()

		t.Run("a valid certificate shows who, what and when, and nothing else", func(t *testing.T) {
			p := anon.get("/v/"+docs["R1"]).wantStatus(t, http.StatusOK)
			p.wantContains(t, `<div class="ok" id="status" role="status">`, "This certificate is genuine and in force.", "सानिया गुप्ता", "Board A",
				"Basic Computing Course", "01-03-2026", "01-03-2027", `data-doc="`+docs["R1"]+`"`, `src="/static/verify.`).
				wantLacks(t, "R1", "secret grade", "Roll")
			if got := p.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
			checkHTML(t, p, "en")
			// Lower case, as typed from paper, finds it too.
			anon.get("/v/"+strings.ToLower(docs["R1"])).wantStatus(t, http.StatusOK).wantContains(t, "सानिया गुप्ता")
		})

		t.Run("the language switch keeps the page", func(t *testing.T) {
			c := e.client()
			c.get("/lang/hi?next="+url.QueryEscape("/v/"+docs["R1"])).wantRedirect(t, "/v/"+docs["R1"])
			p := c.get("/v/"+docs["R1"]).wantStatus(t, http.StatusOK).wantContains(t, `<html lang="hi">`, "यह प्रमाणपत्र असली है और मान्य है।", "सानिया गुप्ता", "जारीकर्ता")
			checkHTML(t, p, "hi")
		})

		t.Run("revoked, then expired", func(t *testing.T) {
			if _, err := e.cert.Revoke(context.Background(), e.principal(t, "admin-a@vidya.test"), "ALPHA", docs["R1"], "fraud"); err != nil {
				t.Fatal(err)
			}
			anon.get("/v/"+docs["R1"]).wantStatus(t, http.StatusOK).wantContains(t, `class="alert"`, "revoked by its issuer").wantLacks(t, "fraud")
			mu.Lock()
			clock = clock.AddDate(2, 0, 0)
			mu.Unlock()
			anon.get("/v/"+docs["R2"]).wantStatus(t, http.StatusOK).wantContains(t, `class="warning"`, "genuine but has expired")
		})

		t.Run("an unknown number", func(t *testing.T) {
			p := anon.get("/v/ABCDEFGHJK").wantStatus(t, http.StatusNotFound).wantContains(t, "There is no certificate with this number.").
				wantLacks(t, `id="qr-check"`, "verify.")
			checkHTML(t, p, "en")
			anon.get("/v/not-a-number").wantStatus(t, http.StatusNotFound)
		})
	})
}

func TestVerifyForm(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		e := newCertEnv(t, db)
		docs := e.issue(t, 0, map[string]string{"R1": "आरव शर्मा"})
		admin := e.principal(t, "admin-a@vidya.test")
		anon := e.client()
		ctx := context.Background()

		p := anon.get("/verify").wantStatus(t, http.StatusOK).wantContains(t, `action="/verify"`, `enctype="multipart/form-data"`)
		checkHTML(t, p, "en")
		checkHTML(t, e.client().inHindi().get("/verify").wantStatus(t, http.StatusOK), "hi")
		anon.get("/verify?number=+"+strings.ToLower(docs["R1"])+"+").wantRedirect(t, "/v/"+docs["R1"])

		t.Run("a signed credential", func(t *testing.T) {
			cred, err := e.cert.CertificateFile(ctx, admin, "ALPHA", docs["R1"], "json")
			if err != nil {
				t.Fatal(err)
			}
			anon.postMulti("/verify", nil, "file", "c.json", "application/json", cred).wantStatus(t, http.StatusOK).
				wantContains(t, "This certificate is genuine and in force.", "आरव शर्मा", "Does not expire", "digital signature was checked").wantLacks(t, `id="qr-check"`)
			forged := bytes.Replace(cred, []byte("Basic Computing Course"), []byte("Advanced Computing Course"), 1)
			anon.postMulti("/verify", nil, "file", "c.json", "application/octet-stream", forged).wantStatus(t, http.StatusOK).
				wantContains(t, `class="alert"`, "This does not match what the issuer signed").wantLacks(t, "Advanced")
		})

		t.Run("QR text that is not a certificate's", func(t *testing.T) {
			anon.postMulti("/verify", url.Values{"qr": {"http://vidya.test/v/" + docs["R1"] + "#garbage"}}, "", "", "", nil).
				wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="form-errors"`, "not the QR code of a certificate")
		})

		t.Run("nothing given", func(t *testing.T) {
			p := anon.postMulti("/verify", url.Values{"qr": {"  "}}, "", "", "", nil).wantStatus(t, http.StatusUnprocessableEntity)
			p.wantContains(t, "Give a certificate file or the text of its QR code.")
			checkHTML(t, p, "en")
		})

		t.Run("a form from another site is refused", func(t *testing.T) {
			anon.postMulti("/verify", url.Values{"qr": {"x"}}, "", "", "", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").
				wantStatus(t, http.StatusForbidden)
		})
	})
}
