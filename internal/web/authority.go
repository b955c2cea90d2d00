package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

type authorityData struct {
	A       *identity.Authority
	CanEdit bool
	CanBank bool // may open the item bank
	// LogoVersion changes whenever the logo does, so its URL can be cached.
	LogoVersion string
	LogoForm    *form
}

// authority shows an authority to its members; administrators may edit it.
func (w *Web) authority(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	w.authorityPage(rw, r, p, http.StatusOK, nil, nil)
}

func (w *Web) authorityPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, status int, f, logoForm *form) {
	a, err := w.svc.Authority(r.Context(), p, r.PathValue("code"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if logoForm == nil {
		logoForm = &form{}
	}
	d := authorityData{A: a, CanEdit: p.Has(a.ID, identity.RoleAdmin), CanBank: p.Has(a.ID, bankReaders...), LogoForm: logoForm}
	if a.LogoKey != "" {
		d.LogoVersion = strings.TrimSuffix(path.Base(a.LogoKey), path.Ext(a.LogoKey))
	}
	v := w.newView(r, d)
	if f == nil {
		f = &form{Values: url.Values{"name": {a.Name}, "contact_email": {a.ContactEmail}, "contact_phone": {a.ContactPhone}}}
	}
	v.Form = f
	w.render(rw, r, status, "authority", v)
}

func (w *Web) updateAuthority(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	_, err := w.svc.UpdateAuthority(r.Context(), p, r.PathValue("code"), identity.NewAuthority{
		Name:         r.PostForm.Get("name"),
		ContactEmail: r.PostForm.Get("contact_email"),
		ContactPhone: r.PostForm.Get("contact_phone"),
	})
	if err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.authorityPage(rw, r, p, http.StatusUnprocessableEntity, f, nil)
		return
	}
	w.setFlash(rw, "flash.authority_saved")
	seeOther(rw, r, "/a/"+url.PathEscape(r.PathValue("code")))
}

// uploadLogo takes a logo file from a multipart form.
func (w *Web) uploadLogo(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	code := r.PathValue("code")
	r.Body = http.MaxBytesReader(rw, r.Body, identity.MaxLogoBytes+64<<10)
	data, contentType, err := readFileField(r, "logo", identity.MaxLogoBytes)
	if err == nil {
		_, err = w.svc.SetLogo(r.Context(), p, code, contentType, data)
	}
	if err != nil {
		switch errs.KindOf(err) {
		case errs.Invalid, errs.Unsupported, errs.TooLarge:
			f := &form{Errors: map[string]string{"logo": l10n.Translate(w.lang(r), errs.As(err).Message)}, Message: w.cat.text(w.lang(r), "form.fix")}
			w.authorityPage(rw, r, p, http.StatusUnprocessableEntity, nil, f)
		default:
			w.fail(rw, r, err)
		}
		return
	}
	w.setFlash(rw, "flash.logo_saved")
	seeOther(rw, r, "/a/"+url.PathEscape(code))
}

// readFileField returns the bytes and declared type of the file in a
// multipart form's field, at most max bytes.
func readFileField(r *http.Request, field string, max int64) ([]byte, string, error) {
	const op = "web: upload"
	f, hdr, err := r.FormFile(field)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, "", errs.E(errs.TooLarge, op, "the file is larger than %d bytes", max)
		}
		return nil, "", errs.E(errs.Invalid, op, "choose a file to upload")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, "", errs.E(errs.Invalid, op, "the upload was cut off")
	}
	ct, _, _ := mime.ParseMediaType(hdr.Header.Get("Content-Type"))
	return data, ct, nil
}

func (w *Web) removeLogo(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	if _, err := w.svc.RemoveLogo(r.Context(), p, r.PathValue("code")); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.setFlash(rw, "flash.logo_removed")
	seeOther(rw, r, "/a/"+url.PathEscape(r.PathValue("code")))
}

// ---- members ----

// membersPerPage is how many members one page lists; more would push a Hindi
// page past the 15 KB budget.
const membersPerPage = 30

type membersData struct {
	A       *identity.Authority
	Members []identity.Member
	Next    string // URL of the next page, if any
	First   string // URL of the first page, when not on it
}

func (w *Web) members(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	w.membersPage(rw, r, p, http.StatusOK, nil)
}

func (w *Web) membersPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, status int, f *form) {
	code := r.PathValue("code")
	after := r.URL.Query().Get("after")
	ms, next, err := w.svc.ListMembers(r.Context(), p, code, identity.Page{After: after, Limit: membersPerPage})
	if errs.Is(err, errs.Invalid) {
		// A mangled cursor: start again from the first page.
		ms, next, err = w.svc.ListMembers(r.Context(), p, code, identity.Page{Limit: membersPerPage})
		after = ""
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	a, err := w.svc.Authority(r.Context(), p, code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	base := "/a/" + url.PathEscape(a.Code) + "/users"
	d := membersData{A: a, Members: ms}
	if next != "" {
		d.Next = base + "?after=" + url.QueryEscape(next)
	}
	if after != "" {
		d.First = base
	}
	v := w.newView(r, d)
	if f == nil {
		f = &form{}
	}
	v.Form = f
	w.render(rw, r, status, "members", v)
}

func rolesOf(vals []string) []identity.Role {
	var out []identity.Role
	for _, s := range vals {
		out = append(out, identity.Role(s))
	}
	return out
}

func (w *Web) addMember(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	m, err := w.svc.CreateUser(r.Context(), p, r.PathValue("code"), identity.NewUser{
		Email:    r.PostForm.Get("email"),
		Name:     r.PostForm.Get("name"),
		Password: r.PostForm.Get("password"),
		Locale:   r.PostForm.Get("locale"),
		Roles:    rolesOf(r.PostForm["roles"]),
	})
	if err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.membersPage(rw, r, p, http.StatusUnprocessableEntity, f)
		return
	}
	w.setFlash(rw, "flash.member_added", m.Email)
	seeOther(rw, r, "/a/"+url.PathEscape(r.PathValue("code"))+"/users")
}

type memberData struct {
	A *identity.Authority
	M *identity.Member
}

func (w *Web) member(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	w.memberPage(rw, r, p, http.StatusOK, nil)
}

func (w *Web) memberPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, status int, f *form) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	code := r.PathValue("code")
	m, err := w.svc.Member(r.Context(), p, code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	a, err := w.svc.Authority(r.Context(), p, code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if f == nil {
		f = &form{Values: url.Values{}}
		for _, role := range m.Roles {
			f.Values.Add("roles", string(role))
		}
	}
	v := w.newView(r, memberData{A: a, M: m})
	v.Form = f
	w.render(rw, r, status, "member", v)
}

func (w *Web) setRoles(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.notFound(rw, r)
		return
	}
	code := r.PathValue("code")
	m, err := w.svc.SetRoles(r.Context(), p, code, id, rolesOf(r.PostForm["roles"]))
	if err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.memberPage(rw, r, p, http.StatusUnprocessableEntity, f)
		return
	}
	if len(m.Roles) == 0 {
		w.setFlash(rw, "flash.member_removed", m.Email)
	} else {
		w.setFlash(rw, "flash.roles_saved", m.Email)
	}
	seeOther(rw, r, "/a/"+url.PathEscape(code)+"/users")
}

// ---- audit ----

// auditActions are the actions the identity service records, offered as
// suggestions in the filter.
var auditActions = []string{
	"authority.create", "authority.update", "user.signup", "user.create", "user.roles",
	"user.password_change", "user.password_reset_requested", "user.password_reset",
	"session.revoke", "session.revoke_all", "token.create", "token.revoke", "signin.locked",
}

type auditData struct {
	A         *identity.Authority // nil for the whole platform
	Entries   []identity.AuditEntry
	Action    string
	Actions   []string
	Older     string
	Newest    string
	CanVerify bool
	Report    *identity.AuditReport
}

// auditPerPage is how many audit entries one page lists (a full page in Hindi
// stays under 15 KB).
const auditPerPage = 25

func (w *Web) authorityAudit(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	w.auditPage(rw, r, p, r.PathValue("code"), nil)
}

func (w *Web) platformAudit(rw http.ResponseWriter, r *http.Request) {
	p := w.platformAdmin(rw, r)
	if p == nil {
		return
	}
	w.auditPage(rw, r, p, "", nil)
}

func (w *Web) verifyAudit(rw http.ResponseWriter, r *http.Request) {
	p := w.platformAdmin(rw, r)
	if p == nil {
		return
	}
	rep, err := w.svc.VerifyAudit(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.auditPage(rw, r, p, "", &rep)
}

// auditPage lists an authority's audit entries (code != "") or everyone's.
func (w *Web) auditPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, code string, rep *identity.AuditReport) {
	q := r.URL.Query()
	f := identity.AuditFilter{Action: q.Get("action"), Limit: auditPerPage}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	entries, err := w.svc.ListAudit(r.Context(), p, code, f)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := auditData{Entries: entries, Action: f.Action, Actions: auditActions, CanVerify: p.IsPlatformAdmin(), Report: rep}
	base := "/admin/audit"
	if code != "" {
		if d.A, err = w.svc.Authority(r.Context(), p, code); err != nil {
			w.fail(rw, r, err)
			return
		}
		base = "/a/" + url.PathEscape(d.A.Code) + "/audit"
	}
	filter := url.Values{}
	if f.Action != "" {
		filter.Set("action", f.Action)
	}
	if len(entries) == auditPerPage {
		older := url.Values{}
		for k, v := range filter {
			older[k] = v
		}
		older.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		d.Older = base + "?" + older.Encode()
	}
	if f.Before > 0 {
		d.Newest = base
		if len(filter) > 0 {
			d.Newest += "?" + filter.Encode()
		}
	}
	w.render(rw, r, http.StatusOK, "audit", w.newView(r, d))
}
