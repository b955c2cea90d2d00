package pdf

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// okText is a valid text element to vary.
func okText() Element {
	return Element{Type: ElemText, Field: "holder.name", X: 10, Y: 10, Width: 100, Size: 20}
}

func TestCompileRefusesBadTemplates(t *testing.T) {
	a4 := Page{Size: "A4"}
	assets := loadAssets(t)
	truncatedPNG := assets["logo-board"][:len(assets["logo-board"])/2]
	truncatedJPEG := assets["background"][:len(assets["background"])/3]
	fields := []string{"holder.name"}
	el := func(f func(e *Element)) []Element {
		e := okText()
		f(&e)
		return []Element{e}
	}
	cases := []struct {
		name   string
		tpl    Template
		assets map[string][]byte
		fonts  map[string][]byte
		field  string
	}{
		{"unknown field", Template{Page: a4, Elements: el(func(e *Element) { e.Field = "holder.nmae" })}, nil, nil, "elements.0.field"},
		{"bad field name", Template{Page: a4, Elements: el(func(e *Element) { e.Field = "holder name" })}, nil, nil, "elements.0.field"},
		{"field and text", Template{Page: a4, Elements: el(func(e *Element) { e.Text = "x" })}, nil, nil, "elements.0.text"},
		{"neither field nor text", Template{Page: a4, Elements: el(func(e *Element) { e.Field = "" })}, nil, nil, "elements.0.field"},
		{"bad colour", Template{Page: a4, Elements: el(func(e *Element) { e.Colour = "red" })}, nil, nil, "elements.0.colour"},
		{"short colour", Template{Page: a4, Elements: el(func(e *Element) { e.Colour = "#FFF" })}, nil, nil, "elements.0.colour"},
		{"colour with bad digits", Template{Page: a4, Elements: el(func(e *Element) { e.Colour = "#12345G" })}, nil, nil, "elements.0.colour"},
		{"element off the page", Template{Page: a4, Elements: el(func(e *Element) { e.X = 150 })}, nil, nil, "elements.0"},
		{"element below the page", Template{Page: a4, Elements: el(func(e *Element) { e.Y = 296 })}, nil, nil, "elements.0"},
		{"negative position", Template{Page: a4, Elements: el(func(e *Element) { e.X = -1 })}, nil, nil, "elements.0.x"},
		{"landscape width on portrait", Template{Page: a4, Elements: el(func(e *Element) { e.Width = 250 })}, nil, nil, "elements.0"},
		{"unknown font", Template{Page: a4, Elements: el(func(e *Element) { e.Font = "Mukta" })}, nil, nil, "elements.0.font"},
		{"bad font name", Template{Page: a4, Elements: el(func(e *Element) { e.Font = "Mukta:bold" })}, nil, nil, "elements.0.font"},
		{"font that is not a font", Template{Page: a4, Elements: el(func(e *Element) { e.Font = "Mukta" })}, nil, map[string][]byte{"Mukta": []byte("not a font at all")}, "fonts.Mukta"},
		{"CFF font", Template{Page: a4, Elements: el(func(e *Element) { e.Font = "Mukta" })}, nil, map[string][]byte{"Mukta": append([]byte("OTTO\x00\x01"), make([]byte, 40)...)}, "fonts.Mukta"},
		{"truncated font", Template{Page: a4, Elements: el(func(e *Element) { e.Font = "Mukta" })}, nil, map[string][]byte{"Mukta": notoDevaRegular[:5000]}, "fonts.Mukta"},
		{"zero text size", Template{Page: a4, Elements: el(func(e *Element) { e.Size = 0 })}, nil, nil, "elements.0.size"},
		{"zero text width", Template{Page: a4, Elements: el(func(e *Element) { e.Width = 0 })}, nil, nil, "elements.0.width"},
		{"min size above size", Template{Page: a4, Elements: el(func(e *Element) { e.Shrink, e.MinSize = true, 30 })}, nil, nil, "elements.0.min_size"},
		{"several lines without wrap", Template{Page: a4, Elements: el(func(e *Element) { e.MaxLines = 2 })}, nil, nil, "elements.0.max_lines"},
		{"bad align", Template{Page: a4, Elements: el(func(e *Element) { e.Align = "justify" })}, nil, nil, "elements.0.align"},
		{"valign without height", Template{Page: a4, Elements: el(func(e *Element) { e.VAlign = "middle" })}, nil, nil, "elements.0.valign"},
		{"bad weight", Template{Page: a4, Elements: el(func(e *Element) { e.Weight = "black" })}, nil, nil, "elements.0.weight"},
		{"bad language", Template{Page: a4, Elements: el(func(e *Element) { e.Lang = "hi IN" })}, nil, nil, "elements.0.lang"},
		{"unknown type", Template{Page: a4, Elements: []Element{{Type: "circle"}}}, nil, nil, "elements.0.type"},
		{"no elements", Template{Page: a4}, nil, nil, "elements"},
		{"bad page size", Template{Page: Page{Size: "B5"}, Elements: el(func(*Element) {})}, nil, nil, "page.size"},
		{"custom page without size", Template{Page: Page{Size: "custom"}, Elements: el(func(*Element) {})}, nil, nil, "page"},
		{"bad orientation", Template{Page: Page{Size: "A4", Orientation: "sideways"}, Elements: el(func(*Element) {})}, nil, nil, "page.orientation"},
		{"zero-size image", Template{Page: a4, Elements: []Element{{Type: ElemImage, Asset: "logo-board", X: 10, Y: 10}}}, assets, nil, "elements.0.width"},
		{"unknown asset", Template{Page: a4, Elements: []Element{{Type: ElemImage, Asset: "crest", X: 10, Y: 10, Width: 20}}}, assets, nil, "elements.0.asset"},
		{"broken PNG", Template{Page: a4, Elements: []Element{{Type: ElemImage, Asset: "logo", X: 10, Y: 10, Width: 20}}}, map[string][]byte{"logo": truncatedPNG}, nil, "elements.0.asset"},
		{"broken JPEG", Template{Page: a4, Background: "bg", Elements: el(func(*Element) {})}, map[string][]byte{"bg": truncatedJPEG}, nil, "background"},
		{"not an image", Template{Page: a4, Elements: []Element{{Type: ElemImage, Asset: "logo", X: 10, Y: 10, Width: 20}}}, map[string][]byte{"logo": []byte("GIF89a")}, nil, "elements.0.asset"},
		{"image off the page by its aspect", Template{Page: a4, Elements: []Element{{Type: ElemImage, Asset: "logo-board", X: 10, Y: 200, Width: 150}}}, assets, nil, "elements.0"},
		{"zero-size QR", Template{Page: a4, Elements: []Element{{Type: ElemQR, X: 10, Y: 10}}}, nil, nil, "elements.0.size"},
		{"QR off the page", Template{Page: a4, Elements: []Element{{Type: ElemQR, X: 180, Y: 10, Size: 40}}}, nil, nil, "elements.0"},
		{"bad QR level", Template{Page: a4, Elements: []Element{{Type: ElemQR, X: 10, Y: 10, Size: 40, Level: "X"}}}, nil, nil, "elements.0.level"},
		{"line without length", Template{Page: a4, Elements: []Element{{Type: ElemLine, X: 10, Y: 10, X2: 10, Y2: 10}}}, nil, nil, "elements.0.x2"},
		{"line off the page", Template{Page: a4, Elements: []Element{{Type: ElemLine, X: 10, Y: 10, X2: 400, Y2: 10}}}, nil, nil, "elements.0"},
		{"invisible rectangle", Template{Page: a4, Elements: []Element{{Type: ElemRect, X: 10, Y: 10, Width: 10, Height: 10}}}, nil, nil, "elements.0.stroke_width"},
		{"zero-size rectangle", Template{Page: a4, Elements: []Element{{Type: ElemRect, X: 10, Y: 10, StrokeWidth: 1}}}, nil, nil, "elements.0.width"},
		{"bad fill", Template{Page: a4, Elements: []Element{{Type: ElemRect, X: 10, Y: 10, Width: 10, Height: 10, Fill: "#GGGGGG"}}}, nil, nil, "elements.0.fill"},
		{"static text no font can show", Template{Page: a4, Elements: []Element{{Type: ElemText, Text: "தமிழ்", X: 10, Y: 10, Width: 50, Size: 12}}}, nil, nil, "elements.0.text"},
		{"static text that does not fit", Template{Page: a4, Elements: []Element{{Type: ElemText, Text: strings.Repeat("long ", 50), X: 10, Y: 10, Width: 50, Size: 12, Shrink: true, MinSize: 10}}}, nil, nil, "elements.0.text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.tpl, tc.assets, tc.fonts, fields)
			wantField(t, err, tc.field)
		})
	}
}

func TestCompileReportsEveryProblem(t *testing.T) {
	tpl := Template{Page: Page{Size: "A4"}, Elements: []Element{
		{Type: ElemText, Field: "a", X: 10, Y: 10, Width: 50, Size: 12, Colour: "blue"},
		{Type: ElemQR, X: 10, Y: 10},
	}}
	_, err := Compile(tpl, nil, nil, []string{"a"})
	e := errs.As(err)
	if e == nil || len(e.Fields) != 2 || e.Fields["elements.0.colour"] == "" || e.Fields["elements.1.size"] == "" {
		t.Fatalf("error %v, want both problems", err)
	}
}

func TestParseTemplate(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "typical.json"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := ParseTemplate(raw)
	if err != nil {
		t.Fatal(err)
	}
	// What ParseTemplate reads, JSON gives back.
	again, _ := json.Marshal(tpl)
	tpl2, err := ParseTemplate(again)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := json.Marshal(tpl2); !bytes.Equal(a, again) {
		t.Error("the template does not survive a JSON round trip")
	}
	for _, bad := range []string{
		`{"page":{"size":"A4"},"elements":[{"type":"text","colour_":"#000000"}]}`, // misspelt key
		`{"page":{"size":"A4"},"elements":[]} {}`,
		`{"page":{"size":"A4"},"elements":[{"type":"qr","x":"10"}]}`,
		`[]`,
		``,
	} {
		if _, err := ParseTemplate([]byte(bad)); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseTemplate(%q) = %v, want an Invalid error", bad, err)
		}
	}
}

func TestImagesAreEncodedOnce(t *testing.T) {
	c := typical(t)
	a := render(t, c, certData(1), payload400(1))
	f := parsePDF(t, a)
	images, masks := 0, 0
	for _, o := range f.objects {
		if bytes.Contains(o, []byte("/Subtype /Image")) {
			images++
			if bytes.Contains(o, []byte("/DeviceGray")) {
				masks++
			}
		}
	}
	// Background, two logos and a signature, the three PNGs with masks.
	if images != 7 || masks != 3 {
		t.Errorf("%d images of which %d soft masks, want 7 and 3", images, masks)
	}
	if !bytes.Contains(a, []byte("/Filter /DCTDecode")) {
		t.Error("the JPEG background is not passed through")
	}
	// The prefix of images is the same bytes in every file.
	b := render(t, c, certData(2), payload400(2))
	if !bytes.Equal(a[:len(c.prefix)], b[:len(c.prefix)]) {
		t.Error("the image objects differ between certificates")
	}
}

func TestImageFormats(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 8, 4))
	rgba := image.NewNRGBA(image.Rect(0, 0, 8, 4))
	rgba.Set(1, 1, color.NRGBA{10, 20, 30, 128})
	pal := image.NewPaletted(image.Rect(0, 0, 8, 4), color.Palette{color.Transparent, color.Black})
	enc := func(m image.Image, asJPEG bool) []byte {
		var b bytes.Buffer
		if asJPEG {
			jpeg.Encode(&b, m, nil)
		} else {
			png.Encode(&b, m)
		}
		return b.Bytes()
	}
	cases := []struct {
		name      string
		data      []byte
		dict      string
		withMask  bool
		width, ht int
	}{
		{"grey JPEG", enc(gray, true), "/DeviceGray", false, 8, 4},
		{"grey PNG", enc(gray, false), "/DeviceGray", false, 8, 4},
		{"PNG with alpha", enc(rgba, false), "/DeviceRGB", true, 8, 4},
		{"paletted PNG with transparency", enc(pal, false), "/DeviceRGB", true, 8, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img, err := loadImage(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(img.dict, tc.dict) || (img.mask != nil) != tc.withMask || img.width != tc.width || img.height != tc.ht {
				t.Errorf("dict %q, mask %v, %d×%d", img.dict, img.mask != nil, img.width, img.height)
			}
		})
	}
	// Adobe's CMYK JPEGs are stored inverted; the marker is found among
	// the others before the scan.
	adobe := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 4, 'J', 'F', 0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2, 0xff, 0xda}
	if !adobeJPEG(adobe) || adobeJPEG(adobe[:8]) || adobeJPEG(enc(gray, true)) {
		t.Error("the Adobe marker is not recognised")
	}
	huge := image.NewGray(image.Rect(0, 0, 8000, 8000))
	if _, err := loadImage(enc(huge, false)); !errs.Is(err, errs.Invalid) {
		t.Errorf("a 64-megapixel image was accepted: %v", err)
	}
}

// FuzzTemplateJSON parses, validates and compiles arbitrary JSON: it must
// never panic, and what compiles must render.
func FuzzTemplateJSON(f *testing.F) {
	typ, _ := os.ReadFile(filepath.Join("testdata", "typical.json"))
	f.Add(typ)
	f.Add([]byte(`{"page":{"size":"custom","width":100,"height":50},"elements":[{"type":"text","text":"नमस्ते","x":1,"y":1,"width":90,"size":12,"wrap":true,"shrink":true}]}`))
	f.Add([]byte(`{"page":{"size":"A5","orientation":"landscape"},"elements":[{"type":"qr","x":1,"y":1,"size":40,"level":"H"},{"type":"line","x":1,"y":1,"x2":100,"y2":100}]}`))
	f.Add([]byte(`{"page":{"size":"Letter"},"background":"logo","elements":[{"type":"image","asset":"logo","x":0,"y":0,"height":30},{"type":"rect","x":1,"y":1,"width":5,"height":5,"fill":"#ABCDEF"}]}`))
	f.Add([]byte(`{"page":{"size":"A4"},"elements":[{"type":"text","field":"f","x":1e308,"y":-0,"width":1e-300,"size":400,"min_size":1,"shrink":true,"line_height":5,"max_lines":100,"wrap":true}]}`))
	logo, _ := os.ReadFile(filepath.Join("testdata", "logo-board.png"))
	assets := map[string][]byte{"logo": logo}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tpl, err := ParseTemplate(raw)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("ParseTemplate: %v is not Invalid", err)
			}
			return
		}
		c, err := Compile(tpl, assets, nil, []string{"f", "holder.name"})
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("Compile: %v is not Invalid", err)
			}
			return
		}
		var buf bytes.Buffer
		err = c.Render(&buf, map[string]string{"f": "क्षितिज Kshitij", "holder.name": "x"}, "https://vidya.example/v/1")
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("Render: %v is not Invalid", err)
		}
		if err == nil {
			parsePDF(t, buf.Bytes())
		}
	})
}
