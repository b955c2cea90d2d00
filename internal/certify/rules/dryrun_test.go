package rules_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"iter"
	"maps"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/rules"
)

// seq yields rows with line numbers from 2, as a CSV file with a header
// numbers them.
func seq(rows ...map[string]string) iter.Seq2[int, map[string]string] {
	return func(yield func(int, map[string]string) bool) {
		for i, r := range rows {
			if !yield(i+2, r) {
				return
			}
		}
	}
}

// with returns a copy of base with the given cells changed.
func with(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

var dryRunRules = []rules.Rule{
	{Name: "pass mark", Expr: "result.percent >= 40", Message: "scored below 40%"},
	{Name: "attendance", Expr: "attendance >= 0.75", Message: "attended less than 75%"},
	{Name: "age", Expr: "!has(candidate.dob) || age(candidate.dob) >= 14", Message: "younger than 14"},
}

func TestDryRunCountsAndReports(t *testing.T) {
	rs := mustCompile(t, sampleSchema, dryRunRules...)
	rows := seq(
		asha,                               // line 2: passes
		with(asha, "result.percent", "35"), // 3: pass mark
		with(asha, "result.percent", "35", "attendance", "0.5"), // 4: pass mark, attendance
		with(asha, "candidate.dob", "30/02/2010"),               // 5: field error, rules not checked
		with(asha, "candidate.name", "", "result.rank", "x"),    // 6: two field errors
		with(asha, "candidate.dob", "2015-01-01"),               // 7: age
		with(asha, "candidate.dob", ""),                         // 8: passes, dob optional
	)
	rep := rules.DryRun(sampleSchema, rs, rows, issueDay)
	if rep.Total != 7 || rep.Passed != 2 || rep.Failed != 5 || rep.Omitted != 0 {
		t.Errorf("total %d passed %d failed %d omitted %d, want 7 2 5 0", rep.Total, rep.Passed, rep.Failed, rep.Omitted)
	}
	if got, want := fmt.Sprint(rep.ByRule), "map[age:1 attendance:1 pass mark:2]"; got != want {
		t.Errorf("by rule: %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(rep.ByField), "map[candidate.dob:1 candidate.name:1 result.rank:1]"; got != want {
		t.Errorf("by field: %s, want %s", got, want)
	}
	var lines []int
	for _, r := range rep.Rows {
		lines = append(lines, r.Line)
	}
	if fmt.Sprint(lines) != "[3 4 5 6 7]" {
		t.Errorf("failing lines %v, want [3 4 5 6 7]", lines)
	}
	if r := rep.Rows[2]; len(r.Fields) != 1 || r.Fields[0].Field != "candidate.dob" || len(r.Rules) != 0 {
		t.Errorf("line 5: %+v, want one field error and no rules checked", r)
	}
	if r := rep.Rows[1]; len(r.Rules) != 2 || r.Rules[0].Message != "scored below 40%" || r.Rules[1].Rule != "attendance" {
		t.Errorf("line 4: %+v", r)
	}
}

func TestDryRunWithoutRulesChecksFieldsOnly(t *testing.T) {
	rep := rules.DryRun(sampleSchema, nil, seq(with(asha, "result.percent", "1"), with(asha, "result.percent", "")), issueDay)
	if rep.Passed != 1 || rep.Failed != 1 || rep.ByField["result.percent"] != 1 || len(rep.ByRule) != 0 {
		t.Errorf("got %+v", rep)
	}
}

func TestDryRunKeepsAtMostMaxReportRows(t *testing.T) {
	rs := mustCompile(t, sampleSchema, dryRunRules...)
	bad := with(asha, "result.percent", "10")
	n := rules.MaxReportRows + 25
	rows := func(yield func(int, map[string]string) bool) {
		for i := range n {
			if !yield(i+2, bad) {
				return
			}
		}
	}
	rep := rules.DryRun(sampleSchema, rs, rows, issueDay)
	if rep.Failed != n || len(rep.Rows) != rules.MaxReportRows || rep.Omitted != 25 || rep.ByRule["pass mark"] != n {
		t.Errorf("failed %d, kept %d, omitted %d, by rule %d", rep.Failed, len(rep.Rows), rep.Omitted, rep.ByRule["pass mark"])
	}
	var buf bytes.Buffer
	if err := rules.WriteReportCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	all, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	if len(all) != rules.MaxReportRows+2 || last[2] != "25 more rejected rows are not listed; fix these and run the check again" {
		t.Errorf("%d lines, last %q", len(all), last)
	}
}

func TestDryRunStopsWhenTheRowsStop(t *testing.T) {
	rs := mustCompile(t, sampleSchema, dryRunRules...)
	calls := 0
	rows := func(yield func(int, map[string]string) bool) {
		for i := range 5 {
			calls++
			if !yield(i, asha) {
				t.Error("DryRun stopped the sequence")
				return
			}
		}
	}
	if rep := rules.DryRun(sampleSchema, rs, rows, issueDay); rep.Total != 5 || calls != 5 {
		t.Errorf("total %d, calls %d", rep.Total, calls)
	}
}

func TestWriteReportCSV(t *testing.T) {
	rep := rules.Report{Rows: []rules.RowResult{
		{Line: 3, Rules: []rules.Failure{{Rule: "pass mark", Message: "scored below 40%"}}},
		{Line: 5, Fields: []rules.FieldError{{Field: "candidate.dob", Message: `"30/02/2010" is not a date`}, {Field: "result.rank", Message: "is required"}}},
		{Line: 9, Rules: []rules.Failure{
			{Rule: "=HYPERLINK(\"http://x\")", Message: "+1 was added"},
			{Rule: "@SUM(A1)", Message: "-5 points, with \"quotes\", and a comma"},
			{Rule: "\tTab", Message: "\rCR"},
			{Rule: "plain", Message: "a = b"},
		}},
	}}
	var buf bytes.Buffer
	if err := rules.WriteReportCSV(&buf, rep); err != nil {
		t.Fatal(err)
	}
	want := `line,field or rule,message
3,pass mark,scored below 40%
5,candidate.dob,"""30/02/2010"" is not a date"
5,result.rank,is required
9,"'=HYPERLINK(""http://x"")",'+1 was added
9,'@SUM(A1),"'-5 points, with ""quotes"", and a comma"
9,'	Tab,"'` + "\r" + `CR"
9,plain,a = b
`
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteReportCSVReportsWriteErrors(t *testing.T) {
	rep := rules.Report{Rows: []rules.RowResult{{Line: 3, Rules: []rules.Failure{{Rule: "r", Message: strings.Repeat("m", 5000)}}}}}
	err := rules.WriteReportCSV(failingWriter{}, rep)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("got %v, want the writer's error", err)
	}
}
