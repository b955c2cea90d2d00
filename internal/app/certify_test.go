package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/certify/pdf/pdftest"
	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/identity"
)

func TestSigningKeysArePublished(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		ctx := context.Background()
		for _, code := range []string{"CRT", "OTH"} {
			if _, err := sys.identity.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: code, Name: code + " board"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: "boss@crt.test", Name: "Boss", Password: "long-enough-pass", Roles: []identity.Role{identity.RoleAdmin}}, false, "CRT"); err != nil {
			t.Fatal(err)
		}
		if _, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: "boss@oth.test", Name: "Other", Password: "long-enough-pass", Roles: []identity.Role{identity.RoleAdmin}}, false, "OTH"); err != nil {
			t.Fatal(err)
		}
		admin, other, anon := newClient(t, srv), newClient(t, srv), newClient(t, srv)
		admin.signIn("boss@crt.test", "long-enough-pass")
		other.signIn("boss@oth.test", "long-enough-pass")

		if r := anon.do("GET", "/authorities/CRT/did.json", nil); r.status != 404 || !strings.Contains(string(r.body), "CRT has not published a signing key yet") {
			t.Fatalf("DID document before any key: %d %s", r.status, r.body)
		}
		var first, second struct {
			Kid                string `json:"kid"`
			VerificationMethod string `json:"verification_method"`
		}
		r := admin.do("POST", "/api/v1/authorities/CRT/signing-keys", nil)
		if r.status != 201 {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		r.json(t, &first)
		if r := other.do("POST", "/api/v1/authorities/CRT/signing-keys", nil); r.status != 404 {
			t.Fatalf("another authority's admin rotated CRT's key: %d %s", r.status, r.body)
		}
		admin.do("POST", "/api/v1/authorities/CRT/signing-keys", nil).json(t, &second)

		r = anon.do("GET", "/authorities/crt/did.json", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/did+json" || r.header.Get("Cache-Control") != "public, max-age=300" {
			t.Fatalf("DID document: %d %v %s", r.status, r.header, r.body)
		}
		doc, err := vc.ParseDIDDocument(r.body)
		if err != nil {
			t.Fatal(err)
		}
		// Both keys verify what they sign: the retired one stays published.
		for _, vm := range []string{first.VerificationMethod, second.VerificationMethod} {
			pub, err := doc.Resolve(vm)
			if err != nil {
				t.Fatalf("resolve %s: %v", vm, err)
			}
			if len(pub) != ed25519.PublicKeySize {
				t.Fatalf("key %s of %d bytes", vm, len(pub))
			}
		}
		r = anon.do("GET", "/authorities/CRT/jwks.json", nil)
		var set struct {
			Keys []struct{ Kid, Crv string }
		}
		r.json(t, &set)
		if r.status != 200 || len(set.Keys) != 2 || set.Keys[0].Kid != second.Kid || set.Keys[1].Kid != first.Kid || set.Keys[0].Crv != "Ed25519" {
			t.Fatalf("JWKS: %d %s", r.status, r.body)
		}
		if r := anon.do("GET", "/authorities/NOPE/did.json", nil); r.status != 404 {
			t.Fatalf("unknown authority: %d %s", r.status, r.body)
		}
	})
}

// TestCertificatesThroughTheAPI makes a type, a batch from CSV with a bad
// row, has it approved by a second person, issues it, and verifies a
// certificate every way the public can, all through the HTTP API.
func TestCertificatesThroughTheAPI(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		ctx := context.Background()
		if _, err := sys.identity.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: "CRT", Name: "Certificate board"}); err != nil {
			t.Fatal(err)
		}
		for _, u := range []identity.NewUser{
			{Email: "maker@crt.test", Name: "Maker", Password: "long-enough-pass", Roles: []identity.Role{identity.RoleAdmin, identity.RoleApprover}},
			{Email: "checker@crt.test", Name: "Checker", Password: "long-enough-pass", Roles: []identity.Role{identity.RoleApprover}},
		} {
			if _, err := sys.identity.EnsureUser(ctx, "test", u, false, "CRT"); err != nil {
				t.Fatal(err)
			}
		}
		maker, checker, anon := newClient(t, srv), newClient(t, srv), newClient(t, srv)
		maker.signIn("maker@crt.test", "long-enough-pass")
		checker.signIn("checker@crt.test", "long-enough-pass")
		if r := maker.do("POST", "/api/v1/authorities/CRT/signing-keys", nil); r.status != 201 {
			t.Fatalf("key: %d %s", r.status, r.body)
		}
		def := map[string]any{"name": "Course certificate", "achievement": map[string]any{"name": "Typing course", "description": "Completed the typing course"},
			"fields": []any{map[string]any{"name": "wpm", "label": "Words a minute", "type": "integer", "required": true}},
			"rules":  []any{map[string]any{"name": "speed", "expr": "wpm >= 30", "message": "types fewer than 30 words a minute"}},
			"template": map[string]any{"page": map[string]any{"size": "A4"}, "elements": []any{
				map[string]any{"type": "text", "field": "holder.name", "x": 20, "y": 40, "width": 170, "size": 24},
				map[string]any{"type": "qr", "x": 80, "y": 150, "size": 40}}}}
		bad := map[string]any{"name": "x", "achievement": map[string]any{"name": "x"}, "rules": []any{map[string]any{"name": "r", "expr": "wpm >", "message": "m"}},
			"fields": def["fields"], "template": def["template"]}
		if r := maker.do("PUT", "/api/v1/authorities/CRT/certificate-types/typing", bad); r.status != 400 || !strings.Contains(string(r.body), "rules") {
			t.Fatalf("a rule that does not compile: %d %s", r.status, r.body)
		}
		if r := maker.do("PUT", "/api/v1/authorities/CRT/certificate-types/typing", def); r.status != 200 {
			t.Fatalf("type: %d %s", r.status, r.body)
		}
		if r := maker.do("POST", "/api/v1/authorities/CRT/certificate-types/preview?format=png&width=400", def); r.status != 200 || r.header.Get("Content-Type") != "image/png" || r.header.Get("Vidya-Preview-Omits") != "" {
			t.Fatalf("preview: %d %s", r.status, r.header)
		}
		// A PDF background: the PNG preview says it leaves it out.
		if r := maker.upload("PUT", "/api/v1/authorities/CRT/certificate-assets/artwork", "application/pdf", pdftest.OnePage()); r.status != 200 && r.status != 201 {
			t.Fatalf("PDF asset: %d %s", r.status, r.body)
		}
		if r := maker.upload("PUT", "/api/v1/authorities/CRT/certificate-assets/broken", "application/pdf", []byte("%PDF-1.4\nnot really")); r.status != 400 || !strings.Contains(string(r.body), "the PDF file is damaged") {
			t.Fatalf("a damaged PDF: %d %s", r.status, r.body)
		}
		withBg := map[string]any{}
		for k, v := range def {
			withBg[k] = v
		}
		withBg["template"] = map[string]any{"page": map[string]any{"size": "A4"}, "background": "artwork", "elements": def["template"].(map[string]any)["elements"]}
		if r := maker.do("POST", "/api/v1/authorities/CRT/certificate-types/preview?format=png&width=400", withBg); r.status != 200 || r.header.Get("Vidya-Preview-Omits") != "background" {
			t.Fatalf("preview with a PDF background: %d %s", r.status, r.header)
		}
		if r := maker.do("POST", "/api/v1/authorities/CRT/certificate-types/preview?format=pdf", withBg); r.status != 200 || !strings.Contains(string(r.body), "/Subtype /Form") {
			t.Fatalf("sample PDF with a PDF background: %d %s", r.status, r.header)
		}
		csv := "holder.id,holder.name,wpm\nT1,आशा वर्मा,45\nT2,Ravi Kumar,12\nT3,Meena Iyer,abc\n"
		r := maker.upload("POST", "/api/v1/authorities/CRT/certificate-batches?type=typing&source=Typing+course+2026", "text/csv", []byte(csv))
		if r.status != 201 {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		var b certify.Batch
		r.json(t, &b)
		if b.Valid != 1 || b.Rejected != 2 {
			t.Fatalf("batch: %+v", b)
		}
		batch := fmt.Sprintf("/api/v1/authorities/CRT/certificate-batches/%d", b.ID)
		if r := maker.do("GET", batch+"/rejections.csv", nil); r.status != 200 || !strings.Contains(string(r.body), "types fewer than 30 words a minute") {
			t.Fatalf("rejections: %d %s", r.status, r.body)
		}
		if r := maker.do("POST", batch+"/approve", map[string]any{"note": ""}); r.status != 403 || !strings.Contains(string(r.body), "someone other than the person who made it") {
			t.Fatalf("the maker approving: %d %s", r.status, r.body)
		}
		if r := checker.do("POST", batch+"/approve", map[string]any{"note": "checked"}); r.status != 200 {
			t.Fatalf("approve: %d %s", r.status, r.body)
		}
		if _, err := sys.certify.IssueBatch(ctx, b.ID, nil); err != nil {
			t.Fatal(err)
		}
		r = checker.do("GET", batch+"/events", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "text/event-stream" || !strings.Contains(string(r.body), "event: progress\ndata: {") || !strings.Contains(string(r.body), `"state":"done"`) {
			t.Fatalf("events: %d %s", r.status, r.body)
		}
		var rows struct{ Items []certify.BatchRow }
		checker.do("GET", batch+"/rows?state=issued", nil).json(t, &rows)
		if len(rows.Items) != 1 || rows.Items[0].HolderID != "T1" {
			t.Fatalf("issued rows: %+v", rows)
		}
		doc := rows.Items[0].DocID
		pdfFile := maker.do("GET", "/api/v1/authorities/CRT/certificates/"+doc+"/pdf", nil)
		cred := maker.do("GET", "/api/v1/authorities/CRT/certificates/"+doc+"/credential", nil)
		if pdfFile.status != 200 || cred.status != 200 || anon.do("GET", "/api/v1/authorities/CRT/certificates/"+doc+"/pdf", nil).status != 401 {
			t.Fatalf("files: %d %d", pdfFile.status, cred.status)
		}
		for _, tc := range []struct {
			ct   string
			body []byte
			want string
		}{
			{"application/pdf", pdfFile.body, "valid"},
			{"application/json", cred.body, "valid"},
			{"application/json", bytes.Replace(cred.body, []byte("आशा"), []byte("उषा"), 1), "tampered"},
		} {
			var v certify.Verification
			r := anon.upload("POST", "/api/v1/verify", tc.ct, tc.body)
			r.json(t, &v)
			if r.status != 200 || v.Status != tc.want {
				t.Errorf("verify %s: %d %s", tc.ct, r.status, r.body)
			}
		}
		var oc vc.OpenBadgeCredential
		if err := json.Unmarshal(cred.body, &oc); err != nil {
			t.Fatal(err)
		}
		listPath := strings.TrimPrefix(oc.CredentialStatus.StatusListCredential, srv.URL)
		if r := anon.do("GET", listPath, nil); r.status != 200 || !strings.Contains(string(r.body), "BitstringStatusListCredential") {
			t.Fatalf("status list %s: %d %s", listPath, r.status, r.body)
		}
		if r := maker.do("POST", "/api/v1/authorities/CRT/certificates/"+doc+"/revoke", map[string]any{"reason": "issued in error"}); r.status != 200 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		var v certify.Verification
		anon.do("GET", "/api/v1/verify/"+doc, nil).json(t, &v)
		if v.Status != "revoked" || v.Holder != "आशा वर्मा" || v.Issuer != "Certificate board" {
			t.Fatalf("public lookup after revoking: %+v", v)
		}
	})
}
