package pdf

import (
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"

	"rsc.io/qr/coding"
	"rsc.io/qr/gf256"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// quietZone is the light margin around a QR code, in modules, that the
// standard asks for.
const quietZone = 4

// qrLevels maps a template's level letter to the encoder's level.
var qrLevels = map[string]coding.Level{"": coding.M, "L": coding.L, "M": coding.M, "Q": coding.Q, "H": coding.H}

// qrLayout is what the encoder's plan for one version and level comes to:
// the modules that do not depend on the data (finder, timing and format
// patterns, with the mask applied), and for each data or check module its
// place and the bit of the message that flips it.
type qrLayout struct {
	plan   *coding.Plan
	size   int
	stride int      // bytes per row of base
	base   []byte   // one bit per module, most significant first
	idx    []uint16 // byte of base holding each data or check module
	mask   []uint8  // its bit in that byte
	bit    []uint16 // the bit of the message that flips it
}

// qrLayouts caches layouts: building a plan costs more than encoding with
// it.
var qrLayouts struct {
	l  [coding.MaxVersion + 1][4]atomic.Pointer[qrLayout]
	mu sync.Mutex // serialises building them
}

func layoutFor(v coding.Version, l coding.Level) (*qrLayout, error) {
	slot := &qrLayouts.l[v][l]
	if q := slot.Load(); q != nil {
		return q, nil
	}
	qrLayouts.mu.Lock()
	defer qrLayouts.mu.Unlock()
	if q := slot.Load(); q != nil {
		return q, nil
	}
	p, err := coding.NewPlan(v, l, 0)
	if err != nil {
		return nil, err
	}
	n := len(p.Pixel)
	q := &qrLayout{plan: p, size: n, stride: (n + 7) / 8}
	q.base = make([]byte, q.stride*n)
	for y, row := range p.Pixel {
		for x, pix := range row {
			if pix&coding.Black != 0 {
				q.base[y*q.stride+x/8] |= 0x80 >> (x % 8)
			}
			switch pix.Role() {
			case coding.Data, coding.Check:
				q.idx = append(q.idx, uint16(y*q.stride+x/8))
				q.mask = append(q.mask, 0x80>>(x%8))
				q.bit = append(q.bit, uint16(pix.Offset()))
			}
		}
	}
	slot.Store(q)
	return q, nil
}

// qrCode is an encoded QR code: size × size modules, a bit each, and the
// scratch space to encode the next one.
type qrCode struct {
	size, stride int
	bits         []byte
	msg          coding.Bits
	check        []byte
	rs           map[int]*gf256.RSEncoder // by check bytes per block
}

// qrAlphabet is the QR code's alphanumeric mode's character set.
const qrAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

// encodeQR encodes payload into c in the smallest version that holds it at
// level l, choosing the encoding and laying out the code as rsc.io/qr does
// (a test checks the modules are the same), with the layouts and
// Reed-Solomon encoders kept for the next code.
func encodeQR(c *qrCode, payload string, l coding.Level) error {
	const op = "pdf: render"
	var enc coding.Encoding
	numeric, alpha := true, true
	for i := 0; i < len(payload); i++ {
		b := payload[i]
		numeric = numeric && b >= '0' && b <= '9'
		alpha = alpha && strings.IndexByte(qrAlphabet, b) >= 0
	}
	switch {
	case numeric:
		enc = coding.Num(payload)
	case alpha:
		enc = coding.Alpha(payload)
	default:
		enc = coding.String(payload)
	}
	v := coding.Version(coding.MinVersion)
	for ; enc.Bits(v) > v.DataBytes(l)*8; v++ {
		if v == coding.MaxVersion {
			return errs.E(errs.Invalid, op, "the QR payload of %d bytes is too long for a QR code at level %s", len(payload), l)
		}
	}
	q, err := layoutFor(v, l)
	if err != nil {
		return errs.Wrap(op+": qr layout", err)
	}

	// The message: data, padding, then each block's check bytes.
	c.msg.Reset()
	enc.Encode(&c.msg, v)
	nd := q.plan.DataBytes
	if c.msg.Bits() < nd*8 {
		c.msg.Pad(nd*8 - c.msg.Bits())
	}
	nblock := q.plan.Blocks
	ne := q.plan.CheckBytes / nblock
	rs := c.rs[ne]
	if rs == nil {
		if c.rs == nil {
			c.rs = map[int]*gf256.RSEncoder{}
		}
		rs = gf256.NewRSEncoder(coding.Field, ne)
		c.rs[ne] = rs
	}
	if cap(c.check) < ne {
		c.check = make([]byte, ne)
	}
	chk := c.check[:ne]
	dat := c.msg.Bytes()[:nd:nd] // appending the check bytes must not overwrite it
	db, extra := nd/nblock, nd%nblock
	for i := range nblock {
		if i == nblock-extra {
			db++
		}
		rs.ECC(dat[:db], chk)
		c.msg.Append(chk)
		dat = dat[db:]
	}
	msg := c.msg.Bytes()

	c.size, c.stride = q.size, q.stride
	c.bits = append(c.bits[:0], q.base...)
	for i, o := range q.bit {
		if msg[o/8]&(0x80>>(o%8)) != 0 {
			c.bits[q.idx[i]] ^= q.mask[i]
		}
	}
	return nil
}

// qrBox is a compiled QR element.
type qrBox struct {
	x, top, size float64 // points; top from the page's bottom edge
	level        coding.Level
	colour       uint32
}

// appendQR draws the code as vector squares: a light square for the
// code and its quiet zone, then the dark modules as one path of
// rectangles, a rectangle per horizontal run, filled once (so that no
// seams show between neighbouring modules). Coordinates are in modules,
// scaled and flipped by one cm. The content is appended to dst and, as it
// is written, sent to sink compressed: each "x y w 1 re" line repeats the
// end of the line before, which is one match.
func appendQR(dst []byte, b *qrBox, code *qrCode, sink tokenSink) []byte {
	start := len(dst)
	n := code.size
	m := b.size / float64(n+2*quietZone)
	dst = append(dst, "q\n1 1 1 rg\n"...)
	dst = appendNum(dst, b.x)
	dst = append(dst, ' ')
	dst = appendNum(dst, b.top-b.size)
	dst = append(dst, ' ')
	dst = appendNum(dst, b.size)
	dst = append(dst, ' ')
	dst = appendNum(dst, b.size)
	dst = append(dst, " re f\n"...)
	dst = appendColour(dst, b.colour, "rg")
	dst = append(dst, '\n')
	dst = appendNum(dst, m)
	dst = append(dst, " 0 0 "...)
	dst = appendNum(dst, -m)
	dst = append(dst, ' ')
	dst = appendNum(dst, b.x+quietZone*m)
	dst = append(dst, ' ')
	dst = appendNum(dst, b.top-quietZone*m)
	dst = append(dst, " cm\n"...)
	sink.literals(dst[start:])
	const suffix = len(" 1 re\n")
	prevY, prevW := -1, -1
	for y := range n {
		row := code.bits[y*code.stride : (y+1)*code.stride]
		for x := 0; x < n; {
			begin := nextBit(row, x, n, true)
			if begin >= n {
				break
			}
			x = nextBit(row, begin, n, false)
			w := x - begin
			rec := len(dst)
			dst = appendSmall(dst, begin)
			dst = append(dst, ' ')
			rest := len(dst)
			dst = appendSmall(dst, y)
			dst = append(dst, ' ')
			dst = appendSmall(dst, w)
			dst = append(dst, " 1 re\n"...)
			sink.literals(dst[rec:rest])
			switch {
			case y == prevY && w == prevW:
				// "y w 1 re\n" is the previous line's.
				sink.match(len(dst)-rest, len(dst)-rec)
			case prevY >= 0:
				sink.literals(dst[rest : len(dst)-suffix])
				sink.match(suffix, len(dst)-rec)
			default:
				sink.literals(dst[rest:])
			}
			prevY, prevW = y, w
		}
	}
	tail := len(dst)
	dst = append(dst, "f\nQ\n"...)
	sink.literals(dst[tail:])
	return dst
}

// nextBit returns the first position from x (below n) whose bit in row
// (most significant first) is set if dark, clear otherwise; n if none.
func nextBit(row []byte, x, n int, dark bool) int {
	for x < n {
		k := x & 7
		b := row[x>>3]
		if !dark {
			b = ^b
		}
		b <<= k // the bits from x on, at the top
		if b == 0 {
			x += 8 - k
			continue
		}
		return min(x+bits.LeadingZeros8(b), n)
	}
	return n
}

// appendSmall appends 0 <= v < 1000 in decimal.
func appendSmall(dst []byte, v int) []byte {
	switch {
	case v < 10:
		return append(dst, byte('0'+v))
	case v < 100:
		return append(dst, byte('0'+v/10), byte('0'+v%10))
	}
	return append(dst, byte('0'+v/100), byte('0'+v/10%10), byte('0'+v%10))
}
