package pdf

import (
	"encoding/binary"
	"math"

	"golang.org/x/image/vector"
)

// outlinePoint is a point of a glyph's outline, in font units.
type outlinePoint struct {
	x, y float32
	on   bool // on the curve; otherwise a quadratic control point
	end  bool // the last point of its contour
}

// Bounds on reading one glyph's outline: an authority's font is untrusted,
// and a composite glyph can name itself or fan out without end.
const (
	maxComponentDepth = 16
	maxOutlineWork    = 1 << 16 // points read plus components visited
)

// outline appends the outline of glyph g to dst, composite glyphs resolved,
// placed as FreeType places it: shifted so that its left edge is at the
// left side bearing of the horizontal metrics. It returns dst unchanged if
// the glyph has no outline or is damaged.
func (f *fontFile) outline(dst []outlinePoint, g uint16) []outlinePoint {
	base := len(dst)
	work := maxOutlineWork
	out, lsbShift, ok := f.outlineRec(dst, g, 0, &work)
	if !ok {
		return dst[:base]
	}
	if lsbShift != 0 {
		for i := base; i < len(out); i++ {
			out[i].x -= lsbShift
		}
	}
	return out
}

// outlineRec appends glyph g's points and returns how far its left edge
// lies right of the left side bearing (what outline shifts it back by).
func (f *fontFile) outlineRec(dst []outlinePoint, g uint16, depth int, work *int) ([]outlinePoint, float32, bool) {
	if int(g) >= len(f.glyphs) || depth > maxComponentDepth {
		return dst, 0, false
	}
	data := f.glyphs[g]
	if len(data) == 0 {
		return dst, 0, true
	}
	if len(data) < 10 {
		return dst, 0, false
	}
	be := binary.BigEndian
	xMin := float32(int16(be.Uint16(data[2:])))
	shift := xMin - float32(f.lsb[g])
	nc := int(int16(be.Uint16(data)))
	if nc >= 0 {
		out, ok := simpleOutline(dst, data, nc, work)
		return out, shift, ok
	}

	// A composite glyph: each component transformed and moved into place.
	const (
		argsAreWords = 0x0001
		argsAreXY    = 0x0002
		haveScale    = 0x0008
		more         = 0x0020
		haveXYScale  = 0x0040
		have2x2      = 0x0080
		useMyMetrics = 0x0200
		scaledOffset = 0x0800
	)
	base := len(dst)
	p := 10
	for {
		*work--
		if *work < 0 || p+4 > len(data) {
			return dst[:base], 0, false
		}
		fl := be.Uint16(data[p:])
		comp := be.Uint16(data[p+2:])
		p += 4
		var a1, a2 int32 // offsets, or point numbers
		if fl&argsAreWords != 0 {
			if p+4 > len(data) {
				return dst[:base], 0, false
			}
			a1, a2 = int32(be.Uint16(data[p:])), int32(be.Uint16(data[p+2:]))
			if fl&argsAreXY != 0 {
				a1, a2 = int32(int16(a1)), int32(int16(a2))
			}
			p += 4
		} else {
			if p+2 > len(data) {
				return dst[:base], 0, false
			}
			a1, a2 = int32(data[p]), int32(data[p+1])
			if fl&argsAreXY != 0 {
				a1, a2 = int32(int8(a1)), int32(int8(a2))
			}
			p += 2
		}
		m := [4]float32{1, 0, 0, 1} // x' = m0·x + m2·y, y' = m1·x + m3·y
		f2dot14 := func(at int) float32 { return float32(int16(be.Uint16(data[at:]))) / 16384 }
		switch {
		case fl&haveScale != 0:
			if p+2 > len(data) {
				return dst[:base], 0, false
			}
			m[0] = f2dot14(p)
			m[3] = m[0]
			p += 2
		case fl&haveXYScale != 0:
			if p+4 > len(data) {
				return dst[:base], 0, false
			}
			m[0], m[3] = f2dot14(p), f2dot14(p+2)
			p += 4
		case fl&have2x2 != 0:
			if p+8 > len(data) {
				return dst[:base], 0, false
			}
			m[0], m[1], m[2], m[3] = f2dot14(p), f2dot14(p+2), f2dot14(p+4), f2dot14(p+6)
			p += 8
		}

		from := len(dst)
		var compShift float32
		var ok bool
		dst, compShift, ok = f.outlineRec(dst, comp, depth+1, work)
		if !ok {
			return dst[:base], 0, false
		}
		if fl&useMyMetrics != 0 {
			shift = compShift
		}
		pts := dst[from:]
		for i := range pts {
			q := &pts[i]
			q.x, q.y = m[0]*q.x+m[2]*q.y, m[1]*q.x+m[3]*q.y
		}
		var tx, ty float32
		switch {
		case fl&argsAreXY == 0:
			// Point matching: the component's point a2 lands on the
			// glyph's point a1 (of the components placed so far).
			if int(a1) >= from-base || int(a2) >= len(pts) {
				return dst[:base], 0, false
			}
			tx, ty = dst[base+int(a1)].x-pts[a2].x, dst[base+int(a1)].y-pts[a2].y
		case fl&scaledOffset != 0 && fl&(haveScale|haveXYScale|have2x2) != 0:
			// An offset scaled with the component, as FreeType (the
			// rasteriser of most PDF viewers) scales it.
			tx = float32(a1) * float32(math.Hypot(float64(m[0]), float64(m[2])))
			ty = float32(a2) * float32(math.Hypot(float64(m[3]), float64(m[1])))
		default:
			tx, ty = float32(a1), float32(a2)
		}
		for i := range pts {
			pts[i].x += tx
			pts[i].y += ty
		}
		if fl&more == 0 {
			return dst, shift, true
		}
	}
}

// simpleOutline appends the points of a simple glyph with nc contours.
func simpleOutline(dst []outlinePoint, data []byte, nc int, work *int) ([]outlinePoint, bool) {
	be := binary.BigEndian
	if nc == 0 {
		return dst, true
	}
	p := 10 + 2*nc
	if len(data) < p+2 {
		return dst, false
	}
	n := int(be.Uint16(data[p-2:])) + 1
	*work -= n
	if *work < 0 {
		return dst, false
	}
	q := p + 2 + int(be.Uint16(data[p:])) // past the instructions
	base := len(dst)
	dst = append(dst, make([]outlinePoint, n)...)
	pts := dst[base:]
	prevEnd := -1
	for i := range nc {
		e := int(be.Uint16(data[10+2*i:]))
		if e <= prevEnd || e >= n {
			return dst[:base], false
		}
		pts[e].end = true
		prevEnd = e
	}

	// Flags, then the x deltas, then the y deltas.
	const (
		onCurve = 0x01
		xShort  = 0x02
		yShort  = 0x04
		repeat  = 0x08
		xSame   = 0x10 // with xShort: positive
		ySame   = 0x20
	)
	flags := make([]byte, 0, n)
	for len(flags) < n {
		if q >= len(data) {
			return dst[:base], false
		}
		fl := data[q]
		q++
		r := 1
		if fl&repeat != 0 {
			if q >= len(data) {
				return dst[:base], false
			}
			r += int(data[q])
			q++
		}
		for ; r > 0 && len(flags) < n; r-- {
			flags = append(flags, fl)
		}
	}
	coord := func(short, same byte, set func(i int, v float32)) bool {
		var v int32
		for i, fl := range flags {
			switch {
			case fl&short != 0:
				if q >= len(data) {
					return false
				}
				d := int32(data[q])
				q++
				if fl&same == 0 {
					d = -d
				}
				v += d
			case fl&same == 0:
				if q+2 > len(data) {
					return false
				}
				v += int32(int16(be.Uint16(data[q:])))
				q += 2
			}
			set(i, float32(v))
		}
		return true
	}
	if !coord(xShort, xSame, func(i int, v float32) { pts[i].x = v }) ||
		!coord(yShort, ySame, func(i int, v float32) { pts[i].y = v }) {
		return dst[:base], false
	}
	for i, fl := range flags {
		pts[i].on = fl&onCurve != 0
	}
	return dst, true
}

// addContours adds the closed contours of pts, less (ox, oy), to z:
// straight segments between points on the curve, quadratic ones through
// control points, with the on-curve point implied between two control
// points. Points far outside z's bounds are clamped, which keeps the
// rasteriser's fixed-point arithmetic in range and changes nothing a real
// glyph shows.
func addContours(z *vector.Rasterizer, pts []outlinePoint, ox, oy float32) {
	start := 0
	for i := range pts {
		if pts[i].end {
			addContour(z, pts[start:i+1], ox, oy)
			start = i + 1
		}
	}
}

func addContour(z *vector.Rasterizer, c []outlinePoint, ox, oy float32) {
	n := len(c)
	if n < 2 {
		return
	}
	const far = 1 << 14
	b := z.Bounds()
	at := func(q outlinePoint) outlinePoint {
		q.x = min(max(q.x-ox, -far), float32(b.Dx())+far)
		q.y = min(max(q.y-oy, -far), float32(b.Dy())+far)
		return q
	}
	mid := func(a, b outlinePoint) outlinePoint {
		return outlinePoint{x: (a.x + b.x) / 2, y: (a.y + b.y) / 2, on: true}
	}
	// Start on the curve: at the first point, the last, or between them.
	var first outlinePoint
	from, count := 0, n
	switch {
	case c[0].on:
		first, from, count = at(c[0]), 1, n-1
	case c[n-1].on:
		first, from, count = at(c[n-1]), 0, n-1
	default:
		first = mid(at(c[n-1]), at(c[0]))
	}
	z.MoveTo(first.x, first.y)
	var ctrl outlinePoint
	haveCtrl := false
	for k := range count {
		p := at(c[from+k])
		switch {
		case p.on && haveCtrl:
			z.QuadTo(ctrl.x, ctrl.y, p.x, p.y)
			haveCtrl = false
		case p.on:
			z.LineTo(p.x, p.y)
		case haveCtrl:
			m := mid(ctrl, p)
			z.QuadTo(ctrl.x, ctrl.y, m.x, m.y)
			ctrl = p
		default:
			ctrl, haveCtrl = p, true
		}
	}
	if haveCtrl {
		z.QuadTo(ctrl.x, ctrl.y, first.x, first.y)
	} else {
		z.LineTo(first.x, first.y)
	}
}
