package qti

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
)

// Markdown to XHTML for export. Only constructs that read back to the same
// Markdown are converted (see the package documentation); every rendering
// is checked by reading it back, and a block that does not survive is
// written as literal text instead, so export then import keeps the text
// byte for byte.

// mdBlocks renders Markdown as XHTML block elements.
func mdBlocks(md string) string {
	if md == "" {
		return ""
	}
	if s := renderBlocks(md); readsBack(s, md) {
		return s
	}
	var b strings.Builder
	for _, blk := range strings.Split(md, "\n\n") {
		if s := renderBlock(blk); readsBack(s, blk) {
			b.WriteString(s)
		} else {
			b.WriteString(literalBlock(blk))
		}
	}
	if s := b.String(); readsBack(s, md) {
		return s
	}
	return literalBlock(md)
}

// mdFlow renders Markdown for a choice: one plain paragraph is written
// inline, without <p>.
func mdFlow(md string) string {
	s := mdBlocks(md)
	if inner, ok := strings.CutPrefix(s, "<p>"); ok {
		inner, ok = strings.CutSuffix(inner, "</p>")
		if ok && !strings.Contains(inner, "<p>") && readsBack(inner, md) {
			return inner
		}
	}
	return s
}

// readsBack reports whether the XHTML fragment imports as md.
func readsBack(frag, md string) bool {
	root, err := parseXML([]byte("<div>" + frag + "</div>"))
	if err != nil {
		return false
	}
	c := &conv{literal: true, image: func(s string) (string, error) { return s, nil }}
	bs, err := c.blocks(root)
	return err == nil && len(c.feedback) == 0 && strings.Join(bs, "\n\n") == md
}

func literalBlock(s string) string {
	var b strings.Builder
	b.WriteString("<p>")
	text(&b, s)
	b.WriteString("</p>")
	return b.String()
}

func renderBlocks(md string) string {
	var b strings.Builder
	for _, blk := range strings.Split(md, "\n\n") {
		b.WriteString(renderBlock(blk))
	}
	return b.String()
}

var (
	reOrdered  = regexp.MustCompile(`^(\d+)\. `)
	reTableSep = regexp.MustCompile(`^\|( ?:?-+:? ?\|)+$`)
	reHeading  = regexp.MustCompile(`^(#{1,6}) `)
)

func renderBlock(blk string) string {
	var b strings.Builder
	lines := strings.Split(blk, "\n")
	all := func(f func(i int, l string) bool) bool {
		for i, l := range lines {
			if !f(i, l) {
				return false
			}
		}
		return true
	}
	switch {
	case strings.HasPrefix(blk, "```") && len(lines) >= 2 && strings.HasPrefix(lines[len(lines)-1], "```"):
		b.WriteString("<pre>")
		text(&b, strings.Join(lines[1:len(lines)-1], "\n"))
		b.WriteString("</pre>")
		return strings.ReplaceAll(b.String(), "<br/>", "\n")
	case blk == "---":
		return "<hr/>"
	case len(lines) == 1 && reHeading.MatchString(blk):
		m := reHeading.FindString(blk)
		h := "h" + strconv.Itoa(len(m)-1)
		b.WriteString("<" + h + ">")
		inline(&b, blk[len(m):])
		b.WriteString("</" + h + ">")
	case all(func(_ int, l string) bool { return strings.HasPrefix(l, "- ") }):
		b.WriteString("<ul>")
		for _, l := range lines {
			b.WriteString("<li>")
			inline(&b, l[2:])
			b.WriteString("</li>")
		}
		b.WriteString("</ul>")
	case all(func(i int, l string) bool { return strings.HasPrefix(l, strconv.Itoa(i+1)+". ") }):
		b.WriteString("<ol>")
		for i, l := range lines {
			b.WriteString("<li>")
			inline(&b, l[len(strconv.Itoa(i+1))+2:])
			b.WriteString("</li>")
		}
		b.WriteString("</ol>")
	case len(lines) >= 2 && reTableSep.MatchString(lines[1]) &&
		all(func(_ int, l string) bool { return len(l) >= 2 && l[0] == '|' && l[len(l)-1] == '|' }):
		b.WriteString("<table>")
		for i, l := range lines {
			if i == 1 {
				continue
			}
			if i == 0 {
				b.WriteString("<thead>")
			} else if i == 2 {
				b.WriteString("<tbody>")
			}
			b.WriteString("<tr>")
			cell := "td"
			if i == 0 {
				cell = "th"
			}
			for _, c := range splitRow(l) {
				b.WriteString("<" + cell + ">")
				inline(&b, strings.TrimSuffix(strings.TrimPrefix(c, " "), " "))
				b.WriteString("</" + cell + ">")
			}
			b.WriteString("</tr>")
			if i == 0 {
				b.WriteString("</thead>")
			}
		}
		if len(lines) > 2 {
			b.WriteString("</tbody>")
		}
		b.WriteString("</table>")
	case all(func(_ int, l string) bool { return strings.HasPrefix(l, ">") }):
		inner := make([]string, len(lines))
		for i, l := range lines {
			inner[i] = strings.TrimPrefix(strings.TrimPrefix(l, ">"), " ")
		}
		b.WriteString("<blockquote>")
		b.WriteString(renderBlocks(strings.Join(inner, "\n")))
		b.WriteString("</blockquote>")
	default:
		b.WriteString("<p>")
		inline(&b, blk)
		b.WriteString("</p>")
	}
	return b.String()
}

// splitRow splits "| a | b |" at the pipes that are not escaped.
func splitRow(l string) []string {
	l = l[1 : len(l)-1]
	var out []string
	start := 0
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '\\':
			i++
		case '|':
			out = append(out, l[start:i])
			start = i + 1
		}
	}
	return append(out, l[start:])
}

const mathNS = "http://www.w3.org/1998/Math/MathML"

// inline renders inline Markdown: $$…$$ and $…$ maths (as MathML with a
// TeX annotation), images, **strong**, _emphasis_, `code` and line breaks.
func inline(b *strings.Builder, s string) {
	start := 0
	flush := func(i int) { text(b, s[start:i]) }
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && isPunct(s[i+1]):
			i += 2
			continue
		case strings.HasPrefix(s[i:], "$$"):
			if j := strings.Index(s[i+2:], "$$"); j > 0 {
				flush(i)
				mathML(b, s[i+2:i+2+j], true)
				i += 4 + j
				start = i
				continue
			}
		case c == '$':
			if j := indexUnescaped(s[i+1:], '$'); j > 0 {
				flush(i)
				mathML(b, s[i+1:i+1+j], false)
				i += 2 + j
				start = i
				continue
			}
		case strings.HasPrefix(s[i:], "!["):
			if a := strings.Index(s[i+2:], "]("); a >= 0 {
				alt := s[i+2 : i+2+a]
				rest := s[i+2+a+2:]
				if e := strings.IndexByte(rest, ')'); e > 0 && !strings.ContainsAny(rest[:e], " \n") && !strings.ContainsAny(alt, "[]\n") {
					flush(i)
					b.WriteString(`<img src="`)
					attr(b, rest[:e])
					b.WriteString(`" alt="`)
					attr(b, alt)
					b.WriteString(`"/>`)
					i += 2 + a + 2 + e + 1
					start = i
					continue
				}
			}
		case strings.HasPrefix(s[i:], "**"):
			if j := strings.Index(s[i+2:], "**"); j > 0 {
				flush(i)
				b.WriteString("<strong>")
				inline(b, s[i+2:i+2+j])
				b.WriteString("</strong>")
				i += 4 + j
				start = i
				continue
			}
		case c == '_' && (i == 0 || !isWord(s[i-1])):
			found := false
			for j := i + 1; j < len(s) && !found; j++ {
				if s[j] == '_' && j > i+1 && (j+1 == len(s) || !isWord(s[j+1])) {
					flush(i)
					b.WriteString("<em>")
					inline(b, s[i+1:j])
					b.WriteString("</em>")
					i = j + 1
					start = i
					found = true
				}
			}
			if found {
				continue
			}
		case c == '`':
			if j := strings.IndexByte(s[i+1:], '`'); j > 0 {
				flush(i)
				b.WriteString("<code>")
				text(b, s[i+1:i+1+j])
				b.WriteString("</code>")
				i += 2 + j
				start = i
				continue
			}
		}
		i++
	}
	flush(len(s))
}

func mathML(b *strings.Builder, tex string, display bool) {
	b.WriteString(`<math xmlns="` + mathNS + `"`)
	if display {
		b.WriteString(` display="block"`)
	}
	b.WriteString("><semantics><mtext>")
	text(b, tex)
	b.WriteString(`</mtext><annotation encoding="application/x-tex">`)
	text(b, tex)
	b.WriteString("</annotation></semantics></math>")
}

func isPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case c:
			return i
		}
	}
	return -1
}

// text writes s as XML character data, line breaks as <br/>.
func text(b *strings.Builder, s string) {
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		attr(b, s[:i])
		b.WriteString("<br/>")
		s = s[i+1:]
	}
	attr(b, s)
}

// attr writes s escaped for XML text or an attribute value.
func attr(b *strings.Builder, s string) {
	_ = xml.EscapeText(b, []byte(s))
}
