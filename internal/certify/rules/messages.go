package rules

import (
	"regexp"
	"strings"

	"cel.dev/cel-go/common/operators"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// CEL's checker writes for people who know CEL. Admins know their fields
// and the words of the package doc, so the commonest messages are put in
// those words: types as the schema names them (number, not double), '>='
// rather than '_>=_', and a guess at the field meant when a name is
// misspelt.

var (
	overloadRE  = regexp.MustCompile(`^found no matching overload for '([^']*)' applied to '(.*)'$`)
	receiverRE  = regexp.MustCompile(`^(.+)\.\((.*)\)$`)
	undefinedRE = regexp.MustCompile(`^undefined field '([^']*)'$`)
	typeWordRE  = regexp.MustCompile(`\b(double|int|timestamp|` + typePrefix + `(\.[a-z0-9_.]+)?)\b`)
)

// friendly rewrites one of CEL's compile messages for an admin.
func friendly(st *schemaTypes, msg string) string {
	if m := overloadRE.FindStringSubmatch(msg); m != nil {
		name, sig := m[1], typeWords(m[2])
		if name == ageFunc {
			return errs.E(errs.Invalid, opCompile, `age() takes a date, like age(candidate.dob) or age(candidate.dob, date("2025-03-31"))`).Message
		}
		if op, ok := operators.FindReverse(name); ok {
			switch {
			case name == operators.Index:
				name = "[ ]"
			case op != "":
				name = op
			}
		}
		if r := receiverRE.FindStringSubmatch(sig); r != nil {
			return errs.E(errs.Invalid, opCompile, "%q cannot be applied to a %s with (%s)", name, r[1], r[2]).Message
		}
		if mixesNumbers(name, sig) {
			return errs.E(errs.Invalid, opCompile, "%q cannot mix a number and an integer %s; next to a number field write 40.0, next to an integer field 40", name, sig).Message
		}
		return errs.E(errs.Invalid, opCompile, "%q cannot be applied to %s", name, sig).Message
	}
	if m := undefinedRE.FindStringSubmatch(msg); m != nil {
		if guess := closestName(st, m[1]); guess != "" {
			return errs.E(errs.Invalid, opCompile, "undefined field %q (did you mean %q?)", m[1], guess).Message
		}
		return errs.E(errs.Invalid, opCompile, "undefined field %q", m[1]).Message
	}
	if rest, ok := strings.CutPrefix(msg, "Syntax error: "); ok {
		if strings.HasPrefix(rest, "mismatched input '<EOF>'") {
			return errs.E(errs.Invalid, opCompile, "the condition ends too early; something is missing at the end").Message
		}
		if i := strings.Index(rest, " expecting "); i >= 0 {
			rest = rest[:i]
		}
		return errs.E(errs.Invalid, opCompile, "syntax error: %s", rest).Message
	}
	return msg
}

// typeWords renames CEL's types in s to the schema's words.
func typeWords(s string) string {
	return typeWordRE.ReplaceAllStringFunc(s, func(w string) string {
		switch w {
		case "double":
			return string(Number)
		case "int":
			return string(Integer)
		case "timestamp":
			return string(Date)
		case typePrefix:
			return "record"
		}
		return strings.TrimPrefix(w, typePrefix+".")
	})
}

// mixesNumbers reports whether arithmetic, equality or "in" was given a
// number and an integer, which CEL does not convert between (only <, <=,
// > and >= compare across them).
func mixesNumbers(op, sig string) bool {
	switch op {
	case "+", "-", "*", "/", "%", "==", "!=":
		return sig == "(number, integer)" || sig == "(integer, number)"
	case "in":
		return sig == "(number, list(integer))" || sig == "(integer, list(number))"
	}
	return false
}

// closestName returns the field name part nearest to s (at most two
// edits away, and fewer than half its letters), or "".
func closestName(st *schemaTypes, s string) string {
	if len(s) > MaxSegmentLen+2 {
		return ""
	}
	best, bestD := "", 3
	var walk func(n *node)
	walk = func(n *node) {
		for _, c := range n.children {
			if d := editDistance(s, c.name); d < bestD && 2*d < len(c.name) {
				best, bestD = c.name, d
			}
			walk(c)
		}
	}
	walk(st.root)
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (names are ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
