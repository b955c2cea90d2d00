package web

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/vidya-edu/vidya/internal/identity"
)

func TestLanguage(t *testing.T) {
	e := newEnv(t)

	t.Run("the switch renders Hindi", func(t *testing.T) {
		c := e.client()
		p := c.get("/lang/hi?next=%2Fsignin").wantRedirect(t, "/signin")
		if !hasCookie(p, "vidya_lang") {
			t.Fatal("no language cookie")
		}
		c.get("/signin").wantStatus(t, http.StatusOK).wantContains(t, `<html lang="hi">`, "<h1>साइन इन करें</h1>", `href="/lang/en?next=%2Fsignin"`)
		c.get("/lang/en?next=%2Fsignin").wantRedirect(t, "/signin")
		c.get("/signin").wantContains(t, `<html lang="en">`, "<h1>Sign in</h1>")
	})

	t.Run("Accept-Language is honoured", func(t *testing.T) {
		e.client().get("/", "Accept-Language", "hi-IN,hi;q=0.9,en;q=0.8").wantContains(t, `lang="hi"`, "विद्या में आपका स्वागत है")
		e.client().get("/", "Accept-Language", "en;q=0.9,hi;q=0.2").wantContains(t, `lang="en"`)
		e.client().get("/", "Accept-Language", "ta,fr").wantContains(t, `lang="en"`)
	})

	t.Run("the user's locale beats Accept-Language; the switch beats both", func(t *testing.T) {
		if _, err := e.svc.EnsureUser(t.Context(), "test", identity.NewUser{Email: "hindi@vidya.test", Name: "राधा", Password: testPassword, Locale: "hi", Roles: []identity.Role{identity.RoleLearner}}, false, "ALPHA"); err != nil {
			t.Fatal(err)
		}
		c := e.signedIn("hindi@vidya.test")
		c.get("/", "Accept-Language", "en").wantContains(t, `lang="hi"`, "नमस्ते, राधा", "शिक्षार्थी")
		c.get("/lang/en?next=/")
		c.get("/", "Accept-Language", "hi").wantContains(t, `lang="en"`, "Hello, राधा")
	})

	t.Run("an unknown language is a 404", func(t *testing.T) {
		e.client().get("/lang/xx?next=/").wantStatus(t, http.StatusNotFound)
	})
}

func TestCatalogue(t *testing.T) {
	cat, err := loadCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range languages[1:] {
		if d := diffKeys(cat["en"], cat[lang]); len(d) > 0 {
			t.Errorf("%s lacks %v", lang, d)
		}
		if d := diffKeys(cat[lang], cat["en"]); len(d) > 0 {
			t.Errorf("%s has extra %v", lang, d)
		}
	}
	// Every Hindi string is written in Devanagari, not left in English.
	deva := regexp.MustCompile(`[\x{0900}-\x{097F}]`)
	for k, v := range cat["hi"] {
		if !deva.MatchString(v) {
			t.Errorf("hi %s = %q has no Devanagari", k, v)
		}
		if strings.Count(v, "%") != strings.Count(cat["en"][k], "%") {
			t.Errorf("%s: the translations take different arguments: %q, %q", k, cat["en"][k], v)
		}
	}

	namespaces := map[string]bool{}
	for k := range cat["en"] {
		namespaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	keyRE := regexp.MustCompile(`"(?:[a-z]+=)?([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)
	used := map[string]bool{}
	scan := func(name, text string) {
		for _, m := range keyRE.FindAllStringSubmatch(text, -1) {
			k := m[1]
			if !namespaces[strings.SplitN(k, ".", 2)[0]] {
				continue
			}
			used[k] = true
			if _, ok := cat["en"][k]; !ok {
				t.Errorf("%s uses %q, which the catalogue lacks", name, k)
			}
		}
	}
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, p)
		scan(p, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scan(f, string(b))
	}
	// Keys built at run time.
	for _, r := range identity.Roles {
		k := "role." + string(r)
		used[k] = true
		if _, ok := cat["en"][k]; !ok {
			t.Errorf("no catalogue entry for role %s", r)
		}
	}
	var unused []string
	for k := range cat["en"] {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("catalogue keys never used: %v", unused)
	}
}

// TestPagesAreWellFormed fetches every page as the people who see it, in
// both languages, and checks the HTML: one h1, labelled inputs, unique ids,
// nothing inline that the CSP would block, and the weight budget.
func TestPagesAreWellFormed(t *testing.T) {
	e := newEnv(t)
	learnerID := e.users["learner-a@vidya.test"].ID
	admin := e.signedIn("admin-a@vidya.test")
	admin.post("/account/tokens", mustForm("token_name", "ci", "scope", "ALPHA:author", "expires_in_days", "0")).wantStatus(t, http.StatusOK)
	e.client().post("/forgot-password", mustForm("email", "learner-a@vidya.test"))
	item := createItem(t, admin, singleChoice("Solve $x^2 = 4$ for *x*."))
	for i := range itemsPerPage + 1 {
		createItem(t, admin, singleChoice(fmt.Sprintf("प्रश्न संख्या %d: किस पेय में कैफ़ीन अधिक होता है, चाय या कॉफ़ी?", i)))
	}
	pages := map[string][]string{
		"": {"/", "/signin", "/signin?next=%2Faccount", "/signup", "/forgot-password", "/reset-password?token=abc", "/reset-password", "/nowhere"},
		"root@vidya.test": {"/", "/account", "/admin/authorities", "/admin/audit", "/admin/outbox", "/a/ALPHA", "/a/ALPHA/users",
			fmt.Sprintf("/a/ALPHA/users/%d", learnerID), "/a/ALPHA/audit"},
		"admin-a@vidya.test": {"/", "/account", "/a/ALPHA", "/a/ALPHA/users", "/a/ALPHA/audit", "/a/BETA",
			"/a/ALPHA/items", "/a/ALPHA/items?type=single_choice&q=x", item, item + "?lang=hi", item + "/edit", "/a/ALPHA/items/new",
			"/a/ALPHA/items/new?type=matching", "/a/ALPHA/items/new?type=numeric", "/a/ALPHA/items/new?type=short_text",
			"/a/ALPHA/items/new?type=true_false", "/a/ALPHA/items/new?type=ordering", "/a/ALPHA/items/import", "/a/ALPHA/topics", "/a/ALPHA/items/images"},
		"learner-a@vidya.test": {"/", "/account", "/a/ALPHA", "/a/ALPHA/users"},
	}
	for _, lang := range languages {
		for who, paths := range pages {
			c := e.client()
			if who != "" {
				c.signIn(who)
			}
			c.get("/lang/" + lang + "?next=/")
			for _, path := range paths {
				t.Run(lang+" "+who+" "+path, func(t *testing.T) {
					p := c.get(path)
					if p.StatusCode >= 500 || p.StatusCode == http.StatusSeeOther {
						t.Fatalf("status %d", p.StatusCode)
					}
					checkHTML(t, p, lang)
				})
			}
		}
	}
	t.Run("token result page", func(t *testing.T) {
		p := admin.post("/account/tokens", mustForm("token_name", "ci2", "scope", "ALPHA:author", "expires_in_days", "30")).wantStatus(t, http.StatusOK)
		checkHTML(t, p, "en")
	})
	t.Run("form with errors", func(t *testing.T) {
		p := e.client().post("/signup", mustForm("name", "", "email", "bad", "password", "x"))
		checkHTML(t, p, "en")
	})
}

func mustForm(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

func checkHTML(t *testing.T, p *page, lang string) {
	t.Helper()
	if ct := p.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if n := len(p.Body); n > 15*1024 {
		t.Errorf("page is %d bytes, over the 15 KB budget", n)
	}
	doc, err := html.Parse(strings.NewReader(p.Body))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var h1s int
	ids := map[string]bool{}
	labels := map[string]bool{}
	var inputs []string
	var landmarks []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			a := map[string]string{}
			for _, at := range n.Attr {
				a[at.Key] = at.Val
				if strings.HasPrefix(at.Key, "on") || at.Key == "style" {
					t.Errorf("<%s> has inline %s=, which the CSP blocks", n.Data, at.Key)
				}
			}
			if id, ok := a["id"]; ok {
				if ids[id] {
					t.Errorf("duplicate id %q", id)
				}
				ids[id] = true
			}
			switch n.Data {
			case "html":
				if a["lang"] != lang {
					t.Errorf(`<html lang=%q>, want %q`, a["lang"], lang)
				}
			case "h1":
				h1s++
			case "label":
				if f := a["for"]; f != "" {
					labels[f] = true
				}
			case "input", "select", "textarea":
				_, hidden := a["hidden"]
				if a["type"] != "hidden" && a["type"] != "checkbox" && !hidden {
					inputs = append(inputs, a["id"])
				}
			case "script":
				if a["src"] == "" {
					t.Error("inline <script>")
				}
			case "style":
				t.Error("inline <style>")
			case "header", "nav", "main", "footer":
				landmarks = append(landmarks, n.Data)
			case "th":
				if a["scope"] == "" {
					t.Error("<th> without scope")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if h1s != 1 {
		t.Errorf("%d <h1> elements, want 1", h1s)
	}
	for _, id := range inputs {
		if id == "" || !labels[id] {
			t.Errorf("input %q has no <label for>", id)
		}
	}
	for _, l := range []string{"header", "nav", "main", "footer"} {
		if !slices.Contains(landmarks, l) {
			t.Errorf("no <%s>", l)
		}
	}
	for _, ref := range regexp.MustCompile(`aria-describedby="([^"]+)"`).FindAllStringSubmatch(p.Body, -1) {
		for _, id := range strings.Fields(ref[1]) {
			if !ids[id] {
				t.Errorf("aria-describedby points to missing id %q", id)
			}
		}
	}
	if !strings.Contains(p.Body, `class="skip" href="#main"`) {
		t.Error("no skip link")
	}
}

func TestStaticFiles(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	p := c.get("/signin")
	m := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no hashed stylesheet link:\n%s", p.Body)
	}
	css := c.get(m[1]).wantStatus(t, http.StatusOK)
	if got := css.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("CSS Cache-Control %q", got)
	}
	if got := css.Header.Get("Content-Type"); got != "text/css; charset=utf-8" {
		t.Errorf("CSS Content-Type %q", got)
	}
	if n := len(css.Body); n > 10*1024 {
		t.Errorf("CSS is %d bytes, over the 10 KB budget", n)
	}
	etag := css.Header.Get("ETag")
	c.get(m[1], "If-None-Match", etag).wantStatus(t, http.StatusNotModified)
	// The stylesheet names the fonts by their hashed URLs, which exist.
	fonts := regexp.MustCompile(`url\((/static/fonts/[^)]+\.woff2)\)`).FindAllStringSubmatch(css.Body, -1)
	if len(fonts) != 2 {
		t.Fatalf("want 2 font URLs in the CSS, got %d", len(fonts))
	}
	for _, f := range fonts {
		if !regexp.MustCompile(`\.[0-9a-f]{10}\.woff2$`).MatchString(f[1]) {
			t.Errorf("font URL %s has no content hash", f[1])
		}
		fp := c.get(f[1]).wantStatus(t, http.StatusOK)
		if fp.Header.Get("Content-Type") != "font/woff2" || !strings.HasPrefix(fp.Body, "wOF2") {
			t.Errorf("%s: not a woff2 font", f[1])
		}
	}
	if !strings.Contains(css.Body, "unicode-range: U+0900-097F") || !strings.Contains(css.Body, "font-display: swap") {
		t.Error("the @font-face rules lack unicode-range or font-display")
	}
	// Compressed when the browser accepts it.
	gz := c.get(m[1], "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" || len(gz.Body) >= len(css.Body) {
		t.Error("CSS is not served gzipped")
	}
	c.get("/static/app.css").wantStatus(t, http.StatusOK)
	c.get("/static/nope.css").wantStatus(t, http.StatusNotFound)
	c.get("/static/fonts/OFL.txt").wantStatus(t, http.StatusNotFound)
}
