package assess

import (
	"math"
	"testing"
)

// FuzzCheckMark checks that every score a marker may submit is within
// the question's marks and on the exam's step.
func FuzzCheckMark(f *testing.F) {
	for _, s := range []float64{0, 0.5, 6.3, -0.5, 10, 10.5, math.NaN(), math.Inf(1)} {
		f.Add(s, 10.0, 0.5)
	}
	f.Fuzz(func(t *testing.T, score, max, step float64) {
		if !(max > 0 && max < 1e6) || (step != 0.25 && step != 0.5 && step != 1) {
			return
		}
		if checkMark(score, max, step) != "" {
			return
		}
		if math.IsNaN(score) || score < 0 || score > max+1e-9 {
			t.Fatalf("score %v accepted for max %v", score, max)
		}
		if q := score / step; math.Abs(q-math.Round(q)) > 1e-9 {
			t.Fatalf("score %v accepted off step %v", score, step)
		}
	})
}
