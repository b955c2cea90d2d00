package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/pdf/pdftest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// overlayText is drawn on top of the PDF background.
const overlayText = "Overlay on a PDF background"

// bgTemplate is a template with a PDF background and one line of text,
// low on the page, in a band the comparisons leave out.
func bgTemplate(bg string) Template {
	return Template{Page: Page{Size: "A4", Orientation: "landscape"}, Background: bg, Elements: []Element{
		{Type: ElemText, Text: overlayText, X: 20, Y: 190, Width: 150, Size: 12},
	}}
}

// overlayRows are the pixel rows, at 50 dpi, the overlay text may touch.
const overlayTop, overlayBottom = 365, 395

// sourcePDF renders the typical certificate i: a real PDF with embedded
// font subsets, images and a QR code, to use as a background.
func sourcePDF(t testing.TB, i int) []byte {
	t.Helper()
	return render(t, typical(t), certData(i), payload400(i))
}

// qpdfRewrite runs qpdf on a PDF with the given options and returns the
// result.
func qpdfRewrite(t testing.TB, in []byte, opts ...string) []byte {
	t.Helper()
	q := tool(t, "qpdf", "qpdf")
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.pdf"), filepath.Join(dir, "out.pdf")
	if err := os.WriteFile(src, in, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, opts...), src, dst)
	if out, err := exec.Command(q, args...).CombinedOutput(); err != nil {
		// Exit status 3 is success with warnings.
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
			t.Fatalf("qpdf %v: %v\n%s", opts, err, out)
		}
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func compileBg(bg []byte) (*Compiled, error) {
	return Compile(bgTemplate("seal"), map[string][]byte{"seal": bg}, nil, nil)
}

// ppm50 rasterises a PDF's first page with pdftoppm at 50 dpi.
func ppm50(t testing.TB, data []byte) *rgbImage {
	t.Helper()
	ppm := tool(t, "pdftoppm", "poppler-utils")
	dir := t.TempDir()
	p := filepath.Join(dir, "f.pdf")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ppm, "-r", "50", "-png", "-singlefile", "-f", "1", "-l", "1", p, filepath.Join(dir, "f"))
	raw, err := os.ReadFile(filepath.Join(dir, "f.png"))
	if err != nil {
		t.Fatal(err)
	}
	return decodePNG(t, raw)
}

// outsideOverlay compares two renderings of one size outside the overlay
// text's rows: the mean difference and the share of pixels that differ
// by more than 40.
func outsideOverlay(t testing.TB, a, b *rgbImage) (mean, share float64) {
	t.Helper()
	if a.w != b.w || a.h != b.h {
		t.Fatalf("renderings differ in size: %d×%d and %d×%d", a.w, a.h, b.w, b.h)
	}
	var sum float64
	n, bad := 0, 0
	for y := range a.h {
		if y >= overlayTop && y < overlayBottom {
			continue
		}
		for x := range a.w {
			d := pixelDiff(a, y*a.w+x, b, y*b.w+x)
			sum += d
			n++
			if d > 40 {
				bad++
			}
		}
	}
	return sum / float64(n), float64(bad) / float64(n)
}

func qpdfCheck(t testing.TB, data []byte) {
	t.Helper()
	q := tool(t, "qpdf", "qpdf")
	p := writeTemp(t, "check.pdf", data)
	if out, err := exec.Command(q, "--check", p).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
}

func TestPDFBackground(t *testing.T) {
	src := sourcePDF(t, 0)
	for _, tc := range []struct {
		name string
		bg   func(t *testing.T) []byte
	}{
		{"renderer", func(*testing.T) []byte { return src }},
		{"object streams", func(t *testing.T) []byte {
			return qpdfRewrite(t, src, "--object-streams=generate", "--compress-streams=y")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bg := tc.bg(t)
			if tc.name == "object streams" && !bytes.Contains(bg, []byte("/ObjStm")) {
				t.Fatal("qpdf wrote no object streams")
			}
			c, err := compileBg(bg)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if !c.HasPDFBackground() {
				t.Error("HasPDFBackground is false")
			}
			out := render(t, c, nil, "")
			f := parsePDF(t, out)
			qpdfCheck(t, out)

			// Only one catalog, page tree, page and info: the source's are
			// not copied.
			for _, s := range []string{"/Type /Catalog", "/Type /Pages", "/Type /Page ", "(Vidya)"} {
				if n := bytes.Count(out, []byte(s)); n != 1 {
					t.Errorf("%q occurs %d times", s, n)
				}
			}
			if !bytes.Contains(f.objects[objPage], []byte("/XObject << /Im6 6 0 R >>")) {
				t.Errorf("the page's resources do not name the form: %s", f.objects[objPage])
			}

			mean, share := outsideOverlay(t, ppm50(t, src), ppm50(t, out))
			t.Logf("against the source page: mean difference %.3f, %.3f%% of pixels differ", mean, 100*share)
			if mean > 1 || share > 0.002 {
				t.Errorf("the background does not look like the source page: mean difference %.2f, %.2f%% of pixels differ", mean, 100*share)
			}

			pt := tool(t, "pdftotext", "poppler-utils")
			text := run(t, pt, writeTemp(t, "out.pdf", out), "-")
			for _, want := range []string{overlayText, certData(0)["holder.name"], certData(0)["roll"]} {
				if !strings.Contains(text, want) {
					t.Errorf("pdftotext does not give %q:\n%s", want, text)
				}
			}
		})
	}
}

// TestPDFBackgroundComparisonCanFail shows the pixel comparison above
// tells a page without the background from one with it.
func TestPDFBackgroundComparisonCanFail(t *testing.T) {
	src := sourcePDF(t, 0)
	c, err := Compile(bgTemplate(""), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	blank := render(t, c, nil, "")
	mean, share := outsideOverlay(t, ppm50(t, src), ppm50(t, blank))
	if mean <= 1 || share <= 0.002 {
		t.Errorf("a blank page passes for the background: mean difference %.2f, %.2f%% of pixels differ", mean, 100*share)
	}
	// The source turned upside down also fails.
	c, err = compileBg(qpdfRewrite(t, src, "--rotate=+180"))
	if err != nil {
		t.Fatal(err)
	}
	mean, share = outsideOverlay(t, ppm50(t, src), ppm50(t, render(t, c, nil, "")))
	if mean <= 1 || share <= 0.002 {
		t.Errorf("the page upside down passes for the background: mean difference %.2f, %.2f%% of pixels differ", mean, 100*share)
	}
}

// TestPDFBackgroundRotated draws a page with /Rotate as a viewer shows it.
func TestPDFBackgroundRotated(t *testing.T) {
	src := sourcePDF(t, 0)
	for _, rot := range []string{"+90", "+180", "+270"} {
		t.Run(rot, func(t *testing.T) {
			turned := qpdfRewrite(t, src, "--rotate="+rot)
			c, err := compileBg(turned)
			if err != nil {
				t.Fatal(err)
			}
			out := render(t, c, nil, "")
			qpdfCheck(t, out)
			want := ppm50(t, turned)
			got := ppm50(t, out)
			if rot == "+180" {
				mean, share := outsideOverlay(t, want, got)
				if mean > 1 || share > 0.002 {
					t.Errorf("mean difference %.2f, %.2f%% of pixels differ", mean, 100*share)
				}
				return
			}
			// A portrait page stretched over a landscape one: compare the
			// stretched viewer's rendering, coarsely.
			if want.w != got.h || want.h != got.w {
				t.Fatalf("the turned page is %d×%d, the certificate %d×%d", want.w, want.h, got.w, got.h)
			}
			var sum float64
			n := 0
			for y := 0; y < overlayTop; y++ {
				for x := range got.w {
					sx, sy := x*want.w/got.w, y*want.h/got.h
					sum += pixelDiff(got, y*got.w+x, want, sy*want.w+sx)
					n++
				}
			}
			if mean := sum / float64(n); mean > 12 {
				t.Errorf("the turned page is not drawn as a viewer shows it: mean difference %.2f", mean)
			}
		})
	}
}

// TestPDFBackgroundCopiesOnlyTheFirstPage makes a two-page source and
// checks that nothing of the second page reaches the certificate.
func TestPDFBackgroundCopiesOnlyTheFirstPage(t *testing.T) {
	q := tool(t, "qpdf", "qpdf")
	a, b := sourcePDF(t, 0), sourcePDF(t, 1)
	dir := t.TempDir()
	pa, pb, pm := filepath.Join(dir, "a.pdf"), filepath.Join(dir, "b.pdf"), filepath.Join(dir, "m.pdf")
	os.WriteFile(pa, a, 0o644)
	os.WriteFile(pb, b, 0o644)
	run(t, q, pa, "--pages", pa, pb, "--", pm)
	merged, err := os.ReadFile(pm)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := compileBg(a)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := compileBg(merged)
	if err != nil {
		t.Fatal(err)
	}
	one, two := render(t, c1, nil, ""), render(t, c2, nil, "")
	f1, f2 := parsePDF(t, one), parsePDF(t, two)
	if len(f1.objects) != len(f2.objects) {
		t.Errorf("the certificate on the one-page source has %d objects, on the two-page source %d", len(f1.objects), len(f2.objects))
	}
	// The background's objects: the form and everything one page of the
	// typical certificate uses (five images with their masks, five
	// fonts of five objects each, no more).
	nbg := len(c2.pdfBg.objs)
	if nbg > 1+10+5*5 {
		t.Errorf("%d objects copied for one page", nbg)
	}
	pt := tool(t, "pdftotext", "poppler-utils")
	text := run(t, pt, writeTemp(t, "two.pdf", two), "-")
	if !strings.Contains(text, certData(0)["roll"]) || strings.Contains(text, certData(1)["roll"]) {
		t.Errorf("the certificate does not show the first page alone:\n%s", text)
	}
	for _, s := range []string{"/Type /Page ", "/Type /Pages"} {
		if n := bytes.Count(two, []byte(s)); n != 1 {
			t.Errorf("%q occurs %d times", s, n)
		}
	}
	qpdfCheck(t, two)
}

// TestPDFBackgroundOnlyChangesThePrefix checks that an image background
// keeps its file as before while a PDF background adds objects in the
// prefix, the renderer's numbering continuing after them.
func TestPDFBackgroundOnlyChangesThePrefix(t *testing.T) {
	c, err := compileBg(sourcePDF(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	out := render(t, c, nil, "")
	f := parsePDF(t, out)
	// One font (Noto Sans regular, five objects) draws the overlay.
	if f.size != firstImage+len(c.pdfBg.objs)+5 {
		t.Errorf("the file has %d objects; want %d", f.size, firstImage+len(c.pdfBg.objs)+5)
	}
	if typical(t).HasPDFBackground() {
		t.Error("an image background counts as a PDF background")
	}
}

func TestPreviewLeavesPDFBackgroundWhite(t *testing.T) {
	c, err := compileBg(sourcePDF(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	m := preview(t, c, nil, "", 600)
	white := 0
	for i := range m.w * m.h {
		if m.pix[3*i] == 0xff && m.pix[3*i+1] == 0xff && m.pix[3*i+2] == 0xff {
			white++
		}
	}
	if share := float64(white) / float64(m.w*m.h); share < 0.97 {
		t.Errorf("only %.1f%% of the preview is white", 100*share)
	}
	if white == m.w*m.h {
		t.Error("the preview does not show the overlay text")
	}
}

// minimalPDF writes a PDF of the given objects (bodies, numbered from 1,
// the first the catalog) with a correct cross-reference table.

func TestPDFBackgroundRefusesBadFiles(t *testing.T) {
	src := sourcePDF(t, 0)
	cases := []struct {
		name, want string
		data       func(t *testing.T) []byte
	}{
		{"truncated", "damaged", func(*testing.T) []byte { return src[:len(src)/3] }},
		{"garbage", "damaged", func(*testing.T) []byte { return []byte("%PDF-1.7\n\x00\x01garbage ]]>> obj stream endobj") }},
		{"header only", "damaged", func(*testing.T) []byte { return []byte("%PDF-") }},
		{"encrypted", "encrypted", func(t *testing.T) []byte {
			return qpdfRewrite(t, src, "--encrypt", "u", "o", "256", "--")
		}},
		{"encrypted, no user password", "encrypted", func(t *testing.T) []byte {
			return qpdfRewrite(t, src, "--encrypt", "", "o", "256", "--")
		}},
		{"no pages", "no pages", func(*testing.T) []byte {
			return pdftest.File("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>")
		}},
		{"page tree loop", "damaged", func(*testing.T) []byte {
			return pdftest.File("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [2 0 R] /Count 1 >>")
		}},
		{"no size", "size", func(*testing.T) []byte {
			return pdftest.File("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 2 0 R >>")
		}},
		{"turned 45 degrees", "90", func(*testing.T) []byte {
			return pdftest.File("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Rotate 45 >>")
		}},
		{"too large", "larger", func(*testing.T) []byte {
			return append([]byte("%PDF-1.7\n"), make([]byte, maxAssetBytes)...)
		}},
		// A stream of a few hundred kilobytes that inflates past the
		// bound, as an object stream pdfcpu would inflate whole.
		{"deflate bomb", "uncompressed", func(t *testing.T) []byte {
			var z bytes.Buffer
			zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
			zeros := make([]byte, 1<<20)
			for range maxPDFInflated>>20 + 1 {
				zw.Write(zeros)
			}
			zw.Close()
			if z.Len() > 2<<20 {
				t.Fatalf("the bomb is %d bytes", z.Len())
			}
			return pdftest.File("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
				fmt.Sprintf("<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.Bytes()))
		}},
		{"LZW", "LZW", func(*testing.T) []byte {
			return pdftest.File("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R >>",
				"<< /Filter /LZWDecode /Length 3 >>\nstream\n\x80\x0b\x60\nendstream")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileBg(tc.data(t))
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v, want an Invalid error", err)
			}
			msg := errs.As(err).Fields["background"]
			if !strings.Contains(msg, tc.want) {
				t.Errorf("the message %q does not say %q", msg, tc.want)
			}
			t.Log(msg)
		})
	}

	// A PDF is for backgrounds only.
	tpl := bgTemplate("")
	tpl.Elements = append(tpl.Elements, Element{Type: ElemImage, Asset: "seal", X: 10, Y: 10, Width: 20})
	_, err := Compile(tpl, map[string][]byte{"seal": src}, nil, nil)
	if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.As(err).Fields["elements.1.asset"], "only be used as the background") {
		t.Errorf("a PDF as an image: %v", err)
	}
}

// A minimal valid one-page PDF: the smallest seed the fuzzer can grow.
var minimalPage = pdftest.File("<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R /Resources << /ExtGState << /G 5 0 R >> >> >>",
	"<< /Length 20 >>\nstream\n/G gs 0 0 50 50 re f\nendstream", "<< /Type /ExtGState /ca 0.5 >>")

func TestMinimalPDFBackground(t *testing.T) {
	c, err := compileBg(minimalPage)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.pdfBg.objs) != 2 {
		t.Errorf("%d objects copied; want the form and the ExtGState", len(c.pdfBg.objs))
	}
	qpdfCheck(t, render(t, c, nil, ""))
}

func FuzzPDFBackground(f *testing.F) {
	src := sourcePDF(f, 0)
	f.Add(minimalPage[5:])
	f.Add(src[5:])
	f.Add(src[5 : len(src)/2])
	f.Add(src[5 : len(src)-100])
	if _, err := exec.LookPath("qpdf"); err == nil {
		f.Add(qpdfRewrite(f, src, "--object-streams=generate", "--compress-streams=y")[5:])
	}
	f.Fuzz(func(t *testing.T, rest []byte) {
		data := append([]byte("%PDF-"), rest...)
		start := time.Now()
		c, err := compileBg(data)
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("compile took %v", d)
		}
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%v is not Invalid", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := c.Render(&buf, nil, ""); err != nil {
			t.Fatalf("render: %v", err)
		}
	})
}
