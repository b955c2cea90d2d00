package pdf

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"golang.org/x/image/vector"
)

// TestOutlinesMatchGoText draws every glyph of the shipped fonts and the
// Tamil test font from this package's reading of the glyf data (the
// outlines embedded in the PDF) and from go-text's own, and requires the
// same pixels: simple glyphs, composite glyphs with offsets and scales,
// and the shift to the left side bearing.
func TestOutlinesMatchGoText(t *testing.T) {
	if err := builtinFonts(); err != nil {
		t.Fatal(err)
	}
	tamil, err := os.ReadFile(filepath.Join("testdata", "NotoSansTamil-Regular.ttf"))
	if err != nil {
		t.Fatal(err)
	}
	ta, err := parseFont("Tamil", tamil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*fontFile{builtin.sansRegular, builtin.sansBold, builtin.devaReg, builtin.devaBold, ta} {
		t.Run(f.name, func(t *testing.T) {
			face := font.NewFace(f.otf)
			var pts []outlinePoint
			var z vector.Rasterizer
			composites, drawn := 0, 0
			for g := range f.numGlyphs {
				if len(f.comps[g]) > 0 {
					composites++
				}
				pts = f.outline(pts[:0], uint16(g))
				ref, _ := face.GlyphData(font.GID(g)).(font.GlyphOutline)
				if len(pts) == 0 && len(ref.Segments) == 0 {
					continue
				}
				drawn++
				// The glyph at 64 pixels per em, in a box around both
				// outlines' points.
				k := float32(64) / float32(f.upem)
				minX, minY, maxX, maxY := float32(math.Inf(1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Inf(-1))
				grow := func(x, y float32) {
					minX, maxX = min(minX, x*k), max(maxX, x*k)
					minY, maxY = min(minY, -y*k), max(maxY, -y*k)
				}
				for _, p := range pts {
					grow(p.x, p.y)
				}
				for _, s := range ref.Segments {
					for _, a := range s.ArgsSlice() {
						grow(a.X, a.Y)
					}
				}
				ox, oy := 2-float32(math.Floor(float64(minX))), 2-float32(math.Floor(float64(minY)))
				w, h := int(maxX+ox)+3, int(maxY+oy)+3
				ours := image.NewAlpha(image.Rect(0, 0, w, h))
				theirs := image.NewAlpha(image.Rect(0, 0, w, h))

				z.Reset(w, h)
				moved := make([]outlinePoint, len(pts))
				for i, p := range pts {
					moved[i] = outlinePoint{x: ox + p.x*k, y: oy - p.y*k, on: p.on, end: p.end}
				}
				addContours(&z, moved, 0, 0)
				z.Draw(ours, ours.Bounds(), image.Opaque, image.Point{})

				z.Reset(w, h)
				at := func(p ot.SegmentPoint) (float32, float32) { return ox + p.X*k, oy - p.Y*k }
				for _, s := range ref.Segments {
					switch s.Op {
					case ot.SegmentOpMoveTo:
						z.MoveTo(at(s.Args[0]))
					case ot.SegmentOpLineTo:
						z.LineTo(at(s.Args[0]))
					case ot.SegmentOpQuadTo:
						bx, by := at(s.Args[0])
						cx, cy := at(s.Args[1])
						z.QuadTo(bx, by, cx, cy)
					case ot.SegmentOpCubeTo:
						t.Fatalf("glyph %d: a cubic segment in a TrueType font", g)
					}
				}
				z.Draw(theirs, theirs.Bounds(), image.Opaque, image.Point{})

				worst := 0
				for i := range ours.Pix {
					d := int(ours.Pix[i]) - int(theirs.Pix[i])
					worst = max(worst, d, -d)
				}
				// Rounding differs with the order of the points; a
				// misplaced point or contour differs by far more.
				if worst > 4 {
					t.Errorf("glyph %d (composite: %v): coverage differs by up to %d of 255 from go-text's outline", g, len(f.comps[g]) > 0, worst)
				}
			}
			if drawn < 100 {
				t.Errorf("only %d glyphs drawn", drawn)
			}
			t.Logf("%d glyphs drawn, %d composite", drawn, composites)
		})
	}
}

// TestDamagedOutlinesAreSkipped feeds outline glyph data that is cut
// short, points past its own end or nests without end: it must return
// nothing rather than panic or loop.
func TestDamagedOutlinesAreSkipped(t *testing.T) {
	f := &fontFile{upem: 1000, numGlyphs: 3, lsb: make([]int16, 3)}
	// A triangle: one contour, end point 2, no instructions, flags, then
	// x and y as one-byte deltas.
	simple := []byte{0, 1, 0, 0, 0, 0, 0, 10, 0, 10, 0, 2, 0, 0, 0x37, 0x37, 0x27, 0, 10, 10, 0, 0, 10}
	f.glyphs = [][]byte{
		simple,
		{0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22, 0, 1, 0, 0, 0, 0x22, 0, 2, 0, 0}, // components 1 and 2, both composite
		{0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22, 0, 2, 0, 0, 0, 0x02, 0, 1, 0, 0}, // itself, then 1
	}
	want := []outlinePoint{{0, 0, true, false}, {10, 0, true, false}, {0, 10, true, true}}
	if pts := f.outline(nil, 0); !slices.Equal(pts, want) {
		t.Errorf("a sound triangle gives %+v, want %+v", pts, want)
	}
	for n := range len(simple) {
		f.glyphs[0] = simple[:n]
		if pts := f.outline(nil, 0); len(pts) != 0 {
			t.Errorf("glyph data cut to %d bytes gives %d points", n, len(pts))
		}
	}
	f.glyphs[0] = simple
	if pts := f.outline(nil, 1); len(pts) != 0 {
		t.Errorf("a composite that nests without end gives %d points", len(pts))
	}
}

// FuzzGlyphOutline reads arbitrary bytes as glyph data, an authority's
// font being untrusted: never a panic, never more points than the data
// can describe, and every contour closed.
func FuzzGlyphOutline(f *testing.F) {
	if err := builtinFonts(); err != nil {
		f.Fatal(err)
	}
	deva := builtin.devaBold
	for g := range deva.numGlyphs {
		if len(deva.comps[g]) > 1 {
			f.Add(deva.glyphs[g], deva.glyphs[deva.comps[g][0]])
			break
		}
	}
	f.Add(deva.glyphs[100], deva.glyphs[101])
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ff := &fontFile{upem: 1000, numGlyphs: 3, lsb: []int16{0, 10, -10}, glyphs: [][]byte{a, b, a}}
		var z vector.Rasterizer
		for g := range 3 {
			pts := ff.outline(nil, uint16(g))
			if len(pts) > maxOutlineWork {
				t.Fatalf("glyph %d: %d points", g, len(pts))
			}
			if len(pts) > 0 && !pts[len(pts)-1].end {
				t.Fatalf("glyph %d: the last contour is not closed", g)
			}
			z.Reset(64, 64)
			addContours(&z, pts, 0, 0)
		}
	})
}
