package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// typicalFields are the fields of the typical template in testdata.
var typicalFields = []string{"holder.name", "holder.name_hi", "course", "grade", "roll", "certificate.id", "date"}

// loadAssets reads the test images, named without their extension.
func loadAssets(tb testing.TB) map[string][]byte {
	tb.Helper()
	assets := map[string][]byte{}
	for _, n := range []string{"background.jpg", "logo-board.png", "logo-scheme.png", "signature.png"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			tb.Fatal(err)
		}
		assets[strings.TrimSuffix(n, filepath.Ext(n))] = b
	}
	return assets
}

// typical compiles the typical certificate of testdata/typical.json.
func typical(tb testing.TB) *Compiled {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "typical.json"))
	if err != nil {
		tb.Fatal(err)
	}
	tpl, err := ParseTemplate(raw)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := Compile(tpl, loadAssets(tb), nil, typicalFields)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Names for certificates: every combination is a different name, so that
// benchmarks do not run on cached shaping.
var (
	hindiFirst = []string{"क्षितिज", "प्रज्ञा", "हर्ष", "कृष्णमूर्ति", "ज़ैनब", "श्रद्धा", "पृथ्वीराज", "रुक्मिणी", "अर्जुन", "त्र्यंबक",
		"हृषिकेश", "विट्ठल", "ऋषि", "स्त्रीधन", "द्वारकानाथ", "अनुष्का", "सिद्धार्थ", "ग्रीष्मा", "उद्धव", "ज्योत्स्ना"}
	hindiLast = []string{"श्रीवास्तव", "द्विवेदी", "त्रिपाठी", "चट्टोपाध्याय", "मुखर्जी", "क़ुरैशी", "बंद्योपाध्याय", "शुक्ल", "पुरोहित", "ठाकुर",
		"मिश्र", "गर्ग", "अग्रवाल", "चतुर्वेदी", "कुलश्रेष्ठ", "सक्सेना", "भट्टाचार्य", "रस्तोगी", "वर्ष्णेय", "निगम"}
	latinFirst = []string{"Kshitij", "Pragya", "Harsh", "Krishnamurthy", "Zainab", "Shraddha", "Prithviraj", "Rukmini", "Arjun", "Tryambak",
		"Hrishikesh", "Vitthal", "Rishi", "Stridhan", "Dwarkanath", "Anushka", "Siddharth", "Grishma", "Uddhav", "Jyotsna"}
	latinLast = []string{"Shrivastava", "Dwivedi", "Tripathi", "Chattopadhyay", "Mukherjee", "Qureshi", "Bandyopadhyay", "Shukla", "Purohit", "Thakur",
		"Mishra", "Garg", "Agarwal", "Chaturvedi", "Kulshreshtha", "Saxena", "Bhattacharya", "Rastogi", "Varshney", "Nigam"}
)

// certData returns the data of the i-th certificate of a batch: a different
// holder each time, the same course.
func certData(i int) map[string]string {
	a, b := i%len(hindiFirst), (i/len(hindiFirst))%len(hindiLast)
	return map[string]string{
		"holder.name_hi": hindiFirst[a] + " " + hindiLast[b],
		"holder.name":    latinFirst[a] + " " + latinLast[b],
		"course":         "Senior Secondary (Class XII) Examination 2025 — Science stream with Mathematics",
		"grade":          fmt.Sprintf("Grade A%d · %d.%d%%", 1+i%2, 80+i%20, i%10),
		"roll":           fmt.Sprintf("Roll No. 2025-DL-%07d", 45127+i),
		"certificate.id": fmt.Sprintf("Certificate %04X-%04X", i*7919%65536, i*104729%65536),
		"date":           fmt.Sprintf("Issued %d May 2025", 1+i%28),
	}
}

// payload400 is a QR payload of about 400 bytes, like a signed compact
// credential.
func payload400(i int) string {
	p := fmt.Sprintf("VC1:%08d:", i) + strings.Repeat("eyJpc3MiOiJkaWQ6d2ViOnZpZHlhLmV4YW1wbGUiLCJzdWIiOiIyMDI1In0", 7)
	return p[:400]
}

// pdfFile is a parsed PDF: its objects by number and its trailer.
type pdfFile struct {
	data    []byte
	objects map[int][]byte // the text between "N 0 obj" and "endobj"
	trailer string
	size    int
}

var (
	startxrefRE = regexp.MustCompile(`startxref\n(\d+)\n%%EOF\n$`)
	objRE       = regexp.MustCompile(`^(\d+) 0 obj\n`)
	lengthRE    = regexp.MustCompile(`^<< /Length (\d+)`)
)

// parsePDF checks the file's structure the way a strict reader would: the
// header, startxref pointing at the xref table, every xref offset pointing
// at its object, every stream's /Length matching, the trailer's /Size and
// /Root.
func parsePDF(t testing.TB, data []byte) *pdfFile {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("%PDF-1.7\n")) {
		t.Fatalf("no PDF 1.7 header: %q", data[:min(len(data), 16)])
	}
	m := startxrefRE.FindSubmatch(data)
	if m == nil {
		t.Fatalf("the file does not end in startxref/%%%%EOF: %q", data[max(0, len(data)-40):])
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref >= len(data) || !bytes.HasPrefix(data[xref:], []byte("xref\n0 ")) {
		t.Fatalf("startxref %d does not point at the xref table", xref)
	}
	rest := data[xref+len("xref\n0 "):]
	nl := bytes.IndexByte(rest, '\n')
	size, err := strconv.Atoi(string(rest[:nl]))
	if err != nil {
		t.Fatalf("xref subsection header: %v", err)
	}
	rest = rest[nl+1:]
	f := &pdfFile{data: data, objects: map[int][]byte{}, size: size}
	for i := range size {
		if len(rest) < 20 {
			t.Fatalf("xref table ends at entry %d of %d", i, size)
		}
		entry := string(rest[:20])
		rest = rest[20:]
		if entry[17] == 'f' {
			if i != 0 {
				t.Errorf("object %d is free", i)
			}
			continue
		}
		if entry[17] != 'n' || entry[18:] != " \n" {
			t.Fatalf("xref entry %d is malformed: %q", i, entry)
		}
		off, _ := strconv.Atoi(entry[:10])
		om := objRE.FindSubmatch(data[off:])
		if om == nil || string(om[1]) != strconv.Itoa(i) {
			t.Fatalf("xref entry %d points at %q, not at its object", i, data[off:min(len(data), off+16)])
		}
		body := data[off+len(om[0]):]
		if lm := lengthRE.FindSubmatch(body); lm != nil {
			n, _ := strconv.Atoi(string(lm[1]))
			s := bytes.Index(body, []byte(">>\nstream\n"))
			if s < 0 || s+10+n+len("\nendstream") > len(body) || !bytes.HasPrefix(body[s+10+n:], []byte("\nendstream\nendobj\n")) {
				t.Fatalf("object %d: /Length %d does not end at endstream", i, n)
			}
		}
		end := bytes.Index(body, []byte("\nendobj\n"))
		if end < 0 {
			t.Fatalf("object %d has no endobj", i)
		}
		f.objects[i] = body[:end]
	}
	if !bytes.HasPrefix(rest, []byte("trailer\n")) {
		t.Fatalf("no trailer after the xref table")
	}
	f.trailer = string(rest[:bytes.Index(rest, []byte("startxref"))])
	if !strings.Contains(f.trailer, fmt.Sprintf("/Size %d ", size)) {
		t.Errorf("trailer %q does not give /Size %d", f.trailer, size)
	}
	rm := regexp.MustCompile(`/Root (\d+) 0 R`).FindStringSubmatch(f.trailer)
	if rm == nil {
		t.Fatalf("trailer %q has no /Root", f.trailer)
	}
	root, _ := strconv.Atoi(rm[1])
	if !bytes.Contains(f.objects[root], []byte("/Type /Catalog")) {
		t.Errorf("/Root %d is not the catalog: %q", root, f.objects[root])
	}
	return f
}

// stream returns object n's stream data, inflated if it is Flate-encoded.
func (f *pdfFile) stream(t testing.TB, n int) []byte {
	t.Helper()
	body := f.objects[n]
	s := bytes.Index(body, []byte(">>\nstream\n"))
	if s < 0 {
		t.Fatalf("object %d is not a stream", n)
	}
	data := body[s+10 : len(body)-len("\nendstream")]
	if !bytes.Contains(body[:s], []byte("/FlateDecode")) {
		return data
	}
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("object %d: %v", n, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("object %d: %v", n, err)
	}
	return out
}

// tool returns the path of an external program, or skips the test.
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed; install %s (apt-get install -y %s) to run this check", name, pkg, pkg)
	}
	return p
}

// writeTemp writes a PDF into the test's temporary directory.
func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs a program and returns its standard output.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// render renders one certificate or fails the test.
func render(t testing.TB, c *Compiled, data map[string]string, payload string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(&buf, data, payload); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.Bytes()
}
