package web

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// The candidate's exam runner. Candidates are not users: the page is a
// shell, the same for everyone, and exam.js drives the exam-day API
// (/api/v1/exam/...) with the ticket it gets at sign-in. The shell works
// offline through a service worker scoped to /exam/, which is why the
// runner lives at /exam/ (with a slash) and the worker at /exam/sw.js.

//go:embed exam_sw.js
var examSW []byte

// examAssets are the static files the runner needs offline; the service
// worker caches them when it installs. KaTeX is cached when first used.
// The runner's own modules are among them although most candidates never
// load them (the calculator, practice feedback, the results): a reload
// while offline must find whichever the paper needs.
var examAssets = []string{
	"app.css", "exam/exam.css", "exam/exam.js", "math.js",
	"exam/calc.js", "exam/calc.css", "exam/practice.js", "exam/practice.css", "exam/results.js",
	"fonts/noto-sans-devanagari-devanagari-400-normal.woff2",
	"fonts/noto-sans-devanagari-devanagari-700-normal.woff2",
}

// examPage is what the runner's shell template receives.
type examPage struct {
	// Languages are the interface languages, for the text of the runner.
	Languages []string
}

// examRunner serves the runner's shell.
func (w *Web) examRunner(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, r, http.StatusOK, "exam", w.newView(r, examPage{Languages: languages}))
}

// examRedirect sends /exam to /exam/, inside the service worker's scope.
func (w *Web) examRedirect(rw http.ResponseWriter, r *http.Request) {
	http.Redirect(rw, r, "/exam/", http.StatusMovedPermanently)
}

var (
	swOnce sync.Once
	swBody []byte
	swTag  string
)

// examServiceWorker serves the runner's service worker from a fixed URL
// (a worker's URL must not change between versions, so it cannot be a
// hashed static file). It starts with the hashed URLs it caches, so a new
// release of any of them is a new worker, which replaces the old caches.
func (w *Web) examServiceWorker(rw http.ResponseWriter, r *http.Request) {
	swOnce.Do(func() {
		urls := []string{"/exam/"}
		for _, name := range examAssets {
			u, err := w.assets.url(name)
			if err != nil {
				w.log.Error("exam service worker", "err", err)
				continue
			}
			urls = append(urls, u)
		}
		list, _ := json.Marshal(urls)
		sum := sha256.Sum256(append(append([]byte{}, list...), examSW...))
		ver := hex.EncodeToString(sum[:5])
		var b bytes.Buffer
		b.WriteString("const VERSION = '" + ver + "';\nconst PRECACHE = ")
		b.Write(list)
		b.WriteString(";\n")
		b.Write(examSW)
		swBody, swTag = b.Bytes(), `"`+ver+`"`
	})
	h := rw.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", swTag)
	h.Set("X-Content-Type-Options", "nosniff")
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, swTag) {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(swBody)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(swBody)
	}
}

// examResults serves the runner's result and challenge views, with their
// words, as an HTML fragment in the reader's language. The runner loads
// it after the exam, so that the shell every candidate loads on exam day
// stays small.
func (w *Web) examResults(rw http.ResponseWriter, r *http.Request) {
	v := w.newView(r, examPage{Languages: languages})
	var b bytes.Buffer
	if err := w.pages[v.Lang]["exam"].ExecuteTemplate(&b, "exam-results", v); err != nil {
		w.log.ErrorContext(r.Context(), "render exam results", "request_id", v.RequestID, "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", v.Lang)
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Cookie, Accept-Language")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	if r.Method != http.MethodHead {
		_, _ = rw.Write(b.Bytes())
	}
}
