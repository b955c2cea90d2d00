package rules_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// sampleSchema is the schema most tests use.
var sampleSchema = []rules.Field{
	{Name: "candidate.name", Label: "Name", Type: rules.String, Required: true},
	{Name: "candidate.dob", Label: "Date of birth", Type: rules.Date},
	{Name: "candidate.address.city", Label: "City", Type: rules.String},
	{Name: "candidate.repeater", Label: "Repeater", Type: rules.Bool},
	{Name: "result.percent", Label: "Percentage", Type: rules.Number, Required: true},
	{Name: "result.rank", Label: "Rank", Type: rules.Integer},
	{Name: "attendance", Label: "Attendance", Type: rules.Number},
}

func TestValidateSchema(t *testing.T) {
	if err := rules.ValidateSchema(sampleSchema); err != nil {
		t.Fatalf("sample schema: %v", err)
	}
	many := make([]rules.Field, rules.MaxFields+1)
	for i := range many {
		many[i] = rules.Field{Name: "f" + strings.Repeat("x", i%50) + string(rune('a'+i/50)), Type: rules.String}
	}
	tests := []struct {
		name   string
		fields []rules.Field
		key    string // the field key that must carry an error
		want   string // a fragment of its message
	}{
		{"an empty schema is refused", nil, "fields", "at least one"},
		{"too many fields are refused", many, "fields", "at most 200"},
		{"an unknown type is refused", []rules.Field{{Name: "a", Type: "float"}}, "fields.0.type", `"a"`},
		{"an empty name is refused", []rules.Field{{Name: "", Type: rules.String}}, "fields.0.name", "give the field a name"},
		{"upper case is refused", []rules.Field{{Name: "Candidate.name", Type: rules.String}}, "fields.0.name", `"Candidate.name"`},
		{"a part starting with a digit is refused", []rules.Field{{Name: "result.1st", Type: rules.String}}, "fields.0.name", "starts with a letter"},
		{"an empty part is refused", []rules.Field{{Name: "result..percent", Type: rules.Number}}, "fields.0.name", "starts with a letter"},
		{"a trailing dot is refused", []rules.Field{{Name: "result.", Type: rules.Number}}, "fields.0.name", "starts with a letter"},
		{"a hyphen is refused", []rules.Field{{Name: "roll-no", Type: rules.String}}, "fields.0.name", "only a–z, 0–9 and _"},
		{"four parts are too deep", []rules.Field{{Name: "a.b.c.d", Type: rules.String}}, "fields.0.name", "at most 3 parts"},
		{"a reserved word is refused", []rules.Field{{Name: "exam.in", Type: rules.String}}, "fields.0.name", `"in" is a reserved word`},
		{"a type name at the top is refused", []rules.Field{{Name: "int", Type: rules.Integer}}, "fields.0.name", "name of a type"},
		{"today is refused at the top", []rules.Field{{Name: "today", Type: rules.Date}}, "fields.0.name", "the date a rule is checked on"},
		{"a duplicate name is refused", []rules.Field{{Name: "a", Type: rules.String}, {Name: "a", Type: rules.Number}}, "fields.1.name", "given twice"},
		{"a leaf cannot also be a group", []rules.Field{{Name: "result", Type: rules.String}, {Name: "result.percent", Type: rules.Number}}, "fields.0.name", `"result.percent" is inside it`},
		{"a deeper leaf inside a leaf is refused", []rules.Field{{Name: "a.b.c", Type: rules.String}, {Name: "a.b", Type: rules.String}}, "fields.1.name", `"a.b.c" is inside it`},
		{"a long label is refused", []rules.Field{{Name: "a", Label: strings.Repeat("x", 201), Type: rules.String}}, "fields.0.label", "at most 200"},
		{"a long name part is refused", []rules.Field{{Name: strings.Repeat("a", 65), Type: rules.String}}, "fields.0.name", "at most 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := rules.ValidateSchema(tt.fields)
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v, want an invalid-input error", err)
			}
			msg, ok := errs.As(err).Fields[tt.key]
			if !ok {
				t.Fatalf("no message for %s in %v", tt.key, err)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("%s: %q does not say %q", tt.key, msg, tt.want)
			}
		})
	}
}

func TestValidateSchemaAccepts(t *testing.T) {
	ok := [][]rules.Field{
		{{Name: "a", Type: rules.String}},
		{{Name: "a1_b", Type: rules.Number}, {Name: "a1_b2.c", Type: rules.Date}},
		{{Name: "exam.type", Type: rules.String}, {Name: "x.int", Type: rules.Integer}},
		{{Name: "a.b.c", Type: rules.Bool}, {Name: "a.b.d", Type: rules.Bool}, {Name: "a.e", Type: rules.Bool}},
	}
	for _, fields := range ok {
		if err := rules.ValidateSchema(fields); err != nil {
			t.Errorf("%v: %v", fields, err)
		}
	}
}

func TestColumns(t *testing.T) {
	header := []string{"candidate.name", " result.percent ", "school", "", "candidate.dob", "Roll No"}
	if got, want := rules.UnknownColumns(sampleSchema, header), []string{"school", "Roll No"}; !slices.Equal(got, want) {
		t.Errorf("unknown columns: got %q, want %q", got, want)
	}
	if got := rules.MissingColumns(sampleSchema, header); len(got) != 0 {
		t.Errorf("missing columns: got %q, want none", got)
	}
	if got, want := rules.MissingColumns(sampleSchema, []string{"candidate.name", "attendance"}), []string{"result.percent"}; !slices.Equal(got, want) {
		t.Errorf("missing columns: got %q, want %q", got, want)
	}
}
