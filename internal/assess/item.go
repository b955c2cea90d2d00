// Package assess holds the item bank, tests and exams: items and their
// versions, import and export formats, scoring, delivery and analysis.
package assess

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// ItemType is the kind of question, which decides how a response is scored.
type ItemType string

// The item types.
const (
	SingleChoice     ItemType = "single_choice"     // one correct choice
	MultipleResponse ItemType = "multiple_response" // any number of choices; partial credit by weights
	TrueFalse        ItemType = "true_false"        // choices "true" and "false"
	Numeric          ItemType = "numeric"           // a number, exact within a tolerance or a range
	ShortText        ItemType = "short_text"        // a word or phrase matched against accepted answers
	Ordering         ItemType = "ordering"          // put the choices in order
	Matching         ItemType = "matching"          // pair each left-hand item with a right-hand one
	Essay            ItemType = "essay"             // marked by hand
)

// ItemTypes lists every type.
var ItemTypes = []ItemType{SingleChoice, MultipleResponse, TrueFalse, Numeric, ShortText, Ordering, Matching, Essay}

// Valid reports whether t is a known type.
func (t ItemType) Valid() bool { return slices.Contains(ItemTypes, t) }

// Status is where an item is in its life.
type Status string

// The statuses, in workflow order: authors draft, reviewers review, then the
// item is published for use in tests, and retired when no longer wanted.
const (
	Draft     Status = "draft"
	Reviewed  Status = "reviewed"
	Published Status = "published"
	Retired   Status = "retired"
)

// Statuses lists every status.
var Statuses = []Status{Draft, Reviewed, Published, Retired}

// Languages Vidya writes items in. An item holds the same question in one
// or more of them, so a candidate can switch per question.
var Languages = []string{"en", "hi"}

// Choice is one option of a choice, true/false or ordering item. Its ID is
// the same in every language; the text is in Item.Text.
type Choice struct {
	ID string `json:"id"`
	// Fixed keeps the choice in place when options are shuffled ("none of
	// the above").
	Fixed bool `json:"fixed,omitempty"`
}

// Text is an item's wording in one language. Stems, choices and
// explanations are Markdown; maths is LaTeX between $…$ or $$…$$, kept as
// source and rendered in the browser.
type Text struct {
	Stem string `json:"stem"`
	// Choices maps Choice.ID to its text (choice, true/false, ordering).
	Choices map[string]string `json:"choices,omitempty"`
	// Left and Right map matching items' ids to their text.
	Left  map[string]string `json:"left,omitempty"`
	Right map[string]string `json:"right,omitempty"`
	// Explanation is the worked solution shown after the attempt.
	Explanation string `json:"explanation,omitempty"`
	// Feedback maps a choice ID to feedback for choosing it.
	Feedback map[string]string `json:"feedback,omitempty"`
}

// NumericKey is the answer to a numeric item: Value ± Tolerance, or any
// number in [Min, Max] when Range is set.
type NumericKey struct {
	Value     float64 `json:"value"`
	Tolerance float64 `json:"tolerance,omitempty"`
	Range     bool    `json:"range,omitempty"`
	Min       float64 `json:"min,omitempty"`
	Max       float64 `json:"max,omitempty"`
}

// TextKey is how short-text answers are matched.
type TextKey struct {
	Accepted      []string `json:"accepted"`
	CaseSensitive bool     `json:"case_sensitive,omitempty"`
	// IgnoreSpaces compares with all white space removed; otherwise runs
	// of white space count as one and ends are trimmed.
	IgnoreSpaces bool `json:"ignore_spaces,omitempty"`
}

// Key is the correct response.
type Key struct {
	// Choices: the correct choice (single choice, true/false: one id), the
	// correct set (multiple response), or the correct order (ordering).
	Choices []string `json:"choices,omitempty"`
	// Pairs: matching, left id → right id.
	Pairs   map[string]string `json:"pairs,omitempty"`
	Numeric *NumericKey       `json:"numeric,omitempty"`
	Text    *TextKey          `json:"text,omitempty"`
}

// Scoring says what a response earns.
//
// A fully correct response earns Marks; a wrong one −Penalty (negative
// marking, e.g. +4/−1); no response earns Unanswered (usually 0).
//
// Weights give partial credit, as QTI's map_response does: the score is the
// sum of the weights of what was chosen (choice ids for multiple response;
// "left=right" pair keys for matching), missing entries counting
// DefaultWeight, then clamped to [Lower, Upper]. Upper defaults to Marks and
// Lower to −Penalty. With no Weights, scoring is all or nothing; Partial on
// an ordering or matching item gives Marks × share of positions or pairs
// right.
type Scoring struct {
	Marks         float64            `json:"marks"`
	Penalty       float64            `json:"penalty,omitempty"`
	Unanswered    float64            `json:"unanswered,omitempty"`
	Weights       map[string]float64 `json:"weights,omitempty"`
	DefaultWeight float64            `json:"default_weight,omitempty"`
	Lower         *float64           `json:"lower,omitempty"`
	Upper         *float64           `json:"upper,omitempty"`
	Partial       bool               `json:"partial,omitempty"`
}

// Tags classify an item for search and for drawing papers.
type Tags struct {
	Topic      string   `json:"topic,omitempty"`      // a path in the authority's taxonomy, e.g. "physics/optics"
	Difficulty string   `json:"difficulty,omitempty"` // easy, medium, hard
	Bloom      string   `json:"bloom,omitempty"`      // remember, understand, apply, analyse, evaluate, create
	Source     string   `json:"source,omitempty"`     // where the item came from, e.g. "NEET 2023 Q17"
	Labels     []string `json:"labels,omitempty"`     // free labels
}

// Difficulties and BloomLevels are the allowed tag values.
var (
	Difficulties = []string{"easy", "medium", "hard"}
	BloomLevels  = []string{"remember", "understand", "apply", "analyse", "evaluate", "create"}
)

// Item is one question, as of one version.
type Item struct {
	ID          int64 `json:"id"`
	AuthorityID int64 `json:"-"`
	Version     int   `json:"version"`
	// Revision counts saves of the current version; an edit must name the
	// revision it started from, so two authors cannot overwrite each other.
	Revision int `json:"revision"`
	// Ref is the item's identifier in the file it was imported from.
	Ref    string   `json:"ref,omitempty"`
	Type   ItemType `json:"type"`
	Status Status   `json:"status"`
	// Title is a short name for lists; optional.
	Title   string          `json:"title,omitempty"`
	Text    map[string]Text `json:"text"` // language → wording
	Choices []Choice        `json:"choices,omitempty"`
	// Left and Right are matching items' ids, in authored order.
	Left    []string `json:"left,omitempty"`
	Right   []string `json:"right,omitempty"`
	Key     Key      `json:"key"`
	Scoring Scoring  `json:"scoring"`
	Tags    Tags     `json:"tags"`
	// Shuffle allows delivery to shuffle the choices (Fixed ones stay).
	Shuffle bool `json:"shuffle,omitempty"`
	// MaxChoices is the most choices a candidate may pick on a
	// multiple-response item (QTI's maxChoices); 0 means no limit. A
	// response with more is wrong.
	MaxChoices int `json:"max_choices,omitempty"`
	// ContentHash identifies the item's content (not its id, status or
	// version) for duplicate detection on import.
	ContentHash string    `json:"content_hash,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Limits on item content, so one item stays small enough to handle whole.
const (
	MaxTextLen   = 20_000 // bytes per stem or explanation
	MaxChoiceLen = 4_000  // bytes per choice text
	MaxChoices   = 26
	MaxAccepted  = 50
	maxIDLen     = 64
	maxTagLen    = 200
	maxLabels    = 20
	maxMarks     = 1000
)

// Validate checks the item is complete and consistent, and returns an
// Invalid error naming every problem by field path (e.g. "key.choices",
// "text.hi.choices.C"). It does not change the item.
func (it *Item) Validate() error {
	v := errs.Validation{Op: "assess: check item"}
	if !it.Type.Valid() {
		v.Add("type", "must be one of %s", joinTypes())
		return v.Err()
	}
	if it.Status != "" && !slices.Contains(Statuses, it.Status) {
		v.Add("status", "must be draft, reviewed, published or retired")
	}
	if utf8.RuneCountInString(it.Title) > 200 || !utf8.ValidString(it.Title) {
		v.Add("title", "must be valid text of at most 200 characters")
	}
	if len(it.Text) == 0 {
		v.Add("text", "give the question in at least one language")
	}
	for lang := range it.Text {
		if !slices.Contains(Languages, lang) {
			v.Add("text."+lang, "language %q is not supported (use %s)", lang, strings.Join(Languages, ", "))
		}
	}
	ids := map[string]bool{}
	for i, c := range it.Choices {
		switch {
		case !validID(c.ID):
			v.Add(fmt.Sprintf("choices.%d.id", i), "must be 1–64 letters, digits, - or _")
		case ids[c.ID]:
			v.Add(fmt.Sprintf("choices.%d.id", i), "%q is used twice", c.ID)
		}
		ids[c.ID] = true
	}
	needChoices := it.Type == SingleChoice || it.Type == MultipleResponse || it.Type == TrueFalse || it.Type == Ordering
	switch {
	case needChoices && len(it.Choices) < 2:
		v.Add("choices", "give at least two choices")
	case !needChoices && len(it.Choices) > 0:
		v.Add("choices", "a %s item has no choices", it.Type)
	case len(it.Choices) > MaxChoices:
		v.Add("choices", "give at most %d choices", MaxChoices)
	}
	if it.Type == TrueFalse && (len(it.Choices) != 2 || !ids["true"] || !ids["false"]) {
		v.Add("choices", "a true/false item has exactly the choices true and false")
	}
	left, right := map[string]bool{}, map[string]bool{}
	if it.Type == Matching {
		checkSide(&v, "left", it.Left, left)
		checkSide(&v, "right", it.Right, right)
	} else if len(it.Left)+len(it.Right) > 0 {
		v.Add("left", "only matching items have left and right lists")
	}
	for lang, t := range it.Text {
		p := "text." + lang
		if strings.TrimSpace(t.Stem) == "" {
			v.Add(p+".stem", "is required")
		}
		checkText(&v, p+".stem", t.Stem, MaxTextLen)
		checkText(&v, p+".explanation", t.Explanation, MaxTextLen)
		for _, c := range it.Choices {
			if it.Type == TrueFalse {
				continue // true/false choices need no text; the runner labels them
			}
			if strings.TrimSpace(t.Choices[c.ID]) == "" {
				v.Add(p+".choices."+c.ID, "is required")
			}
			checkText(&v, p+".choices."+c.ID, t.Choices[c.ID], MaxChoiceLen)
		}
		for id := range t.Choices {
			if !ids[id] {
				v.Add(p+".choices."+id, "there is no choice %q", id)
			}
		}
		for _, side := range []struct {
			name string
			ids  []string
			text map[string]string
			has  map[string]bool
		}{{"left", it.Left, t.Left, left}, {"right", it.Right, t.Right, right}} {
			for _, id := range side.ids {
				if strings.TrimSpace(side.text[id]) == "" {
					v.Add(p+"."+side.name+"."+id, "is required")
				}
				checkText(&v, p+"."+side.name+"."+id, side.text[id], MaxChoiceLen)
			}
			for id := range side.text {
				if !side.has[id] {
					v.Add(p+"."+side.name+"."+id, "there is no %s item %q", side.name, id)
				}
			}
		}
		for id := range t.Feedback {
			if !ids[id] {
				v.Add(p+".feedback."+id, "there is no choice %q", id)
			}
			checkText(&v, p+".feedback."+id, t.Feedback[id], MaxChoiceLen)
		}
	}
	it.checkKey(&v, ids, left, right)
	it.checkMaxChoices(&v)
	it.checkScoring(&v, ids, left, right)
	checkTags(&v, it.Tags)
	return v.Err()
}

func joinTypes() string {
	s := make([]string, len(ItemTypes))
	for i, t := range ItemTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func checkSide(v *errs.Validation, name string, ids []string, seen map[string]bool) {
	if len(ids) < 2 {
		v.Add(name, "give at least two %s items", name)
	}
	if len(ids) > MaxChoices {
		v.Add(name, "give at most %d %s items", MaxChoices, name)
	}
	for i, id := range ids {
		switch {
		case !validID(id):
			v.Add(fmt.Sprintf("%s.%d", name, i), "must be 1–64 letters, digits, - or _")
		case seen[id]:
			v.Add(fmt.Sprintf("%s.%d", name, i), "%q is used twice", id)
		}
		seen[id] = true
	}
}

func checkText(v *errs.Validation, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8 text")
	case len(s) > max:
		v.Add(field, "is %d bytes; at most %d", len(s), max)
	case strings.ContainsRune(s, 0):
		v.Add(field, "must not contain NUL characters")
	}
}

func (it *Item) checkKey(v *errs.Validation, ids, left, right map[string]bool) {
	k := it.Key
	for _, c := range k.Choices {
		if !ids[c] {
			v.Add("key.choices", "the key names choice %q, which the item does not have", c)
		}
	}
	switch it.Type {
	case SingleChoice, TrueFalse:
		if len(k.Choices) != 1 {
			v.Add("key.choices", "give exactly one correct choice")
		}
	case MultipleResponse:
		if len(k.Choices) == 0 && len(it.Scoring.Weights) == 0 {
			v.Add("key.choices", "give the correct choices (or weights)")
		}
		if hasDup(k.Choices) {
			v.Add("key.choices", "a choice is listed twice")
		}
	case Ordering:
		if len(k.Choices) != len(it.Choices) || hasDup(k.Choices) {
			v.Add("key.choices", "give every choice once, in the correct order")
		}
	case Matching:
		if len(k.Pairs) == 0 {
			v.Add("key.pairs", "give the correct pairs")
		}
		for l, r := range k.Pairs {
			if !left[l] {
				v.Add("key.pairs", "the key names left item %q, which the item does not have", l)
			}
			if !right[r] {
				v.Add("key.pairs", "the key names right item %q, which the item does not have", r)
			}
		}
	case Numeric:
		n := k.Numeric
		switch {
		case n == nil:
			v.Add("key.numeric", "give the correct number")
		case isBad(n.Value) || isBad(n.Tolerance) || isBad(n.Min) || isBad(n.Max):
			v.Add("key.numeric", "must be finite numbers")
		case n.Tolerance < 0:
			v.Add("key.numeric.tolerance", "must not be negative")
		case n.Range && n.Min > n.Max:
			v.Add("key.numeric", "the range's minimum is above its maximum")
		}
	case ShortText:
		switch {
		case k.Text == nil || len(k.Text.Accepted) == 0:
			v.Add("key.text.accepted", "give at least one accepted answer")
		case len(k.Text.Accepted) > MaxAccepted:
			v.Add("key.text.accepted", "give at most %d accepted answers", MaxAccepted)
		default:
			for _, a := range k.Text.Accepted {
				if strings.TrimSpace(a) == "" || len(a) > MaxChoiceLen || !utf8.ValidString(a) {
					v.Add("key.text.accepted", "accepted answers must be non-empty text")
				}
			}
		}
	case Essay:
	}
	if it.Type != Matching && len(k.Pairs) > 0 {
		v.Add("key.pairs", "only matching items have pairs")
	}
	if it.Type != Numeric && k.Numeric != nil {
		v.Add("key.numeric", "only numeric items have a numeric key")
	}
	if it.Type != ShortText && k.Text != nil {
		v.Add("key.text", "only short-text items have accepted answers")
	}
	if (it.Type == Numeric || it.Type == ShortText || it.Type == Essay || it.Type == Matching) && len(k.Choices) > 0 {
		v.Add("key.choices", "a %s item has no choices", it.Type)
	}
}

func (it *Item) checkMaxChoices(v *errs.Validation) {
	n := it.MaxChoices
	switch {
	case n == 0:
	case it.Type != MultipleResponse:
		v.Add("max_choices", "only multiple-response items take a limit on the number of choices")
	case n < 0:
		v.Add("max_choices", "must be 0 (no limit) or more")
	case n > len(it.Choices):
		v.Add("max_choices", "is %d, but the item has %d choices", n, len(it.Choices))
	case n < len(it.Key.Choices):
		v.Add("max_choices", "is %d, but the key has %d correct choices, so no one could choose them all", n, len(it.Key.Choices))
	}
}

func hasDup(s []string) bool {
	seen := map[string]bool{}
	for _, x := range s {
		if seen[x] {
			return true
		}
		seen[x] = true
	}
	return false
}

func isBad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

func (it *Item) checkScoring(v *errs.Validation, ids, left, right map[string]bool) {
	s := it.Scoring
	for _, f := range []struct {
		name string
		val  float64
	}{{"marks", s.Marks}, {"penalty", s.Penalty}, {"unanswered", s.Unanswered}, {"default_weight", s.DefaultWeight}} {
		if isBad(f.val) || math.Abs(f.val) > maxMarks {
			v.Add("scoring."+f.name, "must be a number between -%d and %d", maxMarks, maxMarks)
		}
	}
	if s.Marks <= 0 {
		v.Add("scoring.marks", "must be more than 0")
	}
	if s.Penalty < 0 {
		v.Add("scoring.penalty", "is subtracted for a wrong answer; give it as a positive number")
	}
	if len(s.Weights) > 0 && it.Type != MultipleResponse && it.Type != SingleChoice && it.Type != Matching {
		v.Add("scoring.weights", "only choice and matching items take weights")
	}
	for k, w := range s.Weights {
		if isBad(w) || math.Abs(w) > maxMarks {
			v.Add("scoring.weights."+k, "must be a number between -%d and %d", maxMarks, maxMarks)
		}
		if it.Type != Matching && !ids[k] {
			v.Add("scoring.weights."+k, "there is no choice %q", k)
		}
		if it.Type == Matching {
			l, r, ok := strings.Cut(k, "=")
			if !ok || !left[l] || !right[r] {
				v.Add("scoring.weights."+k, `must be "left=right", naming a left and a right item`)
			}
		}
	}
	// Compare the bounds in force, defaults included.
	lower, upper := -s.Penalty, s.Marks
	if s.Lower != nil {
		lower = *s.Lower
	}
	if s.Upper != nil {
		upper = *s.Upper
	}
	if lower > upper {
		v.Add("scoring.lower", "the lowest score (%g) is above the highest (%g)", lower, upper)
	}
	if s.Partial && it.Type != Ordering && it.Type != Matching {
		v.Add("scoring.partial", "only ordering and matching items take partial credit by position; use weights")
	}
}

func checkTags(v *errs.Validation, t Tags) {
	if t.Difficulty != "" && !slices.Contains(Difficulties, t.Difficulty) {
		v.Add("tags.difficulty", "must be easy, medium or hard")
	}
	if t.Bloom != "" && !slices.Contains(BloomLevels, t.Bloom) {
		v.Add("tags.bloom", "must be one of %s", strings.Join(BloomLevels, ", "))
	}
	for name, s := range map[string]string{"topic": t.Topic, "source": t.Source} {
		if len(s) > maxTagLen || !utf8.ValidString(s) {
			v.Add("tags."+name, "must be text of at most %d bytes", maxTagLen)
		}
	}
	if len(t.Labels) > maxLabels {
		v.Add("tags.labels", "give at most %d labels", maxLabels)
	}
	for _, l := range t.Labels {
		if l == "" || len(l) > 64 || !utf8.ValidString(l) {
			v.Add("tags.labels", "labels must be 1–64 bytes of text")
		}
	}
}

// Normalize puts every piece of text in Unicode NFC and trims the ends of
// stems and choices, so the same words typed on different keyboards (Hindi
// especially) are stored, searched and hashed alike.
func (it *Item) Normalize() {
	nfc := func(s string) string { return norm.NFC.String(s) }
	trim := func(s string) string { return strings.TrimSpace(nfc(s)) }
	nmap := func(m map[string]string, f func(string) string) {
		for k, v := range m {
			m[k] = f(v)
		}
	}
	it.Title = trim(it.Title)
	for lang, t := range it.Text {
		t.Stem, t.Explanation = trim(t.Stem), trim(t.Explanation)
		nmap(t.Choices, trim)
		nmap(t.Left, trim)
		nmap(t.Right, trim)
		nmap(t.Feedback, trim)
		it.Text[lang] = t
	}
	if it.Key.Text != nil {
		for i, a := range it.Key.Text.Accepted {
			it.Key.Text.Accepted[i] = nfc(a)
		}
	}
	it.Tags.Topic, it.Tags.Source = trim(it.Tags.Topic), trim(it.Tags.Source)
	for i, l := range it.Tags.Labels {
		it.Tags.Labels[i] = trim(l)
	}
	// A limit of as many choices as there are is no limit; one form hashes
	// alike.
	if it.Type == MultipleResponse && it.MaxChoices > 0 && it.MaxChoices == len(it.Choices) {
		it.MaxChoices = 0
	}
}

// Hash returns the hex SHA-256 of the item's content — type, wording,
// choices, key, scoring and the most choices allowed, not its id, title,
// tags, status or version — so an import can recognise an item it already
// has.
func (it *Item) Hash() string {
	content := struct {
		Type    ItemType        `json:"type"`
		Text    map[string]Text `json:"text"`
		Choices []Choice        `json:"choices"`
		Left    []string        `json:"left"`
		Right   []string        `json:"right"`
		Key     Key             `json:"key"`
		Scoring Scoring         `json:"scoring"`
		Shuffle bool            `json:"shuffle"`
		// omitempty: items without a limit hash as they did before it.
		MaxChoices int `json:"max_choices,omitempty"`
	}{it.Type, it.Text, it.Choices, it.Left, it.Right, it.Key, it.Scoring, it.Shuffle, it.MaxChoices}
	// encoding/json writes map keys sorted, so equal content encodes alike.
	b, err := json.Marshal(content)
	if err != nil {
		panic(err) // only plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Response is a candidate's answer to one item.
type Response struct {
	// Choices are the chosen choice ids; for an ordering item, all of them
	// in the candidate's order.
	Choices []string `json:"choices,omitempty"`
	// Pairs are a matching item's answer, left id → right id.
	Pairs map[string]string `json:"pairs,omitempty"`
	// Text is a numeric or short-text answer, or an essay.
	Text string `json:"text,omitempty"`
}

// Empty reports whether the candidate gave no answer.
func (r *Response) Empty() bool {
	return r == nil || (len(r.Choices) == 0 && len(r.Pairs) == 0 && strings.TrimSpace(r.Text) == "")
}

// Result is what a response earned.
type Result struct {
	Score    float64 `json:"score"`
	Correct  bool    `json:"correct"`  // fully correct
	Answered bool    `json:"answered"` // the candidate gave a response
	// Manual is set for essays: the score waits for a marker.
	Manual bool `json:"manual,omitempty"`
}

// ItemInput is the content of an item as authors send it: everything but
// the bank's own bookkeeping (id, version, status, hashes, times).
type ItemInput struct {
	Type    ItemType        `json:"type"`
	Title   string          `json:"title,omitempty"`
	Text    map[string]Text `json:"text"`
	Choices []Choice        `json:"choices,omitempty"`
	Left    []string        `json:"left,omitempty"`
	Right   []string        `json:"right,omitempty"`
	Key     Key             `json:"key"`
	Scoring Scoring         `json:"scoring"`
	Tags    Tags            `json:"tags"`
	Shuffle bool            `json:"shuffle,omitempty"`
	// MaxChoices: see Item.MaxChoices.
	MaxChoices int `json:"max_choices,omitempty"`
}

// Item returns a new draft item with this content.
func (in *ItemInput) Item() *Item {
	return &Item{Type: in.Type, Title: in.Title, Text: in.Text, Choices: in.Choices, Left: in.Left, Right: in.Right,
		Key: in.Key, Scoring: in.Scoring, Tags: in.Tags, Shuffle: in.Shuffle, MaxChoices: in.MaxChoices, Status: Draft}
}
