package pdf

import (
	"crypto/sha256"
	"encoding"
	"io"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"rsc.io/qr/coding"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// renderState is the scratch space of one render, reused from render to
// render of one template so that a render allocates little.
type renderState struct {
	sh      *shaper
	scratch shaped
	lines   []line
	use     []*glyphUse // by face
	content []byte      // the content of one dynamic element
	tail    []byte      // subset font tables
	small   []byte      // ToUnicode maps
	res     []byte      // the page's font resources
	zout    []byte      // a compressed stream
	idBuf   []byte
	qr      qrCode
	m       matcher
	z       zstream
	ow      objWriter
}

func newRenderState(c *Compiled) *renderState {
	st := &renderState{sh: newShaper(c.faces)}
	for _, f := range c.faces {
		st.use = append(st.use, newGlyphUse(f))
	}
	return st
}

func (st *renderState) resetUse() {
	for _, u := range st.use {
		u.reset()
	}
}

// statePool keeps render states for reuse. Unlike a sync.Pool it is not
// emptied by garbage collection: a state holds HarfBuzz fonts that are
// costly to rebuild.
type statePool struct {
	mu   sync.Mutex // guards free
	free []*renderState
}

func (p *statePool) get(c *Compiled) *renderState {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		st := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return st
	}
	p.mu.Unlock()
	return newRenderState(c)
}

func (p *statePool) put(st *renderState) {
	// A state that grew very large for one odd certificate is dropped
	// rather than kept.
	if cap(st.content) > 4<<20 || cap(st.tail) > 4<<20 || cap(st.zout) > 8<<20 {
		return
	}
	p.mu.Lock()
	if len(p.free) < 4*runtime.GOMAXPROCS(0) {
		p.free = append(p.free, st)
	}
	p.mu.Unlock()
}

// Render writes one complete PDF certificate to w: the template filled with
// data (a value for every field the template shows) and, if the template
// has a QR code, qrPayload encoded in it. It is safe to call concurrently.
func (c *Compiled) Render(w io.Writer, data map[string]string, qrPayload string) error {
	const op = "pdf: render"
	st := c.pool.get(c)
	defer c.pool.put(st)
	if err := c.render(st, data, qrPayload); err != nil {
		return err
	}
	if _, err := w.Write(c.prefix); err != nil {
		return errs.Wrap(op+": write", err)
	}
	if _, err := w.Write(st.ow.buf); err != nil {
		return errs.Wrap(op+": write", err)
	}
	return nil
}

// Parts is one rendered PDF in two parts, Head followed by Tail.
type Parts struct {
	// Head is the start of the file, the same in every file of the
	// template: its header and images. It is shared; never modify it.
	Head []byte
	// Tail is the rest of the file, this certificate's own.
	Tail []byte
	// SHA256 is the hash of the whole file, Head and Tail.
	SHA256 [32]byte
}

// RenderParts renders as Render does, appending the file's own part to
// tail, and returns the file in its parts and its SHA-256. It costs less
// than Render and hashing the result: the head is neither copied nor
// hashed again.
func (c *Compiled) RenderParts(tail []byte, data map[string]string, qrPayload string) (Parts, error) {
	st := c.pool.get(c)
	defer c.pool.put(st)
	if err := c.render(st, data, qrPayload); err != nil {
		return Parts{}, err
	}
	p := Parts{Head: c.prefix[:len(c.prefix):len(c.prefix)], Tail: append(tail, st.ow.buf...)}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(c.prefixSum); err != nil {
		return Parts{}, errs.Wrap("pdf: render", err)
	}
	h.Write(p.Tail[len(tail):])
	h.Sum(p.SHA256[:0])
	return p, nil
}

// render lays out one file in st.ow.buf, everything after c.prefix.
func (c *Compiled) render(st *renderState, data map[string]string, qrPayload string) error {
	st.resetUse()

	z := &st.z
	z.begin(st.zout[:0], contentCode(), &st.m)
	haveCode := false
	var codeLevel coding.Level
	for i := range c.items {
		it := &c.items[i]
		switch it.kind {
		case itemStatic:
			z.splice(&it.bits)
			for _, m := range it.marks {
				st.use[m.face].mark(m.gid, m.uni, m.prio)
			}
		case itemText:
			val, err := fieldValue(data, it.text)
			if err != nil {
				return err
			}
			if st.content, err = st.text(st.content[:0], c, it.text, val); err != nil {
				return err
			}
			z.data(st.content)
		case itemQR:
			if !haveCode || it.qr.level != codeLevel {
				if err := encodePayload(&st.qr, qrPayload, it.qr.level); err != nil {
					return err
				}
				haveCode, codeLevel = true, it.qr.level
			}
			st.content = appendQR(st.content[:0], it.qr, &st.qr, z.sink())
			z.tokens(st.content)
		}
	}

	ow := &st.ow
	ow.reset(firstImage+len(c.imgOffs), len(c.prefix))
	copy(ow.offsets[firstImage:], c.imgOffs)
	st.zout = z.end()
	ow.stream(objContent, "/Filter /FlateDecode", st.zout)

	// The fonts: for each one used, a Type 0 font, its CIDFontType2
	// descendant, the descriptor, the subset program and the ToUnicode map.
	next := len(ow.offsets)
	res := st.res[:0]
	for fi, u := range st.use {
		if !u.used {
			continue
		}
		res = append(res, " /F"...)
		res = appendInt(res, fi+1)
		res = append(res, ' ')
		res = appendInt(res, next)
		res = append(res, " 0 R"...)
		st.writeFont(ow, c.faces[fi], u, next)
		next += 5
	}
	st.res = res

	ow.begin(objPage)
	ow.buf = append(ow.buf, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 "...)
	ow.buf = appendNum(ow.buf, c.pageW)
	ow.buf = append(ow.buf, ' ')
	ow.buf = appendNum(ow.buf, c.pageH)
	ow.buf = append(ow.buf, "] /Resources <<"...)
	if len(res) > 0 {
		ow.buf = append(ow.buf, " /Font <<"...)
		ow.buf = append(ow.buf, res...)
		ow.buf = append(ow.buf, " >>"...)
	}
	ow.buf = append(ow.buf, c.xobjects...)
	ow.buf = append(ow.buf, " >> /Contents 5 0 R >>"...)
	ow.end()
	ow.begin(objPages)
	ow.buf = append(ow.buf, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"...)
	ow.end()
	ow.begin(objCatalog)
	ow.buf = append(ow.buf, "<< /Type /Catalog /Pages 2 0 R >>"...)
	ow.end()
	ow.begin(objInfo)
	ow.buf = append(ow.buf, "<< /Producer (Vidya) >>"...)
	ow.end()
	id := st.docID(c, data, qrPayload)
	ow.finish(objCatalog, objInfo, id[:16])
	return nil
}

// docID is the file identifier: a hash of the template and the data shown,
// so the same certificate rendered twice has the same identifier.
func (st *renderState) docID(c *Compiled, data map[string]string, qrPayload string) [32]byte {
	b := append(st.idBuf[:0], c.digest[:]...)
	for _, f := range c.fields {
		b = append(b, f...)
		b = append(b, 0)
		b = append(b, data[f]...)
		b = append(b, 0)
	}
	b = append(b, qrPayload...)
	st.idBuf = b
	return sha256.Sum256(b)
}

// writeFont writes the five objects of one subset font, numbered from n.
func (st *renderState) writeFont(ow *objWriter, f *fontFile, u *glyphUse, n int) {
	tag := u.tag()
	name := func() {
		ow.buf = append(ow.buf, '/')
		ow.buf = append(ow.buf, tag[:]...)
		ow.buf = append(ow.buf, '+')
		ow.buf = append(ow.buf, f.psName...)
	}
	ref := func(k int) {
		ow.buf = append(ow.buf, ' ')
		ow.buf = appendInt(ow.buf, k)
		ow.buf = append(ow.buf, " 0 R"...)
	}
	ow.begin(n)
	ow.buf = append(ow.buf, "<< /Type /Font /Subtype /Type0 /BaseFont "...)
	name()
	ow.buf = append(ow.buf, " /Encoding /Identity-H /DescendantFonts ["...)
	ref(n + 1)
	ow.buf = append(ow.buf, " ] /ToUnicode"...)
	ref(n + 4)
	ow.buf = append(ow.buf, " >>"...)
	ow.end()

	ow.begin(n + 1)
	ow.buf = append(ow.buf, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont "...)
	name()
	ow.buf = append(ow.buf, " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor"...)
	ref(n + 2)
	ow.buf = append(ow.buf, " /CIDToGIDMap /Identity /W "...)
	ow.buf = u.appendWidths(ow.buf)
	ow.buf = append(ow.buf, " >>"...)
	ow.end()

	ow.begin(n + 2)
	ow.buf = append(ow.buf, "<< /Type /FontDescriptor /FontName "...)
	name()
	ow.buf = append(ow.buf, " /Flags "...)
	ow.buf = appendInt(ow.buf, f.flags)
	ow.buf = append(ow.buf, " /FontBBox ["...)
	for i, v := range f.bbox {
		if i > 0 {
			ow.buf = append(ow.buf, ' ')
		}
		ow.buf = appendNum(ow.buf, v)
	}
	ow.buf = append(ow.buf, "] /ItalicAngle "...)
	ow.buf = appendNum(ow.buf, f.italicAngle)
	ow.buf = append(ow.buf, " /Ascent "...)
	ow.buf = appendNum(ow.buf, f.ascent)
	ow.buf = append(ow.buf, " /Descent "...)
	ow.buf = appendNum(ow.buf, f.descent)
	ow.buf = append(ow.buf, " /CapHeight "...)
	ow.buf = appendNum(ow.buf, f.capHeight)
	ow.buf = append(ow.buf, " /StemV "...)
	ow.buf = appendNum(ow.buf, f.stemV)
	ow.buf = append(ow.buf, " /FontFile2"...)
	ref(n + 3)
	ow.buf = append(ow.buf, " >>"...)
	ow.end()

	glyphs := u.close()
	z := &st.z
	z.begin(st.zout[:0], f.table, &st.m)
	var size int
	size, st.tail = u.writeProgram(z, glyphs, st.tail)
	st.zout = z.end()
	ow.streamLen1(n+3, size, "/Filter /FlateDecode", st.zout)

	st.small = u.appendToUnicode(st.small[:0])
	z.begin(st.zout[:0], contentCode(), &st.m)
	z.data(st.small)
	st.zout = z.end()
	ow.stream(n+4, "/Filter /FlateDecode", st.zout)
}

// fieldValue returns the value data gives for b's field.
func fieldValue(data map[string]string, b *textBox) (string, error) {
	val, ok := data[b.field]
	if !ok {
		return "", errs.E(errs.Invalid, "pdf: render", "there is no value for the field %q", b.field)
	}
	return val, nil
}

// encodePayload encodes the certificate's QR payload at level l into code.
func encodePayload(code *qrCode, payload string, l coding.Level) error {
	if payload == "" {
		return errs.E(errs.Invalid, "pdf: render", "the template has a QR code but the certificate has no QR payload")
	}
	return encodeQR(code, payload, l)
}

// text lays out and draws one text element with value.
func (st *renderState) text(dst []byte, c *Compiled, b *textBox, value string) ([]byte, error) {
	sh, lines, size, err := st.layoutText(c, b, value)
	if err != nil || sh == nil {
		return dst, err
	}
	return st.emitText(dst, c, b, sh, lines, size), nil
}

// layoutText checks value, shapes it and breaks it into lines in box b,
// reporting what cannot be set as Render does. It returns a nil shaping
// for a value that is empty or only spaces, which draws nothing. The
// shaping and lines are valid until st is used again.
func (st *renderState) layoutText(c *Compiled, b *textBox, value string) (*shaped, []line, float64, error) {
	const op = "pdf: render"
	if utf8.RuneCountInString(value) > MaxValueLen {
		return nil, nil, 0, errs.E(errs.Invalid, op, "the value of %s is longer than %d characters", b.field, MaxValueLen)
	}
	value = strings.TrimSpace(cleanText(value, b.wrap))
	if value == "" {
		return nil, nil, 0, nil
	}
	sh := c.shapeCached(st.sh, b.fam, value, b.lang, &st.scratch)
	// Static text is checked when compiling, and its messages name the
	// element; a field's name its field.
	static := b.field == ""
	var err error
	switch {
	case sh.broken != nil && static:
		err = errs.E(errs.Invalid, op, "the font %q is damaged and cannot set the text", sh.broken.name)
	case sh.broken != nil:
		err = errs.E(errs.Invalid, op, "the font %q is damaged and cannot set %s", sh.broken.name, b.field)
	case sh.rtl && static:
		err = errs.E(errs.Invalid, op, "the text is right-to-left, which certificates cannot show yet")
	case sh.rtl:
		err = errs.E(errs.Invalid, op, "%s is right-to-left text, which certificates cannot show yet", b.field)
	case sh.missing != 0 && static:
		err = errs.E(errs.Invalid, op, "the text has the character %q (%U), which the template's fonts cannot show", sh.missing, sh.missing)
	case sh.missing != 0:
		err = errs.E(errs.Invalid, op, "%s has the character %q (%U), which the template's fonts cannot show", b.field, sh.missing, sh.missing)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	lines, size, err := b.fit(sh, st.lines[:0])
	if err != nil {
		return nil, nil, 0, err
	}
	st.lines = lines
	return sh, lines, size, nil
}
