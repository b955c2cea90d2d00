package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestExamRunnerShell(t *testing.T) {
	e := newEnv(t)

	t.Run("/exam redirects into the service worker's scope", func(t *testing.T) {
		p := e.client().get("/exam").wantStatus(t, http.StatusMovedPermanently)
		if got := p.Header.Get("Location"); got != "/exam/" {
			t.Fatalf("Location %q, want /exam/", got)
		}
	})

	for _, tc := range []struct {
		lang string
		want []string
		lack []string
	}{
		{"en", []string{"Sign in to your exam", "Roll number", "Access code", "Mark for review &amp; next", "needs JavaScript",
			"Offline — %d answers kept on this device, will be sent when you are back online", "Answered and marked for review"}, []string{"अनुक्रमांक"}},
		{"hi", []string{"अपनी परीक्षा में साइन इन करें", "अनुक्रमांक", "एक्सेस कोड", "समीक्षा हेतु चिह्नित करें और आगे", "JavaScript आवश्यक है",
			"ऑफ़लाइन — %d उत्तर इस डिवाइस पर रखे हैं", "उत्तर दिया और समीक्षा हेतु चिह्नित"}, []string{"Roll number", "Mark for review"}},
	} {
		t.Run("the shell renders in "+tc.lang+" with no inline script", func(t *testing.T) {
			c := e.client()
			if tc.lang == "hi" {
				c.inHindi()
			}
			p := c.get("/exam/").wantStatus(t, http.StatusOK).wantContains(t, tc.want...).wantLacks(t, tc.lack...)
			checkHTML(t, p, tc.lang)
			if got := p.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control %q", got)
			}
			csp := p.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q", csp)
			}
			if n := strings.Count(p.Body, "<script"); n != 2 {
				t.Errorf("%d <script> tags, want 2 (math.js and exam.js)", n)
			}
			for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(p.Body, -1) {
				if !strings.Contains(m, `type="module"`) || !strings.Contains(m, `src="/static/`) {
					t.Errorf("script tag %s is not an external module", m)
				}
			}
		})
	}

	t.Run("the runner's assets are served, hashed and within budget", func(t *testing.T) {
		c := e.client()
		body := c.get("/exam/").Body
		total := 0
		for _, name := range []string{"exam/exam.js", "exam/exam.css"} {
			ext := name[strings.LastIndex(name, ".")+1:]
			re := regexp.MustCompile(`"(/static/` + strings.TrimSuffix(name, "."+ext) + `\.[0-9a-f]{10}\.` + ext + `)"`)
			m := re.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("the shell does not link %s", name)
			}
			a := c.get(m[1]).wantStatus(t, http.StatusOK)
			if got := a.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", name, got)
			}
			total += len(a.Body)
		}
		// KaTeX is loaded only when a paper has maths; the rest stays light.
		if total > 40*1024 {
			t.Errorf("the runner's JS and CSS are %d bytes, over the 40 KB budget", total)
		}
	})

	t.Run("the service worker lists the shell and the hashed files that exist", func(t *testing.T) {
		c := e.client()
		p := c.get("/exam/sw.js").wantStatus(t, http.StatusOK)
		if ct := p.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := p.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("Cache-Control %q: browsers must look for a new worker on every visit", cc)
		}
		m := regexp.MustCompile(`const PRECACHE = (\[[^\n]*\]);`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no PRECACHE list:\n%s", p.Body)
		}
		urls := regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(m[1], -1)
		if len(urls) != len(examAssets)+1 || urls[0][1] != "/exam/" {
			t.Fatalf("PRECACHE %s", m[1])
		}
		for _, u := range urls[1:] {
			if !regexp.MustCompile(`\.[0-9a-f]{10}\.[a-z0-9]+$`).MatchString(u[1]) {
				t.Errorf("%s is not content-addressed", u[1])
			}
			c.get(u[1]).wantStatus(t, http.StatusOK)
		}
		// Answers and submissions are never touched by the worker.
		if !strings.Contains(p.Body, "if (req.method !== 'GET') return;") {
			t.Error("the worker does not leave writes to the network")
		}
		c.get("/exam/sw.js", "If-None-Match", p.Header.Get("ETag")).wantStatus(t, http.StatusNotModified)
	})

	t.Run("other paths under /exam/ are not found", func(t *testing.T) {
		e.client().get("/exam/nowhere").wantStatus(t, http.StatusNotFound)
	})
}
