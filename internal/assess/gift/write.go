package gift

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Writer writes items as GIFT, one at a time; call Flush at the end.
// Images stay references in the Markdown ([markdown] questions keep
// ![alt](url) as it is): a bank image's URL, /media/{authority}/{name}, is
// written as it is, so a GIFT file does not carry its images and shows them
// only where that URL can be reached. Export QTI to take images along.
type Writer struct {
	w     *bufio.Writer
	lang  string
	topic string
	n     int
}

// NewWriter returns a Writer of the items' text in lang.
func NewWriter(w io.Writer, lang string) *Writer {
	return &Writer{w: bufio.NewWriter(w), lang: lang}
}

// Write writes one item as a GIFT question. An item GIFT cannot express
// (ordering) or without text in the Writer's language is refused, writing
// nothing, and the Writer stays usable.
func (w *Writer) Write(it *assess.Item) error {
	w.n++
	name := fmt.Sprintf("item %d of the list", w.n)
	if it.ID != 0 {
		name = fmt.Sprintf("item %d", it.ID)
	}
	t, ok := it.Text[w.lang]
	if !ok {
		return errs.E(errs.Invalid, "gift: write", "%s has no %q text", name, w.lang)
	}
	block, err := answerBlock(it, t)
	if err != nil {
		return errs.E(errs.Unsupported, "gift: write", "%s: %s", name, err)
	}
	var b strings.Builder
	if it.Tags.Topic != w.topic {
		topic := strings.TrimSpace(strings.ReplaceAll(it.Tags.Topic, "\n", " "))
		if topic == "" {
			topic = "top"
		}
		fmt.Fprintf(&b, "$CATEGORY: %s\n\n", topic)
		w.topic = it.Tags.Topic
	}
	for _, n := range notes(it, w.lang) {
		fmt.Fprintf(&b, "// not in GIFT: %s\n", strings.ReplaceAll(n, "\n", " "))
	}
	if it.Title != "" {
		b.WriteString("::" + esc(it.Title) + "::")
	}
	b.WriteString("[markdown]" + esc(t.Stem) + " " + block + "\n\n")
	_, err = w.w.WriteString(b.String())
	return err
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

// Write writes items as GIFT in lang. It checks every item first and writes
// nothing if one is refused.
func Write(w io.Writer, items []*assess.Item, lang string) error {
	for i, it := range items {
		if _, ok := it.Text[lang]; !ok {
			return errs.E(errs.Invalid, "gift: write", "item %d of the list has no %q text", i+1, lang)
		}
		if _, err := answerBlock(it, it.Text[lang]); err != nil {
			return errs.E(errs.Unsupported, "gift: write", "item %d of the list: %s", i+1, err)
		}
	}
	gw := NewWriter(w, lang)
	for _, it := range items {
		if err := gw.Write(it); err != nil {
			return err
		}
	}
	return gw.Flush()
}

var escaper = strings.NewReplacer(
	`\`, `\\`, "~", `\~`, "=", `\=`, "#", `\#`, "{", `\{`, "}", `\}`, ":", `\:`,
	"\r\n", `\n`, "\r", `\n`, "\n", `\n`,
)

// esc escapes s for GIFT, keeping it on one line.
func esc(s string) string { return escaper.Replace(s) }

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// notes lists what the item has that GIFT cannot hold.
func notes(it *assess.Item, lang string) []string {
	var n []string
	s := it.Scoring
	if s.Penalty != 0 {
		n = append(n, "penalty "+num(s.Penalty)+" for a wrong answer")
	}
	if s.Unanswered != 0 {
		n = append(n, num(s.Unanswered)+" marks when unanswered")
	}
	if s.Lower != nil {
		n = append(n, "lowest score "+num(*s.Lower))
	}
	if s.Upper != nil {
		n = append(n, "highest score "+num(*s.Upper))
	}
	if s.DefaultWeight != 0 {
		n = append(n, "default weight "+num(s.DefaultWeight))
	}
	if it.Shuffle {
		n = append(n, "shuffle the choices")
	}
	if it.MaxChoices > 0 {
		n = append(n, fmt.Sprintf("at most %d choices", it.MaxChoices))
	}
	if it.Type == assess.Matching && !s.Partial {
		n = append(n, "scored all or nothing (GIFT matching is scored per pair)")
	}
	if it.Type == assess.MultipleResponse && len(s.Weights) == 0 && len(it.Key.Choices) == 1 {
		n = append(n, "multiple response with one correct choice (reads back as single choice)")
	}
	if k := it.Key.Text; k != nil && (k.CaseSensitive || k.IgnoreSpaces) {
		n = append(n, fmt.Sprintf("answers matched case-sensitively: %v, ignoring spaces: %v", k.CaseSensitive, k.IgnoreSpaces))
	}
	var langs []string
	for l := range it.Text {
		if l != lang {
			langs = append(langs, l)
		}
	}
	sort.Strings(langs)
	for _, l := range langs {
		n = append(n, "the text in "+l)
	}
	return n
}

// answerBlock writes the {…} of the item, or says why it cannot.
func answerBlock(it *assess.Item, t assess.Text) (string, error) {
	var b strings.Builder
	b.WriteString("{")
	marks := it.Scoring.Marks
	pct := func(w float64) string { return "%" + num(w/marks*100) + "%" }
	switch it.Type {
	case assess.Essay:
	case assess.SingleChoice, assess.MultipleResponse:
		if marks <= 0 && len(it.Scoring.Weights) > 0 {
			return "", fmt.Errorf("weights need marks above 0")
		}
		allKeys := len(it.Key.Choices) == len(it.Choices)
		for _, c := range it.Choices {
			key := slices.Contains(it.Key.Choices, c.ID)
			w, weighted := it.Scoring.Weights[c.ID]
			switch {
			case it.Type == assess.SingleChoice && key:
				b.WriteString("=")
			case len(it.Scoring.Weights) > 0 && weighted && w != 0:
				b.WriteString("~" + pct(w))
			case len(it.Scoring.Weights) > 0:
				b.WriteString("~")
			case key && allKeys:
				b.WriteString("~%100%")
			case key:
				b.WriteString("=")
			default:
				b.WriteString("~")
			}
			if _, _, w := weightPrefix(strings.TrimSpace(t.Choices[c.ID])); w {
				return "", fmt.Errorf("choice %s starts with what GIFT reads as a weight (%%50%%)", c.ID)
			}
			b.WriteString(esc(t.Choices[c.ID]))
			if fb := t.Feedback[c.ID]; fb != "" {
				b.WriteString("#" + esc(fb))
			}
			b.WriteString(" ")
		}
	case assess.TrueFalse:
		if len(it.Key.Choices) != 1 {
			return "", fmt.Errorf("a true/false item needs one key")
		}
		right, wrong := it.Key.Choices[0], "false"
		b.WriteString("TRUE")
		if right == "false" {
			wrong = "true"
			b.Reset()
			b.WriteString("{FALSE")
		}
		if w, r := t.Feedback[wrong], t.Feedback[right]; w != "" || r != "" {
			b.WriteString("#" + esc(w))
			if r != "" {
				b.WriteString("#" + esc(r))
			}
		}
	case assess.Numeric:
		k := it.Key.Numeric
		if k == nil {
			return "", fmt.Errorf("a numeric item needs a numeric key")
		}
		b.WriteString("#")
		switch {
		case k.Range:
			b.WriteString(num(k.Min) + ".." + num(k.Max))
		case k.Tolerance != 0:
			b.WriteString(num(k.Value) + ":" + num(k.Tolerance))
		default:
			b.WriteString(num(k.Value))
		}
	case assess.ShortText:
		if it.Key.Text == nil {
			return "", fmt.Errorf("a short-text item needs accepted answers")
		}
		for _, a := range it.Key.Text.Accepted {
			if _, _, w := weightPrefix(strings.TrimSpace(a)); w || strings.Contains(a, "->") {
				return "", fmt.Errorf("the accepted answer %q cannot be written in GIFT (it would read as a pair or a weight)", a)
			}
			b.WriteString("=" + esc(a) + " ")
		}
	case assess.Matching:
		used := map[string]bool{}
		for _, l := range it.Left {
			r := it.Key.Pairs[l]
			if r == "" {
				continue
			}
			used[r] = true
			lt, rt := t.Left[l], t.Right[r]
			if strings.Contains(lt, "->") || strings.Contains(rt, "->") {
				return "", fmt.Errorf("a matching text contains ->, which GIFT cannot escape")
			}
			b.WriteString("=" + esc(lt) + " -> " + esc(rt) + " ")
		}
		for _, r := range it.Right {
			if !used[r] {
				if strings.Contains(t.Right[r], "->") {
					return "", fmt.Errorf("a matching text contains ->, which GIFT cannot escape")
				}
				b.WriteString("= -> " + esc(t.Right[r]) + " ")
			}
		}
	case assess.Ordering:
		return "", fmt.Errorf("GIFT has no ordering questions; export it as QTI or CSV")
	default:
		return "", fmt.Errorf("type %q is not known", it.Type)
	}
	if t.Explanation != "" {
		b.WriteString("####" + esc(t.Explanation))
	}
	b.WriteString("}")
	return b.String(), nil
}
