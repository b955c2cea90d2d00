package analysis

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Flags mark items that need a reviewer's look.
type Flags uint8

// The item flags (see the package doc for the thresholds).
const (
	NoVariance Flags = 1 << iota // everyone scored the same; discrimination not measured
	Weak                         // 0 ≤ discrimination < 0.2
	Negative                     // discrimination < 0: check the key
	TooEasy                      // facility > 0.95
	TooHard                      // facility < 0.1
)

var flagNames = [...]string{"no-variance", "weak", "negative", "too-easy", "too-hard"}

// Has reports whether every flag of g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Names returns the set flags as stable codes ("no-variance", "weak",
// "negative", "too-easy", "too-hard"), for message keys and JSON.
func (f Flags) Names() []string {
	var out []string
	for i, name := range flagNames {
		if f&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// String returns the flag names joined by commas.
func (f Flags) String() string { return strings.Join(f.Names(), ",") }

// The thresholds of the flags.
const (
	WeakBelow     = 0.2
	EasyAbove     = 0.95
	HardBelow     = 0.1
	GroupFraction = 0.27 // top and bottom groups of the distractor analysis
)

// OptionShare is how many attempts chose one option (or, for
// ItemStats.Omitted, left the item unanswered), overall and in the top and
// bottom groups by total score.
type OptionShare struct {
	Option                       string
	Count, TopCount, BottomCount int
	Share, TopShare, BottomShare float64 // of ItemStats.N, TopN, BottomN (0 when that is 0)
}

// ItemStats is the analysis of one item.
type ItemStats struct {
	Item int64
	// N counts the attempts that had the item on their paper; TopN and
	// BottomN those of them in the top and bottom groups.
	N, TopN, BottomN int
	Mean             float64 // mean score
	Max              float64 // mean maximum score
	Facility         float64
	Discrimination   float64
	Flags            Flags
	// Options holds the options chosen, in option order, for choice
	// items (items where any attempt has a Choice); nil for others.
	Options []OptionShare
	Omitted OptionShare
}

// Reliability is Cronbach's α for a set of attempts.
type Reliability struct {
	Alpha     float64
	Available bool // false with fewer than 2 items or attempts, or no variance
	Items     int  // k, the items α is computed over
	// Common is set when papers differed (pools), so α covers only the
	// items every attempt had.
	Common bool
}

// TestStats describes the total scores of a set of attempts.
type TestStats struct {
	N                          int
	Mean, SD, Min, Max, Median float64
	Items                      int // distinct items seen
	GroupSize                  int // attempts in each of the top and bottom groups
	Alpha                      Reliability
	Histogram                  Histogram
}

// ItemReport is the item analysis and test statistics of a set of attempts.
type ItemReport struct {
	Test  TestStats
	Items []ItemStats // by item id
}

// AnalyseItems computes item statistics and test statistics over attempts
// (see the package doc). It refuses repeated attempt ids, an item twice on
// one paper, non-finite scores and items without a positive maximum.
func AnalyseItems(attempts []Attempt) (*ItemReport, error) {
	const op = "analysis: items"
	if err := checkAttempts(op, attempts, -1); err != nil {
		return nil, err
	}
	return analyseItems(op, attempts)
}

// itemAcc accumulates one item in one pass over the attempts.
type itemAcc struct {
	id   int64
	last int32 // 1 + index of the last attempt that had the item
	n    int
	// Welford's running means, sums of squares and co-moment of the item
	// score x and the rest-of-test score y.
	mx, my, m2x, m2y, cxy float64
	sumMax                float64
	groupN                [3]int // all (unused), top, bottom
	omit                  [3]int // all, top, bottom
	opts                  []optCount
}

type optCount struct {
	choice string
	c      [3]int // all, top, bottom
}

const (
	inNone   = 0
	inTop    = 1
	inBottom = 2
)

func analyseItems(op string, attempts []Attempt) (*ItemReport, error) {
	n := len(attempts)

	// Order by total score (highest first, then id) for the groups, the
	// median and the histogram.
	type key struct {
		score float64
		id    int64
		idx   int32
	}
	keys := make([]key, n)
	for i := range attempts {
		keys[i] = key{attempts[i].Score, attempts[i].ID, int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	g := (27*n + 50) / 100 // round(0.27 n), halves up, exactly
	group := make([]uint8, n)
	for _, k := range keys[:g] {
		group[k.idx] = inTop
	}
	for _, k := range keys[n-g:] {
		group[k.idx] = inBottom
	}

	var (
		accs  []itemAcc
		index = map[int64]int32{}
		// guess[j] is the item at position j of the previous paper: papers
		// of one exam mostly share their order, which spares the map.
		guess []int32
		// Welford over the per-attempt sum of item scores, which is the
		// summed score α needs when every attempt had every item.
		sumN           int
		sumMean, sumM2 float64
	)
	for i := range attempts {
		a := &attempts[i]
		grp := group[i]
		var sum float64
		for j := range a.Items {
			r := &a.Items[j]
			var k int32
			if j < len(guess) && accs[guess[j]].id == r.Item {
				k = guess[j]
			} else {
				var ok bool
				if k, ok = index[r.Item]; !ok {
					k = int32(len(accs))
					index[r.Item] = k
					accs = append(accs, itemAcc{id: r.Item})
				}
				if j < len(guess) {
					guess[j] = k
				} else {
					guess = append(guess, k)
				}
			}
			acc := &accs[k]
			if acc.last == int32(i)+1 {
				return nil, errs.E(errs.Invalid, op, "attempt %d has item %d twice", a.ID, r.Item)
			}
			acc.last = int32(i) + 1
			if !finite(r.Score) || !finite(r.Max) || r.Max <= 0 {
				return nil, errs.E(errs.Invalid, op, "attempt %d item %d: score %v out of %v is not a number with a positive maximum", a.ID, r.Item, r.Score, r.Max)
			}
			x, y := r.Score, a.Score-r.Score
			acc.n++
			inv := 1 / float64(acc.n)
			dx, dy := x-acc.mx, y-acc.my
			acc.mx += dx * inv
			acc.my += dy * inv
			acc.m2x += dx * (x - acc.mx)
			acc.m2y += dy * (y - acc.my)
			acc.cxy += dx * (y - acc.my)
			acc.sumMax += r.Max
			sum += x

			acc.groupN[grp]++
			if !r.Answered {
				acc.omit[0]++
				if grp != inNone {
					acc.omit[grp]++
				}
			} else if r.Choice != "" {
				acc.count(r.Choice, grp)
			}
		}
		sumN++
		d := sum - sumMean
		sumMean += d / float64(sumN)
		sumM2 += d * (sum - sumMean)
	}

	rep := &ItemReport{Items: make([]ItemStats, len(accs))}
	common := 0
	for k := range accs {
		if accs[k].n == n {
			common++
		}
	}
	for k := range accs {
		rep.Items[k] = accs[k].stats()
	}
	slices.SortFunc(rep.Items, func(a, b ItemStats) int { return cmp.Compare(a.Item, b.Item) })

	// Test statistics from the sorted totals.
	t := &rep.Test
	t.N, t.Items, t.GroupSize = n, len(accs), g
	scores := make([]float64, n)
	for i, k := range keys {
		scores[n-1-i] = k.score
	}
	t.Min, t.Max = scores[0], scores[n-1]
	if n%2 == 1 {
		t.Median = scores[n/2]
	} else {
		t.Median = scores[n/2-1]/2 + scores[n/2]/2
	}
	var sum float64
	for _, x := range scores {
		sum += x
	}
	t.Mean = sum / float64(n)
	var ss float64
	for _, x := range scores {
		ss += (x - t.Mean) * (x - t.Mean)
	}
	t.SD = math.Sqrt(ss / float64(n))
	h, err := NewHistogram(scores, 0)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	t.Histogram = h

	// Cronbach's α over the items every attempt had.
	t.Alpha.Items = common
	t.Alpha.Common = common != len(accs)
	if common >= 2 && n >= 2 {
		if t.Alpha.Common {
			sumM2 = commonSumM2(attempts, accs, index)
		}
		var itemVar float64
		for k := range accs {
			if accs[k].n == n {
				itemVar += accs[k].m2x
			}
		}
		if sumM2 > 0 {
			kf := float64(common)
			alpha := kf / (kf - 1) * (1 - itemVar/sumM2)
			t.Alpha.Alpha = min(alpha, 1)
			t.Alpha.Available = true
		}
	}
	return rep, nil
}

// commonSumM2 returns the sum of squared deviations of the per-attempt
// sum of the scores of the items every attempt had (those with n equal to
// the number of attempts).
func commonSumM2(attempts []Attempt, accs []itemAcc, index map[int64]int32) float64 {
	n := len(attempts)
	var mean, m2 float64
	for i := range attempts {
		var sum float64
		for _, r := range attempts[i].Items {
			if accs[index[r.Item]].n == n {
				sum += r.Score
			}
		}
		d := sum - mean
		mean += d / float64(i+1)
		m2 += d * (sum - mean)
	}
	return m2
}

func (acc *itemAcc) count(choice string, grp uint8) {
	for o := range acc.opts {
		if acc.opts[o].choice == choice {
			acc.opts[o].c[0]++
			if grp != inNone {
				acc.opts[o].c[grp]++
			}
			return
		}
	}
	oc := optCount{choice: choice}
	oc.c[0] = 1
	if grp != inNone {
		oc.c[grp] = 1
	}
	acc.opts = append(acc.opts, oc)
}

func (acc *itemAcc) stats() ItemStats {
	n := acc.n
	s := ItemStats{
		Item: acc.id, N: n, TopN: acc.groupN[inTop], BottomN: acc.groupN[inBottom],
		Mean: acc.mx, Max: acc.sumMax / float64(n),
	}
	s.Facility = acc.mx * float64(n) / acc.sumMax
	if n < 2 || acc.m2x <= 0 || acc.m2y <= 0 {
		s.Flags |= NoVariance
	} else {
		r := acc.cxy / math.Sqrt(acc.m2x*acc.m2y)
		s.Discrimination = max(-1, min(1, r))
		switch {
		case s.Discrimination < 0:
			s.Flags |= Negative
		case s.Discrimination < WeakBelow:
			s.Flags |= Weak
		}
	}
	switch {
	case s.Facility > EasyAbove:
		s.Flags |= TooEasy
	case s.Facility < HardBelow:
		s.Flags |= TooHard
	}
	s.Omitted = acc.share("", acc.omit)
	if len(acc.opts) > 0 {
		s.Options = make([]OptionShare, len(acc.opts))
		for o, oc := range acc.opts {
			s.Options[o] = acc.share(oc.choice, oc.c)
		}
		slices.SortFunc(s.Options, func(a, b OptionShare) int { return strings.Compare(a.Option, b.Option) })
	}
	return s
}

func (acc *itemAcc) share(option string, c [3]int) OptionShare {
	frac := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	return OptionShare{
		Option: option, Count: c[0], TopCount: c[inTop], BottomCount: c[inBottom],
		Share: frac(c[0], acc.n), TopShare: frac(c[inTop], acc.groupN[inTop]), BottomShare: frac(c[inBottom], acc.groupN[inBottom]),
	}
}
