package pdf

import (
	"math"
	"strings"

	"github.com/go-text/typesetting/language"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// textBox is a compiled text element: where and how its text is set.
type textBox struct {
	index         int    // element index, for messages
	field         string // bound data field, or "" for static text
	fam           int    // index into Compiled.fams
	lang          language.Language
	x, top, w, h  float64 // points; top is measured from the page's bottom edge
	size, minSize float64
	lineH         float64 // multiple of size
	colour        uint32
	align, valign string
	wrap, shrink  bool
	maxLines      int
}

// line is one laid-out line: glyphs [from, to) of the shaped text, its width
// in em (without trailing spaces) and the text it shows.
type line struct {
	from, to int
	width    float64
	text     string
}

// lineCap returns how many lines fit at size.
func (b *textBox) lineCap(size float64) int {
	n := b.maxLines
	if !b.wrap {
		return 1
	}
	if b.h > 0 {
		byHeight := int(math.Floor(b.h/(b.lineH*size) + 1e-9))
		if n == 0 || byHeight < n {
			n = byHeight
		}
	}
	if n <= 0 {
		if b.h > 0 {
			return 0
		}
		return math.MaxInt
	}
	return n
}

// breakLines lays sh out in lines no wider than maxEm. Without wrap each
// paragraph is one line. With emergency, a word wider than the line is
// broken between clusters; otherwise it overflows and fits is false.
func breakLines(sh *shaped, maxEm float64, wrap, emergency bool, dst []line) (lines []line, fits bool) {
	fits = true
	gs := sh.glyphs
	for p := range sh.paras {
		ps := int(sh.paras[p])
		pe := len(gs)
		if p+1 < len(sh.paras) {
			pe = int(sh.paras[p+1])
		}
		start := ps
		var width float64 // of [start, i)
		brk, brkWidth := -1, 0.0
		for i := ps; i < pe; i++ {
			g := &gs[i]
			if wrap && i > start && g.flags&gBreak != 0 && g.flags&gClusterStart != 0 {
				brk, brkWidth = i, trimmedWidth(gs, start, i)
			}
			if wrap && g.flags&gSpace == 0 && width+float64(g.adv) > maxEm+1e-9 && i > start {
				switch {
				case brk > start:
					dst = appendLine(dst, sh, start, brk, brkWidth, pe)
					start = brk
					width = sumWidth(gs, start, i)
					brk = -1
				case emergency && g.flags&gClusterStart != 0:
					dst = appendLine(dst, sh, start, i, trimmedWidth(gs, start, i), pe)
					start = i
					width = 0
					brk = -1
				}
			}
			width += float64(g.adv)
		}
		w := trimmedWidth(gs, start, pe)
		dst = appendLine(dst, sh, start, pe, w, pe)
	}
	for _, l := range dst {
		if l.width > maxEm+1e-9 {
			fits = false
		}
	}
	return dst, fits
}

func sumWidth(gs []sglyph, from, to int) float64 {
	var w float64
	for _, g := range gs[from:to] {
		w += float64(g.adv)
	}
	return w
}

// trimmedWidth is the width of glyphs [from, to) without trailing spaces.
func trimmedWidth(gs []sglyph, from, to int) float64 {
	for to > from && gs[to-1].flags&gSpace != 0 {
		to--
	}
	return sumWidth(gs, from, to)
}

// appendLine adds glyphs [from, to) as a line, with its text: from the
// first cluster to the next line's first cluster, trailing spaces trimmed.
func appendLine(dst []line, sh *shaped, from, to int, width float64, paraEnd int) []line {
	var text string
	if from < to {
		end := len(sh.text)
		if to < len(sh.glyphs) {
			end = int(sh.glyphs[to].cluster)
		}
		if to == paraEnd {
			// The paragraph ends at the newline, or the end of the text.
			if i := strings.IndexByte(sh.text[sh.glyphs[from].cluster:], '\n'); i >= 0 {
				end = int(sh.glyphs[from].cluster) + i
			} else {
				end = len(sh.text)
			}
		}
		start := int(sh.glyphs[from].cluster)
		if start <= end {
			text = strings.TrimRight(sh.text[start:end], " \t\u3000")
		}
	}
	return append(dst, line{from: from, to: to, width: width, text: text})
}

// fit chooses the font size and lines for sh in box b: the template's size
// if the text fits, otherwise (with shrink) smaller down to the minimum.
// It fails when the text cannot fit and the template asked that it fit.
func (b *textBox) fit(sh *shaped, dst []line) ([]line, float64, error) {
	size := b.size
	for {
		maxEm := b.w / size
		lines, fits := breakLines(sh, maxEm, b.wrap, false, dst[:0])
		dst = lines
		if fits && len(lines) <= b.lineCap(size) {
			return lines, size, nil
		}
		if !b.shrink || size <= b.minSize {
			break
		}
		next := size * 0.95
		if !b.wrap && len(lines) == 1 && lines[0].width > 0 {
			// One line: the size that fits follows directly.
			next = math.Min(next, math.Floor(b.w/lines[0].width*100)/100)
		}
		size = math.Max(next, b.minSize)
	}
	if b.wrap {
		lines, _ := breakLines(sh, b.w/size, true, true, dst[:0])
		if len(lines) <= b.lineCap(size) {
			return lines, size, nil
		}
		dst = lines
	}
	if !b.wrap && !b.shrink {
		return dst, size, nil // no fitting was asked for: the line may overflow its box
	}
	var e *errs.Error
	if b.field == "" {
		e = errs.E(errs.Invalid, "pdf: render", "the text does not fit in its box, even at %g pt", round2(size))
	} else {
		e = errs.E(errs.Invalid, "pdf: render", "%s does not fit in its box on the certificate (element %d), even at %g pt", b.field, b.index, round2(size))
	}
	e.Code = "text-does-not-fit"
	return nil, 0, e
}

// lineStart returns where line k of n lines set at size starts, given its
// width in em: the x of its first glyph's origin and its baseline, in
// points from the page's bottom-left corner. The PDF and the preview both
// place lines with it.
func (b *textBox) lineStart(fam *family, width float64, k, n int, size float64) (x, baseline float64) {
	lineH := b.lineH * size
	top := b.top
	if b.h > 0 && b.valign != "" && b.valign != "top" {
		free := b.h - float64(n)*lineH
		if b.valign == "middle" {
			free /= 2
		}
		top -= free
	}
	halfLeading := (lineH - (fam.ascent-fam.descent)*size) / 2
	baseline = top - float64(k)*lineH - halfLeading - fam.ascent*size
	x = b.x
	switch b.align {
	case "center":
		x += (b.w - width*size) / 2
	case "right":
		x += b.w - width*size
	}
	return x, baseline
}

// emitText appends the content-stream operators that draw lines of sh at
// size, records the glyphs used, and returns the new content.
func (st *renderState) emitText(dst []byte, c *Compiled, b *textBox, sh *shaped, lines []line, size float64) []byte {
	fam := &c.fams[b.fam]
	dst = append(dst, "q\n"...)
	dst = appendColour(dst, b.colour, "rg")
	dst = append(dst, "\nBT\n"...)
	curFace := -1
	for k, l := range lines {
		if l.from >= l.to {
			continue
		}
		x, baseline := b.lineStart(fam, l.width, k, len(lines), size)
		dst = append(dst, "/Span <</ActualText "...)
		dst = appendTextString(dst, l.text)
		dst = append(dst, ">> BDC\n1 0 0 1 "...)
		dst = appendNum(dst, x)
		dst = append(dst, ' ')
		dst = appendNum(dst, baseline)
		dst = append(dst, " Tm\n"...)
		dst, curFace = st.emitGlyphs(dst, c, sh.glyphs[l.from:trimSpaces(sh.glyphs, l.from, l.to)], size, curFace)
		dst = append(dst, "EMC\n"...)
	}
	return append(dst, "ET\nQ\n"...)
}

// trimSpaces returns the end of glyphs [from, to) without trailing spaces.
func trimSpaces(gs []sglyph, from, to int) int {
	for to > from && gs[to-1].flags&gSpace != 0 {
		to--
	}
	return to
}

// emitGlyphs appends TJ arrays that place each glyph where the shaper put
// it: the pen moves by the shaped advances, and each gap between that and
// the font's own advance becomes a TJ adjustment; vertical offsets (marks
// stacked by GPOS) become a text rise.
func (st *renderState) emitGlyphs(dst []byte, c *Compiled, gs []sglyph, size float64, curFace int) ([]byte, int) {
	var pen, cur, rise float64 // points from the line's start; cur is where the text position is
	open, hex := false, false
	closeArray := func() {
		if hex {
			dst = append(dst, '>')
			hex = false
		}
		if open {
			dst = append(dst, "] TJ\n"...)
			open = false
		}
	}
	for i := range gs {
		g := &gs[i]
		f := c.faces[g.face]
		st.use[g.face].mark(g.gid, g.uni, g.prio)
		if int(g.face) != curFace {
			closeArray()
			dst = append(dst, "/F"...)
			dst = appendInt(dst, int(g.face)+1)
			dst = append(dst, ' ')
			dst = appendNum(dst, size)
			dst = append(dst, " Tf\n"...)
			curFace = int(g.face)
		}
		drawX := pen + float64(g.dx)*size
		if r := math.Round(float64(g.dy)*size*1000) / 1000; r != rise {
			closeArray()
			dst = appendNum(dst, r)
			dst = append(dst, " Ts\n"...)
			rise = r
		}
		if !open {
			dst = append(dst, '[')
			open = true
		}
		if adj := math.Round(-(drawX-cur)*1000/size*1000) / 1000; adj != 0 {
			if hex {
				dst = append(dst, '>')
				hex = false
			}
			dst = appendNum(dst, adj)
			cur -= adj * size / 1000
		}
		if !hex {
			dst = append(dst, '<')
			hex = true
		}
		dst = appendHex4(dst, g.gid)
		cur += f.width(g.gid) * size / 1000
		pen += float64(g.adv) * size
	}
	closeArray()
	if rise != 0 {
		dst = append(dst, "0 Ts\n"...)
	}
	return dst, curFace
}
