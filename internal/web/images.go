package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

type imagesData struct {
	A *identity.Authority
	// URL and Markdown describe the image just stored, if any.
	URL, Markdown string
}

// images lets authors store a picture for their items and gives the
// Markdown to paste into a stem or choice. Asked for JSON (Accept:
// application/json), as the editor's image picker does, it lists the
// authority's images instead: {"images": [{"url", "size", "uploaded"}]},
// newest first.
func (w *Web) images(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	rw.Header().Set("Vary", "Accept")
	if wantsJSON(r) {
		list, err := w.cfg.Bank.ListMedia(r.Context(), p, a.Code)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		writeJSON(rw, http.StatusOK, map[string]any{"images": list})
		return
	}
	v := w.newView(r, imagesData{A: a})
	v.Form = &form{}
	w.render(rw, r, http.StatusOK, "item_images", v)
}

func (w *Web) uploadImage(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, assess.MaxMediaBytes+64<<10)
	data, _, err := readFileField(r, "image", assess.MaxMediaBytes)
	var url string
	if err == nil {
		url, err = w.cfg.Bank.AddMedia(r.Context(), p, a.Code, data)
	}
	if err != nil {
		switch errs.KindOf(err) {
		case errs.Invalid, errs.Unsupported, errs.TooLarge:
			if wantsJSON(r) {
				writeJSON(rw, http.StatusUnprocessableEntity, map[string]string{"error": l10n.Translate(w.lang(r), errs.As(err).Message)})
				return
			}
			v := w.newView(r, imagesData{A: a})
			v.Form = &form{Errors: map[string]string{"image": l10n.Translate(w.lang(r), errs.As(err).Message)}, Message: w.cat.text(w.lang(r), "form.fix")}
			w.render(rw, r, http.StatusUnprocessableEntity, "item_images", v)
		default:
			w.fail(rw, r, err)
		}
		return
	}
	if wantsJSON(r) {
		writeJSON(rw, http.StatusCreated, map[string]string{"url": url, "markdown": "![](" + url + ")"})
		return
	}
	v := w.newView(r, imagesData{A: a, URL: url, Markdown: "![](" + url + ")"})
	v.Form = &form{}
	w.render(rw, r, http.StatusCreated, "item_images", v)
}

// wantsJSON reports whether the request asks for JSON rather than a page:
// the editor's image picker does.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// writeJSON answers the image picker.
func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept")
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}
