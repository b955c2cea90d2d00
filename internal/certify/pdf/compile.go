package pdf

import (
	"crypto/sha256"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/go-text/typesetting/language"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Object numbers fixed in every file; image objects follow, then fonts.
const (
	objCatalog = 1
	objPages   = 2
	objPage    = 3
	objInfo    = 4
	objContent = 5
	firstImage = 6
)

// SansFont is the name of the shipped font family: Noto Sans, with Noto
// Sans Devanagari for Devanagari text.
const SansFont = "sans"

// BoldSuffix marks the bold face of an authority font in Compile's fonts
// map: "Mukta" is the regular face, "Mukta:bold" the bold one.
const BoldSuffix = ":bold"

// Compiled is a template made ready to render: fonts parsed, images
// encoded, static text shaped and laid out, static drawing done. It is
// safe for concurrent use by many goroutines.
type Compiled struct {
	pageW, pageH float64 // points
	faces        []*fontFile
	fams         []family
	items        []item
	prefix       []byte // the header and the image objects, the same in every file
	prefixSum    []byte // the SHA-256 state after prefix, to hash a file from there
	imgOffs      []int  // file offsets of the image objects, numbered from firstImage
	xobjects     string // the page's /XObject resources
	fields       []string
	digest       [32]byte
	cache        *shapeCache
	pool         statePool
	ops          []drawOp // the page as Preview draws it
	pdfBg        *pdfPage // PDF background (pdfpage.go), or nil
}

type itemKind uint8

const (
	itemStatic itemKind = iota
	itemText
	itemQR
)

// item is one step of drawing a page: prepared content, or an element that
// depends on the certificate's data.
type item struct {
	kind   itemKind
	static []byte    // content, while compiling
	bits   bitString // the content compressed, once compiled
	marks  []mark    // glyphs drawn by static text
	text   *textBox
	qr     *qrBox
}

// mark is a glyph drawn by static text, recorded in each file's subset.
type mark struct {
	face, gid uint16
	prio      uint8
	uni       string
}

// Fields returns the data fields the template shows, in the order they are
// first drawn.
func (c *Compiled) Fields() []string { return slices.Clone(c.fields) }

// Compile validates t against the assets, fonts and fields available and
// prepares it for rendering.
//
// assets holds the images templates name (PNG or JPEG). fonts holds the
// authority's TrueType fonts by name; the bold face of a font named N is
// given as N+BoldSuffix. fields lists the data fields a certificate of
// this type has; a text element bound to another field is refused.
func Compile(t Template, assets map[string][]byte, fonts map[string][]byte, fields []string) (*Compiled, error) {
	const op = "pdf: compile template"
	t.Elements = slices.Clone(t.Elements)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := builtinFonts(); err != nil {
		return nil, errs.Wrap(op, err)
	}
	v := errs.Validation{Op: op}
	pw, ph := t.Page.PageSize()
	c := &Compiled{pageW: pw * mmToPt, pageH: ph * mmToPt, cache: newShapeCache()}

	// Fonts and families.
	faceIndex := map[*fontFile]int{}
	addFace := func(f *fontFile) int {
		if i, ok := faceIndex[f]; ok {
			return i
		}
		faceIndex[f] = len(c.faces)
		c.faces = append(c.faces, f)
		return len(c.faces) - 1
	}
	parsed := map[string]*fontFile{}
	famIndex := map[string]int{}
	familyFor := func(p, name string, bold bool) int {
		key := name + map[bool]string{true: BoldSuffix}[bold]
		if i, ok := famIndex[key]; ok {
			return i
		}
		var list []*fontFile
		if name != "" && name != SansFont {
			f, ok := parsed[key]
			if !ok {
				data, found := fonts[key]
				switch {
				case !found && bold:
					if _, regular := fonts[name]; regular {
						v.Add(p+".weight", "the font %q has no bold face; add %q or use regular", name, key)
						return -1
					}
					v.Add(p+".font", "there is no font named %q", name)
					return -1
				case !found:
					v.Add(p+".font", "there is no font named %q", name)
					return -1
				}
				var err error
				f, err = parseFont(name, data)
				if err == nil && !f.works() {
					err = errs.E(errs.Invalid, "pdf: read font", "its layout tables are damaged")
				}
				if err != nil {
					msg := "it is not a usable font"
					if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
						msg = e.Message
					}
					v.Add("fonts."+key, "cannot be used: %s", msg)
					return -1
				}
				parsed[key] = f
			}
			list = append(list, f)
		}
		if bold {
			list = append(list, builtin.sansBold, builtin.devaBold)
		} else {
			list = append(list, builtin.sansRegular, builtin.devaReg)
		}
		fam := family{ascent: math.Inf(-1), descent: math.Inf(1)}
		for _, f := range list {
			fam.faces = append(fam.faces, addFace(f))
			fam.ascent = math.Max(fam.ascent, f.lineAscent)
			fam.descent = math.Min(fam.descent, f.lineDescent)
		}
		c.fams = append(c.fams, fam)
		famIndex[key] = len(c.fams) - 1
		return len(c.fams) - 1
	}

	// Images, each encoded once however often it is drawn.
	type placed struct {
		name string
		img  *pdfImage
		obj  int
	}
	var images []*placed
	imgByName := map[string]*placed{}
	nextObj := firstImage
	image := func(p, name string) *placed {
		if im, ok := imgByName[name]; ok {
			return im
		}
		data, ok := assets[name]
		if !ok {
			v.Add(p, "there is no asset named %q", name)
			return nil
		}
		img, err := loadImage(data)
		if err != nil {
			msg := "the image cannot be read"
			if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
				msg = e.Message
			}
			v.Add(p, "%q cannot be used: %s", name, msg)
			return nil
		}
		im := &placed{name: name, img: img, obj: nextObj}
		nextObj++
		if img.mask != nil {
			nextObj++
		}
		images = append(images, im)
		imgByName[name] = im
		return im
	}

	known := map[string]bool{}
	for _, f := range fields {
		known[f] = true
	}

	var items []item
	addStatic := func(b []byte, marks []mark) {
		if n := len(items); n > 0 && items[n-1].kind == itemStatic {
			items[n-1].static = append(items[n-1].static, b...)
			items[n-1].marks = append(items[n-1].marks, marks...)
			return
		}
		items = append(items, item{kind: itemStatic, static: b, marks: marks})
	}
	// drawImage draws an image in the box whose bottom-left corner is x, y
	// (points).
	drawImage := func(im *placed, x, y, w, h float64) []byte {
		c.ops = append(c.ops, drawOp{kind: opImage, img: im.img, x: x, y: y, w: w, h: h})
		return appendDo(nil, im.obj, x, y, w, h)
	}

	if data, ok := assets[t.Background]; t.Background != "" && ok && isPDF(data) {
		// PDF background (pdfpage.go): a Form XObject and the objects it
		// uses, numbered from nextObj; Preview leaves its area white.
		bg, err := loadPDFPage(data, nextObj)
		if err != nil {
			msg := "the PDF file cannot be read"
			if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
				msg = e.Message
			}
			v.Add("background", "%q cannot be used: %s", t.Background, msg)
		} else {
			nextObj += len(bg.objs)
			c.pdfBg = bg
			addStatic(bg.draw(0, 0, c.pageW, c.pageH), nil)
		}
	} else if t.Background != "" {
		if im := image("background", t.Background); im != nil {
			addStatic(drawImage(im, 0, 0, c.pageW, c.pageH), nil)
		}
	}
	var staticText []int // element indices, laid out once the fonts are known
	for i := range t.Elements {
		e := &t.Elements[i]
		p := fmt.Sprintf("elements.%d", i)
		x, top := e.X*mmToPt, c.pageH-e.Y*mmToPt
		switch e.Type {
		case ElemText:
			fam := familyFor(p, e.Font, e.Weight == "bold")
			if e.Field != "" && !known[e.Field] {
				v.Add(p+".field", "%q is not a field of this certificate, whose fields are %s", e.Field, strings.Join(fields, ", "))
			}
			if fam < 0 {
				continue
			}
			colour, _ := parseColour(e.Colour, 0)
			b := &textBox{
				index: i, field: e.Field, fam: fam, lang: language.NewLanguage(e.Lang),
				x: x, top: top, w: e.Width * mmToPt, h: e.Height * mmToPt,
				size: e.Size, minSize: e.MinSize, lineH: e.LineHeight, colour: colour,
				align: e.Align, valign: e.VAlign, wrap: e.Wrap, shrink: e.Shrink, maxLines: e.MaxLines,
			}
			if b.lineH == 0 {
				b.lineH = defaultLineH
			}
			if b.shrink && b.minSize == 0 {
				b.minSize = math.Max(math.Min(6, b.size), b.size/2)
			}
			if !b.shrink {
				b.minSize = b.size
			}
			items = append(items, item{kind: itemText, text: b})
			c.ops = append(c.ops, drawOp{kind: opText, text: b, static: e.Text})
			if e.Field == "" {
				staticText = append(staticText, len(items)-1)
			} else if !slices.Contains(c.fields, e.Field) {
				c.fields = append(c.fields, e.Field)
			}
		case ElemImage:
			im := image(p+".asset", e.Asset)
			if im == nil {
				continue
			}
			w, h := e.Width, e.Height
			switch {
			case w == 0:
				w = h * float64(im.img.width) / float64(im.img.height)
			case h == 0:
				h = w * float64(im.img.height) / float64(im.img.width)
			}
			if e.X+w > pw+slackMM || e.Y+h > ph+slackMM {
				v.Add(p, "lies partly off the page (%g × %g mm)", round2(pw), round2(ph))
				continue
			}
			addStatic(drawImage(im, x, c.pageH-(e.Y+h)*mmToPt, w*mmToPt, h*mmToPt), nil)
		case ElemQR:
			colour, _ := parseColour(e.Colour, 0)
			qb := &qrBox{x: x, top: top, size: e.Size * mmToPt, level: qrLevels[e.Level], colour: colour}
			items = append(items, item{kind: itemQR, qr: qb})
			c.ops = append(c.ops, drawOp{kind: opQR, qr: qb})
		case ElemLine, ElemRect:
			addStatic(appendShape(nil, e, c.pageH), nil)
			c.ops = append(c.ops, drawOp{kind: opShape, shape: *e})
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c.items = items

	// Static text: shaped and laid out now, drawn the same on every page.
	st := newRenderState(c)
	for _, k := range staticText {
		b := items[k].text
		e := &t.Elements[b.index]
		p := fmt.Sprintf("elements.%d.text", b.index)
		st.resetUse()
		content, err := st.text(nil, c, b, e.Text)
		if err != nil {
			msg := "it cannot be set"
			if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
				msg = e.Message
			}
			v.Add(p, "%s", msg)
			continue
		}
		var marks []mark
		for fi, u := range st.use {
			for _, g := range u.list {
				ut := u.uni(g)
				marks = append(marks, mark{face: uint16(fi), gid: g, prio: ut.prio, uni: strings.Clone(ut.text)})
			}
		}
		items[k] = item{kind: itemStatic, static: content, marks: marks}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// Merge neighbouring static items.
	c.items = c.items[:0]
	for _, it := range items {
		if n := len(c.items); n > 0 && it.kind == itemStatic && c.items[n-1].kind == itemStatic {
			c.items[n-1].static = append(slices.Clip(c.items[n-1].static), it.static...)
			c.items[n-1].marks = append(slices.Clip(c.items[n-1].marks), it.marks...)
			continue
		}
		c.items = append(c.items, it)
	}
	var m matcher
	for i := range c.items {
		if it := &c.items[i]; it.kind == itemStatic {
			it.bits = precompress(it.static, contentCode(), &m)
			it.static = nil
		}
	}

	// The header and image objects, written first in every file.
	ow := &objWriter{}
	ow.reset(nextObj, len(pdfHeader))
	var xobj strings.Builder
	for _, im := range images {
		fmt.Fprintf(&xobj, " /Im%d %d 0 R", im.obj, im.obj)
		dict := im.img.dict
		if im.img.mask != nil {
			dict += fmt.Sprintf(" /SMask %d 0 R", im.obj+1)
		}
		ow.stream(im.obj, dict, im.img.data)
		if im.img.mask != nil {
			ow.stream(im.obj+1, "/Type /XObject /Subtype /Image /Width "+itoa(im.img.width)+" /Height "+itoa(im.img.height)+
				" /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", im.img.mask)
		}
	}
	if c.pdfBg != nil { // PDF background (pdfpage.go)
		fmt.Fprintf(&xobj, " /Im%d %d 0 R", c.pdfBg.base, c.pdfBg.base)
		c.pdfBg.write(ow)
	}
	c.prefix = append([]byte(pdfHeader), ow.buf...)
	c.imgOffs = slices.Clone(ow.offsets[firstImage:])
	if xobj.Len() > 0 {
		c.xobjects = " /XObject <<" + xobj.String() + " >>"
	}
	ps := sha256.New()
	ps.Write(c.prefix)
	state, err := ps.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	c.prefixSum = state
	tj, _ := json.Marshal(t)
	h := sha256.New()
	h.Write(tj)
	h.Write(c.prefix)
	h.Sum(c.digest[:0])
	return c, nil
}

// appendDo appends the operators that draw XObject /Im<obj> (an image, or
// a form of a PDF background) over the box whose bottom-left corner is
// x, y (points).
func appendDo(b []byte, obj int, x, y, w, h float64) []byte {
	b = append(b, "q\n"...)
	b = appendNum(b, w)
	b = append(b, " 0 0 "...)
	b = appendNum(b, h)
	b = append(b, ' ')
	b = appendNum(b, x)
	b = append(b, ' ')
	b = appendNum(b, y)
	b = append(b, " cm\n/Im"...)
	b = appendInt(b, obj)
	return append(b, " Do\nQ\n"...)
}

// appendShape appends the operators for a line or rectangle element.
func appendShape(dst []byte, e *Element, pageH float64) []byte {
	stroke, _ := parseColour(e.Colour, 0)
	dst = append(dst, "q\n"...)
	sw := e.StrokeWidth
	if e.Type == ElemLine && sw == 0 {
		sw = 0.5
	}
	if sw > 0 {
		dst = appendColour(dst, stroke, "RG")
		dst = append(dst, '\n')
		dst = appendNum(dst, sw)
		dst = append(dst, " w\n"...)
	}
	if e.Type == ElemLine {
		dst = appendNum(dst, e.X*mmToPt)
		dst = append(dst, ' ')
		dst = appendNum(dst, pageH-e.Y*mmToPt)
		dst = append(dst, " m\n"...)
		dst = appendNum(dst, e.X2*mmToPt)
		dst = append(dst, ' ')
		dst = appendNum(dst, pageH-e.Y2*mmToPt)
		return append(dst, " l\nS\nQ\n"...)
	}
	op := "S"
	if e.Fill != "" {
		fill, _ := parseColour(e.Fill, 0)
		dst = appendColour(dst, fill, "rg")
		dst = append(dst, '\n')
		op = "f"
		if sw > 0 {
			op = "B"
		}
	}
	dst = appendNum(dst, e.X*mmToPt)
	dst = append(dst, ' ')
	dst = appendNum(dst, pageH-(e.Y+e.Height)*mmToPt)
	dst = append(dst, ' ')
	dst = appendNum(dst, e.Width*mmToPt)
	dst = append(dst, ' ')
	dst = appendNum(dst, e.Height*mmToPt)
	dst = append(dst, " re\n"...)
	dst = append(dst, op...)
	return append(dst, "\nQ\n"...)
}
