package pdf

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/harfbuzz"
	"github.com/go-text/typesetting/language"
	"golang.org/x/text/unicode/bidi"
)

// family is the ordered list of fonts tried for each run of text: an
// authority's font first if the template names one, then Noto Sans and
// Noto Sans Devanagari of the same weight.
type family struct {
	faces           []int   // indices into Compiled.faces
	ascent, descent float64 // em, over all the faces, for line boxes
}

// Glyph flags.
const (
	gClusterStart = 1 << iota // first glyph of its cluster
	gSpace                    // part of a white-space cluster
	gBreak                    // a line may start here (a word after spaces)
)

// sglyph is one shaped glyph. Advances and offsets are in em, so one shaping
// serves every font size.
type sglyph struct {
	face    uint16 // index into Compiled.faces
	gid     uint16
	cluster int32 // byte offset in the text of the cluster's first character
	flags   uint8
	prio    uint8   // ToUnicode priority of uni; 0: none
	adv     float32 // em
	dx, dy  float32 // em
	uni     string  // the text this glyph stands for, a substring of the text
}

// shaped is a text shaped with one family: its glyphs in visual order, and
// where each paragraph (a line of the text between newlines) starts.
type shaped struct {
	text    string
	glyphs  []sglyph
	paras   []int32   // glyph index where each paragraph starts
	missing rune      // a character none of the fonts can show; 0 if none
	rtl     bool      // right-to-left text, which is not supported
	broken  *fontFile // a font that failed to shape the text
}

func (s *shaped) reset(text string) {
	s.text = text
	s.glyphs = s.glyphs[:0]
	s.paras = s.paras[:0]
	s.missing = 0
	s.rtl = false
	s.broken = nil
}

// clone copies s for the cache.
func (s *shaped) clone() *shaped {
	return &shaped{
		text:    s.text,
		glyphs:  append([]sglyph(nil), s.glyphs...),
		paras:   append([]int32(nil), s.paras...),
		missing: s.missing,
		rtl:     s.rtl,
		broken:  s.broken,
	}
}

// shaper holds the HarfBuzz state of one render: it is not safe for
// concurrent use, and each pooled render state has its own.
type shaper struct {
	buf     *harfbuzz.Buffer
	fonts   []*harfbuzz.Font // by Compiled face index, made on first use
	runes   []rune
	offs    []int32 // byte offset of each rune, and the paragraph's end
	scripts []language.Script
	faceOf  []int
	key     []byte
	faces   []*fontFile
}

func newShaper(faces []*fontFile) *shaper {
	return &shaper{buf: harfbuzz.NewBuffer(), fonts: make([]*harfbuzz.Font, len(faces)), faces: faces}
}

// font returns the HarfBuzz font of face i, made on first use.
func (s *shaper) font(i int) *harfbuzz.Font {
	if s.fonts[i] == nil {
		s.fonts[i] = harfbuzz.NewFont(font.NewFace(s.faces[i].otf))
	}
	return s.fonts[i]
}

// shapeBuf shapes the buffer with face i. An authority's damaged font can
// make go-text's HarfBuzz panic (its tables are not all checked when
// read); that is reported as false rather than taking the server down.
func (s *shaper) shapeBuf(i int) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	s.buf.Shape(s.font(i), nil)
	return true
}

// shape shapes text with fam into out. Newlines separate paragraphs.
func (s *shaper) shape(fam *family, text string, lang language.Language, out *shaped) {
	out.reset(text)
	start := 0
	for {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		out.paras = append(out.paras, int32(len(out.glyphs)))
		s.paragraph(fam, text, start, end, lang, out)
		if end == len(text) {
			return
		}
		start = end + 1
	}
}

// weak reports whether a script takes the script of its neighbours.
func weak(sc language.Script) bool {
	return sc == language.Common || sc == language.Inherited || sc == language.Unknown
}

// ignorable reports characters that need no glyph of their own: joiners,
// variation selectors and other format controls.
func ignorable(r rune) bool {
	return r == 0x200b || r == 0x200c || r == 0x200d || r == 0x2060 || r == 0xfeff ||
		r >= 0xfe00 && r <= 0xfe0f || r >= 0xe0100 && r <= 0xe01ef || r == 0x00ad || r == 0x034f
}

// paragraph shapes text[start:end], which holds no newline.
func (s *shaper) paragraph(fam *family, text string, start, end int, lang language.Language, out *shaped) {
	faces := s.faces
	s.runes, s.offs, s.scripts, s.faceOf = s.runes[:0], s.offs[:0], s.scripts[:0], s.faceOf[:0]
	for i, r := range text[start:end] {
		s.runes = append(s.runes, r)
		s.offs = append(s.offs, int32(start+i))
		s.scripts = append(s.scripts, language.LookupScript(r))
		if p, _ := bidi.LookupRune(r); p.Class() == bidi.R || p.Class() == bidi.AL {
			out.rtl = true
		}
	}
	s.offs = append(s.offs, int32(end))
	n := len(s.runes)
	if n == 0 {
		return
	}

	// Choose a font for each character: stay with the current font while
	// it covers the text and the script does not change; otherwise take
	// the first font of the family that has the character.
	covers := func(fi int, r rune) bool {
		_, ok := faces[fam.faces[fi]].otf.NominalGlyph(r)
		return ok
	}
	cur := -1
	var curScript language.Script
	for i, r := range s.runes {
		sc := s.scripts[i]
		switch {
		case cur >= 0 && (sc == language.Inherited || ignorable(r)):
		case cur >= 0 && (weak(sc) || sc == curScript) && covers(cur, r):
		default:
			next := -1
			for fi := range fam.faces {
				if covers(fi, r) {
					next = fi
					break
				}
			}
			if next < 0 {
				next = max(cur, 0)
			}
			cur = next
		}
		if !weak(sc) {
			curScript = sc
		}
		s.faceOf = append(s.faceOf, cur)
	}

	// Give characters of no script of their own the script of the run
	// they are in: the preceding strong one, or the first one.
	first := language.Latin
	for _, sc := range s.scripts {
		if !weak(sc) {
			first = sc
			break
		}
	}
	last := first
	for i, sc := range s.scripts {
		if weak(sc) {
			s.scripts[i] = last
		} else {
			last = sc
		}
	}

	for a := 0; a < n; {
		b := a + 1
		for b < n && s.faceOf[b] == s.faceOf[a] && s.scripts[b] == s.scripts[a] {
			b++
		}
		s.run(fam.faces[s.faceOf[a]], text, a, b, lang, out)
		a = b
	}
}

// run shapes runes [a, b) of the current paragraph with face fi.
func (s *shaper) run(fi int, text string, a, b int, lang language.Language, out *shaped) {
	f := s.faces[fi]
	buf := s.buf
	buf.Clear()
	buf.AddRunes(s.runes, a, b-a)
	buf.Props.Direction = harfbuzz.LeftToRight
	buf.Props.Script = s.scripts[a]
	buf.Props.Language = lang
	if !s.shapeBuf(fi) {
		if out.broken == nil {
			out.broken = f
		}
		return
	}

	upem := float32(f.upem)
	base := len(out.glyphs)
	for i := range buf.Info {
		in, pos := &buf.Info[i], &buf.Pos[i]
		gid := in.Glyph
		if int(gid) >= f.numGlyphs {
			gid = 0 // a damaged font's tables point past its glyphs
		}
		out.glyphs = append(out.glyphs, sglyph{
			face:    uint16(fi),
			gid:     uint16(gid),
			cluster: int32(in.Cluster), // a rune index for now
			adv:     float32(pos.XAdvance) / upem,
			dx:      float32(pos.XOffset) / upem,
			dy:      float32(pos.YOffset) / upem,
		})
	}

	// Walk the clusters: note spaces and line-break opportunities, map
	// glyphs to the text they stand for, and look for missing glyphs.
	gs := out.glyphs[base:]
	for i := 0; i < len(gs); {
		cl := int(gs[i].cluster)
		j := i + 1
		for j < len(gs) && int(gs[j].cluster) == cl {
			j++
		}
		next := b
		if j < len(gs) {
			next = int(gs[j].cluster)
		}
		if next <= cl || next > b {
			next = min(cl+1, b) // not monotone: should not happen for left-to-right text
		}
		space := true
		for _, r := range s.runes[cl:next] {
			if !isSpace(r) {
				space = false
				break
			}
		}
		var flags uint8
		if space {
			flags |= gSpace
		} else if cl > 0 && isSpace(s.runes[cl-1]) {
			flags |= gBreak
		}
		for k := i; k < j; k++ {
			gs[k].flags = flags
			if gs[k].gid == 0 && out.missing == 0 {
				out.missing = s.runes[cl]
				for _, r := range s.runes[cl:next] {
					if _, ok := f.otf.NominalGlyph(r); !ok && !ignorable(r) {
						out.missing = r
						break
					}
				}
			}
		}
		gs[i].flags |= gClusterStart
		s.mapText(f, fi, text, gs[i:j], cl, next, s.scripts[a], lang)
		for k := i; k < j; k++ {
			gs[k].cluster = s.offs[cl]
		}
		i = j
	}
}

// mapText decides which text each glyph of one cluster (runes [cl, next))
// stands for, for the ToUnicode map. A lone glyph stands for its cluster.
// For several glyphs (a syllable with a half form, a reordered i-matra, a
// reph) the cluster is shaped again with HarfBuzz's finest cluster level,
// which tells each glyph's first character: a glyph stands for the
// characters from its own to the next glyph's, so that each character is
// given to one glyph. The answer depends only on the font and the
// cluster's text, so it is cached per font.
func (s *shaper) mapText(f *fontFile, fi int, text string, gs []sglyph, cl, next int, script language.Script, lang language.Language) {
	whole := text[s.offs[cl]:s.offs[next]]
	if len(gs) == 1 {
		prio := uint8(uniCluster)
		if next-cl == 1 {
			prio = uniNominal
		}
		gs[0].uni, gs[0].prio = whole, prio
		return
	}
	m, ok := s.clusterMapping(f, fi, whole, gs, cl, next, script, lang)
	if !ok {
		gs[0].uni, gs[0].prio = whole, uniLeftover
		return
	}
	for k, r := range m {
		switch {
		case r.text != "":
			gs[k].uni, gs[k].prio = r.text, r.prio
		case r.to > r.from:
			gs[k].uni, gs[k].prio = text[s.offs[cl+int(r.from)]:s.offs[cl+int(r.to)]], r.prio
		}
	}
}

// runeSpan is the text of one glyph of a cluster: runes [from, to) of the
// cluster, or text when that is not one piece of it.
type runeSpan struct {
	from, to int8
	prio     uint8
	text     string
}

// maxMappedCluster bounds the clusters whose mapping is worked out.
const maxMappedCluster = 64

// clusterMapping returns the text of each glyph of a cluster, from the
// font's cache or worked out now.
func (s *shaper) clusterMapping(f *fontFile, fi int, whole string, gs []sglyph, cl, next int, script language.Script, lang language.Language) ([]runeSpan, bool) {
	if next-cl > maxMappedCluster || len(gs) > maxMappedCluster {
		return nil, false
	}
	key := append(s.key[:0], lang...)
	key = append(key, 0, byte(script>>24), byte(script>>16), byte(script>>8), byte(script))
	key = append(key, whole...)
	key = append(key, 0)
	for _, g := range gs {
		key = append(key, byte(g.gid>>8), byte(g.gid))
	}
	s.key = key
	f.clusters.mu.RLock()
	m, ok := f.clusters.m[string(key)]
	f.clusters.mu.RUnlock()
	if ok {
		return m, m != nil
	}

	// Shape the cluster alone, in its context, at the finest level.
	buf := s.buf
	buf.Clear()
	buf.ClusterLevel = harfbuzz.Characters
	buf.AddRunes(s.runes, cl, next-cl)
	buf.Props.Direction = harfbuzz.LeftToRight
	buf.Props.Script = script
	buf.Props.Language = lang
	same := s.shapeBuf(fi) && len(buf.Info) == len(gs)
	for k := 0; same && k < len(gs); k++ {
		same = uint16(buf.Info[k].Glyph) == gs[k].gid
	}
	if same {
		m = make([]runeSpan, len(gs))
		n := next - cl
		starts := make([]bool, n+1)
		for _, in := range buf.Info {
			if c := in.Cluster - cl; c >= 0 && c < n {
				starts[c] = true
			}
		}
		starts[n] = true
		first := n
		for c := range n {
			if starts[c] {
				first = c
				break
			}
		}
		owned := make([]bool, n)
		for k, in := range buf.Info {
			c := in.Cluster - cl
			if c < 0 || c >= n || owned[c] {
				continue
			}
			owned[c] = true
			end := c + 1
			for !starts[end] {
				end++
			}
			prio := uint8(uniCluster)
			if end-c == 1 {
				if g, ok := f.otf.NominalGlyph(s.runes[cl+c]); ok && uint16(g) == gs[k].gid {
					prio = uniNominal
				}
			}
			m[k] = runeSpan{from: int8(c), to: int8(end), prio: prio}
		}
		if first > 0 {
			// Characters no glyph starts with: a reph (र्) that became
			// part of a ligature placed at the end of the syllable. They
			// go with the last glyph, in text order.
			last := &m[len(m)-1]
			lead := string(s.runes[cl : cl+first])
			if last.to > last.from {
				lead += string(s.runes[cl+int(last.from) : cl+int(last.to)])
			}
			*last = runeSpan{text: lead, prio: uniLeftover}
		}
	}
	f.clusters.mu.Lock()
	if f.clusters.m == nil || len(f.clusters.m) >= maxClusterMappings {
		f.clusters.m = make(map[string][]runeSpan)
	}
	f.clusters.m[string(key)] = m
	f.clusters.mu.Unlock()
	return m, m != nil
}

// maxClusterMappings bounds each font's cache of cluster mappings; a full
// cache is emptied.
const maxClusterMappings = 1 << 15

// isSpace reports white space at which a line may break (not the
// no-break spaces).
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2008, 0x2009, 0x200a, 0x205f, 0x3000:
		return true
	}
	return false
}

// shapeCache keeps shaped texts that recur (course names, dates, grades),
// bounded in size. A text is cached on its second sighting, so names that
// are seen once do not push out the values that repeat.
type shapeCache struct {
	seed   maphash.Seed
	shards [16]shapeShard
	door   [4096]atomic.Uint64 // hashes seen once
}

type shapeShard struct {
	mu sync.RWMutex // guards m
	m  map[shapeKey]*shaped
}

type shapeKey struct {
	fam  int
	lang language.Language
	text string
}

const (
	shardEntries   = 256 // a full shard is emptied
	maxCachedBytes = 256 // longer texts are not cached
)

func newShapeCache() *shapeCache { return &shapeCache{seed: maphash.MakeSeed()} }

// shapeCached returns the shaping of text with family fam, from the cache
// or shaped into scratch.
func (c *Compiled) shapeCached(s *shaper, fam int, text string, lang language.Language, scratch *shaped) *shaped {
	if len(text) > maxCachedBytes {
		s.shape(&c.fams[fam], text, lang, scratch)
		return scratch
	}
	key := shapeKey{fam: fam, lang: lang, text: text}
	h := maphash.String(c.cache.seed, text) ^ uint64(fam)*0x9e3779b97f4a7c15 ^ maphash.String(c.cache.seed, string(lang))
	sh := &c.cache.shards[h%uint64(len(c.cache.shards))]
	sh.mu.RLock()
	v := sh.m[key]
	sh.mu.RUnlock()
	if v != nil {
		return v
	}
	s.shape(&c.fams[fam], text, lang, scratch)
	door := &c.cache.door[(h>>4)%uint64(len(c.cache.door))]
	if door.Swap(h) != h {
		return scratch
	}
	v = scratch.clone()
	sh.mu.Lock()
	if sh.m == nil || len(sh.m) >= shardEntries {
		sh.m = make(map[shapeKey]*shaped, shardEntries)
	}
	sh.m[key] = v
	sh.mu.Unlock()
	return v
}

// cleanText returns s with invalid bytes replaced, and control characters
// other than newline (kept only when keepNewline) replaced by spaces.
func cleanText(s string, keepNewline bool) string {
	clean := utf8.ValidString(s)
	if clean {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == 0x7f || c == 0xc2 && i+1 < len(s) && s[i+1] < 0xa0 {
				if c == '\n' && keepNewline {
					continue
				}
				clean = false
				break
			}
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' && keepNewline:
			b.WriteByte('\n')
		case r == '\r':
			// \r\n is one line break; a lone \r is dropped.
		case r < 0x20 || r >= 0x7f && r < 0xa0:
			b.WriteByte(' ')
		default:
			b.WriteRune(r) // writes U+FFFD for invalid bytes
		}
	}
	return b.String()
}
