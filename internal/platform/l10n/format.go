package l10n

import (
	"fmt"
	"regexp"
	"strings"
)

// verb is one formatting directive of a message format, e.g. %q or %[2].1f.
type verb struct {
	spec  string // flags, width, precision and letter, without % or index: "q", ".1f"
	index int    // the argument it formats, from 0
}

// letter is the verb's letter: 'd', 's', 'q'…
func (v verb) letter() byte { return v.spec[len(v.spec)-1] }

// piece is literal text, or (when isVerb) one verb.
type piece struct {
	text   string
	isVerb bool
	verb   verb
}

// parseFormat splits a fmt-style format into literal text and verbs,
// resolving explicit argument indexes (%[2]s) the way fmt does: a verb
// without an index takes the argument after the previous one. "%%" is
// literal text. It fails on a dangling % or an index below 1.
func parseFormat(format string) ([]piece, error) {
	var out []piece
	var lit strings.Builder
	next := 0
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			lit.WriteByte(c)
			i++
			continue
		}
		j := i + 1
		if j < len(format) && format[j] == '%' {
			lit.WriteByte('%')
			i = j + 1
			continue
		}
		var spec strings.Builder
		index := -1
		readIndex := func() error {
			if j < len(format) && format[j] == '[' {
				end := strings.IndexByte(format[j:], ']')
				if end < 0 {
					return fmt.Errorf("unclosed argument index at byte %d", j)
				}
				n := 0
				digits := format[j+1 : j+end]
				if digits == "" || len(digits) > 3 {
					return fmt.Errorf("bad argument index %q", format[j:j+end+1])
				}
				for _, d := range []byte(digits) {
					if d < '0' || d > '9' {
						return fmt.Errorf("bad argument index %q", format[j:j+end+1])
					}
					n = n*10 + int(d-'0')
				}
				if n < 1 {
					return fmt.Errorf("argument index %q is below 1", format[j:j+end+1])
				}
				index = n - 1
				j += end + 1
			}
			return nil
		}
		for j < len(format) && strings.IndexByte("+-# 0", format[j]) >= 0 {
			spec.WriteByte(format[j])
			j++
		}
		if err := readIndex(); err != nil {
			return nil, err
		}
		for j < len(format) && (format[j] >= '0' && format[j] <= '9' || format[j] == '.') {
			spec.WriteByte(format[j])
			j++
		}
		if err := readIndex(); err != nil {
			return nil, err
		}
		if j >= len(format) {
			return nil, fmt.Errorf("format ends inside a verb")
		}
		// A verb letter is one byte in every format we write; anything
		// else is a mistake in a catalogue.
		l := format[j]
		if !(l >= 'a' && l <= 'z' || l >= 'A' && l <= 'Z') {
			return nil, fmt.Errorf("%q is not a verb", format[i:j+1])
		}
		spec.WriteByte(l)
		if index < 0 {
			index = next
		}
		next = index + 1
		if lit.Len() > 0 {
			out = append(out, piece{text: lit.String()})
			lit.Reset()
		}
		out = append(out, piece{isVerb: true, verb: verb{spec: spec.String(), index: index}})
		i = j + 1
	}
	if lit.Len() > 0 {
		out = append(out, piece{text: lit.String()})
	}
	return out, nil
}

// verbsOf lists the verbs of pieces by argument: result[i] is the spec of
// argument i. It fails when an argument is formatted twice or skipped,
// which a translation must not do (the reader would lose a value).
func verbsOf(ps []piece) ([]string, error) {
	var args []string
	for _, p := range ps {
		if !p.isVerb {
			continue
		}
		for len(args) <= p.verb.index {
			args = append(args, "")
		}
		if args[p.verb.index] != "" {
			return nil, fmt.Errorf("argument %d is used twice", p.verb.index+1)
		}
		args[p.verb.index] = p.verb.spec
	}
	for i, a := range args {
		if a == "" {
			return nil, fmt.Errorf("argument %d is not used", i+1)
		}
	}
	return args, nil
}

// SameVerbs reports whether a translation formats the same arguments with
// the same verbs as the English format (in any order, with %[n] indexes),
// and if not, why.
func SameVerbs(english, translation string) error {
	ep, err := parseFormat(english)
	if err != nil {
		return fmt.Errorf("the English format: %w", err)
	}
	tp, err := parseFormat(translation)
	if err != nil {
		return fmt.Errorf("the translation: %w", err)
	}
	ev, err := verbsOf(ep)
	if err != nil {
		return fmt.Errorf("the English format: %w", err)
	}
	tv, err := verbsOf(tp)
	if err != nil {
		return fmt.Errorf("the translation: %w", err)
	}
	if len(ev) != len(tv) {
		return fmt.Errorf("the English format has %d verbs, the translation %d", len(ev), len(tv))
	}
	for i := range ev {
		if ev[i] != tv[i] {
			return fmt.Errorf("argument %d is %%%s in English but %%%s in the translation", i+1, ev[i], tv[i])
		}
	}
	return nil
}

// HasText reports whether a format has literal text besides its verbs,
// spaces and punctuation: "%s" and "%s: %s" do not, so there is nothing in
// them to translate.
func HasText(format string) bool {
	ps, err := parseFormat(format)
	if err != nil {
		return true
	}
	for _, p := range ps {
		if !p.isVerb && strings.ContainsFunc(p.text, isWordRune) {
			return true
		}
	}
	return false
}

func isWordRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 127
}

// Numbers as fmt writes them with %d, %x, %g, %f and %e.
const (
	reInt   = `[-+]?[0-9]+`
	reHex   = `-?[0-9a-fA-F]+`
	reFloat = `[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eEpP][-+]?[0-9]+)?|[-+]?Inf|NaN`
	// reQuoted is a string as %q writes it: double quotes with backslash
	// escapes, or a rune in single quotes.
	reQuoted = `"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`
)

// capture returns the regular expression matching what v writes.
func capture(v verb) string {
	pad := ""
	if strings.ContainsAny(v.spec[:len(v.spec)-1], "123456789") {
		pad = ` *` // a width pads with spaces
	}
	switch v.letter() {
	case 'd', 'b', 'o', 'O':
		return pad + `(` + reInt + `)`
	case 'x', 'X':
		return pad + `(` + reHex + `)`
	case 'e', 'E', 'f', 'F', 'g', 'G':
		return pad + `(` + reFloat + `)`
	case 'q':
		return pad + `(` + reQuoted + `)`
	case 't':
		return pad + `(true|false)`
	case 'c', 'U':
		return `(.+?)`
	}
	return `(.*?)`
}

// translatable reports whether the text a verb wrote may itself be a
// message worth translating: %s, %v and %w carry nested messages; numbers
// and %q-quoted user text do not.
func translatable(v verb) bool {
	switch v.letter() {
	case 's', 'v', 'w':
		return true
	}
	return false
}

// compile turns an English format into an anchored regular expression with
// one group per verb, in the order the verbs appear.
func compile(ps []piece) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, p := range ps {
		if p.isVerb {
			b.WriteString(capture(p.verb))
		} else {
			b.WriteString(regexp.QuoteMeta(p.text))
		}
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}
