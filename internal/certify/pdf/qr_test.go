package pdf

import (
	"strings"
	"testing"

	"rsc.io/qr"
	"rsc.io/qr/coding"
)

func (c *qrCode) dark(x, y int) bool { return c.bits[y*c.stride+x/8]&(0x80>>(x%8)) != 0 }

// TestQRMatchesRscQR checks the faster encoder against rsc.io/qr module
// by module, for every kind of payload, several lengths and every level.
func TestQRMatchesRscQR(t *testing.T) {
	payloads := []string{
		"1", "0123456789", strings.Repeat("9", 500),
		"HELLO VIDYA $%*+-./:", strings.Repeat("AB12 ", 60),
		"https://vidya.example/verify/7Q4M-XK2P-9RTA", payload400(3), strings.Repeat("क्षितिज", 40),
		strings.Repeat("z", 2300),
	}
	var c qrCode // reused, as a render state reuses it
	for _, p := range payloads {
		for _, l := range []coding.Level{coding.L, coding.M, coding.Q, coding.H} {
			want, werr := qr.Encode(p, qr.Level(l))
			err := encodeQR(&c, p, l)
			if (err != nil) != (werr != nil) {
				t.Fatalf("%d bytes at %s: error %v, rsc.io/qr gives %v", len(p), l, err, werr)
			}
			if err != nil {
				continue
			}
			if c.size != want.Size {
				t.Fatalf("%d bytes at %s: size %d, rsc.io/qr gives %d", len(p), l, c.size, want.Size)
			}
			for y := range c.size {
				for x := range c.size {
					if c.dark(x, y) != want.Black(x, y) {
						t.Fatalf("%d bytes at %s: module (%d, %d) differs", len(p), l, x, y)
					}
				}
			}
		}
	}
}

func TestNextBitFindsRuns(t *testing.T) {
	row := []byte{0b0111_0000, 0b0000_0001, 0b1111_1111, 0b1000_0000}
	var runs [][2]int
	for x := 0; x < 26; {
		b := nextBit(row, x, 26, true)
		if b >= 26 {
			break
		}
		x = nextBit(row, b, 26, false)
		runs = append(runs, [2]int{b, x})
	}
	want := [][2]int{{1, 4}, {15, 25}}
	if len(runs) != len(want) || runs[0] != want[0] || runs[1] != want[1] {
		t.Errorf("runs %v, want %v", runs, want)
	}
}
