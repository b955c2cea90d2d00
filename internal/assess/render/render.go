// Package render turns item text (Markdown with TeX maths) into safe HTML
// for the server-rendered pages and the editor's preview.
//
// Raw HTML in the source is shown as text, never passed through; links go
// only to http and https addresses and images only to relative or /paths.
// Maths between $…$ or $$…$$ is kept as TeX source in elements of class
// "math" (data-tex holds the source) for the browser to typeset.
package render

import (
	"bytes"
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// md is safe for concurrent use: goldmark keeps no state between calls.
var md = goldmark.New(
	goldmark.WithExtensions(extension.Table),
	goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(safeRenderer{}, 100))),
)

// Markdown renders item Markdown as HTML that is safe to put in a page.
func Markdown(src string) template.HTML {
	if strings.TrimSpace(src) == "" {
		return ""
	}
	text, maths := extractMaths(src)
	var buf bytes.Buffer
	if err := md.Convert([]byte(text), &buf); err != nil {
		// Convert fails only when writing fails, which a buffer does not.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(restoreMaths(buf.String(), maths))
}

// ---- maths ----

// Maths spans are replaced, before the Markdown is parsed, by placeholders
// made of private-use characters, which Markdown treats as letters: so the
// _ and * of TeX are never taken for emphasis.
const (
	phOpen  = '\uE000'
	phClose = '\uE001'
)

type maths struct {
	tex     string
	display bool
}

// extractMaths replaces the maths spans of src by placeholders and returns
// them. Code spans and fenced code keep their dollars; \$ is a dollar.
func extractMaths(src string) (string, []maths) {
	// The placeholders' characters cannot come from the author.
	src = strings.Map(func(r rune) rune {
		if r == phOpen || r == phClose {
			return '\uFFFD'
		}
		return r
	}, src)
	var out strings.Builder
	var found []maths
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\\' && i+1 < len(src):
			out.WriteString(src[i : i+2])
			i += 2
		case c == '`':
			n := run(src[i:], '`')
			if end := strings.Index(src[i+n:], src[i:i+n]); end >= 0 {
				end += i + n + n
				out.WriteString(src[i:end])
				i = end
			} else {
				out.WriteString(src[i : i+n])
				i += n
			}
		case c == '$':
			display := strings.HasPrefix(src[i:], "$$")
			tex, next, ok := mathSpan(src, i, display)
			if !ok {
				out.WriteByte('$')
				i++
				if display {
					out.WriteByte('$')
					i++
				}
				continue
			}
			out.WriteRune(phOpen)
			out.WriteString(strconv.Itoa(len(found)))
			out.WriteRune(phClose)
			found = append(found, maths{tex: tex, display: display})
			i = next
		default:
			out.WriteByte(c)
			i++
		}
	}
	return out.String(), found
}

func run(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

// mathSpan finds the maths starting at src[i] and returns its TeX and the
// index after the closing delimiter. Inline maths follows Pandoc's rule, so
// prices like "$5 and $10" stay text: no space after the opening $, none
// before the closing one, and no digit right after it; it may not cross a
// blank line.
func mathSpan(src string, i int, display bool) (tex string, next int, ok bool) {
	delim := "$"
	if display {
		delim = "$$"
	}
	start := i + len(delim)
	if start >= len(src) {
		return "", 0, false
	}
	if !display && (src[start] == ' ' || src[start] == '\t' || src[start] == '\n' || src[start] == '\r') {
		return "", 0, false
	}
	for j := start; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++ // \$ inside TeX is TeX's dollar
		case '\n':
			if strings.HasPrefix(strings.TrimLeft(src[j+1:], " \t\r"), "\n") {
				return "", 0, false
			}
		case '$':
			if !strings.HasPrefix(src[j:], delim) {
				if display {
					continue
				}
			}
			tex = src[start:j]
			if strings.TrimSpace(tex) == "" {
				return "", 0, false
			}
			end := j + len(delim)
			if !display {
				if p := src[j-1]; p == ' ' || p == '\t' || p == '\n' || p == '\r' {
					continue
				}
				if end < len(src) && src[end] >= '0' && src[end] <= '9' {
					continue
				}
			}
			return strings.TrimSpace(tex), end, true
		}
	}
	return "", 0, false
}

// restoreMaths puts the maths back as HTML. A placeholder that ended up in
// an attribute (an image's alt text) becomes the escaped source instead; a
// display formula alone in a paragraph becomes a block.
func restoreMaths(h string, found []maths) string {
	if len(found) == 0 {
		return h
	}
	var out strings.Builder
	inTag := false
	for i := 0; i < len(h); {
		r := h[i]
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case strings.HasPrefix(h[i:], string(phOpen)):
			j := strings.IndexRune(h[i:], phClose)
			n, err := strconv.Atoi(h[i+len(string(phOpen)) : i+max(j, 0)])
			if j < 0 || err != nil || n < 0 || n >= len(found) {
				break
			}
			m := found[n]
			esc := template.HTMLEscapeString(m.tex)
			after := i + j + len(string(phClose))
			switch {
			case inTag:
				out.WriteString(esc)
			case m.display && strings.HasSuffix(out.String(), "<p>") && strings.HasPrefix(h[after:], "</p>"):
				s := strings.TrimSuffix(out.String(), "<p>")
				out.Reset()
				out.WriteString(s)
				out.WriteString(`<div class="math display" data-tex="` + esc + `">` + esc + `</div>`)
				after += len("</p>")
			case m.display:
				out.WriteString(`<span class="math display" data-tex="` + esc + `">` + esc + `</span>`)
			default:
				out.WriteString(`<span class="math" data-tex="` + esc + `">` + esc + `</span>`)
			}
			i = after
			continue
		}
		out.WriteByte(r)
		i++
	}
	return out.String()
}

// ---- safe rendering of links, images and raw HTML ----

// safeRenderer replaces goldmark's renderers for the nodes that could carry
// script: links, images and raw HTML.
type safeRenderer struct{}

func (safeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, renderLink)
	reg.Register(ast.KindAutoLink, renderAutoLink)
	reg.Register(ast.KindImage, renderImage)
	reg.Register(ast.KindRawHTML, renderRawHTML)
	reg.Register(ast.KindHTMLBlock, renderHTMLBlock)
}

// webURL reports whether dest is an absolute http or https address.
func webURL(dest string) bool {
	u, err := url.Parse(dest)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// localURL reports whether dest is a relative URL or a /path on this site.
func localURL(dest string) bool {
	if dest == "" || strings.HasPrefix(dest, "//") || strings.ContainsAny(dest, "\\\x00") {
		return false
	}
	u, err := url.Parse(dest)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && !strings.Contains(strings.SplitN(dest, "/", 2)[0], ":")
}

func renderLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	if !webURL(string(n.Destination)) {
		return ast.WalkContinue, nil // the link's text stays, without the link
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
	_ = w.WriteByte('"')
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		_, _ = w.Write(util.EscapeHTML(n.Title))
		_ = w.WriteByte('"')
	}
	_, _ = w.WriteString(` rel="noopener nofollow">`)
	return ast.WalkContinue, nil
}

func renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	label := n.Label(source)
	dest := n.URL(source)
	if n.AutoLinkType != ast.AutoLinkURL || !webURL(string(dest)) {
		_, _ = w.Write(util.EscapeHTML(label))
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML(util.URLEscape(dest, false)))
	_, _ = w.WriteString(`" rel="noopener nofollow">`)
	_, _ = w.Write(util.EscapeHTML(label))
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.Image)
	if !localURL(string(n.Destination)) {
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString(`<img src="`)
	_, _ = w.Write(util.EscapeHTML(util.URLEscape(n.Destination, true)))
	_, _ = w.WriteString(`" alt="`)
	var alt bytes.Buffer
	plainText(&alt, source, n)
	_, _ = w.Write(util.EscapeHTML(alt.Bytes()))
	_ = w.WriteByte('"')
	if n.Title != nil {
		_, _ = w.WriteString(` title="`)
		_, _ = w.Write(util.EscapeHTML(n.Title))
		_ = w.WriteByte('"')
	}
	_, _ = w.WriteString(` loading="lazy">`)
	return ast.WalkSkipChildren, nil
}

// plainText collects the text under n, for alt attributes.
func plainText(b *bytes.Buffer, source []byte, n ast.Node) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(source))
		case *ast.String:
			b.Write(t.Value)
		default:
			plainText(b, source, c)
		}
	}
}

// renderRawHTML shows inline HTML as the text the author typed.
func renderRawHTML(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkSkipChildren, nil
	}
	n := node.(*ast.RawHTML)
	for i := 0; i < n.Segments.Len(); i++ {
		s := n.Segments.At(i)
		_, _ = w.Write(util.EscapeHTML(s.Value(source)))
	}
	return ast.WalkSkipChildren, nil
}

// renderHTMLBlock shows a block of HTML as a paragraph of its text.
func renderHTMLBlock(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.HTMLBlock)
	if entering {
		_, _ = w.WriteString("<p>")
		for i := 0; i < n.Lines().Len(); i++ {
			s := n.Lines().At(i)
			_, _ = w.Write(util.EscapeHTML(s.Value(source)))
		}
		return ast.WalkContinue, nil
	}
	if n.HasClosure() {
		_, _ = w.Write(util.EscapeHTML(n.ClosureLine.Value(source)))
	}
	_, _ = w.WriteString("</p>\n")
	return ast.WalkContinue, nil
}
