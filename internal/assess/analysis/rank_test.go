package analysis

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// byID indexes a ranking's results.
func byID(r *Ranking) map[int64]Result {
	m := map[int64]Result{}
	for _, res := range r.Results {
		m[res.ID] = res
	}
	return m
}

func TestRankShiftOfFourWithTies(t *testing.T) {
	// Scores 10, 20, 20, 30 in one shift of 4:
	//   10: 1 candidate ≤ → 100·1/4 = 25;  rank 4
	//   20: 3 candidates ≤ → 100·3/4 = 75; rank 2 (shared)
	//   30: 4 candidates ≤ → 100;          rank 1
	attempts := []Attempt{
		{ID: 1, Shift: "S1", Score: 20, Sections: []float64{20}},
		{ID: 2, Shift: "S1", Score: 10, Sections: []float64{10}},
		{ID: 3, Shift: "S1", Score: 30, Sections: []float64{30}},
		{ID: 4, Shift: "S1", Score: 20, Sections: []float64{20}},
	}
	r, err := Rank(Exam{Sections: []string{"All"}}, attempts)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id         int64
		pct        string
		shift, all int
	}{{3, "100.0000000", 1, 1}, {1, "75.0000000", 2, 2}, {4, "75.0000000", 2, 2}, {2, "25.0000000", 4, 4}}
	for i, w := range want {
		got := r.Results[i]
		if got.ID != w.id || got.Percentile.String() != w.pct || got.ShiftRank != w.shift || got.Rank != w.all {
			t.Errorf("place %d: got id %d %s shift rank %d rank %d, want id %d %s %d %d", i, got.ID, got.Percentile, got.ShiftRank, got.Rank, w.id, w.pct, w.shift, w.all)
		}
		if got.Sections[0] != got.Percentile {
			t.Errorf("id %d: the only section's percentile %s differs from the total's %s", got.ID, got.Sections[0], got.Percentile)
		}
	}
	if len(r.Shifts) != 1 || r.Shifts[0] != (ShiftSummary{Name: "S1", Candidates: 4, Top: 30}) {
		t.Errorf("shifts: %+v", r.Shifts)
	}
}

func TestRankNormalisesTwoShiftsOfDifferentDifficulty(t *testing.T) {
	// Shift A was hard (totals 50, 40, 30, 20), shift B easy (90, 80, 70,
	// 60): each gives percentiles 100, 75, 50, 25, so the 40 of A outranks
	// the 60 of B. Sections are Maths, Physics; ties are broken on Maths,
	// then Physics.
	//
	//        total (M, P)   M within shift   P within shift
	//   a1   50 (30, 20)    30 of 30,10,20,5 → 4/4 = 100   20 of 20,30,10,15 → 3/4 = 75
	//   a2   40 (10, 30)    2/4 = 50                       4/4 = 100
	//   a3   30 (20, 10)    3/4 = 75                       1/4 = 25
	//   a4   20 ( 5, 15)    1/4 = 25                       2/4 = 50
	//   b1   90 (40, 50)    40 of 40,50,35,20 → 3/4 = 75   50 of 50,30,35,40 → 4/4 = 100
	//   b2   80 (50, 30)    4/4 = 100                      1/4 = 25
	//   b3   70 (35, 35)    2/4 = 50                       2/4 = 50
	//   b4   60 (20, 40)    1/4 = 25                       3/4 = 75
	//
	// 100: a1 (M 100) before b1 (M 75); 75: b2 (M 100) before a2 (M 50);
	// 50: a3 (M 75) before b3 (M 50); 25: M ties at 25, b4 (P 75) before
	// a4 (P 50).
	at := func(id int64, shift string, m, p float64) Attempt {
		return Attempt{ID: id, Shift: shift, Score: m + p, Sections: []float64{m, p}}
	}
	attempts := []Attempt{
		at(11, "A", 30, 20), at(12, "A", 10, 30), at(13, "A", 20, 10), at(14, "A", 5, 15),
		at(21, "B", 40, 50), at(22, "B", 50, 30), at(23, "B", 35, 35), at(24, "B", 20, 40),
	}
	r, err := Rank(Exam{Sections: []string{"Maths", "Physics"}}, attempts)
	if err != nil {
		t.Fatal(err)
	}
	var order []int64
	for i, res := range r.Results {
		order = append(order, res.ID)
		if res.Rank != i+1 {
			t.Errorf("id %d: rank %d, want %d", res.ID, res.Rank, i+1)
		}
	}
	if want := []int64{11, 21, 22, 12, 13, 23, 24, 14}; !slices.Equal(order, want) {
		t.Fatalf("merit order %v, want %v", order, want)
	}
	m := byID(r)
	for id, want := range map[int64][3]string{
		11: {"100.0000000", "100.0000000", "75.0000000"},
		12: {"75.0000000", "50.0000000", "100.0000000"},
		21: {"100.0000000", "75.0000000", "100.0000000"},
		24: {"25.0000000", "25.0000000", "75.0000000"},
	} {
		got := m[id]
		if g := [3]string{got.Percentile.String(), got.Sections[0].String(), got.Sections[1].String()}; g != want {
			t.Errorf("id %d: percentiles %v, want %v", id, g, want)
		}
	}

	// With Physics compared first, b1 (P 100) overtakes a1 (P 75).
	r, err = Rank(Exam{Sections: []string{"Maths", "Physics"}, TieBreak: []int{1, 0}}, attempts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Results[0].ID != 21 || r.Results[1].ID != 11 {
		t.Errorf("Physics first: top two are %d, %d; want 21, 11", r.Results[0].ID, r.Results[1].ID)
	}
}

func TestRankBreaksTiesOnWrongToRightThenSharesTheRank(t *testing.T) {
	// All score 40 in one shift, so every percentile is 100 and only the
	// wrong÷right ratio separates them:
	//   3 (10 right, 0 wrong) and 6 (0, 0): ratio 0         → rank 1, 1
	//   1 (10 right, 2 wrong) and 2 (5, 1): ratio 0.2 each  → rank 3, 3
	//   7 (4 right, 1 wrong): 0.25                           → rank 5
	//   4 (0 right, 3 wrong) and 5 (0, 5): infinite, equal  → rank 6, 6
	rw := map[int64][2]int{1: {10, 2}, 2: {5, 1}, 3: {10, 0}, 4: {0, 3}, 5: {0, 5}, 6: {0, 0}, 7: {4, 1}}
	var attempts []Attempt
	for _, id := range []int64{5, 4, 7, 1, 2, 6, 3} {
		attempts = append(attempts, Attempt{ID: id, Shift: "X", Score: 40, Sections: []float64{20, 20}, Right: rw[id][0], Wrong: rw[id][1]})
	}
	r, err := Rank(Exam{Sections: []string{"P", "Q"}}, attempts)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int64
	for _, res := range r.Results {
		got = append(got, [2]int64{res.ID, int64(res.Rank)})
	}
	want := [][2]int64{{3, 1}, {6, 1}, {1, 3}, {2, 3}, {7, 5}, {4, 6}, {5, 6}}
	if !slices.Equal(got, want) {
		t.Fatalf("(id, rank) = %v, want %v", got, want)
	}
}

func TestCompareRatio(t *testing.T) {
	for _, c := range []struct {
		w1, r1, w2, r2 uint64
		want           int
	}{
		{0, 0, 0, 5, 0},
		{0, 3, 1, 100, -1},
		{1, 100, 0, 3, 1},
		{2, 10, 1, 5, 0},
		{1, 3, 1, 4, 1},
		{3, 0, 1, 1000, 1},
		{3, 0, 7, 0, 0},
		{1, 1000, 3, 0, -1},
		{math.MaxUint64, math.MaxUint64 - 1, math.MaxUint64 - 1, math.MaxUint64 - 2, -1}, // needs 128 bits
	} {
		if got := compareRatio(c.w1, c.r1, c.w2, c.r2); got != c.want {
			t.Errorf("%d/%d vs %d/%d: got %d, want %d", c.w1, c.r1, c.w2, c.r2, got, c.want)
		}
	}
}

func TestRankRefusesBadInput(t *testing.T) {
	good := func() []Attempt {
		return []Attempt{
			{ID: 1, Shift: "A", Score: 3, Sections: []float64{1, 2}},
			{ID: 2, Shift: "A", Score: 4, Sections: []float64{2, 2}},
		}
	}
	exam := Exam{Sections: []string{"P", "Q"}}
	for _, c := range []struct {
		name   string
		exam   Exam
		change func([]Attempt) []Attempt
	}{
		{"no attempts", exam, func([]Attempt) []Attempt { return nil }},
		{"a repeated attempt id", exam, func(a []Attempt) []Attempt { a[1].ID = 1; return a }},
		{"a score that is not a number", exam, func(a []Attempt) []Attempt { a[0].Score = math.NaN(); return a }},
		{"an infinite section score", exam, func(a []Attempt) []Attempt { a[1].Sections[0] = math.Inf(1); return a }},
		{"a missing section score", exam, func(a []Attempt) []Attempt { a[1].Sections = a[1].Sections[:1]; return a }},
		{"a negative wrong count", exam, func(a []Attempt) []Attempt { a[0].Wrong = -1; return a }},
		{"a tie-break section out of range", Exam{Sections: exam.Sections, TieBreak: []int{2}}, func(a []Attempt) []Attempt { return a }},
		{"a tie-break section twice", Exam{Sections: exam.Sections, TieBreak: []int{1, 1}}, func(a []Attempt) []Attempt { return a }},
	} {
		t.Run(c.name+" is refused", func(t *testing.T) {
			r, err := Rank(c.exam, c.change(good()))
			if !errs.Is(err, errs.Invalid) || r != nil {
				t.Fatalf("got %v, %v; want an invalid error", r, err)
			}
			if _, err := Analyse(c.exam, c.change(good())); !errs.Is(err, errs.Invalid) {
				t.Fatalf("Analyse: got %v; want an invalid error", err)
			}
		})
	}
}

// randomAttempts makes n attempts over shifts with random whole-mark
// section scores and answer counts (no items).
func randomAttempts(rng *rand.Rand, n, shifts, sections int) []Attempt {
	out := make([]Attempt, n)
	for i := range out {
		a := &out[i]
		a.ID = int64(rng.IntN(1<<40)<<20 | i)
		a.Shift = fmt.Sprint("shift-", rng.IntN(shifts))
		a.Sections = make([]float64, sections)
		for s := range a.Sections {
			a.Sections[s] = float64(rng.IntN(12) - 2)
			a.Score += a.Sections[s]
		}
		a.Right, a.Wrong = rng.IntN(5), rng.IntN(3)
	}
	return out
}

func TestRankProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := 1 + rng.IntN(60)
		attempts := randomAttempts(rng, n, 1+rng.IntN(4), 1+rng.IntN(3))
		nsec := len(attempts[0].Sections)
		r, err := Rank(Exam{Sections: make([]string, nsec)}, attempts)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Results) != n {
			t.Fatalf("round %d: %d results for %d attempts", round, len(r.Results), n)
		}
		m := byID(r)
		top := map[string]float64{}
		for _, a := range attempts {
			if s, ok := top[a.Shift]; !ok || a.Score > s {
				top[a.Shift] = a.Score
			}
		}
		for _, a := range attempts {
			ra := m[a.ID]
			if ra.Percentile == 0 || ra.Percentile > Hundred {
				t.Fatalf("round %d: percentile %s outside (0, 100]", round, ra.Percentile)
			}
			if (a.Score == top[a.Shift]) != (ra.Percentile == Hundred) {
				t.Fatalf("round %d: attempt %d scored %v (top %v) and got %s", round, a.ID, a.Score, top[a.Shift], ra.Percentile)
			}
			higher := 0
			for _, b := range attempts {
				rb := m[b.ID]
				if b.Shift == a.Shift {
					if b.Score > a.Score && rb.Percentile <= ra.Percentile || b.Score == a.Score && rb.Percentile != ra.Percentile {
						t.Fatalf("round %d: percentile not monotone in score: %v→%s, %v→%s", round, a.Score, ra.Percentile, b.Score, rb.Percentile)
					}
					if b.Score > a.Score {
						higher++
					}
				}
			}
			if ra.ShiftRank != higher+1 {
				t.Fatalf("round %d: shift rank %d with %d higher", round, ra.ShiftRank, higher)
			}
		}
		// The merit list: ranks follow standard competition ranking and a
		// candidate with a higher percentile is never ranked below.
		for i, res := range r.Results {
			if i == 0 && res.Rank != 1 || i > 0 && res.Rank != r.Results[i-1].Rank && res.Rank != i+1 {
				t.Fatalf("round %d: rank %d at place %d", round, res.Rank, i+1)
			}
			if i > 0 && res.Percentile > r.Results[i-1].Percentile {
				t.Fatalf("round %d: %s ranked below %s", round, res.Percentile, r.Results[i-1].Percentile)
			}
		}
	}
}
