package qti

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
)

// node is one element or text run of a parsed QTI document. QTI 3.0 names
// are mapped to their QTI 2.1 spelling (qti-simple-choice → simpleChoice,
// max-choices → maxChoices), so one set of rules reads both versions; raw
// keeps the name as written, for messages.
type node struct {
	name  string // "" for a text node
	raw   string
	space string // namespace URI
	attrs []xml.Attr
	kids  []*node
	text  string
	line  int
}

// Limits on one parsed XML document, beyond its size in bytes.
const (
	maxDepth = 200
	maxNodes = 200_000
)

// errDoctype is wrapped by parse errors caused by a DOCTYPE declaration.
var errDoctype = errors.New("DOCTYPE declarations are not allowed")

// xmlError is a malformed-document error with the line it was found on.
type xmlError struct {
	line int
	msg  string
}

func (e *xmlError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("malformed XML at line %d: %s", e.line, e.msg)
	}
	return "malformed XML: " + e.msg
}

// parseXML reads a whole document into a tree. It refuses DOCTYPE
// declarations (so no entity definitions at all), resolves only XML's five
// entities, character references and HTML's named entities (a fixed table,
// so nothing expands recursively), and caps nesting depth and node count.
func parseXML(data []byte) (*node, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charsetReader
	var (
		root  *node
		stack []*node
		count int
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &xmlError{line: se.Line, msg: se.Msg}
			}
			line, _ := d.InputPos()
			return nil, &xmlError{line: line, msg: err.Error()}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := d.InputPos()
			if len(stack) >= maxDepth {
				return nil, &xmlError{line: line, msg: fmt.Sprintf("elements are nested more than %d deep", maxDepth)}
			}
			if count++; count > maxNodes {
				return nil, &xmlError{line: line, msg: fmt.Sprintf("more than %d elements and text runs", maxNodes)}
			}
			n := newNode(t, line)
			if len(stack) == 0 {
				if root != nil {
					return nil, &xmlError{line: line, msg: "more than one root element"}
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					line, _ := d.InputPos()
					return nil, &xmlError{line: line, msg: "text outside the root element"}
				}
				continue
			}
			p := stack[len(stack)-1]
			if k := len(p.kids); k > 0 && p.kids[k-1].name == "" {
				p.kids[k-1].text += string(t)
				continue
			}
			if count++; count > maxNodes {
				line, _ := d.InputPos()
				return nil, &xmlError{line: line, msg: fmt.Sprintf("more than %d elements and text runs", maxNodes)}
			}
			p.kids = append(p.kids, &node{text: string(t)})
		case xml.Directive:
			if s := strings.TrimSpace(string(t)); len(s) >= 7 && strings.EqualFold(s[:7], "DOCTYPE") {
				line, _ := d.InputPos()
				return nil, fmt.Errorf("line %d: %w (entity definitions are a security risk)", line, errDoctype)
			}
		}
	}
	if root == nil {
		return nil, &xmlError{msg: "the document has no root element"}
	}
	return root, nil
}

func newNode(t xml.StartElement, line int) *node {
	n := &node{name: t.Name.Local, raw: t.Name.Local, space: t.Name.Space, line: line}
	qti3 := false
	if rest, ok := strings.CutPrefix(t.Name.Local, "qti-"); ok {
		n.name = camel(rest)
		qti3 = true
	}
	if len(t.Attr) > 0 {
		n.attrs = make([]xml.Attr, 0, len(t.Attr))
		for _, a := range t.Attr {
			if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
				continue
			}
			if qti3 && a.Name.Space == "" {
				a.Name.Local = camel(a.Name.Local)
			}
			n.attrs = append(n.attrs, a)
		}
	}
	return n
}

// camel turns kebab-case into camelCase: "max-choices" → "maxChoices".
func camel(s string) string {
	if !strings.Contains(s, "-") {
		return s
	}
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '-':
			up = true
		case up:
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// kebab turns camelCase into kebab-case: "maxChoices" → "max-choices".
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func charsetReader(label string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, fmt.Errorf("character encoding %q is not supported; use UTF-8", label)
	}
	return enc.NewDecoder().Reader(r), nil
}

const xmlNS = "http://www.w3.org/XML/1998/namespace"

// attr returns the value of the attribute named name (in no namespace, or
// xml:lang when name is "xml:lang").
func (n *node) attr(name string) string {
	v, _ := n.lookup(name)
	return v
}

func (n *node) lookup(name string) (string, bool) {
	space := ""
	if local, ok := strings.CutPrefix(name, "xml:"); ok {
		name, space = local, xmlNS
	}
	for _, a := range n.attrs {
		if a.Name.Local == name && (a.Name.Space == space || space == "" && a.Name.Space == "") {
			return a.Value, true
		}
	}
	return "", false
}

// child returns the first child element named name, or nil.
func (n *node) child(name string) *node {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// children returns the child elements named name.
func (n *node) children(name string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// elems returns the child elements, skipping text.
func (n *node) elems() []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name != "" {
			out = append(out, k)
		}
	}
	return out
}

// content returns all the text inside n.
func (n *node) content() string {
	if n.name == "" {
		return n.text
	}
	var b strings.Builder
	n.walkText(&b)
	return b.String()
}

func (n *node) walkText(b *strings.Builder) {
	for _, k := range n.kids {
		if k.name == "" {
			b.WriteString(k.text)
		} else {
			k.walkText(b)
		}
	}
}

// find calls fn for n and every element below it, depth first, in document
// order; fn returns false to skip an element's descendants.
func (n *node) find(fn func(*node) bool) {
	for _, k := range n.kids {
		if k.name != "" && fn(k) {
			k.find(fn)
		}
	}
}
