package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/formats"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

// itemFileRoutes import and export item files.
func (a *API) itemFileRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/authorities/{code}/items/import", summary: "Import an item file (QTI 2.1/3.0 item or package, GIFT, Aiken or CSV) as drafts; the report lists every item",
			access: signedIn, raw: []string{"application/zip", "application/xml", "text/csv", "text/plain", "application/octet-stream"}, out: assess.ImportReport{},
			query: []param{{"format", "qti, gift, aiken or csv (guessed from filename and content when omitted)"}, {"filename", "the file's name, to guess its format"},
				{"lang", "language of the text for single-language formats (default en)"}, {"marks", "marks per item where the format has none (default 1)"},
				{"valid_only", "true: import the valid items even if some are rejected"}, {"dry_run", "true: report what would happen and change nothing"},
				{"add_topics", "true: add topics the file names that the taxonomy lacks (else such items are rejected)"}},
			handle: a.importItems},
		{method: "POST", path: "/api/v1/authorities/{code}/items/media", summary: "Store an image for items (PNG, JPEG, GIF or WebP, at most 5 MiB); the answer's url goes in an item's Markdown as ![alt](url)",
			access: signedIn, raw: []string{"image/png", "image/jpeg", "image/gif", "image/webp"}, out: MediaRef{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				data, err := readUpload(w, r, assess.MaxMediaBytes)
				if err != nil {
					return nil, err
				}
				url, err := a.Bank.AddMedia(r.Context(), p, r.PathValue("code"), data)
				return MediaRef{URL: url}, err
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/items/export", summary: "Download items as a QTI 3.0 or 2.1 package (images included), CSV or GIFT; the same filters as the item list pick them, oldest first, with no limit (streamed)",
			access: signedIn, produces: []string{"application/zip", "text/csv", "text/plain"},
			query: []param{{"format", "qti3 (default), qti2, csv or gift"}, {"lang", "language for GIFT (default en)"}, {"ids", "comma-separated item ids (else the filters below)"},
				{"q", "words"}, {"type", "item type"}, {"status", "status"}, {"topic", "topic"}, {"difficulty", "difficulty"}, {"language", "language"}},
			handle: a.exportItems},
	}
}

// MediaRef is where a stored image is served.
type MediaRef struct {
	URL string `json:"url"`
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &errs.Error{Kind: errs.Invalid, Op: "api", Message: "the query is not valid", Fields: map[string]string{name: "must be true or false"}}
	}
	return b, nil
}

func (a *API) importItems(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
	const op = "api: import items"
	q := r.URL.Query()
	validOnly, err := boolParam(r, "valid_only")
	if err != nil {
		return nil, err
	}
	dryRun, err := boolParam(r, "dry_run")
	if err != nil {
		return nil, err
	}
	addTopics, err := boolParam(r, "add_topics")
	if err != nil {
		return nil, err
	}
	opts := formats.Options{Lang: q.Get("lang")}
	if m := q.Get("marks"); m != "" {
		if opts.Marks, err = strconv.ParseFloat(m, 64); err != nil || opts.Marks <= 0 || opts.Marks > 1000 {
			return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the query is not valid", Fields: map[string]string{"marks": "must be a number from 0 to 1000"}}
		}
	}
	// Check the caller may import before reading a large body.
	if _, _, err := a.Bank.ListItems(r.Context(), p, r.PathValue("code"), assess.ItemFilter{Limit: 1}); err != nil {
		return nil, err
	}
	f, size, err := spool(w, r, formats.MaxImportBytes)
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	format := q.Get("format")
	if format == "" {
		head := make([]byte, 512)
		n, _ := f.ReadAt(head, 0)
		if format = formats.Guess(q.Get("filename"), head[:n]); format == "" {
			return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "cannot tell the file's format", Fields: map[string]string{"format": "say which: " + strings.Join(formats.Import, ", ")}}
		}
	}
	if !dryRun {
		// Only the real import stores the package's images; a preview
		// changes nothing.
		if opts.Media, err = a.Bank.MediaImporter(r.Context(), p, r.PathValue("code")); err != nil {
			return nil, err
		}
	}
	src, err := formats.Open(format, f, size, opts)
	if err != nil {
		return nil, err
	}
	return a.Bank.Import(r.Context(), p, r.PathValue("code"), src, assess.ImportOptions{ValidOnly: validOnly, DryRun: dryRun, AddTopics: addTopics})
}

// spool copies the request body to a temporary file (at most max bytes), so
// a large upload costs disk, not memory, and zips can be read from the end.
func spool(w http.ResponseWriter, r *http.Request, max int64) (*os.File, int64, error) {
	const op = "api: upload"
	if r.ContentLength > max {
		return nil, 0, errs.E(errs.TooLarge, op, "the file is %d bytes; at most %d (%d MiB)", r.ContentLength, max, max>>20)
	}
	f, err := os.CreateTemp("", "vidya-upload-*")
	if err != nil {
		return nil, 0, errs.Wrap(op, err)
	}
	n, err := io.Copy(f, http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, 0, errs.E(errs.TooLarge, op, "the file is larger than %d bytes (%d MiB)", max, max>>20)
		}
		return nil, 0, errs.E(errs.Invalid, op, "the upload was cut off after %d bytes", n)
	}
	if n == 0 {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, errs.E(errs.Invalid, op, "the file is empty")
	}
	return f, n, nil
}

func (a *API) exportItems(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
	const op = "api: export items"
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = formats.QTI30
	}
	if !slices.Contains(formats.Export, format) {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "unknown export format", Fields: map[string]string{"format": "must be one of " + strings.Join(formats.Export, ", ")}}
	}
	var ids []int64
	if v := q.Get("ids"); v != "" {
		for _, part := range strings.Split(v, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
			if err != nil || id <= 0 {
				return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the query is not valid", Fields: map[string]string{"ids": fmt.Sprintf("%q is not an item id", part)}}
			}
			ids = append(ids, id)
		}
	}
	ctx := r.Context()
	items, err := a.Bank.Export(ctx, p, r.PathValue("code"), assess.ItemFilter{Text: q.Get("q"), Type: assess.ItemType(q.Get("type")),
		Status: assess.Status(q.Get("status")), Topic: q.Get("topic"), Difficulty: q.Get("difficulty"), Language: q.Get("language")}, ids)
	if err != nil {
		return nil, err
	}
	ct, ext := formats.ContentType(format)
	opts := formats.WriteOptions{Lang: q.Get("lang"), Media: func(ref string) (io.ReadCloser, error) { return items.OpenMedia(ctx, ref) }}
	// Streamed: a problem found before the first byte is still a problem
	// response; one found later aborts the download.
	return nil, httpx.Download(w, r, a.Log, ct, strings.ToLower(items.Authority())+"-items"+ext, func(out io.Writer) error {
		return formats.WriteStream(out, format, items.All(ctx), opts)
	})
}
