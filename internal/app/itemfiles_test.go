package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
)

const giftFile = `// A small bank
$CATEGORY: geography/india

::cap::What is the capital of India? {=New Delhi ~Mumbai ~Kolkata}

::tf::The Ganga flows into the Bay of Bengal. {T}

::num::How many states does India have? {#28:0}
`

func postFile(c *client, path, contentType string, body []byte) response {
	return c.upload("POST", path, contentType, body)
}

func hashesOf(t *testing.T, sys *system, code string) []string {
	t.Helper()
	items, _, err := sys.bank.ListItems(context.Background(), identity.CommandLine(), code, assess.ItemFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var hs []string
	for _, it := range items {
		hs = append(hs, it.ContentHash)
	}
	sort.Strings(hs)
	return hs
}

func TestItemImportAndExport(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		w := setupTenants(t, sys, srv)
		base := "/api/v1/authorities/AAA/items"
		var rep assess.ImportReport

		t.Run("a preview changes nothing", func(t *testing.T) {
			r := postFile(w.adminA, base+"/import?format=gift&dry_run=true", "text/plain", []byte(giftFile))
			r.json(t, &rep)
			if r.status != 200 || rep.Committed || rep.Imported != 3 || len(hashesOf(t, sys, "AAA")) != 0 {
				t.Fatalf("preview: %d %s", r.status, r.body)
			}
		})
		t.Run("a GIFT file is imported and reported item by item", func(t *testing.T) {
			r := postFile(w.adminA, base+"/import?filename=bank.gift", "text/plain", []byte(giftFile))
			r.json(t, &rep)
			if r.status != 200 || !rep.Committed || rep.Imported != 3 || len(rep.Lines) != 3 {
				t.Fatalf("import: %d %s", r.status, r.body)
			}
			r = postFile(w.adminA, base+"/import?format=gift", "text/plain", []byte(giftFile))
			r.json(t, &rep)
			if rep.Duplicates != 3 || rep.Imported != 0 {
				t.Fatalf("the same file again: %s", r.body)
			}
		})
		t.Run("a bad item stops the import unless valid items are asked for", func(t *testing.T) {
			bad := giftFile + "\n::broken:: Which river? {=Ganga ~Yamuna\n"
			before := hashesOf(t, sys, "AAA")
			r := postFile(w.adminA, base+"/import?format=gift", "text/plain", []byte(strings.ReplaceAll(bad, "capital", "largest city")))
			r.json(t, &rep)
			if rep.Committed || rep.Rejected != 1 || len(hashesOf(t, sys, "AAA")) != len(before) {
				t.Fatalf("all or nothing: %s", r.body)
			}
			var rejected assess.ImportLine
			for _, l := range rep.Lines {
				if l.Outcome == assess.Rejected {
					rejected = l
				}
			}
			if !strings.HasPrefix(rejected.Where, "line ") || rejected.Reason == "" {
				t.Fatalf("the rejected line says too little: %+v", rejected)
			}
		})
		t.Run("bad uploads get a clear problem and change nothing", func(t *testing.T) {
			before := hashesOf(t, sys, "AAA")
			for _, tc := range []struct {
				name, query string
				body        []byte
				status      int
				want        string
			}{
				{"unknown format", "?format=docx", []byte(giftFile), 400, "format"},
				{"unguessable format", "?filename=bank.txt", []byte(giftFile), 400, "format"},
				{"empty file", "?format=gift", nil, 400, "empty"},
				{"not UTF-8", "?format=csv", []byte("type,stem_en\nsingle_choice,caf\xe9\n"), 400, "UTF-8"},
				{"not a zip", "?format=qti", []byte("PK\x03\x04 not really"), 400, ""},
				{"bad flag", "?format=gift&valid_only=perhaps", []byte(giftFile), 400, "valid_only"},
			} {
				r := postFile(w.adminA, base+"/import"+tc.query, "application/octet-stream", tc.body)
				if r.status != tc.status || !strings.Contains(string(r.body), tc.want) || r.header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %d %s", tc.name, r.status, r.body)
				}
			}
			big := bytes.Repeat([]byte("x"), 65<<20)
			if r := postFile(w.adminA, base+"/import?format=gift", "text/plain", big); r.status != 413 {
				t.Errorf("oversized upload: %d %.200s", r.status, r.body)
			}
			if r := postFile(w.learnerA, base+"/import?format=gift", "text/plain", []byte(giftFile)); r.status != 403 {
				t.Errorf("learner import: %d", r.status)
			}
			if after := hashesOf(t, sys, "AAA"); len(after) != len(before) {
				t.Error("a refused upload changed the bank")
			}
		})
		t.Run("export then import into an empty authority gives the same items", func(t *testing.T) {
			ctx := context.Background()
			if _, err := sys.identity.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: "CCC", Name: "Board C"}); err != nil {
				t.Fatal(err)
			}
			if _, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: "admin@a.test", Name: "x", Roles: []identity.Role{identity.RoleAdmin}}, false, "CCC"); err != nil {
				t.Fatal(err)
			}
			c := newClient(t, srv)
			c.signIn("admin@a.test", pw)
			for _, format := range []string{"qti3", "qti2", "csv", "gift"} {
				r := c.do("GET", base+"/export?format="+format, nil)
				if r.status != 200 || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
					t.Fatalf("export %s: %d %.300s", format, r.status, r.body)
				}
				if strings.HasPrefix(format, "qti") {
					if _, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body))); err != nil {
						t.Fatalf("export %s is not a zip: %v", format, err)
					}
				}
				code := "CCC"
				imp := postFile(c, "/api/v1/authorities/"+code+"/items/import?format="+strings.TrimRight(format, "23"), "application/octet-stream", r.body)
				var rep assess.ImportReport
				if err := json.Unmarshal(imp.body, &rep); err != nil || !rep.Committed && rep.Duplicates == 0 {
					t.Fatalf("re-import of %s: %d %s", format, imp.status, imp.body)
				}
				if got, want := hashesOf(t, sys, code), hashesOf(t, sys, "AAA"); strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("after the %s round trip the items differ:\n got %v\nwant %v\nreport %s", format, got, want, imp.body)
				}
			}
		})
		t.Run("export refuses what it cannot do", func(t *testing.T) {
			if r := w.adminA.do("GET", base+"/export?format=pdf", nil); r.status != 400 {
				t.Errorf("unknown format: %d", r.status)
			}
			if r := w.adminA.do("GET", base+"/export?status=retired", nil); r.status != 404 {
				t.Errorf("nothing matches: %d", r.status)
			}
			if r := w.adminA.do("GET", "/api/v1/authorities/BBB/items/export", nil); r.status != 404 {
				t.Errorf("another authority: %d", r.status)
			}
		})
	})
}
