package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// The public verification pages: anyone, signed in or not, checks a
// certificate by its number (/v/{id}, where its QR code leads) or by what
// they were given: the QR code's text, the PDF or the signed credential.
// They show whether the certificate stands, who issued it, to whom, for
// what and when; nothing else of the holder's data.

// verifyClasses are the banner's look by status (app.css).
var verifyClasses = map[string]string{
	certify.StatusValid:    "ok",
	certify.StatusRevoked:  "alert",
	certify.StatusReplaced: "alert",
	certify.StatusTampered: "alert",
	certify.StatusExpired:  "warning",
	certify.StatusUnknown:  "warning",
}

type verifyData struct {
	V     *certify.Verification
	Class string
	// QR is set on /v/{id}: its script checks the QR code's signed
	// payload after the '#', which never reaches the server.
	QR bool
	// ByNumber is set when the certificate was looked up by its number,
	// not checked from what was presented.
	ByNumber bool
	// Signed is set when a signature was checked (a QR code or a
	// credential), File when the PDF matched byte for byte.
	Signed, File bool
	Number       fieldView
	QRText       fieldView
	Upload       fieldView
	Message      string
}

// verifyStatus shows whether the certificate with a number stands: the
// page a certificate's QR code opens.
func (w *Web) verifyStatus(rw http.ResponseWriter, r *http.Request) {
	v, err := w.cfg.Certify.Lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.verifyResult(rw, r, v, true)
}

func (w *Web) verifyResult(rw http.ResponseWriter, r *http.Request, v *certify.Verification, qr bool) {
	d := &verifyData{V: v, Class: verifyClasses[v.Status], QR: qr && v.Status != certify.StatusUnknown, ByNumber: qr,
		Signed: slices.Contains(v.Checked, "signature"), File: slices.Contains(v.Checked, "file")}
	status := http.StatusOK
	if v.Status == certify.StatusUnknown && qr {
		status = http.StatusNotFound
	}
	w.render(rw, r, status, "verify_status", w.newView(r, d))
}

// verifyForm is the page where a certificate is checked by its number,
// its QR code's text or its file. A number given here (GET) opens its
// status page.
func (w *Web) verifyForm(rw http.ResponseWriter, r *http.Request) {
	if n := strings.TrimSpace(r.URL.Query().Get("number")); n != "" {
		seeOther(rw, r, "/v/"+url.PathEscape(strings.ToUpper(n)))
		return
	}
	w.verifyFormPage(rw, r, http.StatusOK, emptyForm())
}

func (w *Web) verifyFormPage(rw http.ResponseWriter, r *http.Request, status int, f *form) {
	lang := w.lang(r)
	d := &verifyData{Message: f.Message}
	d.Number = w.certInput(lang, f, "number", "text", "verification.number", "verification.number_hint", true)
	d.QRText = w.certInput(lang, f, "qr", "text", "verification.qr", "verification.qr_hint", false)
	d.Upload = w.certInput(lang, f, "file", "file", "verification.file", "verification.file_hint", false)
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "verify", v)
}

// verifyPost checks what was given: a file (PDF or credential JSON) or
// the QR code's text.
func (w *Web) verifyPost(rw http.ResponseWriter, r *http.Request) {
	lang := w.lang(r)
	f := emptyForm()
	r.Body = http.MaxBytesReader(rw, r.Body, certify.MaxVerifyBytes+64<<10)
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var tooBig *http.MaxBytesError
		if !errors.As(err, &tooBig) {
			w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
			return
		}
		f.Errors["file"] = fmt.Sprintf(w.cat.text(lang, "fielderr.file_too_large"), certify.MaxVerifyBytes>>20)
		f.Message = w.cat.text(lang, "form.fix")
		w.verifyFormPage(rw, r, http.StatusRequestEntityTooLarge, f)
		return
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	f.Values.Set("qr", r.PostFormValue("qr"))
	var body []byte
	if file, err := uploadedFile(r, "file"); err == nil {
		body, err = io.ReadAll(io.LimitReader(file, certify.MaxVerifyBytes))
		file.Close()
		if err != nil {
			w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
			return
		}
	} else if qr := strings.TrimSpace(f.Get("qr")); qr != "" {
		body = []byte(qr)
	}
	if len(body) == 0 {
		f.Message = w.cat.text(lang, "verification.give_something")
		w.verifyFormPage(rw, r, http.StatusUnprocessableEntity, f)
		return
	}
	// The service tells a PDF, a credential and a QR code apart by their
	// content.
	v, err := w.cfg.Certify.Verify(r.Context(), "", body)
	if err != nil {
		if k := errs.KindOf(err); k != errs.Invalid && k != errs.Unsupported {
			w.fail(rw, r, err)
			return
		}
		f.Message = l10n.Translate(lang, errs.As(err).Message)
		w.verifyFormPage(rw, r, http.StatusUnprocessableEntity, f)
		return
	}
	w.verifyResult(rw, r, v, false)
}
