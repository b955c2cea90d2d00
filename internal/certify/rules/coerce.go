package rules

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MaxValueLen is the most characters a field's value may have.
const MaxValueLen = 10_000

const opCoerce = "certify: read record"

// FieldError says what is wrong with one field of a record.
type FieldError struct {
	Field   string // the field's name
	Message string // what is wrong, for the admin
}

// Error returns "field: message".
func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// fieldError builds a FieldError from a user-facing message.
func fieldError(field string, e *errs.Error) FieldError {
	return FieldError{Field: field, Message: e.Message}
}

// Coerce turns one row of text (field name to cell, as read from a CSV
// file) into a typed record, checking each field of schema:
//
//   - spaces around a value are ignored;
//   - a required field must not be empty; an optional field left empty is
//     absent (AbsentValue);
//   - number: digits with an optional sign, decimal point and exponent
//     (72.5, -3, 1e3); a comma ("72,5"), NaN and Inf are refused;
//   - integer: digits with an optional sign (72);
//   - bool: true/false, yes/no or 1/0, in any case;
//   - date: YYYY-MM-DD (2008-03-05), or the Indian day-first forms
//     DD-MM-YYYY and DD/MM/YYYY (05-03-2008, 5/3/2008); the day must exist
//     (30 February is refused);
//   - string: any valid UTF-8 text up to MaxValueLen characters.
//
// Cells of raw that are not fields are ignored (see UnknownColumns). The
// record holds every field of schema; the errors come in schema order.
// Coerce expects a schema that passed ValidateSchema.
func Coerce(schema []Field, raw map[string]string) (Record, []FieldError) {
	rec := make(Record, len(schema))
	var bad []FieldError
	for _, f := range schema {
		s := strings.TrimSpace(raw[f.Name])
		if s == "" {
			if f.Required {
				bad = append(bad, fieldError(f.Name, errs.E(errs.Invalid, opCoerce, "is required")))
			}
			rec[f.Name] = AbsentValue(f.Type)
			continue
		}
		v, fe := coerceValue(f.Name, f.Type, s)
		if fe != nil {
			bad = append(bad, *fe)
			rec[f.Name] = AbsentValue(f.Type)
			continue
		}
		rec[f.Name] = v
	}
	return rec, bad
}

// coerceValue reads one non-empty, trimmed cell as type t.
func coerceValue(name string, t Type, s string) (Value, *FieldError) {
	fail := func(e *errs.Error) (Value, *FieldError) {
		fe := fieldError(name, e)
		return Value{}, &fe
	}
	if !utf8.ValidString(s) {
		return fail(errs.E(errs.Invalid, opCoerce, "is not valid text (it must be UTF-8)"))
	}
	if len(s) > MaxValueLen && utf8.RuneCountInString(s) > MaxValueLen {
		return fail(errs.E(errs.Invalid, opCoerce, "must be at most %d characters", MaxValueLen))
	}
	switch t {
	case Number:
		f, ok := parseNumber(s)
		if !ok {
			return fail(errs.E(errs.Invalid, opCoerce, "%q is not a number; write it like 72.5", clip(s)))
		}
		return NumberValue(f), nil
	case Integer:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fail(errs.E(errs.Invalid, opCoerce, "%q is not a whole number; write it like 72", clip(s)))
		}
		return IntegerValue(i), nil
	case Bool:
		b, ok := parseBool(s)
		if !ok {
			return fail(errs.E(errs.Invalid, opCoerce, "%q is not yes or no; write true, false, yes, no, 1 or 0", clip(s)))
		}
		return BoolValue(b), nil
	case Date:
		d, ok := ParseDate(s)
		if !ok {
			return fail(errs.E(errs.Invalid, opCoerce, "%q is not a date; write it as YYYY-MM-DD or DD-MM-YYYY, and check the day exists", clip(s)))
		}
		return DateValue(d), nil
	case String:
		return StringValue(s), nil
	}
	return fail(errs.E(errs.Invalid, opCoerce, "the field's type %q is not known", string(t)))
}

// clip shortens a cell quoted back in a message.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// parseNumber reads a plain decimal number: an optional sign, digits with
// an optional decimal point, and an optional exponent. Unlike
// strconv.ParseFloat it refuses NaN, Inf, hexadecimal, underscores and
// numbers too large for a float64.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseBool reads true/false, yes/no and 1/0 in any case.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "1":
		return true, true
	case "false", "no", "0":
		return false, true
	}
	return false, false
}

// ParseDate reads a date written as YYYY-MM-DD, DD-MM-YYYY or DD/MM/YYYY
// (the day and month may have one digit in the day-first forms) and
// returns midnight UTC of that day. It refuses days that do not exist
// (2025-02-30) and years before 1.
func ParseDate(s string) (time.Time, bool) {
	var y, m, d int
	switch {
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		var ok1, ok2, ok3 bool
		y, ok1 = atoi(s[0:4])
		m, ok2 = atoi(s[5:7])
		d, ok3 = atoi(s[8:10])
		if !ok1 || !ok2 || !ok3 {
			return time.Time{}, false
		}
	default:
		sep := byte('-')
		if strings.IndexByte(s, '/') >= 0 {
			sep = '/'
		}
		a, rest, ok := strings.Cut(s, string(sep))
		if !ok {
			return time.Time{}, false
		}
		b, c, ok := strings.Cut(rest, string(sep))
		if !ok || len(a) < 1 || len(a) > 2 || len(b) < 1 || len(b) > 2 || len(c) != 4 {
			return time.Time{}, false
		}
		var ok1, ok2, ok3 bool
		d, ok1 = atoi(a)
		m, ok2 = atoi(b)
		y, ok3 = atoi(c)
		if !ok1 || !ok2 || !ok3 {
			return time.Time{}, false
		}
	}
	if y < 1 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || t.Month() != time.Month(m) {
		return time.Time{}, false
	}
	return t, true
}

// atoi reads a short run of ASCII digits.
func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
