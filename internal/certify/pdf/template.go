package pdf

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Template is the layout of a certificate: one page with an optional
// background image and elements drawn in order (later ones on top). It is
// stored as JSON. Lengths are in millimetres from the top-left corner of
// the page, font sizes and stroke widths in points.
type Template struct {
	Page       Page      `json:"page"`
	Background string    `json:"background,omitempty"` // asset drawn over the whole page: PNG, JPEG or a PDF's first page
	Elements   []Element `json:"elements"`
}

// Page is the paper size and orientation.
type Page struct {
	Size        string  `json:"size"`                  // A4, A5, Letter or custom
	Orientation string  `json:"orientation,omitempty"` // portrait (default) or landscape; named sizes only
	Width       float64 `json:"width,omitempty"`       // mm, custom size only
	Height      float64 `json:"height,omitempty"`      // mm, custom size only
}

// Element types.
const (
	ElemText  = "text"
	ElemImage = "image"
	ElemQR    = "qr"
	ElemLine  = "line"
	ElemRect  = "rect"
)

// Element is one thing drawn on the page. Which fields apply depends on
// Type:
//
//   - text: Field (a data field such as "holder.name") or static Text, in
//     the box X, Y, Width (and optional Height); Font, Weight, Size, Colour,
//     Align, VAlign, Wrap, MaxLines, Shrink, MinSize, LineHeight, Lang.
//     Without Wrap the text is one line (newlines become spaces); with
//     Wrap it breaks at spaces and newlines, up to MaxLines (0: as many as
//     Height allows, or any number). Shrink lowers the size, down to
//     MinSize (default half the size, at least 6 pt), until the text fits;
//     text that must fit (Shrink, or more lines than allowed) and cannot
//     is an error when rendering, never cut off. Text with neither Wrap
//     nor Shrink may run past its box.
//   - image: Asset at X, Y, Width, Height; if one of Width and Height is 0
//     it follows from the image's aspect ratio.
//   - qr: the certificate's QR code at X, Y, Size millimetres square
//     (quiet zone included), error correction Level, dark Colour.
//   - line: from X, Y to X2, Y2 with Colour and StrokeWidth (default 0.5
//     pt).
//   - rect: X, Y, Width, Height, outlined with Colour and StrokeWidth
//     and/or filled with Fill.
type Element struct {
	Type   string  `json:"type"`
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width,omitempty"`
	Height float64 `json:"height,omitempty"`

	Field      string  `json:"field,omitempty"`
	Text       string  `json:"text,omitempty"`
	Font       string  `json:"font,omitempty"`   // "sans" (default) or an authority font
	Weight     string  `json:"weight,omitempty"` // regular (default) or bold
	Size       float64 `json:"size,omitempty"`   // text: points; qr: millimetres
	MinSize    float64 `json:"min_size,omitempty"`
	Colour     string  `json:"colour,omitempty"` // #RRGGBB
	Align      string  `json:"align,omitempty"`  // left (default), center, right
	VAlign     string  `json:"valign,omitempty"` // top (default), middle, bottom; needs Height
	Wrap       bool    `json:"wrap,omitempty"`
	MaxLines   int     `json:"max_lines,omitempty"`
	Shrink     bool    `json:"shrink,omitempty"`
	LineHeight float64 `json:"line_height,omitempty"` // multiple of Size; default 1.2
	Lang       string  `json:"lang,omitempty"`        // BCP 47 language for shaping, e.g. "hi", "mr"

	Asset string `json:"asset,omitempty"`
	Level string `json:"level,omitempty"` // L, M (default), Q or H

	X2          float64 `json:"x2,omitempty"`
	Y2          float64 `json:"y2,omitempty"`
	StrokeWidth float64 `json:"stroke_width,omitempty"`
	Fill        string  `json:"fill,omitempty"`
}

// Limits of a template.
const (
	MaxElements   = 200
	MaxStaticText = 2000 // characters of a static text
	MaxValueLen   = 2000 // characters of a data value
	maxTemplate   = 1 << 20
	minPageMM     = 20.0
	maxPageMM     = 2000.0
	maxFontSize   = 400.0
	maxLines      = 100
	maxStrokePt   = 50.0
	defaultLineH  = 1.2
	mmToPt        = 72 / 25.4
	slackMM       = 0.01 // rounding allowance for "on the page"
)

// paperSizes are the named sizes in portrait, millimetres.
var paperSizes = map[string][2]float64{
	"A4":     {210, 297},
	"A5":     {148, 210},
	"Letter": {215.9, 279.4},
}

// ParseTemplate reads a template from JSON and validates it. Unknown keys
// are refused so that a misspelt setting does not pass unnoticed.
func ParseTemplate(data []byte) (Template, error) {
	const op = "pdf: read template"
	var t Template
	if len(data) > maxTemplate {
		return t, errs.E(errs.Invalid, op, "the template is larger than %d KB", maxTemplate>>10)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Template{}, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the template is not valid JSON of the expected shape", Err: err}
	}
	if dec.More() {
		return Template{}, errs.E(errs.Invalid, op, "the template has data after its end")
	}
	if err := t.Validate(); err != nil {
		return Template{}, err
	}
	return t, nil
}

// PageSize returns the page's width and height in millimetres, or zeros if
// the page is not valid.
func (p Page) PageSize() (w, h float64) {
	if s, ok := paperSizes[p.Size]; ok {
		w, h = s[0], s[1]
	} else if p.Size == "custom" {
		w, h = p.Width, p.Height
	}
	if p.Size != "custom" && p.Orientation == "landscape" {
		w, h = h, w
	}
	if !finite(w) || !finite(h) || w < minPageMM || h < minPageMM || w > maxPageMM || h > maxPageMM {
		return 0, 0
	}
	return w, h
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Validate checks the template on its own: sizes, kinds, colours and
// positions. Compile checks in addition that the assets, fonts and fields it
// names exist.
func (t *Template) Validate() error {
	v := errs.Validation{Op: "pdf: check template"}
	switch {
	case t.Page.Size == "custom":
		if !finite(t.Page.Width) || !finite(t.Page.Height) || t.Page.Width < minPageMM || t.Page.Height < minPageMM ||
			t.Page.Width > maxPageMM || t.Page.Height > maxPageMM {
			v.Add("page", "a custom page needs a width and height between %g and %g mm", minPageMM, maxPageMM)
		}
	case paperSizes[t.Page.Size] != [2]float64{}:
		if t.Page.Width != 0 || t.Page.Height != 0 || !finite(t.Page.Width) || !finite(t.Page.Height) {
			v.Add("page", "give a width and height only with size custom")
		}
	default:
		v.Add("page.size", "must be A4, A5, Letter or custom")
	}
	switch t.Page.Orientation {
	case "", "portrait", "landscape":
	default:
		v.Add("page.orientation", "must be portrait or landscape")
	}
	pw, ph := t.Page.PageSize()
	if len(t.Elements) == 0 {
		v.Add("elements", "give at least one element")
	}
	if len(t.Elements) > MaxElements {
		v.Add("elements", "give at most %d elements", MaxElements)
	}
	for i := range t.Elements {
		if i >= MaxElements {
			break
		}
		t.Elements[i].validate(&v, fmt.Sprintf("elements.%d", i), pw, ph)
	}
	return v.Err()
}

// validate checks one element; p names it in messages.
func (e *Element) validate(v *errs.Validation, p string, pw, ph float64) {
	for _, n := range []struct {
		name string
		val  float64
	}{{"x", e.X}, {"y", e.Y}, {"width", e.Width}, {"height", e.Height}, {"size", e.Size}, {"min_size", e.MinSize},
		{"line_height", e.LineHeight}, {"x2", e.X2}, {"y2", e.Y2}, {"stroke_width", e.StrokeWidth}} {
		if !finite(n.val) || n.val < 0 {
			v.Add(p+"."+n.name, "must be a number of 0 or more")
		}
	}
	// onPage checks a box; with a zero page size the page itself is wrong
	// and has its own message.
	onPage := func(x, y, w, h float64) {
		if pw == 0 {
			return
		}
		if x+w > pw+slackMM || y+h > ph+slackMM {
			v.Add(p, "lies partly off the page (%g × %g mm)", round2(pw), round2(ph))
		}
	}
	switch e.Type {
	case ElemText:
		switch {
		case e.Field == "" && e.Text == "":
			v.Add(p+".field", "give a field or a text")
		case e.Field != "" && e.Text != "":
			v.Add(p+".text", "give a field or a text, not both")
		case e.Field != "" && !validFieldName(e.Field):
			v.Add(p+".field", "must be 1–100 letters, digits, ., _ or -")
		case e.Text != "" && (!utf8.ValidString(e.Text) || utf8.RuneCountInString(e.Text) > MaxStaticText):
			v.Add(p+".text", "must be at most %d characters of UTF-8 text", MaxStaticText)
		}
		if e.Width <= 0 {
			v.Add(p+".width", "give the width of the text's box")
		}
		if e.Size < 1 || e.Size > maxFontSize {
			v.Add(p+".size", "must be between 1 and %g points", maxFontSize)
		}
		if e.MinSize != 0 && (e.MinSize < 1 || e.MinSize > e.Size) {
			v.Add(p+".min_size", "must be between 1 point and the size")
		}
		if e.MinSize != 0 && !e.Shrink {
			v.Add(p+".min_size", "applies only with shrink")
		}
		if e.LineHeight != 0 && (e.LineHeight < 0.5 || e.LineHeight > 5) {
			v.Add(p+".line_height", "must be between 0.5 and 5 times the size")
		}
		if e.MaxLines < 0 || e.MaxLines > maxLines {
			v.Add(p+".max_lines", "must be between 0 and %d", maxLines)
		}
		if e.MaxLines > 1 && !e.Wrap {
			v.Add(p+".max_lines", "more than one line needs wrap")
		}
		if !validFontName(e.Font) {
			v.Add(p+".font", "must be sans or the name of one of the authority's fonts")
		}
		switch e.Weight {
		case "", "regular", "bold":
		default:
			v.Add(p+".weight", "must be regular or bold")
		}
		switch e.Align {
		case "", "left", "center", "right":
		default:
			v.Add(p+".align", "must be left, center or right")
		}
		switch e.VAlign {
		case "", "top":
		case "middle", "bottom":
			if e.Height <= 0 {
				v.Add(p+".valign", "needs the box's height")
			}
		default:
			v.Add(p+".valign", "must be top, middle or bottom")
		}
		if _, ok := parseColour(e.Colour, 0); !ok {
			v.Add(p+".colour", "must be a colour written #RRGGBB, like #1A2B3C")
		}
		if !validLang(e.Lang) {
			v.Add(p+".lang", "must be a language tag like hi or mr")
		}
		h := e.Height
		if h == 0 && e.Size >= 1 && e.Size <= maxFontSize {
			h = e.Size / mmToPt // at least one line must fit
		}
		onPage(e.X, e.Y, e.Width, h)
	case ElemImage:
		if e.Asset == "" {
			v.Add(p+".asset", "is required")
		}
		if e.Width <= 0 && e.Height <= 0 {
			v.Add(p+".width", "give a width, a height or both")
		}
		onPage(e.X, e.Y, e.Width, e.Height)
	case ElemQR:
		if e.Size <= 0 {
			v.Add(p+".size", "give the side of the QR code in millimetres")
		}
		switch e.Level {
		case "", "L", "M", "Q", "H":
		default:
			v.Add(p+".level", "must be L, M, Q or H")
		}
		if _, ok := parseColour(e.Colour, 0); !ok {
			v.Add(p+".colour", "must be a colour written #RRGGBB, like #1A2B3C")
		}
		onPage(e.X, e.Y, e.Size, e.Size)
	case ElemLine:
		if e.StrokeWidth > maxStrokePt {
			v.Add(p+".stroke_width", "must be at most %g points", maxStrokePt)
		}
		if e.X == e.X2 && e.Y == e.Y2 {
			v.Add(p+".x2", "the line has no length")
		}
		if _, ok := parseColour(e.Colour, 0); !ok {
			v.Add(p+".colour", "must be a colour written #RRGGBB, like #1A2B3C")
		}
		onPage(math.Max(e.X, e.X2), math.Max(e.Y, e.Y2), 0, 0)
	case ElemRect:
		if e.Width <= 0 || e.Height <= 0 {
			v.Add(p+".width", "give the rectangle a width and a height")
		}
		if e.StrokeWidth > maxStrokePt {
			v.Add(p+".stroke_width", "must be at most %g points", maxStrokePt)
		}
		if _, ok := parseColour(e.Colour, 0); !ok {
			v.Add(p+".colour", "must be a colour written #RRGGBB, like #1A2B3C")
		}
		if _, ok := parseColour(e.Fill, 0); !ok {
			v.Add(p+".fill", "must be a colour written #RRGGBB, like #1A2B3C")
		}
		if e.Fill == "" && e.StrokeWidth == 0 {
			v.Add(p+".stroke_width", "give a stroke width, a fill or both")
		}
		onPage(e.X, e.Y, e.Width, e.Height)
	default:
		v.Add(p+".type", "must be text, image, qr, line or rect")
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// parseColour reads #RRGGBB; an empty string gives def.
func parseColour(s string, def uint32) (uint32, bool) {
	if s == "" {
		return def, true
	}
	if len(s) != 7 || s[0] != '#' {
		return 0, false
	}
	var c uint32
	for i := 1; i < 7; i++ {
		d := s[i]
		switch {
		case d >= '0' && d <= '9':
			d -= '0'
		case d >= 'a' && d <= 'f':
			d -= 'a' - 10
		case d >= 'A' && d <= 'F':
			d -= 'A' - 10
		default:
			return 0, false
		}
		c = c<<4 | uint32(d)
	}
	return c, true
}

// validFieldName accepts names like holder.name or result.grade_hi.
func validFieldName(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// validFontName accepts "" (sans) or a name of letters, digits, -, _ and
// spaces, which is how authority fonts are named.
func validFontName(s string) bool {
	if len(s) > 64 || strings.Contains(s, ":") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == ' ') {
			return false
		}
	}
	return true
}

// validLang accepts "" or a BCP 47-shaped tag (letters, digits, hyphens).
func validLang(s string) bool {
	if len(s) > 35 {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' && i > 0) {
			return false
		}
	}
	return true
}
