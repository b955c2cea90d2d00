package rules

import (
	"strconv"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// Record holds one certificate's data: field name (as in the schema) to
// value. Coerce builds records from CSV rows; other sources (exam results)
// build them with the Value constructors. A field missing from the map
// reads as absent.
type Record map[string]Value

// Value is one field's value. It remembers its type and whether it was
// given at all: an optional field left empty is absent, reads as its
// type's zero value in rules (except a date, see the package doc) and makes
// has() false.
//
// The zero Value is an absent string.
type Value struct {
	typ     Type
	present bool
	val     ref.Val // the CEL value, built once so evaluation does not allocate
}

// StringValue returns a present string value.
func StringValue(s string) Value { return Value{typ: String, present: true, val: types.String(s)} }

// NumberValue returns a present number value.
func NumberValue(f float64) Value { return Value{typ: Number, present: true, val: types.Double(f)} }

// IntegerValue returns a present integer value.
func IntegerValue(i int64) Value { return Value{typ: Integer, present: true, val: types.Int(i)} }

// BoolValue returns a present bool value.
func BoolValue(b bool) Value { return Value{typ: Bool, present: true, val: types.Bool(b)} }

// DateValue returns a present date value: the calendar day of t in t's own
// location (the time of day is dropped).
func DateValue(t time.Time) Value {
	return Value{typ: Date, present: true, val: types.Timestamp{Time: dayOf(t)}}
}

// AbsentValue returns the value of an optional field of type t left empty.
func AbsentValue(t Type) Value { return Value{typ: t} }

// dayOf returns midnight UTC of t's calendar day in t's location.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Type returns the value's type.
func (v Value) Type() Type {
	if v.typ == "" {
		return String
	}
	return v.typ
}

// Present reports whether the value was given.
func (v Value) Present() bool { return v.present }

// Str returns a string value's text, or "".
func (v Value) Str() string {
	s, _ := v.val.(types.String)
	return string(s)
}

// Float returns a number value, or 0.
func (v Value) Float() float64 {
	f, _ := v.val.(types.Double)
	return float64(f)
}

// Int returns an integer value, or 0.
func (v Value) Int() int64 {
	i, _ := v.val.(types.Int)
	return int64(i)
}

// Bool returns a bool value, or false.
func (v Value) Bool() bool {
	b, _ := v.val.(types.Bool)
	return bool(b)
}

// Time returns a date value as midnight UTC of its day, or the zero time.
func (v Value) Time() time.Time {
	t, _ := v.val.(types.Timestamp)
	return t.Time
}

// String formats the value as Coerce would read it back: dates as
// YYYY-MM-DD, numbers in the shortest form, bools as true or false; an
// absent value is "".
func (v Value) String() string {
	if !v.present {
		return ""
	}
	switch v.typ {
	case Number:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case Integer:
		return strconv.FormatInt(v.Int(), 10)
	case Bool:
		return strconv.FormatBool(v.Bool())
	case Date:
		return v.Time().Format(time.DateOnly)
	}
	return v.Str()
}

// Zero values that absent fields read as in rules.
var (
	zeroString ref.Val = types.String("")
	zeroNumber ref.Val = types.Double(0)
	zeroInt    ref.Val = types.Int(0)
	zeroBool   ref.Val = types.False
)

// zeroOf returns what an absent field of type t reads as, or nil for a
// date, which has no sensible zero.
func zeroOf(t Type) ref.Val {
	switch t {
	case Number:
		return zeroNumber
	case Integer:
		return zeroInt
	case Bool:
		return zeroBool
	case Date:
		return nil
	}
	return zeroString
}
