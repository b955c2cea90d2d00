package analysis

import (
	"math"
	"slices"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Attempt is one graded attempt, flattened from assess.AttemptResult.
type Attempt struct {
	ID    int64
	Shift string // attempts are ranked within their shift
	Score float64
	// Sections holds the section scores in the exam's paper order.
	Sections []float64
	// Right and Wrong count the correct and the wrongly answered
	// questions over the whole paper.
	Right, Wrong int
	// Items holds the questions of the candidate's paper, in paper order.
	Items []Response
}

// Response is one question of an attempt.
type Response struct {
	Item     int64
	Score    float64
	Max      float64 // the item's maximum score on this paper; > 0
	Answered bool
	// Choice is the option chosen on a single-choice item, "" otherwise.
	Choice string
}

// Exam describes what the attempts were sitting.
type Exam struct {
	// Sections names the sections in paper order; every Attempt.Sections
	// has one score per name.
	Sections []string
	// TieBreak lists section indexes in the order the published rules
	// compare them to break ties (each at most once); empty means paper
	// order.
	TieBreak []int
}

// tieOrder returns the section indexes to compare, checked.
func (e *Exam) tieOrder(op string) ([]int, error) {
	if len(e.TieBreak) == 0 {
		order := make([]int, len(e.Sections))
		for i := range order {
			order[i] = i
		}
		return order, nil
	}
	seen := make([]bool, len(e.Sections))
	for _, s := range e.TieBreak {
		if s < 0 || s >= len(e.Sections) {
			return nil, errs.E(errs.Invalid, op, "tie-break section %d is not one of the exam's %d sections", s, len(e.Sections))
		}
		if seen[s] {
			return nil, errs.E(errs.Invalid, op, "tie-break lists section %d (%s) twice", s, e.Sections[s])
		}
		seen[s] = true
	}
	return e.TieBreak, nil
}

// checkAttempts refuses what cannot be ranked: no attempts, repeated ids,
// non-finite scores, a section count other than sections (when sections ≥
// 0) and negative counts. Items are checked while they are accumulated.
func checkAttempts(op string, attempts []Attempt, sections int) error {
	if len(attempts) == 0 {
		return errs.E(errs.Invalid, op, "no attempts to analyse")
	}
	if len(attempts) > math.MaxInt32 {
		return errs.E(errs.Invalid, op, "%d attempts is more than can be analysed at once", len(attempts))
	}
	ids := make([]int64, len(attempts))
	for i := range attempts {
		a := &attempts[i]
		ids[i] = a.ID
		if !finite(a.Score) {
			return errs.E(errs.Invalid, op, "attempt %d: score %v is not a number", a.ID, a.Score)
		}
		if a.Right < 0 || a.Wrong < 0 {
			return errs.E(errs.Invalid, op, "attempt %d: negative count of right (%d) or wrong (%d) answers", a.ID, a.Right, a.Wrong)
		}
		if sections >= 0 {
			if len(a.Sections) != sections {
				return errs.E(errs.Invalid, op, "attempt %d: %d section scores for an exam of %d sections", a.ID, len(a.Sections), sections)
			}
			for s, x := range a.Sections {
				if !finite(x) {
					return errs.E(errs.Invalid, op, "attempt %d: section %d score %v is not a number", a.ID, s, x)
				}
			}
		}
	}
	slices.Sort(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			return errs.E(errs.Invalid, op, "attempt %d appears more than once", ids[i])
		}
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
