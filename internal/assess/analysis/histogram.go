package analysis

import (
	"math"
	"strconv"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Histogram counts scores in bins of equal width: bin i holds the scores
// in [Edge(i), Edge(i+1)).
type Histogram struct {
	Start  float64 // the lower edge of the first bin, a multiple of Width
	Width  float64
	Counts []int
}

// MaxBins bounds the bins of a histogram, so that a tiny width given by a
// caller cannot make a huge one.
const MaxBins = 10_000

// autoBins is the most bins an automatic width gives.
const autoBins = 25

// micro is the resolution of histogram arithmetic: a millionth of a mark.
const micro = 1e6

// maxMicroScore keeps scores in millionths below 2⁵³, where float64 holds
// every integer exactly.
const maxMicroScore = 1e9

// NewHistogram bins scores, which must be finite and at most 10⁹ in
// size. A width of 0 chooses one (see the package doc); otherwise the
// width, taken to a millionth of a mark, must make at most MaxBins bins.
func NewHistogram(scores []float64, width float64) (Histogram, error) {
	const op = "analysis: histogram"
	if len(scores) == 0 {
		return Histogram{}, errs.E(errs.Invalid, op, "no scores")
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	whole := true
	for _, x := range scores {
		if !finite(x) || math.Abs(x) > maxMicroScore {
			return Histogram{}, errs.E(errs.Invalid, op, "score %v is not a number of at most 10⁹", x)
		}
		m := toMicro(x)
		lo, hi = min(lo, m), max(hi, m)
		if m%micro != 0 {
			whole = false
		}
	}
	var w int64
	switch {
	case width == 0:
		w = autoWidth(lo, hi, whole)
	case !finite(width) || width < 0 || width > maxMicroScore:
		return Histogram{}, errs.E(errs.Invalid, op, "bin width %v is not a positive number", width)
	default:
		w = toMicro(width)
		if w < 1 {
			return Histogram{}, errs.E(errs.Invalid, op, "bin width %v is below a millionth of a mark", width)
		}
		if bins := floorDiv(hi, w) - floorDiv(lo, w) + 1; bins > MaxBins {
			return Histogram{}, errs.E(errs.Invalid, op, "bin width %v makes %d bins, more than %d", width, bins, MaxBins)
		}
	}
	first := floorDiv(lo, w)
	h := Histogram{
		Start:  float64(first*w) / micro,
		Width:  float64(w) / micro,
		Counts: make([]int, floorDiv(hi, w)-first+1),
	}
	for _, x := range scores {
		h.Counts[floorDiv(toMicro(x), w)-first]++
	}
	return h, nil
}

// autoWidth is the smallest of 1, 2, 5 × 10^k millionths (at least a whole
// mark when whole) giving at most autoBins bins over [lo, hi].
func autoWidth(lo, hi int64, whole bool) int64 {
	w := int64(1)
	if whole {
		w = micro
	}
	for {
		for _, m := range [...]int64{1, 2, 5} {
			if floorDiv(hi, w*m)-floorDiv(lo, w*m)+1 <= autoBins {
				return w * m
			}
		}
		w *= 10
	}
}

// N returns the number of scores counted.
func (h Histogram) N() int {
	n := 0
	for _, c := range h.Counts {
		n += c
	}
	return n
}

// Edge returns the lower edge of bin i (the upper edge of bin i-1),
// exactly to a millionth of a mark.
func (h Histogram) Edge(i int) float64 {
	return float64(toMicro(h.Start)+int64(i)*toMicro(h.Width)) / micro
}

// formatMark writes a score or an edge without float noise.
func formatMark(x float64) string {
	return strconv.FormatFloat(float64(toMicro(x))/micro, 'f', -1, 64)
}

func toMicro(x float64) int64 { return int64(math.Round(x * micro)) }

// floorDiv is a ÷ b rounded down, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
