package qti

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// blank stands for an inline textEntryInteraction while a paragraph is
// built; XML text cannot contain NUL, so it cannot clash with content.
const blank = "\x00"

// blankMD is what an inline text entry becomes in the stem.
const blankMD = `\_\_\_\_\_`

// conv turns QTI item body content (XHTML, MathML and a few QTI elements)
// into Markdown.
type conv struct {
	// literal: the document was written by Vidya, so its text is Markdown
	// source already and is kept exactly, white space and all; otherwise
	// white space is collapsed as HTML does and Markdown's special
	// characters are escaped.
	literal bool
	// inter is the item's one interaction; the body walk hands it to
	// onInteraction (block interactions) or marks a blank (text entry).
	inter         *node
	onInteraction func(*node) ([]string, error)
	// image turns an img src into the reference to write.
	image func(src string) (string, error)
	// feedback collects feedbackInline/feedbackBlock content by identifier.
	feedback map[string][]string
	fbOrder  []string
	// note, if set, records what the conversion drops (see
	// assess.Parsed.Notes).
	note func(format string, args ...any)
}

// noted calls c.note if there is one.
func (c *conv) noted(format string, args ...any) {
	if c.note != nil {
		c.note(format, args...)
	}
}

// unsupported is an element this converter refuses, with a precise
// message.
type unsupported struct{ msg string }

func (e *unsupported) Error() string { return e.msg }

func refuse(format string, args ...any) error {
	return &unsupported{msg: fmt.Sprintf(format, args...)}
}

var blockNames = map[string]bool{
	"p": true, "div": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "table": true, "blockquote": true, "pre": true, "hr": true,
	"feedbackBlock": true, "rubricBlock": true, "prompt": true, "contentBody": true,
	"choiceInteraction": true, "orderInteraction": true, "matchInteraction": true,
	"extendedTextInteraction": true, "dl": true, "address": true, "templateBlock": true,
	"object": true, "audio": true, "video": true, "figure": true, "section": true, "article": true,
	"aside": true, "header": true, "footer": true, "nav": true,
}

// transparent inline elements: their content is kept, the element dropped.
var transparentInline = map[string]bool{
	"span": true, "u": true, "small": true, "big": true, "label": true, "abbr": true,
	"acronym": true, "cite": true, "dfn": true, "kbd": true, "samp": true, "var": true,
	"tt": true, "ins": true, "bdo": true, "bdi": true, "mark": true, "s": true, "del": true,
	"strike": true, "font": true, "ruby": true, "rb": true, "rt": true, "rp": true, "time": true,
}

// formatting are the transparent elements whose look means something
// (underline, strike-through, highlight, size); dropping them is noted.
var formatting = map[string]bool{
	"u": true, "s": true, "del": true, "strike": true, "ins": true, "mark": true,
	"small": true, "big": true, "font": true,
}

// blockContainers hold blocks and are unwrapped.
var blockContainers = map[string]bool{
	"div": true, "contentBody": true, "section": true, "article": true, "aside": true,
	"header": true, "footer": true, "figure": true, "address": true,
}

// blocks converts the content of n to Markdown blocks.
func (c *conv) blocks(n *node) ([]string, error) {
	var out []string
	var para strings.Builder
	flush := func() {
		s := para.String()
		para.Reset()
		if !c.literal {
			s = tidy(s)
		}
		if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == blank {
			return
		}
		out = append(out, strings.ReplaceAll(s, blank, blankMD))
	}
	for _, k := range n.kids {
		if k.name == "" || !blockNames[k.name] {
			if err := c.inline(k, &para); err != nil {
				return nil, err
			}
			continue
		}
		flush()
		bs, err := c.block(k)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	flush()
	return out, nil
}

func (c *conv) block(k *node) ([]string, error) {
	switch k.name {
	case "p":
		return c.blocks(k)
	case "h1", "h2", "h3", "h4", "h5", "h6":
		bs, err := c.blocks(k)
		if err != nil {
			return nil, err
		}
		level, _ := strconv.Atoi(k.name[1:])
		s := strings.ReplaceAll(strings.Join(bs, " "), "\n", " ")
		return []string{strings.Repeat("#", level) + " " + s}, nil
	case "ul", "ol":
		s, err := c.list(k)
		if err != nil || s == "" {
			return nil, err
		}
		return []string{s}, nil
	case "table":
		return c.table(k)
	case "blockquote":
		bs, err := c.blocks(k)
		if err != nil || len(bs) == 0 {
			return nil, err
		}
		lines := strings.Split(strings.Join(bs, "\n\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight("> "+l, " ")
		}
		return []string{strings.Join(lines, "\n")}, nil
	case "pre":
		s := k.content()
		if !c.literal {
			s = strings.TrimPrefix(s, "\n")
			s = strings.TrimRight(s, " \t\r\n")
		}
		fence := "```"
		for strings.Contains(s, fence) {
			fence += "`"
		}
		return []string{fence + "\n" + s + "\n" + fence}, nil
	case "hr":
		return []string{"---"}, nil
	case "feedbackBlock":
		return nil, c.collectFeedback(k)
	case "prompt":
		return c.blocks(k)
	case "rubricBlock":
		return nil, refuse("rubricBlock in the item body is not supported")
	case "templateBlock":
		return nil, refuse("templateBlock (item templates) is not supported")
	case "object", "audio", "video":
		return nil, refuse("media element <%s> in the item body is not supported", k.raw)
	case "dl":
		return nil, refuse("definition lists (<dl>) are not supported")
	}
	if k == c.inter {
		return c.onInteraction(k)
	}
	if blockContainers[k.name] {
		return c.blocks(k)
	}
	return nil, refuse("element <%s> in the item body is not supported", k.raw)
}

func (c *conv) collectFeedback(k *node) error {
	bs, err := c.blocks(k)
	if err != nil {
		return err
	}
	id := k.attr("identifier")
	if c.feedback == nil {
		c.feedback = map[string][]string{}
	}
	if _, ok := c.feedback[id]; !ok {
		c.fbOrder = append(c.fbOrder, id)
	}
	c.feedback[id] = append(c.feedback[id], bs...)
	return nil
}

// inline appends the Markdown for an inline node to b.
func (c *conv) inline(k *node, b *strings.Builder) error {
	if k.name == "" {
		if c.literal {
			b.WriteString(k.text)
		} else {
			b.WriteString(escapeMD(collapse(k.text)))
		}
		return nil
	}
	if k == c.inter {
		b.WriteString(blank)
		return nil
	}
	switch k.name {
	case "strong", "b":
		return c.wrap(k, b, "**")
	case "em", "i":
		return c.wrap(k, b, "_")
	case "br":
		b.WriteString("\n")
	case "img":
		s, err := c.img(k)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case "math":
		s, err := c.math(k)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case "code":
		s := k.content()
		if !c.literal {
			s = collapse(s)
		}
		tick := "`"
		for strings.Contains(s, tick) {
			tick += "`"
		}
		b.WriteString(tick + s + tick)
	case "sub", "sup":
		s, err := subSup(k)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case "a":
		var inner strings.Builder
		if err := c.inlineKids(k, &inner); err != nil {
			return err
		}
		href := strings.TrimSpace(k.attr("href"))
		u, err := url.Parse(href)
		if err != nil || href == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
			if href != "" {
				c.noted("the link to %q is dropped (only http, https and mailto links are kept); its text is kept", trunc(href, 60))
			}
			b.WriteString(inner.String())
			return nil
		}
		b.WriteString("[" + inner.String() + "](" + mdURL(href) + ")")
	case "q":
		b.WriteString("“")
		if err := c.inlineKids(k, b); err != nil {
			return err
		}
		b.WriteString("”")
	case "feedbackInline":
		return c.collectFeedback(k)
	case "printedVariable", "templateInline":
		return refuse("<%s> (item templates) is not supported", k.raw)
	case "include":
		return refuse("<include> (XInclude) is not supported")
	default:
		if transparentInline[k.name] {
			if formatting[k.name] {
				c.noted("<%s> formatting is dropped; its text is kept", k.raw)
			}
			return c.inlineKids(k, b)
		}
		if blockNames[k.name] {
			return refuse("block element <%s> inside inline content is not supported", k.raw)
		}
		return refuse("element <%s> in the item body is not supported", k.raw)
	}
	return nil
}

func (c *conv) inlineKids(k *node, b *strings.Builder) error {
	for _, kk := range k.kids {
		if err := c.inline(kk, b); err != nil {
			return err
		}
	}
	return nil
}

// wrap writes k's content between two marks, moving white space at its
// ends outside the marks (Markdown ignores "** bold **").
func (c *conv) wrap(k *node, b *strings.Builder, mark string) error {
	var inner strings.Builder
	if err := c.inlineKids(k, &inner); err != nil {
		return err
	}
	s := inner.String()
	if c.literal {
		b.WriteString(mark + s + mark)
		return nil
	}
	s = collapse(s)
	t := strings.TrimSpace(s)
	if t == "" {
		b.WriteString(s)
		return nil
	}
	if strings.HasPrefix(s, " ") {
		b.WriteString(" ")
	}
	b.WriteString(mark + t + mark)
	if strings.HasSuffix(s, " ") {
		b.WriteString(" ")
	}
	return nil
}

func (c *conv) img(k *node) (string, error) {
	src := strings.TrimSpace(k.attr("src"))
	if src == "" {
		return "", refuse("<img> without a src")
	}
	ref, err := c.image(src)
	if err != nil {
		return "", err
	}
	alt := k.attr("alt")
	if !c.literal {
		alt = escapeMD(collapse(alt))
		ref = mdURL(ref)
	}
	return "![" + alt + "](" + ref + ")", nil
}

var texEncodings = map[string]bool{
	"application/x-tex": true, "application/x-latex": true, "text/x-tex": true,
	"text/x-latex": true, "tex": true, "latex": true, "application/tex": true,
}

// math keeps a MathML formula's TeX annotation (or its alttext) as $…$.
func (c *conv) math(k *node) (string, error) {
	tex, found := "", false
	k.find(func(n *node) bool {
		if !found && n.name == "annotation" && texEncodings[strings.ToLower(strings.TrimSpace(n.attr("encoding")))] {
			tex, found = n.content(), true
		}
		return !found
	})
	if !found {
		if alt, ok := k.lookup("alttext"); ok && strings.TrimSpace(alt) != "" {
			tex, found = alt, true
		}
	}
	if !found {
		return "", refuse("MathML without a TeX annotation is not supported yet")
	}
	if !c.literal {
		tex = strings.TrimSpace(collapse(tex))
	}
	if tex == "" {
		return "", refuse("MathML with an empty TeX annotation")
	}
	if k.attr("display") == "block" {
		return "$$" + tex + "$$", nil
	}
	return "$" + tex + "$", nil
}

// list converts ul or ol to a Markdown list.
func (c *conv) list(n *node) (string, error) {
	var b strings.Builder
	i := 0
	for _, k := range n.kids {
		if k.name == "" {
			if strings.TrimSpace(k.text) != "" {
				return "", refuse("text directly inside <%s> is not supported", n.raw)
			}
			continue
		}
		if k.name != "li" {
			return "", refuse("<%s> inside <%s> is not supported", k.raw, n.raw)
		}
		i++
		marker := "- "
		if n.name == "ol" {
			marker = strconv.Itoa(i) + ". "
		}
		bs, err := c.blocks(k)
		if err != nil {
			return "", err
		}
		body := strings.Join(bs, "\n\n")
		body = strings.ReplaceAll(body, "\n", "\n"+strings.Repeat(" ", len(marker)))
		if i > 1 {
			b.WriteString("\n")
		}
		b.WriteString(strings.TrimRight(marker+body, " "))
	}
	return b.String(), nil
}

// table converts a simple table (no merged cells, one paragraph per cell)
// to a Markdown table; a caption becomes a paragraph before it.
func (c *conv) table(n *node) ([]string, error) {
	var out []string
	var rows [][]string
	var addRows func(p *node) error
	addRows = func(p *node) error {
		for _, k := range p.elems() {
			switch k.name {
			case "caption":
				bs, err := c.blocks(k)
				if err != nil {
					return err
				}
				out = append(out, bs...)
			case "thead", "tbody", "tfoot":
				if err := addRows(k); err != nil {
					return err
				}
			case "col", "colgroup":
			case "tr":
				var row []string
				for _, cell := range k.elems() {
					if cell.name != "td" && cell.name != "th" {
						return refuse("<%s> inside a table row is not supported", cell.raw)
					}
					for _, span := range []string{"colspan", "rowspan"} {
						if v := strings.TrimSpace(cell.attr(span)); v != "" && v != "1" {
							return refuse("tables with merged cells (%s) are not supported", span)
						}
					}
					bs, err := c.blocks(cell)
					if err != nil {
						return err
					}
					s := strings.Join(bs, "\n")
					if len(bs) > 1 || strings.Contains(s, "\n") {
						return refuse("a table cell with more than one line is not supported")
					}
					row = append(row, s)
				}
				rows = append(rows, row)
			default:
				return refuse("<%s> inside a table is not supported", k.raw)
			}
		}
		return nil
	}
	if err := addRows(n); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return out, nil
	}
	cols := 0
	for _, r := range rows {
		cols = max(cols, len(r))
	}
	if cols == 0 {
		return out, nil
	}
	var b strings.Builder
	writeRow := func(r []string) {
		b.WriteString("|")
		for i := range cols {
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			b.WriteString(" " + cell + " |")
		}
	}
	writeRow(rows[0])
	b.WriteString("\n|")
	for range cols {
		b.WriteString(" --- |")
	}
	for _, r := range rows[1:] {
		b.WriteString("\n")
		writeRow(r)
	}
	return append(out, b.String()), nil
}

var subDigits = map[rune][2]rune{
	'0': {'₀', '⁰'}, '1': {'₁', '¹'}, '2': {'₂', '²'}, '3': {'₃', '³'}, '4': {'₄', '⁴'},
	'5': {'₅', '⁵'}, '6': {'₆', '⁶'}, '7': {'₇', '⁷'}, '8': {'₈', '⁸'}, '9': {'₉', '⁹'},
	'+': {'₊', '⁺'}, '-': {'₋', '⁻'}, '−': {'₋', '⁻'}, '=': {'₌', '⁼'}, '(': {'₍', '⁽'}, ')': {'₎', '⁾'},
}

// subSup writes sub- and superscripts as Unicode characters when they are
// digits and signs (H₂O, x²), else as TeX ($x_{ij}$ style, $_{ij}$).
func subSup(k *node) (string, error) {
	s := strings.TrimSpace(collapse(k.content()))
	if s == "" {
		return "", nil
	}
	idx := 0
	if k.name == "sup" {
		idx = 1
	}
	var b strings.Builder
	unicodeOK := true
	for _, r := range s {
		m, ok := subDigits[r]
		if !ok {
			unicodeOK = false
			break
		}
		b.WriteRune(m[idx])
	}
	if unicodeOK {
		return b.String(), nil
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+-=()., ", r)) {
			return "", refuse("<%s>%s</%s> cannot be written in Markdown; use MathML with a TeX annotation", k.raw, s, k.raw)
		}
	}
	mark := "_"
	if idx == 1 {
		mark = "^"
	}
	return "$" + mark + "{" + s + "}$", nil
}

// collapse turns runs of white space into one space, as HTML displays
// them.
func collapse(s string) string {
	if !strings.ContainsAny(s, "\t\r\n") && !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	ws := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			if !ws {
				b.WriteByte(' ')
			}
			ws = true
			continue
		}
		ws = false
		b.WriteRune(r)
	}
	return b.String()
}

// tidy trims a paragraph and the spaces around its line breaks.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "$", `\$`, "[", `\[`, "]", `\]`,
	"<", `\<`, ">", `\>`, "#", `\#`, "|", `\|`,
)

// escapeMD escapes the characters that would start Markdown or maths in
// text that is meant literally.
func escapeMD(s string) string { return mdEscaper.Replace(s) }

// mdURL makes a URL safe inside Markdown's (…).
func mdURL(s string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(s)
}
