package itemcsv

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Write writes items in the CSV layout: a header with only the columns the
// items need, then one row per item. It checks every item first and writes
// nothing if the layout cannot hold one (matching, feedback, weights, more
// than ten options, …), naming the item and what it lacks. Choices are
// written by position, so they read back with ids A, B, ….
func Write(w io.Writer, items []*assess.Item) error {
	const op = "itemcsv: write"
	used := map[string]bool{"type": true, "correct": true, "marks": true}
	rows := make([]map[string]string, 0, len(items))
	for i, it := range items {
		row, err := toRow(it)
		if err != nil {
			name := fmt.Sprintf("item %d of the list", i+1)
			if it.ID != 0 {
				name = fmt.Sprintf("item %d", it.ID)
			}
			return errs.E(errs.Unsupported, op, "%s: %s", name, err)
		}
		for k := range row {
			used[k] = true
		}
		rows = append(rows, row)
	}
	var header []string
	for _, c := range Columns {
		if used[c] {
			header = append(header, c)
		}
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return errs.Wrap(op, err)
	}
	rec := make([]string, len(header))
	for _, row := range rows {
		for i, c := range header {
			rec[i] = row[c]
		}
		if err := cw.Write(rec); err != nil {
			return errs.Wrap(op, err)
		}
	}
	cw.Flush()
	return errs.Wrap(op, cw.Error())
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// toRow gives the item's cells by column, or says what the layout lacks.
func toRow(it *assess.Item) (map[string]string, error) {
	if !slices.Contains(typeNames, it.Type) {
		return nil, fmt.Errorf("%s questions have no columns in the CSV layout; export them as GIFT or QTI", it.Type)
	}
	s := it.Scoring
	switch {
	case len(s.Weights) > 0 || s.DefaultWeight != 0:
		return nil, fmt.Errorf("the layout has no columns for weights (partial credit)")
	case s.Lower != nil || s.Upper != nil:
		return nil, fmt.Errorf("the layout has no columns for score bounds")
	case s.Unanswered != 0:
		return nil, fmt.Errorf("the layout has no column for marks when unanswered")
	case s.Partial:
		return nil, fmt.Errorf("the layout has no column for partial credit by position")
	case len(it.Choices) > MaxOptions:
		return nil, fmt.Errorf("%d choices; the layout has columns for %d", len(it.Choices), MaxOptions)
	case it.Key.Text != nil && (it.Key.Text.CaseSensitive || it.Key.Text.IgnoreSpaces):
		return nil, fmt.Errorf("the layout has no column for case-sensitive or space-blind matching")
	}
	for _, c := range it.Choices {
		if c.Fixed {
			return nil, fmt.Errorf("the layout has no column for fixed choices")
		}
	}
	row := map[string]string{
		"type":  string(it.Type),
		"marks": num(s.Marks),
	}
	set := func(col, v string) {
		if v != "" {
			row[col] = v
		}
	}
	ref := it.Ref
	if ref == "" && it.ID != 0 {
		ref = strconv.FormatInt(it.ID, 10)
	}
	set("id", ref)
	set("title", it.Title)
	if s.Penalty != 0 {
		set("negative_marks", num(s.Penalty))
	}
	for lang, t := range it.Text {
		if !slices.Contains(Languages, lang) {
			return nil, fmt.Errorf("the layout has no columns for language %q", lang)
		}
		if len(t.Feedback) > 0 {
			return nil, fmt.Errorf("the layout has no columns for feedback on choices")
		}
		set("stem_"+lang, t.Stem)
		set("explanation_"+lang, t.Explanation)
		if it.Type != assess.TrueFalse {
			for i, c := range it.Choices {
				set(optionCol(i, lang), t.Choices[c.ID])
			}
		}
	}
	pos := map[string]int{}
	for i, c := range it.Choices {
		pos[c.ID] = i
	}
	k := it.Key
	switch it.Type {
	case assess.SingleChoice, assess.MultipleResponse, assess.Ordering:
		var letters []string
		for _, id := range k.Choices {
			i, ok := pos[id]
			if !ok {
				return nil, fmt.Errorf("the key names choice %q, which the item does not have", id)
			}
			letters = append(letters, string(rune('A'+i)))
		}
		if it.Type == assess.MultipleResponse {
			slices.Sort(letters)
		}
		set("correct", strings.Join(letters, ","))
	case assess.TrueFalse:
		if len(k.Choices) != 1 {
			return nil, fmt.Errorf("a true/false item needs one key")
		}
		set("correct", k.Choices[0])
	case assess.Numeric:
		n := k.Numeric
		if n == nil {
			return nil, fmt.Errorf("a numeric item needs a numeric key")
		}
		if n.Range {
			set("correct", num(n.Min)+".."+num(n.Max))
		} else {
			set("correct", num(n.Value))
			if n.Tolerance != 0 {
				set("tolerance", num(n.Tolerance))
			}
		}
	case assess.ShortText:
		if k.Text == nil {
			return nil, fmt.Errorf("a short-text item needs accepted answers")
		}
		for _, a := range k.Text.Accepted {
			if strings.Contains(a, "|") {
				return nil, fmt.Errorf("the accepted answer %q holds |, which the layout uses between answers", a)
			}
		}
		set("correct", strings.Join(k.Text.Accepted, "|"))
	}
	t := it.Tags
	set("topic", t.Topic)
	set("difficulty", t.Difficulty)
	set("bloom", t.Bloom)
	set("source", t.Source)
	for _, l := range t.Labels {
		if strings.Contains(l, ";") {
			return nil, fmt.Errorf("the label %q holds ;, which the layout uses between labels", l)
		}
	}
	set("labels", strings.Join(t.Labels, ";"))
	if it.Shuffle {
		set("shuffle", "yes")
	}
	return row, nil
}
