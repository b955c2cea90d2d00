package analysis

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// The national-scale case: 450,000 attempts × 100 items in 4 shifts and
// 3 sections, NTA marking (+4 / −1 / 0), single-choice items A–D.
const (
	benchAttempts = 450_000
	benchItems    = 100
	benchSections = 3
	benchShifts   = 4
)

var benchData = sync.OnceValue(func() []Attempt { return synthetic(benchAttempts, benchItems) })

var options = [...]string{"A", "B", "C", "D"}

// synthetic makes n attempts at k items from a latent-ability model. Each
// shift has its own difficulty; all responses share one backing array, as
// a loader reading rows would arrange them.
func synthetic(n, k int) []Attempt {
	rng := rand.New(rand.NewPCG(42, 1))
	diff := make([]float64, k)
	for j := range diff {
		diff[j] = rng.NormFloat64()
	}
	shiftNames := [benchShifts]string{"2026-01-22 S1", "2026-01-22 S2", "2026-01-23 S1", "2026-01-23 S2"}
	attempts := make([]Attempt, n)
	responses := make([]Response, n*k)
	sections := make([]float64, n*benchSections)
	for i := range attempts {
		shift := i % benchShifts
		theta := rng.NormFloat64() - 0.3*float64(shift)
		a := &attempts[i]
		a.ID = int64(i + 1)
		a.Shift = shiftNames[shift]
		a.Items = responses[i*k : (i+1)*k : (i+1)*k]
		a.Sections = sections[i*benchSections : (i+1)*benchSections : (i+1)*benchSections]
		for j := range a.Items {
			r := &a.Items[j]
			*r = Response{Item: int64(j + 1), Max: 4}
			key := j % 4
			switch u := rng.Float64(); {
			case u < 0.1: // omitted
			case u < 0.1+0.9/(1+math.Exp(diff[j]-theta)):
				r.Score, r.Answered, r.Choice = 4, true, options[key]
				a.Right++
			default:
				r.Score, r.Answered, r.Choice = -1, true, options[(key+1+rng.IntN(3))%4]
				a.Wrong++
			}
			a.Sections[j*benchSections/k] += r.Score
			a.Score += r.Score
		}
	}
	return attempts
}

func benchmarkAnalysis(b *testing.B, run func([]Attempt) error) {
	attempts := benchData()
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := run(attempts); err != nil {
			b.Fatal(err)
		}
	}
}

var benchExam = Exam{Sections: []string{"Physics", "Chemistry", "Mathematics"}, TieBreak: []int{2, 0, 1}}

// BenchmarkRank450k: percentiles in 4 shifts (1 + 3 section sorts) and the
// merit list of 450,000 attempts.
func BenchmarkRank450k(b *testing.B) {
	benchmarkAnalysis(b, func(a []Attempt) error { _, err := Rank(benchExam, a); return err })
}

// BenchmarkItems450k: item analysis, distractors, α and the histogram of
// 450,000 attempts × 100 items (45 million responses).
func BenchmarkItems450k(b *testing.B) {
	benchmarkAnalysis(b, func(a []Attempt) error { _, err := AnalyseItems(a); return err })
}

// BenchmarkAnalyse450k: both, side by side on the two cores.
func BenchmarkAnalyse450k(b *testing.B) {
	benchmarkAnalysis(b, func(a []Attempt) error { _, err := Analyse(benchExam, a); return err })
}

func TestSyntheticDataLooksLikeAnExam(t *testing.T) {
	// A small run of the benchmark's generator and a sanity check of what
	// the analysis says about it: keyed items discriminate positively and
	// the merit list covers everyone.
	attempts := synthetic(4000, 20)
	rep, err := Analyse(benchExam, attempts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Ranking.Results) != 4000 || len(rep.Ranking.Shifts) != benchShifts {
		t.Fatalf("%d results in %d shifts", len(rep.Ranking.Results), len(rep.Ranking.Shifts))
	}
	for _, s := range rep.Items.Items {
		if s.Discrimination < 0.1 || len(s.Options) != 4 || s.TopN != 1080 || s.BottomN != 1080 {
			t.Errorf("item %d: discrimination %v, %d options, groups %d/%d", s.Item, s.Discrimination, len(s.Options), s.TopN, s.BottomN)
		}
		key := options[(s.Item-1)%4]
		for _, o := range s.Options {
			if o.Option == key && o.TopShare <= o.BottomShare {
				t.Errorf("item %d: key %s chosen by %v of the top, %v of the bottom", s.Item, key, o.TopShare, o.BottomShare)
			}
		}
	}
	if a := rep.Items.Test.Alpha; !a.Available || a.Common || a.Items != 20 || a.Alpha < 0.5 {
		t.Errorf("alpha %+v", a)
	}
}
