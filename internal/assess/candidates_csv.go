package assess

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// CandidateColumns are the columns of a candidate list (CSV with a header
// row, in any order; names are case-insensitive): roll_no and name are
// required; shift is a shift's code; extra_time_minutes an accommodation.
var CandidateColumns = []string{"roll_no", "name", "shift", "extra_time_minutes"}

// ReadCandidatesCSV reads a candidate list as exported from a
// spreadsheet: UTF-8 (with or without a byte-order mark) or UTF-16 with a
// mark, comma-separated. Rows are numbered from 1 after the header, as
// RegisterCandidates reports them. At most MaxRegisterBatch rows.
func ReadCandidatesCSV(r io.Reader) ([]Candidate, error) {
	const op = "assess: read candidate list"
	text, err := DecodeText(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(text)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errs.E(errs.Invalid, op, "the file is empty; the first row names the columns: %s", strings.Join(CandidateColumns, ", "))
	}
	if err != nil {
		return nil, csvError(op, err)
	}
	col := map[string]int{}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case !containsString(CandidateColumns, name):
			return nil, errs.E(errs.Invalid, op, "column %d, %q, is not one of %s", i+1, h, strings.Join(CandidateColumns, ", "))
		case col[name] > 0:
			return nil, errs.E(errs.Invalid, op, "column %q is given twice", name)
		}
		col[name] = i + 1
	}
	for _, need := range CandidateColumns[:2] {
		if col[need] == 0 {
			return nil, errs.E(errs.Invalid, op, "the file has no %s column", need)
		}
	}
	cell := func(rec []string, name string) string {
		if i := col[name]; i > 0 && i <= len(rec) {
			return strings.TrimSpace(rec[i-1])
		}
		return ""
	}
	var out []Candidate
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(op, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			row--
			continue // a blank line
		}
		if row > MaxRegisterBatch {
			return nil, errs.E(errs.Invalid, op, "the file has more than %d candidates; split it", MaxRegisterBatch)
		}
		c := Candidate{RollNo: cell(rec, "roll_no"), Name: cell(rec, "name"), Shift: cell(rec, "shift")}
		if m := cell(rec, "extra_time_minutes"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil || n < 0 || n > MaxExtraTime/60 {
				return nil, errs.E(errs.Invalid, op, "row %d: extra_time_minutes %q must be a whole number of minutes from 0 to %d", row, m, MaxExtraTime/60)
			}
			c.ExtraTime = n * 60
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errs.E(errs.Invalid, op, "the file has no candidates after its header row")
	}
	return out, nil
}

func csvError(op string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errs.E(errs.Invalid, op, "line %d: %v", pe.Line, pe.Err)
	}
	if e := errs.As(err); e != nil {
		return err
	}
	return errs.E(errs.Invalid, op, "the file cannot be read as CSV: %v", err)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WriteAdmitCodes writes issued codes as CSV for admit cards: roll_no,
// name, shift, access_code. Cells that a spreadsheet would take for a
// formula are prefixed with an apostrophe.
func WriteAdmitCodes(w io.Writer, codes []AdmitCode) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"roll_no", "name", "shift", "access_code"}); err != nil {
		return err
	}
	for _, c := range codes {
		if err := cw.Write([]string{safeCell(c.RollNo), safeCell(c.Name), safeCell(c.Shift), c.Code}); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("assess: write admit codes: %w", err)
	}
	return nil
}

// safeCell keeps a spreadsheet from running a cell as a formula (OWASP
// CSV injection).
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
