package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

func requestID(r *http.Request) string { return httpx.RequestID(r.Context()) }

// errorData is what the error page shows.
type errorData struct {
	Status  int
	Title   string // catalogue key
	Message string // catalogue key
	Detail  string // a message from the service, already safe to show
	Retry   int
}

// errorPage renders the error page with catalogue keys for its title and
// message. It never shows internals; it shows the request id.
func (w *Web) errorPage(rw http.ResponseWriter, r *http.Request, status int, title, message string) {
	w.render(rw, r, status, "error", w.newView(r, errorData{Status: status, Title: title, Message: message}))
}

// notFound renders the one 404 page used for every missing or hidden thing,
// so that another authority's pages look exactly like missing ones.
func (w *Web) notFound(rw http.ResponseWriter, r *http.Request) {
	w.errorPage(rw, r, http.StatusNotFound, "error.notfound_title", "error.notfound")
}

// fail answers a request whose service call failed with an error that the
// handler does not turn into form messages.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = errs.E(errs.Unavailable, "web", "")
	}
	e := errs.As(err)
	switch errs.KindOf(err) {
	case errs.Unauthorized:
		w.toSignIn(rw, r)
	case errs.NotFound:
		w.notFound(rw, r)
	case errs.Forbidden:
		w.errorPage(rw, r, http.StatusForbidden, "error.forbidden_title", "error.forbidden")
	case errs.TooMany, errs.Unavailable:
		status := http.StatusServiceUnavailable
		if errs.KindOf(err) == errs.TooMany {
			status = http.StatusTooManyRequests
		}
		retry := 5
		if e != nil && e.RetryAfter > 0 {
			retry = e.RetryAfter
		}
		rw.Header().Set("Retry-After", strconv.Itoa(retry))
		w.render(rw, r, status, "error", w.newView(r, errorData{Status: status, Title: "error.busy_title", Message: "error.busy", Retry: retry}))
	case errs.Invalid, errs.Conflict, errs.TooLarge, errs.Unsupported:
		status := httpx.StatusOf(err)
		d := errorData{Status: status, Title: "error.invalid_title", Message: "error.invalid"}
		if e != nil {
			d.Detail = l10n.Translate(w.lang(r), e.Message)
		}
		w.render(rw, r, status, "error", w.newView(r, d))
	default:
		w.log.ErrorContext(r.Context(), "page failed", "request_id", requestID(r), "method", r.Method, "path", r.URL.Path, "err", err)
		w.errorPage(rw, r, http.StatusInternalServerError, "error.internal_title", "error.internal")
	}
}

// toSignIn sends an anonymous visitor to the sign-in page, coming back to
// the page they asked for (GET only: a form cannot be replayed).
func (w *Web) toSignIn(rw http.ResponseWriter, r *http.Request) {
	to := "/signin"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		to += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	seeOther(rw, r, to)
}

// user returns the signed-in caller, or sends the visitor to sign in and
// returns nil.
func (w *Web) user(rw http.ResponseWriter, r *http.Request) *identity.Principal {
	p := identity.PrincipalFrom(r.Context())
	if p == nil {
		w.toSignIn(rw, r)
	}
	return p
}

// platformAdmin returns the caller if they administer the platform. Anyone
// else gets the plain 404 page: the console's existence is not advertised.
func (w *Web) platformAdmin(rw http.ResponseWriter, r *http.Request) *identity.Principal {
	p := w.user(rw, r)
	if p == nil {
		return nil
	}
	if !p.IsPlatformAdmin() {
		w.notFound(rw, r)
		return nil
	}
	return p
}

// ---- one-shot flash messages ----

const flashCookie = "vidya_flash"

// setFlash stores a message for the next page: a catalogue key and an
// optional argument. Only known keys are ever shown.
func (w *Web) setFlash(rw http.ResponseWriter, key string, arg ...string) {
	v := key
	if len(arg) > 0 {
		v += "|" + arg[0]
	}
	http.SetCookie(rw, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(v), Path: "/", MaxAge: 60, HttpOnly: true, Secure: w.cfg.Cookies.Secure, SameSite: http.SameSiteLaxMode})
}

// takeFlash reads and clears the flash message, translated.
func (w *Web) takeFlash(rw http.ResponseWriter, r *http.Request, lang string) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(rw, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: w.cfg.Cookies.Secure, SameSite: http.SameSiteLaxMode})
	v, err := url.QueryUnescape(c.Value)
	if err != nil {
		return ""
	}
	key, arg, hasArg := strings.Cut(v, "|")
	if !strings.HasPrefix(key, "flash.") {
		return ""
	}
	text, ok := w.cat[lang][key]
	if !ok {
		return ""
	}
	if hasArg && strings.Contains(text, "%s") {
		return strings.Replace(text, "%s", arg, 1)
	}
	return text
}

// formOf starts a form from a parsed request.
func formOf(r *http.Request) *form {
	return &form{Values: r.PostForm, Errors: map[string]string{}}
}

// invalid copies the service's field messages into f in lang, with a
// summary, and reports whether err was a form problem (Invalid, or Conflict
// with fields). The messages the pages word themselves (fieldMessages) stay
// as the service wrote them, for fieldMessage to find.
func (w *Web) invalid(f *form, lang string, err error) bool {
	e := errs.As(err)
	if e == nil {
		return false
	}
	if e.Kind != errs.Invalid && e.Kind != errs.Conflict {
		return false
	}
	if len(e.Fields) == 0 {
		f.Message = l10n.Translate(lang, e.Message)
		return true
	}
	for k, v := range e.Fields {
		if _, own := fieldMessages[v]; !own {
			v = l10n.Translate(lang, v)
		}
		f.Errors[k] = v
	}
	f.Message = w.cat.text(lang, "form.fix")
	return true
}
