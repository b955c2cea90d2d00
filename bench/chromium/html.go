// Package chromium renders Vidya's typical certificate the way most
// certificate systems do, as HTML printed to PDF by headless Chromium, so
// that the issuance benchmark can measure it in the same run as the Go
// renderer (internal/certify/pdf) and report the ratio.
//
// HTML makes the certificate of internal/certify/pdf/testdata/typical.json
// as one self-contained page (fonts from internal/certify/pdf/fonts and the
// images from its testdata as data: URIs, the QR code as inline SVG from
// QRSVG), and Measure prints a batch of such pages to PDF through
// render.mjs (Node with playwright-core, driving Debian's /usr/bin/chromium)
// and times it:
//
//	if err := chromium.Ready(); err != nil { … }
//	docs := make([]string, n)
//	for i := range docs {
//		svg, err := chromium.QRSVG(payload(i))
//		…
//		docs[i] = chromium.HTML(data(i), svg)
//	}
//	res, err := chromium.Measure(ctx, docs, 2, "")
//	fmt.Printf("%.1f certificates/s\n", res.PerSecond())
//
// It needs node, npm (once, to install playwright-core from this directory's
// package-lock.json into node_modules) and chromium (apt-get install -y
// nodejs npm chromium), and a checkout of the repository: the assets and
// render.mjs are read from it at run time.
package chromium

import (
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"rsc.io/qr"
)

//go:embed cert.html.tmpl
var certHTML string

var certTemplate = template.Must(template.New("cert.html.tmpl").Parse(certHTML))

// Module is the module path RepoRoot looks for in go.mod.
const Module = "github.com/vidya-edu/vidya"

// certAssets are the template's fonts and images, ready to put in a page.
type certAssets struct {
	fonts                                        template.CSS
	background, logoBoard, logoScheme, signature template.URL
}

// fontFaces are the fonts the Go renderer uses, under family names of
// their own so that installed fonts cannot stand in for them.
var fontFaces = []struct{ family, weight, file string }{
	{"Vidya Sans", "400", "NotoSans-Regular.ttf"},
	{"Vidya Sans", "700", "NotoSans-Bold.ttf"},
	{"Vidya Devanagari", "400", "NotoSansDevanagari-Regular.ttf"},
	{"Vidya Devanagari", "700", "NotoSansDevanagari-Bold.ttf"},
}

var loadAssets = sync.OnceValues(func() (*certAssets, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	return readAssets(filepath.Join(root, "internal", "certify", "pdf"))
})

// readAssets reads the fonts and images from dir, the Go renderer's
// package directory.
func readAssets(dir string) (*certAssets, error) {
	dataURI := func(mime, path string) (string, error) {
		raw, err := os.ReadFile(filepath.Join(dir, path))
		if err != nil {
			return "", fmt.Errorf("chromium: read certificate assets: %w", err)
		}
		return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(raw), nil
	}
	a := &certAssets{}
	var css strings.Builder
	for _, f := range fontFaces {
		uri, err := dataURI("font/ttf", filepath.Join("fonts", f.file))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&css, "@font-face { font-family: %q; font-weight: %s; font-style: normal; src: url(%s) format(\"truetype\"); }\n",
			f.family, f.weight, uri)
	}
	a.fonts = template.CSS(css.String())
	for _, im := range []struct {
		dst  *template.URL
		mime string
		file string
	}{
		{&a.background, "image/jpeg", "background.jpg"},
		{&a.logoBoard, "image/png", "logo-board.png"},
		{&a.logoScheme, "image/png", "logo-scheme.png"},
		{&a.signature, "image/png", "signature.png"},
	} {
		uri, err := dataURI(im.mime, filepath.Join("testdata", im.file))
		if err != nil {
			return nil, err
		}
		*im.dst = template.URL(uri)
	}
	return a, nil
}

// Ready reads the fonts and images HTML embeds from the repository (see
// RepoRoot), once, and returns the error if that failed. Call it before
// HTML, which panics without them.
func Ready() error {
	_, err := loadAssets()
	return err
}

// HTML returns the typical certificate as a self-contained HTML page for
// the field values in data (holder.name_hi, holder.name, course, grade,
// roll, certificate.id, date; escaped as text) and the QR code qrSVG,
// trusted markup as QRSVG makes it. It panics if the assets cannot be read;
// Ready reports that as an error.
func HTML(data map[string]string, qrSVG string) string {
	a, err := loadAssets()
	if err != nil {
		panic(fmt.Sprintf("chromium: HTML without its assets (check Ready first): %v", err))
	}
	var b strings.Builder
	b.Grow(len(a.fonts) + len(a.background) + 64<<10)
	err = certTemplate.Execute(&b, struct {
		Fonts                                        template.CSS
		Background, LogoBoard, LogoScheme, Signature template.URL
		Data                                         map[string]string
		QR                                           template.HTML
	}{a.fonts, a.background, a.logoBoard, a.logoScheme, a.signature, data, template.HTML(qrSVG)})
	if err != nil {
		// The template is fixed and its values are strings: this is a bug.
		panic(fmt.Sprintf("chromium: HTML: %v", err))
	}
	return b.String()
}

// quietZone is the light margin around the QR code, in modules, as in the
// Go renderer: the 38 mm square includes it.
const quietZone = 4

// QRSVG encodes payload as a QR code (error correction M, as the typical
// template's default) and returns it as an SVG element that fills its
// container: a white square with the quiet zone and one path of black
// runs.
func QRSVG(payload string) (string, error) {
	c, err := qr.Encode(payload, qr.M)
	if err != nil {
		return "", fmt.Errorf("chromium: encode QR code: %w", err)
	}
	side := strconv.Itoa(c.Size + 2*quietZone)
	var b strings.Builder
	b.Grow(c.Size * c.Size * 2)
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ` + side + " " + side +
		`" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="` + side + `" height="` + side +
		`" fill="#fff"/><path fill="#000" d="`)
	for y := range c.Size {
		for x := 0; x < c.Size; {
			if !c.Black(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < c.Size && c.Black(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quietZone, y+quietZone, run, run)
			x += run
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}

// RepoRoot returns the root of the repository: the nearest directory, from
// the working directory upwards, whose go.mod declares Module, or else the
// one this package's source was built from.
func RepoRoot() (string, error) {
	isRoot := func(dir string) bool {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			return false
		}
		first, _, _ := strings.Cut(string(mod), "\n")
		return strings.TrimSpace(first) == "module "+Module
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if isRoot(dir) {
				return dir, nil
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		if dir := filepath.Join(filepath.Dir(file), "..", ".."); isRoot(dir) {
			return filepath.Clean(dir), nil
		}
	}
	return "", errors.New("chromium: no checkout of " + Module + " above the working directory (run from inside the repository)")
}
