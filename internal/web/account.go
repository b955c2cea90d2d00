package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// scope is a role in an authority that an API token can be made for.
type scope struct {
	Value     string // "CODE:role"
	Authority string
	Role      identity.Role
}

type accountData struct {
	Sessions     []identity.Session
	Tokens       []identity.APIToken
	Scopes       []scope
	Expiries     []int
	ProfileForm  *form
	PasswordForm *form
	TokenForm    *form
}

// tokenExpiries are the lifetimes offered for a new token, in days (0: never).
var tokenExpiries = []int{30, 90, 365, 0}

func (w *Web) account(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	w.accountPage(rw, r, p, http.StatusOK, &accountData{})
}

// accountPage renders the account page with fresh lists and the given
// form states.
func (w *Web) accountPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, status int, d *accountData) {
	var err error
	if d.Sessions, err = w.svc.ListSessions(r.Context(), p); err != nil {
		w.fail(rw, r, err)
		return
	}
	if d.Tokens, err = w.svc.ListTokens(r.Context(), p); err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, m := range p.Memberships {
		d.Scopes = append(d.Scopes, scope{Value: m.AuthorityCode + ":" + string(m.Role), Authority: m.AuthorityCode, Role: m.Role})
	}
	d.Expiries = tokenExpiries
	if d.ProfileForm == nil {
		d.ProfileForm = &form{Values: url.Values{"name": {p.User.Name}, "locale": {w.lang(r)}}}
	}
	if d.PasswordForm == nil {
		d.PasswordForm = &form{}
	}
	if d.TokenForm == nil {
		d.TokenForm = &form{}
	}
	w.render(rw, r, status, "account", w.newView(r, d))
}

// updateProfile saves the caller's name and language; the language also
// goes into the language cookie so this browser switches at once.
func (w *Web) updateProfile(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	u, err := w.svc.UpdateProfile(r.Context(), p, identity.ProfileUpdate{Name: r.PostForm.Get("name"), Locale: r.PostForm.Get("locale")})
	if err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.accountPage(rw, r, p, http.StatusUnprocessableEntity, &accountData{ProfileForm: f})
		return
	}
	w.setLangCookie(rw, u.Locale)
	w.setFlash(rw, "flash.profile_saved")
	seeOther(rw, r, "/account")
}

func (w *Web) changePassword(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	next := r.PostForm.Get("new_password")
	err := w.svc.ChangePassword(r.Context(), p, r.PostForm.Get("current_password"), next)
	if err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.accountPage(rw, r, p, http.StatusUnprocessableEntity, &accountData{PasswordForm: f})
		return
	}
	// The service ended every other session; this one stays signed in.
	w.setFlash(rw, "flash.password_changed")
	seeOther(rw, r, "/account")
}

func (w *Web) revokeSession(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	if err := w.svc.RevokeSession(r.Context(), p, r.PathValue("id")); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.setFlash(rw, "flash.session_revoked")
	seeOther(rw, r, "/account#sessions")
}

func (w *Web) revokeAllSessions(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	if _, err := w.svc.SignOutEverywhere(r.Context(), p); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.cfg.Cookies.Clear(rw)
	w.setFlash(rw, "flash.signed_out_everywhere")
	seeOther(rw, r, "/signin")
}

type tokenCreatedData struct {
	Token  *identity.APIToken
	Secret string
}

func (w *Web) createToken(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	in := identity.NewToken{Name: r.PostForm.Get("token_name")}
	code, role, ok := strings.Cut(r.PostForm.Get("scope"), ":")
	if ok {
		in.Authority, in.Role = code, identity.Role(role)
	}
	in.ExpiresInDays, _ = strconv.Atoi(r.PostForm.Get("expires_in_days"))
	var err error
	var tok *identity.APIToken
	var secret string
	if !ok || !slices.ContainsFunc(p.Memberships, func(m identity.Membership) bool {
		return m.AuthorityCode == in.Authority && m.Role == in.Role
	}) {
		// Only the caller's own roles are offered; anything else is a
		// tampered form, answered like an empty choice.
		err = &errs.Error{Kind: errs.Invalid, Message: "some fields are not valid", Fields: map[string]string{"scope": "is required"}}
	} else {
		tok, secret, err = w.svc.CreateToken(r.Context(), p, in)
	}
	if err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		// The service names the token's fields after its API.
		for from, to := range map[string]string{"name": "token_name", "role": "scope", "authority": "scope"} {
			if msg, ok := f.Errors[from]; ok {
				delete(f.Errors, from)
				f.Errors[to] = msg
			}
		}
		w.accountPage(rw, r, p, http.StatusUnprocessableEntity, &accountData{TokenForm: f})
		return
	}
	// The secret is shown on this response only: never stored, never
	// redirected through, never cached.
	w.render(rw, r, http.StatusOK, "token_created", w.newView(r, tokenCreatedData{Token: tok, Secret: secret}), renderOpts{sensitive: true})
}

func (w *Web) revokeToken(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	if err := w.svc.RevokeToken(r.Context(), p, id); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.setFlash(rw, "flash.token_revoked")
	seeOther(rw, r, "/account#tokens")
}
