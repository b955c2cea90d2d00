package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
)

// practiceData is the learner's list of an authority's mock tests.
type practiceData struct {
	A     *identity.Authority
	Tests []practiceTest
}

type practiceTest struct {
	assess.MockTest
	Minutes int
}

// practice lists the mock tests a member (learners included) may take.
func (w *Web) practice(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	a, err := w.svc.Authority(r.Context(), p, r.PathValue("code"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	tests, err := w.cfg.Bank.MockTests(r.Context(), p, a.Code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := practiceData{A: a}
	for _, t := range tests {
		d.Tests = append(d.Tests, practiceTest{MockTest: t, Minutes: (t.Duration + 59) / 60})
	}
	w.render(rw, r, http.StatusOK, "practice", w.newView(r, d))
}

// practise starts (or resumes) a mock test and hands its ticket to the
// runner in the URL's fragment, which browsers never send to servers.
func (w *Web) practise(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 || w.cfg.Delivery == nil {
		w.notFound(rw, r)
		return
	}
	st, err := w.cfg.Delivery.Practise(r.Context(), p, r.PathValue("code"), id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/exam/#ticket="+url.QueryEscape(st.Ticket), http.StatusSeeOther)
}
