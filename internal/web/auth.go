package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/vidya-edu/vidya/internal/api"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// maxForm bounds a submitted form; no page form comes near it.
const maxForm = 64 << 10

// parseForm reads a POSTed form, answering 400 itself when it cannot.
func (w *Web) parseForm(rw http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(rw, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
		return false
	}
	return true
}

// authorityRoles is one authority the user belongs to, with their roles.
type authorityRoles struct {
	Code, Name string
	Roles      []identity.Role
	Admin      bool
	Bank       bool // may open the item bank
}

// groupMemberships folds memberships (ordered by authority) into one entry
// per authority.
func groupMemberships(ms []identity.Membership) []authorityRoles {
	var out []authorityRoles
	for _, m := range ms {
		if n := len(out); n == 0 || out[n-1].Code != m.AuthorityCode {
			out = append(out, authorityRoles{Code: m.AuthorityCode, Name: m.AuthorityName})
		}
		a := &out[len(out)-1]
		a.Roles = append(a.Roles, m.Role)
		if m.Role == identity.RoleAdmin {
			a.Admin = true
		}
		if slices.Contains(bankReaders, m.Role) {
			a.Bank = true
		}
	}
	for i := range out {
		// Show roles in the service's order, most privileged first.
		slices.SortFunc(out[i].Roles, func(x, y identity.Role) int {
			return slices.Index(identity.Roles, x) - slices.Index(identity.Roles, y)
		})
	}
	return out
}

type homeData struct {
	Authorities []authorityRoles
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request) {
	var d homeData
	if p := identity.PrincipalFrom(r.Context()); p != nil {
		d.Authorities = groupMemberships(p.Memberships)
	}
	w.render(rw, r, http.StatusOK, "home", w.newView(r, d))
}

// switchLang remembers a language choice in a cookie and goes back.
func (w *Web) switchLang(rw http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	if !slices.Contains(languages, code) {
		w.notFound(rw, r)
		return
	}
	w.setLangCookie(rw, code)
	seeOther(rw, r, api.SafeNext(r.URL.Query().Get("next")))
}

func (w *Web) setLangCookie(rw http.ResponseWriter, code string) {
	http.SetCookie(rw, &http.Cookie{Name: langCookie, Value: code, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: w.cfg.Cookies.Secure, SameSite: http.SameSiteLaxMode})
}

// ---- sign-in ----

type signInData struct {
	Next string
}

func (w *Web) signInForm(rw http.ResponseWriter, r *http.Request) {
	next := api.SafeNext(r.URL.Query().Get("next"))
	if identity.PrincipalFrom(r.Context()) != nil {
		seeOther(rw, r, next)
		return
	}
	w.render(rw, r, http.StatusOK, "signin", w.newView(r, signInData{Next: nextField(next)}))
}

// nextField is the value for a form's hidden "next" input ("" for home).
func nextField(next string) string {
	if next == "/" {
		return ""
	}
	return next
}

func (w *Web) signIn(rw http.ResponseWriter, r *http.Request) {
	if !w.parseForm(rw, r) {
		return
	}
	next := api.SafeNext(r.PostForm.Get("next"))
	tok, _, err := w.svc.SignIn(r.Context(), r.PostForm.Get("email"), r.PostForm.Get("password"))
	if err == nil {
		w.cfg.Cookies.Set(rw, tok)
		seeOther(rw, r, next)
		return
	}
	v := w.newView(r, signInData{Next: nextField(next)})
	f := formOf(r)
	v.Form = f
	status := http.StatusUnauthorized
	switch errs.KindOf(err) {
	case errs.Unauthorized:
		f.Message = w.cat.text(v.Lang, "signin.wrong")
	case errs.Forbidden:
		f.Message = w.cat.text(v.Lang, "signin.disabled")
		status = http.StatusForbidden
	case errs.TooMany:
		secs := 60
		if e := errs.As(err); e != nil && e.RetryAfter > 0 {
			secs = e.RetryAfter
		}
		rw.Header().Set("Retry-After", strconv.Itoa(secs))
		f.Message = fmt.Sprintf(w.cat.text(v.Lang, "signin.locked"), secs)
		status = http.StatusTooManyRequests
	case errs.Unavailable:
		rw.Header().Set("Retry-After", "5")
		f.Message = w.cat.text(v.Lang, "error.busy")
		status = http.StatusServiceUnavailable
	case errs.Invalid:
		w.invalid(f, v.Lang, err)
		status = http.StatusUnprocessableEntity
	default:
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, status, "signin", v)
}

// ---- sign-up ----

type signUpData struct {
	Next   string
	Locale string
}

func (w *Web) signUpForm(rw http.ResponseWriter, r *http.Request) {
	if !w.cfg.AllowSignUp {
		w.errorPage(rw, r, http.StatusNotFound, "signup.closed_title", "signup.closed")
		return
	}
	next := api.SafeNext(r.URL.Query().Get("next"))
	if identity.PrincipalFrom(r.Context()) != nil {
		seeOther(rw, r, next)
		return
	}
	v := w.newView(r, nil)
	v.Data = signUpData{Next: nextField(next), Locale: v.Lang}
	w.render(rw, r, http.StatusOK, "signup", v)
}

func (w *Web) signUp(rw http.ResponseWriter, r *http.Request) {
	if !w.cfg.AllowSignUp {
		w.errorPage(rw, r, http.StatusNotFound, "signup.closed_title", "signup.closed")
		return
	}
	if !w.parseForm(rw, r) {
		return
	}
	next := api.SafeNext(r.PostForm.Get("next"))
	in := identity.NewUser{
		Name:     r.PostForm.Get("name"),
		Email:    r.PostForm.Get("email"),
		Password: r.PostForm.Get("password"),
		Locale:   r.PostForm.Get("locale"),
	}
	u, err := w.svc.SignUp(r.Context(), in)
	if err == nil {
		var tok identity.SessionToken
		if tok, err = w.svc.StartSessionFor(r.Context(), u.ID, "password"); err == nil {
			w.cfg.Cookies.Set(rw, tok)
			w.setFlash(rw, "flash.welcome", u.Name)
			seeOther(rw, r, next)
			return
		}
	}
	if errs.Is(err, errs.Forbidden) {
		w.errorPage(rw, r, http.StatusNotFound, "signup.closed_title", "signup.closed")
		return
	}
	v := w.newView(r, nil)
	v.Data = signUpData{Next: nextField(next), Locale: in.Locale}
	v.Form = formOf(r)
	if !w.invalid(v.Form, v.Lang, err) {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusUnprocessableEntity, "signup", v)
}

// signOut ends this browser's session.
func (w *Web) signOut(rw http.ResponseWriter, r *http.Request) {
	if tok := api.Token(r); tok != "" {
		if err := w.svc.SignOut(r.Context(), tok); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	w.cfg.Cookies.Clear(rw)
	w.setFlash(rw, "flash.signed_out")
	seeOther(rw, r, "/")
}

// ---- password reset ----

func (w *Web) forgotForm(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusOK, "forgot", w.newView(r, nil))
}

func (w *Web) forgot(rw http.ResponseWriter, r *http.Request) {
	if !w.parseForm(rw, r) {
		return
	}
	err := w.svc.RequestPasswordReset(r.Context(), r.PostForm.Get("email"))
	if err == nil {
		// The same answer whether or not the address has an account.
		w.setFlash(rw, "flash.reset_sent")
		seeOther(rw, r, "/forgot-password")
		return
	}
	v := w.newView(r, nil)
	v.Form = formOf(r)
	if !w.invalid(v.Form, v.Lang, err) {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusUnprocessableEntity, "forgot", v)
}

type resetData struct {
	Token   string
	BadLink bool
}

func (w *Web) resetForm(rw http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	w.render(rw, r, http.StatusOK, "reset", w.newView(r, resetData{Token: tok, BadLink: tok == ""}))
}

func (w *Web) reset(rw http.ResponseWriter, r *http.Request) {
	if !w.parseForm(rw, r) {
		return
	}
	tok := r.PostForm.Get("token")
	err := w.svc.ResetPassword(r.Context(), tok, r.PostForm.Get("password"))
	if err == nil {
		w.setFlash(rw, "flash.password_reset")
		seeOther(rw, r, "/signin")
		return
	}
	v := w.newView(r, nil)
	v.Form = formOf(r)
	if !w.invalid(v.Form, v.Lang, err) {
		w.fail(rw, r, err)
		return
	}
	d := resetData{Token: tok}
	if v.Form.Err("token") != "" {
		d.BadLink = true
	}
	v.Data = d
	w.render(rw, r, http.StatusUnprocessableEntity, "reset", v)
}
