package vc

import (
	"fmt"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gowebpki/jcs"
)

// canonicalize returns the RFC 8785 (JCS) form of a JSON text.
//
// It produces exactly what github.com/gowebpki/jcs's Transform produces and
// accepts exactly the same inputs (checked by TestCanonicalizeMatchesJCS and
// FuzzCanonicalizeMatchesJCS), with one addition: it refuses nesting deeper
// than maxCanonDepth. It exists because canonicalisation dominated the cost
// of signing and verifying: Transform builds a tree with a few allocations
// per string, where this writes the canonical text in one pass into one
// buffer and sorts each object's members in place, a few times faster.
// Numbers other than short integers are formatted by jcs.NumberToJSON.
func canonicalize(in []byte) ([]byte, error) {
	c := canonPool.Get().(*canonicalizer)
	defer canonPool.Put(c)
	c.in, c.i, c.depth = in, 0, 0
	c.out = make([]byte, 0, len(in)+len(in)/8+16)
	c.members = c.members[:0]
	c.keys = c.keys[:0]
	c.skipSpace()
	if err := c.value(); err != nil {
		c.in, c.out = nil, nil
		return nil, err
	}
	c.skipSpace()
	if c.i != len(c.in) {
		err := fmt.Errorf("jcs: unexpected %q after the JSON value at offset %d", c.in[c.i], c.i)
		c.in, c.out = nil, nil
		return nil, err
	}
	out := c.out
	c.in, c.out = nil, nil
	return out, nil
}

// maxCanonDepth bounds nesting. Each level may move its members once to
// sort them, so work grows with size × depth; credentials nest under ten
// levels.
const maxCanonDepth = 100

// errTooDeep reports nesting beyond maxCanonDepth.
var errTooDeep = fmt.Errorf("jcs: nested deeper than %d levels", maxCanonDepth)

var canonPool = sync.Pool{New: func() any { return new(canonicalizer) }}

type canonicalizer struct {
	in      []byte
	i       int
	out     []byte
	depth   int
	members []canonMember // a stack shared by the objects being parsed
	keys    []byte        // decoded names that contain escapes
	scratch []byte
}

// canonMember records one member of an object being parsed: its canonical
// text is out[start:end], its decoded name out[nameStart:nameEnd] or, when
// the name has escapes, keys[nameStart:nameEnd].
type canonMember struct {
	start, end         int
	nameStart, nameEnd int
	escaped            bool
}

func (c *canonicalizer) name(m canonMember) []byte {
	if m.escaped {
		return c.keys[m.nameStart:m.nameEnd]
	}
	return c.out[m.nameStart:m.nameEnd]
}

func (c *canonicalizer) skipSpace() {
	for c.i < len(c.in) {
		switch c.in[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *canonicalizer) errorf(format string, args ...any) error {
	return fmt.Errorf("jcs: offset %d: %s", c.i, fmt.Sprintf(format, args...))
}

func (c *canonicalizer) value() error {
	if c.i >= len(c.in) {
		return c.errorf("unexpected end of input")
	}
	switch ch := c.in[c.i]; {
	case ch == '{':
		return c.object()
	case ch == '[':
		return c.array()
	case ch == '"':
		_, _, err := c.str()
		return err
	case ch == '-' || ch >= '0' && ch <= '9':
		return c.number()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(c.in)-c.i >= len(lit) && string(c.in[c.i:c.i+len(lit)]) == lit {
				c.i += len(lit)
				c.out = append(c.out, lit...)
				return c.delimited()
			}
		}
		return c.errorf("unexpected %q", ch)
	}
}

// delimited checks that a literal or number ends where a value may end.
func (c *canonicalizer) delimited() error {
	if c.i == len(c.in) {
		return nil
	}
	switch c.in[c.i] {
	case ',', ']', '}', ' ', '\t', '\n', '\r':
		return nil
	}
	return c.errorf("unexpected %q after a literal or number", c.in[c.i])
}

func (c *canonicalizer) enter() error {
	c.depth++
	if c.depth > maxCanonDepth {
		return errTooDeep
	}
	return nil
}

func (c *canonicalizer) array() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.i++ // [
	c.out = append(c.out, '[')
	c.skipSpace()
	if c.i < len(c.in) && c.in[c.i] == ']' {
		c.i++
		c.out = append(c.out, ']')
		c.depth--
		return nil
	}
	for {
		c.skipSpace()
		if err := c.value(); err != nil {
			return err
		}
		c.skipSpace()
		if c.i >= len(c.in) {
			return c.errorf("unterminated array")
		}
		switch c.in[c.i] {
		case ',':
			c.i++
			c.out = append(c.out, ',')
		case ']':
			c.i++
			c.out = append(c.out, ']')
			c.depth--
			return nil
		default:
			return c.errorf("expected ',' or ']' but got %q", c.in[c.i])
		}
	}
}

func (c *canonicalizer) object() error {
	if err := c.enter(); err != nil {
		return err
	}
	c.i++ // {
	objStart := len(c.out)
	c.out = append(c.out, '{')
	base, keysBase := len(c.members), len(c.keys)
	c.skipSpace()
	if c.i < len(c.in) && c.in[c.i] == '}' {
		c.i++
		c.out = append(c.out, '}')
		c.depth--
		return nil
	}
	for {
		c.skipSpace()
		if c.i >= len(c.in) || c.in[c.i] != '"' {
			return c.errorf("expected a member name")
		}
		start := len(c.out)
		nameStart, nameEnd, err := c.str()
		if err != nil {
			return err
		}
		m := canonMember{start: start, nameStart: nameStart, nameEnd: nameEnd}
		if nameStart < 0 {
			// The name has escapes: keep its decoded form aside.
			m.escaped = true
			m.nameStart = len(c.keys)
			c.keys = appendDecoded(c.keys, c.out[start+1:len(c.out)-1])
			m.nameEnd = len(c.keys)
		}
		c.skipSpace()
		if c.i >= len(c.in) || c.in[c.i] != ':' {
			return c.errorf("expected ':'")
		}
		c.i++
		c.out = append(c.out, ':')
		c.skipSpace()
		if err := c.value(); err != nil {
			return err
		}
		m.end = len(c.out)
		c.members = append(c.members, m)
		c.skipSpace()
		if c.i >= len(c.in) {
			return c.errorf("unterminated object")
		}
		if c.in[c.i] == '}' {
			c.i++
			break
		}
		if c.in[c.i] != ',' {
			return c.errorf("expected ',' or '}' but got %q", c.in[c.i])
		}
		c.i++
		c.out = append(c.out, ',')
	}
	c.out = append(c.out, '}')
	ms := c.members[base:]
	cmp := func(a, b canonMember) int { return compareUTF16(c.name(a), c.name(b)) }
	sorted := slices.IsSortedFunc(ms, cmp)
	if !sorted {
		slices.SortStableFunc(ms, cmp)
	}
	// Names are read where they were written, so check them before moving
	// any text.
	for k := 1; k < len(ms); k++ {
		if cmp(ms[k-1], ms[k]) == 0 {
			return c.errorf("duplicate member %q", c.name(ms[k]))
		}
	}
	if !sorted {
		// Rewrite the members in order; the text keeps its length.
		c.scratch = append(c.scratch[:0], c.out[objStart:]...)
		w := objStart + 1
		for k, m := range ms {
			if k > 0 {
				c.out[w] = ','
				w++
			}
			w += copy(c.out[w:], c.scratch[m.start-objStart:m.end-objStart])
		}
	}
	c.members = c.members[:base]
	c.keys = c.keys[:keysBase]
	c.depth--
	return nil
}

// str reads a string and writes it canonically. For a string without
// escapes in the input it returns where its content is in out; otherwise
// nameStart is -1.
func (c *canonicalizer) str() (nameStart, nameEnd int, err error) {
	c.i++ // opening quote
	c.out = append(c.out, '"')
	nameStart = len(c.out)
	escaped := false
	for {
		// Copy the longest run of plain ASCII at once.
		run := c.i
		for run < len(c.in) {
			b := c.in[run]
			if b < 0x20 || b == '"' || b == '\\' || b >= 0x80 {
				break
			}
			run++
		}
		c.out = append(c.out, c.in[c.i:run]...)
		c.i = run
		if c.i >= len(c.in) {
			return 0, 0, c.errorf("unterminated string")
		}
		b := c.in[c.i]
		switch {
		case b == '"':
			c.i++
			end := len(c.out)
			c.out = append(c.out, '"')
			if escaped {
				return -1, -1, nil
			}
			return nameStart, end, nil
		case b < 0x20:
			return 0, 0, c.errorf("control character %#x in a string", b)
		case b >= 0x80:
			r, size := utf8.DecodeRune(c.in[c.i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, 0, c.errorf("invalid UTF-8")
			}
			c.out = append(c.out, c.in[c.i:c.i+size]...)
			c.i += size
		default: // backslash
			escaped = true
			if err := c.escape(); err != nil {
				return 0, 0, err
			}
		}
	}
}

// escape reads one escape sequence and writes the character canonically.
func (c *canonicalizer) escape() error {
	if c.i+1 >= len(c.in) {
		return c.errorf("unterminated escape")
	}
	e := c.in[c.i+1]
	c.i += 2
	var r rune
	switch e {
	case '"', '\\', '/':
		r = rune(e)
	case 'b':
		r = '\b'
	case 'f':
		r = '\f'
	case 'n':
		r = '\n'
	case 'r':
		r = '\r'
	case 't':
		r = '\t'
	case 'u':
		u, err := c.hex4()
		if err != nil {
			return err
		}
		r = rune(u)
		if u >= 0xD800 && u <= 0xDFFF {
			if u > 0xDBFF {
				return c.errorf("lone low surrogate \\u%04x", u)
			}
			if c.i+1 >= len(c.in) || c.in[c.i] != '\\' || c.in[c.i+1] != 'u' {
				return c.errorf("missing low surrogate")
			}
			c.i += 2
			lo, err := c.hex4()
			if err != nil {
				return err
			}
			if lo < 0xDC00 || lo > 0xDFFF {
				return c.errorf("invalid low surrogate \\u%04x", lo)
			}
			r = 0x10000 + (rune(u)-0xD800)<<10 + (rune(lo) - 0xDC00)
		}
	default:
		return c.errorf("unknown escape \\%c", e)
	}
	c.out = appendCanonicalRune(c.out, r)
	return nil
}

func (c *canonicalizer) hex4() (uint16, error) {
	if len(c.in)-c.i < 4 {
		return 0, c.errorf("short \\u escape")
	}
	var v uint16
	for _, h := range c.in[c.i : c.i+4] {
		var d byte
		switch {
		case h >= '0' && h <= '9':
			d = h - '0'
		case h >= 'a' && h <= 'f':
			d = h - 'a' + 10
		case h >= 'A' && h <= 'F':
			d = h - 'A' + 10
		default:
			return 0, c.errorf("bad \\u escape")
		}
		v = v<<4 | uint16(d)
	}
	c.i += 4
	return v, nil
}

// appendCanonicalRune writes r as RFC 8785 does inside a string.
func appendCanonicalRune(dst []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	switch {
	case r == '"' || r == '\\':
		return append(dst, '\\', byte(r))
	case r >= 0x20:
		return utf8.AppendRune(dst, r)
	case r == '\b':
		return append(dst, '\\', 'b')
	case r == '\f':
		return append(dst, '\\', 'f')
	case r == '\n':
		return append(dst, '\\', 'n')
	case r == '\r':
		return append(dst, '\\', 'r')
	case r == '\t':
		return append(dst, '\\', 't')
	default:
		return append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xF])
	}
}

// appendDecoded appends the characters of canonical string content.
func appendDecoded(dst, content []byte) []byte {
	for i := 0; i < len(content); i++ {
		b := content[i]
		if b != '\\' {
			dst = append(dst, b)
			continue
		}
		i++
		switch content[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u': // \u00XX, the only \u form canonical text has
			v, _ := strconv.ParseUint(string(content[i+1:i+5]), 16, 8)
			dst = append(dst, byte(v))
			i += 4
		default: // \" or \\
			dst = append(dst, content[i])
		}
	}
	return dst
}

// number reads a number (RFC 8259 grammar) and writes its ES6 form.
func (c *canonicalizer) number() error {
	start := c.i
	j := c.i
	if j < len(c.in) && c.in[j] == '-' {
		j++
	}
	digits := func() int {
		k := j
		for j < len(c.in) && c.in[j] >= '0' && c.in[j] <= '9' {
			j++
		}
		return j - k
	}
	intStart := j
	n := digits()
	if n == 0 || (n > 1 && c.in[intStart] == '0') {
		c.i = j
		return c.errorf("invalid number")
	}
	simple := true
	if j < len(c.in) && c.in[j] == '.' {
		j++
		simple = false
		if digits() == 0 {
			c.i = j
			return c.errorf("invalid number")
		}
	}
	if j < len(c.in) && (c.in[j] == 'e' || c.in[j] == 'E') {
		j++
		simple = false
		if j < len(c.in) && (c.in[j] == '+' || c.in[j] == '-') {
			j++
		}
		if digits() == 0 {
			c.i = j
			return c.errorf("invalid number")
		}
	}
	text := c.in[start:j]
	c.i = j
	if err := c.delimited(); err != nil {
		return err
	}
	// Integers of up to 15 digits are exact doubles written as themselves.
	if simple && n <= 15 && !(n == 1 && c.in[intStart] == '0' && text[0] == '-') {
		c.out = append(c.out, text...)
		return nil
	}
	f, err := strconv.ParseFloat(string(text), 64)
	if err != nil {
		return c.errorf("number %.32s out of range", text)
	}
	s, err := jcs.NumberToJSON(f)
	if err != nil {
		return c.errorf("%v", err)
	}
	c.out = append(c.out, s...)
	return nil
}

// compareUTF16 compares two UTF-8 strings by their UTF-16 code units,
// the order RFC 8785 sorts member names in. UTF-8 byte order is code point
// order, which differs from UTF-16 order only between characters above
// U+FFFF (UTF-8 lead byte F0–F4, UTF-16 surrogates D800–DFFF) and those in
// U+E000–U+FFFF (lead byte EE or EF). The first differing bytes of two valid
// strings are either both lead bytes or continuation bytes under the same
// lead, so looking at them alone decides.
func compareUTF16[S ~string | ~[]byte](a, b S) int {
	n := min(len(a), len(b))
	for k := 0; k < n; k++ {
		x, y := a[k], b[k]
		if x == y {
			continue
		}
		if x >= 0xF0 && (y == 0xEE || y == 0xEF) {
			return -1
		}
		if y >= 0xF0 && (x == 0xEE || x == 0xEF) {
			return 1
		}
		return int(x) - int(y)
	}
	return len(a) - len(b)
}
