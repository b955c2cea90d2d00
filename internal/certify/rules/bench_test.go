package rules_test

// Run with
//
//	go test -run '^$' -bench . -benchtime 2s ./internal/certify/rules/
//
// Last measured on the 2-core development machine while other work ran
// on it (figures varied by up to 1.5x between runs), Go 1.26, cel-go v0.33.2:
//
//	BenchmarkEvaluate/sequential   1.3–2.0 µs/op, 10 allocs (500,000–770,000 evaluations/s per core)
//	BenchmarkEvaluate/parallel     0.95–2.1 µs/op on 2 cores
//	BenchmarkEvaluate/failing      0.95–1.6 µs/op, 12 allocs
//	BenchmarkCoerce                1.9–3.4 µs/op, 12 allocs
//	BenchmarkCompile               0.32–0.5 ms for 3 rules
//	BenchmarkDryRun100k            0.36–0.43 s, 3.5–4.3 µs/row (coerce + 3 rules)

import (
	"fmt"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/rules"
)

// benchSchema has ten fields, as a typical certificate type.
var benchSchema = []rules.Field{
	{Name: "candidate.name", Type: rules.String, Required: true},
	{Name: "candidate.dob", Type: rules.Date},
	{Name: "candidate.roll_no", Type: rules.String, Required: true},
	{Name: "candidate.gender", Type: rules.String},
	{Name: "result.percent", Type: rules.Number, Required: true},
	{Name: "result.rank", Type: rules.Integer},
	{Name: "result.grade", Type: rules.String},
	{Name: "result.passed", Type: rules.Bool},
	{Name: "attendance", Type: rules.Number},
	{Name: "centre", Type: rules.String},
}

// benchRules are three simple rules.
var benchRules = []rules.Rule{
	{Name: "pass mark", Expr: "result.percent >= 40", Message: "below the pass mark"},
	{Name: "attendance", Expr: "attendance >= 0.75", Message: "attendance below 75%"},
	{Name: "named", Expr: `candidate.name != ""`, Message: "no name"},
}

// benchRow returns the cells of row i; one row in ten fails a rule.
func benchRow(i int) map[string]string {
	percent := "72.5"
	if i%10 == 0 {
		percent = "35"
	}
	return map[string]string{
		"candidate.name":    "Candidate " + fmt.Sprint(i),
		"candidate.dob":     "05/03/2008",
		"candidate.roll_no": fmt.Sprintf("MH%08d", i),
		"candidate.gender":  "F",
		"result.percent":    percent,
		"result.rank":       fmt.Sprint(i + 1),
		"result.grade":      "B",
		"result.passed":     "yes",
		"attendance":        "0.82",
		"centre":            "Pune 4",
	}
}

// BenchmarkEvaluate measures three simple rules over a ten-field record.
func BenchmarkEvaluate(b *testing.B) {
	rs := mustCompile(b, benchSchema, benchRules...)
	rec := mustCoerce(b, benchSchema, benchRow(1))
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f := rs.Evaluate(rec, issueDay); f != nil {
				b.Fatal(f)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if f := rs.Evaluate(rec, issueDay); f != nil {
					b.Error(f)
					return
				}
			}
		})
	})
	b.Run("failing", func(b *testing.B) {
		bad := mustCoerce(b, benchSchema, benchRow(0))
		b.ReportAllocs()
		for b.Loop() {
			if f := rs.Evaluate(bad, issueDay); len(f) != 1 {
				b.Fatal(f)
			}
		}
	})
}

// BenchmarkCoerce measures reading one ten-field row.
func BenchmarkCoerce(b *testing.B) {
	row := benchRow(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, bad := rules.Coerce(benchSchema, row); bad != nil {
			b.Fatal(bad)
		}
	}
}

// BenchmarkCompile measures compiling three rules, as done once per batch.
func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rules.Compile(benchSchema, benchRules); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDryRun100k measures a dry run of 100,000 rows, one in ten
// failing; the rows are built beforehand, as a CSV reader would hand them
// over.
func BenchmarkDryRun100k(b *testing.B) {
	const n = 100_000
	rows := make([]map[string]string, n)
	for i := range rows {
		rows[i] = benchRow(i)
	}
	rs := mustCompile(b, benchSchema, benchRules...)
	seq := func(yield func(int, map[string]string) bool) {
		for i, r := range rows {
			if !yield(i+2, r) {
				return
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		rep := rules.DryRun(benchSchema, rs, seq, issueDay)
		if rep.Total != n || rep.Failed != n/10 {
			b.Fatalf("total %d failed %d", rep.Total, rep.Failed)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}
