package rules_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/rules"
)

// mustCompile compiles rs over schema or stops the test.
func mustCompile(t testing.TB, schema []rules.Field, rs ...rules.Rule) *rules.RuleSet {
	t.Helper()
	set, err := rules.Compile(schema, rs)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// mustCoerce coerces raw against schema or stops the test.
func mustCoerce(t testing.TB, schema []rules.Field, raw map[string]string) rules.Record {
	t.Helper()
	rec, bad := rules.Coerce(schema, raw)
	if len(bad) != 0 {
		t.Fatal(bad)
	}
	return rec
}

var issueDay = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// asha is a complete record of sampleSchema.
var asha = map[string]string{
	"candidate.name":         "Asha Verma",
	"candidate.dob":          "05/03/2008",
	"candidate.address.city": "Pune",
	"candidate.repeater":     "no",
	"result.percent":         "72.5",
	"result.rank":            "3",
	"attendance":             "0.8",
}

// sparse has only the required fields of sampleSchema.
var sparse = map[string]string{"candidate.name": "Ravi", "result.percent": "38"}

func TestEvaluate(t *testing.T) {
	full := mustCoerce(t, sampleSchema, asha)
	few := mustCoerce(t, sampleSchema, sparse)
	tests := []struct {
		name      string
		expr      string
		full, few bool   // whether each record passes
		msg       string // when set, a failing record's message contains it
	}{
		{"a comparison", "result.percent >= 40", true, false, ""},
		{"a conjunction", "result.percent >= 40 && attendance >= 0.75", true, false, ""},
		{"an integer field compares with a decimal", "result.rank < 3.5", true, true, ""},
		{"a number field compares with an integer", "result.percent > 72", true, false, ""},
		{"text", `candidate.name.startsWith("Asha")`, true, false, ""},
		{"a bool field", "!candidate.repeater", true, true, ""},
		{"an absent bool reads as false", "candidate.repeater == false", true, true, ""},
		{"an absent number reads as 0", "attendance == 0.0", false, true, ""},
		{"an absent integer reads as 0", "result.rank == 0", false, true, ""},
		{"an absent string reads as empty", `candidate.address.city == ""`, false, true, ""},
		{"has() of a present field", "has(candidate.dob)", true, false, ""},
		{"has() of a top-level field", "has(attendance)", true, false, ""},
		{"has() of a group with a value inside", "has(candidate.address)", true, false, ""},
		{"has() of a group with a required field", "has(result)", true, true, ""},
		{"an absent date fails the rule that reads it", "candidate.dob < today", true, false, "candidate.dob is empty; test has(candidate.dob)"},
		{"has() guards an absent date", "!has(candidate.dob) || age(candidate.dob) >= 14", true, true, ""},
		{"age is counted on today", "age(candidate.dob) == 17", true, false, "candidate.dob is empty"},
		{"age on a given day", `age(candidate.dob, date("2025-03-04")) == 16`, true, false, "candidate.dob is empty"},
		{"age on the birthday", `age(candidate.dob, date("2025-03-05")) == 17`, true, false, "candidate.dob is empty"},
		{"a date compared with a date literal", `candidate.dob < date("2012-04-01")`, true, false, "candidate.dob is empty"},
		{"a day-first date literal", `candidate.dob == date("5/3/2008")`, true, false, "candidate.dob is empty"},
		{"today is the day of evaluation", `today == date("2025-06-01")`, true, true, ""},
		{"a runtime date of bad text fails", `date(candidate.name) < today`, false, false, `is not a date; write it as YYYY-MM-DD`},
		{"division by zero fails with a reason", "result.rank / result.rank == 1", true, false, "division by zero"},
		{"objects compare by their fields", "candidate == candidate", true, true, ""},
		{"type() of a group", "type(candidate) == type(candidate)", true, true, ""},
		{"has() through dyn", "has(dyn(candidate).dob)", true, false, ""},
		{"a field through dyn", `dyn(candidate).name == "Asha Verma"`, true, false, ""},
		{"a group through dyn", `dyn(candidate).address.city == "Pune"`, true, false, ""},
		{"an unknown field through dyn fails with a reason", `dyn(candidate).nope == 1`, false, false, "no such field: nope"},
		{"has() of an unknown field through dyn fails with a reason", `has(dyn(candidate).nope)`, false, false, "no such field: nope"},
		{"strings extension", `candidate.name.lowerAscii().split(" ").size() == 2`, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := mustCompile(t, sampleSchema, rules.Rule{Name: "r", Expr: tt.expr, Message: "r failed"})
			for _, c := range []struct {
				who  string
				rec  rules.Record
				pass bool
				msg  string
			}{{"full", full, tt.full, tt.msg}, {"few", few, tt.few, tt.msg}} {
				got := rs.Evaluate(c.rec, issueDay)
				switch {
				case c.pass && got != nil:
					t.Errorf("%s record: got %v, want pass", c.who, got)
				case !c.pass && (len(got) != 1 || got[0].Rule != "r"):
					t.Errorf("%s record: got %v, want rule r to fail", c.who, got)
				case !c.pass && c.msg == "" && got[0].Message != "r failed":
					t.Errorf("%s record: message %q, want the rule's", c.who, got[0].Message)
				case !c.pass && c.msg != "" && !strings.Contains(got[0].Message, c.msg):
					t.Errorf("%s record: message %q, want it to say %q", c.who, got[0].Message, c.msg)
				}
			}
		})
	}
}

func TestEvaluateReturnsFailuresInRuleOrder(t *testing.T) {
	rs := mustCompile(t, sampleSchema,
		rules.Rule{Name: "pass mark", Expr: "result.percent >= 40", Message: "below the pass mark"},
		rules.Rule{Name: "named", Expr: `candidate.name != ""`, Message: "no name"},
		rules.Rule{Name: "attendance", Expr: "attendance >= 0.75", Message: "attendance below 75%"},
	)
	got := rs.Evaluate(mustCoerce(t, sampleSchema, sparse), issueDay)
	want := []rules.Failure{{Rule: "pass mark", Message: "below the pass mark"}, {Rule: "attendance", Message: "attendance below 75%"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := rs.Evaluate(mustCoerce(t, sampleSchema, asha), issueDay); got != nil {
		t.Errorf("a good record: got %v, want nil", got)
	}
}

func TestEvaluateTodayComesFromNow(t *testing.T) {
	rs := mustCompile(t, sampleSchema, rule("fourteen", `age(candidate.dob) >= 14`))
	rec := rules.Record{"candidate.dob": rules.DateValue(time.Date(2011, 4, 1, 0, 0, 0, 0, time.UTC))}
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		now  time.Time
		pass bool
	}{
		{time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC), false},
		{time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC), true},
		// 1 April already in India while still 31 March in UTC.
		{time.Date(2025, 4, 1, 0, 30, 0, 0, ist), true},
		{time.Date(2025, 3, 31, 23, 59, 0, 0, ist), false},
	}
	for _, tt := range tests {
		if got := rs.Evaluate(rec, tt.now) == nil; got != tt.pass {
			t.Errorf("on %v: passes %v, want %v", tt.now, got, tt.pass)
		}
	}
}

func TestAgeOfALeapDayBirth(t *testing.T) {
	rs := mustCompile(t, sampleSchema, rule("eighteen", `age(candidate.dob) >= 18`))
	rec := rules.Record{"candidate.dob": rules.DateValue(time.Date(2004, 2, 29, 0, 0, 0, 0, time.UTC))}
	if rs.Evaluate(rec, time.Date(2022, 2, 28, 0, 0, 0, 0, time.UTC)) == nil {
		t.Error("eighteen on 28 February 2022, want not yet")
	}
	if rs.Evaluate(rec, time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC)) != nil {
		t.Error("not eighteen on 1 March 2022, want eighteen")
	}
	before := mustCompile(t, sampleSchema, rule("negative", `age(candidate.dob, date("2003-02-28")) == -1`))
	if got := before.Evaluate(rec, issueDay); got != nil {
		t.Errorf("age on a day before birth: %v", got)
	}
}

// runaway loops 10^5 times, far past the cost limit.
const runaway = `[0,1,2,3,4,5,6,7,8,9].all(a, [0,1,2,3,4,5,6,7,8,9].all(b, [0,1,2,3,4,5,6,7,8,9].all(c, [0,1,2,3,4,5,6,7,8,9].all(d, [0,1,2,3,4,5,6,7,8,9].all(e, a+b+c+d+e >= 0)))))`

func TestCostLimitStopsARunawayRule(t *testing.T) {
	rs := mustCompile(t, sampleSchema, rule("runaway", runaway), rule("pass mark", "result.percent >= 40"))
	got := rs.Evaluate(mustCoerce(t, sampleSchema, asha), issueDay)
	if len(got) != 1 || got[0].Rule != "runaway" || !strings.Contains(got[0].Message, "needs too much work") {
		t.Fatalf("got %v, want the runaway rule to fail for its cost, and the next to pass", got)
	}
	// A loop well inside the limit runs.
	small := mustCompile(t, sampleSchema, rule("small", `[0,1,2,3,4,5,6,7,8,9].all(a, [0,1,2,3,4,5,6,7,8,9].all(b, a+b >= 0))`))
	if got := small.Evaluate(mustCoerce(t, sampleSchema, asha), issueDay); got != nil {
		t.Errorf("a 100-step loop: %v", got)
	}
}

func TestEvaluateContextStopsWhenCancelled(t *testing.T) {
	rs := mustCompile(t, sampleSchema, rule("runaway", runaway), rule("pass mark", "result.percent >= 40"))
	rec := mustCoerce(t, sampleSchema, asha)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := rs.EvaluateContext(ctx, rec, issueDay)
	if len(got) != 1 || got[0].Rule != "runaway" || !strings.Contains(got[0].Message, "stopped") {
		t.Errorf("got %v, want the looping rule stopped", got)
	}
	if got := rs.EvaluateContext(context.Background(), rec, issueDay); len(got) != 1 || !strings.Contains(got[0].Message, "too much work") {
		t.Errorf("without cancellation: %v", got)
	}
}

func TestEvaluateHandBuiltRecords(t *testing.T) {
	rs := mustCompile(t, sampleSchema, rule("pass mark", "result.percent >= 40"))
	t.Run("a missing field reads as absent", func(t *testing.T) {
		got := rs.Evaluate(rules.Record{}, issueDay)
		if len(got) != 1 || got[0].Message != "pass mark is not met" {
			t.Errorf("got %v", got)
		}
	})
	t.Run("a value of the wrong type fails the rule, saying so", func(t *testing.T) {
		got := rs.Evaluate(rules.Record{"result.percent": rules.StringValue("72")}, issueDay)
		if len(got) != 1 || !strings.Contains(got[0].Message, "result.percent holds a string, not a number") {
			t.Errorf("got %v", got)
		}
	})
	t.Run("a nil record is all absent", func(t *testing.T) {
		got := rs.Evaluate(nil, issueDay)
		if len(got) != 1 {
			t.Errorf("got %v", got)
		}
	})
	t.Run("the record of exam results passes", func(t *testing.T) {
		rec := rules.Record{"result.percent": rules.NumberValue(81), "candidate.name": rules.StringValue("Asha")}
		if got := rs.Evaluate(rec, issueDay); got != nil {
			t.Errorf("got %v", got)
		}
	})
}

func TestEvaluateWithoutRulesPasses(t *testing.T) {
	rs := mustCompile(t, sampleSchema)
	if got := rs.Evaluate(rules.Record{}, issueDay); got != nil {
		t.Errorf("got %v", got)
	}
}

// TestEvaluateConcurrently checks that evaluations on many goroutines do
// not see each other's records (run with -race).
func TestEvaluateConcurrently(t *testing.T) {
	rs := mustCompile(t, sampleSchema,
		rule("pass mark", "result.percent >= 40"),
		rule("city", `!has(candidate.address.city) || candidate.address.city.size() > 2`),
		rule("age", `!has(candidate.dob) || age(candidate.dob) >= 14`),
	)
	recs := make([]rules.Record, 64)
	for i := range recs {
		recs[i] = mustCoerce(t, sampleSchema, map[string]string{
			"candidate.name": fmt.Sprint("c", i),
			"result.percent": fmt.Sprint(i),
			"candidate.dob":  fmt.Sprintf("2010-01-%02d", i%28+1),
		})
	}
	var wg sync.WaitGroup
	errc := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for n := range 2000 {
				i := (g*31 + n) % len(recs)
				now := issueDay.AddDate(0, 0, n%3)
				got := rs.Evaluate(recs[i], now)
				if wantFail := i < 40; (len(got) == 1 && got[0].Rule == "pass mark") != wantFail {
					errc <- fmt.Sprintf("record %d: got %v", i, got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for e := range errc {
		t.Error(e)
	}
}
