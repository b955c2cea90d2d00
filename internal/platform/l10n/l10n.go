// Package l10n translates the messages of Vidya's domain services — error
// and field messages, import reasons — into the languages of its pages,
// gettext-style: the key of a translation is the English format string as
// written in the code (errs.E(kind, op, "must be at most %d characters", n)),
// so the code stays in plain English and a message without an entry is
// shown in English.
//
// A message with arguments is matched against patterns compiled from the
// catalogue's formats; the arguments written with %s, %v or %w are
// translated in turn, so "line 12: %s" around another message reads wholly
// in the reader's language.
package l10n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Default is the language of the code's messages; Translate returns them
// unchanged for it.
const Default = "en"

//go:embed messages/*.json
var messageFS embed.FS

// maxDepth bounds how deeply messages nest in each other; real ones nest
// two or three deep.
const maxDepth = 8

// pattern is one catalogue entry with arguments.
type pattern struct {
	english string
	re      *regexp.Regexp
	verbs   []verb   // the English verbs, in the order of re's groups
	out     []piece  // the translation
	lead    string   // literal text before the first verb
	tail    string   // literal text after the last verb
	inner   []string // literal text between verbs, in order
	weight  int      // bytes of literal text: more is a more specific match
}

// catalogue is one language's translations, indexed for matching.
type catalogue struct {
	exact map[string]string // messages without verbs, as shown
	// byLead holds patterns by the first word of their leading text,
	// byTail those that start with a verb by the last word of their
	// trailing text; loose holds the few that fit neither.
	byLead map[string][]*pattern
	byTail map[string][]*pattern
	loose  []*pattern
	// broken lists entries left out because they do not parse or their
	// verbs differ from the English ones.
	broken map[string]error
}

var (
	loadOnce   sync.Once
	catalogues map[string]*catalogue
	loadErr    error
)

// load reads every embedded catalogue once.
func load() (map[string]*catalogue, error) {
	loadOnce.Do(func() {
		catalogues, loadErr = loadFS(messageFS, "messages")
	})
	return catalogues, loadErr
}

// loadFS reads dir/<lang>.json from fsys for every language there.
func loadFS(fsys fs.FS, dir string) (map[string]*catalogue, error) {
	names, err := fs.Glob(fsys, dir+"/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]*catalogue{}
	for _, name := range names {
		lang := strings.TrimSuffix(path.Base(name), ".json")
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("l10n: %s: %w", name, err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("l10n: %s: %w", name, err)
		}
		out[lang] = newCatalogue(m)
	}
	return out, nil
}

// newCatalogue indexes translations keyed by English format.
func newCatalogue(m map[string]string) *catalogue {
	c := &catalogue{exact: map[string]string{}, byLead: map[string][]*pattern{}, byTail: map[string][]*pattern{}, broken: map[string]error{}}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, en := range keys {
		tr := m[en]
		if err := SameVerbs(en, tr); err != nil {
			c.broken[en] = err
			continue
		}
		ep, _ := parseFormat(en)
		tp, _ := parseFormat(tr)
		if !HasText(en) {
			c.broken[en] = fmt.Errorf("has no text to translate")
			continue
		}
		var verbs []verb
		for _, p := range ep {
			if p.isVerb {
				verbs = append(verbs, p.verb)
			}
		}
		if len(verbs) == 0 {
			c.exact[literal(ep)] = literal(tp)
			continue
		}
		re, err := compile(ep)
		if err != nil {
			c.broken[en] = err
			continue
		}
		p := &pattern{english: en, re: re, verbs: verbs, out: tp}
		for _, x := range ep {
			p.weight += len(x.text)
		}
		if !ep[0].isVerb {
			p.lead = ep[0].text
		}
		if last := ep[len(ep)-1]; !last.isVerb {
			p.tail = last.text
		}
		for n, x := range ep {
			if !x.isVerb && n > 0 && n < len(ep)-1 {
				p.inner = append(p.inner, x.text)
			}
		}
		switch {
		case p.lead != "" && strings.Contains(p.lead, " "):
			k := firstWord(p.lead)
			c.byLead[k] = append(c.byLead[k], p)
		case p.lead == "" && strings.Contains(p.tail, " "):
			k := lastWord(p.tail)
			c.byTail[k] = append(c.byTail[k], p)
		default:
			c.loose = append(c.loose, p)
		}
	}
	for _, ps := range c.byLead {
		sortPatterns(ps)
	}
	for _, ps := range c.byTail {
		sortPatterns(ps)
	}
	sortPatterns(c.loose)
	return c
}

// sortPatterns puts the most specific pattern first; the English format
// breaks ties, so the choice never depends on map order.
func sortPatterns(ps []*pattern) {
	slices.SortFunc(ps, comparePatterns)
}

func comparePatterns(a, b *pattern) int {
	if a.weight != b.weight {
		return b.weight - a.weight
	}
	return strings.Compare(a.english, b.english)
}

// literal joins pieces that have no verbs.
func literal(ps []piece) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.text)
	}
	return b.String()
}

// firstWord is s up to its first space.
func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// lastWord is s after its last space.
func lastWord(s string) string {
	return s[strings.LastIndexByte(s, ' ')+1:]
}

// Languages lists the languages messages can be shown in: Default first,
// then every language with a catalogue.
func Languages() []string {
	cs, _ := load()
	out := []string{Default}
	for l := range cs {
		if l != Default {
			out = append(out, l)
		}
	}
	slices.Sort(out[1:])
	return out
}

// Translate returns msg, a message from a domain service, in lang: the
// catalogue's translation when it has one, else msg unchanged. Messages in
// the errs.Error form "message (field: message; …)" are translated part by
// part.
func Translate(lang, msg string) string {
	if lang == Default || msg == "" {
		return msg
	}
	cs, err := load()
	if err != nil {
		return msg
	}
	c := cs[lang]
	if c == nil {
		return msg
	}
	return c.translate(msg, 0)
}

// TranslateLabelled is Translate for a message that may carry a label of
// the user's own: "label: message", where the label (a field's or a
// rule's name, one word) stays as written and the message is translated,
// if the whole is not a message of the catalogue itself.
func TranslateLabelled(lang, msg string) string {
	if t := Translate(lang, msg); t != msg {
		return t
	}
	if label, rest, ok := strings.Cut(msg, ": "); ok && label != "" && !strings.ContainsAny(label, " \t\n") {
		return label + ": " + Translate(lang, rest)
	}
	return msg
}

func (c *catalogue) translate(msg string, depth int) string {
	if s, ok := c.exact[msg]; ok {
		return s
	}
	if depth >= maxDepth {
		return msg
	}
	if s, ok := c.fields(msg, depth); ok {
		return s
	}
	if s, ok := c.match(msg, depth); ok {
		return s
	}
	return msg
}

// match tries the patterns that could fit msg, most specific first.
func (c *catalogue) match(msg string, depth int) (string, bool) {
	lead := c.byLead[firstWord(msg)]
	tail := c.byTail[lastWord(msg)]
	// The three lists are each sorted; walk them merged, so that the most
	// specific pattern wins wherever it is filed.
	i, j, k := 0, 0, 0
	for i < len(lead) || j < len(tail) || k < len(c.loose) {
		var p *pattern
		switch {
		case i < len(lead) && (j >= len(tail) || comparePatterns(lead[i], tail[j]) <= 0) && (k >= len(c.loose) || comparePatterns(lead[i], c.loose[k]) <= 0):
			p = lead[i]
			i++
		case j < len(tail) && (k >= len(c.loose) || comparePatterns(tail[j], c.loose[k]) <= 0):
			p = tail[j]
			j++
		default:
			p = c.loose[k]
			k++
		}
		if !p.mayMatch(msg) {
			continue
		}
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := make([]string, len(p.verbs))
		for n, v := range p.verbs {
			a := m[n+1]
			if translatable(v) {
				a = c.translate(a, depth+1)
			}
			args[v.index] = a
		}
		var b strings.Builder
		for _, x := range p.out {
			if !x.isVerb {
				b.WriteString(x.text)
			} else if x.verb.index < len(args) {
				b.WriteString(args[x.verb.index])
			}
		}
		return b.String(), true
	}
	return "", false
}

// mayMatch is a quick test that msg has the pattern's literal text in
// order; most candidates fail it, and it costs far less than the regexp.
func (p *pattern) mayMatch(msg string) bool {
	if len(msg) < p.weight || !strings.HasPrefix(msg, p.lead) || !strings.HasSuffix(msg, p.tail) {
		return false
	}
	rest := msg[len(p.lead) : len(msg)-len(p.tail)]
	for _, lit := range p.inner {
		i := strings.Index(rest, lit)
		if i < 0 {
			return false
		}
		rest = rest[i+len(lit):]
	}
	return true
}

// isField reports whether s looks like a field name errs.Error lists:
// "stem", "text.hi.choices.B", "pairs[2]".
func isField(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.[]-", c) >= 0) {
			return false
		}
	}
	return true
}

// fields translates a message in the form errs.Error writes one with
// fields, "message (field: message; field: message)", part by part. It
// reports false when msg is not in that form.
func (c *catalogue) fields(msg string, depth int) (string, bool) {
	if !strings.HasSuffix(msg, ")") {
		return "", false
	}
	// The list opens at the parenthesis that balances the last one, so
	// that messages may hold parentheses of their own.
	open, level := -1, 0
	for i := len(msg) - 1; i >= 0; i-- {
		switch msg[i] {
		case ')':
			level++
		case '(':
			level--
		}
		if level == 0 {
			open = i
			break
		}
	}
	if open < 0 || open > 0 && !strings.HasSuffix(msg[:open], " ") {
		return "", false
	}
	head, list := strings.TrimSuffix(msg[:open], " "), msg[open+1:len(msg)-1]
	entries := splitFields(list)
	if entries == nil {
		return "", false
	}
	var b strings.Builder
	if head != "" {
		b.WriteString(c.translate(head, depth+1))
		b.WriteString(" ")
	}
	b.WriteString("(")
	for n, e := range entries {
		if n > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e[0])
		b.WriteString(": ")
		b.WriteString(c.translate(e[1], depth+1))
	}
	b.WriteString(")")
	return b.String(), true
}

// splitFields splits "field: message; field: message" into field and
// message pairs, or returns nil. A "; " starts a new entry only where a
// field name and ": " follow it, since messages may hold "; " themselves.
func splitFields(list string) [][2]string {
	var out [][2]string
	rest := list
	for {
		field, text, ok := strings.Cut(rest, ": ")
		if !ok || !isField(field) {
			return nil
		}
		end := -1
		for from := 0; ; {
			i := strings.Index(text[from:], "; ")
			if i < 0 {
				break
			}
			i += from
			next := text[i+2:]
			if len(next) > 104 {
				next = next[:104] // a field name is at most 100 bytes
			}
			if f, _, ok := strings.Cut(next, ": "); ok && isField(f) {
				end = i
				break
			}
			from = i + 2
		}
		if end < 0 {
			return append(out, [2]string{field, text})
		}
		out = append(out, [2]string{field, text[:end]})
		rest = text[end+2:]
	}
}
