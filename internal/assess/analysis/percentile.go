package analysis

import (
	"math/bits"
	"strconv"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Percentile is an NTA percentile rounded to 7 decimals, held exactly as
// a count of 10⁻⁷; compare Percentiles with the usual operators.
type Percentile uint64

// percentileUnit is 10⁷: Percentile units per 1 percentile point.
const percentileUnit = 10_000_000

// Hundred is the percentile of the top scorer of every shift.
const Hundred Percentile = 100 * percentileUnit

// NewPercentile returns 100 × atOrBelow ÷ total, rounded half up to 7
// decimals, computed exactly.
func NewPercentile(atOrBelow, total int) (Percentile, error) {
	if total <= 0 || atOrBelow < 0 || atOrBelow > total {
		return 0, errs.E(errs.Invalid, "analysis: percentile", "need 0 ≤ candidates at or below (%d) ≤ candidates (%d) and at least one candidate", atOrBelow, total)
	}
	return percentileOf(uint64(atOrBelow), uint64(total)), nil
}

// percentileOf is NewPercentile for 0 ≤ le ≤ n, n > 0.
func percentileOf(le, n uint64) Percentile {
	// 100·10⁷·le/n rounded half up is ⌊(2·10⁹·le + n) ÷ 2n⌋. The product
	// takes 128 bits so that no count of candidates overflows; the quotient
	// is at most 10⁹, so Div64 cannot overflow either.
	hi, lo := bits.Mul64(le, 2*100*percentileUnit)
	lo, carry := bits.Add64(lo, n, 0)
	hi += carry
	// n comes from an int, so n < 2⁶³ and 2n does not overflow.
	q, _ := bits.Div64(hi, lo, 2*n)
	return Percentile(q)
}

// Float returns p as a float64 (the nearest to its 7-decimal value).
func (p Percentile) Float() float64 { return float64(p) / percentileUnit }

// String returns p with exactly 7 decimals, e.g. "99.1234567".
func (p Percentile) String() string { return string(p.AppendText(nil)) }

// AppendText appends p's String form to b.
func (p Percentile) AppendText(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(p)/percentileUnit, 10)
	b = append(b, '.')
	frac := uint64(p) % percentileUnit
	for d := uint64(percentileUnit / 10); d > 0; d /= 10 {
		b = append(b, byte('0'+frac/d%10))
	}
	return b
}

// MarshalJSON writes p as a JSON number with exactly 7 decimals.
func (p Percentile) MarshalJSON() ([]byte, error) { return p.AppendText(nil), nil }
