package rules

import (
	"encoding/csv"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MaxReportRows is how many failing rows a Report keeps; the rest are
// only counted (Report.Omitted).
const MaxReportRows = 10_000

// RowResult is what is wrong with one row.
type RowResult struct {
	Line   int          // the row's line number, as the rows sequence gave it
	Fields []FieldError // fields that are missing or cannot be read
	Rules  []Failure    // rules the row fails; empty when Fields is not
}

// Report is the outcome of a dry run.
type Report struct {
	Total  int // rows read
	Passed int // rows with no field errors that pass every rule
	Failed int // the other rows
	// ByRule counts the rows failing each rule, by rule name.
	ByRule map[string]int
	// ByField counts the rows with an error in each field, by field name.
	ByField map[string]int
	// Rows lists the failing rows in the order read, at most
	// MaxReportRows of them.
	Rows []RowResult
	// Omitted counts the failing rows left out of Rows.
	Omitted int
}

// DryRun reads every row, coerces it against schema (see Coerce) and
// checks the rules of rs (which may be nil: schema checks only) with now
// as the date of evaluation, and reports every failing row and why. A row
// with field errors is not checked against the rules, whose answers on
// incomplete data would only mislead; once its fields are fixed, a second
// dry run shows its rule failures. schema should be the one rs was
// compiled from (rs.Schema()).
//
// rows yields each row's line number and its cells by column name; a
// reader can stop the run by stopping the sequence.
func DryRun(schema []Field, rs *RuleSet, rows iter.Seq2[int, map[string]string], now time.Time) Report {
	rep := Report{ByRule: map[string]int{}, ByField: map[string]int{}}
	var check func(Record) []Failure
	if rs != nil {
		today := rs.todayValue(now)
		check = func(rec Record) []Failure { return rs.evaluate(nil, rec, today) }
	}
	for line, raw := range rows {
		rep.Total++
		rec, bad := Coerce(schema, raw)
		var fails []Failure
		if len(bad) == 0 && check != nil {
			fails = check(rec)
		}
		if len(bad) == 0 && len(fails) == 0 {
			rep.Passed++
			continue
		}
		rep.Failed++
		for _, fe := range bad {
			rep.ByField[fe.Field]++
		}
		for _, f := range fails {
			rep.ByRule[f.Rule]++
		}
		if len(rep.Rows) < MaxReportRows {
			rep.Rows = append(rep.Rows, RowResult{Line: line, Fields: bad, Rules: fails})
		} else {
			rep.Omitted++
		}
	}
	return rep
}

// WriteReportCSV writes a report's failing rows as CSV with the columns
// line, "field or rule" and message: one row per field error and per
// failed rule, and a last row saying how many rows were left out, if any.
// A cell a spreadsheet would run as a formula (starting with =, +, -, @,
// a tab or a carriage return) is prefixed with an apostrophe.
func WriteReportCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	write := func(cells ...string) {
		for i, c := range cells {
			cells[i] = safeCell(c)
		}
		// Errors stick in the csv.Writer; Error reports them after Flush.
		_ = cw.Write(cells)
	}
	write("line", "field or rule", "message")
	for _, r := range rep.Rows {
		line := strconv.Itoa(r.Line)
		for _, fe := range r.Fields {
			write(line, fe.Field, fe.Message)
		}
		for _, f := range r.Rules {
			write(line, f.Rule, f.Message)
		}
	}
	if rep.Omitted > 0 {
		write("", "", errs.E(errs.Invalid, "certify: write report", "%d more rejected rows are not listed; fix these and run the check again", rep.Omitted).Message)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("certify: write report: %w", err)
	}
	return nil
}

// safeCell keeps a spreadsheet from running a cell as a formula (OWASP
// CSV injection).
func safeCell(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}
