package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

type topicRow struct {
	Path  string
	Name  string
	Depth int
}

type topicsData struct {
	A       *identity.Authority
	Topics  []topicRow
	CanEdit bool
}

// topics shows an authority's taxonomy; administrators add and remove.
func (w *Web) topics(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	w.topicsPage(rw, r, p, http.StatusOK, nil)
}

func (w *Web) topicsPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, status int, f *form) {
	a := w.bankAuthority(rw, r, p)
	if a == nil {
		return
	}
	ts, err := w.cfg.Bank.Topics(r.Context(), p, a.Code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	lang := w.lang(r)
	d := topicsData{A: a, CanEdit: p.Has(a.ID, identity.RoleAdmin)}
	for _, t := range ts {
		name := t.NameEN
		if lang == "hi" && t.NameHI != "" || name == "" {
			name = t.NameHI
		}
		d.Topics = append(d.Topics, topicRow{Path: t.Path, Name: name, Depth: strings.Count(t.Path, "/")})
	}
	v := w.newView(r, d)
	if f == nil {
		f = &form{}
	}
	v.Form = f
	w.render(rw, r, status, "topics", v)
}

func (w *Web) addTopic(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	_, err := w.cfg.Bank.AddTopic(r.Context(), p, r.PathValue("code"), assess.Topic{
		Path: r.PostForm.Get("path"), NameEN: r.PostForm.Get("name_en"), NameHI: r.PostForm.Get("name_hi")})
	if err != nil {
		f := formOf(r)
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.topicsPage(rw, r, p, http.StatusUnprocessableEntity, f)
		return
	}
	w.setFlash(rw, "flash.topic_saved")
	seeOther(rw, r, "/a/"+url.PathEscape(r.PathValue("code"))+"/topics")
}

func (w *Web) removeTopic(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	if err := w.cfg.Bank.RemoveTopic(r.Context(), p, r.PathValue("code"), r.PostForm.Get("path")); err != nil {
		if errs.Is(err, errs.Conflict) {
			// In use or has subtopics: say so on the page.
			w.topicsPage(rw, r, p, http.StatusConflict, &form{Message: l10n.Translate(w.lang(r), errs.As(err).Message)})
			return
		}
		w.fail(rw, r, err)
		return
	}
	w.setFlash(rw, "flash.topic_removed")
	seeOther(rw, r, "/a/"+url.PathEscape(r.PathValue("code"))+"/topics")
}
