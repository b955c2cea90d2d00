package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// An uploaded file waits between the preview and "Import now" as two files
// in the temporary directory: the upload and a note of its options, named
// after a random token. They are removed when used or after importTTL.
const (
	importTTL       = time.Hour
	importPrefix    = "vidya-webimport-"
	reportLinesShow = 500
)

// pendingImport is the note kept beside an uploaded file.
type pendingImport struct {
	Authority string    `json:"authority"`
	UserID    int64     `json:"user_id"`
	Filename  string    `json:"filename"`
	Format    string    `json:"format"`
	Lang      string    `json:"lang"`
	ValidOnly bool      `json:"valid_only"`
	AddTopics bool      `json:"add_topics"`
	At        time.Time `json:"at"`
}

type importData struct {
	A       *identity.Authority
	Formats []string
	Langs   []langLink
	Report  *reportView
}

// reportView is an import report as a page shows it.
type reportView struct {
	*assess.ImportReport
	Preview  bool   // a dry run; Token names the stored file
	Token    string //
	Filename string
	Lines    []assess.ImportLine // rejected first, then those with notes; at most reportLinesShow
	More     int                 // lines not shown
	Total    int
}

func newReportView(rep *assess.ImportReport, preview bool, token, filename string) *reportView {
	v := &reportView{ImportReport: rep, Preview: preview, Token: token, Filename: filename, Total: len(rep.Lines)}
	lines := slices.Clone(rep.Lines)
	// What needs the reader's eye comes first: rejected items, then items
	// the reader changed.
	rank := func(l assess.ImportLine) int {
		switch {
		case l.Outcome == assess.Rejected:
			return 0
		case len(l.Notes) > 0:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(lines, func(a, b assess.ImportLine) int { return rank(a) - rank(b) })
	if len(lines) > reportLinesShow {
		v.More = len(lines) - reportLinesShow
		lines = lines[:reportLinesShow]
	}
	v.Lines = lines
	return v
}

func (w *Web) importForm(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	a := w.importAuthority(rw, r, p)
	if a == nil {
		return
	}
	f := &form{Values: map[string][]string{"format": {"guess"}, "lang": {w.lang(r)}}, Errors: map[string]string{}}
	w.importPage(rw, r, a, http.StatusOK, f, nil)
}

// importAuthority is bankAuthority for authors and administrators only.
func (w *Web) importAuthority(rw http.ResponseWriter, r *http.Request, p *identity.Principal) *identity.Authority {
	a := w.bankAuthority(rw, r, p)
	if a != nil && !p.Has(a.ID, bankWriters...) {
		w.fail(rw, r, errs.E(errs.Forbidden, "web: import", "authors only"))
		return nil
	}
	return a
}

func (w *Web) importPage(rw http.ResponseWriter, r *http.Request, a *identity.Authority, status int, f *form, rep *reportView) {
	d := importData{A: a, Formats: formats.Import, Report: rep}
	for _, l := range assess.Languages {
		d.Langs = append(d.Langs, langLink{Code: l, Name: langNames[l]})
	}
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "item_import", v)
}

// uploadImport takes an item file, previews its import and keeps it for
// "Import now".
func (w *Web) uploadImport(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	a := w.importAuthority(rw, r, p)
	if a == nil {
		return
	}
	sweepImports(time.Now())
	token, err := newToken()
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	path := importPath(token)
	pend, size, err := spoolUpload(rw, r, path)
	f := &form{Values: map[string][]string{"format": {pend.Format}, "lang": {pend.Lang}}, Errors: map[string]string{}}
	if pend.ValidOnly {
		f.Values.Set("valid_only", "on")
	}
	if pend.AddTopics {
		f.Values.Set("add_topics", "on")
	}
	lang := w.lang(r)
	fail := func(err error) {
		os.Remove(path)
		if !w.invalid(f, lang, err) {
			switch errs.KindOf(err) {
			case errs.TooLarge, errs.Unsupported:
				f.Message = l10n.Translate(lang, errs.As(err).Message)
			default:
				w.fail(rw, r, err)
				return
			}
		}
		if f.Message == "" || len(f.Errors) > 0 {
			f.Message = w.cat.text(lang, "form.fix")
		}
		w.importPage(rw, r, a, http.StatusUnprocessableEntity, f, nil)
	}
	if err != nil {
		fail(err)
		return
	}
	if pend.Format == "" || pend.Format == "guess" {
		file, err := os.Open(path)
		if err != nil {
			fail(errs.Wrap("web: import", err))
			return
		}
		head := make([]byte, 512)
		n, _ := file.ReadAt(head, 0)
		file.Close()
		if pend.Format = formats.Guess(pend.Filename, head[:n]); pend.Format == "" {
			fail(&errs.Error{Kind: errs.Invalid, Op: "web: import", Message: "cannot tell the file's format",
				Fields: map[string]string{"format": w.cat.text(lang, "import.say_format")}})
			return
		}
	}
	pend.Authority, pend.UserID, pend.At = a.Code, p.User.ID, time.Now()
	rep, err := w.runImport(r, p, path, size, pend, true)
	if err != nil {
		fail(err)
		return
	}
	note, _ := json.Marshal(pend)
	if err := os.WriteFile(path+".json", note, 0o600); err != nil {
		fail(errs.Wrap("web: import", err))
		return
	}
	w.importPage(rw, r, a, http.StatusOK, f, newReportView(rep, true, token, pend.Filename))
}

// commitImport runs a previewed import for real.
func (w *Web) commitImport(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	a := w.importAuthority(rw, r, p)
	if a == nil {
		return
	}
	token := r.PathValue("token")
	path := importPath(token)
	var pend pendingImport
	b, err := os.ReadFile(path + ".json")
	if err == nil {
		err = json.Unmarshal(b, &pend)
	}
	fi, statErr := os.Stat(path)
	if !validToken(token) || err != nil || statErr != nil || pend.Authority != a.Code || pend.UserID != p.User.ID || time.Since(pend.At) > importTTL {
		w.setFlash(rw, "flash.import_expired")
		seeOther(rw, r, bankURL(a)+"/import")
		return
	}
	defer os.Remove(path + ".json")
	defer os.Remove(path)
	rep, err := w.runImport(r, p, path, fi.Size(), pend, false)
	if err != nil {
		f := &form{Values: map[string][]string{"format": {pend.Format}, "lang": {pend.Lang}}, Errors: map[string]string{}}
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.importPage(rw, r, a, http.StatusUnprocessableEntity, f, nil)
		return
	}
	w.importPage(rw, r, a, http.StatusOK, &form{}, newReportView(rep, false, "", pend.Filename))
}

func (w *Web) runImport(r *http.Request, p *identity.Principal, path string, size int64, pend pendingImport, dryRun bool) (*assess.ImportReport, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, errs.Wrap("web: import", err)
	}
	defer file.Close()
	opts := formats.Options{Lang: pend.Lang}
	if !dryRun {
		// Only the real import stores the package's images; a preview
		// changes nothing.
		if opts.Media, err = w.cfg.Bank.MediaImporter(r.Context(), p, r.PathValue("code")); err != nil {
			return nil, err
		}
	}
	src, err := formats.Open(pend.Format, file, size, opts)
	if err != nil {
		return nil, err
	}
	return w.cfg.Bank.Import(r.Context(), p, r.PathValue("code"), src, assess.ImportOptions{ValidOnly: pend.ValidOnly, AddTopics: pend.AddTopics, DryRun: dryRun})
}

// spoolUpload streams a multipart upload's file to path (at most
// formats.MaxImportBytes) and returns the form's other fields.
func spoolUpload(rw http.ResponseWriter, r *http.Request, path string) (pendingImport, int64, error) {
	const op = "web: upload"
	pend := pendingImport{Format: "guess", Lang: "en"}
	max := int64(formats.MaxImportBytes)
	if r.ContentLength > max+64<<10 {
		return pend, 0, errs.E(errs.TooLarge, op, "the file is %d bytes; at most %d MiB", r.ContentLength, max>>20)
	}
	r.Body = http.MaxBytesReader(rw, r.Body, max+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return pend, 0, &errs.Error{Kind: errs.Invalid, Op: op, Message: "choose a file to upload", Fields: map[string]string{"file": "choose a file to upload"}}
	}
	var size int64 = -1
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return pend, 0, tooBigOr(err, errs.E(errs.Invalid, op, "the upload was cut off"))
		}
		switch part.FormName() {
		case "file":
			if part.FileName() == "" || size >= 0 {
				continue
			}
			pend.Filename = filepath.Base(part.FileName())
			out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return pend, 0, errs.Wrap(op, err)
			}
			n, err := io.Copy(out, io.LimitReader(part, max+1))
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return pend, 0, tooBigOr(err, errs.E(errs.Invalid, op, "the upload was cut off"))
			}
			if n > max {
				return pend, 0, errs.E(errs.TooLarge, op, "the file is larger than %d MiB", max>>20)
			}
			size = n
		case "format", "lang", "valid_only", "add_topics":
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			switch s := strings.TrimSpace(string(b)); part.FormName() {
			case "format":
				pend.Format = s
			case "lang":
				pend.Lang = s
			case "add_topics":
				pend.AddTopics = s != ""
			default:
				pend.ValidOnly = s != ""
			}
		}
	}
	if size <= 0 {
		return pend, 0, &errs.Error{Kind: errs.Invalid, Op: op, Message: "choose a file to upload", Fields: map[string]string{"file": "choose a non-empty file"}}
	}
	if pend.Format != "guess" && !slices.Contains(formats.Import, pend.Format) {
		return pend, 0, &errs.Error{Kind: errs.Invalid, Op: op, Message: "unknown format", Fields: map[string]string{"format": "must be one of " + strings.Join(formats.Import, ", ")}}
	}
	return pend, size, nil
}

func tooBigOr(err, otherwise error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errs.E(errs.TooLarge, "web: upload", "the file is larger than %d MiB", formats.MaxImportBytes>>20)
	}
	return otherwise
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", errs.Wrap("web: import token", err)
	}
	return hex.EncodeToString(b), nil
}

func validToken(t string) bool {
	if len(t) != 32 {
		return false
	}
	_, err := hex.DecodeString(t)
	return err == nil
}

// importPath is where the upload for token waits. Only tokens this server
// made (32 hex digits) name a file.
func importPath(token string) string {
	if !validToken(token) {
		token = "invalid"
	}
	return filepath.Join(os.TempDir(), importPrefix+token)
}

// sweepImports removes waiting uploads older than importTTL.
func sweepImports(now time.Time) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), importPrefix+"*"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && now.Sub(fi.ModTime()) > importTTL {
			os.Remove(m)
		}
	}
}
