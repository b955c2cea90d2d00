package web

import (
	"net/http"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

type imagesData struct {
	A *identity.Authority
	// URL and Markdown describe the image just stored, if any.
	URL, Markdown string
}

// images lets authors store a picture for their items and gives the
// Markdown to paste into a stem or choice.
func (w *Web) images(rw http.ResponseWriter, r *http.Request) {
	_, a := w.bankUser(rw, r)
	if a == nil {
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
			v := w.newView(r, imagesData{A: a})
			v.Form = &form{Errors: map[string]string{"image": errs.As(err).Message}, Message: w.cat.text(w.lang(r), "form.fix")}
			w.render(rw, r, http.StatusUnprocessableEntity, "item_images", v)
		default:
			w.fail(rw, r, err)
		}
		return
	}
	v := w.newView(r, imagesData{A: a, URL: url, Markdown: "![](" + url + ")"})
	v.Form = &form{}
	w.render(rw, r, http.StatusCreated, "item_images", v)
}
