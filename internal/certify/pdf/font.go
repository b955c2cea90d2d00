package pdf

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The shipped fonts: Noto Sans for Latin and common characters, Noto Sans
// Devanagari for Hindi, Marathi, Sanskrit and Nepali (SIL OFL 1.1, see
// fonts/OFL.txt).
var (
	//go:embed fonts/NotoSans-Regular.ttf
	notoSansRegular []byte
	//go:embed fonts/NotoSans-Bold.ttf
	notoSansBold []byte
	//go:embed fonts/NotoSansDevanagari-Regular.ttf
	notoDevaRegular []byte
	//go:embed fonts/NotoSansDevanagari-Bold.ttf
	notoDevaBold []byte
)

// maxFontBytes bounds the size of an authority's font file.
const maxFontBytes = 32 << 20

// fontFile is one parsed TrueType font, immutable after parsing and shared
// by every render: the shaping font, the glyph outlines (hinting
// instructions removed) and the tables a subset is built from.
type fontFile struct {
	name   string // the name templates use, for messages
	psName string // PostScript name, for /BaseFont
	otf    *font.Font

	upem      int
	numGlyphs int
	glyphs    [][]byte    // outline of each glyph without instructions, padded to 4 bytes
	glyphSum  []uint32    // TrueType checksum of each padded outline
	glyphZ    []bitString // each padded outline compressed with table
	table     *huffTable  // the deflate code for this font's subsets
	comps     [][]uint16  // components of each composite glyph
	adv       []uint16    // advance width of each glyph, font units
	lsb       []int16     // left side bearing of each glyph
	head      []byte      // head, hhea and maxp as read
	hhea      []byte
	maxp      []byte

	// For the font descriptor, in thousandths of an em.
	bbox                       [4]float64
	ascent, descent, capHeight float64
	italicAngle, stemV         float64
	flags                      int
	lineAscent, lineDescent    float64 // hhea, in em, for line boxes
	wscale                     float64 // 1000/upem
	widthCache                 []float64
	weightClass                int
	fixedPitch, italic, isBold bool

	// clusters caches which text each glyph of a multi-glyph cluster
	// stands for (see shaper.clusterMapping).
	clusters struct {
		mu sync.RWMutex // guards m
		m  map[string][]runeSpan
	}
}

// width is glyph g's advance as written in the /W array, in thousandths of
// an em, rounded to what the PDF shows so positions computed from it are
// exact.
func (f *fontFile) width(g uint16) float64 { return f.widthCache[g] }

// builtin holds the shipped fonts, parsed once.
var builtin struct {
	once                                     sync.Once
	sansRegular, sansBold, devaReg, devaBold *fontFile
	err                                      error
}

// builtinFonts parses the shipped fonts on first use.
func builtinFonts() error {
	builtin.once.Do(func() {
		load := func(name string, data []byte) *fontFile {
			f, err := parseFont(name, data)
			if err != nil && builtin.err == nil {
				builtin.err = fmt.Errorf("pdf: shipped font %s: %w", name, err)
			}
			return f
		}
		builtin.sansRegular = load("Noto Sans", notoSansRegular)
		builtin.sansBold = load("Noto Sans Bold", notoSansBold)
		builtin.devaReg = load("Noto Sans Devanagari", notoDevaRegular)
		builtin.devaBold = load("Noto Sans Devanagari Bold", notoDevaBold)
	})
	return builtin.err
}

// sfntTables maps table tags to their bytes in a font file.
type sfntTables map[string][]byte

// readTables reads the table directory of a single TrueType font.
func readTables(data []byte) (sfntTables, error) {
	const op = "pdf: read font"
	if len(data) < 12 {
		return nil, errs.E(errs.Invalid, op, "the file is too short to be a font")
	}
	switch string(data[:4]) {
	case "\x00\x01\x00\x00", "true":
	case "OTTO":
		return nil, errs.E(errs.Invalid, op, "it has PostScript (CFF) outlines; give a font with TrueType outlines (.ttf)")
	case "ttcf":
		return nil, errs.E(errs.Invalid, op, "it is a font collection; give a single font (.ttf)")
	case "wOFF", "wOF2":
		return nil, errs.E(errs.Invalid, op, "it is a web font (WOFF); give the TrueType file (.ttf)")
	default:
		return nil, errs.E(errs.Invalid, op, "it is not a TrueType font")
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if n == 0 || len(data) < 12+16*n {
		return nil, errs.E(errs.Invalid, op, "its table directory is damaged")
	}
	t := make(sfntTables, n)
	for i := range n {
		rec := data[12+16*i:]
		off, length := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(data)) {
			return nil, errs.E(errs.Invalid, op, "its table directory is damaged")
		}
		t[string(rec[:4])] = data[off : off+length]
	}
	for _, tag := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap"} {
		if _, ok := t[tag]; !ok {
			if tag == "glyf" || tag == "loca" {
				return nil, errs.E(errs.Invalid, op, "it has no TrueType outlines; give a font with TrueType outlines (.ttf)")
			}
			return nil, errs.E(errs.Invalid, op, "it lacks the required %s table", tag)
		}
	}
	return t, nil
}

// parseFont reads a TrueType font for shaping and subsetting. Problems are
// reported as Invalid errors whose message can be shown to the font's owner.
func parseFont(name string, data []byte) (f *fontFile, err error) {
	const op = "pdf: read font"
	if len(data) > maxFontBytes {
		return nil, errs.E(errs.Invalid, op, "the file is larger than %d MB", maxFontBytes>>20)
	}
	t, err := readTables(data)
	if err != nil {
		return nil, err
	}
	be := binary.BigEndian
	head, hhea, maxp := t["head"], t["hhea"], t["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errs.E(errs.Invalid, op, "its head, hhea or maxp table is damaged")
	}
	f = &fontFile{name: name}
	f.upem = int(be.Uint16(head[18:]))
	if f.upem < 16 || f.upem > 16384 {
		return nil, errs.E(errs.Invalid, op, "its units per em (%d) are out of range", f.upem)
	}
	f.numGlyphs = int(be.Uint16(maxp[4:]))
	nhm := int(be.Uint16(hhea[34:]))
	if f.numGlyphs == 0 || nhm == 0 || nhm > f.numGlyphs {
		return nil, errs.E(errs.Invalid, op, "its glyph counts are inconsistent")
	}
	if os2 := t["OS/2"]; len(os2) >= 10 {
		fsType := be.Uint16(os2[8:])
		// Bit 1 alone is "restricted licence embedding"; bit 8 forbids
		// subsetting. Either way the licence does not let us embed it.
		if fsType&0x000f == 0x0002 || fsType&0x0100 != 0 {
			return nil, errs.E(errs.Invalid, op, "its licence does not allow embedding a subset in documents")
		}
	}

	// Horizontal metrics of every glyph.
	hmtx := t["hmtx"]
	if len(hmtx) < 4*nhm+2*(f.numGlyphs-nhm) {
		return nil, errs.E(errs.Invalid, op, "its hmtx table is damaged")
	}
	f.adv = make([]uint16, f.numGlyphs)
	f.lsb = make([]int16, f.numGlyphs)
	for g := range f.numGlyphs {
		if g < nhm {
			f.adv[g] = be.Uint16(hmtx[4*g:])
			f.lsb[g] = int16(be.Uint16(hmtx[4*g+2:]))
		} else {
			f.adv[g] = f.adv[nhm-1]
			f.lsb[g] = int16(be.Uint16(hmtx[4*nhm+2*(g-nhm):]))
		}
	}

	if err := f.readGlyphs(t["loca"], t["glyf"], int16(be.Uint16(head[50:]))); err != nil {
		return nil, err
	}
	f.head = bytes.Clone(head[:54])
	f.hhea = bytes.Clone(hhea[:36])
	f.maxp = bytes.Clone(maxp)
	f.psName = postScriptName(t["name"], name)
	f.readDescriptor(t)

	// The shaping font. go-text sanitises the layout tables; a panic on a
	// damaged file is turned into an error rather than taking down the
	// server.
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, errs.E(errs.Invalid, op, "its layout tables are damaged")
		}
	}()
	face, perr := font.ParseTTF(bytes.NewReader(data))
	if perr != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "its layout tables are damaged", Err: perr}
	}
	f.otf = face.Font
	if int(f.otf.Upem()) != f.upem {
		return nil, errs.E(errs.Invalid, op, "its layout tables are damaged")
	}
	f.prepareCompression()
	return f, nil
}

// readGlyphs reads every glyph outline, removing the hinting instructions
// (PDF viewers rasterise without them, and they would cost bytes in every
// certificate) and noting the components of composite glyphs.
func (f *fontFile) readGlyphs(loca, glyf []byte, locFormat int16) error {
	const op = "pdf: read font"
	be := binary.BigEndian
	n := f.numGlyphs
	offset := func(i int) int {
		if locFormat == 0 {
			return 2 * int(be.Uint16(loca[2*i:]))
		}
		return int(be.Uint32(loca[4*i:]))
	}
	switch {
	case locFormat == 0 && len(loca) >= 2*(n+1):
	case locFormat == 1 && len(loca) >= 4*(n+1):
	default:
		return errs.E(errs.Invalid, op, "its loca table is damaged")
	}
	f.glyphs = make([][]byte, n)
	f.comps = make([][]uint16, n)
	out := make([]byte, 0, len(glyf))
	for g := range n {
		start, end := offset(g), offset(g+1)
		if start > end || end > len(glyf) {
			return errs.E(errs.Invalid, op, "its loca table is damaged")
		}
		if start == end {
			continue
		}
		from := len(out)
		var comps []uint16
		var ok bool
		out, comps, ok = stripGlyph(out, glyf[start:end])
		if !ok {
			return errs.E(errs.Invalid, op, "glyph %d is damaged", g)
		}
		for _, c := range comps {
			if int(c) >= n {
				return errs.E(errs.Invalid, op, "glyph %d is damaged", g)
			}
		}
		for (len(out)-from)%4 != 0 {
			out = append(out, 0)
		}
		f.glyphs[g] = out[from:len(out):len(out)]
		f.comps[g] = comps
	}
	return nil
}

// stripGlyph appends glyph data without its instructions to dst, cut to its
// exact length, and returns the components of a composite glyph.
func stripGlyph(dst, g []byte) ([]byte, []uint16, bool) {
	be := binary.BigEndian
	if len(g) < 10 {
		return dst, nil, false
	}
	nc := int(int16(be.Uint16(g)))
	if nc >= 0 {
		p := 10 + 2*nc
		if len(g) < p+2 {
			return dst, nil, false
		}
		nPoints := 0
		if nc > 0 {
			nPoints = int(be.Uint16(g[p-2:])) + 1
		}
		il := int(be.Uint16(g[p:]))
		q := p + 2 + il
		if q > len(g) {
			return dst, nil, false
		}
		// Walk the flags to find where the coordinates end.
		flags := q
		xBytes, yBytes := 0, 0
		for pt := 0; pt < nPoints; {
			if q >= len(g) {
				return dst, nil, false
			}
			fl := g[q]
			q++
			repeat := 1
			if fl&0x08 != 0 {
				if q >= len(g) {
					return dst, nil, false
				}
				repeat += int(g[q])
				q++
			}
			pt += repeat
			if pt > nPoints {
				return dst, nil, false
			}
			switch {
			case fl&0x02 != 0:
				xBytes += repeat
			case fl&0x10 == 0:
				xBytes += 2 * repeat
			}
			switch {
			case fl&0x04 != 0:
				yBytes += repeat
			case fl&0x20 == 0:
				yBytes += 2 * repeat
			}
		}
		end := q + xBytes + yBytes
		if end > len(g) {
			return dst, nil, false
		}
		dst = append(dst, g[:p]...)
		dst = append(dst, 0, 0)
		dst = append(dst, g[flags:end]...)
		return dst, nil, true
	}
	// A composite glyph: a list of components.
	const (
		argsAreWords = 0x0001
		haveScale    = 0x0008
		more         = 0x0020
		haveXYScale  = 0x0040
		have2x2      = 0x0080
		haveInstr    = 0x0100
	)
	from := len(dst)
	dst = append(dst, g[:10]...)
	var comps []uint16
	p := 10
	for {
		if p+4 > len(g) {
			return dst[:from], nil, false
		}
		fl := be.Uint16(g[p:])
		comps = append(comps, be.Uint16(g[p+2:]))
		size := 4
		if fl&argsAreWords != 0 {
			size += 4
		} else {
			size += 2
		}
		switch {
		case fl&haveScale != 0:
			size += 2
		case fl&haveXYScale != 0:
			size += 4
		case fl&have2x2 != 0:
			size += 8
		}
		if p+size > len(g) {
			return dst[:from], nil, false
		}
		at := len(dst)
		dst = append(dst, g[p:p+size]...)
		be.PutUint16(dst[at:], fl&^haveInstr)
		p += size
		if fl&more == 0 {
			break
		}
	}
	return dst, comps, true
}

// readDescriptor fills in the metrics of the PDF font descriptor.
func (f *fontFile) readDescriptor(t sfntTables) {
	be := binary.BigEndian
	s := 1000 / float64(f.upem)
	f.wscale = s
	head, hhea := t["head"], t["hhea"]
	for i := range 4 {
		f.bbox[i] = math.Round(float64(int16(be.Uint16(head[36+2*i:]))) * s)
	}
	asc, desc := float64(int16(be.Uint16(hhea[4:]))), float64(int16(be.Uint16(hhea[6:])))
	f.lineAscent, f.lineDescent = asc/float64(f.upem), desc/float64(f.upem)
	f.ascent, f.descent = math.Round(asc*s), math.Round(desc*s)
	f.capHeight = math.Round(asc * 0.7 * s)
	f.weightClass = 400
	macStyle := be.Uint16(head[44:])
	f.isBold = macStyle&1 != 0
	f.italic = macStyle&2 != 0
	if os2 := t["OS/2"]; len(os2) >= 6 {
		if w := int(be.Uint16(os2[4:])); w >= 1 && w <= 1000 {
			f.weightClass = w
		}
		if len(os2) >= 90 && be.Uint16(os2) >= 2 {
			if ch := int16(be.Uint16(os2[88:])); ch > 0 {
				f.capHeight = math.Round(float64(ch) * s)
			}
		}
	}
	if post := t["post"]; len(post) >= 16 {
		f.italicAngle = math.Round(float64(int32(be.Uint32(post[4:])))/65536*100) / 100
		f.fixedPitch = be.Uint32(post[12:]) != 0
	}
	// No font table holds the stem width; this is the usual estimate from
	// the weight class (400 gives 88, 700 gives 166).
	w := float64(f.weightClass) / 65
	f.stemV = math.Round(50 + w*w)
	// Symbolic: the glyphs are addressed by id, not by a standard encoding.
	f.flags = 4
	if f.fixedPitch {
		f.flags |= 1
	}
	if f.italic || f.italicAngle != 0 {
		f.flags |= 64
	}
	if f.isBold || f.weightClass >= 600 {
		f.flags |= 1 << 18 // ForceBold
	}
	f.widthCache = make([]float64, f.numGlyphs)
	for g, a := range f.adv {
		f.widthCache[g] = math.Round(float64(a)*s*1000) / 1000
	}
}

// works shapes a sample of the font's characters and reports whether
// that went through: go-text does not check every table of a font when
// reading it, and some damage shows only when shaping.
func (f *fontFile) works() bool {
	var sample []rune
	it := f.otf.Cmap.Iter()
	for tries := 0; tries < 4096 && len(sample) < 96 && it.Next(); tries++ {
		r, _ := it.Char()
		if r > ' ' {
			sample = append(sample, r)
		}
	}
	s := newShaper([]*fontFile{f})
	for _, lang := range []string{"", "hi", "en"} {
		var out shaped
		s.shape(&family{faces: []int{0}}, "Aa1 "+string(sample), language.NewLanguage(lang), &out)
		if out.broken != nil {
			return false
		}
	}
	return true
}

// postScriptName reads name id 6 from the name table, keeping only the
// characters a PDF name may hold without escapes; fallback is used when
// there is none.
func postScriptName(name []byte, fallback string) string {
	be := binary.BigEndian
	var found string
	if len(name) >= 6 {
		count, strOff := int(be.Uint16(name[2:])), int(be.Uint16(name[4:]))
		for i := range count {
			r := 6 + 12*i
			if r+12 > len(name) {
				break
			}
			platform, enc, id := be.Uint16(name[r:]), be.Uint16(name[r+2:]), be.Uint16(name[r+6:])
			length, off := int(be.Uint16(name[r+8:])), int(be.Uint16(name[r+10:]))
			if id != 6 || strOff+off+length > len(name) {
				continue
			}
			raw := name[strOff+off : strOff+off+length]
			switch {
			case platform == 3 && enc == 1 || platform == 0:
				u := make([]uint16, len(raw)/2)
				for j := range u {
					u[j] = be.Uint16(raw[2*j:])
				}
				found = string(utf16.Decode(u))
			case platform == 1 && enc == 0:
				found = string(raw)
			}
			if found != "" {
				break
			}
		}
	}
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r > ' ' && r < 0x7f && !strings.ContainsRune("[](){}<>/%#", r) {
				b.WriteRune(r)
			}
			if b.Len() >= 63 {
				break
			}
		}
		return b.String()
	}
	if s := clean(found); s != "" {
		return s
	}
	if s := clean(fallback); s != "" {
		return s
	}
	return "Font"
}
