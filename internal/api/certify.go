package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

// certifyRoutes is the API of certificates: each authority's signing keys.
// previewOmitsHeader names what a preview PNG leaves out: "background"
// when the template's background is a PDF page, which only the PDF shows.
const previewOmitsHeader = "Vidya-Preview-Omits"

func (a *API) certifyRoutes() []route {
	c := a.Certify
	const keys = "/api/v1/authorities/{code}/signing-keys"
	const types = "/api/v1/authorities/{code}/certificate-types"
	const batches = "/api/v1/authorities/{code}/certificate-batches"
	const certs = "/api/v1/authorities/{code}/certificates"
	batchID := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	decide := func(approve bool) func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
		return func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
			id, err := batchID(r)
			if err != nil {
				return nil, err
			}
			var in Decision
			if err := httpx.Decode(w, r, &in, 0); err != nil {
				return nil, err
			}
			return c.Decide(r.Context(), p, r.PathValue("code"), id, approve, in.Note)
		}
	}
	batchState := func(fn func(ctx context.Context, p *identity.Principal, code string, id int64) (*certify.Batch, error)) func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
		return func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
			id, err := batchID(r)
			if err != nil {
				return nil, err
			}
			return fn(r.Context(), p, r.PathValue("code"), id)
		}
	}
	file := func(kind, ct string) func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
		return func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
			data, err := c.CertificateFile(r.Context(), p, r.PathValue("code"), r.PathValue("doc"), kind)
			if err != nil {
				return nil, err
			}
			ext := map[string]string{"pdf": ".pdf", "json": ".json"}[kind]
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ToUpper(r.PathValue("doc"))+ext+`"`)
			w.Header().Set("Cache-Control", "private, no-store")
			_, _ = w.Write(data)
			return nil, nil
		}
	}
	return []route{
		{method: "GET", path: types, summary: "An authority's certificate types (administrators, approvers)", access: signedIn, out: List[certify.CertType]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				ts, err := c.Types(r.Context(), p, r.PathValue("code"))
				return listOf(ts, ""), err
			}},
		{method: "GET", path: types + "/{type}", summary: "A certificate type (administrators, approvers)", access: signedIn, out: certify.CertType{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return c.Type(r.Context(), p, r.PathValue("code"), r.PathValue("type"))
			}},
		{method: "PUT", path: types + "/{type}", summary: "Create a certificate type or save a new version: fields, CEL rules (compile errors with line and column), achievement, validity and PDF template, all checked before saving (administrators)",
			access: signedIn, in: (*certify.Definition)(nil), out: certify.CertType{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in certify.Definition
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return c.SaveType(r.Context(), p, r.PathValue("code"), r.PathValue("type"), in)
			}},
		{method: "POST", path: types + "/preview", summary: "Render an unsaved certificate type's template with sample data: a PNG (?format=png&width=…, default) or a PDF (?format=pdf); a PNG that leaves out a PDF background says so in Vidya-Preview-Omits: background (administrators, approvers)",
			access: signedIn, in: (*certify.Definition)(nil), produces: []string{"image/png", "application/pdf"}, query: []param{{"format", "png or pdf"}, {"width", "PNG width in pixels, 100–3000 (default 1200)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in certify.Definition
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				format := r.URL.Query().Get("format")
				width := 1200
				if v := r.URL.Query().Get("width"); v != "" {
					n, err := strconv.Atoi(v)
					if err != nil {
						return nil, &errs.Error{Kind: errs.Invalid, Op: "api: preview", Message: "the query is not valid", Fields: map[string]string{"width": "must be a whole number"}}
					}
					width = n
				}
				out, err := c.Preview(r.Context(), p, r.PathValue("code"), in, format, width)
				if err != nil {
					return nil, err
				}
				ct := "image/png"
				if format == "pdf" {
					ct = "application/pdf"
				}
				w.Header().Set("Content-Type", ct)
				w.Header().Set("Cache-Control", "private, no-store")
				if out.WithoutBackground {
					w.Header().Set(previewOmitsHeader, "background")
				}
				_, _ = w.Write(out.Data)
				return nil, nil
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/certificate-assets", summary: "The images, PDF backgrounds and fonts certificate templates use (administrators, approvers)", access: signedIn, out: List[certify.Asset]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				as, err := c.Assets(r.Context(), p, r.PathValue("code"))
				return listOf(as, ""), err
			}},
		{method: "PUT", path: "/api/v1/authorities/{code}/certificate-assets/{name}", summary: "Upload a PNG or JPEG image, a PDF (its first page is a background) or a TrueType font for templates, replacing one of that name; a bold face of font X is named X:bold (administrators)",
			access: signedIn, raw: []string{"image/png", "image/jpeg", "font/ttf", "application/octet-stream"}, out: certify.Asset{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				data, err := readUpload(w, r, certify.MaxAssetBytes)
				if err != nil {
					return nil, err
				}
				return c.PutAsset(r.Context(), p, r.PathValue("code"), r.PathValue("name"), bytes.NewReader(data))
			}},
		{method: "DELETE", path: "/api/v1/authorities/{code}/certificate-assets/{name}", summary: "Delete a template asset (administrators)", access: signedIn,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return nil, c.DeleteAsset(r.Context(), p, r.PathValue("code"), r.PathValue("name"))
			}},
		{method: "GET", path: batches, summary: "An authority's certificate batches, newest first (administrators, approvers)", access: signedIn, out: List[certify.Batch]{},
			query: []param{{"after", "the id of the last batch of the previous page"}, {"limit", "1–200"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				pg, err := page(r)
				if err != nil {
					return nil, err
				}
				before, _ := strconv.ParseInt(pg.After, 10, 64)
				bs, err := c.Batches(r.Context(), p, r.PathValue("code"), before, pg.Limit)
				next := ""
				if err == nil && len(bs) > 0 && len(bs) == (identity.Page{Limit: pg.Limit}).Size() {
					next = strconv.FormatInt(bs[len(bs)-1].ID, 10)
				}
				return listOf(bs, next), err
			}},
		{method: "POST", path: batches, summary: "Make a batch for approval and validate every row: from an exam's results (JSON {type, exam_id}) or a CSV whose header names the type's fields (text/csv, with ?type=…&source=…&name=…); the report lists every rejected row (administrators)",
			access: signedIn, raw: []string{"application/json", "text/csv"}, out: certify.Batch{}, status: http.StatusCreated,
			query: []param{{"type", "the certificate type (CSV)"}, {"source", "what the certificates are for, e.g. the examination and session (CSV)"}, {"name", "the batch's name"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				q := r.URL.Query()
				in := certify.BatchInput{Type: q.Get("type"), Source: q.Get("source"), Name: q.Get("name")}
				switch mediaType(r) {
				case "text/csv":
					in.CSV = http.MaxBytesReader(w, r.Body, certify.MaxBatchBytes+1)
				case "application/json":
					if err := httpx.Decode(w, r, &in, 0); err != nil {
						return nil, err
					}
				default:
					return nil, errs.E(errs.Unsupported, "api: batch", "send JSON {type, exam_id} or a text/csv file")
				}
				return c.CreateBatch(r.Context(), p, r.PathValue("code"), in)
			}},
		{method: "GET", path: batches + "/{id}", summary: "A batch with its counts (administrators, approvers)", access: signedIn, out: certify.Batch{},
			handle: batchState(c.Batch)},
		{method: "GET", path: batches + "/{id}/rows", summary: "A batch's rows with their state and problems, in order (administrators, approvers)", access: signedIn, out: List[certify.BatchRow]{},
			query: []param{{"state", "valid, rejected, issued or failed"}, {"after", "the last row number of the previous page"}, {"limit", "1–500"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				id, err := batchID(r)
				if err != nil {
					return nil, err
				}
				q := r.URL.Query()
				after, _ := strconv.Atoi(q.Get("after"))
				limit, _ := strconv.Atoi(q.Get("limit"))
				rows, err := c.BatchRows(r.Context(), p, r.PathValue("code"), id, q.Get("state"), after, limit)
				next := ""
				if err == nil && len(rows) > 0 && (limit > 0 && len(rows) == limit || limit <= 0 && len(rows) == 500) {
					next = strconv.Itoa(rows[len(rows)-1].Row)
				}
				return listOf(rows, next), err
			}},
		{method: "GET", path: batches + "/{id}/rejections.csv", summary: "The rejected and failed rows with every reason, as CSV (administrators, approvers)", access: signedIn, produces: []string{"text/csv"},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				id, err := batchID(r)
				if err != nil {
					return nil, err
				}
				if _, err := c.Batch(r.Context(), p, r.PathValue("code"), id); err != nil {
					return nil, err
				}
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Header().Set("Content-Disposition", `attachment; filename="batch-`+strconv.FormatInt(id, 10)+`-rejections.csv"`)
				if err := c.WriteRejections(r.Context(), p, r.PathValue("code"), id, w, nil); err != nil {
					a.Log.WarnContext(r.Context(), "rejection report cut off", "err", err)
				}
				return nil, nil
			}},
		{method: "GET", path: batches + "/{id}/events", summary: "The batch's progress as server-sent events (event: progress, data: the batch) until it is no longer pending or issuing (administrators, approvers)",
			access: signedIn, produces: []string{"text/event-stream"},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				id, err := batchID(r)
				if err != nil {
					return nil, err
				}
				return nil, BatchEvents(w, r, func() (*certify.Batch, error) { return c.Batch(r.Context(), p, r.PathValue("code"), id) })
			}},
		{method: "POST", path: batches + "/{id}/approve", summary: "Approve a batch and start issuing it: approvers other than its maker (maker-checker)", access: signedIn,
			in: (*Decision)(nil), out: certify.Batch{}, handle: decide(true)},
		{method: "POST", path: batches + "/{id}/decline", summary: "Decline a batch, with a note saying why (approvers other than its maker)", access: signedIn,
			in: (*Decision)(nil), out: certify.Batch{}, handle: decide(false)},
		{method: "POST", path: batches + "/{id}/pause", summary: "Pause issuing after the jobs running now (administrators, approvers)", access: signedIn, out: certify.Batch{}, handle: batchState(c.Pause)},
		{method: "POST", path: batches + "/{id}/resume", summary: "Resume a paused batch where it stopped (administrators, approvers)", access: signedIn, out: certify.Batch{}, handle: batchState(c.Resume)},
		{method: "POST", path: batches + "/{id}/cancel", summary: "Stop a batch for good; what was issued stays valid (administrators, approvers)", access: signedIn, out: certify.Batch{}, handle: batchState(c.Cancel)},
		{method: "GET", path: certs + "/{doc}", summary: "An issued certificate with its data (administrators, approvers)", access: signedIn, out: certify.Certificate{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return c.Certificate(r.Context(), p, r.PathValue("code"), r.PathValue("doc"))
			}},
		{method: "GET", path: certs + "/{doc}/pdf", summary: "A certificate's PDF (administrators, approvers)", access: signedIn, produces: []string{"application/pdf"}, handle: file("pdf", "application/pdf")},
		{method: "GET", path: certs + "/{doc}/credential", summary: "A certificate's signed Open Badges 3.0 credential (administrators, approvers)", access: signedIn, produces: []string{"application/vc+ld+json"}, handle: file("json", "application/vc+ld+json")},
		{method: "POST", path: certs + "/{doc}/revoke", summary: "Revoke a certificate with a reason; its status list is signed again (administrators)", access: signedIn,
			in: (*Revocation)(nil), out: certify.Certificate{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in Revocation
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return c.Revoke(r.Context(), p, r.PathValue("code"), r.PathValue("doc"), in.Reason)
			}},
		{method: "POST", path: certs + "/{doc}/reissue", summary: "Issue a corrected certificate in place of this one, which is revoked as replaced (administrators)", access: signedIn,
			in: (*Reissue)(nil), out: certify.Certificate{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in Reissue
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return c.Reissue(r.Context(), p, r.PathValue("code"), r.PathValue("doc"), in.Changes, in.Reason)
			}},
		{method: "POST", path: "/api/v1/verify", summary: "Verify a certificate as presented: its credential (application/json), its PDF (application/pdf) or its QR code's text (text/plain: the payload or the whole verify URL). Public",
			access: public, raw: []string{"application/json", "application/pdf", "text/plain"}, out: certify.Verification{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				data, err := readUpload(w, r, certify.MaxVerifyBytes)
				if err != nil {
					return nil, err
				}
				w.Header().Set("Cache-Control", "no-store")
				return c.Verify(r.Context(), r.Header.Get("Content-Type"), data)
			}},
		{method: "GET", path: "/api/v1/verify/{doc}", summary: "Whether the certificate with this number stands: issuer, holder's name, achievement and dates. Public", access: public, out: certify.Verification{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				w.Header().Set("Cache-Control", "no-store")
				return c.Lookup(r.Context(), r.PathValue("doc"))
			}},
		{method: "GET", path: keys, summary: "An authority's certificate signing keys, newest first; retired keys stay published so what they signed still verifies (administrators, approvers)",
			access: signedIn, out: List[certify.Key]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				ks, err := c.Keys(r.Context(), p, r.PathValue("code"))
				return listOf(ks, ""), err
			}},
		{method: "POST", path: keys, summary: "Create a new signing key and make it the active one; the previous key is retired but stays valid for what it signed (administrators)",
			access: signedIn, out: certify.Key{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return c.RotateKey(r.Context(), p, r.PathValue("code"))
			}},
	}
}

// Decision is an approver's answer on a batch.
type Decision struct {
	Note string `json:"note"`
}

// Revocation says why a certificate is revoked.
type Revocation struct {
	Reason string `json:"reason"`
}

// Reissue is a correction: the fields to change and why.
type Reissue struct {
	Changes map[string]string `json:"changes"`
	Reason  string            `json:"reason"`
}

// BatchEvents streams a batch's progress as server-sent events: an event
// whenever its counts or state change, polled every second, until it is
// neither pending nor issuing or the client goes away.
func BatchEvents(w http.ResponseWriter, r *http.Request, load func() (*certify.Batch, error)) error {
	b, err := load()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	last := ""
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		data, err := json.Marshal(b)
		if err != nil {
			return nil
		}
		if string(data) != last {
			last = string(data)
			if _, err := fmt.Fprintf(w, "event: progress\ndata: %s\n\n", data); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil {
				return nil
			}
		}
		if b.State != certify.BatchPending && b.State != certify.BatchIssuing {
			return nil
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
		}
		if b, err = load(); err != nil {
			return nil
		}
	}
}

// statusList serves an authority's signed revocation list. Verifiers
// fetch it often, so caches may keep it for five minutes.
func (a *API) statusList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		httpx.Error(w, r, a.Log, err)
		return
	}
	doc, err := a.Certify.StatusList(r.Context(), r.PathValue("code"), id)
	a.publicJSON(w, r, "application/vc+ld+json", doc, err)
}

// didDocument serves an authority's did:web document: its signing keys,
// for anyone verifying its certificates.
func (a *API) didDocument(w http.ResponseWriter, r *http.Request) {
	doc, err := a.Certify.DIDDocument(r.Context(), r.PathValue("code"))
	a.publicJSON(w, r, "application/did+json", doc, err)
}

// jwks serves an authority's signing keys as a JSON Web Key Set.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	doc, err := a.Certify.JWKS(r.Context(), r.PathValue("code"))
	a.publicJSON(w, r, "application/jwk-set+json", doc, err)
}

// publicJSON writes a public document that caches may keep for five
// minutes: a rotated key reaches verifiers within that time, and retired
// keys stay listed, so nothing already signed stops verifying meanwhile.
func (a *API) publicJSON(w http.ResponseWriter, r *http.Request, contentType string, doc []byte, err error) {
	if err != nil {
		httpx.Error(w, r, a.Log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Security-Policy", "default-src 'none'")
	_, _ = w.Write(doc)
}
