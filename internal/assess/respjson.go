package assess

import (
	"encoding/json"
	"unicode/utf8"
)

// decodeResponse reads a stored answer. Grading reads millions of them,
// nearly all of the forms Vidya itself writes — {"choices":[…]},
// {"pairs":{…}}, {"text":"…"} — so it parses those directly, several times
// faster than encoding/json, and hands anything else to encoding/json.
func decodeResponse(b []byte, r *Response) error {
	if fastResponse(b, r) {
		return nil
	}
	*r = Response{}
	return json.Unmarshal(b, r)
}

// fastResponse parses the compact JSON that json.Marshal writes for a
// Response; it reports false, having possibly filled r partly, on
// anything else (white space, escapes it does not handle, other keys).
func fastResponse(b []byte, r *Response) bool {
	*r = Response{}
	p := parser{b: b}
	if !p.lit('{') {
		return false
	}
	if p.lit('}') {
		return p.end()
	}
	for {
		key, ok := p.str()
		if !ok || !p.lit(':') {
			return false
		}
		switch key {
		case "choices":
			if r.Choices != nil || !p.lit('[') {
				return false
			}
			r.Choices = []string{}
			if !p.lit(']') {
				for {
					s, ok := p.str()
					if !ok {
						return false
					}
					r.Choices = append(r.Choices, s)
					if p.lit(']') {
						break
					}
					if !p.lit(',') {
						return false
					}
				}
			}
		case "pairs":
			if r.Pairs != nil || !p.lit('{') {
				return false
			}
			r.Pairs = map[string]string{}
			if !p.lit('}') {
				for {
					k, ok := p.str()
					if !ok || !p.lit(':') {
						return false
					}
					v, ok := p.str()
					if !ok {
						return false
					}
					if _, dup := r.Pairs[k]; dup {
						return false // let encoding/json decide
					}
					r.Pairs[k] = v
					if p.lit('}') {
						break
					}
					if !p.lit(',') {
						return false
					}
				}
			}
		case "text":
			if r.Text != "" {
				return false
			}
			s, ok := p.str()
			if !ok {
				return false
			}
			r.Text = s
		default:
			return false
		}
		if p.lit('}') {
			return p.end()
		}
		if !p.lit(',') {
			return false
		}
	}
}

type parser struct {
	b []byte
	i int
}

func (p *parser) lit(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *parser) end() bool { return p.i == len(p.b) }

// str reads a JSON string without escapes; a string with any escape is
// left to encoding/json.
func (p *parser) str() (string, bool) {
	if !p.lit('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			raw := p.b[start:p.i]
			p.i++
			if !utf8.Valid(raw) {
				return "", false
			}
			return string(raw), true
		case c == '\\' || c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}
