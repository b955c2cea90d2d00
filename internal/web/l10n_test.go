package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// inHindi makes the client's pages Hindi, as the language switch does.
func (c *client) inHindi() *client {
	u, _ := url.Parse(c.e.srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: "hi", Path: "/"}})
	return c
}

// inEnglish switches c back to English.
func (c *client) inEnglish() *client {
	u, _ := url.Parse(c.e.srv.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: "en", Path: "/"}})
	return c
}

// hindi is a message as the l10n catalogue has it, escaped as a page shows
// it; it fails the test when the catalogue lacks the message.
func hindi(t *testing.T, msg string) string {
	t.Helper()
	s := l10n.Translate("hi", msg)
	if s == msg {
		t.Fatalf("the Hindi catalogue has no %q", msg)
	}
	return html.EscapeString(s)
}

func TestDomainMessagesInHindi(t *testing.T) {
	e := newEnv(t)

	t.Run("a sign-up field message from the service is shown in Hindi after its label", func(t *testing.T) {
		long := make([]byte, 201)
		for i := range long {
			long[i] = 'n'
		}
		f := url.Values{"name": {string(long)}, "email": {"new@vidya.test"}, "password": {"long enough password"}}
		p := e.client().post("/signup", f, "Accept-Language", "hi").wantStatus(t, http.StatusUnprocessableEntity)
		p.wantContains(t, `lang="hi"`, `id="f-name-err"`, "नाम: "+hindi(t, "must be at most 200 characters")).
			wantLacks(t, "must be at most 200 characters")
		e.client().post("/signup", f).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, "must be at most 200 characters")
	})

	t.Run("an editor message from the item bank is shown in Hindi", func(t *testing.T) {
		f := singleChoice("Which is hot?")
		f.Set("scoring.penalty", "-1")
		const en = "is subtracted for a wrong answer; give it as a positive number"
		p := e.signedIn("admin-a@vidya.test").inHindi().post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusUnprocessableEntity)
		p.wantContains(t, `lang="hi"`, hindi(t, en)).wantLacks(t, en)
		e.signedIn("admin-a@vidya.test").post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, en)
	})

	t.Run("the import report gives its reasons in Hindi", func(t *testing.T) {
		gift := []byte("::Q1 ok:: Which is hot? {=Tea ~Ice}\n\n::Q2 broken:: Which is cold? {=Ice ~Tea\n")
		fields := map[string]string{"format": "gift", "lang": "en"}
		const en = "the answer block is not closed (missing })"
		p := e.signedIn("admin-a@vidya.test").inHindi().postMultipart("/a/ALPHA/items/import", fields, "bank.gift", gift).
			wantStatus(t, http.StatusOK)
		p.wantContains(t, `lang="hi"`, "Q2 broken", "<td>"+hindi(t, en)+"</td>").wantLacks(t, html.EscapeString(en))
		checkHTML(t, p, "hi")
		e.signedIn("admin-a@vidya.test").postMultipart("/a/ALPHA/items/import", fields, "bank.gift", gift).
			wantStatus(t, http.StatusOK).wantContains(t, "<td>"+html.EscapeString(en)+"</td>")
	})

	t.Run("an error page shows the service's message in Hindi", func(t *testing.T) {
		q := url.Values{"format": {"gift"}, "q": {strings.Repeat("x", 201)}}
		const en = "some fields are not valid"
		p := e.signedIn("admin-a@vidya.test").inHindi().get("/a/ALPHA/items/export?"+q.Encode()).wantStatus(t, http.StatusBadRequest)
		p.wantContains(t, `lang="hi"`, "<p>"+hindi(t, en)+"</p>").wantLacks(t, en)
		e.signedIn("admin-a@vidya.test").get("/a/ALPHA/items/export?"+q.Encode()).wantStatus(t, http.StatusBadRequest).
			wantContains(t, "<p>"+en+"</p>")
	})

	t.Run("a form message from the service is shown in Hindi", func(t *testing.T) {
		c := e.signedIn("admin-a@vidya.test").inHindi()
		loc := createItem(t, c, singleChoice("Which is warm?"))
		m := regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(c.get(loc).Body)
		if m == nil {
			t.Fatal("the item page has no revision")
		}
		// The author of the last change may not review it.
		const en = "you made the last change to this item; another author must review it"
		p := c.post(loc+"/status", url.Values{"status": {"reviewed"}, "revision": {m[1]}}).wantStatus(t, http.StatusConflict)
		p.wantContains(t, `lang="hi"`, hindi(t, en)).wantLacks(t, en)
	})
}
