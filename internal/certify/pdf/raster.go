package pdf

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/jpeg"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/image/draw"
	"golang.org/x/image/vector"
	"rsc.io/qr/coding"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The widths Preview draws, in pixels.
const (
	MinPreviewWidth = 100
	MaxPreviewWidth = 3000
	// maxPreviewPixels bounds the image for tall custom pages.
	maxPreviewPixels = 16_000_000
)

type opKind uint8

const (
	opImage opKind = iota
	opText
	opQR
	opShape
)

// drawOp is one step of drawing the page for Preview, in the order the PDF
// draws it.
type drawOp struct {
	kind       opKind
	img        *pdfImage // opImage
	x, y, w, h float64   // opImage: the box, points from the bottom-left corner
	text       *textBox  // opText
	static     string    // opText: the text of a static text
	qr         *qrBox    // opQR
	shape      Element   // opShape: the line or rectangle
}

// Preview renders the certificate like Render but as a PNG image widthPx
// pixels wide (MinPreviewWidth to MaxPreviewWidth), opaque on white paper,
// for a template editor's live preview. It lays the text out with the code
// Render uses, so it shows what the PDF shows and fails where Render fails,
// with the same errors. It is safe to call concurrently.
func (c *Compiled) Preview(w io.Writer, data map[string]string, qrPayload string, widthPx int) error {
	const op = "pdf: preview"
	if widthPx < MinPreviewWidth || widthPx > MaxPreviewWidth {
		return errs.E(errs.Invalid, op, "the preview must be between %d and %d pixels wide, not %d", MinPreviewWidth, MaxPreviewWidth, widthPx)
	}
	// The page as a PDF viewer sees it, from the MediaBox's numbers, and
	// its height in pixels rounded up as pdftoppm rounds it.
	pw, ph := round3(c.pageW), round3(c.pageH)
	res := 72 * float64(widthPx) / pw
	heightPx := int(math.Ceil(ph * (res / 72)))
	if widthPx*heightPx > maxPreviewPixels {
		return errs.E(errs.Invalid, op, "a preview %d pixels wide would be %d pixels tall, more than %d megapixels; give a smaller width",
			widthPx, heightPx, maxPreviewPixels/1_000_000)
	}

	st := c.pool.get(c)
	defer c.pool.put(st)
	// Everything that can fail is done first, so that a certificate
	// Render would refuse costs no drawing.
	texts, err := c.layoutAll(st, data, qrPayload)
	if err != nil {
		return err
	}
	p := &painter{img: image.NewRGBA(image.Rect(0, 0, widthPx, heightPx)), scale: float64(widthPx) / pw, pageH: ph}
	for i := range p.img.Pix {
		p.img.Pix[i] = 0xff
	}
	if err := c.paint(p, st, texts, qrPayload); err != nil {
		return errs.Wrap(op, err)
	}
	if err := writePNG(w, p.img); err != nil {
		return errs.Wrap(op+": write", err)
	}
	return nil
}

// laidOut is a text laid out for drawing; nil sh draws nothing.
type laidOut struct {
	sh    *shaped
	lines []line
	size  float64
}

// layoutAll lays out the page's texts in order, as Render does, and
// checks the QR payload, returning what Render would refuse.
func (c *Compiled) layoutAll(st *renderState, data map[string]string, qrPayload string) ([]laidOut, error) {
	var texts []laidOut
	haveCode := false
	var codeLevel coding.Level
	for i := range c.ops {
		o := &c.ops[i]
		switch o.kind {
		case opText:
			val := o.static
			if o.text.field != "" {
				var err error
				if val, err = fieldValue(data, o.text); err != nil {
					return nil, err
				}
			}
			sh, lines, size, err := st.layoutText(c, o.text, val)
			if err != nil {
				return nil, err
			}
			if sh == &st.scratch {
				sh = sh.clone() // the next text is shaped there
			}
			texts = append(texts, laidOut{sh: sh, lines: slices.Clone(lines), size: size})
		case opQR:
			if !haveCode || o.qr.level != codeLevel {
				if err := encodePayload(&st.qr, qrPayload, o.qr.level); err != nil {
					return nil, err
				}
				haveCode, codeLevel = true, o.qr.level
			}
		}
	}
	return texts, nil
}

// paint draws the page with p in the order the PDF draws it, the texts
// as laid out by layoutAll.
func (c *Compiled) paint(p *painter, st *renderState, texts []laidOut, qrPayload string) error {
	haveCode := false
	var codeLevel coding.Level
	for i := range c.ops {
		o := &c.ops[i]
		switch o.kind {
		case opImage:
			if err := p.image(o); err != nil {
				return err
			}
		case opShape:
			p.shape(&o.shape)
		case opText:
			if t := texts[0]; t.sh != nil {
				p.text(c, o.text, t.sh, t.lines, t.size)
			}
			texts = texts[1:]
		case opQR:
			if !haveCode || o.qr.level != codeLevel {
				if err := encodePayload(&st.qr, qrPayload, o.qr.level); err != nil {
					return err
				}
				haveCode, codeLevel = true, o.qr.level
			}
			p.qr(o.qr, &st.qr)
		}
	}
	return nil
}

// bands is how many horizontal bands to split work on an image of n
// pixels into, to be done at once: one per processor, up to four, and
// none smaller than a quarter megapixel.
func bands(n int) int {
	return max(1, min(runtime.GOMAXPROCS(0), 4, n/(1<<18)))
}

// round3 rounds v to the three decimals a PDF number is written with.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// painter draws one preview.
type painter struct {
	img     *image.RGBA
	scale   float64 // pixels per point
	pageH   float64 // points
	z       vector.Rasterizer
	pts     []outlinePoint
	decoded map[*pdfImage]decoded // images drawn so far
}

// decoded is an image's pixels, and whether it is opaque.
type decoded struct {
	m      image.Image
	opaque bool
}

// at maps a point of the page (points from the bottom-left corner) to the
// image (pixels from the top-left corner).
func (p *painter) at(x, y float64) (float64, float64) { return x * p.scale, (p.pageH - y) * p.scale }

// rgba is a template colour, opaque.
func rgba(c uint32) color.RGBA { return color.RGBA{uint8(c >> 16), uint8(c >> 8), uint8(c), 0xff} }

// image draws an image scaled into its box, rounded to whole pixels. An
// image more than twice the box's size is first halved, averaging each
// two by two pixels, as often as that holds, so that bilinear sampling
// (fast, where a kernel as wide as the reduction costs tens of
// milliseconds for a page-sized background) does not alias.
func (p *painter) image(o *drawOp) error {
	x0, y0 := p.at(o.x, o.y+o.h)
	x1, y1 := p.at(o.x+o.w, o.y)
	dr := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
	if dr.Empty() {
		return nil
	}
	d, ok := p.decoded[o.img]
	if !ok {
		var err error
		if d.m, d.opaque, err = decodeImage(o.img); err != nil {
			return err
		}
		if p.decoded == nil {
			p.decoded = map[*pdfImage]decoded{}
		}
		p.decoded[o.img] = d
	}
	src := d.m
	if sb := src.Bounds(); sb.Dx() >= 2*dr.Dx() && sb.Dy() >= 2*dr.Dy() {
		m := halve(src)
		for m.Rect.Dx() >= 2*dr.Dx() && m.Rect.Dy() >= 2*dr.Dy() {
			m = halve(m)
		}
		src = m
	}
	dop := draw.Over
	if d.opaque {
		dop = draw.Src
	}
	// Each band of the box is drawn on its own: the scaler maps every
	// pixel from the whole box, so the bands join seamlessly.
	clip := dr.Intersect(p.img.Rect)
	n := bands(clip.Dx() * clip.Dy())
	var wg sync.WaitGroup
	for k := range n {
		band := image.Rect(clip.Min.X, clip.Min.Y+clip.Dy()*k/n, clip.Max.X, clip.Min.Y+clip.Dy()*(k+1)/n)
		wg.Go(func() { draw.ApproxBiLinear.Scale(p.img.SubImage(band).(*image.RGBA), dr, src, src.Bounds(), dop, nil) })
	}
	wg.Wait()
	return nil
}

// halve returns m at half its width and height, each pixel the mean of
// four (premultiplied, so transparency averages correctly). An image of
// another kind than RGBA is converted two rows at a time, never whole.
func halve(m image.Image) *image.RGBA {
	b := m.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	direct, _ := m.(*image.RGBA)
	var pair *image.RGBA
	if direct == nil {
		pair = image.NewRGBA(image.Rect(0, 0, b.Dx(), 2))
	}
	for y := range h {
		var r0, r1 []byte
		if direct != nil {
			r0 = direct.Pix[direct.PixOffset(b.Min.X, b.Min.Y+2*y):]
			r1 = direct.Pix[direct.PixOffset(b.Min.X, b.Min.Y+2*y+1):]
		} else {
			stddraw.Draw(pair, pair.Rect, m, image.Pt(b.Min.X, b.Min.Y+2*y), stddraw.Src)
			r0, r1 = pair.Pix, pair.Pix[pair.Stride:]
		}
		d := out.Pix[y*out.Stride:]
		for x := range w {
			for c := range 4 {
				i := 8*x + c
				d[4*x+c] = uint8((uint32(r0[i]) + uint32(r0[i+4]) + uint32(r1[i]) + uint32(r1[i+4]) + 2) / 4)
			}
		}
	}
	return out
}

// decodeImage turns an image as the PDF holds it back into pixels: a JPEG
// as given, or the RGB or grey samples and soft mask of a PNG.
func decodeImage(im *pdfImage) (image.Image, bool, error) {
	if bytes.HasPrefix(im.data, []byte{0xff, 0xd8, 0xff}) {
		m, err := jpeg.Decode(bytes.NewReader(im.data))
		return m, true, err
	}
	inflate := func(b []byte, want int) ([]byte, error) {
		r, err := zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		out := make([]byte, want)
		if _, err := io.ReadFull(r, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	n := im.width * im.height
	comps := 3
	if strings.Contains(im.dict, "/DeviceGray") {
		comps = 1
	}
	pix, err := inflate(im.data, n*comps)
	if err != nil {
		return nil, false, err
	}
	if im.mask == nil && comps == 1 {
		return &image.Gray{Pix: pix, Stride: im.width, Rect: image.Rect(0, 0, im.width, im.height)}, true, nil
	}
	out := image.NewNRGBA(image.Rect(0, 0, im.width, im.height))
	for i := range n {
		d := out.Pix[4*i : 4*i+4 : 4*i+4]
		if comps == 1 {
			d[0], d[1], d[2] = pix[i], pix[i], pix[i]
		} else {
			d[0], d[1], d[2] = pix[3*i], pix[3*i+1], pix[3*i+2]
		}
		d[3] = 0xff
	}
	if im.mask == nil {
		return out, true, nil
	}
	alpha, err := inflate(im.mask, n)
	if err != nil {
		return nil, false, err
	}
	for i, a := range alpha {
		out.Pix[4*i+3] = a
	}
	return out, false, nil
}

// shape draws a line or rectangle as appendShape does: a rectangle filled,
// then stroked; strokes centred on the path, with mitred corners and butt
// ends.
func (p *painter) shape(e *Element) {
	stroke, _ := parseColour(e.Colour, 0)
	sw := e.StrokeWidth
	if e.Type == ElemLine {
		if sw == 0 {
			sw = 0.5
		}
		p.line(e, sw, rgba(stroke))
		return
	}
	x0, y0 := p.at(e.X*mmToPt, p.pageH-e.Y*mmToPt)
	x1, y1 := p.at((e.X+e.Width)*mmToPt, p.pageH-(e.Y+e.Height)*mmToPt)
	if e.Fill != "" {
		fill, _ := parseColour(e.Fill, 0)
		p.rect(x0, y0, x1, y1, 0, 0, 0, 0, rgba(fill))
	}
	if sw > 0 {
		h := sw * p.scale / 2
		p.rect(x0-h, y0-h, x1+h, y1+h, x0+h, y0+h, x1-h, y1-h, rgba(stroke))
	}
}

// line draws a stroke of width sw points from (X, Y) to (X2, Y2).
func (p *painter) line(e *Element, sw float64, col color.RGBA) {
	ax, ay := p.at(e.X*mmToPt, p.pageH-e.Y*mmToPt)
	bx, by := p.at(e.X2*mmToPt, p.pageH-e.Y2*mmToPt)
	dx, dy := bx-ax, by-ay
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	h := sw * p.scale / 2
	nx, ny := -dy/l*h, dx/l*h
	corners := [4][2]float64{{ax + nx, ay + ny}, {bx + nx, by + ny}, {bx - nx, by - ny}, {ax - nx, ay - ny}}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range corners {
		minX, maxX = math.Min(minX, c[0]), math.Max(maxX, c[0])
		minY, maxY = math.Min(minY, c[1]), math.Max(maxY, c[1])
	}
	r, ok := p.clip(minX, minY, maxX, maxY)
	if !ok {
		return
	}
	p.fill(r, image.NewUniform(col), func(z *vector.Rasterizer, ox, oy float64) {
		z.MoveTo(float32(corners[0][0]-ox), float32(corners[0][1]-oy))
		for _, c := range corners[1:] {
			z.LineTo(float32(c[0]-ox), float32(c[1]-oy))
		}
		z.ClosePath()
	})
}

// fill draws the shape that add gives the rasteriser, in colour src,
// within r, in bands of rows: the rasteriser keeps buffers the size of
// what it draws, which for a shape as large as the page would be tens of
// megabytes. add is given the image coordinates of the band's corner, to
// subtract from its points; each pixel's coverage is the same whichever
// band draws it.
func (p *painter) fill(r image.Rectangle, src image.Image, add func(z *vector.Rasterizer, ox, oy float64)) {
	const rows = 256
	for top := r.Min.Y; top < r.Max.Y; top += rows {
		band := image.Rect(r.Min.X, top, r.Max.X, min(top+rows, r.Max.Y))
		p.z.Reset(band.Dx(), band.Dy())
		add(&p.z, float64(band.Min.X), float64(band.Min.Y))
		p.z.Draw(p.img, band, src, image.Point{})
	}
}

// clip returns the whole pixels that the box covers, within the image.
func (p *painter) clip(x0, y0, x1, y1 float64) (image.Rectangle, bool) {
	b := p.img.Bounds()
	// Far outside the image only the bounds matter; clamping first keeps
	// the conversion to int in range.
	cl := func(v float64, hi int) int { return int(math.Max(-1, math.Min(v, float64(hi+1)))) }
	r := image.Rect(cl(math.Floor(x0), b.Max.X), cl(math.Floor(y0), b.Max.Y), cl(math.Ceil(x1), b.Max.X), cl(math.Ceil(y1), b.Max.Y))
	r = r.Intersect(b)
	return r, !r.Empty()
}

// rect fills the axis-aligned box from (x0, y0) to (x1, y1) in pixels,
// less the box from (ix0, iy0) to (ix1, iy1) inside it if that is not
// empty, with each pixel's exact coverage: a filled rectangle, or a
// rectangle's stroke.
func (p *painter) rect(x0, y0, x1, y1, ix0, iy0, ix1, iy1 float64, col color.RGBA) {
	r, ok := p.clip(x0, y0, x1, y1)
	if !ok {
		return
	}
	hollow := ix1 > ix0 && iy1 > iy0
	if !hollow {
		ix0, iy0, ix1, iy1 = 0, 0, 0, 0
	}
	// overlap is how much of pixel i lies in [lo, hi).
	overlap := func(i int, lo, hi float64) float64 {
		return math.Max(0, math.Min(hi, float64(i+1))-math.Max(lo, float64(i)))
	}
	cx := make([]float64, r.Dx())
	icx := make([]float64, r.Dx())
	for i := range cx {
		cx[i] = overlap(r.Min.X+i, x0, x1)
		icx[i] = overlap(r.Min.X+i, ix0, ix1)
	}
	// Columns wholly inside the hole, skipped on rows wholly inside it.
	skipFrom, skipTo := r.Dx(), r.Dx()
	if hollow {
		skipFrom = max(0, int(math.Ceil(ix0))-r.Min.X)
		skipTo = max(skipFrom, min(r.Dx(), int(math.Floor(ix1))-r.Min.X))
	}
	cr, cg, cb := uint32(col.R), uint32(col.G), uint32(col.B)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		cy := overlap(y, y0, y1)
		icy := overlap(y, iy0, iy1)
		row := p.img.Pix[p.img.PixOffset(r.Min.X, y):]
		for i := 0; i < len(cx); i++ {
			if icy == 1 && i == skipFrom && skipTo > skipFrom {
				i = skipTo - 1
				continue
			}
			a := uint32(max(0, cx[i]*cy-icx[i]*icy)*65535 + 0.5)
			if a == 0 {
				continue
			}
			d := row[4*i : 4*i+4 : 4*i+4]
			d[0] = uint8((uint32(d[0])*(65535-a) + cr*a + 32767) / 65535)
			d[1] = uint8((uint32(d[1])*(65535-a) + cg*a + 32767) / 65535)
			d[2] = uint8((uint32(d[2])*(65535-a) + cb*a + 32767) / 65535)
		}
	}
}

// qr draws the QR code as appendQR does: a white square, then the dark
// modules as one path, a rectangle per horizontal run.
func (p *painter) qr(b *qrBox, code *qrCode) {
	x0, y0 := p.at(b.x, b.top)
	x1, y1 := p.at(b.x+b.size, b.top-b.size)
	p.rect(x0, y0, x1, y1, 0, 0, 0, 0, color.RGBA{0xff, 0xff, 0xff, 0xff})
	r, ok := p.clip(x0, y0, x1, y1)
	if !ok {
		return
	}
	n := code.size
	m := b.size / float64(n+2*quietZone) * p.scale // pixels per module
	p.fill(r, image.NewUniform(rgba(b.colour)), func(z *vector.Rasterizer, ox, oy float64) {
		ox, oy = x0+quietZone*m-ox, y0+quietZone*m-oy
		for y := range n {
			row := code.bits[y*code.stride : (y+1)*code.stride]
			top, bottom := float32(oy+float64(y)*m), float32(oy+float64(y+1)*m)
			for x := 0; x < n; {
				begin := nextBit(row, x, n, true)
				if begin >= n {
					break
				}
				x = nextBit(row, begin, n, false)
				left, right := float32(ox+float64(begin)*m), float32(ox+float64(x)*m)
				z.MoveTo(left, top)
				z.LineTo(right, top)
				z.LineTo(right, bottom)
				z.LineTo(left, bottom)
				z.ClosePath()
			}
		}
	})
}

// text draws lines of sh at size where emitText puts them: each line from
// lineStart, each glyph at the pen plus its offset, the pen moving by the
// shaped advances (see emitGlyphs).
func (p *painter) text(c *Compiled, b *textBox, sh *shaped, lines []line, size float64) {
	fam := &c.fams[b.fam]
	src := image.NewUniform(rgba(b.colour))
	for k, l := range lines {
		if l.from >= l.to {
			continue
		}
		x, baseline := b.lineStart(fam, l.width, k, len(lines), size)
		var pen float64
		for _, g := range sh.glyphs[l.from:trimSpaces(sh.glyphs, l.from, l.to)] {
			rise := math.Round(float64(g.dy)*size*1000) / 1000
			p.glyph(c.faces[g.face], g.gid, x+pen+float64(g.dx)*size, baseline+rise, size, src)
			pen += float64(g.adv) * size
		}
	}
}

// glyph draws glyph g of f at size points with its origin at (x, y),
// points from the page's bottom-left corner.
func (p *painter) glyph(f *fontFile, g uint16, x, y, size float64, src image.Image) {
	p.pts = f.outline(p.pts[:0], g)
	if len(p.pts) == 0 {
		return
	}
	// The points in image coordinates.
	ox, oy := p.at(x, y)
	k := size / float64(f.upem) * p.scale
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range p.pts {
		q := &p.pts[i]
		px, py := ox+float64(q.x)*k, oy-float64(q.y)*k
		q.x, q.y = float32(px), float32(py)
		minX, maxX = math.Min(minX, px), math.Max(maxX, px)
		minY, maxY = math.Min(minY, py), math.Max(maxY, py)
	}
	r, ok := p.clip(minX, minY, maxX, maxY)
	if !ok {
		return
	}
	p.fill(r, src, func(z *vector.Rasterizer, ox, oy float64) { addContours(z, p.pts, float32(ox), float32(oy)) })
}

// writePNG writes m, opaque, as an 8-bit RGB PNG. Each row is filtered
// with Up: image/png would try all five filters on each row, which costs
// as much as the compression and gains little on a certificate (flat
// paper, text, a photographic background). The rows are compressed in
// bands at once, each band a run of deflate blocks of its own, joined
// into one zlib stream. A band that is mostly flat (most filtered bytes
// zero) is compressed with matches; a photographic one, where matches are
// rare and looking for them is most of the cost, with Huffman codes alone
// (for the typical certificate's textured background, a third of the time
// for a file 8% larger).
func writePNG(w io.Writer, m *image.RGBA) error {
	width, height := m.Rect.Dx(), m.Rect.Dy()
	n := bands(width * height)
	type band struct {
		buf   bytes.Buffer
		adler uint32
		size  int
		err   error
	}
	parts := make([]band, n)
	var wg sync.WaitGroup
	for k := range parts {
		wg.Go(func() {
			b := &parts[k]
			from, to := height*k/n, height*(k+1)/n
			stride := 1 + 3*width
			raw := make([]byte, (to-from)*stride)
			zeros := 0
			for y := from; y < to; y++ {
				row := raw[(y-from)*stride : (y-from+1)*stride]
				row[0] = 2 // Up
				pix := m.Pix[y*m.Stride:]
				var up []byte
				if y > 0 {
					up = m.Pix[(y-1)*m.Stride:]
				}
				for x := range width {
					for c := range 3 {
						v := pix[4*x+c]
						if up != nil {
							v -= up[4*x+c]
						}
						row[1+3*x+c] = v
						if v == 0 {
							zeros++
						}
					}
				}
			}
			level := flate.HuffmanOnly
			if zeros > len(raw)/2 {
				level = flate.BestSpeed
			}
			fw, _ := flate.NewWriter(&b.buf, level)
			fw.Write(raw)
			// All but the last band end on a byte boundary without
			// closing the stream, so that the next band follows on.
			if k < n-1 {
				b.err = fw.Flush()
			} else {
				b.err = fw.Close()
			}
			b.adler, b.size = adler32.Checksum(raw), len(raw)
		})
	}
	wg.Wait()

	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("\x89PNG\r\n\x1a\n")
	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(width))
	binary.BigEndian.PutUint32(hdr[4:], uint32(height))
	hdr[8], hdr[9] = 8, 2 // 8 bits per sample, RGB; deflate, no interlace
	writeChunk(bw, "IHDR", hdr[:])
	idat := []byte{0x78, 0x01} // zlib: deflate, 32 KB window
	adler := uint32(1)
	for k := range parts {
		if parts[k].err != nil {
			return parts[k].err
		}
		idat = append(idat, parts[k].buf.Bytes()...)
		adler = adlerCombine(adler, parts[k].adler, parts[k].size)
	}
	idat = binary.BigEndian.AppendUint32(idat, adler)
	writeChunk(bw, "IDAT", idat)
	writeChunk(bw, "IEND", nil)
	return bw.Flush()
}

// writeChunk writes one PNG chunk; errors show when bw is flushed.
func writeChunk(bw *bufio.Writer, typ string, data []byte) {
	var b [8]byte
	binary.BigEndian.PutUint32(b[:], uint32(len(data)))
	copy(b[4:], typ)
	bw.Write(b[:])
	bw.Write(data)
	crc := crc32.Update(crc32.ChecksumIEEE(b[4:]), crc32.IEEETable, data)
	binary.BigEndian.PutUint32(b[:4], crc)
	bw.Write(b[:4])
}
