package rules_test

import (
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/rules"
)

func TestCoerceReadsEveryType(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		typ  rules.Type
		in   string
		want rules.Value
	}{
		{"text is kept, spaces around it trimmed", rules.String, "  Asha Verma \t", rules.StringValue("Asha Verma")},
		{"text in Devanagari is kept", rules.String, "आशा वर्मा", rules.StringValue("आशा वर्मा")},
		{"a decimal number", rules.Number, "72.5", rules.NumberValue(72.5)},
		{"a number with a sign", rules.Number, "-3", rules.NumberValue(-3)},
		{"a number with a plus sign", rules.Number, "+3.25", rules.NumberValue(3.25)},
		{"a number without leading digit", rules.Number, ".5", rules.NumberValue(0.5)},
		{"a number with a trailing point", rules.Number, "5.", rules.NumberValue(5)},
		{"a number with an exponent", rules.Number, "1.5E+02", rules.NumberValue(150)},
		{"an integer", rules.Integer, "72", rules.IntegerValue(72)},
		{"a negative integer", rules.Integer, "-7", rules.IntegerValue(-7)},
		{"an integer with leading zeros", rules.Integer, "007", rules.IntegerValue(7)},
		{"true", rules.Bool, "true", rules.BoolValue(true)},
		{"TRUE in capitals", rules.Bool, "TRUE", rules.BoolValue(true)},
		{"yes", rules.Bool, "Yes", rules.BoolValue(true)},
		{"1", rules.Bool, "1", rules.BoolValue(true)},
		{"false", rules.Bool, "False", rules.BoolValue(false)},
		{"no", rules.Bool, "NO", rules.BoolValue(false)},
		{"0", rules.Bool, "0", rules.BoolValue(false)},
		{"an ISO date", rules.Date, "2008-03-05", rules.DateValue(day(2008, 3, 5))},
		{"a day-first date with dashes", rules.Date, "05-03-2008", rules.DateValue(day(2008, 3, 5))},
		{"a day-first date with slashes", rules.Date, "05/03/2008", rules.DateValue(day(2008, 3, 5))},
		{"a day-first date with one-digit day and month", rules.Date, "5/3/2008", rules.DateValue(day(2008, 3, 5))},
		{"29 February of a leap year", rules.Date, "29-02-2024", rules.DateValue(day(2024, 2, 29))},
		{"31 December", rules.Date, "2025-12-31", rules.DateValue(day(2025, 12, 31))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := []rules.Field{{Name: "f", Type: tt.typ, Required: true}}
			rec, bad := rules.Coerce(schema, map[string]string{"f": tt.in})
			if len(bad) != 0 {
				t.Fatalf("errors: %v", bad)
			}
			got := rec["f"]
			if got.Type() != tt.want.Type() || !got.Present() || got.String() != tt.want.String() {
				t.Errorf("got %s %q (present %v), want %s %q", got.Type(), got, got.Present(), tt.want.Type(), tt.want)
			}
			switch tt.typ {
			case rules.Number:
				if got.Float() != tt.want.Float() {
					t.Errorf("got %v, want %v", got.Float(), tt.want.Float())
				}
			case rules.Date:
				if !got.Time().Equal(tt.want.Time()) || got.Time().Location() != time.UTC {
					t.Errorf("got %v, want %v", got.Time(), tt.want.Time())
				}
			}
		})
	}
}

func TestCoerceRefusesBadValues(t *testing.T) {
	tests := []struct {
		name string
		typ  rules.Type
		in   string
		want string
	}{
		{"a decimal comma", rules.Number, "72,5", "is not a number"},
		{"a thousands separator", rules.Number, "1,000", "is not a number"},
		{"NaN", rules.Number, "NaN", "is not a number"},
		{"Inf", rules.Number, "Inf", "is not a number"},
		{"infinity spelt out", rules.Number, "-infinity", "is not a number"},
		{"a hexadecimal float", rules.Number, "0x1p3", "is not a number"},
		{"underscores in a number", rules.Number, "1_000", "is not a number"},
		{"a number too large", rules.Number, "1e400", "is not a number"},
		{"an exponent without digits", rules.Number, "1e", "is not a number"},
		{"a sign alone", rules.Number, "-", "is not a number"},
		{"a point alone", rules.Number, ".", "is not a number"},
		{"a percent sign", rules.Number, "72%", "is not a number"},
		{"a decimal integer", rules.Integer, "72.5", "is not a whole number"},
		{"an integer too large", rules.Integer, "9223372036854775808", "is not a whole number"},
		{"words for a bool", rules.Bool, "maybe", "is not yes or no"},
		{"y for a bool", rules.Bool, "y", "is not yes or no"},
		{"30 February", rules.Date, "2025-02-30", "is not a date"},
		{"29 February of a common year", rules.Date, "29/02/2025", "is not a date"},
		{"month 13", rules.Date, "2025-13-01", "is not a date"},
		{"day 0", rules.Date, "00-01-2025", "is not a date"},
		{"year 0", rules.Date, "0000-01-01", "is not a date"},
		{"a two-digit year", rules.Date, "05/03/08", "is not a date"},
		{"month first with the year first", rules.Date, "2025/03/05", "is not a date"},
		{"mixed separators", rules.Date, "05-03/2025", "is not a date"},
		{"a time after the date", rules.Date, "2025-03-05T10:00", "is not a date"},
		{"a month name", rules.Date, "5 March 2008", "is not a date"},
		{"a three-digit day", rules.Date, "005-03-2008", "is not a date"},
		{"a signed day", rules.Date, "+5-03-2008", "is not a date"},
		{"invalid UTF-8", rules.String, "A\xffB", "not valid text"},
		{"text too long", rules.String, strings.Repeat("अ", rules.MaxValueLen+1), "at most 10000 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			schema := []rules.Field{{Name: "f", Type: tt.typ}}
			rec, bad := rules.Coerce(schema, map[string]string{"f": tt.in})
			if len(bad) != 1 || bad[0].Field != "f" {
				t.Fatalf("got %v, want one error for f", bad)
			}
			if !strings.Contains(bad[0].Message, tt.want) {
				t.Errorf("%q does not say %q", bad[0].Message, tt.want)
			}
			if v := rec["f"]; v.Present() || v.Type() != tt.typ {
				t.Errorf("a refused value is stored as %s %q (present %v)", v.Type(), v, v.Present())
			}
		})
	}
}

func TestCoerceEmptyFields(t *testing.T) {
	raw := map[string]string{
		"candidate.name": "   ",
		"result.percent": "72",
		"attendance":     "",
		"school":         "DPS", // not a field: ignored
	}
	rec, bad := rules.Coerce(sampleSchema, raw)
	if len(bad) != 1 || bad[0].Field != "candidate.name" || bad[0].Message != "is required" {
		t.Fatalf("got %v, want candidate.name is required", bad)
	}
	if len(rec) != len(sampleSchema) {
		t.Errorf("record has %d fields, want %d", len(rec), len(sampleSchema))
	}
	if _, ok := rec["school"]; ok {
		t.Error("a column that is not a field got into the record")
	}
	for _, name := range []string{"attendance", "candidate.dob", "result.rank", "candidate.repeater"} {
		v, ok := rec[name]
		if !ok || v.Present() {
			t.Errorf("%s: got %v (in record %v), want absent", name, v.Present(), ok)
		}
	}
	if v := rec["attendance"]; v.Type() != rules.Number || v.Float() != 0 || v.String() != "" {
		t.Errorf("absent attendance: got %s %v %q", v.Type(), v.Float(), v)
	}
}

func TestCoerceReportsEveryBadFieldInSchemaOrder(t *testing.T) {
	raw := map[string]string{"candidate.dob": "31-04-2008", "result.percent": "seventy", "result.rank": "1.5"}
	_, bad := rules.Coerce(sampleSchema, raw)
	var got []string
	for _, fe := range bad {
		got = append(got, fe.Field)
	}
	want := "candidate.name candidate.dob result.percent result.rank"
	if strings.Join(got, " ") != want {
		t.Errorf("got errors for %v, want %s", got, want)
	}
	if s := bad[1].Error(); s != `candidate.dob: "31-04-2008" is not a date; write it as YYYY-MM-DD or DD-MM-YYYY, and check the day exists` {
		t.Errorf("message: %s", s)
	}
}

func TestCoerceQuotesLongValuesShort(t *testing.T) {
	_, bad := rules.Coerce([]rules.Field{{Name: "n", Type: rules.Number}}, map[string]string{"n": strings.Repeat("9", 100) + "x"})
	if len(bad) != 1 || len(bad[0].Message) > 120 || !strings.Contains(bad[0].Message, "…") {
		t.Errorf("got %v, want one short message with an ellipsis", bad)
	}
}

func TestValueConstructors(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	d := rules.DateValue(time.Date(2025, 3, 31, 23, 30, 0, 0, ist))
	if d.String() != "2025-03-31" || d.Time() != time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC) {
		t.Errorf("a date keeps the calendar day of its own zone: got %s (%v)", d, d.Time())
	}
	var zero rules.Value
	if zero.Type() != rules.String || zero.Present() || zero.String() != "" {
		t.Errorf("zero value: got %s present %v %q", zero.Type(), zero.Present(), zero)
	}
	tests := []struct {
		v    rules.Value
		want string
	}{
		{rules.NumberValue(0.1), "0.1"},
		{rules.NumberValue(1e21), "1000000000000000000000"},
		{rules.IntegerValue(-42), "-42"},
		{rules.BoolValue(true), "true"},
		{rules.StringValue(""), ""},
		{rules.AbsentValue(rules.Date), ""},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%s value: got %q, want %q", tt.v.Type(), got, tt.want)
		}
	}
	if !rules.StringValue("").Present() {
		t.Error("an empty string given explicitly is present")
	}
}

func TestParseDate(t *testing.T) {
	for _, s := range []string{"2025-3-05", "2025-03-5", "20250305", "", "--", "1/1/1", "31/12/99999"} {
		if d, ok := rules.ParseDate(s); ok {
			t.Errorf("%q: got %v, want refused", s, d)
		}
	}
	if d, ok := rules.ParseDate("0001-01-01"); !ok || d.Year() != 1 {
		t.Errorf("year 1: got %v %v", d, ok)
	}
}
