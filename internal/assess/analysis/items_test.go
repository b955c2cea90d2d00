package analysis

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// paper builds an attempt over items 1…len(scores), each out of 1 mark;
// choices[i] is the option chosen ("" for none, "-" for unanswered).
func paper(id int64, scores []float64, choices ...string) Attempt {
	a := Attempt{ID: id}
	for i, s := range scores {
		r := Response{Item: int64(i + 1), Score: s, Max: 1, Answered: true}
		if i < len(choices) {
			if choices[i] == "-" {
				r.Answered = false
			} else {
				r.Choice = choices[i]
			}
		}
		a.Items = append(a.Items, r)
		a.Score += s
	}
	return a
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func item(t *testing.T, rep *ItemReport, id int64) ItemStats {
	t.Helper()
	for _, s := range rep.Items {
		if s.Item == id {
			return s
		}
	}
	t.Fatalf("no statistics for item %d", id)
	return ItemStats{}
}

func TestItemsFiveCandidatesThreeItems(t *testing.T) {
	//        I1 I2 I3  total  I1 choice  I2 choice (key B)
	//   c1    1  1  1    3      A          B
	//   c2    1  1  0    2      A          B
	//   c3    1  0  1    2      A          C
	//   c4    1  0  0    1      A          A
	//   c5    0  0  0    0      B          (omitted)
	//
	// Facility: I1 4/5 = 0.8, I2 2/5 = 0.4, I3 2/5 = 0.4.
	//
	// I1: x = 1,1,1,1,0 (mean .8); rest = 2,1,1,0,0 (mean .8)
	//   Σdx·dy = .2·1.2 + .2·.2 + .2·.2 + .2·(−.8) + (−.8)(−.8) = .8
	//   Σdx² = 4·.04 + .64 = .8;  Σdy² = 1.44+.04+.04+.64+.64 = 2.8
	//   r = .8/√(.8·2.8) = √(2/7) = 0.5345224838
	// I2: x = 1,1,0,0,0 (.4); rest = 2,1,2,1,0 (1.2)
	//   Σdx·dy = .48 − .12 − .32 + .08 + .48 = .6; Σdx² = 1.2; Σdy² = 2.8
	//   r = .6/√3.36 = √(3/28) = 0.3273268354
	// I3: x = 1,0,1,0,0; rest = 2,2,1,1,0: the same sums, r = √(3/28).
	//
	// Totals 3,2,2,1,0: mean 1.6, Σdev² = 1.96+.16+.16+.36+2.56 = 5.2,
	// population variance 1.04, SD √1.04; median 2.
	// Item variances .16 + .24 + .24 = .64;
	// α = 3/2 · (1 − .64/1.04) = 15/26 = 0.5769230769.
	//
	// Groups: round(0.27·5) = round(1.35) = 1: top {c1}, bottom {c5}.
	// I2 options: A 1/5, B 2/5, C 1/5, omitted 1/5; top: B 1/1;
	// bottom: omitted 1/1.
	attempts := []Attempt{
		paper(1, []float64{1, 1, 1}, "A", "B"),
		paper(2, []float64{1, 1, 0}, "A", "B"),
		paper(3, []float64{1, 0, 1}, "A", "C"),
		paper(4, []float64{1, 0, 0}, "A", "A"),
		paper(5, []float64{0, 0, 0}, "B", "-"),
	}
	rep, err := AnalyseItems(attempts)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		id        int64
		fac, disc float64
	}{{1, 0.8, math.Sqrt(2.0 / 7)}, {2, 0.4, math.Sqrt(3.0 / 28)}, {3, 0.4, math.Sqrt(3.0 / 28)}} {
		s := item(t, rep, w.id)
		if s.N != 5 || !near(s.Facility, w.fac) || !near(s.Discrimination, w.disc) || s.Flags != 0 {
			t.Errorf("item %d: n %d facility %v discrimination %v flags %v; want 5, %v, %v, none", w.id, s.N, s.Facility, s.Discrimination, s.Flags, w.fac, w.disc)
		}
	}
	ts := rep.Test
	if ts.N != 5 || !near(ts.Mean, 1.6) || !near(ts.SD, math.Sqrt(1.04)) || ts.Min != 0 || ts.Max != 3 || ts.Median != 2 || ts.Items != 3 || ts.GroupSize != 1 {
		t.Errorf("test statistics %+v", ts)
	}
	if a := ts.Alpha; !a.Available || a.Common || a.Items != 3 || !near(a.Alpha, 15.0/26) {
		t.Errorf("alpha %+v, want 15/26 over all 3 items", a)
	}

	i2 := item(t, rep, 2)
	want := []OptionShare{
		{Option: "A", Count: 1, Share: 0.2},
		{Option: "B", Count: 2, TopCount: 1, Share: 0.4, TopShare: 1},
		{Option: "C", Count: 1, Share: 0.2},
	}
	if !slices.Equal(i2.Options, want) {
		t.Errorf("item 2 options %+v, want %+v", i2.Options, want)
	}
	if o := i2.Omitted; o != (OptionShare{Count: 1, BottomCount: 1, Share: 0.2, BottomShare: 1}) || i2.TopN != 1 || i2.BottomN != 1 {
		t.Errorf("item 2 omitted %+v (groups %d, %d)", o, i2.TopN, i2.BottomN)
	}
	if i3 := item(t, rep, 3); i3.Options != nil {
		t.Errorf("item 3 had no choices but got options %+v", i3.Options)
	}
}

func TestWronglyKeyedItemHasNegativeDiscrimination(t *testing.T) {
	// Item 4's key is wrong: the strong candidates "miss" it.
	//        I1 I2 I3 I4  rest of I4
	//   c1    1  1  1  0   3
	//   c2    1  1  0  0   2
	//   c3    1  0  0  1   1
	//   c4    0  0  0  1   0
	// x = 0,0,1,1 (mean .5), rest = 3,2,1,0 (mean 1.5)
	// Σdx·dy = (−.5)(1.5) + (−.5)(.5) + (.5)(−.5) + (.5)(−1.5) = −2
	// Σdx² = 1, Σdy² = 5: r = −2/√5 = −0.894427191.
	attempts := []Attempt{
		paper(1, []float64{1, 1, 1, 0}),
		paper(2, []float64{1, 1, 0, 0}),
		paper(3, []float64{1, 0, 0, 1}),
		paper(4, []float64{0, 0, 0, 1}),
	}
	rep, err := AnalyseItems(attempts)
	if err != nil {
		t.Fatal(err)
	}
	s := item(t, rep, 4)
	if !near(s.Discrimination, -2/math.Sqrt(5)) || s.Flags != Negative || s.Flags.String() != "negative" {
		t.Fatalf("item 4: discrimination %v flags %v, want −2/√5 and negative", s.Discrimination, s.Flags)
	}
}

func TestItemFlags(t *testing.T) {
	// Item 1: everyone right → facility 1, no variance (too easy).
	// Item 2: everyone wrong → facility 0, no variance (too hard).
	// Item 3: uncorrelated with the rest (worked below) → weak.
	attempts := []Attempt{
		paper(1, []float64{1, 0, 1, 1}),
		paper(2, []float64{1, 0, 0, 1}),
		paper(3, []float64{1, 0, 0, 1}),
		paper(4, []float64{1, 0, 1, 0}),
		paper(5, []float64{1, 0, 0, 0}),
		paper(6, []float64{1, 0, 0, 0}),
	}
	rep, err := AnalyseItems(attempts)
	if err != nil {
		t.Fatal(err)
	}
	if s := item(t, rep, 1); s.Flags != NoVariance|TooEasy || s.Discrimination != 0 || s.Facility != 1 {
		t.Errorf("item 1: %+v", s)
	}
	if s := item(t, rep, 2); s.Flags != NoVariance|TooHard || s.Discrimination != 0 || s.Facility != 0 {
		t.Errorf("item 2: %+v", s)
	}
	// Item 3: x = 1,0,0,1,0,0 (mean 1/3), rest = 1+0+1=2,2,2,1,1,1 (mean 1.5)
	// Σdx·dy = (2/3)(.5) + (−1/3)(.5)·2 + (2/3)(−.5) + (−1/3)(−.5)·2 = 0
	// so r = 0: weak, not negative.
	if s := item(t, rep, 3); s.Flags != Weak || !near(s.Discrimination, 0) {
		t.Errorf("item 3: %+v", s)
	}
	if got := (NoVariance | TooEasy).Names(); !slices.Equal(got, []string{"no-variance", "too-easy"}) {
		t.Errorf("names %v", got)
	}
}

func TestAlphaOverCommonItemsWhenPapersDiffer(t *testing.T) {
	// Items 1 and 2 are on every paper; 3 and 4 come from a pool.
	//   c1: 1:1 2:1 3:1;  c2: 1:1 2:0 4:1;  c3: 1:0 2:0 3:1
	// Common items: i1 = 1,1,0 (variance 2/9), i2 = 1,0,0 (2/9);
	// their sum = 2,1,0 (variance 2/3).
	// α = 2/1 · (1 − (4/9)/(2/3)) = 2/3.
	mk := func(id int64, s [3]float64, pool int64) Attempt {
		a := Attempt{ID: id, Score: s[0] + s[1] + s[2]}
		a.Items = []Response{{Item: 1, Score: s[0], Max: 1}, {Item: pool, Score: s[2], Max: 1}, {Item: 2, Score: s[1], Max: 1}}
		return a
	}
	attempts := []Attempt{mk(1, [3]float64{1, 1, 1}, 3), mk(2, [3]float64{1, 0, 1}, 4), mk(3, [3]float64{0, 0, 1}, 3)}
	rep, err := AnalyseItems(attempts)
	if err != nil {
		t.Fatal(err)
	}
	if a := rep.Test.Alpha; !a.Available || !a.Common || a.Items != 2 || !near(a.Alpha, 2.0/3) {
		t.Fatalf("alpha %+v, want 2/3 over 2 common items", a)
	}
	if s := item(t, rep, 4); s.N != 1 || s.Flags&NoVariance == 0 {
		t.Errorf("item 4, on one paper: %+v", s)
	}
	if s := item(t, rep, 3); s.N != 2 {
		t.Errorf("item 3 was on 2 papers, got n %d", s.N)
	}

	// With only item 1 in common, α is not available.
	attempts[1].Items[2].Item = 5
	rep, err = AnalyseItems(attempts)
	if err != nil {
		t.Fatal(err)
	}
	if a := rep.Test.Alpha; a.Available || a.Items != 1 || !a.Common {
		t.Fatalf("alpha %+v, want not available with 1 common item", a)
	}
}

func TestAnalyseItemsRefusesBadItems(t *testing.T) {
	good := func() []Attempt { return []Attempt{paper(1, []float64{1, 0}), paper(2, []float64{0, 1})} }
	for _, c := range []struct {
		name   string
		change func([]Attempt)
	}{
		{"an item twice on one paper", func(a []Attempt) { a[1].Items[1].Item = 1 }},
		{"an item without marks", func(a []Attempt) { a[0].Items[1].Max = 0 }},
		{"an item score that is not a number", func(a []Attempt) { a[1].Items[0].Score = math.NaN() }},
		{"an infinite maximum", func(a []Attempt) { a[1].Items[0].Max = math.Inf(1) }},
		{"a repeated attempt id", func(a []Attempt) { a[1].ID = 1 }},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			a := good()
			c.change(a)
			if rep, err := AnalyseItems(a); !errs.Is(err, errs.Invalid) || rep != nil {
				t.Fatalf("got %v, %v; want an invalid error", rep, err)
			}
		})
	}
	if _, err := AnalyseItems(good()); err != nil {
		t.Fatalf("the good attempts were refused: %v", err)
	}
}

// randomPapers makes n attempts at k 0/1 items with a latent ability, so
// that items correlate as real ones do.
func randomPapers(rng *rand.Rand, n, k int) []Attempt {
	out := make([]Attempt, n)
	diff := make([]float64, k)
	for j := range diff {
		diff[j] = rng.NormFloat64()
	}
	for i := range out {
		theta := rng.NormFloat64()
		scores := make([]float64, k)
		for j := range scores {
			if rng.Float64() < 1/(1+math.Exp(diff[j]-theta)) {
				scores[j] = 1
			}
		}
		out[i] = paper(int64(i+1), scores)
	}
	return out
}

// refAlpha is Cronbach's α from the textbook two-pass formula with sample
// (n−1) variances.
func refAlpha(attempts []Attempt) float64 {
	n, k := len(attempts), len(attempts[0].Items)
	variance := func(x []float64) float64 {
		var m float64
		for _, v := range x {
			m += v
		}
		m /= float64(len(x))
		var s float64
		for _, v := range x {
			s += (v - m) * (v - m)
		}
		return s / float64(len(x)-1)
	}
	var sumVar float64
	col := make([]float64, n)
	for j := range k {
		for i, a := range attempts {
			col[i] = a.Items[j].Score
		}
		sumVar += variance(col)
	}
	for i, a := range attempts {
		col[i] = a.Score
	}
	return float64(k) / float64(k-1) * (1 - sumVar/variance(col))
}

// refPointBiserial is (M₁ − M₀)/s · √(p·q) over the rest-of-test score:
// M₁ and M₀ the mean rest score of those right and wrong, s its population
// SD, p the share right.
func refPointBiserial(attempts []Attempt, j int) float64 {
	var n1, n0, s1, s0, sum, sum2 float64
	for _, a := range attempts {
		x := a.Items[j].Score
		rest := a.Score - x
		if x == 1 {
			n1, s1 = n1+1, s1+rest
		} else {
			n0, s0 = n0+1, s0+rest
		}
		sum += rest
		sum2 += rest * rest
	}
	n := n1 + n0
	mean := sum / n
	sd := math.Sqrt(sum2/n - mean*mean)
	return (s1/n1 - s0/n0) / sd * math.Sqrt(n1/n*n0/n)
}

func TestAlphaAndPointBiserialAgainstReferenceFormulas(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := range 30 {
		n, k := 20+rng.IntN(300), 2+rng.IntN(30)
		attempts := randomPapers(rng, n, k)
		rep, err := AnalyseItems(attempts)
		if err != nil {
			t.Fatal(err)
		}
		a := rep.Test.Alpha
		if want := refAlpha(attempts); !a.Available || math.Abs(a.Alpha-min(want, 1)) > 1e-9 || a.Alpha > 1 {
			t.Fatalf("round %d: α %+v, reference %v", round, a, want)
		}
		for j := range k {
			s := item(t, rep, int64(j+1))
			if s.Flags.Has(NoVariance) {
				continue
			}
			if want := refPointBiserial(attempts, j); math.Abs(s.Discrimination-want) > 1e-9 {
				t.Fatalf("round %d item %d: discrimination %v, point-biserial %v", round, j+1, s.Discrimination, want)
			}
		}
	}
}

func TestAlphaNeverExceedsOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	// Identical items are the extreme case: α = 1 exactly in theory.
	for round := range 200 {
		n, k := 2+rng.IntN(40), 2+rng.IntN(8)
		attempts := make([]Attempt, n)
		for i := range attempts {
			scores := make([]float64, k)
			base := float64(rng.IntN(5)) * 0.1
			for j := range scores {
				scores[j] = base
				if round%2 == 0 {
					scores[j] = float64(rng.IntN(4)) * 0.25
				}
			}
			attempts[i] = paper(int64(i), scores)
		}
		rep, err := AnalyseItems(attempts)
		if err != nil {
			t.Fatal(err)
		}
		if a := rep.Test.Alpha; a.Available && a.Alpha > 1 {
			t.Fatalf("round %d: α = %v", round, a.Alpha)
		}
	}
}
