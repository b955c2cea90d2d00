package app

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
)

// getRaw fetches path and reads the whole body, returning the read error a
// download that broke off gives.
func getRaw(t *testing.T, c *client, path string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest("GET", c.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

func TestExportStreamsLargeBanks(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		w := setupTenants(t, sys, srv)
		base := "/api/v1/authorities/AAA/items"
		// More items than one page of the export (200), so it pages.
		const n = 450
		var gift strings.Builder
		for i := range n {
			fmt.Fprintf(&gift, "::q%d:: What is %d + %d? {=%d ~%d}\n\n", i, i, i, 2*i, 2*i+1)
		}
		var rep assess.ImportReport
		r := postFile(w.adminA, base+"/import?format=gift", "text/plain", []byte(gift.String()))
		r.json(t, &rep)
		if !rep.Committed || rep.Imported != n {
			t.Fatalf("import: %s", r.body)
		}

		t.Run("every item is exported, oldest first", func(t *testing.T) {
			r := w.adminA.do("GET", base+"/export?format=csv", nil)
			rows := strings.Split(strings.TrimSpace(string(r.body)), "\n")
			if r.status != 200 || len(rows) != n+1 || !strings.Contains(rows[1], "What is 0 + 0?") || !strings.Contains(rows[n], fmt.Sprintf("What is %d + %d?", n-1, n-1)) {
				t.Fatalf("csv export: %d, %d rows: %.200s", r.status, len(rows), r.body)
			}
			if cd := r.header.Get("Content-Disposition"); cd != "attachment; filename=aaa-items.csv" {
				t.Errorf("Content-Disposition %q", cd)
			}
			r = w.adminA.do("GET", base+"/export?format=qti3", nil)
			zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
			if err != nil {
				t.Fatalf("qti export: %v", err)
			}
			if len(zr.File) != n+1 {
				t.Errorf("the package has %d files, want %d items and the manifest", len(zr.File), n)
			}
		})
		t.Run("a format problem found before the first byte is a problem response", func(t *testing.T) {
			ctx := context.Background()
			m := &assess.Item{Type: assess.Matching, Left: []string{"L1", "L2"}, Right: []string{"R1", "R2"},
				Text: map[string]assess.Text{"en": {Stem: "Match.", Left: map[string]string{"L1": "a", "L2": "b"}, Right: map[string]string{"R1": "x", "R2": "y"}}},
				Key:  assess.Key{Pairs: map[string]string{"L1": "R1", "L2": "R2"}}, Scoring: assess.Scoring{Marks: 1}}
			it, err := sys.bank.CreateItem(ctx, identity.CommandLine(), "AAA", m)
			if err != nil {
				t.Fatal(err)
			}
			r := w.adminA.do("GET", base+"/export?format=csv", nil)
			if r.status < 400 || r.header.Get("Content-Type") != "application/problem+json" || r.header.Get("Content-Disposition") != "" ||
				!strings.Contains(string(r.body), fmt.Sprintf("item %d: matching questions have no columns in the CSV layout", it.ID)) {
				t.Errorf("csv with a matching item: %d %v %s", r.status, r.header, r.body)
			}
		})
		t.Run("an error after the download started aborts it", func(t *testing.T) {
			ctx := context.Background()
			gone := "/media/AAA/" + strings.Repeat("cd", 32) + ".png"
			if _, err := sys.bank.CreateItem(ctx, identity.CommandLine(), "AAA", &assess.Item{Type: assess.Essay,
				Text: map[string]assess.Text{"en": {Stem: "Describe ![the picture](" + gone + ")."}}, Scoring: assess.Scoring{Marks: 2}}); err != nil {
				t.Fatal(err)
			}
			res, body, err := getRaw(t, w.adminA, base+"/export?format=qti3")
			if res.StatusCode != 200 {
				t.Fatalf("status %d: the error came before the download started; it should come after %d items", res.StatusCode, n)
			}
			if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("read %d bytes, error %v: the client must see a failed download, not a complete-looking file", len(body), err)
			}
			if _, zerr := zip.NewReader(bytes.NewReader(body), int64(len(body))); zerr == nil {
				t.Error("what arrived reads as a complete zip")
			}
		})
	})
}
