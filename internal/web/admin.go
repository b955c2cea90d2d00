package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

type authoritiesData struct {
	List  []identity.Authority
	Next  string
	First string
}

func (w *Web) authorities(rw http.ResponseWriter, r *http.Request) {
	p := w.platformAdmin(rw, r)
	if p == nil {
		return
	}
	w.authoritiesPage(rw, r, p, http.StatusOK, &form{})
}

func (w *Web) authoritiesPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, status int, f *form) {
	after := r.URL.Query().Get("after")
	list, next, err := w.svc.ListAuthorities(r.Context(), p, identity.Page{After: after, Limit: 50})
	if errs.Is(err, errs.Invalid) {
		list, next, err = w.svc.ListAuthorities(r.Context(), p, identity.Page{Limit: 50})
		after = ""
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := authoritiesData{List: list}
	if next != "" {
		d.Next = "/admin/authorities?after=" + url.QueryEscape(next)
	}
	if after != "" {
		d.First = "/admin/authorities"
	}
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "authorities", v)
}

func (w *Web) createAuthority(rw http.ResponseWriter, r *http.Request) {
	p := w.platformAdmin(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	a, err := w.svc.CreateAuthority(r.Context(), p, identity.NewAuthority{
		Code:         r.PostForm.Get("code"),
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
		w.authoritiesPage(rw, r, p, http.StatusUnprocessableEntity, f)
		return
	}
	w.setFlash(rw, "flash.authority_created", a.Code)
	seeOther(rw, r, "/admin/authorities")
}

type outboxData struct {
	Messages []mail.Message
	SMTP     bool
	Older    string
	Newest   string
}

const outboxPage = 20

// outbox shows queued and sent e-mail to platform administrators: without
// an SMTP server, it is where password-reset links can be read.
func (w *Web) outbox(rw http.ResponseWriter, r *http.Request) {
	if w.platformAdmin(rw, r) == nil {
		return
	}
	var d outboxData
	if w.cfg.Outbox != nil {
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		msgs, err := w.cfg.Outbox.List(r.Context(), before, outboxPage)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		d.Messages, d.SMTP = msgs, w.cfg.Outbox.SMTPEnabled()
		if len(msgs) == outboxPage {
			d.Older = "/admin/outbox?before=" + strconv.FormatInt(msgs[len(msgs)-1].ID, 10)
		}
		if before > 0 {
			d.Newest = "/admin/outbox"
		}
	}
	w.render(rw, r, http.StatusOK, "outbox", w.newView(r, d))
}
