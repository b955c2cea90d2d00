package analysis

import (
	"encoding/json"
	"math/big"
	"strconv"
	"testing"
)

func TestPercentileRounding(t *testing.T) {
	for _, c := range []struct {
		le, n int
		want  string
	}{
		{1, 1, "100.0000000"},
		{4, 4, "100.0000000"},
		{1, 4, "25.0000000"},
		{1, 3, "33.3333333"},   // 33.33333333… rounds down
		{2, 3, "66.6666667"},   // 66.66666666… rounds up
		{1, 7, "14.2857143"},   // 14.28571428…
		{1, 1024, "0.0976563"}, // exactly 0.09765625: half up, where half-even would give …562
		{3, 1024, "0.2929688"}, // exactly 0.29296875
		{449999, 450000, "99.9997778"},
		{1, 450000, "0.0002222"},
		{0, 5, "0.0000000"},
	} {
		p, err := NewPercentile(c.le, c.n)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.String(); got != c.want {
			t.Errorf("%d of %d: got %s, want %s", c.le, c.n, got, c.want)
		}
		if f, _ := strconv.ParseFloat(c.want, 64); p.Float() != f {
			t.Errorf("%d of %d: Float() = %v, want %v", c.le, c.n, p.Float(), f)
		}
	}
}

func TestPercentileRefusesImpossibleCounts(t *testing.T) {
	for _, c := range [][2]int{{1, 0}, {0, 0}, {-1, 3}, {4, 3}, {1, -2}} {
		if _, err := NewPercentile(c[0], c[1]); err == nil {
			t.Errorf("NewPercentile(%d, %d) was accepted", c[0], c[1])
		}
	}
}

func TestPercentileJSONIsANumberWithSevenDecimals(t *testing.T) {
	p, _ := NewPercentile(2, 3)
	b, err := json.Marshal(struct{ P Percentile }{p})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"P":66.6666667}` {
		t.Fatalf("got %s", b)
	}
}

// ratPercentile is the reference: 100·le/n as an exact fraction, rounded
// half up to 7 decimals by big.Rat arithmetic, formatted with 7 decimals.
func ratPercentile(le, n uint64) string {
	r := new(big.Rat).SetFrac(new(big.Int).SetUint64(100*le), new(big.Int).SetUint64(n))
	// Adding half a unit of the 7th decimal and truncating is rounding half
	// up for a non-negative value.
	r.Add(r, big.NewRat(1, 2*percentileUnit))
	scaled := new(big.Int).Quo(new(big.Int).Mul(r.Num(), big.NewInt(percentileUnit)), r.Denom())
	s := scaled.String()
	for len(s) < 8 {
		s = "0" + s
	}
	return s[:len(s)-7] + "." + s[len(s)-7:]
}

func FuzzPercentile(f *testing.F) {
	for _, c := range [][2]uint64{{1, 3}, {2, 3}, {1, 1024}, {449999, 450000}, {1, 1}, {0, 7}, {1 << 40, 1<<41 + 3}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, le, n uint64) {
		n >>= 1 // counts come from ints
		if n == 0 {
			return
		}
		le %= n + 1
		p := percentileOf(le, n)
		if p > Hundred || (le == n && p != Hundred) {
			t.Fatalf("%d of %d gives %s", le, n, p)
		}
		// 100·le is exact in the reference only while it fits 64 bits.
		if le <= 1<<56 {
			if want := ratPercentile(le, n); p.String() != want {
				t.Fatalf("%d of %d: got %s, want %s", le, n, p, want)
			}
		}
		if f, err := strconv.ParseFloat(p.String(), 64); err != nil || f != p.Float() {
			t.Fatalf("%s parses as %v (%v), Float() is %v", p, f, err, p.Float())
		}
		if le < n && percentileOf(le+1, n) < p {
			t.Fatalf("not monotone at %d of %d", le, n)
		}
	})
}
