package rules

import (
	"context"
	"errors"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

const opEvaluate = "certify: check rules"

// Failure is a rule a record did not pass.
type Failure struct {
	Rule    string // the rule's name
	Message string // the rule's message, or why the rule could not be checked
}

// Evaluate checks rec against every rule and returns the rules it fails,
// in rule order; nil means it passes them all. now gives the date rules
// see as today (the calendar day of now in now's location), so that a
// dry run today and the issue next week can be made to agree.
//
// A rule that cannot be checked on rec (it needs more than MaxCost, it
// divides by zero, it reads an empty date) counts as failed, with a
// message saying why. Evaluate never panics and is safe for concurrent
// use.
func (rs *RuleSet) Evaluate(rec Record, now time.Time) []Failure {
	return rs.evaluate(nil, rec, rs.todayValue(now))
}

// EvaluateContext is Evaluate with a context: once ctx is done, rules
// that are still looping stop and fail. It costs a little more per call
// than Evaluate; a rule is bounded by MaxCost either way.
func (rs *RuleSet) EvaluateContext(ctx context.Context, rec Record, now time.Time) []Failure {
	return rs.evaluate(ctx, rec, rs.todayValue(now))
}

// evaluate checks rec against every rule with today already built.
func (rs *RuleSet) evaluate(ctx context.Context, rec Record, today ref.Val) []Failure {
	if len(rs.rules) == 0 {
		return nil
	}
	act := rs.pool.Get().(*activation)
	act.rec, act.today = rec, today
	defer func() {
		act.rec, act.today = nil, nil
		rs.pool.Put(act)
	}()
	var out []Failure
	for i := range rs.rules {
		c := &rs.rules[i]
		var (
			val ref.Val
			err error
		)
		if ctx != nil {
			val, _, err = c.prg.ContextEval(ctx, act)
		} else {
			val, _, err = c.prg.Eval(act)
		}
		switch {
		case err != nil:
			out = append(out, Failure{Rule: c.rule.Name, Message: runtimeMessage(err)})
		case val == types.True:
		case val == types.False:
			out = append(out, Failure{Rule: c.rule.Name, Message: c.rule.Message})
		default:
			// Compile lets through only bool rules; this is for safety.
			out = append(out, Failure{Rule: c.rule.Name, Message: errs.E(errs.Invalid, opEvaluate, "the rule gave %v instead of true or false", val).Message})
		}
	}
	return out
}

// runtimeMessage explains why a rule could not be checked.
func runtimeMessage(err error) string {
	var cancelled interpreter.EvalCancelledError
	switch {
	case errors.As(err, &cancelled) && cancelled.Cause == interpreter.CostLimitExceeded:
		return errs.E(errs.Invalid, opEvaluate, "the rule needs too much work on this record (more than %d steps); simplify it", MaxCost).Message
	case errors.Is(err, interpreter.InterruptError{}), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &cancelled) && cancelled.Cause == interpreter.ContextCancelled:
		return errs.E(errs.Invalid, opEvaluate, "checking was stopped before this rule finished").Message
	}
	return errs.E(errs.Invalid, opEvaluate, "the rule could not be checked: %v", err).Message
}

// todayValue returns the CEL value of now's calendar day, reusing the
// last one built when the day is the same.
func (rs *RuleSet) todayValue(now time.Time) ref.Val {
	y, m, d := now.Date()
	if c := rs.today.Load(); c != nil && c.y == y && c.m == int(m) && c.d == d {
		return c.val
	}
	c := &todayCache{y: y, m: int(m), d: d, val: types.Timestamp{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}}
	rs.today.Store(c)
	return c.val
}

// yearsBetween returns the whole years from a to b, counted as birthdays
// are; negative when b is before a.
func yearsBetween(a, b time.Time) int {
	if b.Before(a) {
		return -yearsBetween(b, a)
	}
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	n := by - ay
	if bm < am || bm == am && bd < ad {
		n--
	}
	return n
}
