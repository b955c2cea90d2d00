package rules

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Type is the kind of value a field holds.
type Type string

// The field types. A number is a decimal (72.5); an integer is a whole
// number (72); a date is a calendar day without a time.
const (
	String  Type = "string"
	Number  Type = "number"
	Integer Type = "integer"
	Bool    Type = "bool"
	Date    Type = "date"
)

// Types lists every field type, in the order a form shows them.
var Types = []Type{String, Number, Integer, Bool, Date}

// Field is one piece of data a certificate type needs, such as the
// candidate's name or the percentage scored.
type Field struct {
	// Name is the field's dotted path as rules and CSV headers write it:
	// "candidate.name", "result.percent", "attendance".
	Name string
	// Label is the field's name for people, shown on forms and reports.
	Label string
	// Type is the kind of value the field holds.
	Type Type
	// Required fields must have a value in every record.
	Required bool
}

// Limits on a schema.
const (
	MaxFields     = 200 // fields in one schema
	MaxDepth      = 3   // parts in a dotted name: a.b.c
	MaxSegmentLen = 64  // characters in one part of a name
	MaxLabelLen   = 200 // characters in a label
)

// Today is the name rules use for the date of evaluation; no top-level
// field may take it.
const Today = "today"

// reservedWords cannot be field names: CEL's grammar keeps them, so a rule
// could not mention the field.
var reservedWords = []string{
	"as", "break", "const", "continue", "else", "false", "for", "function",
	"if", "import", "in", "let", "loop", "package", "namespace", "null",
	"return", "true", "var", "void", "while",
}

// typeNames are CEL's names for types; a top-level field by one of these
// names would hide the type (and its conversion function) from rules.
var typeNames = []string{
	"bool", "bytes", "double", "duration", "dyn", "int", "list", "map",
	"null_type", "string", "timestamp", "type", "uint",
}

// validType reports whether t is one of Types.
func validType(t Type) bool { return slices.Contains(Types, t) }

// validSegment reports whether s is one part of a field name: a lower-case
// letter, then lower-case letters, digits and underscores.
func validSegment(s string) bool {
	if s == "" || len(s) > MaxSegmentLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ValidateSchema checks a certificate type's fields: names are dotted
// paths of lower-case identifiers, at most MaxDepth deep, unique, and no
// name is both a field and the start of another ("result" and
// "result.percent"); every type is known; labels are short. The error is
// of kind errs.Invalid and names each bad field.
func ValidateSchema(fields []Field) error {
	v := errs.Validation{Op: "certify: check fields"}
	switch {
	case len(fields) == 0:
		v.Add("fields", "give at least one field")
	case len(fields) > MaxFields:
		v.Add("fields", "give at most %d fields", MaxFields)
	}
	seen := make(map[string]int, len(fields)) // name -> index
	for i, f := range fields {
		p := fmt.Sprintf("fields.%d", i)
		if !validType(f.Type) {
			v.Add(p+".type", "field %q: the type must be string, number, integer, bool or date", f.Name)
		}
		if !utf8.ValidString(f.Label) || utf8.RuneCountInString(f.Label) > MaxLabelLen {
			v.Add(p+".label", "field %q: the label must be at most %d characters", f.Name, MaxLabelLen)
		}
		if checkName(&v, p+".name", f.Name) {
			continue
		}
		if j, dup := seen[f.Name]; dup {
			v.Add(p+".name", "field %q is given twice (also field %d)", f.Name, j+1)
			continue
		}
		seen[f.Name] = i
	}
	// A name that is also a prefix of another would be both a value and an
	// object in rules.
	for _, f := range fields {
		if _, ok := seen[f.Name]; !ok {
			continue
		}
		name := f.Name
		for prefix := name; ; {
			k := strings.LastIndexByte(prefix, '.')
			if k < 0 {
				break
			}
			prefix = prefix[:k]
			if j, ok := seen[prefix]; ok {
				v.Add(fmt.Sprintf("fields.%d.name", j), "field %q cannot hold a value: %q is inside it", prefix, name)
			}
		}
	}
	return v.Err()
}

// checkName adds what is wrong with a field's name to v and reports
// whether anything was.
func checkName(v *errs.Validation, key, name string) bool {
	if name == "" {
		v.Add(key, "give the field a name")
		return true
	}
	if len(name) > MaxDepth*(MaxSegmentLen+1) {
		v.Add(key, "field %.40q…: the name is too long", name)
		return true
	}
	segs := strings.Split(name, ".")
	if len(segs) > MaxDepth {
		v.Add(key, "field %q: a name has at most %d parts separated by dots", name, MaxDepth)
		return true
	}
	for _, s := range segs {
		if !validSegment(s) {
			v.Add(key, "field %q: each part of a name starts with a letter a–z and has only a–z, 0–9 and _ (at most %d characters)", name, MaxSegmentLen)
			return true
		}
		if slices.Contains(reservedWords, s) {
			v.Add(key, "field %q: %q is a reserved word in rules; choose another name", name, s)
			return true
		}
	}
	if slices.Contains(typeNames, segs[0]) {
		v.Add(key, "field %q: %q is the name of a type in rules; choose another name", name, segs[0])
		return true
	}
	if segs[0] == Today {
		v.Add(key, "field %q: %q is the date a rule is checked on; choose another name", name, Today)
		return true
	}
	return false
}

// UnknownColumns returns the names in header that are not fields of
// schema, in header order. Blank names (an empty trailing column) are
// skipped. The caller decides whether they are an error.
func UnknownColumns(schema []Field, header []string) []string {
	known := make(map[string]bool, len(schema))
	for _, f := range schema {
		known[f.Name] = true
	}
	var out []string
	for _, h := range header {
		h = strings.TrimSpace(h)
		if h != "" && !known[h] {
			out = append(out, h)
		}
	}
	return out
}

// MissingColumns returns the required fields of schema that header does
// not have, in schema order. A file without them cannot pass.
func MissingColumns(schema []Field, header []string) []string {
	have := make(map[string]bool, len(header))
	for _, h := range header {
		have[strings.TrimSpace(h)] = true
	}
	var out []string
	for _, f := range schema {
		if f.Required && !have[f.Name] {
			out = append(out, f.Name)
		}
	}
	return out
}
