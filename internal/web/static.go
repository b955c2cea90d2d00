package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed static
var staticFS embed.FS

//go:embed templates/*.html
var templateFS embed.FS

// asset is one static file, ready to serve.
type asset struct {
	name   string // logical name, e.g. "app.css"
	url    string // content-addressed URL, e.g. "/static/app.1a2b3c4d5e.css"
	ctype  string
	etag   string
	body   []byte
	gz     []byte // gzip of body for text files, else nil
	hashed bool
}

// assets indexes the static files by logical name and by URL.
type assets struct {
	byName map[string]*asset
	byURL  map[string]*asset
}

var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".woff2": "font/woff2",
	".svg":   "image/svg+xml",
}

// loadAssets reads the embedded static files and gives each a URL with a
// hash of its content, so that browsers may cache it for a year. CSS is
// read last and rewritten first: a stylesheet refers to the hashed URLs of
// the fonts it uses, and its own hash covers those references.
func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	var names []string
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, strings.TrimPrefix(p, "static/"))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	sort.SliceStable(names, func(i, j int) bool { return path.Ext(names[i]) != ".css" && path.Ext(names[j]) == ".css" })
	for _, name := range names {
		ext := path.Ext(name)
		ctype, ok := contentTypes[ext]
		if !ok {
			continue // licences and notes stay in the source tree only
		}
		body, err := staticFS.ReadFile("static/" + name)
		if err != nil {
			return nil, err
		}
		if ext == ".css" {
			for _, dep := range a.byName {
				body = bytes.ReplaceAll(body, []byte("/static/"+dep.name), []byte(dep.url))
			}
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:5])
		x := &asset{
			name:  name,
			url:   "/static/" + strings.TrimSuffix(name, ext) + "." + hash + ext,
			ctype: ctype,
			etag:  `"` + hash + `"`,
			body:  body,
		}
		if strings.HasPrefix(ctype, "text/") || ext == ".svg" {
			var z bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			if z.Len() < len(body) {
				x.gz = z.Bytes()
			}
		}
		a.byName[name] = x
		a.byURL[x.url] = x
	}
	return a, nil
}

// url returns the content-addressed URL of a static file. An unknown name
// is a programming error caught by the page tests.
func (a *assets) url(name string) (string, error) {
	x, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return x.url, nil
}

// ServeHTTP serves static files: by hashed URL for a year, immutable; by
// plain name (/static/app.css) revalidated every time.
func (a *assets) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	x, ok := a.byURL[r.URL.Path]
	immutable := ok
	if !ok {
		x, ok = a.byName[strings.TrimPrefix(r.URL.Path, "/static/")]
	}
	if !ok {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", x.ctype)
	h.Set("ETag", x.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if x.gz != nil {
		h.Set("Vary", "Accept-Encoding")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, x.etag) {
		rw.WriteHeader(http.StatusNotModified)
		return
	}
	body := x.body
	if x.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = x.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rw.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = rw.Write(body)
	}
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
