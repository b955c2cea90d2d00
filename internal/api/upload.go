package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

// readUpload reads a binary request body of at most max bytes.
func readUpload(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	const op = "api: upload"
	if r.ContentLength > max {
		return nil, errs.E(errs.TooLarge, op, "the file is %d bytes; at most %d", r.ContentLength, max)
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errs.E(errs.TooLarge, op, "the file is larger than %d bytes", max)
	case err != nil:
		return nil, errs.E(errs.Invalid, op, "the upload was cut off")
	}
	return data, nil
}

// mediaType is the request's Content-Type without parameters.
func mediaType(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// logo serves an authority's logo to anyone: logos appear on public
// certificate and verification pages.
func (a *API) logo(w http.ResponseWriter, r *http.Request) {
	rc, info, err := a.Identity.Logo(r.Context(), r.PathValue("code"))
	if err != nil {
		httpx.Error(w, r, a.Log, err)
		return
	}
	defer rc.Close()
	etag := `"` + info.ETag + `"`
	h := w.Header()
	h.Set("Content-Type", info.ContentType)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", etag)
	h.Set("Content-Security-Policy", "default-src 'none'")
	if info.ETag != "" && r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	_, _ = io.Copy(w, rc)
}

// media serves an image of an authority's items to its members.
func (a *API) media(w http.ResponseWriter, r *http.Request) {
	var rc io.ReadCloser
	var info blob.Info
	var err error
	p := identity.PrincipalFrom(r.Context())
	q := r.URL.Query()
	switch {
	case q.Get("sig") != "" && a.Delivery != nil:
		// An image of an exam paper, by the URL signed for its candidates.
		exam, _ := strconv.ParseInt(q.Get("exam"), 10, 64)
		rc, info, err = a.Delivery.Media(r.Context(), r.PathValue("code"), r.PathValue("name"), exam, q.Get("sig"))
	case p == nil:
		httpx.Error(w, r, a.Log, errs.E(errs.Unauthorized, "api", "sign in to see this image"))
		return
	default:
		rc, info, err = a.Bank.Media(r.Context(), p, r.PathValue("code"), r.PathValue("name"))
	}
	if err != nil {
		httpx.Error(w, r, a.Log, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", info.ContentType)
	// Named by content: it never changes, but it is not public.
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	_, _ = io.Copy(w, rc)
}
