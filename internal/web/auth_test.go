package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)

	t.Run("success sets an HttpOnly cookie and redirects", func(t *testing.T) {
		c := e.client()
		p := c.post("/signin", url.Values{"email": {"Admin-A@vidya.test"}, "password": {testPassword}}).wantRedirect(t, "/")
		var found bool
		for _, ck := range p.Cookies() {
			if ck.Name == "vidya_session" {
				found = true
				if !ck.HttpOnly || ck.Value == "" || ck.SameSite != http.SameSiteLaxMode {
					t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax and a value", ck)
				}
			}
		}
		if !found {
			t.Fatal("no session cookie set")
		}
		c.get("/").wantStatus(t, http.StatusOK).wantContains(t, "Hello, Asha Admin", "Board A", `href="/a/ALPHA/users"`)
	})

	t.Run("success returns to a safe next page", func(t *testing.T) {
		e.client().post("/signin", url.Values{"email": {"admin-a@vidya.test"}, "password": {testPassword}, "next": {"/a/ALPHA/users?after=1"}}).
			wantRedirect(t, "/a/ALPHA/users?after=1")
	})

	t.Run("a protected page sends the visitor to sign in and back", func(t *testing.T) {
		c := e.client()
		c.get("/account").wantRedirect(t, "/signin?next=%2Faccount")
		c.get("/signin?next=%2Faccount").wantContains(t, `name="next" value="/account"`)
	})

	t.Run("wrong password shows the message and keeps the e-mail", func(t *testing.T) {
		p := e.client().post("/signin", url.Values{"email": {"learner-a@vidya.test"}, "password": {"not the password"}}).
			wantStatus(t, http.StatusUnauthorized).
			wantContains(t, "Wrong e-mail or password", `role="alert"`, `value="learner-a@vidya.test"`, `<form method="post" action="/signin"`)
		p.wantLacks(t, "not the password")
	})

	t.Run("unknown e-mail looks the same as a wrong password", func(t *testing.T) {
		e.client().post("/signin", url.Values{"email": {"nobody@vidya.test"}, "password": {"whatever-it-is"}}).
			wantStatus(t, http.StatusUnauthorized).wantContains(t, "Wrong e-mail or password")
	})

	t.Run("empty fields are marked", func(t *testing.T) {
		e.client().post("/signin", url.Values{}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-email-err"`, `id="f-password-err"`, `aria-invalid="true"`)
	})
}

func TestSignInLockout(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := 0; i < 5; i++ {
		c.post("/signin", url.Values{"email": {"learner-a@vidya.test"}, "password": {"wrong password"}}).wantStatus(t, http.StatusUnauthorized)
	}
	p := c.post("/signin", url.Values{"email": {"learner-a@vidya.test"}, "password": {testPassword}}).wantStatus(t, http.StatusTooManyRequests)
	p.wantContains(t, "Too many failed sign-ins", `role="alert"`)
	if !regexp.MustCompile(`try again in \d+ s`).MatchString(p.Body) {
		t.Errorf("lockout message lacks the wait time:\n%s", p.Body)
	}
	if p.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After header")
	}
	if hasCookie(p, "vidya_session") {
		t.Error("a locked account got a session")
	}
}

func hasCookie(p *page, name string) bool {
	for _, ck := range p.Cookies() {
		if ck.Name == name && ck.Value != "" {
			return true
		}
	}
	return false
}

func TestSignUp(t *testing.T) {
	e := newEnv(t)

	t.Run("field errors appear beside each field", func(t *testing.T) {
		p := e.client().post("/signup", url.Values{"name": {""}, "email": {"not-an-address"}, "password": {"short"}, "locale": {"en"}}).
			wantStatus(t, http.StatusUnprocessableEntity)
		for _, f := range []string{"name", "email", "password"} {
			p.wantContains(t, `id="f-`+f+`-err"`)
			if !regexp.MustCompile(`<input id="f-` + f + `"[^>]*aria-describedby="[^"]*f-` + f + `-err"`).MatchString(p.Body) {
				t.Errorf("input %s is not linked to its error", f)
			}
		}
		p.wantContains(t, "Fill this in.", "Enter an e-mail address like name@example.org.", "Use at least 10 characters.", `value="not-an-address"`, `role="alert"`, `href="#f-email"`)
		p.wantLacks(t, `value="short"`)
	})

	t.Run("field errors are translated", func(t *testing.T) {
		e.client().post("/signup", url.Values{"name": {""}, "email": {"x@y.example"}, "password": {"long enough password"}}, "Accept-Language", "hi").
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `lang="hi"`, "यह भरना ज़रूरी है।")
	})

	t.Run("a taken e-mail is marked", func(t *testing.T) {
		e.client().post("/signup", url.Values{"name": {"Copy"}, "email": {"learner-a@vidya.test"}, "password": {"long enough password"}}).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-email-err"`, "This is already in use.")
	})

	t.Run("success signs the new learner in", func(t *testing.T) {
		c := e.client()
		p := c.post("/signup", url.Values{"name": {"Meera Nair"}, "email": {"meera@vidya.test"}, "password": {"a long enough password"}, "locale": {"en"}}).wantRedirect(t, "/")
		if !hasCookie(p, "vidya_session") {
			t.Fatal("no session after sign-up")
		}
		c.get("/").wantContains(t, "Hello, Meera Nair", "Welcome, Meera Nair! Your account is ready.")
		// The flash is shown once.
		c.get("/").wantLacks(t, "Your account is ready")
	})

	t.Run("the form shows the password rule", func(t *testing.T) {
		e.client().get("/signup").wantStatus(t, http.StatusOK).wantContains(t, "At least 10 characters", `aria-describedby="f-password-hint"`)
	})
}

func TestSignUpClosed(t *testing.T) {
	e := newEnv(t, envOpts{closedSignUp: true})
	c := e.client()
	c.get("/signup").wantStatus(t, http.StatusNotFound).wantContains(t, "Sign-up is closed")
	c.post("/signup", url.Values{"name": {"X"}, "email": {"x@vidya.test"}, "password": {"a long enough password"}}).wantStatus(t, http.StatusNotFound)
	c.get("/signin").wantLacks(t, `href="/signup`)
}

func TestOpenRedirectIsNeutralised(t *testing.T) {
	e := newEnv(t)
	evil := []string{
		"//evil.example", "https://evil.example", `/\evil.example`, `\\evil.example`, "/\t/evil.example",
		"http:evil.example", "javascript:alert(1)", "///evil.example", "/%0a/evil.example", "/%5Cevil.example", "evil.example", " //evil.example",
	}
	for _, next := range evil {
		t.Run(next, func(t *testing.T) {
			e.client().post("/signin", url.Values{"email": {"admin-a@vidya.test"}, "password": {testPassword}, "next": {next}}).wantRedirect(t, "/")
			e.client().get("/lang/hi?next="+url.QueryEscape(next)).wantRedirect(t, "/")
		})
	}
	t.Run("a local path is kept", func(t *testing.T) {
		e.client().get("/lang/en?next="+url.QueryEscape("/a/ALPHA/users?after=2")).wantRedirect(t, "/a/ALPHA/users?after=2")
	})
	t.Run("the sign-in form does not echo a bad next", func(t *testing.T) {
		e.client().get("/signin?next="+url.QueryEscape("//evil.example")).wantLacks(t, `name="next"`, `href="/signup?next`)
	})
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	form := url.Values{"email": {"admin-a@vidya.test"}, "password": {testPassword}}
	p := c.post("/signin", form, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if p.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site sign-in: status %d, want 403", p.StatusCode)
	}
	if hasCookie(p, "vidya_session") {
		t.Fatal("cross-site POST started a session")
	}
	// A signed-in user's session is not ended by a forged sign-out.
	c.signIn("admin-a@vidya.test")
	c.post("/signout", nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").wantStatus(t, http.StatusForbidden)
	c.get("/account").wantStatus(t, http.StatusOK)
	// The same form from the same origin works.
	c.post("/signout", nil, "Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin").wantRedirect(t, "/")
	c.get("/account").wantStatus(t, http.StatusSeeOther)
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("learner-a@vidya.test")
	c.get("/").wantContains(t, `action="/signout"`)
	c.post("/signout", nil).wantRedirect(t, "/")
	c.get("/").wantContains(t, "You have signed out.", `href="/signin"`).wantLacks(t, `action="/signout"`)
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	same := func(email string) {
		c.post("/forgot-password", url.Values{"email": {email}}).wantRedirect(t, "/forgot-password")
		c.get("/forgot-password").wantContains(t, "If an account exists for that address")
	}
	same("nobody@vidya.test")
	same("learner-a@vidya.test")
	c.post("/forgot-password", url.Values{"email": {"nonsense"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-email-err"`)

	msgs, err := e.outbox.List(t.Context(), 0, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %v, %d messages, want 1", err, len(msgs))
	}
	m := regexp.MustCompile(`/reset-password\?token=([a-z0-9]+)`).FindStringSubmatch(msgs[0].Body)
	if m == nil {
		t.Fatalf("no reset link in %q", msgs[0].Body)
	}
	tok := m[1]
	c.get("/reset-password?token="+tok).wantStatus(t, http.StatusOK).wantContains(t, `name="token" value="`+tok+`"`)
	c.post("/reset-password", url.Values{"token": {tok}, "password": {"short"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-password-err"`)
	c.post("/reset-password", url.Values{"token": {tok}, "password": {"a brand new password"}}).wantRedirect(t, "/signin")
	c.get("/signin").wantContains(t, "Your password has been changed")
	c.post("/reset-password", url.Values{"token": {tok}, "password": {"another new password"}}).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "This reset link does not work any more", `href="/forgot-password"`)
	c.post("/signin", url.Values{"email": {"learner-a@vidya.test"}, "password": {"a brand new password"}}).wantRedirect(t, "/")
	e.client().get("/reset-password").wantContains(t, "This reset link does not work any more")
}
