package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
)

func TestPracticePage(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t)
	ctx := context.Background()
	principal := func(email string) *identity.Principal {
		tok, err := e.svc.StartSessionFor(ctx, e.users[email].ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	author, approver := principal("author-a@vidya.test"), principal("approver-a@vidya.test")
	it, err := e.bank.CreateItem(ctx, author, "ALPHA", &assess.Item{Type: assess.TrueFalse, Choices: []assess.Choice{{ID: "true"}, {ID: "false"}},
		Key: assess.Key{Choices: []string{"true"}}, Scoring: assess.Scoring{Marks: 1}, Text: map[string]assess.Text{"en": {Stem: "Water boils at 100 °C at sea level."}, "hi": {Stem: "समुद्र तल पर पानी 100 °C पर उबलता है।"}}})
	if err != nil {
		t.Fatal(err)
	}
	if it, err = e.bank.SetStatus(ctx, approver, "ALPHA", it.ID, it.Revision, assess.Reviewed); err != nil {
		t.Fatal(err)
	}
	if _, err = e.bank.SetStatus(ctx, approver, "ALPHA", it.ID, it.Revision, assess.Published); err != nil {
		t.Fatal(err)
	}
	learner := e.signedIn("learner-a@vidya.test")
	learner.get("/a/ALPHA").wantStatus(t, http.StatusOK).wantContains(t, `href="/a/ALPHA/practice"`)
	learner.get("/a/ALPHA/practice").wantStatus(t, http.StatusOK).wantContains(t, "There are no mock tests to practise yet.")

	mt, err := e.bank.CreateTest(ctx, author, "ALPHA", &assess.Test{Kind: assess.Mock, Title: "Boiling points", Languages: []string{"en", "hi"}, Duration: 300, Feedback: assess.AtEnd,
		Sections: []assess.Section{{ID: "all", Questions: []assess.Question{{ItemID: it.ID}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bank.PublishTest(ctx, approver, "ALPHA", mt.ID, mt.Revision); err != nil {
		t.Fatal(err)
	}
	p := learner.get("/a/ALPHA/practice").wantStatus(t, http.StatusOK).wantContains(t, "Boiling points", "Questions: 1", "5 minutes", "answers shown at the end")
	checkHTML(t, p, "en")
	hi := learner.get("/a/ALPHA/practice", "Cookie", "vidya_lang=hi")
	hi.wantStatus(t, http.StatusOK)

	t.Run("starting hands the runner a ticket in the fragment", func(t *testing.T) {
		r := learner.post("/a/ALPHA/practice/"+strconv.FormatInt(mt.ID, 10), url.Values{}).wantStatus(t, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		m := regexp.MustCompile(`^/exam/#ticket=([A-Za-z0-9_-]+)$`).FindStringSubmatch(loc)
		if m == nil {
			t.Fatalf("redirect to %q", loc)
		}
		d := e.delivery
		paper, err := d.Paper(ctx, m[1])
		if err != nil || len(paper.Slots) != 1 {
			t.Fatalf("paper %+v, %v", paper, err)
		}
	})
	t.Run("another authority's learner cannot see or start them", func(t *testing.T) {
		other := e.signedIn("admin-b@vidya.test")
		other.get("/a/ALPHA/practice").wantStatus(t, http.StatusNotFound)
		other.post("/a/ALPHA/practice/"+strconv.FormatInt(mt.ID, 10), url.Values{}).wantStatus(t, http.StatusNotFound)
	})
	t.Run("signed-out visitors are sent to sign in", func(t *testing.T) {
		r := e.client().get("/a/ALPHA/practice")
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", r.StatusCode)
		}
	})
}
