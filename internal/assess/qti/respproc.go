package qti

import (
	"math"
	"strconv"
	"strings"
)

// How an item's responseProcessing scores the response.
const (
	rpNone   = iota // no responseProcessing
	rpMatch         // the match_correct template
	rpMap           // the map_response template, or rules that set SCORE to mapResponse
	rpCustom        // rules of the shape "if condition then SCORE = a else SCORE = b"
)

// condition is the test a custom rule applies to the response.
type condition struct {
	kind     string // "match", "equal" (with a tolerance) or "range"
	tol      float64
	min, max float64
}

// rpInfo is what Vidya understands of an item's responseProcessing.
type rpInfo struct {
	kind       int
	correct    float64 // rpCustom: SCORE when the condition holds
	wrong      float64 // rpCustom: SCORE otherwise
	unanswered *float64
	cond       condition
}

// readRP recognises the standard templates (QTI 2.1 and 3.0 URIs and the
// bare names) and a small family of hand-written rules; anything else is
// refused rather than scored differently from the source.
func readRP(root *node, resp string) (rpInfo, error) {
	var info rpInfo
	rp := root.child("responseProcessing")
	if rp == nil {
		return info, nil
	}
	if t := strings.TrimSpace(rp.attr("template")); t != "" {
		return templateRP(t)
	}
	if t := strings.TrimSpace(rp.attr("templateLocation")); t != "" {
		return templateRP(t)
	}
	rules := rp.elems()
	if len(rules) == 0 {
		return info, nil
	}
	custom := refuse("custom responseProcessing is not supported: only the match_correct and map_response templates and simple \"if the response is correct then SCORE = a else SCORE = b\" rules can be mapped to Vidya scoring")
	scored := false
	for _, rule := range rules {
		switch rule.name {
		case "setOutcomeValue":
			if rule.attr("identifier") != "SCORE" {
				continue // feedback and other outcomes do not affect the score
			}
			ex := rule.elems()
			if scored || len(ex) != 1 || ex[0].name != "mapResponse" || ex[0].attr("identifier") != resp {
				return info, custom
			}
			info.kind, scored = rpMap, true
		case "responseCondition":
			if scored {
				return info, custom
			}
			if err := info.condition(rule, resp); err != nil {
				return info, err
			}
			scored = true
		default:
			return info, custom
		}
	}
	return info, nil
}

func templateRP(t string) (rpInfo, error) {
	name := t[strings.LastIndexByte(t, '/')+1:]
	name = strings.TrimSuffix(name, ".xml")
	switch name {
	case "match_correct":
		return rpInfo{kind: rpMatch}, nil
	case "map_response":
		return rpInfo{kind: rpMap}, nil
	}
	return rpInfo{}, refuse("response processing template %s is not supported (use match_correct or map_response)", t)
}

// condition reads one responseCondition of the supported shape.
func (info *rpInfo) condition(rc *node, resp string) error {
	custom := refuse("custom responseProcessing is not supported: only the match_correct and map_response templates and simple \"if the response is correct then SCORE = a else SCORE = b\" rules can be mapped to Vidya scoring")
	haveCorrect, haveMap := false, false
	for i, br := range rc.elems() {
		els := br.elems()
		var cond *node
		switch {
		case br.name == "responseIf" && i == 0, br.name == "responseElseIf" && i > 0:
			if len(els) == 0 {
				return custom
			}
			cond, els = els[0], els[1:]
		case br.name == "responseElse" && i > 0:
		default:
			return custom
		}
		var score *node
		for _, st := range els {
			if st.name != "setOutcomeValue" {
				return custom
			}
			if st.attr("identifier") == "SCORE" {
				if score != nil {
					return custom
				}
				score = st
			}
		}
		val, isMap, err := scoreValue(score, resp)
		if err != nil {
			return err
		}
		switch {
		case cond == nil:
			if isMap {
				haveMap = true
			} else {
				info.wrong = val
			}
		case isNull(cond, resp):
			if isMap {
				return custom
			}
			v := val
			info.unanswered = &v
		default:
			if isMap || haveCorrect {
				return custom
			}
			c, ok := readCond(cond, resp)
			if !ok {
				return custom
			}
			info.cond, info.correct, haveCorrect = c, val, true
		}
	}
	switch {
	case haveMap && !haveCorrect:
		info.kind = rpMap
	case haveCorrect && !haveMap:
		info.kind = rpCustom // with no else branch a wrong answer scores 0
	default:
		return custom
	}
	return nil
}

// scoreValue reads what a setOutcomeValue for SCORE sets: a number, or
// mapResponse. A branch that does not set SCORE leaves it at 0.
func scoreValue(st *node, resp string) (float64, bool, error) {
	if st == nil {
		return 0, false, nil
	}
	ex := st.elems()
	if len(ex) != 1 {
		return 0, false, refuse("custom responseProcessing is not supported: SCORE is set to an expression Vidya cannot map")
	}
	switch ex[0].name {
	case "baseValue":
		f, err := number(ex[0].content())
		if err != nil {
			return 0, false, refuse("SCORE is set to %q, which is not a number", strings.TrimSpace(ex[0].content()))
		}
		return f, false, nil
	case "mapResponse":
		if ex[0].attr("identifier") == resp {
			return 0, true, nil
		}
	}
	return 0, false, refuse("custom responseProcessing is not supported: SCORE is set by <%s>", ex[0].raw)
}

func isVar(n *node, name, resp string) bool {
	return n.name == name && n.attr("identifier") == resp
}

func isNull(n *node, resp string) bool {
	ops := n.elems()
	return n.name == "isNull" && len(ops) == 1 && isVar(ops[0], "variable", resp)
}

// readCond recognises match(RESPONSE, correct), equal with an absolute or
// exact tolerance, and gte/lte bounds joined by and.
func readCond(n *node, resp string) (condition, bool) {
	ops := n.elems()
	pair := func() bool {
		return len(ops) == 2 && (isVar(ops[0], "variable", resp) && isVar(ops[1], "correct", resp) ||
			isVar(ops[1], "variable", resp) && isVar(ops[0], "correct", resp))
	}
	switch n.name {
	case "match":
		return condition{kind: "match"}, pair()
	case "equal":
		if !pair() {
			return condition{}, false
		}
		mode := n.attr("toleranceMode")
		if mode == "" || mode == "exact" {
			return condition{kind: "match"}, true
		}
		if mode != "absolute" {
			return condition{}, false
		}
		if n.attr("includeLowerBound") == "false" || n.attr("includeUpperBound") == "false" {
			return condition{}, false
		}
		f := strings.Fields(n.attr("tolerance"))
		if len(f) == 0 || len(f) > 2 {
			return condition{}, false
		}
		t, err := number(f[0])
		if err != nil || t < 0 {
			return condition{}, false
		}
		if len(f) == 2 {
			if t2, err := number(f[1]); err != nil || t2 != t {
				return condition{}, false
			}
		}
		return condition{kind: "equal", tol: t}, true
	case "and":
		if len(ops) != 2 {
			return condition{}, false
		}
		c := condition{kind: "range", min: math.NaN(), max: math.NaN()}
		for _, op := range ops {
			args := op.elems()
			if len(args) != 2 || !isVar(args[0], "variable", resp) || args[1].name != "baseValue" {
				return condition{}, false
			}
			v, err := number(args[1].content())
			if err != nil {
				return condition{}, false
			}
			switch op.name {
			case "gte":
				c.min = v
			case "lte":
				c.max = v
			default:
				return condition{}, false
			}
		}
		if math.IsNaN(c.min) || math.IsNaN(c.max) {
			return condition{}, false
		}
		return c, true
	}
	return condition{}, false
}

// number parses a QTI float, refusing NaN and infinities.
func number(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
		err = strconv.ErrRange
	}
	return f, err
}

// mapping is a responseDeclaration's mapping.
type mapping struct {
	present      bool
	def          float64
	lower, upper *float64
	entries      []mapEntry
}

type mapEntry struct {
	key           string
	val           float64
	caseSensitive bool
}

func readMapping(decl *node) (mapping, error) {
	var m mapping
	mp := decl.child("mapping")
	if mp == nil {
		return m, nil
	}
	m.present = true
	var err error
	if s, ok := mp.lookup("defaultValue"); ok {
		if m.def, err = number(s); err != nil {
			return m, refuse("mapping defaultValue %q is not a number", s)
		}
	}
	for _, b := range []struct {
		name string
		p    **float64
	}{{"lowerBound", &m.lower}, {"upperBound", &m.upper}} {
		if s, ok := mp.lookup(b.name); ok {
			f, err := number(s)
			if err != nil {
				return m, refuse("mapping %s %q is not a number", b.name, s)
			}
			*b.p = &f
		}
	}
	for _, e := range mp.children("mapEntry") {
		v, err := number(e.attr("mappedValue"))
		if err != nil {
			return m, refuse("mapEntry %q has mappedValue %q, which is not a number", e.attr("mapKey"), e.attr("mappedValue"))
		}
		cs := e.attr("caseSensitive") != "false"
		m.entries = append(m.entries, mapEntry{key: e.attr("mapKey"), val: v, caseSensitive: cs})
	}
	return m, nil
}
