package pdf

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// Priorities of a glyph's text for the ToUnicode map: a glyph may stand for
// different text in different places (one id, one entry), so the entry
// keeps the most telling source seen.
const (
	uniNominal  = 1 // the glyph is the font's own glyph for the character
	uniCluster  = 2 // the glyph alone stands for its cluster (a conjunct)
	uniLeftover = 3 // the glyph carries characters no other glyph took
)

// maxUniText bounds the text of one ToUnicode entry: the CMap syntax allows
// at most 512 bytes.
const maxUniText = 120

// uniText is the text a glyph stands for and how sure we are of it.
type uniText struct {
	text string
	prio uint8
}

// glyphUse records which glyphs of one font a document draws, and the text
// each stands for. It is reused from document to document.
type glyphUse struct {
	f     *fontFile
	shown []uint64 // bitset: glyphs drawn
	all   []uint64 // bitset: drawn, .notdef and components
	list  []uint16 // the members of all, in the order added
	uniAt []uint16 // by glyph: 1 + index into unis, or 0
	unis  []uniText
	used  bool
}

func newGlyphUse(f *fontFile) *glyphUse {
	w := (f.numGlyphs + 63) / 64
	return &glyphUse{f: f, shown: make([]uint64, w), all: make([]uint64, w), uniAt: make([]uint16, f.numGlyphs)}
}

// reset forgets the previous document.
func (u *glyphUse) reset() {
	for _, g := range u.list {
		u.shown[g>>6], u.all[g>>6] = 0, 0
		u.uniAt[g] = 0
	}
	clear(u.unis) // drop the strings
	u.unis = u.unis[:0]
	u.list = u.list[:0]
	u.used = false
}

// uni returns the text glyph g stands for, if any.
func (u *glyphUse) uni(g uint16) uniText {
	if i := u.uniAt[g]; i > 0 {
		return u.unis[i-1]
	}
	return uniText{}
}

// mark records that glyph g is drawn, standing for text with priority prio
// (0: no text).
func (u *glyphUse) mark(g uint16, text string, prio uint8) {
	if int(g) >= len(u.uniAt) {
		return
	}
	u.used = true
	if u.all[g>>6]&(1<<(g&63)) == 0 {
		u.all[g>>6] |= 1 << (g & 63)
		u.list = append(u.list, g)
	}
	u.shown[g>>6] |= 1 << (g & 63)
	if prio != 0 && text != "" {
		switch i := u.uniAt[g]; {
		case i == 0:
			u.unis = append(u.unis, uniText{text: text, prio: prio})
			u.uniAt[g] = uint16(len(u.unis))
		case prio < u.unis[i-1].prio:
			u.unis[i-1] = uniText{text: text, prio: prio}
		}
	}
}

// close adds .notdef and the components of composite glyphs, and returns
// the number of glyphs the subset keeps (the highest id used plus one).
func (u *glyphUse) close() int {
	add := func(g uint16) {
		if u.all[g>>6]&(1<<(g&63)) == 0 {
			u.all[g>>6] |= 1 << (g & 63)
			u.list = append(u.list, g)
		}
	}
	add(0)
	maxG := 0
	for i := 0; i < len(u.list); i++ {
		g := u.list[i]
		if int(g) > maxG {
			maxG = int(g)
		}
		for _, c := range u.f.comps[g] {
			add(c)
		}
	}
	return maxG + 1
}

// tag derives the six-letter subset tag from the set of glyphs drawn, so
// that different subsets of one font in different files get different names.
func (u *glyphUse) tag() [6]byte {
	h := uint64(14695981039346656037)
	for _, w := range u.shown {
		for range 8 {
			h ^= w & 0xff
			h *= 1099511628211
			w >>= 8
		}
	}
	var t [6]byte
	for i := range t {
		t[i] = 'A' + byte(h%26)
		h /= 26
	}
	return t
}

// subsetTables lays out the subset font program: the table directory,
// then glyf (the drawn glyphs and their components at their original ids,
// the other ids empty), then head, hhea, hmtx, loca and maxp, which it
// appends to tail. It returns the directory, the new tail and the length
// of glyf. close must have been called; n is its result.
func (u *glyphUse) subsetTables(tail []byte, n int) (dir [dirLen]byte, tailOut []byte, glyfLen int, parts tailParts) {
	be := binary.BigEndian
	f := u.f
	var glyfSum uint32
	for g := range n {
		if u.has(g) {
			glyfLen += len(f.glyphs[g])
			glyfSum += f.glyphSum[g]
		}
	}
	short := glyfLen <= 0x1fffe
	locaLen := 4 * (n + 1)
	if short {
		locaLen = 2 * (n + 1)
	}
	pad4 := func(x int) int { return (x + 3) &^ 3 }
	type table struct {
		tag       string
		off, size int // off within the tail
	}
	tabs := [5]table{
		{tag: "head", size: 54},
		{tag: "hhea", size: 36},
		{tag: "hmtx", size: 4 * n},
		{tag: "loca", size: locaLen},
		{tag: "maxp", size: len(f.maxp)},
	}
	total := 0
	for i := range tabs {
		tabs[i].off = total
		total += pad4(tabs[i].size)
	}
	start := len(tail)
	tail = append(tail, make([]byte, total)...)
	b := tail[start:]

	head := b[tabs[0].off:]
	copy(head, f.head)
	be.PutUint32(head[8:], 0) // checkSumAdjustment, set below
	if short {
		be.PutUint16(head[50:], 0)
	} else {
		be.PutUint16(head[50:], 1)
	}
	hhea := b[tabs[1].off:]
	copy(hhea, f.hhea)
	be.PutUint16(hhea[34:], uint16(n)) // every kept glyph has its own metric
	hb := b[tabs[2].off:]
	lb := b[tabs[3].off:]
	off := 0
	for g := range n {
		if short {
			be.PutUint16(lb[2*g:], uint16(off/2))
		} else {
			be.PutUint32(lb[4*g:], uint32(off))
		}
		if u.has(g) {
			off += len(f.glyphs[g])
			be.PutUint16(hb[4*g:], f.adv[g])
			be.PutUint16(hb[4*g+2:], uint16(f.lsb[g]))
		}
	}
	if short {
		be.PutUint16(lb[2*n:], uint16(off/2))
	} else {
		be.PutUint32(lb[4*n:], uint32(off))
	}
	copy(b[tabs[4].off:], f.maxp)
	be.PutUint16(b[tabs[4].off+4:], uint16(n))

	// The directory, tables in tag order: glyf first, right after it.
	be.PutUint32(dir[0:], 0x00010000)
	be.PutUint16(dir[4:], 6)
	be.PutUint16(dir[6:], 64) // search parameters for 6 tables
	be.PutUint16(dir[8:], 2)
	be.PutUint16(dir[10:], 6*16-64)
	record := func(i int, tag string, sum uint32, off, size int) {
		r := dir[12+16*i:]
		copy(r, tag)
		be.PutUint32(r[4:], sum)
		be.PutUint32(r[8:], uint32(off))
		be.PutUint32(r[12:], uint32(size))
	}
	record(0, "glyf", glyfSum, dirLen, glyfLen)
	whole := glyfSum
	for i, t := range tabs {
		sum := checksum(b[t.off : t.off+pad4(t.size)])
		whole += sum
		record(i+1, t.tag, sum, dirLen+glyfLen+t.off, t.size)
	}
	whole += checksum(dir[:])
	be.PutUint32(head[8:], 0xB1B0AFBA-whole)
	parts = tailParts{hmtx: tabs[2].off, loca: tabs[3].off, maxp: tabs[4].off, locaEntry: 4}
	if short {
		parts.locaEntry = 2
	}
	return dir, tail, glyfLen, parts
}

// tailParts says where hmtx, loca and maxp start in a subset's tail, and
// the size of a loca entry.
type tailParts struct {
	hmtx, loca, maxp, locaEntry int
}

// dirLen is the size of a subset's table directory: six tables.
const dirLen = 12 + 6*16

func (u *glyphUse) has(g int) bool { return u.all[g>>6]&(1<<(g&63)) != 0 }

// writeProgram adds the subset font program to z, whose table is the
// font's, and returns its uncompressed length. The glyph outlines are
// spliced in already compressed. close must have been called; n is its
// result.
func (u *glyphUse) writeProgram(z *zstream, n int, scratch []byte) (int, []byte) {
	dir, tail, glyfLen, p := u.subsetTables(scratch[:0], n)
	z.runs(dir[:])
	for g := range n {
		if u.has(g) && len(u.f.glyphs[g]) > 0 {
			z.splice(&u.f.glyphZ[g])
		}
	}
	z.runs(tail[:p.hmtx])
	z.entries(tail[p.hmtx:p.loca], 4)
	z.entries(tail[p.loca:p.maxp], p.locaEntry)
	z.runs(tail[p.maxp:])
	return dirLen + glyfLen + len(tail), tail
}

// prepareCompression builds the font's deflate table from its glyphs and
// from sample subsets, and compresses every glyph with it.
func (f *fontFile) prepareCompression() {
	var c symbolCounter
	var m matcher
	f.glyphSum = make([]uint32, f.numGlyphs)
	for g, data := range f.glyphs {
		f.glyphSum[g] = checksum(data)
		m.encode(data, counting(&c))
	}
	// The rest of a subset: runs of zeros and repeated offsets. Sample
	// subsets of 40 glyphs stand for it, weighted as in a typical file.
	u := newGlyphUse(f)
	for k := range 8 {
		u.reset()
		for i := range 40 {
			u.mark(uint16((i*37+k*11)%min(f.numGlyphs, 600)), "", 0)
		}
		n := u.close()
		dir, tail, _, p := u.subsetTables(nil, n)
		for range 1 + f.numGlyphs/400 {
			encodeRuns(dir[:], counting(&c))
			encodeRuns(tail[:p.hmtx], counting(&c))
			encodeEntries(tail[p.hmtx:p.loca], 4, counting(&c))
			encodeEntries(tail[p.loca:p.maxp], p.locaEntry, counting(&c))
			encodeRuns(tail[p.maxp:], counting(&c))
		}
	}
	f.table = c.table()
	f.glyphZ = make([]bitString, f.numGlyphs)
	for g, data := range f.glyphs {
		if len(data) > 0 {
			f.glyphZ[g] = precompress(data, f.table, &m)
		}
	}
}

// checksum is the TrueType table checksum of b, whose length is a
// multiple of four.
func checksum(b []byte) uint32 {
	var s uint32
	for len(b) >= 4 {
		s += binary.BigEndian.Uint32(b)
		b = b[4:]
	}
	return s
}

// forShown calls fn for each drawn glyph in ascending order.
func (u *glyphUse) forShown(fn func(g uint16)) {
	for i, w := range u.shown {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			fn(uint16(i*64 + b))
			w &^= 1 << b
		}
	}
}

// appendWidths appends the /W array of the drawn glyphs, runs of
// consecutive ids sharing one inner array.
func (u *glyphUse) appendWidths(dst []byte) []byte {
	dst = append(dst, '[')
	next := -2
	u.forShown(func(g uint16) {
		if int(g) != next {
			if next >= 0 {
				dst = append(dst, "] "...)
			}
			dst = appendInt(dst, int(g))
			dst = append(dst, " ["...)
		} else {
			dst = append(dst, ' ')
		}
		dst = appendNum(dst, u.f.width(g))
		next = int(g) + 1
	})
	if next >= 0 {
		dst = append(dst, ']')
	}
	return append(dst, ']')
}

const toUnicodeHead = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
	"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n" +
	"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n" +
	"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"

const toUnicodeTail = "endcmap\nCMapName currentdict /CMapType get /CMap defineresource pop\nend\nend\n"

// appendToUnicode appends the ToUnicode CMap of the drawn glyphs.
func (u *glyphUse) appendToUnicode(dst []byte) []byte {
	dst = append(dst, toUnicodeHead...)
	var batch [100]uint16
	n := 0
	flush := func() {
		if n == 0 {
			return
		}
		dst = appendInt(dst, n)
		dst = append(dst, " beginbfchar\n"...)
		for _, g := range batch[:n] {
			dst = append(dst, '<')
			dst = appendHex4(dst, g)
			dst = append(dst, "> <"...)
			dst = appendUTF16Hex(dst, u.uni(g).text, maxUniText)
			dst = append(dst, ">\n"...)
		}
		dst = append(dst, "endbfchar\n"...)
		n = 0
	}
	u.forShown(func(g uint16) {
		if u.uni(g).text == "" {
			return
		}
		batch[n] = g
		n++
		if n == len(batch) {
			flush()
		}
	})
	flush()
	return append(dst, toUnicodeTail...)
}

const hexDigits = "0123456789ABCDEF"

func appendHex4(dst []byte, v uint16) []byte {
	return append(dst, hexDigits[v>>12], hexDigits[v>>8&15], hexDigits[v>>4&15], hexDigits[v&15])
}

// appendUTF16Hex appends s as UTF-16BE hex digits, at most max code units.
func appendUTF16Hex(dst []byte, s string, max int) []byte {
	n := 0
	for _, r := range s {
		if r == utf8.RuneError {
			r = 0xFFFD
		}
		if r >= 0x10000 {
			if n+2 > max {
				break
			}
			r1, r2 := utf16.EncodeRune(r)
			dst = appendHex4(dst, uint16(r1))
			dst = appendHex4(dst, uint16(r2))
			n += 2
			continue
		}
		if n+1 > max {
			break
		}
		dst = appendHex4(dst, uint16(r))
		n++
	}
	return dst
}
