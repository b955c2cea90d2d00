package vc

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// This file works on JSON that canonicalize has already put in RFC 8785
// canonical form. Canonical text has no insignificant whitespace and
// escapes inside strings only `"`, `\` and control characters, so a tiny
// scanner can find member boundaries without parsing values. Splicing members
// out of canonical text keeps it canonical: members are serialised
// independently and sorted by name, so removing one, or replacing one's
// value with other canonical text, gives the canonical form of the changed
// object. This lets Verify canonicalise the signed document once and derive
// both the unsecured document and the proof configuration from that one pass.

// errNotCanonical reports text that the scanner cannot walk; it only happens
// if the canonicaliser's output were not what RFC 8785 promises.
var errNotCanonical = errors.New("canonical JSON expected")

// member is one name/value pair of a canonical JSON object: rawName is the
// quoted name as it appears in the text, value the canonical value text, and
// start/end the span of the whole member (name through value) in the object.
type member struct {
	rawName    string
	value      []byte
	start, end int
}

// name returns the member name unquoted.
func (m member) name() string {
	raw := m.rawName[1 : len(m.rawName)-1]
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var s string
	if err := json.Unmarshal([]byte(m.rawName), &s); err != nil {
		// A canonical name always unquotes; keep the raw text otherwise so
		// that callers compare something rather than nothing.
		return raw
	}
	return s
}

// members splits a canonical JSON object into its members, in order.
func members(obj []byte) ([]member, error) {
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, errNotCanonical
	}
	out := make([]member, 0, 12)
	i := 1
	if obj[i] == '}' {
		return out, nil
	}
	for {
		start := i
		if obj[i] != '"' {
			return nil, errNotCanonical
		}
		nameEnd, err := skipString(obj, i)
		if err != nil {
			return nil, err
		}
		if nameEnd >= len(obj) || obj[nameEnd] != ':' {
			return nil, errNotCanonical
		}
		valStart := nameEnd + 1
		valEnd, err := skipValue(obj, valStart)
		if err != nil {
			return nil, err
		}
		out = append(out, member{
			rawName: string(obj[start:nameEnd]),
			value:   obj[valStart:valEnd],
			start:   start,
			end:     valEnd,
		})
		if valEnd >= len(obj) {
			return nil, errNotCanonical
		}
		switch obj[valEnd] {
		case ',':
			i = valEnd + 1
		case '}':
			if valEnd != len(obj)-1 {
				return nil, errNotCanonical
			}
			return out, nil
		default:
			return nil, errNotCanonical
		}
	}
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errNotCanonical
}

// skipValue returns the index just past the canonical value starting at i.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errNotCanonical
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errNotCanonical
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
			j++
		}
		if j == i {
			return 0, errNotCanonical
		}
		return j, nil
	}
}

// writeObject writes the given members of a canonical object in their order.
func writeObject(dst []byte, ms []member) []byte {
	dst = append(dst, '{')
	for i, m := range ms {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, m.rawName...)
		dst = append(dst, ':')
		dst = append(dst, m.value...)
	}
	return append(dst, '}')
}

// sortMembers orders members as RFC 8785 requires: by the UTF-16 code units
// of their unquoted names.
func sortMembers(ms []member) {
	slices.SortStableFunc(ms, func(a, b member) int { return compareUTF16(a.name(), b.name()) })
}

// appendJCSString appends s as an RFC 8785 string literal. s must be valid
// UTF-8; callers check.
func appendJCSString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c >= 0x20:
			dst = append(dst, c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
	}
	return append(dst, '"')
}

// jsonString decodes a canonical JSON string value; ok is false for any
// other kind of value.
func jsonString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	if slices.Index(v, '\\') < 0 {
		return string(v[1 : len(v)-1]), true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}
