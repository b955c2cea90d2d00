package pdf

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/go-text/typesetting/language"
)

// program returns the uncompressed subset font program.
func (u *glyphUse) program(n int) []byte {
	dir, tail, _, _ := u.subsetTables(nil, n)
	out := append([]byte(nil), dir[:]...)
	for g := range n {
		if u.has(g) {
			out = append(out, u.f.glyphs[g]...)
		}
	}
	return append(out, tail...)
}

// TestSubsetKeepsExactlyTheGlyphsDrawn builds subsets for shaped names and
// checks them table by table: the drawn glyphs' outlines at their own ids
// with their components and .notdef, nothing else, the metrics of the kept
// glyphs, and a compressed stream that inflates to the same program.
func TestSubsetKeepsExactlyTheGlyphsDrawn(t *testing.T) {
	if err := builtinFonts(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    *fontFile
		text string
	}{
		{builtin.devaReg, "क्षितिज श्रीवास्तव कृष्णमूर्ति"},
		{builtin.devaBold, "प्रज्ञा द्विवेदी हर्ष ज़ैनब"},
		{builtin.sansRegular, "Zoë Ağaoğlu — Kshitij Šrivastava ǅ"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			f := tc.f
			var out shaped
			newShaper([]*fontFile{f}).shape(&family{faces: []int{0}}, tc.text, language.NewLanguage("hi"), &out)
			u := newGlyphUse(f)
			drawn := map[uint16]bool{}
			for _, g := range out.glyphs {
				u.mark(g.gid, g.uni, g.prio)
				drawn[g.gid] = true
			}
			n := u.close()
			want := map[uint16]bool{0: true}
			var add func(g uint16)
			add = func(g uint16) {
				want[g] = true
				for _, c := range f.comps[g] {
					add(c)
				}
			}
			maxG := 0
			for g := range drawn {
				add(g)
			}
			for g := range want {
				maxG = max(maxG, int(g))
			}
			if n != maxG+1 {
				t.Errorf("the subset keeps %d glyph ids, want %d", n, maxG+1)
			}

			prog := u.program(n)
			checkSubsetProgram(t, prog)
			tables, _ := readTablesLoose(prog)
			be := binary.BigEndian
			if got := int(be.Uint16(tables["maxp"].data[4:])); got != n {
				t.Errorf("maxp says %d glyphs, want %d", got, n)
			}
			short := be.Uint16(tables["head"].data[50:]) == 0
			loca := func(g int) int {
				if short {
					return 2 * int(be.Uint16(tables["loca"].data[2*g:]))
				}
				return int(be.Uint32(tables["loca"].data[4*g:]))
			}
			glyf, hmtx := tables["glyf"].data, tables["hmtx"].data
			composite := false
			for g := range n {
				data := glyf[loca(g):loca(g+1)]
				adv := be.Uint16(hmtx[4*g:])
				if want[uint16(g)] {
					if !bytes.Equal(data, f.glyphs[g]) {
						t.Errorf("glyph %d: outline differs from the font's", g)
					}
					if adv != f.adv[g] {
						t.Errorf("glyph %d: advance %d, want %d", g, adv, f.adv[g])
					}
					composite = composite || len(f.comps[g]) > 0
				} else if len(data) != 0 || adv != 0 {
					t.Errorf("glyph %d is not used but kept (%d bytes, advance %d)", g, len(data), adv)
				}
			}
			t.Logf("%d glyphs drawn, %d kept, ids below %d, composites: %v", len(drawn), len(want), n, composite)

			// The stream written with spliced outlines inflates to the
			// same program.
			var z zstream
			var m matcher
			z.begin(nil, f.table, &m)
			size, _ := u.writeProgram(&z, n, nil)
			got := inflate(t, z.end())
			if size != len(prog) || !bytes.Equal(got, prog) {
				t.Errorf("the compressed program (%d bytes, said %d) differs from the program (%d bytes)", len(got), size, len(prog))
			}
		})
	}
}

// TestSubsetTagsDiffer checks subsets of one font with different glyphs
// get different tags, and the same glyphs the same tag.
func TestSubsetTagsDiffer(t *testing.T) {
	if err := builtinFonts(); err != nil {
		t.Fatal(err)
	}
	u := newGlyphUse(builtin.sansRegular)
	tagOf := func(gs ...uint16) [6]byte {
		u.reset()
		for _, g := range gs {
			u.mark(g, "", 0)
		}
		return u.tag()
	}
	a, b, a2 := tagOf(36, 37, 38), tagOf(36, 37, 39), tagOf(38, 37, 36)
	if a == b || a != a2 {
		t.Errorf("tags %s %s %s", a[:], b[:], a2[:])
	}
	for _, c := range a {
		if c < 'A' || c > 'Z' {
			t.Errorf("tag %q is not six capital letters", a[:])
		}
	}
}
