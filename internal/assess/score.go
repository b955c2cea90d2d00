package assess

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// epsRel is the slack, relative to the key, allowed when comparing a
// numeric answer with it, so "3.15" is within 3.14 ± 0.01 despite binary
// rounding.
const epsRel = 1e-9

// Scorer scores responses to one item by the rules in Scoring's doc
// comment. Compile builds it once; it holds a copy of what scoring needs,
// not the item, and is safe for concurrent use.
//
// Where those rules leave a case open, a Scorer decides it so:
//
//   - A response that cannot be an answer to the item — an unknown choice
//     or pair id, a choice given twice, two choices on a single-choice item,
//     an ordering that is not a permutation of the choices, a numeric
//     answer that is not a number — is wrong: it earns −Penalty, even on a
//     weighted item. It never panics and is never counted as unanswered.
//   - A multiple-response answer with more choices than MaxChoices is
//     wrong whatever it chose: −Penalty, or on a weighted item the lowest
//     score the item gives (Lower, by default −Penalty). Max counts only
//     the MaxChoices best weights.
//   - On a weighted item a wrong but well-formed answer earns its weight
//     (DefaultWeight if unlisted), not −Penalty; −Penalty is only the
//     default lower bound.
//   - With Weights, Correct means the chosen set (or pairs) equals the key;
//     a weighted multiple-response item without a key is correct when its
//     score reaches Max.
//   - Partial credit on ordering and matching items is Marks × share right
//     and is not clamped to Lower/Upper (those bound weights only). With no
//     position or pair right the response is wrong and earns −Penalty; a
//     partly right one loses nothing.
//   - A matching response's pairs for left items the key does not pair
//     (distractors) count as wrong pairs: under Partial the share is pairs
//     right ÷ the larger of the key's pairs and the response's, and an
//     all-or-nothing response with one is wrong.
//   - Numeric answers: see parseNumber for what counts as a number. A value
//     within Tolerance, or within [Min, Max], is right, with a slack of
//     1e-9 relative to the key for binary rounding ("3.15" is within
//     3.14 ± 0.01).
//   - Short text: the answer and accepted answers are put in NFC, trimmed,
//     and runs of white space made one space (or all removed with
//     IgnoreSpaces); then compared exactly (CaseSensitive) or under simple
//     Unicode case folding, as strings.EqualFold does.
//   - An essay with no answer earns Unanswered and is not sent to a marker
//     (Manual is false); an answered essay scores 0 with Manual set.
type Scorer struct {
	typ          ItemType
	marks        float64
	wrong        float64 // −Penalty, never −0
	unanswered   float64
	lower, upper float64
	best         float64 // the most a response can earn
	weighted     bool
	partial      bool
	maxChosen    int // multiple response: most choices allowed; 0 for no limit

	// Choice, true/false and ordering items.
	ids     []string  // choice ids, in item order
	keyID   string    // single choice, true/false
	keySet  uint64    // multiple response: bit i set when ids[i] is in the key
	hasKey  bool      // multiple response: the key lists choices
	order   []uint8   // ordering: position → choice index
	weights []float64 // per choice index; for matching per left×right pair

	// Matching items.
	left, right []string
	pairKey     []int8 // left index → right index in the key, or −1
	nPairs      int    // pairs in the key

	// Numeric items.
	numRange         bool
	value, tol, eps  float64
	minimum, maximum float64

	// Short-text items.
	accepted      []string // in NFC and through normText
	caseSensitive bool
	ignoreSpaces  bool
}

// Compile validates the item and prepares a Scorer for it, so that scoring
// many responses does the checking and lookup building only once.
func Compile(it *Item) (*Scorer, error) {
	if err := it.Validate(); err != nil {
		return nil, fmt.Errorf("assess: compile item %d: %w", it.ID, err)
	}
	sc := it.Scoring
	s := &Scorer{
		typ:        it.Type,
		marks:      sc.Marks,
		wrong:      negate(sc.Penalty),
		unanswered: sc.Unanswered,
		weighted:   len(sc.Weights) > 0,
		partial:    sc.Partial,
	}
	s.upper, s.lower = s.marks, s.wrong
	if sc.Upper != nil {
		s.upper = *sc.Upper
	}
	if sc.Lower != nil {
		s.lower = *sc.Lower
	}
	if len(it.Choices) > 64 || len(it.Left) > 64 || len(it.Right) > 64 {
		// Validate caps these at MaxChoices; the bit sets below rely on it.
		return nil, fmt.Errorf("assess: compile item %d: too many choices", it.ID)
	}
	s.ids = make([]string, len(it.Choices))
	for i, c := range it.Choices {
		s.ids[i] = c.ID
	}
	switch it.Type {
	case SingleChoice, TrueFalse:
		s.keyID = it.Key.Choices[0]
		s.choiceWeights(sc)
	case MultipleResponse:
		for _, id := range it.Key.Choices {
			s.keySet |= 1 << s.index(id)
		}
		s.hasKey = len(it.Key.Choices) > 0
		s.maxChosen = it.MaxChoices
		s.choiceWeights(sc)
	case Ordering:
		s.order = make([]uint8, len(it.Key.Choices))
		for i, id := range it.Key.Choices {
			s.order[i] = uint8(s.index(id))
		}
	case Matching:
		s.compileMatching(it)
	case Numeric:
		n := it.Key.Numeric
		s.numRange, s.value, s.tol, s.minimum, s.maximum = n.Range, n.Value, n.Tolerance, n.Min, n.Max
		if n.Range {
			s.eps = epsRel * max(math.Abs(n.Min), math.Abs(n.Max))
		} else {
			s.eps = epsRel * max(math.Abs(n.Value), n.Tolerance)
		}
	case ShortText:
		k := it.Key.Text
		s.caseSensitive, s.ignoreSpaces = k.CaseSensitive, k.IgnoreSpaces
		s.accepted = make([]string, len(k.Accepted))
		for i, a := range k.Accepted {
			s.accepted[i] = string(normText(nil, norm.NFC.String(a), s.ignoreSpaces))
		}
	}
	s.best = s.marks
	if s.weighted {
		s.best = s.clamp(s.bestWeights())
	}
	return s, nil
}

// bestWeights returns the largest sum of weights a response can choose.
func (s *Scorer) bestWeights() float64 {
	switch s.typ {
	case SingleChoice:
		return slices.Max(s.weights) // one choice, and there are at least two
	case Matching:
		// Each left item takes its best right item, or none at all.
		sum, nr := 0.0, len(s.right)
		for li := range s.left {
			sum += max(0, slices.Max(s.weights[li*nr:(li+1)*nr]))
		}
		return sum
	}
	ws := s.weights
	if s.maxChosen > 0 && s.maxChosen < len(ws) {
		// Only the best MaxChoices weights can be chosen together.
		ws = slices.Clone(ws)
		slices.SortFunc(ws, func(a, b float64) int { return cmp.Compare(b, a) })
		ws = ws[:s.maxChosen]
	}
	sum := 0.0
	for _, w := range ws {
		sum += max(0, w)
	}
	return sum
}

// Score compiles the item and scores one response. To score many responses
// to the same item, Compile once and call Scorer.Score.
func Score(it *Item, r *Response) (Result, error) {
	s, err := Compile(it)
	if err != nil {
		return Result{}, err
	}
	return s.Score(r), nil
}

// Max returns the most a response can earn: Marks, or on a weighted item
// the best sum of weights clamped to the bounds. Item analysis divides by
// it.
func (s *Scorer) Max() float64 { return s.best }

// Score returns what the response earns. It never fails: a response that
// does not fit the item is wrong. It allocates nothing except to normalise
// short text that is not already in NFC.
func (s *Scorer) Score(r *Response) Result {
	if r.Empty() {
		return Result{Score: s.unanswered}
	}
	switch s.typ {
	case SingleChoice, TrueFalse:
		return s.scoreSingle(r.Choices)
	case MultipleResponse:
		return s.scoreMultiple(r.Choices)
	case Ordering:
		return s.scoreOrdering(r.Choices)
	case Matching:
		return s.scoreMatching(r.Pairs)
	case Numeric:
		x, ok := parseNumber(r.Text)
		if !ok || !s.numberRight(x) {
			return s.wrongResult()
		}
		return s.rightResult()
	case ShortText:
		return s.scoreText(r.Text)
	case Essay:
		return Result{Answered: true, Manual: true}
	}
	return s.wrongResult()
}

func (s *Scorer) rightResult() Result {
	return Result{Score: s.marks, Correct: true, Answered: true}
}

func (s *Scorer) wrongResult() Result { return Result{Score: s.wrong, Answered: true} }

func (s *Scorer) scoreSingle(chosen []string) Result {
	if len(chosen) != 1 {
		return s.wrongResult()
	}
	if !s.weighted {
		// An unknown id is as wrong as a known wrong one: no lookup needed.
		if chosen[0] == s.keyID {
			return s.rightResult()
		}
		return s.wrongResult()
	}
	i := s.index(chosen[0])
	if i < 0 {
		return s.wrongResult()
	}
	return Result{Score: s.clamp(s.weights[i]), Correct: chosen[0] == s.keyID, Answered: true}
}

func (s *Scorer) scoreMultiple(chosen []string) Result {
	set, ok := s.choiceSet(chosen)
	if !ok {
		return s.wrongResult()
	}
	if s.maxChosen > 0 && len(chosen) > s.maxChosen {
		if s.weighted {
			return Result{Score: s.lower, Answered: true}
		}
		return s.wrongResult()
	}
	if !s.weighted {
		if set == s.keySet {
			return s.rightResult()
		}
		return s.wrongResult()
	}
	sum := 0.0
	for i := range s.ids {
		if set&(1<<i) != 0 {
			sum += s.weights[i]
		}
	}
	score := s.clamp(sum)
	correct := set == s.keySet
	if !s.hasKey {
		correct = score >= s.best-epsRel*max(1, math.Abs(s.best))
	}
	return Result{Score: score, Correct: correct, Answered: true}
}

// choiceSet returns the chosen choices as a bit set over choice indexes, or
// false if a choice is unknown or given twice.
func (s *Scorer) choiceSet(chosen []string) (uint64, bool) {
	var set uint64
	for _, id := range chosen {
		i := s.index(id)
		if i < 0 || set&(1<<i) != 0 {
			return 0, false
		}
		set |= 1 << i
	}
	return set, true
}

func (s *Scorer) scoreOrdering(chosen []string) Result {
	if len(chosen) != len(s.order) {
		return s.wrongResult()
	}
	var seen uint64
	right := 0
	for pos, id := range chosen {
		i := s.index(id)
		if i < 0 || seen&(1<<i) != 0 {
			return s.wrongResult()
		}
		seen |= 1 << i
		if uint8(i) == s.order[pos] {
			right++
		}
	}
	return s.share(right, len(s.order))
}

// share scores right out of n positions or pairs: all right is correct,
// none right (or some wrong, without Partial) is wrong, and otherwise
// Partial earns Marks × right ÷ n.
func (s *Scorer) share(right, n int) Result {
	switch {
	case right == n:
		return s.rightResult()
	case right == 0 || !s.partial:
		return s.wrongResult()
	}
	return Result{Score: s.marks * float64(right) / float64(n), Answered: true}
}

func (s *Scorer) compileMatching(it *Item) {
	s.left = append([]string(nil), it.Left...)
	s.right = append([]string(nil), it.Right...)
	s.pairKey = make([]int8, len(s.left))
	for i := range s.pairKey {
		s.pairKey[i] = -1
	}
	for l, r := range it.Key.Pairs {
		s.pairKey[indexOf(s.left, l)] = int8(indexOf(s.right, r))
	}
	s.nPairs = len(it.Key.Pairs)
	if !s.weighted {
		return
	}
	nr := len(s.right)
	s.weights = make([]float64, len(s.left)*nr)
	for i := range s.weights {
		s.weights[i] = it.Scoring.DefaultWeight
	}
	for k, w := range it.Scoring.Weights {
		l, r, ok := strings.Cut(k, "=")
		li, ri := indexOf(s.left, l), indexOf(s.right, r)
		if ok && li >= 0 && ri >= 0 {
			s.weights[li*nr+ri] = w
		}
	}
}

func (s *Scorer) scoreMatching(pairs map[string]string) Result {
	right, sum := 0, 0.0
	exact := len(pairs) == s.nPairs
	for l, r := range pairs {
		li, ri := indexOf(s.left, l), indexOf(s.right, r)
		if li < 0 || ri < 0 {
			return s.wrongResult()
		}
		if int(s.pairKey[li]) == ri {
			right++
		} else {
			exact = false
		}
		if s.weighted {
			sum += s.weights[li*len(s.right)+ri]
		}
	}
	if s.weighted {
		return Result{Score: s.clamp(sum), Correct: exact && right == s.nPairs, Answered: true}
	}
	return s.share(right, max(s.nPairs, len(pairs)))
}

func (s *Scorer) numberRight(x float64) bool {
	if s.numRange {
		return x >= s.minimum-s.eps && x <= s.maximum+s.eps
	}
	return math.Abs(x-s.value) <= s.tol+s.eps
}

func (s *Scorer) scoreText(text string) Result {
	text = norm.NFC.String(text) // returns text as it is, allocating nothing, when it is NFC
	var buf [256]byte
	got := normText(buf[:0], text, s.ignoreSpaces)
	for _, a := range s.accepted {
		if s.caseSensitive && string(got) == a || !s.caseSensitive && equalFold(got, a) {
			return s.rightResult()
		}
	}
	return s.wrongResult()
}

// choiceWeights lays the weights out by choice index.
func (s *Scorer) choiceWeights(sc Scoring) {
	if !s.weighted {
		return
	}
	s.weights = make([]float64, len(s.ids))
	for i, id := range s.ids {
		w, ok := sc.Weights[id]
		if !ok {
			w = sc.DefaultWeight
		}
		s.weights[i] = w
	}
}

func (s *Scorer) index(id string) int { return indexOf(s.ids, id) }

// indexOf is a linear search: with at most MaxChoices short ids it beats a
// map and allocates nothing.
func indexOf(ids []string, id string) int {
	for i, x := range ids {
		if x == id {
			return i
		}
	}
	return -1
}

func (s *Scorer) clamp(x float64) float64 {
	if x < s.lower || x != x {
		x = s.lower
	}
	if x > s.upper {
		x = s.upper
	}
	return x
}

// negate returns −p, but +0 for 0, so a zero penalty does not print as -0.
func negate(p float64) float64 {
	if p == 0 {
		return 0
	}
	return -p
}

// normText appends s to dst with white space trimmed and each run of it
// turned into one space, or with all white space removed. The caller
// normalises s to NFC first.
func normText(dst []byte, s string, ignoreSpaces bool) []byte {
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = len(dst) > 0 && !ignoreSpaces
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// equalFold reports whether b and s are equal under simple Unicode case
// folding, as strings.EqualFold does, without converting b to a string.
func equalFold(b []byte, s string) bool {
	for len(b) > 0 && len(s) > 0 {
		r1, n1 := utf8.DecodeRune(b)
		r2, n2 := utf8.DecodeRuneInString(s)
		b, s = b[n1:], s[n2:]
		if r1 == r2 {
			continue
		}
		if r2 < r1 {
			r1, r2 = r2, r1
		}
		if r2 < utf8.RuneSelf {
			if 'A' <= r1 && r1 <= 'Z' && r2 == r1+'a'-'A' {
				continue
			}
			return false
		}
		// SimpleFold cycles through a rune's case variants in increasing
		// order, wrapping round; r2 matches if it is on r1's cycle.
		r := unicode.SimpleFold(r1)
		for r != r1 && r < r2 {
			r = unicode.SimpleFold(r)
		}
		if r != r2 {
			return false
		}
	}
	return len(b) == len(s)
}

// digitZeros are the code points of zero in the digit sets of Indian
// scripts (and Urdu's), each followed by one to nine, so candidates may
// answer in the script of the paper.
var digitZeros = [...]rune{
	0x0966, // Devanagari ०
	0x09E6, // Bengali ০
	0x0A66, // Gurmukhi ੦
	0x0AE6, // Gujarati ૦
	0x0B66, // Odia ୦
	0x0BE6, // Tamil ௦
	0x0C66, // Telugu ౦
	0x0CE6, // Kannada ೦
	0x0D66, // Malayalam ൦
	0x06F0, // Extended Arabic-Indic (Urdu) ۰
}

// digitValue returns r's value as a decimal digit, or −1.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	for _, z := range digitZeros {
		if r >= z && r <= z+9 {
			return int(r - z)
		}
	}
	return -1
}

// pow10 holds the powers of ten a float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseNumber reads a candidate's numeric answer. After trimming white
// space it takes an optional sign (+, - or U+2212 −), digits (ASCII or any
// script in digitZeros, which may be mixed) with at most one decimal point
// '.', and at least one digit. Commas may group the digits before the
// point, and are then ignored, only if the grouping is valid: the last group
// has three digits and either the groups before it have two (Indian:
// 1,00,000 and 12,34,56,789) with a first group of one or two, or they have
// three (international: 100,000 and 1,000,000) with a first group of one to
// three. Anything else — "3,14", "1,0,0", exponents, spaces inside, a
// second point — is not a number. No allocation for answers of up to 64
// bytes.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	var arr [64]byte
	b := arr[:0]
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "-"):
		b, s = append(b, '-'), s[1:]
	case strings.HasPrefix(s, "\u2212"):
		b, s = append(b, '-'), s[len("\u2212"):]
	}
	var (
		digits, frac int  // digits in all, after the point
		point        bool // seen the point
		groups       int  // comma-ended groups before the point
		glen, first  int  // digits in the current and first group
		mid2, mid3   = true, true
		mant         uint64 // the digits as an integer, while it fits
		exactMant    = true
	)
	for _, r := range s {
		if d := digitValue(r); d >= 0 {
			b = append(b, byte('0'+d))
			digits++
			glen++
			if point {
				frac++
			}
			if mant > (1<<53-9)/10 {
				exactMant = false
			}
			mant = mant*10 + uint64(d)
			continue
		}
		switch {
		case r == '.' && !point:
			if groups > 0 && glen != 3 {
				return 0, false
			}
			point = true
			b = append(b, '.')
		case r == ',' && !point:
			if glen == 0 {
				return 0, false
			}
			if groups == 0 {
				first = glen
			} else {
				mid2 = mid2 && glen == 2
				mid3 = mid3 && glen == 3
			}
			groups++
			glen = 0
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	if groups > 0 && !point {
		if glen != 3 {
			return 0, false
		}
	}
	if groups > 0 && !(first <= 2 && mid2 || first <= 3 && mid3) {
		return 0, false
	}
	if exactMant && frac < len(pow10) {
		// Both operands are exact, so one division rounds correctly.
		x := float64(mant) / pow10[frac]
		if len(b) > 0 && b[0] == '-' {
			x = -x
		}
		return x, true
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}
