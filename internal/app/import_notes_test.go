package app

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
)

// The API's import report carries what the reader dropped, item by item,
// and what it changed in the file.
func TestImportReportNotes(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		w := setupTenants(t, sys, srv)
		src := "::cap:: Capital of India? {=Delhi =%50%Dilli}\n\n::num:: Pi? {# =3.14:0.01 ~3}\n\n::ok:: Which is a prime? {=7 ~8}\n"
		for _, dry := range []bool{true, false} {
			path := "/api/v1/authorities/AAA/items/import?format=gift"
			if dry {
				path += "&dry_run=true"
			}
			r := postFile(w.adminA, path, "text/plain", []byte(src))
			if r.status != 200 {
				t.Fatalf("import: %d %s", r.status, r.body)
			}
			var rep assess.ImportReport
			r.json(t, &rep)
			if rep.WithNotes != 2 || len(rep.Lines) != 3 || rep.Committed == dry {
				t.Fatalf("dry run %v: %s", dry, r.body)
			}
			want := map[string][]string{
				"cap": {`answer "Dilli" at 50% is dropped: a short-answer item accepts only answers at 100%`},
				"num": {`answer 3 at 0% is dropped: a numeric item keeps only its fully right answer`},
				"ok":  nil,
			}
			for _, l := range rep.Lines {
				if !slices.Equal(l.Notes, want[l.Ref]) {
					t.Errorf("dry run %v, %s: notes %q, want %q", dry, l.Ref, l.Notes, want[l.Ref])
				}
			}
			// A line without notes leaves the key out.
			var raw struct {
				Lines []map[string]json.RawMessage `json:"lines"`
			}
			_ = json.Unmarshal(r.body, &raw)
			for _, l := range raw.Lines {
				_, has := l["notes"]
				if ref := strings.Trim(string(l["ref"]), `"`); has != (ref != "ok") {
					t.Errorf("line %s: notes key present %v", ref, has)
				}
			}
		}

		// A UTF-16 CSV gets one note for the file.
		csv := "type,stem_en,correct\nessay,Why?,\nessay,How?,\n"
		u16 := []byte{0xFF, 0xFE}
		for _, c := range csv {
			u16 = append(u16, byte(c), 0)
		}
		r := postFile(w.adminA, "/api/v1/authorities/AAA/items/import?format=csv&dry_run=true", "text/csv", u16)
		var rep assess.ImportReport
		r.json(t, &rep)
		if len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "UTF-16 (little-endian)") || rep.WithNotes != 0 {
			t.Errorf("file notes: %s", r.body)
		}
	})
}
