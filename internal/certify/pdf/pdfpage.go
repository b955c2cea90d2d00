package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Limits on a PDF background, beyond maxAssetBytes for the file.
const (
	maxPDFObjects  = 20_000   // objects the page reaches, copied into every file
	maxPDFContent  = 16 << 20 // the page's content, decoded
	maxPDFDepth    = 64       // nesting of arrays and dictionaries, and of the page tree
	maxPDFReadTime = 10 * time.Second
	// maxPDFInflated bounds what the file's Flate streams inflate to, all
	// together: pdfcpu inflates object and cross-reference streams whole
	// while reading, so a small file could otherwise ask for gigabytes.
	maxPDFInflated = 256 << 20
)

// isPDF reports whether an asset is a PDF file rather than an image.
func isPDF(data []byte) bool { return bytes.HasPrefix(data, []byte("%PDF-")) }

// checkInflation refuses a file whose compressed streams would inflate
// to more than maxPDFInflated bytes in all, before pdfcpu reads it: every
// "stream" keyword is tried as the start of zlib data (a stream that is
// not is skipped at once), inflated into nothing but counted. LZW, the
// other filter that can inflate a great deal, is refused outright.
func checkInflation(data []byte) error {
	const op = "pdf: read PDF background"
	if bytes.Contains(data, []byte("/LZWDecode")) || bytes.Contains(data, []byte("/LZW ")) {
		return errs.E(errs.Invalid, op, "the PDF file uses LZW compression, which is not supported; save it again as a new PDF")
	}
	budget := int64(maxPDFInflated)
	var zr io.ReadCloser
	for rest := data; ; {
		i := bytes.Index(rest, []byte("stream"))
		if i < 0 {
			return nil
		}
		rest = rest[i+len("stream"):]
		switch {
		case bytes.HasPrefix(rest, []byte("\r\n")):
			rest = rest[2:]
		case bytes.HasPrefix(rest, []byte("\n")), bytes.HasPrefix(rest, []byte("\r")):
			rest = rest[1:]
		default:
			continue // "endstream", or a name containing the word
		}
		src := bytes.NewReader(rest)
		var err error
		if zr == nil {
			zr, err = zlib.NewReader(src)
		} else {
			err = zr.(zlib.Resetter).Reset(src, nil)
		}
		if err != nil {
			zr = nil
			continue
		}
		n, _ := io.Copy(io.Discard, io.LimitReader(zr, budget+1))
		if budget -= n; budget < 0 {
			return errs.E(errs.Invalid, op, "the PDF file's content is larger than %d MB uncompressed", maxPDFInflated>>20)
		}
	}
}

// pdfPage is the first page of a PDF background as objects ready to be
// written into the prefix: objs[i] is the body of object base+i, the
// first a Form XObject drawing the page into the unit square.
type pdfPage struct {
	base int
	objs [][]byte
}

// CheckImage reports whether data can be a template's image: a PNG or
// JPEG image, or a PDF whose first page can be a background. Its errors
// (errs.Invalid) say what is wrong with the file.
func CheckImage(data []byte) error {
	if isPDF(data) {
		_, err := loadPDFPage(data, firstImage)
		return err
	}
	_, err := loadImage(data)
	return err
}

// HasPDFBackground reports whether the template's background is a PDF
// page, which Preview cannot draw: it leaves the background white.
func (c *Compiled) HasPDFBackground() bool { return c.pdfBg != nil }

var pdfcpuConf = sync.OnceValue(func() *model.Configuration {
	// pdfcpu's default configuration is read from (and written to) a
	// file in the user's configuration directory unless told not to.
	model.ConfigPath = "disable"
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	return conf
})

// loadPDFPage reads the first page of a PDF file and turns it and every
// object it uses into objects numbered from base.
func loadPDFPage(data []byte, base int) (pg *pdfPage, err error) {
	const op = "pdf: read PDF background"
	damaged := func(cause error) error {
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: "the PDF file is damaged", Err: cause}
	}
	if len(data) > maxAssetBytes {
		return nil, errs.E(errs.Invalid, op, "the PDF file is larger than %d MB", maxAssetBytes>>20)
	}
	if !isPDF(data) {
		return nil, errs.E(errs.Invalid, op, "the file is not a PDF")
	}
	if err := checkInflation(data); err != nil {
		return nil, err
	}
	defer func() {
		// pdfcpu is not hardened against every malformed file.
		if r := recover(); r != nil {
			pg, err = nil, damaged(fmt.Errorf("pdfcpu: %v", r))
		}
	}()
	encrypted := func() error {
		return errs.E(errs.Invalid, op, "the PDF file is encrypted or password-protected; save it without protection")
	}
	conf := *pdfcpuConf()
	rctx, cancel := context.WithTimeout(context.Background(), maxPDFReadTime)
	defer cancel()
	ctx, err := pdfcpu.ReadWithContext(rctx, bytes.NewReader(data), &conf)
	if err != nil {
		if errors.Is(err, pdfcpu.ErrWrongPassword) {
			return nil, encrypted()
		}
		return nil, damaged(err)
	}
	x := ctx.XRefTable
	if x.Encrypt != nil || x.EncKey != nil {
		return nil, encrypted()
	}
	cp := &pdfCopier{x: x, base: base, nums: map[int]int{}}

	// The first page, and what it inherits from the page tree.
	var res, media, crop, rotate types.Object
	var page types.Dict
	var walk func(o types.Object, depth int) (bool, error)
	seen := map[int]bool{}
	walk = func(o types.Object, depth int) (bool, error) {
		if depth > maxPDFDepth {
			return false, errors.New("page tree too deep")
		}
		if r, ok := o.(types.IndirectRef); ok {
			if seen[r.ObjectNumber.Value()] {
				return false, errors.New("page tree loops")
			}
			seen[r.ObjectNumber.Value()] = true
		}
		d, err := x.DereferenceDict(o)
		if err != nil || d == nil {
			return false, err
		}
		inherit := func(key string, into *types.Object) {
			if v, ok := d[key]; ok && v != nil {
				*into = v
			}
		}
		oldRes, oldMedia, oldCrop, oldRot := res, media, crop, rotate
		inherit("Resources", &res)
		inherit("MediaBox", &media)
		inherit("CropBox", &crop)
		inherit("Rotate", &rotate)
		kids, hasKids := d["Kids"]
		if t := d.NameEntry("Type"); (t != nil && *t == "Page") || !hasKids {
			page = d
			return true, nil
		}
		arr, err := x.DereferenceArray(kids)
		if err != nil {
			return false, err
		}
		for _, k := range arr {
			found, err := walk(k, depth+1)
			if found || err != nil {
				return found, err
			}
		}
		res, media, crop, rotate = oldRes, oldMedia, oldCrop, oldRot
		return false, nil
	}
	if x.Root == nil {
		return nil, damaged(errors.New("no catalog"))
	}
	cat, err := x.DereferenceDict(*x.Root)
	if err != nil || cat == nil {
		return nil, damaged(err)
	}
	found, err := walk(cat["Pages"], 0)
	if err != nil {
		return nil, damaged(err)
	}
	if !found {
		return nil, errs.E(errs.Invalid, op, "the PDF file has no pages")
	}

	// The page's box, and the matrix that maps it, turned as /Rotate
	// asks, onto the unit square, where the background is drawn as an
	// image is.
	box, err := cp.rect(media)
	if err != nil || box == nil {
		return nil, errs.E(errs.Invalid, op, "the PDF page has no valid size (MediaBox)")
	}
	if cb, err := cp.rect(crop); err == nil && cb != nil {
		cb[0], cb[1] = max(cb[0], box[0]), max(cb[1], box[1])
		cb[2], cb[3] = min(cb[2], box[2]), min(cb[3], box[3])
		if cb[2]-cb[0] > 0.01 && cb[3]-cb[1] > 0.01 {
			box = cb
		}
	}
	rot := 0
	if rotate != nil {
		o, err := x.Dereference(rotate)
		if err != nil {
			return nil, damaged(err)
		}
		if n, ok := o.(types.Integer); ok {
			rot = ((n.Value() % 360) + 360) % 360
		}
		if rot%90 != 0 {
			return nil, errs.E(errs.Invalid, op, "the PDF page is turned by %d degrees; only multiples of 90 are allowed", rot)
		}
	}
	x0, y0, x1, y1 := box[0], box[1], box[2], box[3]
	w, h := x1-x0, y1-y0
	var m [6]float64
	switch rot {
	case 0:
		m = [6]float64{1 / w, 0, 0, 1 / h, -x0 / w, -y0 / h}
	case 90:
		m = [6]float64{0, -1 / w, 1 / h, 0, -y0 / h, x1 / w}
	case 180:
		m = [6]float64{-1 / w, 0, 0, -1 / h, x1 / w, y1 / h}
	case 270:
		m = [6]float64{0, 1 / w, -1 / h, 0, y1 / h, -x0 / w}
	}

	content, err := cp.pageContent(page["Contents"])
	if err != nil {
		return nil, err
	}

	// The form: object base; what it reaches follows.
	cp.out = append(cp.out, nil)
	var b []byte
	b = append(b, "<< /Type /XObject /Subtype /Form /FormType 1 /BBox ["...)
	for i, v := range box {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendReal(b, v)
	}
	b = append(b, "] /Matrix ["...)
	for i, v := range m {
		if i > 0 {
			b = append(b, ' ')
		}
		b = appendReal(b, v)
	}
	b = append(b, "] /Resources "...)
	if res == nil {
		b = append(b, "<< >>"...)
	} else if b, err = cp.value(b, res, 0); err != nil {
		return nil, err
	}
	if g, ok := page["Group"]; ok {
		b = append(b, " /Group "...)
		if b, err = cp.value(b, g, 0); err != nil {
			return nil, err
		}
	}
	z := deflateOnce(content)
	b = append(b, " /Filter /FlateDecode /Length "...)
	b = appendInt(b, len(z))
	b = append(b, " >>\nstream\n"...)
	b = append(b, z...)
	b = append(b, "\nendstream"...)
	cp.out[0] = b

	// Everything the form reaches, breadth first.
	for i := 0; i < len(cp.queue); i++ {
		body, err := cp.object(cp.queue[i])
		if err != nil {
			return nil, err
		}
		cp.out[i+1] = body
	}
	return &pdfPage{base: base, objs: cp.out}, nil
}

// draw returns the operators that draw the page over the box whose
// bottom-left corner is x, y (points), as drawImage draws an image.
func (p *pdfPage) draw(x, y, w, h float64) []byte {
	return appendDo(nil, p.base, x, y, w, h)
}

// write writes the objects into ow.
func (p *pdfPage) write(ow *objWriter) {
	for i, body := range p.objs {
		ow.begin(p.base + i)
		ow.buf = append(ow.buf, body...)
		ow.end()
	}
}

// pdfCopier copies objects out of a PDF file, giving each a new number.
type pdfCopier struct {
	x     *model.XRefTable
	base  int
	nums  map[int]int // source object number to new number
	queue []int       // source objects to copy, in the order numbered
	out   [][]byte
	size  int // bytes copied so far
}

// rect reads a rectangle [llx lly urx ury], normalised.
func (cp *pdfCopier) rect(o types.Object) ([]float64, error) {
	if o == nil {
		return nil, nil
	}
	a, err := cp.x.DereferenceArray(o)
	if err != nil || len(a) != 4 {
		return nil, errors.New("not a rectangle")
	}
	r := make([]float64, 4)
	for i, v := range a {
		f, err := cp.x.DereferenceNumber(v)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
			return nil, errors.New("not a rectangle")
		}
		r[i] = f
	}
	r[0], r[2] = min(r[0], r[2]), max(r[0], r[2])
	r[1], r[3] = min(r[1], r[3]), max(r[1], r[3])
	if r[2]-r[0] < 0.01 || r[3]-r[1] < 0.01 {
		return nil, errors.New("empty rectangle")
	}
	return r, nil
}

func (cp *pdfCopier) tooLarge() error {
	return errs.E(errs.Invalid, "pdf: read PDF background", "the PDF page is too complex to use as a background (more than %d objects or %d MB)", maxPDFObjects, (maxAssetBytes+maxPDFContent)>>20)
}

func (cp *pdfCopier) damaged(cause error) error {
	return &errs.Error{Kind: errs.Invalid, Op: "pdf: read PDF background", Message: "the PDF file is damaged", Err: cause}
}

// pageContent returns the page's content streams, decoded and joined.
func (cp *pdfCopier) pageContent(o types.Object) ([]byte, error) {
	o, err := cp.x.Dereference(o)
	if err != nil {
		return nil, cp.damaged(err)
	}
	var list []types.Object
	switch v := o.(type) {
	case nil:
	case types.StreamDict:
		list = append(list, v)
	case types.Array:
		list = v
	default:
		return nil, cp.damaged(errors.New("page content is neither a stream nor an array"))
	}
	var out []byte
	for _, s := range list {
		s, err := cp.x.Dereference(s)
		if err != nil {
			return nil, cp.damaged(err)
		}
		sd, ok := s.(types.StreamDict)
		if !ok {
			if s == nil {
				continue
			}
			return nil, cp.damaged(errors.New("page content is not a stream"))
		}
		data, err := decodeBounded(&sd, maxPDFContent-len(out))
		if err != nil {
			if e := errs.As(err); e != nil {
				return nil, err
			}
			return nil, cp.damaged(err)
		}
		out = append(out, data...)
		out = append(out, '\n')
	}
	return out, nil
}

// decodeBounded decodes a stream, refusing more than limit bytes. Flate
// without parameters (nearly every content stream) is inflated here with
// a bound; other filters are left to pdfcpu.
func decodeBounded(sd *types.StreamDict, limit int) ([]byte, error) {
	tooLarge := errs.E(errs.Invalid, "pdf: read PDF background", "the PDF page's content is larger than %d MB", maxPDFContent>>20)
	fpl := sd.FilterPipeline
	var data []byte
	switch {
	case len(fpl) == 0:
		data = sd.Raw
	case len(fpl) == 1 && fpl[0].Name == "FlateDecode" && len(fpl[0].DecodeParms) == 0:
		zr, err := zlib.NewReader(bytes.NewReader(sd.Raw))
		if err != nil {
			return nil, err
		}
		data, err = io.ReadAll(io.LimitReader(zr, int64(limit)+1))
		if err != nil {
			return nil, err
		}
	default:
		if err := sd.Decode(); err != nil {
			return nil, err
		}
		data = sd.Content
	}
	if len(data) > limit {
		return nil, tooLarge
	}
	return data, nil
}

// ref returns the new number of source object n, numbering it if new, or
// 0 if the reference is to be dropped (a missing object, or part of the
// document's structure: a page, the page tree, the catalog, an annotation).
func (cp *pdfCopier) ref(n int) (int, error) {
	if v, ok := cp.nums[n]; ok {
		return v, nil
	}
	o, err := cp.x.Dereference(*types.NewIndirectRef(n, 0))
	if err != nil || o == nil {
		cp.nums[n] = 0
		return 0, nil
	}
	var d types.Dict
	switch v := o.(type) {
	case types.Dict:
		d = v
	case types.StreamDict:
		d = v.Dict
	}
	if t := d.NameEntry("Type"); t != nil {
		switch *t {
		case "Page", "Pages", "Catalog", "Annot":
			cp.nums[n] = 0
			return 0, nil
		}
	}
	if len(cp.queue) >= maxPDFObjects {
		return 0, cp.tooLarge()
	}
	v := cp.base + 1 + len(cp.queue)
	cp.nums[n] = v
	cp.queue = append(cp.queue, n)
	cp.out = append(cp.out, nil)
	return v, nil
}

// object returns the body of a copy of source object n.
func (cp *pdfCopier) object(n int) ([]byte, error) {
	o, err := cp.x.Dereference(*types.NewIndirectRef(n, 0))
	if err != nil {
		return nil, cp.damaged(err)
	}
	var b []byte
	sd, ok := o.(types.StreamDict)
	if !ok {
		b, err = cp.value(nil, o, 0)
		cp.size += len(b)
		if err == nil && cp.size > maxAssetBytes+maxPDFContent {
			err = cp.tooLarge()
		}
		return b, err
	}
	d := types.Dict{}
	for k, v := range sd.Dict {
		d[k] = v
	}
	delete(d, "Length")
	b, err = cp.value(b, d, 0)
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-2] // ">>"
	b = append(b, "/Length "...)
	b = appendInt(b, len(sd.Raw))
	b = append(b, " >>\nstream\n"...)
	b = append(b, sd.Raw...)
	b = append(b, "\nendstream"...)
	cp.size += len(b)
	if cp.size > maxAssetBytes+maxPDFContent {
		return nil, cp.tooLarge()
	}
	return b, nil
}

// value appends a direct object in PDF syntax, references renumbered.
func (cp *pdfCopier) value(b []byte, o types.Object, depth int) ([]byte, error) {
	if depth > maxPDFDepth {
		return nil, cp.damaged(errors.New("objects nested too deeply"))
	}
	var err error
	switch v := o.(type) {
	case nil:
		b = append(b, "null"...)
	case types.Boolean:
		b = strconv.AppendBool(b, v.Value())
	case types.Integer:
		b = appendInt(b, v.Value())
	case types.Float:
		b = appendReal(b, v.Value())
	case types.Name:
		b = append(b, v.PDFString()...)
	case types.StringLiteral:
		b = append(b, v.PDFString()...)
	case types.HexLiteral:
		b = append(b, v.PDFString()...)
	case types.IndirectRef:
		n, err := cp.ref(v.ObjectNumber.Value())
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return append(b, "null"...), nil
		}
		b = appendInt(b, n)
		b = append(b, " 0 R"...)
	case types.Array:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ' ')
			}
			if b, err = cp.value(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	case types.Dict:
		b = append(b, "<<"...)
		keys := make([]string, 0, len(v))
		for k := range v {
			if k != "Parent" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			b = append(b, types.Name(k).PDFString()...)
			b = append(b, ' ')
			if b, err = cp.value(b, v[k], depth+1); err != nil {
				return nil, err
			}
			b = append(b, ' ')
		}
		b = append(b, ">>"...)
	default:
		b = append(b, "null"...)
	}
	return b, nil
}

// appendReal appends v with up to ten decimals, enough for a matrix that
// scales a page to the unit square.
func appendReal(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, '0')
	}
	s := strconv.AppendFloat(nil, v, 'f', 10, 64)
	if bytes.IndexByte(s, '.') >= 0 {
		s = bytes.TrimRight(s, "0")
		s = bytes.TrimSuffix(s, []byte("."))
	}
	if string(s) == "-0" {
		s = []byte("0")
	}
	return append(b, s...)
}
