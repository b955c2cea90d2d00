package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
)

func TestOtherAuthorityLooksMissing(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("admin-a@vidya.test")
	bID := e.users["admin-b@vidya.test"].ID
	for _, pair := range [][2]string{
		{"/a/BETA", "/a/NOPE"},
		{"/a/BETA/users", "/a/NOPE/users"},
		{"/a/BETA/audit", "/a/NOPE/audit"},
		{fmt.Sprintf("/a/BETA/users/%d", bID), fmt.Sprintf("/a/NOPE/users/%d", bID)},
	} {
		other := c.get(pair[0]).wantStatus(t, http.StatusNotFound)
		missing := c.get(pair[1]).wantStatus(t, http.StatusNotFound)
		// They differ only in the request id and the page's own address
		// (in the language switch).
		norm := func(p *page, path string) string {
			return strings.ReplaceAll(withoutRequestID(p.Body), url.QueryEscape(path), "PATH")
		}
		if norm(other, pair[0]) != norm(missing, pair[1]) {
			t.Errorf("%s and %s differ:\n%s\n----\n%s", pair[0], pair[1], other.Body, missing.Body)
		}
		other.wantLacks(t, "Board B")
	}
	// Writes are refused the same way, and change nothing.
	c.post("/a/BETA/users", url.Values{"email": {"spy@vidya.test"}, "name": {"Spy"}, "roles": {"learner"}}).wantStatus(t, http.StatusNotFound)
	c.post("/a/BETA", url.Values{"name": {"Taken over"}}).wantStatus(t, http.StatusNotFound)
	e.signedIn("admin-b@vidya.test").get("/a/BETA/users").wantStatus(t, http.StatusOK).wantLacks(t, "spy@vidya.test")
	// The authority's own admin sees it.
	c.get("/a/ALPHA/users").wantStatus(t, http.StatusOK).wantContains(t, "Lalit Learner")
}

func TestLearnerCannotAdminister(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("learner-a@vidya.test")
	for _, path := range []string{"/admin/authorities", "/admin/audit", "/admin/outbox"} {
		c.get(path).wantStatus(t, http.StatusNotFound)
	}
	for _, path := range []string{"/a/ALPHA/users", "/a/ALPHA/audit", fmt.Sprintf("/a/ALPHA/users/%d", e.users["admin-a@vidya.test"].ID)} {
		p := c.get(path)
		if p.StatusCode != http.StatusForbidden && p.StatusCode != http.StatusNotFound {
			t.Errorf("learner GET %s: status %d, want 403 or 404", path, p.StatusCode)
		}
		p.wantLacks(t, "admin-a@vidya.test")
	}
	c.post("/admin/authorities", url.Values{"code": {"EVIL"}, "name": {"Evil"}}).wantStatus(t, http.StatusNotFound)
	c.post("/admin/audit/verify", nil).wantStatus(t, http.StatusNotFound)
	c.post("/a/ALPHA/users", url.Values{"email": {"friend@vidya.test"}, "name": {"Friend"}, "roles": {"authority_admin"}}).wantStatus(t, http.StatusForbidden)
	// The learner may read the authority's overview but not edit it.
	c.get("/a/ALPHA").wantStatus(t, http.StatusOK).wantContains(t, "Board A").wantLacks(t, `action="/a/ALPHA"`)
	c.post("/a/ALPHA", url.Values{"name": {"Renamed"}}).wantStatus(t, http.StatusForbidden)
	e.signedIn("root@vidya.test").get("/admin/authorities").wantLacks(t, "EVIL", "Renamed")
	// Anonymous visitors are sent to sign in.
	e.client().get("/admin/authorities").wantRedirect(t, "/signin?next=%2Fadmin%2Fauthorities")
}

func TestPlatformAdminCreatesAuthorityAndAdminAddsUser(t *testing.T) {
	e := newEnv(t)
	root := e.signedIn("root@vidya.test")
	root.post("/admin/authorities", url.Values{"code": {"x"}, "name": {""}}).wantStatus(t, http.StatusUnprocessableEntity).
		wantContains(t, `id="f-code-err"`, `id="f-name-err"`, `value="x"`)
	root.post("/admin/authorities", url.Values{"code": {"alpha"}, "name": {"Dup"}}).wantStatus(t, http.StatusUnprocessableEntity).
		wantContains(t, `id="f-code-err"`, "This is already in use.")
	root.post("/admin/authorities", url.Values{"code": {"cbse"}, "name": {"Central Board"}, "contact_email": {"help@cbse.example"}, "contact_phone": {"+91 11 2345 6789"}}).
		wantRedirect(t, "/admin/authorities")
	root.get("/admin/authorities").wantContains(t, "Authority CBSE has been created.", `href="/a/CBSE"`, "Central Board")

	// The platform admin acts as the new authority's administrator.
	root.post("/a/CBSE/users", url.Values{"email": {"bad"}, "name": {"Ravi"}}).wantStatus(t, http.StatusUnprocessableEntity).
		wantContains(t, `id="f-email-err"`, `value="Ravi"`)
	root.post("/a/CBSE/users", url.Values{"email": {"ravi@vidya.test"}, "name": {"Ravi"}}).wantStatus(t, http.StatusUnprocessableEntity).
		wantContains(t, `id="f-roles-err"`, `aria-describedby="f-roles-err"`)
	root.post("/a/CBSE/users", url.Values{"email": {"Ravi@vidya.test"}, "name": {"Ravi Kumar"}, "password": {"ravi's long password"}, "roles": {"authority_admin", "grader"}}).
		wantRedirect(t, "/a/CBSE/users")
	root.get("/a/CBSE/users").wantContains(t, "ravi@vidya.test has been added.", "Ravi Kumar", "Administrator, Grader")

	// The new administrator adds a learner, who then appears in the list.
	ravi := e.client()
	ravi.post("/signin", url.Values{"email": {"ravi@vidya.test"}, "password": {"ravi's long password"}}).wantRedirect(t, "/")
	ravi.post("/a/CBSE/users", url.Values{"email": {"sita@vidya.test"}, "name": {"Sita"}, "roles": {"learner"}}).wantRedirect(t, "/a/CBSE/users")
	p := ravi.get("/a/CBSE/users").wantContains(t, "Sita", "sita@vidya.test", "Learner")

	// Editing roles: the form shows the current roles ticked.
	m := regexp.MustCompile(`href="/a/CBSE/users/(\d+)">Edit roles<span class="vh"> sita@vidya.test`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no edit link for sita:\n%s", p.Body)
	}
	ravi.get("/a/CBSE/users/"+m[1]).wantStatus(t, http.StatusOK).wantContains(t, `value="learner" checked`).wantLacks(t, `value="grader" checked`)
	ravi.post("/a/CBSE/users/"+m[1], url.Values{"roles": {"learner", "grader"}}).wantRedirect(t, "/a/CBSE/users")
	ravi.get("/a/CBSE/users").wantContains(t, "Roles of sita@vidya.test saved.", "Grader, Learner")

	// Nobody removes their own administrator role.
	raviID := regexp.MustCompile(`href="/a/CBSE/users/(\d+)">Edit roles<span class="vh"> ravi@vidya.test`).FindStringSubmatch(p.Body)
	if raviID == nil {
		t.Fatal("no edit link for ravi")
	}
	ravi.post("/a/CBSE/users/"+raviID[1], url.Values{"roles": {"grader"}}).wantStatus(t, http.StatusUnprocessableEntity).
		wantContains(t, "you cannot remove your own administrator role", `role="alert"`, `value="grader" checked`)

	// Authority details can be edited by its administrator.
	ravi.post("/a/CBSE", url.Values{"name": {"Central Board of Secondary Education"}, "contact_email": {"not an email"}}).wantStatus(t, http.StatusUnprocessableEntity).
		wantContains(t, `id="f-contact_email-err"`)
	ravi.post("/a/CBSE", url.Values{"name": {"Central Board of Secondary Education"}, "contact_phone": {"011 1234"}}).wantRedirect(t, "/a/CBSE")
	ravi.get("/a/CBSE").wantContains(t, "Changes saved.", "Central Board of Secondary Education", "011 1234")
}

func TestMembersPagination(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 55; i++ {
		if _, err := e.svc.EnsureUser(t.Context(), "test", identity.NewUser{Email: fmt.Sprintf("l%02d@vidya.test", i), Name: fmt.Sprintf("Learner %02d", i), Roles: []identity.Role{identity.RoleLearner}}, false, "ALPHA"); err != nil {
			t.Fatal(err)
		}
	}
	c := e.signedIn("admin-a@vidya.test")
	p := c.get("/a/ALPHA/users").wantStatus(t, http.StatusOK)
	hi := e.signedIn("admin-a@vidya.test")
	hi.get("/lang/hi?next=/")
	checkHTML(t, hi.get("/a/ALPHA/users"), "hi")
	m := regexp.MustCompile(`href="(/a/ALPHA/users\?after=[0-9a-f]+)" rel="next"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no next page link:\n%s", p.Body)
	}
	p.wantLacks(t, "l54@vidya.test")
	c.get(m[1]).wantStatus(t, http.StatusOK).wantContains(t, "l54@vidya.test", `href="/a/ALPHA/users"`).wantLacks(t, "l00@vidya.test", `rel="next"`)
	// A mangled cursor starts again from the first page.
	c.get("/a/ALPHA/users?after=zzz").wantStatus(t, http.StatusOK).wantContains(t, "Asha Admin")
}

func TestAuditViewer(t *testing.T) {
	e := newEnv(t)
	root := e.signedIn("root@vidya.test")
	admin := e.signedIn("admin-a@vidya.test")
	admin.post("/a/ALPHA/users", url.Values{"email": {"new@vidya.test"}, "name": {"New"}, "roles": {"grader"}}).wantRedirect(t, "/a/ALPHA/users")

	p := admin.get("/a/ALPHA/audit").wantStatus(t, http.StatusOK).wantContains(t, "Audit log of Board A", "user.create", "new@vidya.test", `<th scope="col">`)
	p.wantLacks(t, "Verify chain", "admin-b@vidya.test")
	admin.get("/a/ALPHA/audit?action=authority.create").wantContains(t, "authority.create").wantLacks(t, "new@vidya.test")

	root.get("/admin/audit").wantStatus(t, http.StatusOK).wantContains(t, "Verify chain", "admin-b@vidya.test", "new@vidya.test")
	root.post("/admin/audit/verify", nil).wantStatus(t, http.StatusOK).wantContains(t, "The chain is intact")

	// "Older" pages back through the log with a before cursor.
	for i := 0; i < 60; i++ {
		if _, err := e.svc.EnsureUser(t.Context(), "test", identity.NewUser{Email: fmt.Sprintf("bulk%02d@vidya.test", i), Name: "Bulk", Roles: []identity.Role{identity.RoleLearner}}, false, "ALPHA"); err != nil {
			t.Fatal(err)
		}
	}
	// "Older" pages back through the log with a before cursor.
	root.get("/lang/hi?next=/")
	p = root.get("/admin/audit?action=user.create")
	checkHTML(t, p, "hi")
	pages := 1
	for !strings.Contains(p.Body, "admin-a@vidya.test") {
		m := regexp.MustCompile(`href="(/admin/audit\?action=user.create&amp;before=\d+)" rel="next"`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no Older link on page %d:\n%s", pages, p.Body)
		}
		p = root.get(strings.ReplaceAll(m[1], "&amp;", "&")).wantStatus(t, http.StatusOK).wantContains(t, "सबसे नए")
		pages++
	}
	if pages < 3 {
		t.Errorf("found the oldest entry on page %d, want paging", pages)
	}
}

func TestOutbox(t *testing.T) {
	e := newEnv(t)
	e.client().post("/forgot-password", url.Values{"email": {"learner-a@vidya.test"}}).wantRedirect(t, "/forgot-password")
	e.signedIn("root@vidya.test").get("/admin/outbox").wantStatus(t, http.StatusOK).
		wantContains(t, "No mail server is configured", "learner-a@vidya.test", "Reset your Vidya password", `<a href="http://vidya.test/reset-password?token=`)
}

func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("admin-a@vidya.test")
	acct := c.get("/account").wantStatus(t, http.StatusOK)
	acct.wantContains(t, `<option value="ALPHA:authority_admin"`, `<option value="ALPHA:author"`).wantLacks(t, `value="BETA:`)

	c.post("/account/tokens", url.Values{"token_name": {""}, "scope": {"ALPHA:author"}, "expires_in_days": {"30"}}).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-token_name-err"`)
	c.post("/account/tokens", url.Values{"token_name": {"sneaky"}, "scope": {"BETA:authority_admin"}}).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-scope-err"`)

	p := c.post("/account/tokens", url.Values{"token_name": {"results upload"}, "scope": {"ALPHA:author"}, "expires_in_days": {"90"}}).wantStatus(t, http.StatusOK)
	m := regexp.MustCompile(`<code id="token-secret" class="secret">(vidya_[a-z0-9]+)</code>`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no secret on the result page:\n%s", p.Body)
	}
	secret := m[1]
	p.wantContains(t, "It will not be shown again", "results upload")
	if cc := p.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token page Cache-Control %q, want no-store", cc)
	}
	if p.Header.Get("Content-Encoding") != "" {
		t.Error("the secret page is compressed")
	}

	list := c.get("/account").wantContains(t, "results upload", secret[:12]).wantLacks(t, secret)
	// The secret works as an API credential and shows as used.
	if _, err := e.svc.AuthenticateToken(t.Context(), secret); err != nil {
		t.Fatalf("the shown secret does not authenticate: %v", err)
	}
	id := regexp.MustCompile(`action="/account/tokens/(\d+)/revoke"`).FindStringSubmatch(list.Body)
	if id == nil {
		t.Fatal("no revoke form")
	}
	c.post("/account/tokens/"+id[1]+"/revoke", nil).wantRedirect(t, "/account#tokens")
	c.get("/account").wantContains(t, "The token has been revoked.", "Revoked").wantLacks(t, secret, `action="/account/tokens/`+id[1]+`/revoke"`)
	if _, err := e.svc.AuthenticateToken(t.Context(), secret); err == nil {
		t.Fatal("a revoked token still works")
	}
	// Someone else cannot revoke it (it is not theirs): 404.
	e.signedIn("admin-b@vidya.test").post("/account/tokens/"+id[1]+"/revoke", nil).wantStatus(t, http.StatusNotFound)
}

func TestSessions(t *testing.T) {
	e := newEnv(t)
	phone := e.signedIn("learner-a@vidya.test")
	laptop := e.signedIn("learner-a@vidya.test")
	p := laptop.get("/account").wantStatus(t, http.StatusOK).wantContains(t, "This device", "Another device")
	ids := regexp.MustCompile(`action="/account/sessions/([0-9a-f]+)/revoke"`).FindAllStringSubmatch(p.Body, -1)
	if len(ids) != 1 {
		t.Fatalf("want one revoke form (not for this device), got %d", len(ids))
	}
	laptop.post("/account/sessions/"+ids[0][1]+"/revoke", nil).wantRedirect(t, "/account#sessions")
	laptop.get("/account").wantStatus(t, http.StatusOK).wantContains(t, "That device has been signed out.").wantLacks(t, "Another device")
	phone.get("/account").wantRedirect(t, "/signin?next=%2Faccount")

	phone.signIn("learner-a@vidya.test")
	laptop.post("/account/sessions/revoke-all", nil).wantRedirect(t, "/signin")
	laptop.get("/account").wantStatus(t, http.StatusSeeOther)
	phone.get("/account").wantStatus(t, http.StatusSeeOther)
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("learner-a@vidya.test")
	other := e.signedIn("learner-a@vidya.test")
	c.post("/account/password", url.Values{"current_password": {"wrong one"}, "new_password": {"a new long password"}}).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-current_password-err"`, "This is not right.")
	c.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {"a new long password"}}).wantRedirect(t, "/account")
	c.get("/account").wantStatus(t, http.StatusOK).wantContains(t, "Your password has been changed.")
	other.get("/account").wantStatus(t, http.StatusSeeOther)
}

func TestUpdateProfile(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("learner-a@vidya.test")
	c.post("/account/profile", url.Values{"name": {""}, "locale": {"en"}}).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-name-err"`)
	c.post("/account/profile", url.Values{"name": {"अनन्या राव"}, "locale": {"hi"}}).wantRedirect(t, "/account")
	// The page now greets in Hindi and shows the new name in the form.
	c.get("/account").wantStatus(t, http.StatusOK).wantContains(t, `lang="hi"`, `value="अनन्या राव"`)
	// The choice belongs to the account: a new browser gets Hindi too.
	e.signedIn("learner-a@vidya.test").get("/account").wantContains(t, `lang="hi"`)
}
