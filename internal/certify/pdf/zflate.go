package pdf

import (
	"container/heap"
	"encoding/binary"
	"hash/adler32"
	"math/bits"
	"math/rand"
	"strings"
	"sync"

	"rsc.io/qr/coding"
)

// This file is a small zlib (RFC 1950) / deflate (RFC 1951) encoder made
// for the shape of this package's work. compress/flate builds a Huffman
// code for every stream it writes, which costs tens of microseconds even
// for a 500-byte stream, and a certificate has a dozen streams. Here the
// codes are built once (one for content streams, one per font, from
// sample data) and every stream is a single dynamic block that uses one of
// them, its header encoded in advance. Data that is the same in every file
// (glyph outlines, static page content) is compressed once into bit
// strings that are spliced into each stream, so only what changes costs
// time. Any reader of deflate reads the result.

const (
	maxMatch    = 258
	minMatch    = 4 // shorter repeats are not worth a match here
	maxDistance = 32768
	numLit      = 286
	numDist     = 30
	endOfBlock  = 256
)

// lengthBase and distBase are RFC 1951's tables of match lengths and
// distances per code, with the number of extra bits.
var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

	lengthCode [maxMatch + 1]uint8 // match length -> index into lengthBase
	distCode   [512]uint8          // see distanceCode
)

func init() {
	for c := range lengthBase {
		for l := int(lengthBase[c]); l < int(lengthBase[c])+1<<lengthExtra[c] && l <= maxMatch; l++ {
			lengthCode[l] = uint8(c)
		}
	}
	lengthCode[maxMatch] = 28
	for c := range distBase {
		for d := int(distBase[c]); d < int(distBase[c])+1<<distExtra[c]; d++ {
			if d <= 256 {
				distCode[d-1] = uint8(c)
			} else {
				distCode[256+(d-1)>>7] = uint8(c)
			}
		}
	}
}

// distanceCode returns the code of a match distance (1..32768).
func distanceCode(d int) int {
	if d <= 256 {
		return int(distCode[d-1])
	}
	return int(distCode[256+(d-1)>>7])
}

// bitWriter packs deflate's least-significant-bit-first bit stream.
type bitWriter struct {
	out  []byte
	acc  uint64
	nacc uint // bits in acc; below 48 between calls
}

func (w *bitWriter) reset(out []byte) { w.out, w.acc, w.nacc = out, 0, 0 }

// write adds the n low bits of v; n is at most 16.
func (w *bitWriter) write(v uint64, n uint) {
	w.acc |= v << w.nacc
	w.nacc += n
	if w.nacc >= 48 {
		w.flush()
	}
}

// flush moves the whole bytes of the accumulator to out.
func (w *bitWriter) flush() {
	l := len(w.out)
	if cap(w.out)-l < 8 {
		w.out = append(w.out, make([]byte, 8+l)...)[:l]
	}
	binary.LittleEndian.PutUint64(w.out[l:l+8], w.acc)
	k := w.nacc / 8
	w.out = w.out[:l+int(k)]
	w.acc >>= 8 * k
	w.nacc -= 8 * k
}

// align pads to a byte boundary and returns the bytes written.
func (w *bitWriter) align() []byte {
	w.nacc = (w.nacc + 7) &^ 7
	w.flush()
	w.acc, w.nacc = 0, 0
	return w.out
}

// bitString is a compressed piece made in advance: n bits in b, and the
// length and Adler-32 of the data it stands for.
type bitString struct {
	b     []byte
	n     int
	size  int
	adler uint32
}

// splice appends s to the stream at whatever bit position it stands.
func (w *bitWriter) splice(s *bitString) {
	b, n := s.b, s.n
	for n >= 32 {
		if w.nacc >= 32 {
			w.flush()
		}
		w.acc |= uint64(binary.LittleEndian.Uint32(b)) << w.nacc
		w.nacc += 32
		b, n = b[4:], n-32
	}
	if w.nacc >= 48 {
		w.flush() // write's precondition
	}
	for n >= 8 {
		w.write(uint64(b[0]), 8)
		b, n = b[1:], n-8
	}
	if n > 0 {
		w.write(uint64(b[0])&(1<<n-1), uint(n))
	}
}

// bitString returns what was written as a bitString (the writer must be
// reset before reuse).
func (w *bitWriter) bitString(size int, adler uint32) bitString {
	n := len(w.out)*8 + int(w.nacc)
	w.nacc = (w.nacc + 7) &^ 7
	w.flush()
	return bitString{b: append([]byte(nil), w.out...), n: n, size: size, adler: adler}
}

// huffTable is a Huffman code for literals/lengths and distances, with the
// header of a final dynamic block that declares it, encoded in advance.
type huffTable struct {
	lit    [numLit]uint16 // codes, bit-reversed for writing
	litN   [numLit]uint8
	dist   [numDist]uint16
	distN  [numDist]uint8
	header bitString
}

func (t *huffTable) match(w *bitWriter, length, dist int) {
	lc := lengthCode[length]
	w.write(uint64(t.lit[257+int(lc)]), uint(t.litN[257+int(lc)]))
	if e := lengthExtra[lc]; e > 0 {
		w.write(uint64(length-int(lengthBase[lc])), uint(e))
	}
	dc := distanceCode(dist)
	w.write(uint64(t.dist[dc]), uint(t.distN[dc]))
	if e := distExtra[dc]; e > 0 {
		w.write(uint64(dist-int(distBase[dc])), uint(e))
	}
}

// symbolCounter gathers symbol frequencies from sample data to build a
// table.
type symbolCounter struct {
	lit  [numLit]int
	dist [numDist]int
}

func (c *symbolCounter) match(length, dist int) {
	c.lit[257+int(lengthCode[length])]++
	c.dist[distanceCode(dist)]++
}

// table builds the Huffman table from the counts. Every symbol gets a code,
// so any data can be written with the table, sampled or not.
func (c *symbolCounter) table() *huffTable {
	lit := c.lit
	lit[endOfBlock]++
	litN := huffmanLengths(lit[:], 15)
	distN := huffmanLengths(c.dist[:], 15)
	t := &huffTable{}
	copy(t.litN[:], litN)
	copy(t.distN[:], distN)
	canonical(t.litN[:], t.lit[:])
	canonical(t.distN[:], t.dist[:])
	t.header = blockHeader(t.litN[:], t.distN[:])
	return t
}

// huffmanLengths returns code lengths of at most maxBits for the
// frequencies, every symbol counted at least once. When the optimal code
// is too deep, the frequencies are flattened and it is built again.
func huffmanLengths(freq []int, maxBits int) []uint8 {
	f := make([]int, len(freq))
	for i, v := range freq {
		f[i] = v + 1
	}
	for {
		lens := huffman(f)
		deepest := 0
		for _, l := range lens {
			deepest = max(deepest, int(l))
		}
		if deepest <= maxBits {
			return lens
		}
		for i := range f {
			f[i] = (f[i] + 1) / 2
		}
	}
}

type hnode struct {
	freq        int
	sym         int // leaf symbol, or -1
	left, right *hnode
}

type hheap []*hnode

func (h hheap) Len() int { return len(h) }
func (h hheap) Less(i, j int) bool {
	if h[i].freq != h[j].freq {
		return h[i].freq < h[j].freq
	}
	return h[i].sym < h[j].sym // ties broken the same way every time
}
func (h hheap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *hheap) Push(x any)   { *h = append(*h, x.(*hnode)) }
func (h *hheap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// huffman returns optimal code lengths for frequencies that are all
// positive; with one symbol its length is 1.
func huffman(freq []int) []uint8 {
	h := make(hheap, 0, len(freq))
	for s, f := range freq {
		if f > 0 {
			h = append(h, &hnode{freq: f, sym: s})
		}
	}
	lens := make([]uint8, len(freq))
	if len(h) == 1 {
		lens[h[0].sym] = 1
		return lens
	}
	heap.Init(&h)
	next := len(freq)
	for h.Len() > 1 {
		a, b := heap.Pop(&h).(*hnode), heap.Pop(&h).(*hnode)
		heap.Push(&h, &hnode{freq: a.freq + b.freq, sym: next, left: a, right: b})
		next++
	}
	var walk func(n *hnode, depth uint8)
	walk = func(n *hnode, depth uint8) {
		if n.left == nil {
			lens[n.sym] = depth
			return
		}
		walk(n.left, depth+1)
		walk(n.right, depth+1)
	}
	walk(h[0], 0)
	return lens
}

// canonical assigns RFC 1951's canonical codes for the lengths, stored
// bit-reversed for the least-significant-bit-first writer.
func canonical(lens []uint8, codes []uint16) {
	var count [16]int
	for _, l := range lens {
		count[l]++
	}
	count[0] = 0
	var next [16]int
	code := 0
	for b := 1; b < 16; b++ {
		code = (code + count[b-1]) << 1
		next[b] = code
	}
	for s, l := range lens {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		codes[s] = bits.Reverse16(uint16(c)) >> (16 - l)
	}
}

// clOrder is the order in which code-length code lengths are sent.
var clOrder = [19]int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// blockHeader encodes the start of a final dynamic block using the code
// lengths, per RFC 1951 section 3.2.7.
func blockHeader(litN, distN []uint8) bitString {
	all := append(append([]uint8(nil), litN...), distN...)
	// Run-length encode the lengths: 16 repeats the previous length 3–6
	// times, 17 and 18 give runs of zeros.
	type sym struct{ code, extra, nextra int }
	var syms []sym
	for i := 0; i < len(all); {
		l := all[i]
		run := 1
		for i+run < len(all) && all[i+run] == l {
			run++
		}
		if l == 0 {
			for r := run; r > 0; {
				switch {
				case r >= 11:
					n := min(r, 138)
					syms = append(syms, sym{18, n - 11, 7})
					r -= n
				case r >= 3:
					syms = append(syms, sym{17, r - 3, 3})
					r = 0
				default:
					syms = append(syms, sym{0, 0, 0})
					r--
				}
			}
		} else {
			syms = append(syms, sym{int(l), 0, 0})
			for r := run - 1; r > 0; {
				if r >= 3 {
					n := min(r, 6)
					syms = append(syms, sym{16, n - 3, 2})
					r -= n
				} else {
					syms = append(syms, sym{int(l), 0, 0})
					r--
				}
			}
		}
		i += run
	}
	var freq [19]int
	for _, s := range syms {
		freq[s.code]++
	}
	// The code-length code must be complete: at least two symbols.
	used := 0
	for _, f := range freq {
		if f > 0 {
			used++
		}
	}
	if used < 2 {
		if freq[0] == 0 {
			freq[0] = 1
		} else {
			freq[1] = 1
		}
	}
	clN := huffmanLengthsExact(freq[:], 7)
	clCodes := make([]uint16, 19)
	canonical(clN, clCodes)
	hclen := 19
	for hclen > 4 && clN[clOrder[hclen-1]] == 0 {
		hclen--
	}
	var w bitWriter
	w.write(1, 1) // final block
	w.write(2, 2) // dynamic Huffman codes
	w.write(uint64(len(litN)-257), 5)
	w.write(uint64(len(distN)-1), 5)
	w.write(uint64(hclen-4), 4)
	for _, s := range clOrder[:hclen] {
		w.write(uint64(clN[s]), 3)
	}
	for _, s := range syms {
		w.write(uint64(clCodes[s.code]), uint(clN[s.code]))
		if s.nextra > 0 {
			w.write(uint64(s.extra), uint(s.nextra))
		}
	}
	return w.bitString(0, 1)
}

// huffmanLengthsExact is huffmanLengths for symbols that may be absent
// (frequency 0 gives length 0).
func huffmanLengthsExact(freq []int, maxBits int) []uint8 {
	f := append([]int(nil), freq...)
	for {
		lens := huffman(f)
		deepest := 0
		for _, l := range lens {
			deepest = max(deepest, int(l))
		}
		if deepest <= maxBits {
			return lens
		}
		for i := range f {
			if f[i] > 0 {
				f[i] = (f[i] + 1) / 2
			}
		}
	}
}

// tokenSink receives the output of the matchers: it counts symbols to
// train a table (c set) or writes them with a table.
type tokenSink struct {
	c *symbolCounter
	t *huffTable
	w *bitWriter
}

func counting(c *symbolCounter) tokenSink          { return tokenSink{c: c} }
func writing(t *huffTable, w *bitWriter) tokenSink { return tokenSink{t: t, w: w} }

func (s tokenSink) literal(b byte) {
	if s.c != nil {
		s.c.lit[b]++
		return
	}
	s.w.write(uint64(s.t.lit[b]), uint(s.t.litN[b]))
}

// literals sends each byte of b as a literal.
func (s tokenSink) literals(b []byte) {
	if s.c != nil {
		for _, c := range b {
			s.c.lit[c]++
		}
		return
	}
	t, w := s.t, s.w
	for _, c := range b {
		w.acc |= uint64(t.lit[c]) << w.nacc
		w.nacc += uint(t.litN[c])
		if w.nacc >= 48 {
			w.flush()
		}
	}
}

func (s tokenSink) match(length, dist int) {
	if s.c != nil {
		s.c.match(length, dist)
		return
	}
	s.t.match(s.w, length, dist)
}

// matcher finds repeats with a hash of four bytes, remembering only the
// latest position for each hash: fast, and good enough for the short,
// repetitive streams of a certificate.
type matcher struct {
	table [1 << 13]int32
	base  int32 // positions below base belong to earlier calls
}

func hash4(u uint32) uint32 { return (u * 0x1e35a7bd) >> (32 - 13) }

// encode sends data to sink as literals and matches within data.
func (m *matcher) encode(data []byte, sink tokenSink) {
	if int(m.base) > 1<<30 || len(data) > 1<<24 {
		m.table = [1 << 13]int32{}
		m.base = 0
	}
	base := m.base + 1
	m.base += int32(len(data)) + 1
	i := 0
	for i+minMatch <= len(data) {
		u := binary.LittleEndian.Uint32(data[i:])
		h := hash4(u)
		cand := int(m.table[h] - base)
		m.table[h] = int32(i) + base
		if cand >= 0 && i-cand <= maxDistance && binary.LittleEndian.Uint32(data[cand:]) == u {
			n := minMatch
			for i+n < len(data) && n < maxMatch && data[cand+n] == data[i+n] {
				n++
			}
			sink.match(n, i-cand)
			// Remember a position inside the match too, for the
			// next repeat.
			if j := i + n - 1; j+minMatch <= len(data) {
				m.table[hash4(binary.LittleEndian.Uint32(data[j:]))] = int32(j) + base
			}
			i += n
			continue
		}
		sink.literal(data[i])
		i++
	}
	for ; i < len(data); i++ {
		sink.literal(data[i])
	}
}

// encodeRuns sends data to sink, finding only repeats at distances 4, 2
// and 1: the runs of zeros and repeated entries of subset font tables.
func encodeRuns(data []byte, sink tokenSink) {
	i := 0
	for i < len(data) {
		best, bestD := 0, 0
		for _, d := range [3]int{4, 2, 1} {
			if i >= d && data[i] == data[i-d] {
				if n := runLen(data, i, d); n > best {
					best, bestD = n, d
					if n == maxMatch {
						break
					}
				}
			}
		}
		if best >= 3 {
			sink.match(best, bestD)
			i += best
			continue
		}
		sink.literal(data[i])
		i++
	}
}

// runLen is how many bytes from i repeat those d before, at most maxMatch.
func runLen(data []byte, i, d int) int {
	n := 0
	limit := min(len(data)-i, maxMatch)
	for n+8 <= limit {
		x := binary.LittleEndian.Uint64(data[i+n:]) ^ binary.LittleEndian.Uint64(data[i+n-d:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		n += 8
	}
	for n < limit && data[i+n] == data[i+n-d] {
		n++
	}
	return n
}

// encodeEntries sends data, a table of entries of es bytes, to sink: each
// run of identical entries as its first entry and matches for the
// repeats. This is how the long runs of a subset's hmtx and loca (zeros,
// and offsets repeated over the glyphs left out) compress, in time
// proportional to the number of entries.
func encodeEntries(data []byte, es int, sink tokenSink) {
	entry := func(i int) uint32 {
		switch es {
		case 4:
			return binary.LittleEndian.Uint32(data[i:])
		case 2:
			return uint32(binary.LittleEndian.Uint16(data[i:]))
		}
		return uint32(data[i])
	}
	if es != 1 && es != 2 && es != 4 {
		encodeRuns(data, sink)
		return
	}
	i := 0
	for i+es <= len(data) {
		j := i + es
		for v := entry(i); j+es <= len(data) && entry(j) == v; {
			j += es
		}
		sink.literals(data[i : i+es])
		if rep := j - i - es; rep < minMatch {
			sink.literals(data[i+es : j])
		} else {
			for rep > 0 {
				l := min(rep, maxMatch)
				if rest := rep - l; rest > 0 && rest < 3 {
					l -= 3 - rest // leave at least 3 for the last match
				}
				sink.match(l, es)
				rep -= l
			}
		}
		i = j
	}
	sink.literals(data[i:])
}

// adlerCombine returns the Adler-32 of the concatenation of two pieces
// from their checksums and the second piece's length, as zlib's
// adler32_combine does.
func adlerCombine(a1, a2 uint32, len2 int) uint32 {
	const base = 65521
	rem := uint32(len2 % base)
	s1 := a1 & 0xffff
	s2 := (rem * s1) % base
	s1 += (a2 & 0xffff) + base - 1
	s2 += (a1 >> 16) + (a2 >> 16) + base - rem
	if s1 >= base {
		s1 -= base
	}
	if s1 >= base {
		s1 -= base
	}
	if s2 >= 2*base {
		s2 -= 2 * base
	}
	if s2 >= base {
		s2 -= base
	}
	return s1 | s2<<16
}

// zstream assembles one zlib stream from pieces made in advance and data
// compressed now.
type zstream struct {
	w     bitWriter
	t     *huffTable
	adler uint32
	size  int
	m     *matcher
}

// begin starts a stream using table t, appending to out.
func (z *zstream) begin(out []byte, t *huffTable, m *matcher) {
	out = append(out, 0x78, 0x01) // deflate, 32 KB window, fastest
	z.w.reset(out)
	z.t, z.m = t, m
	z.adler, z.size = 1, 0
	z.w.splice(&t.header)
}

// splice adds a piece compressed in advance with the same table.
func (z *zstream) splice(s *bitString) {
	z.w.splice(s)
	z.adler = adlerCombine(z.adler, s.adler, s.size)
	z.size += s.size
}

// data compresses data now.
func (z *zstream) data(data []byte) {
	z.m.encode(data, writing(z.t, &z.w))
	z.adler = adlerCombine(z.adler, adler32.Checksum(data), len(data))
	z.size += len(data)
}

// runs compresses data now, looking only for short-period repeats.
func (z *zstream) runs(data []byte) {
	encodeRuns(data, writing(z.t, &z.w))
	z.adler = adlerCombine(z.adler, adler32.Checksum(data), len(data))
	z.size += len(data)
}

// entries compresses data, a table of entries of es bytes, now.
func (z *zstream) entries(data []byte, es int) {
	encodeEntries(data, es, writing(z.t, &z.w))
	z.adler = adlerCombine(z.adler, adler32.Checksum(data), len(data))
	z.size += len(data)
}

// tokens adds data whose tokens the caller has sent to z.sink().
func (z *zstream) tokens(data []byte) {
	z.adler = adlerCombine(z.adler, adler32.Checksum(data), len(data))
	z.size += len(data)
}

// sink is where a caller that finds its own repeats sends tokens.
func (z *zstream) sink() tokenSink { return writing(z.t, &z.w) }

// end closes the block and the stream and returns all the bytes.
func (z *zstream) end() []byte {
	z.w.write(uint64(z.t.lit[endOfBlock]), uint(z.t.litN[endOfBlock]))
	return binary.BigEndian.AppendUint32(z.w.align(), z.adler)
}

// precompress compresses data alone with table t into a piece that can be
// spliced into any stream using t.
func precompress(data []byte, t *huffTable, m *matcher) bitString {
	var w bitWriter
	m.encode(data, writing(t, &w))
	return w.bitString(len(data), adler32.Checksum(data))
}

// contentCode is the deflate code for content streams and ToUnicode maps,
// built once from a sample of what this package writes: text operators
// with hexadecimal glyph ids, QR module rectangles, image placements.
var contentCode = sync.OnceValue(func() *huffTable {
	r := rand.New(rand.NewSource(1))
	var b []byte
	var c symbolCounter
	num := func(max int) { b = appendNum(b, float64(r.Intn(max*1000))/1000) }
	hex := func(base, spread int) { b = appendHex4(b, uint16(base+r.Intn(spread))) }
	for range 3 {
		var code qrCode
		encodeQR(&code, "https://vidya.example/v/"+strings.Repeat("Zx9Q", 75), coding.M)
		b = appendQR(b, &qrBox{x: 690, top: 170, size: 108}, &code, counting(&c))
	}
	qrEnd := len(b)
	for range 60 {
		b = append(b, "q\n0.102 0.235 0.431 rg\nBT\n/Span <</ActualText <FEFF"...)
		for range 3 + r.Intn(15) {
			if r.Intn(2) == 0 {
				hex(0x0900, 0x80)
			} else {
				hex(0x0041, 0x3a)
			}
		}
		b = append(b, ">>> BDC\n1 0 0 1 "...)
		num(800)
		b = append(b, ' ')
		num(600)
		b = append(b, " Tm\n/F"...)
		b = appendInt(b, 1+r.Intn(4))
		b = append(b, ' ')
		num(40)
		b = append(b, " Tf\n[<"...)
		for range 3 + r.Intn(15) {
			hex(0, 700)
			if r.Intn(4) == 0 {
				b = append(b, '>')
				b = appendNum(b, -float64(r.Intn(300)))
				b = append(b, '<')
			}
		}
		b = append(b, ">] TJ\nEMC\nET\nQ\n"...)
	}
	for range 10 {
		b = append(b, "q\n"...)
		num(800)
		b = append(b, " 0 0 "...)
		num(600)
		b = append(b, ' ')
		num(800)
		b = append(b, ' ')
		num(600)
		b = append(b, " cm\n/Im"...)
		b = appendInt(b, 6+r.Intn(5))
		b = append(b, " Do\nQ\n"...)
	}
	b = append(b, toUnicodeHead...)
	for range 100 {
		b = append(b, '<')
		hex(0, 700)
		b = append(b, "> <"...)
		hex(0x0900, 0x80)
		b = append(b, ">\n"...)
	}
	b = append(b, toUnicodeTail...)
	var m matcher
	m.encode(b[qrEnd:], counting(&c))
	return c.table()
})
