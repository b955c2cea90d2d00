package pdf

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-text/typesetting/language"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// BenchmarkRender renders the typical certificate (A4 landscape, a 100 KB
// JPEG background, two PNG logos and a signature, seven fields with a
// Hindi and an English name, a QR code of a 400-byte payload), each time
// for a different holder. Run it with
//
//	go test ./internal/certify/pdf -run '^$' -bench Render -benchmem
func BenchmarkRender(b *testing.B) {
	c := typical(b)
	data := make([]map[string]string, 400)
	payloads := make([]string, len(data))
	for i := range data {
		data[i] = certData(i)
		payloads[i] = payload400(i)
	}
	b.Run("sequential", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		cpu := cpuTime()
		i := 0
		for b.Loop() {
			buf.Reset()
			if err := c.Render(&buf, data[i%len(data)], payloads[i%len(data)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(buf.Len()), "bytes/pdf")
	})
	b.Run("parts+sha256", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime()
		i := 0
		var tail int
		for b.Loop() {
			p, err := c.RenderParts(nil, data[i%len(data)], payloads[i%len(data)])
			if err != nil {
				b.Fatal(err)
			}
			tail = len(p.Tail)
			i++
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(tail), "tail-bytes/pdf")
	})
	b.Run("parallel", func(b *testing.B) {
		var n atomic.Int64
		b.ReportAllocs()
		cpu := cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			var buf bytes.Buffer
			for pb.Next() {
				i := int(n.Add(1))
				buf.Reset()
				if err := c.Render(&buf, data[i%len(data)], payloads[i%len(data)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		reportCPU(b, cpu)
	})
}

// reportCPU reports the CPU time per operation since start: on a machine
// shared with other work it is the cost of a render, where ns/op also
// counts waiting for a processor.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkShapeName shapes a different Hindi name each time, uncached.
func BenchmarkShapeName(b *testing.B) {
	c := typical(b)
	st := newRenderState(c)
	fam := c.items[0].text
	for _, it := range c.items {
		if it.kind == itemText {
			fam = it.text
			break
		}
	}
	lang := language.NewLanguage("hi")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := certData(i)
		st.sh.shape(&c.fams[fam.fam], d["holder.name_hi"], lang, &st.scratch)
		i++
	}
}

// FuzzRender renders the typical certificate with arbitrary values: any
// UTF-8 or not, control characters, very long strings. It must never
// panic, must fail only with Invalid errors, and must give a well-formed
// file otherwise.
func FuzzRender(f *testing.F) {
	f.Add("क्षितिज श्रीवास्तव", "Kshitij", "A1", "https://vidya.example/v/1")
	f.Add("\x00\x01\u200d\u200c\ufeff", "\r\n\t", "\xff\xfe", "")
	f.Add(strings.Repeat("्", 50), "ि", "\u0301\u0301", "x")
	f.Add("क़\u093c\u093c\u093c", "A\u0300\u0301\u0302\u0303", strings.Repeat("W", 3000), strings.Repeat("9", 7089))
	f.Add("ॐ नमः", "ﬀ ﬁ ﬂ", "😀 emoji", "Ünïcödé payload")
	c := typical(f)
	f.Fuzz(func(t *testing.T, hi, en, grade, payload string) {
		d := certData(1)
		d["holder.name_hi"], d["holder.name"], d["grade"] = hi, en, grade
		var buf bytes.Buffer
		err := c.Render(&buf, d, payload)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error %v is not Invalid", err)
			}
			return
		}
		parsePDF(t, buf.Bytes())
	})
}

// BenchmarkPreview draws the typical certificate as a PNG 1200 pixels wide,
// each time for a different holder. Run it with
//
//	go test ./internal/certify/pdf -run '^$' -bench Preview -benchmem
func BenchmarkPreview(b *testing.B) {
	c := typical(b)
	var buf bytes.Buffer
	b.ReportAllocs()
	cpu := cpuTime()
	i := 0
	for b.Loop() {
		buf.Reset()
		if err := c.Preview(&buf, certData(i), payload400(i), 1200); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(buf.Len()), "bytes/png")
}
