package chromium

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Names like the Go renderer's benchmark data: every combination differs.
var (
	hindiFirst = []string{"क्षितिज", "प्रज्ञा", "हर्ष", "कृष्णमूर्ति", "ज़ैनब", "श्रद्धा", "पृथ्वीराज", "रुक्मिणी", "अर्जुन", "त्र्यंबक"}
	hindiLast  = []string{"श्रीवास्तव", "द्विवेदी", "त्रिपाठी", "चट्टोपाध्याय", "मुखर्जी", "क़ुरैशी", "बंद्योपाध्याय", "शुक्ल", "पुरोहित", "ठाकुर"}
	latinFirst = []string{"Kshitij", "Pragya", "Harsh", "Krishnamurthy", "Zainab", "Shraddha", "Prithviraj", "Rukmini", "Arjun", "Tryambak"}
	latinLast  = []string{"Shrivastava", "Dwivedi", "Tripathi", "Chattopadhyay", "Mukherjee", "Qureshi", "Bandyopadhyay", "Shukla", "Purohit", "Thakur"}
)

// certData returns the field values of the i-th certificate of a batch, as
// internal/certify/pdf's benchmark makes them.
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

// payload400 is a QR payload of 400 bytes, like a signed compact credential.
func payload400(i int) string {
	p := fmt.Sprintf("VC1:%08d:", i) + strings.Repeat("eyJpc3MiOiJkaWQ6d2ViOnZpZHlhLmV4YW1wbGUiLCJzdWIiOiIyMDI1In0", 7)
	return p[:400]
}

// certificates returns the HTML of n certificates and their field values.
func certificates(tb testing.TB, n int) ([]string, []map[string]string) {
	tb.Helper()
	if err := Ready(); err != nil {
		tb.Fatal(err)
	}
	docs := make([]string, n)
	data := make([]map[string]string, n)
	for i := range n {
		svg, err := QRSVG(payload400(i))
		if err != nil {
			tb.Fatal(err)
		}
		data[i] = certData(i)
		docs[i] = HTML(data[i], svg)
	}
	return docs, data
}

// needBrowser skips the test unless Chromium and node are installed.
func needBrowser(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		tb.Skipf("no Chromium at %s (apt-get install -y chromium): %v", ChromiumPath, err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		tb.Skip("node is not installed (apt-get install -y nodejs)")
	}
}

func TestHTML(t *testing.T) {
	docs, _ := certificates(t, 1)
	doc := docs[0]

	t.Run("the page holds the values, fonts, images and QR code", func(t *testing.T) {
		for _, want := range []string{
			">क्षितिज श्रीवास्तव<", ">Kshitij Shrivastava<", ">Roll No. 2025-DL-0045127<",
			`font-family: "Vidya Devanagari"; font-weight: 700`, "data:font/ttf;base64,",
			"data:image/jpeg;base64,", "data:image/png;base64,", `<div class="qr"><svg `,
		} {
			if !strings.Contains(doc, want) {
				t.Errorf("the page has no %q", want)
			}
		}
	})

	t.Run("values are escaped as text", func(t *testing.T) {
		data := certData(0)
		data["holder.name"] = `<img src=x onerror="alert(1)">`
		doc := HTML(data, "")
		if strings.Contains(doc, "<img src=x") || !strings.Contains(doc, "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;") {
			t.Error("the name was not escaped")
		}
	})

	t.Run("the QR code has a quiet zone and one path", func(t *testing.T) {
		svg, err := QRSVG(payload400(0))
		if err != nil {
			t.Fatal(err)
		}
		// 400 bytes at level M is version 15: 77 modules, 85 with the zone.
		if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 85 85"`) || strings.Count(svg, "<path") != 1 {
			t.Errorf("unexpected SVG: %.200s", svg)
		}
		// The top-left finder pattern starts a run of 7 at the zone's edge.
		if !strings.Contains(svg, `d="M4 4h7v1h-7z`) {
			t.Errorf("no finder pattern at (4, 4): %.300s", svg)
		}
	})
}

func TestMeasure(t *testing.T) {
	needBrowser(t)
	docs, data := certificates(t, 3)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	res, err := Measure(ctx, docs, 2, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d certificates in %v (%.1f/s, CPU %v), %d bytes", res.Count, res.Elapsed, res.PerSecond(), res.CPU, res.Bytes)
	if res.Count != 3 || res.Elapsed <= 0 {
		t.Errorf("result %+v, want 3 certificates in some time", res)
	}

	files, err := filepath.Glob(filepath.Join(out, "*.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if want := []string{"0001.pdf", "0002.pdf", "0003.pdf"}; len(files) != 3 || filepath.Base(files[0]) != want[0] || filepath.Base(files[2]) != want[2] {
		t.Fatalf("output files %v, want %v", files, want)
	}
	var total int64
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		total += int64(len(raw))
		if !bytes.HasPrefix(raw, []byte("%PDF-")) {
			t.Errorf("%s is not a PDF: %q", f, raw[:min(len(raw), 16)])
			continue
		}
		if _, err := exec.LookPath("pdftotext"); err != nil {
			t.Log("pdftotext is not installed (apt-get install -y poppler-utils): the text is not checked")
			continue
		}
		text, err := exec.CommandContext(ctx, "pdftotext", "-layout", f, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext %s: %v", f, err)
		}
		flat := strings.Join(strings.Fields(string(text)), " ")
		for _, want := range []string{data[i]["holder.name"], data[i]["roll"]} {
			if !strings.Contains(flat, want) {
				t.Errorf("%s: no %q in its text:\n%s", f, want, text)
			}
		}
	}
	if total != res.Bytes {
		t.Errorf("the files hold %d bytes, Measure counted %d", total, res.Bytes)
	}
}

// BenchmarkMeasure prints 200 typical certificates with Chromium, two pages
// at a time, and reports certificates a second. Run it with
//
//	go test ./bench/chromium -run '^$' -bench Measure -benchtime 1x
func BenchmarkMeasure(b *testing.B) {
	needBrowser(b)
	docs, _ := certificates(b, 200)
	for b.Loop() {
		res, err := Measure(b.Context(), docs, 2, "")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.PerSecond(), "certs/s")
		b.ReportMetric(float64(res.Elapsed.Nanoseconds())/float64(res.Count), "ns/cert")
		b.ReportMetric(float64(res.CPU.Nanoseconds())/float64(res.Count), "cpu-ns/cert")
		b.ReportMetric(float64(res.Bytes)/float64(res.Count), "bytes/pdf")
	}
}
