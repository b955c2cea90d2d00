package qti

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
)

func FuzzReadItem(f *testing.F) {
	files, _ := filepath.Glob("testdata/v*/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, it := range sampleItems() {
		var buf bytes.Buffer
		if err := WriteItem(&buf, it, "en", V30); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := ReadItem(bytes.NewReader(data), "fuzz.xml", Options{})
		checkParsed(t, p, true)
	})
}

func checkParsed(t *testing.T, p assess.Parsed, write bool) {
	t.Helper()
	if (p.Item == nil) == (p.Err == nil) {
		t.Fatalf("want exactly one of Item and Err: %v, %v", p.Item, p.Err)
	}
	if p.Item != nil {
		if err := p.Item.Validate(); err != nil {
			t.Fatalf("item does not validate: %v", err)
		}
		// What was read can be written.
		for _, v := range []Version{V21, V30} {
			if !write {
				break
			}
			var buf bytes.Buffer
			if err := WritePackage(&buf, []*assess.Item{p.Item}, v); err != nil {
				t.Fatalf("cannot write what was read: %v", err)
			}
		}
	}
}

func FuzzReadPackage(f *testing.F) {
	var buf bytes.Buffer
	if err := WritePackage(&buf, sampleItems()[:2], V30); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	buf.Reset()
	if err := WritePackage(&buf, sampleItems()[5:7], V21); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(zipOf(f, manifest(res("R1", "imsqti_item_xmlv2p1", "items/choice.xml"), res("T", "imsqti_test_xmlv2p1", "t.xml")),
		testdataEntry(f, "items/choice.xml", "v21/choice.xml"), entry{"items/images/apple.png", []byte("png")}))
	media := func(_ string, r io.Reader) (string, error) {
		_, err := io.Copy(io.Discard, r)
		return "https://media.example/x.png", err
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ReadPackage(bytes.NewReader(data), int64(len(data)), Options{Media: media}, func(p assess.Parsed) error {
			checkParsed(t, p, false)
			return nil
		})
	})
}

// bigPackage writes a QTI 3.0 package of n items cycling through the
// sample items.
func bigPackage(tb testing.TB, n int) []byte {
	base := sampleItems()
	items := make([]*assess.Item, n)
	for i := range items {
		c := *base[i%len(base)]
		c.ID = int64(i + 1)
		items[i] = &c
	}
	var buf bytes.Buffer
	if err := WritePackage(&buf, items, V30); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func withLimits(entries int, fn func()) {
	old := limits
	limits.entries = entries
	defer func() { limits = old }()
	fn()
}

func readCount(tb testing.TB, data []byte) int {
	n := 0
	err := ReadPackage(bytes.NewReader(data), int64(len(data)), Options{}, func(p assess.Parsed) error {
		if p.Err != nil {
			tb.Fatalf("%s: %v", p.Where, p.Err)
		}
		n++
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkReadPackage10000 reads a 10,000-item QTI 3.0 package (bilingual
// items make it 10,000 resources and more files) and reports items/s and
// bytes allocated per item.
func BenchmarkReadPackage10000(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			data := bigPackage(b, n)
			withLimits(4*n, func() {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				b.ResetTimer()
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				for range b.N {
					if got := readCount(b, data); got != n {
						b.Fatalf("read %d items, want %d", got, n)
					}
				}
				runtime.ReadMemStats(&ms1)
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
				b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(n*b.N), "B/item")
			})
		})
	}
}

// TestAllocationPerItemIsFlat checks memory per item does not grow with
// the package: 25,000 items cost no more per item than 5,000 (±25%).
func TestAllocationPerItemIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 30,000 items")
	}
	perItem := func(n int) float64 {
		data := bigPackage(t, n)
		var per float64
		withLimits(4*n, func() {
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			readCount(t, data)
			runtime.ReadMemStats(&ms1)
			per = float64(ms1.TotalAlloc-ms0.TotalAlloc) / float64(n)
		})
		return per
	}
	small, large := perItem(5_000), perItem(25_000)
	t.Logf("allocated per item: %.0f B at 5,000 items, %.0f B at 25,000", small, large)
	if large > small*1.25 {
		t.Errorf("allocation per item grows with the package: %.0f B → %.0f B", small, large)
	}
}
