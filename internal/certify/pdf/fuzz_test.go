package pdf

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// FuzzFont reads arbitrary bytes as an authority's font: reading must
// fail with an Invalid error or succeed, never panic, and a font that is
// read must render and draw a preview (which reads its glyph outlines).
func FuzzFont(f *testing.F) {
	tamil, err := os.ReadFile(filepath.Join("testdata", "NotoSansTamil-Regular.ttf"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tamil)
	f.Add(tamil[:4096])
	f.Add([]byte("\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00glyf\x00\x00\x00\x00\x00\x00\x00\x1c\xff\xff\xff\xff"))
	tpl := Template{Page: Page{Size: "A5"}, Elements: []Element{
		{Type: ElemText, Field: "v", Font: "F", X: 10, Y: 10, Width: 100, Size: 14, Wrap: true, MaxLines: 3},
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Compile(tpl, nil, map[string][]byte{"F": data}, []string{"v"})
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%v is not Invalid", err)
			}
			return
		}
		var buf bytes.Buffer
		values := map[string]string{"v": "தமிழ் Kshitij क्षितिज"}
		if err := c.Render(&buf, values, ""); err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("render: %v is not Invalid", err)
		}
		if err := c.Preview(&buf, values, "", MinPreviewWidth); err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("preview: %v is not Invalid", err)
		}
	})
}

// FuzzImage reads arbitrary bytes as an image asset: never a panic, only
// Invalid errors.
func FuzzImage(f *testing.F) {
	for _, n := range []string{"logo-board.png", "signature.png"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	bg, _ := os.ReadFile(filepath.Join("testdata", "background.jpg"))
	f.Add(bg[:2048])
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := loadImage(data)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%v is not Invalid", err)
			}
			return
		}
		if img.width <= 0 || img.height <= 0 || len(img.data) == 0 {
			t.Fatalf("image %d×%d with %d bytes", img.width, img.height, len(img.data))
		}
	})
}

// TestDamagedFontsFailCleanly replays damage the fuzzer found: HarfBuzz
// panicking on broken layout tables, a cmap whose ranges take forever to
// walk, and glyph ids past the end of the font. Each must end in an
// Invalid error (or a usable font), quickly and without a panic.
func TestDamagedFontsFailCleanly(t *testing.T) {
	tamil, err := os.ReadFile(filepath.Join("testdata", "NotoSansTamil-Regular.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	type patch struct {
		at   int
		data string // hex
	}
	tables, err := readTables(tamil)
	if err != nil {
		t.Fatal(err)
	}
	maxpAt := bytes.Index(tamil, tables["maxp"])
	hheaAt := bytes.Index(tamil, tables["hhea"])
	cases := map[string][]patch{
		"broken GSUB feature list":         {{2559, "41000e1501100f0e"}, {5483, "0080ffff"}, {39371, "2060662db0022c23"}, {45420, "26"}, {51132, "fd"}, {67056, "08"}, {70033, "17"}},
		"cmap range of billions":           {{1933, "abababababab"}, {2559, "41000e1501100f0e"}, {3991, "49494949"}, {7231, "59"}, {39371, "2060662db0022c23"}, {39387, "f111"}, {44698, "6a6a6a6a6a6a"}, {60083, "20"}},
		"fewer glyphs than the tables use": {{maxpAt + 4, "0010"}, {hheaAt + 34, "0010"}},
	}
	tpl := Template{Page: Page{Size: "A5"}, Elements: []Element{
		{Type: ElemText, Field: "v", Font: "F", X: 10, Y: 10, Width: 100, Size: 14, Wrap: true, MaxLines: 3},
	}}
	for name, patches := range cases {
		t.Run(name, func(t *testing.T) {
			data := bytes.Clone(tamil)
			for _, p := range patches {
				b, err := hex.DecodeString(p.data)
				if err != nil {
					t.Fatal(err)
				}
				copy(data[p.at:], b)
			}
			c, err := Compile(tpl, nil, map[string][]byte{"F": data}, []string{"v"})
			if err != nil {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("%v is not Invalid", err)
				}
				return
			}
			values := map[string]string{"v": "தமிழ் Kshitij க்ஷ ஸ்ரீ"}
			err = c.Render(&bytes.Buffer{}, values, "")
			if err != nil && !errs.Is(err, errs.Invalid) {
				t.Fatalf("render: %v is not Invalid", err)
			}
			if err := c.Preview(&bytes.Buffer{}, values, "", MinPreviewWidth); err != nil && !errs.Is(err, errs.Invalid) {
				t.Fatalf("preview: %v is not Invalid", err)
			}
		})
	}
}
