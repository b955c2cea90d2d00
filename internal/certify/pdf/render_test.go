package pdf

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

var updateRef = flag.Bool("update", false, "write testdata/reference.png from the current rendering")

func TestRenderIsWellFormed(t *testing.T) {
	c := typical(t)
	data := render(t, c, certData(0), payload400(0))
	f := parsePDF(t, data)
	if !regexp.MustCompile(`/Producer \(Vidya\)`).Match(f.objects[objInfo]) {
		t.Errorf("info dictionary %q has no Producer", f.objects[objInfo])
	}
	if !bytes.Contains(f.objects[objPage], []byte("/MediaBox [0 0 841.89 595.276]")) {
		t.Errorf("page %q is not A4 landscape", f.objects[objPage])
	}
	// Each font used is complete: Type 0, CID font, descriptor, program,
	// ToUnicode.
	fonts := regexp.MustCompile(`/F\d+ (\d+) 0 R`).FindAllSubmatch(f.objects[objPage], -1)
	if len(fonts) != 4 {
		t.Errorf("the page uses %d fonts, want 4 (Noto Sans and Noto Sans Devanagari, regular and bold)", len(fonts))
	}
	for _, m := range fonts {
		n, _ := strconv.Atoi(string(m[1]))
		t0 := string(f.objects[n])
		if !strings.Contains(t0, "/Subtype /Type0") || !strings.Contains(t0, "/Encoding /Identity-H") {
			t.Errorf("font %d: %q", n, t0)
		}
		cid := string(f.objects[n+1])
		for _, want := range []string{"/Subtype /CIDFontType2", "/CIDToGIDMap /Identity", "/W [", "/Ordering (Identity)"} {
			if !strings.Contains(cid, want) {
				t.Errorf("CID font %d lacks %s: %q", n+1, want, cid)
			}
		}
		if !regexp.MustCompile(`/BaseFont /[A-Z]{6}\+Noto`).MatchString(cid) {
			t.Errorf("CID font %d has no subset tag: %q", n+1, cid)
		}
		desc := string(f.objects[n+2])
		for _, want := range []string{"/Type /FontDescriptor", "/FontBBox [", "/Ascent ", "/Descent -", "/CapHeight ", "/StemV ", "/ItalicAngle 0", "/FontFile2 "} {
			if !strings.Contains(desc, want) {
				t.Errorf("descriptor %d lacks %s: %q", n+2, want, desc)
			}
		}
		prog := f.stream(t, n+3)
		if !strings.Contains(string(f.objects[n+3]), "/Length1 "+strconv.Itoa(len(prog))+" ") {
			t.Errorf("font program %d: /Length1 is not its length %d", n+3, len(prog))
		}
		checkSubsetProgram(t, prog)
		if cm := string(f.stream(t, n+4)); !strings.Contains(cm, "beginbfchar") || !strings.HasSuffix(cm, "end\nend\n") {
			t.Errorf("ToUnicode %d: %q", n+4, cm)
		}
	}

	if q, err := execLook("qpdf"); err == nil {
		p := writeTemp(t, "cert.pdf", data)
		out := run(t, q, "--check", p)
		if !strings.Contains(out, "No syntax or stream encoding errors") {
			t.Errorf("qpdf --check: %s", out)
		}
	} else {
		t.Log("qpdf is not installed; install qpdf to check the file with it")
	}
	if pi, err := execLook("pdfinfo"); err == nil {
		p := writeTemp(t, "cert.pdf", data)
		out := run(t, pi, p)
		for _, want := range []string{"Producer:        Vidya", "Pages:           1", "Page size:       841.89 x 595.276 pts (A4)", "PDF version:     1.7"} {
			if !strings.Contains(out, want) {
				t.Errorf("pdfinfo does not say %q:\n%s", want, out)
			}
		}
	} else {
		t.Log("pdfinfo is not installed; install poppler-utils to check the file with it")
	}
}

func execLook(name string) (string, error) { return exec.LookPath(name) }

// checkSubsetProgram checks a subset TrueType program: its tables are
// where the directory says, their checksums are right, the whole font sums
// to 0xB1B0AFBA, and glyf holds outlines only where loca says.
func checkSubsetProgram(t testing.TB, prog []byte) {
	t.Helper()
	tables, err := readTablesLoose(prog)
	if err != nil {
		t.Fatalf("subset: %v", err)
	}
	for tag, tb := range tables {
		padded := append(append([]byte(nil), tb.data...), make([]byte, (4-len(tb.data)%4)%4)...)
		sum := checksum(padded)
		if tag == "head" {
			sum -= uint32(padded[8])<<24 | uint32(padded[9])<<16 | uint32(padded[10])<<8 | uint32(padded[11])
		}
		if sum != tb.sum {
			t.Errorf("subset table %s: checksum %08x, directory says %08x", tag, sum, tb.sum)
		}
	}
	if s := checksum(append(prog, make([]byte, (4-len(prog)%4)%4)...)); s != 0xB1B0AFBA {
		t.Errorf("whole-font checksum %08x, want B1B0AFBA", s)
	}
	for _, want := range []string{"glyf", "head", "hhea", "hmtx", "loca", "maxp"} {
		if _, ok := tables[want]; !ok {
			t.Errorf("subset lacks %s", want)
		}
	}
	for _, dropped := range []string{"GSUB", "GPOS", "cmap", "name", "post", "fpgm", "prep", "cvt "} {
		if _, ok := tables[dropped]; ok {
			t.Errorf("subset keeps %s", dropped)
		}
	}
}

type looseTable struct {
	sum  uint32
	data []byte
}

func readTablesLoose(b []byte) (map[string]looseTable, error) {
	if len(b) < 12 {
		return nil, errors.New("too short")
	}
	n := int(b[4])<<8 | int(b[5])
	out := map[string]looseTable{}
	for i := range n {
		r := b[12+16*i:]
		u32 := func(p []byte) uint32 { return uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3]) }
		off, l := int(u32(r[8:])), int(u32(r[12:]))
		if off%4 != 0 || off+l > len(b) {
			return nil, fmt.Errorf("table %q at %d+%d is out of place", r[:4], off, l)
		}
		out[string(r[:4])] = looseTable{sum: u32(r[4:]), data: b[off : off+l]}
	}
	return out, nil
}

func TestTextExtractsAsWritten(t *testing.T) {
	pt := tool(t, "pdftotext", "poppler-utils")
	c := typical(t)
	for i := range 5 {
		d := certData(i * 37)
		p := writeTemp(t, "cert.pdf", render(t, c, d, payload400(i)))
		out := run(t, pt, p, "-")
		for _, field := range []string{"holder.name_hi", "holder.name", "grade", "roll", "date"} {
			if !strings.Contains(out, d[field]+"\n") {
				t.Errorf("pdftotext does not give %s %q:\n%s", field, d[field], out)
			}
		}
		for _, static := range []string{"माध्यमिक शिक्षा बोर्ड", "Board of Secondary Education", "प्रमाणपत्र · Certificate of Completion"} {
			if !strings.Contains(out, static) {
				t.Errorf("pdftotext does not give %q:\n%s", static, out)
			}
		}
	}
}

// TestToUnicodeCoversEveryCharacter reads the glyphs a page draws through
// the fonts' ToUnicode maps alone (as readers that ignore ActualText do):
// an English name comes back exactly, and for Hindi every character comes
// back, none lost and none invented, though the glyph order is visual.
func TestToUnicodeCoversEveryCharacter(t *testing.T) {
	tpl := Template{Page: Page{Size: "A5", Orientation: "landscape"}, Elements: []Element{
		{Type: ElemText, Field: "hi", X: 10, Y: 10, Width: 190, Size: 24},
		{Type: ElemText, Field: "en", X: 10, Y: 50, Width: 190, Size: 24},
	}}
	c, err := Compile(tpl, nil, nil, []string{"hi", "en"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		d := certData(i)
		f := parsePDF(t, render(t, c, map[string]string{"hi": d["holder.name_hi"], "en": d["holder.name"]}, ""))
		texts := textThroughToUnicode(t, f)
		if len(texts) != 2 {
			t.Fatalf("%d text showings, want 2", len(texts))
		}
		hi, en := texts[0], texts[1]
		if en != d["holder.name"] {
			t.Errorf("ToUnicode gives %q for %q", en, d["holder.name"])
		}
		if got, want := sortedRunes(hi), sortedRunes(d["holder.name_hi"]); got != want {
			t.Errorf("ToUnicode gives the characters %q for %q (sorted: %q, want %q)", hi, d["holder.name_hi"], got, want)
		}
	}
}

func sortedRunes(s string) string {
	r := []rune(s)
	slices.Sort(r)
	return string(r)
}

// textThroughToUnicode maps each line's glyph codes through its font's
// ToUnicode CMap.
func textThroughToUnicode(t *testing.T, f *pdfFile) []string {
	fontObj := map[string]int{}
	for _, m := range regexp.MustCompile(`/(F\d+) (\d+) 0 R`).FindAllSubmatch(f.objects[objPage], -1) {
		n, _ := strconv.Atoi(string(m[2]))
		fontObj[string(m[1])] = n
	}
	cmaps := map[string]map[string]string{}
	for name, n := range fontObj {
		cm := map[string]string{}
		for _, m := range regexp.MustCompile(`<([0-9A-F]{4})> <([0-9A-F]+)>`).FindAllStringSubmatch(string(f.stream(t, n+4)), -1) {
			var rs []uint16
			for i := 0; i < len(m[2]); i += 4 {
				v, _ := strconv.ParseUint(m[2][i:i+4], 16, 16)
				rs = append(rs, uint16(v))
			}
			cm[m[1]] = string(utf16Decode(rs))
		}
		cmaps[name] = cm
	}
	var out []string
	content := string(f.stream(t, objContent))
	for _, span := range strings.Split(content, "BDC\n")[1:] {
		span = span[:strings.Index(span, "EMC")]
		var b strings.Builder
		font := ""
		for _, tok := range regexp.MustCompile(`/(F\d+) [\d.]+ Tf|<([0-9A-F]+)>`).FindAllStringSubmatch(span, -1) {
			if tok[1] != "" {
				font = tok[1]
				continue
			}
			for i := 0; i < len(tok[2]); i += 4 {
				b.WriteString(cmaps[font][tok[2][i:i+4]])
			}
		}
		out = append(out, b.String())
	}
	return out
}

func utf16Decode(u []uint16) []rune {
	var out []rune
	for i := 0; i < len(u); i++ {
		if u[i] >= 0xd800 && u[i] < 0xdc00 && i+1 < len(u) {
			out = append(out, (rune(u[i])-0xd800)<<10+(rune(u[i+1])-0xdc00)+0x10000)
			i++
			continue
		}
		out = append(out, rune(u[i]))
	}
	return out
}

// referenceTemplate is a certificate with a large Hindi name, for the
// reference image.
func referenceTemplate() Template {
	return Template{Page: Page{Size: "A5", Orientation: "landscape"}, Elements: []Element{
		{Type: ElemRect, X: 5, Y: 5, Width: 200, Height: 138, StrokeWidth: 2, Colour: "#1A3C6E"},
		{Type: ElemText, Text: "प्रमाणपत्र", X: 10, Y: 10, Width: 190, Size: 20, Weight: "bold", Align: "center", Colour: "#1A3C6E"},
		{Type: ElemText, Field: "name_hi", X: 10, Y: 30, Width: 190, Size: 44, Weight: "bold", Align: "center"},
		{Type: ElemText, Field: "more_hi", X: 10, Y: 58, Width: 190, Size: 30, Align: "center"},
		{Type: ElemText, Field: "name", X: 10, Y: 80, Width: 190, Size: 22, Align: "center"},
		{Type: ElemText, Field: "course", X: 20, Y: 95, Width: 170, Size: 14, Align: "center", Wrap: true, MaxLines: 3},
		{Type: ElemLine, X: 60, Y: 130, X2: 150, Y2: 130, StrokeWidth: 0.8},
	}}
}

var referenceData = map[string]string{
	"name_hi": "क्षितिज श्रीवास्तव",
	"more_hi": "प्रज्ञा द्विवेदी, कृष्णमूर्ति, हर्ष, ज़ैनब",
	"name":    "Kshitij Shrivastava",
	"course":  "राष्ट्रीय पात्रता परीक्षा (स्नातकोत्तर) 2025 — हृषिकेश केंद्र, विट्ठल भवन",
}

// TestReferenceImage rasterises a certificate with pdftoppm and compares
// it with testdata/reference.png, which was checked by eye to show
// correctly formed Devanagari. After a deliberate change, look at the new
// rendering and record it:
//
//	go test ./internal/certify/pdf -run TestReferenceImage -update
//
// Rendering with shaping turned off (glyphs from the cmap alone, hmtx
// advances) was checked once by hand to fail this test: a mean absolute
// difference of 10.3 with 5.1% of pixels differing.
func TestReferenceImage(t *testing.T) {
	ppm := tool(t, "pdftoppm", "poppler-utils")
	c, err := Compile(referenceTemplate(), nil, nil, []string{"name_hi", "more_hi", "name", "course"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "ref.pdf")
	if err := os.WriteFile(p, render(t, c, referenceData, ""), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ppm, "-r", "72", "-gray", "-png", "-singlefile", p, filepath.Join(dir, "ref"))
	got := readPNG(t, filepath.Join(dir, "ref.png"))
	ref := filepath.Join("testdata", "reference.png")
	if *updateRef {
		raw, _ := os.ReadFile(filepath.Join(dir, "ref.png"))
		if err := os.WriteFile(ref, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s; look at it before committing", ref)
	}
	want := readPNG(t, ref)
	mean, share := compareGray(got, want)
	t.Logf("mean absolute difference %.3f, %.3f%% of pixels differ", mean, share*100)
	// Anti-aliasing may differ between poppler versions; misshaped text
	// differs far more.
	if mean > 1.5 || share > 0.01 {
		t.Errorf("the rendering differs from the reference: mean absolute difference %.3f (max 1.5), %.2f%% of pixels differ (max 1%%)", mean, share*100)
	}
}

func readPNG(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g := image.NewGray(m.Bounds())
	for y := m.Bounds().Min.Y; y < m.Bounds().Max.Y; y++ {
		for x := m.Bounds().Min.X; x < m.Bounds().Max.X; x++ {
			g.Set(x, y, m.At(x, y))
		}
	}
	return g
}

// compareGray returns the mean absolute difference of two grey images and
// the share of pixels that differ by more than a quarter of the range.
func compareGray(a, b *image.Gray) (mean, share float64) {
	if a.Bounds() != b.Bounds() {
		return 255, 1
	}
	var sum, differ int
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
		if d > 64 {
			differ++
		}
	}
	n := float64(len(a.Pix))
	return float64(sum) / n, float64(differ) / n
}

func TestQRCodeDecodesToThePayload(t *testing.T) {
	zbar := tool(t, "zbarimg", "zbar-tools")
	ppm := tool(t, "pdftoppm", "poppler-utils")
	payloads := []struct {
		level, payload string
	}{
		{"", payload400(7)},
		{"L", "https://vidya.example/verify/7Q4M-XK2P-9RTA"},
		{"Q", "0123456789012345678901234567890"},
		{"H", "HELLO VIDYA 2025 $%*+-./:"},
		{"M", "{\"a\":1,\"b\":\"x y\"}"},
	}
	for _, pc := range payloads {
		t.Run(pc.level+"/"+pc.payload[:min(len(pc.payload), 20)], func(t *testing.T) {
			tpl := Template{Page: Page{Size: "A5"}, Elements: []Element{
				{Type: ElemRect, X: 0, Y: 0, Width: 148, Height: 210, Fill: "#E8E0C8"},
				{Type: ElemQR, X: 30, Y: 40, Size: 80, Level: pc.level},
			}}
			c, err := Compile(tpl, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "qr.pdf")
			os.WriteFile(p, render(t, c, nil, pc.payload), 0o644)
			run(t, ppm, "-r", "100", "-gray", "-png", "-singlefile", p, filepath.Join(dir, "qr"))
			out := run(t, zbar, "-q", "--raw", filepath.Join(dir, "qr.png"))
			if got := strings.TrimSuffix(out, "\n"); got != pc.payload {
				t.Errorf("zbarimg reads %q, want %q", got, pc.payload)
			}
		})
	}
}

// TestQRPathIsOneFill checks the QR code is vector rectangles, one per
// horizontal run, filled once.
func TestQRPathIsOneFill(t *testing.T) {
	tpl := Template{Page: Page{Size: "A5"}, Elements: []Element{{Type: ElemQR, X: 30, Y: 40, Size: 80}}}
	c, err := Compile(tpl, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := parsePDF(t, render(t, c, nil, "https://vidya.example/v/1"))
	content := string(f.stream(t, objContent))
	if strings.Contains(content, " Do") || strings.Contains(string(f.data), "/Subtype /Image") {
		t.Error("the QR code is drawn as an image")
	}
	if n := strings.Count(content, " re f\n"); n != 1 {
		t.Errorf("%d light backdrops, want 1", n)
	}
	if n := strings.Count(content, "\nf\n"); n != 1 {
		t.Errorf("%d fills of modules, want 1", n)
	}
	// No two rectangles of a row touch: runs are merged.
	rows := map[string][][2]int{}
	for _, m := range regexp.MustCompile(`(\d+) (\d+) (\d+) 1 re\n`).FindAllStringSubmatch(content, -1) {
		x, _ := strconv.Atoi(m[1])
		w, _ := strconv.Atoi(m[3])
		rows[m[2]] = append(rows[m[2]], [2]int{x, x + w})
	}
	for y, runs := range rows {
		for i := 1; i < len(runs); i++ {
			if runs[i][0] <= runs[i-1][1] {
				t.Errorf("row %s: runs %v and %v touch", y, runs[i-1], runs[i])
			}
		}
	}
}

func TestSameCertificateSameBytes(t *testing.T) {
	c := typical(t)
	a := render(t, c, certData(3), payload400(3))
	b := render(t, c, certData(3), payload400(3))
	if !bytes.Equal(a, b) {
		t.Error("two renders of the same certificate differ")
	}
	other := render(t, c, certData(4), payload400(4))
	id := regexp.MustCompile(`/ID \[<([0-9A-F]{32})>`)
	if string(id.Find(a)) == string(id.Find(other)) {
		t.Error("two certificates have the same /ID")
	}
}

func TestRenderPartsMakeTheSameFile(t *testing.T) {
	c := typical(t)
	var heads [][]byte
	for i := range 3 {
		want := render(t, c, certData(i), payload400(i))
		p, err := c.RenderParts([]byte("kept"), certData(i), payload400(i))
		if err != nil {
			t.Fatal(err)
		}
		if string(p.Tail[:4]) != "kept" {
			t.Fatalf("RenderParts did not append to the slice it was given: %q", p.Tail[:4])
		}
		got := append(slices.Clone(p.Head), p.Tail[4:]...)
		if !bytes.Equal(got, want) {
			t.Fatalf("certificate %d: head and tail (%d + %d bytes) differ from Render's %d bytes", i, len(p.Head), len(p.Tail)-4, len(want))
		}
		if p.SHA256 != sha256.Sum256(want) {
			t.Fatalf("certificate %d: SHA256 is not the file's", i)
		}
		if len(p.Head) < 100_000 {
			t.Errorf("head is %d bytes: the template's images should be in it", len(p.Head))
		}
		if cap(p.Head) != len(p.Head) {
			t.Error("an append to Head could write into the template's prefix")
		}
		heads = append(heads, p.Head)
	}
	if &heads[0][0] != &heads[2][0] {
		t.Error("each render copied the head instead of sharing it")
	}
	if _, err := c.RenderParts(nil, map[string]string{}, "x"); err == nil {
		t.Error("RenderParts accepted data without the template's fields")
	}
}

func TestConcurrentRendersAreIndependent(t *testing.T) {
	c := typical(t)
	want := make([][]byte, 8)
	for i := range want {
		want[i] = render(t, c, certData(i), payload400(i))
	}
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 20 {
				i := (g + k) % len(want)
				var buf bytes.Buffer
				if err := c.Render(&buf, certData(i), payload400(i)); err != nil {
					errc <- err
					return
				}
				if !bytes.Equal(buf.Bytes(), want[i]) {
					errc <- fmt.Errorf("certificate %d differs when rendered concurrently", i)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func TestAuthorityFontRendersItsScript(t *testing.T) {
	tamil, err := os.ReadFile(filepath.Join("testdata", "NotoSansTamil-Regular.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	tpl := Template{Page: Page{Size: "A5", Orientation: "landscape"}, Elements: []Element{
		{Type: ElemText, Field: "name", Font: "Tamil", X: 10, Y: 10, Width: 190, Size: 28, Align: "center"},
		{Type: ElemText, Field: "name_hi", Font: "Tamil", X: 10, Y: 40, Width: 190, Size: 28, Align: "center"},
	}}
	c, err := Compile(tpl, nil, map[string][]byte{"Tamil": tamil}, []string{"name", "name_hi"})
	if err != nil {
		t.Fatal(err)
	}
	d := map[string]string{"name": "கார்த்திகேயன் Karthikeyan", "name_hi": "कार्तिकेयन"}
	data := render(t, c, d, "")
	f := parsePDF(t, data)
	if !bytes.Contains(f.data, []byte("+NotoSansTamil-Regular")) {
		t.Error("the Tamil font is not embedded")
	}
	if pt, err := execLook("pdftotext"); err == nil {
		out := run(t, pt, writeTemp(t, "ta.pdf", data), "-")
		for _, v := range d {
			if !strings.Contains(out, v) {
				t.Errorf("pdftotext does not give %q:\n%s", v, out)
			}
		}
	}

	t.Run("bold face missing", func(t *testing.T) {
		tpl := tpl
		tpl.Elements = []Element{{Type: ElemText, Text: "x", Font: "Tamil", Weight: "bold", X: 10, Y: 10, Width: 50, Size: 12}}
		_, err := Compile(tpl, nil, map[string][]byte{"Tamil": tamil}, nil)
		wantField(t, err, "elements.0.weight")
	})
	t.Run("bold face given", func(t *testing.T) {
		tpl := tpl
		tpl.Elements = []Element{{Type: ElemText, Text: "தமிழ்", Font: "Tamil", Weight: "bold", X: 10, Y: 10, Width: 50, Size: 12}}
		if _, err := Compile(tpl, nil, map[string][]byte{"Tamil" + BoldSuffix: tamil}, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// wantField checks err is a validation error naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one for %s", field)
	}
	e := errs.As(err)
	if e == nil || e.Kind != errs.Invalid {
		t.Fatalf("error %v is not Invalid", err)
	}
	if _, ok := e.Fields[field]; !ok {
		t.Fatalf("error %v does not name %s", err, field)
	}
}

func TestRenderRefusesBadData(t *testing.T) {
	c := typical(t)
	base := certData(1)
	with := func(k, v string) map[string]string {
		d := map[string]string{}
		for f, x := range base {
			d[f] = x
		}
		if v == "\x00delete" {
			delete(d, k)
		} else {
			d[k] = v
		}
		return d
	}
	cases := []struct {
		name    string
		data    map[string]string
		payload string
		want    string
	}{
		{"missing value", with("grade", "\x00delete"), "p", `no value for the field "grade"`},
		{"no QR payload", base, "", "no QR payload"},
		{"QR payload too long", base, strings.Repeat("x", 3000), "too long for a QR code"},
		{"too long value", with("roll", strings.Repeat("9", MaxValueLen+1)), "p", "longer than 2000 characters"},
		{"character no font has", with("holder.name", "கார்த்திகேயன்"), "p", "fonts cannot show"},
		{"right-to-left text", with("holder.name", "محمد فیض"), "p", "right-to-left"},
		{"name too long to shrink into its box", with("holder.name", strings.Repeat("Bandyopadhyay ", 20)), "p", "does not fit"},
		{"course too long for two lines", with("course", strings.Repeat("Mathematics ", 40)), "p", "does not fit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := c.Render(&buf, tc.data, tc.payload)
			if err == nil {
				t.Fatal("no error")
			}
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q (kind %s), want Invalid with %q", err, errs.KindOf(err), tc.want)
			}
		})
	}
	// The state a failed render leaves behind does not leak into the next.
	a := render(t, c, certData(2), payload400(2))
	b := render(t, typical(t), certData(2), payload400(2))
	if !bytes.Equal(a, b) {
		t.Error("a render after failed ones differs from a fresh one")
	}
}

func TestTextLayout(t *testing.T) {
	page := Page{Size: "A4", Orientation: "landscape"}
	compile := func(e Element) *Compiled {
		t.Helper()
		e.Type = ElemText
		e.Field = "v"
		c, err := Compile(Template{Page: page, Elements: []Element{e}}, nil, nil, []string{"v"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	layout := func(c *Compiled, value string) ([]line, float64, error) {
		st := newRenderState(c)
		b := c.items[0].text
		sh := c.shapeCached(st.sh, b.fam, value, b.lang, &st.scratch)
		return b.fit(sh, nil)
	}

	t.Run("a name too wide shrinks to fit on one line", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 60, Size: 30, Shrink: true, MinSize: 8})
		lines, size, err := layout(c, "कुलश्रेष्ठ चट्टोपाध्याय")
		if err != nil {
			t.Fatal(err)
		}
		w := lines[0].width * size
		if size >= 30 || w > 60*mmToPt+0.01 || w < 0.9*60*mmToPt {
			t.Errorf("size %.2f pt gives a line %.1f pt wide in a %.1f pt box", size, w, 60*mmToPt)
		}
	})
	t.Run("a short name keeps its size", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 200, Size: 30, Shrink: true})
		_, size, err := layout(c, "हर्ष")
		if err != nil || size != 30 {
			t.Errorf("size %v, error %v; want 30 pt", size, err)
		}
	})
	t.Run("wrapped text breaks at spaces within its width", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 80, Size: 14, Wrap: true, MaxLines: 4})
		text := "Senior Secondary (Class XII) Examination 2025 — Science stream with Mathematics"
		lines, size, err := layout(c, text)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) < 2 || len(lines) > 4 {
			t.Fatalf("%d lines", len(lines))
		}
		var words []string
		for _, l := range lines {
			if l.width*size > 80*mmToPt+0.01 {
				t.Errorf("line %q is %.1f pt wide, more than %.1f", l.text, l.width*size, 80*mmToPt)
			}
			words = append(words, strings.Fields(l.text)...)
		}
		if strings.Join(words, " ") != text {
			t.Errorf("lines %q do not give back the text", words)
		}
	})
	t.Run("newlines start new lines when wrapping", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 200, Size: 14, Wrap: true})
		lines, _, err := layout(c, "पहली पंक्ति\nSecond line")
		if err != nil || len(lines) != 2 || lines[0].text != "पहली पंक्ति" || lines[1].text != "Second line" {
			t.Errorf("lines %+v, error %v", lines, err)
		}
	})
	t.Run("a word wider than the box is broken between clusters", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 20, Size: 14, Wrap: true, MaxLines: 5})
		lines, _, err := layout(c, "क्षितिजश्रीवास्तवकृष्णमूर्ति")
		if err != nil || len(lines) < 2 {
			t.Fatalf("lines %+v, error %v", lines, err)
		}
		var joined string
		for _, l := range lines {
			joined += l.text
		}
		if joined != "क्षितिजश्रीवास्तवकृष्णमूर्ति" {
			t.Errorf("lines give %q", joined)
		}
	})
	t.Run("too many lines even at the minimum size is an error", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 40, Size: 14, Wrap: true, MaxLines: 2, Shrink: true, MinSize: 10})
		_, _, err := layout(c, strings.Repeat("शब्द ", 30))
		if e := errs.As(err); e == nil || e.Code != "text-does-not-fit" {
			t.Errorf("error %v, want text-does-not-fit", err)
		}
	})
	t.Run("text without shrink or wrap may overflow", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 20, Size: 14})
		if _, size, err := layout(c, "A rather long line of text"); err != nil || size != 14 {
			t.Errorf("size %v, error %v", size, err)
		}
	})
	t.Run("the box's height limits the lines", func(t *testing.T) {
		c := compile(Element{X: 10, Y: 10, Width: 40, Height: 12, Size: 14, Wrap: true})
		_, _, err := layout(c, strings.Repeat("word ", 30))
		if err == nil {
			t.Error("text taller than its box was accepted")
		}
	})
}

func TestSample(t *testing.T) {
	raw, _ := os.ReadFile(filepath.Join("testdata", "typical.json"))
	tpl, err := ParseTemplate(raw)
	if err != nil {
		t.Fatal(err)
	}
	s := Sample(tpl)
	want := map[string]string{
		"holder.name_hi": "प्रिया शर्मा", "holder.name": "Priya Sharma", "date": "15 August 2025",
		"certificate.id": "2025-DL-0045127", "grade": "A1", "roll": "2025-DL-0045127",
		"course": "Senior Secondary Examination 2025",
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("sample %s = %q, want %q", k, s[k], v)
		}
	}
	if len(s) != len(typicalFields) {
		t.Errorf("sample has %d fields, want %d: %v", len(s), len(typicalFields), s)
	}
	c := typical(t)
	if err := c.Render(&bytes.Buffer{}, s, "https://vidya.example/v/SAMPLE"); err != nil {
		t.Errorf("the sample does not render: %v", err)
	}
	if s := Sample(Template{Elements: []Element{{Type: ElemText, Field: "father.name", Lang: "mr"}, {Type: ElemText, Field: "xyz"}}}); s["father.name"] != "राजेश कुमार शर्मा" || s["xyz"] != "Sample xyz" {
		t.Errorf("sample %v", s)
	}
}

// TestMemoryIsFlat renders 20,000 certificates and checks the heap does
// not grow with them.
func TestMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 20,000 certificates")
	}
	c := typical(t)
	var buf bytes.Buffer
	renderN := func(from, n int) {
		for i := from; i < from+n; i++ {
			buf.Reset()
			if err := c.Render(&buf, certData(i), payload400(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	renderN(0, 1000) // warm the pools and caches
	before := heap()
	renderN(1000, 20000)
	after := heap()
	t.Logf("heap in use: %.1f MB before, %.1f MB after 20,000 renders", float64(before)/1e6, float64(after)/1e6)
	if after > before+8<<20 {
		t.Errorf("the heap grew by %.1f MB over 20,000 renders", float64(after-before)/1e6)
	}
}
