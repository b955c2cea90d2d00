package analysis

import (
	"cmp"
	"math/bits"
	"slices"
)

// Result is one attempt's place in the merit list.
type Result struct {
	ID    int64
	Shift string
	Score float64
	// ShiftRank is the standard competition rank by raw score within the
	// shift.
	ShiftRank int
	// Percentile is the NTA percentile within the shift (the NTA score).
	Percentile Percentile
	// Sections holds the section percentiles within the shift, in paper
	// order.
	Sections []Percentile
	// Rank is the rank across all shifts, by the rules in the package doc.
	Rank int
}

// ShiftSummary describes one shift of a ranking.
type ShiftSummary struct {
	Name       string
	Candidates int
	Top        float64 // the highest raw score, which gets Hundred
}

// Ranking is the merit list of an exam across its shifts.
type Ranking struct {
	// Results is in merit order; results sharing a rank are in id order.
	Results []Result
	// Shifts is ordered by name.
	Shifts []ShiftSummary
}

// Rank computes percentiles within each shift and the merit list across
// shifts (see the package doc for the rules). It refuses attempts whose
// section scores do not match exam.Sections.
func Rank(exam Exam, attempts []Attempt) (*Ranking, error) {
	const op = "analysis: rank"
	if err := checkAttempts(op, attempts, len(exam.Sections)); err != nil {
		return nil, err
	}
	return rank(op, &exam, attempts)
}

// scoreKey is what the percentile sort moves: small, so that sorting
// 450,000 of them stays in cache far more than sorting attempts would.
type scoreKey struct {
	score float64
	shift int32
	idx   int32
}

// meritKey is what the merit sort moves.
type meritKey struct {
	pct          Percentile
	right, wrong uint64
	id           int64
	idx          int32
}

func rank(op string, exam *Exam, attempts []Attempt) (*Ranking, error) {
	order, err := exam.tieOrder(op)
	if err != nil {
		return nil, err
	}
	n, nsec := len(attempts), len(exam.Sections)

	// Shifts, numbered in name order.
	var names []string
	byName := map[string]int32{}
	for i := range attempts {
		if _, ok := byName[attempts[i].Shift]; !ok {
			byName[attempts[i].Shift] = 0
			names = append(names, attempts[i].Shift)
		}
	}
	slices.Sort(names)
	shifts := make([]ShiftSummary, len(names))
	for i, name := range names {
		byName[name] = int32(i)
		shifts[i].Name = name
	}
	shiftOf := make([]int32, n)
	for i := range attempts {
		s := byName[attempts[i].Shift]
		shiftOf[i] = s
		shifts[s].Candidates++
	}

	pct := make([]Percentile, n)
	secPct := make([]Percentile, n*nsec)
	shiftRank := make([]int, n)
	keys := make([]scoreKey, n)
	// column -1 is the total score; 0… are the sections.
	for col := -1; col < nsec; col++ {
		for i := range attempts {
			x := attempts[i].Score
			if col >= 0 {
				x = attempts[i].Sections[col]
			}
			keys[i] = scoreKey{score: x, shift: shiftOf[i], idx: int32(i)}
		}
		slices.SortFunc(keys, func(a, b scoreKey) int {
			if c := cmp.Compare(a.shift, b.shift); c != 0 {
				return c
			}
			return cmp.Compare(a.score, b.score)
		})
		start := 0 // first key of the current shift
		for i := 0; i < n; {
			if keys[i].shift != keys[start].shift {
				start = i
			}
			total := shifts[keys[i].shift].Candidates
			// j ends the run of equal scores: they share the count ≤.
			j := i + 1
			for j < n && keys[j].shift == keys[i].shift && keys[j].score == keys[i].score {
				j++
			}
			le := j - start
			p := percentileOf(uint64(le), uint64(total))
			for _, k := range keys[i:j] {
				if col < 0 {
					pct[k.idx] = p
					shiftRank[k.idx] = total - le + 1
				} else {
					secPct[int(k.idx)*nsec+col] = p
				}
			}
			if col < 0 && j-start == total {
				shifts[keys[i].shift].Top = keys[i].score
			}
			i = j
		}
	}

	merit := make([]meritKey, n)
	for i := range attempts {
		a := &attempts[i]
		merit[i] = meritKey{pct: pct[i], right: uint64(a.Right), wrong: uint64(a.Wrong), id: a.ID, idx: int32(i)}
	}
	same := func(a, b meritKey) int {
		if a.pct != b.pct {
			return cmp.Compare(b.pct, a.pct) // higher first
		}
		ai, bi := int(a.idx)*nsec, int(b.idx)*nsec
		for _, s := range order {
			if pa, pb := secPct[ai+s], secPct[bi+s]; pa != pb {
				return cmp.Compare(pb, pa)
			}
		}
		return compareRatio(a.wrong, a.right, b.wrong, b.right)
	}
	slices.SortFunc(merit, func(a, b meritKey) int {
		if c := same(a, b); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})

	res := &Ranking{Results: make([]Result, n), Shifts: shifts}
	for i, k := range merit {
		a := &attempts[k.idx]
		r := &res.Results[i]
		*r = Result{
			ID: a.ID, Shift: a.Shift, Score: a.Score,
			ShiftRank:  shiftRank[k.idx],
			Percentile: k.pct,
			Sections:   secPct[int(k.idx)*nsec : int(k.idx+1)*nsec : int(k.idx+1)*nsec],
			Rank:       i + 1,
		}
		if i > 0 && same(merit[i-1], k) == 0 {
			r.Rank = res.Results[i-1].Rank
		}
	}
	return res, nil
}

// compareRatio orders wrong/right ratios, lower first, exactly: w1/r1
// against w2/r2. No wrong answers is 0; wrong answers without a right one
// is infinite, and infinities are equal.
func compareRatio(w1, r1, w2, r2 uint64) int {
	z1, z2 := w1 == 0, w2 == 0
	switch {
	case z1 && z2:
		return 0
	case z1:
		return -1
	case z2:
		return 1
	}
	inf1, inf2 := r1 == 0, r2 == 0
	switch {
	case inf1 && inf2:
		return 0
	case inf1:
		return 1
	case inf2:
		return -1
	}
	// w1/r1 <=> w2/r2  ⇔  w1·r2 <=> w2·r1, in 128 bits.
	h1, l1 := bits.Mul64(w1, r2)
	h2, l2 := bits.Mul64(w2, r1)
	if c := cmp.Compare(h1, h2); c != 0 {
		return c
	}
	return cmp.Compare(l1, l2)
}
