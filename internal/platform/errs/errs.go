// Package errs gives errors a kind, so that one place (the HTTP layer) can map
// any domain error to a status code and an RFC 9457 problem, while the error
// text keeps the operation that failed for the logs.
package errs

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind string

// The kinds of error. Internal is the zero value's meaning: anything not
// classified is treated as a fault of ours and never shown to users verbatim.
const (
	Internal     Kind = "internal"
	Invalid      Kind = "invalid"      // the input is wrong; fields say where
	NotFound     Kind = "not_found"    // no such thing, or not visible to the caller
	Conflict     Kind = "conflict"     // the thing exists already or changed underneath
	Unauthorized Kind = "unauthorized" // no valid credentials
	Forbidden    Kind = "forbidden"    // credentials valid, permission missing
	TooMany      Kind = "too_many"     // rate limited; RetryAfter says when to come back
	Unavailable  Kind = "unavailable"  // a dependency is down or we are overloaded
	TooLarge     Kind = "too_large"    // a body or upload over its limit
	Unsupported  Kind = "unsupported"  // a media type or feature we do not take
)

// Error is an error with a kind, a message fit for the user, optional
// field-level messages and an optional wrapped cause (for logs only).
type Error struct {
	Kind    Kind
	Op      string            // operation, e.g. "identity: create user"
	Message string            // safe to show to users
	Fields  map[string]string // field name -> what is wrong with it
	// Code, if set, names the problem more precisely than Kind, for
	// programs to act on (e.g. "deadline-passed"); the HTTP layer makes it
	// the problem type.
	Code string
	// RetryAfter is a number of seconds, set with TooMany and Unavailable.
	RetryAfter int
	Err        error // cause; never shown to users
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(k + ": " + e.Fields[k])
		}
		b.WriteString(")")
	}
	if e.Err != nil {
		if e.Message != "" {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind k with a user-facing message.
func E(k Kind, op, format string, args ...any) *Error {
	return &Error{Kind: k, Op: op, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an internal error that wraps err with the operation. If err
// already carries a kind, that kind (and its message) is kept.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return fmt.Errorf("%s: %w", op, err)
	}
	return &Error{Kind: Internal, Op: op, Err: err}
}

// KindOf reports the kind of err: the kind of the first *Error in its chain,
// or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) && e.Kind != "" {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Validation collects field-level problems; Err returns nil when there are none.
type Validation struct {
	Op     string
	Fields map[string]string
}

// Add records that field is wrong, keeping the first message per field.
func (v *Validation) Add(field, format string, args ...any) {
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = fmt.Sprintf(format, args...)
	}
}

// Err returns an Invalid error listing every field, or nil.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Op: v.Op, Message: "some fields are not valid", Fields: v.Fields}
}
