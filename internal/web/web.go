// Package web serves Vidya's server-rendered pages: sign-in, sign-up and
// password reset, the account page (sessions, API tokens), authority
// administration, the item bank (search, preview, editor, import) and the
// platform console. Pages are html/template, work
// without JavaScript, and are built for small phones on slow networks.
package web

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/api"
	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// Config is what the web shell needs from the rest of the program.
type Config struct {
	Identity *identity.Service
	// Bank is the item bank, for the item pages.
	Bank *assess.Service
	// Delivery runs exam-day and practice attempts; nil leaves practice
	// out.
	Delivery *assess.Delivery
	// Certify issues and verifies certificates; nil leaves the
	// certificate pages and the public verification pages out.
	Certify     *certify.Service
	Outbox      *mail.Outbox
	Cookies     api.Cookies
	Log         *slog.Logger
	AllowSignUp bool
	// OIDCName, if set, shows a "Sign in with <OIDCName>" button on the
	// sign-in page linking to GET /auth/oidc/start.
	OIDCName string
	Version  string
}

// Web holds the parsed templates, the string catalogue and the static
// files. It is safe for concurrent use.
type Web struct {
	cfg    Config
	svc    *identity.Service
	log    *slog.Logger
	cat    catalogue
	assets *assets
	// pages holds one parsed template set per language and page, so that
	// the translation function is bound at parse time, not per request.
	pages map[string]map[string]*template.Template
}

// pageNames lists the page templates under templates/, besides layout.html.
var pageNames = []string{
	"home", "signin", "signup", "forgot", "reset", "account", "token_created",
	"authority", "members", "member", "audit", "authorities", "outbox", "error",
	"items", "item", "item_edit", "item_import", "item_images", "topics",
	"exam", "practice",
	"test_list", "test_edit", "exam_list", "exam_page", "exam_marking", "exam_challenges",
	"cert_overview", "cert_type", "cert_assets", "cert_batch_new", "cert_batch", "cert_certificate",
	"verify", "verify_status",
}

// New parses the embedded templates and catalogues and indexes the static
// files.
func New(cfg Config) (*Web, error) {
	if cfg.Identity == nil {
		return nil, errors.New("web: Config.Identity is required")
	}
	if cfg.Bank == nil {
		return nil, errors.New("web: Config.Bank is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cat, err := loadCatalogue()
	if err != nil {
		return nil, err
	}
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	w := &Web{cfg: cfg, svc: cfg.Identity, log: cfg.Log, cat: cat, assets: as, pages: map[string]map[string]*template.Template{}}
	for _, lang := range languages {
		base, err := template.New("layout").Funcs(w.funcs(lang)).Funcs(w.certFuncs(lang)).ParseFS(templateFS, "templates/layout.html")
		if err != nil {
			return nil, fmt.Errorf("web: parse layout: %w", err)
		}
		w.pages[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
			if err != nil {
				return nil, fmt.Errorf("web: parse %s: %w", name, err)
			}
			w.pages[lang][name] = t
		}
	}
	return w, nil
}

// view is what every page template receives.
type view struct {
	Lang      string
	Other     langLink // the language switch
	User      *identity.Principal
	Flash     string
	RequestID string
	SignUp    bool
	OIDCName  string
	Version   string
	Form      *form
	Data      any
}

type langLink struct {
	Code, Name, Href string
}

// form is the state of a submitted form: the values to show again and what
// is wrong with them.
type form struct {
	Values  url.Values
	Errors  map[string]string // field name -> message from the service
	Message string            // translated message for the whole form
}

// Get returns a submitted value.
func (f *form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(name)
}

// Has reports whether value was submitted for name (for checkboxes).
func (f *form) Has(name, value string) bool {
	if f == nil {
		return false
	}
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err returns the message for a field, or "".
func (f *form) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// newView starts the data for a page.
func (w *Web) newView(r *http.Request, data any) *view {
	lang := w.lang(r)
	v := &view{
		Lang:      lang,
		User:      identity.PrincipalFrom(r.Context()),
		RequestID: requestID(r),
		SignUp:    w.cfg.AllowSignUp,
		OIDCName:  w.cfg.OIDCName,
		Version:   w.cfg.Version,
		Data:      data,
	}
	for _, l := range languages {
		if l != lang {
			v.Other = langLink{Code: l, Name: langNames[l], Href: "/lang/" + l + "?next=" + url.QueryEscape(api.SafeNext(r.URL.RequestURI()))}
			break
		}
	}
	return v
}

// renderOpts adjusts how a page is sent.
type renderOpts struct {
	// sensitive pages (a new API token's secret) are never compressed, so
	// the secret cannot be probed through compressed sizes (BREACH).
	sensitive bool
}

// render executes a page into a buffer first, so a template error becomes
// a clean error page instead of half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, page string, v *view, opts ...renderOpts) {
	var o renderOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	if v.Flash == "" {
		v.Flash = w.takeFlash(rw, r, v.Lang)
	}
	t := w.pages[v.Lang][page]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		w.log.ErrorContext(r.Context(), "render page", "page", page, "request_id", v.RequestID, "err", err)
		if page == "error" {
			http.Error(rw, "internal error", http.StatusInternalServerError)
			return
		}
		w.errorPage(rw, r, http.StatusInternalServerError, "error.internal_title", "error.internal")
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", v.Lang)
	// Pages show personal data and change with the session and language.
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie, Accept-Language, Accept-Encoding")
	body := buf.Bytes()
	if !o.sensitive && len(body) > 1024 && acceptsGzip(r) {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		_, _ = zw.Write(body)
		_ = zw.Close()
		h.Set("Content-Encoding", "gzip")
		body = z.Bytes()
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(body)
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return qValue(params) > 0
		}
	}
	return false
}

// seeOther redirects after a successful POST (and elsewhere), so that
// reloading the next page never repeats the action.
func seeOther(rw http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(rw, r, to, http.StatusSeeOther)
}
