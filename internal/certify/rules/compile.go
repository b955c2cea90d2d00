package rules

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Limits on rules.
const (
	MaxRules      = 50    // rules in one set
	MaxExprLen    = 2_000 // characters in one rule's expression
	MaxNameLen    = 100   // characters in a rule's name
	MaxMessageLen = 500   // characters in a rule's message
	// MaxCost bounds the work one rule may do on one record, in CEL's cost
	// units (about one per operation, comparison or loop step). A simple
	// comparison costs a few units; a rule that needs more than MaxCost
	// fails on that record instead of running on.
	MaxCost = 10_000
	// interruptEvery is how many loop steps pass between checks of the
	// context in EvaluateContext.
	interruptEvery = 100
)

const opCompile = "certify: compile rules"

// Rule is a condition every record must meet, written by an authority's
// admin as a CEL expression over the schema's fields.
type Rule struct {
	// Name identifies the rule in reports: "pass mark".
	Name string
	// Expr is the condition, true when the record passes:
	// `result.percent >= 40 && attendance >= 0.75`.
	Expr string
	// Message is shown to the admin for each record that fails the rule:
	// "scored below the pass mark".
	Message string
}

// Problem is one thing wrong with a rule, found by Compile.
type Problem struct {
	// Index is the rule's position in the list, from 0; -1 for a problem
	// with the list as a whole (too many rules).
	Index int
	Rule  string // the rule's name as given
	// Part is what the problem is in: "name", "expr" or "message"; "" for
	// the list as a whole.
	Part string
	// Line and Column locate a problem in the expression, from 1; both
	// are 0 when the problem is about the rule as a whole.
	Line, Column int
	Message      string
}

// CompileError lists every problem Compile found, in rule order. It
// unwraps to an *errs.Error of kind errs.Invalid whose fields
// ("rules.3.expr") carry the same messages, for the HTTP layer.
type CompileError struct {
	Problems []Problem
	invalid  *errs.Error
}

// Error lists the problems, one per rule part.
func (e *CompileError) Error() string {
	var b strings.Builder
	b.WriteString(opCompile)
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if p.Index >= 0 {
			fmt.Fprintf(&b, "rule %d (%q) %s: ", p.Index+1, p.Rule, p.Part)
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// Unwrap returns the problems as an invalid-input error.
func (e *CompileError) Unwrap() error { return e.invalid }

// problems collects a rule set's problems.
type problems struct {
	list []Problem
}

func (ps *problems) add(i int, r Rule, part string, e *errs.Error) {
	ps.list = append(ps.list, Problem{Index: i, Rule: r.Name, Part: part, Message: e.Message})
}

// err returns a *CompileError listing the problems, or nil. Its fields
// keep the first problem of each rule part, as errs.Validation does, so
// that each stays one translatable message; Problems has them all.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	fields := map[string]string{}
	for _, p := range ps.list {
		key := fmt.Sprintf("rules.%d.%s", p.Index, p.Part)
		if p.Index < 0 {
			key = "rules"
		}
		if _, ok := fields[key]; ok {
			continue
		}
		msg := p.Message
		if p.Line > 0 {
			msg = errs.E(errs.Invalid, opCompile, "line %d, column %d: %s", p.Line, p.Column, p.Message).Message
		}
		fields[key] = msg
	}
	return &CompileError{
		Problems: ps.list,
		invalid:  &errs.Error{Kind: errs.Invalid, Op: opCompile, Message: "some rules are not valid", Fields: fields},
	}
}

// RuleSet is a schema's rules, compiled and ready to evaluate. It is safe
// for concurrent use.
type RuleSet struct {
	schema []Field
	types  *schemaTypes
	rules  []compiled
	pool   sync.Pool // of *activation
	today  atomic.Pointer[todayCache]
}

// compiled is one rule ready to run.
type compiled struct {
	rule Rule
	prg  cel.Program
}

// todayCache keeps the CEL value of the last evaluation date, so that
// evaluating many records on one day builds it once.
type todayCache struct {
	y, m, d int
	val     ref.Val
}

// Schema returns the fields the rule set was compiled for.
func (rs *RuleSet) Schema() []Field { return slices.Clone(rs.schema) }

// Rules returns the rules, in the order given.
func (rs *RuleSet) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, c := range rs.rules {
		out[i] = c.rule
	}
	return out
}

// Compile checks schema (as ValidateSchema does) and compiles rules over
// it. Each rule needs a name (unique in the set), a message and an
// expression of at most MaxExprLen characters that type-checks against the
// schema and is true or false. Every problem in every rule is reported at
// once, as a *CompileError.
func Compile(schema []Field, rules []Rule) (*RuleSet, error) {
	if err := ValidateSchema(schema); err != nil {
		return nil, err
	}
	st := buildTypes(schema)
	env, err := newEnv(st)
	if err != nil {
		return nil, fmt.Errorf("%s: build environment: %w", opCompile, err)
	}
	rs := &RuleSet{schema: slices.Clone(schema), types: st}
	rs.pool.New = func() any { return newActivation(st) }

	var ps problems
	if len(rules) > MaxRules {
		// Compiling them all first would only let a huge list cost time.
		ps.list = append(ps.list, Problem{Index: -1, Message: errs.E(errs.Invalid, opCompile, "give at most %d rules", MaxRules).Message})
		return nil, ps.err()
	}
	names := map[string]int{}
	for i, r := range rules {
		switch {
		case strings.TrimSpace(r.Name) == "":
			ps.add(i, r, "name", errs.E(errs.Invalid, opCompile, "give the rule a name"))
		case !plainText(r.Name, MaxNameLen):
			ps.add(i, r, "name", errs.E(errs.Invalid, opCompile, "a rule's name must be at most %d characters, on one line", MaxNameLen))
		default:
			if j, dup := names[r.Name]; dup {
				ps.add(i, r, "name", errs.E(errs.Invalid, opCompile, "rule %d has the same name", j+1))
			} else {
				names[r.Name] = i
			}
		}
		switch {
		case strings.TrimSpace(r.Message) == "":
			ps.add(i, r, "message", errs.E(errs.Invalid, opCompile, "give the message to show when a record fails the rule"))
		case !plainText(r.Message, MaxMessageLen):
			ps.add(i, r, "message", errs.E(errs.Invalid, opCompile, "a rule's message must be at most %d characters, on one line", MaxMessageLen))
		}
		prg, ok := compileExpr(env, st, i, r, &ps)
		if ok {
			rs.rules = append(rs.rules, compiled{rule: r, prg: prg})
		}
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return rs, nil
}

// plainText reports whether s is valid UTF-8 of at most max characters
// without control characters.
func plainText(s string, max int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	return strings.IndexFunc(s, unicode.IsControl) < 0
}

// compileExpr parses, checks and plans one rule's expression, adding what
// is wrong with it to ps.
func compileExpr(env *cel.Env, st *schemaTypes, i int, r Rule, ps *problems) (cel.Program, bool) {
	switch {
	case strings.TrimSpace(r.Expr) == "":
		ps.add(i, r, "expr", errs.E(errs.Invalid, opCompile, "write the rule's condition"))
		return nil, false
	case !utf8.ValidString(r.Expr):
		ps.add(i, r, "expr", errs.E(errs.Invalid, opCompile, "the condition is not valid text (it must be UTF-8)"))
		return nil, false
	case utf8.RuneCountInString(r.Expr) > MaxExprLen:
		ps.add(i, r, "expr", errs.E(errs.Invalid, opCompile, "the condition must be at most %d characters", MaxExprLen))
		return nil, false
	}
	checked, iss := env.Compile(r.Expr)
	if iss.Err() != nil {
		for _, e := range iss.Errors() {
			ps.list = append(ps.list, celProblem(st, i, r, e))
		}
		return nil, false
	}
	if t := checked.OutputType(); !t.IsExactType(types.BoolType) {
		ps.add(i, r, "expr", errs.E(errs.Invalid, opCompile, "the condition must be true or false; it gives a value of type %s", typeWords(cel.FormatCELType(t))))
		return nil, false
	}
	before := len(ps.list)
	checkLiterals(checked.NativeRep(), i, r, ps)
	if len(ps.list) > before {
		return nil, false
	}
	prg, err := env.Program(checked,
		cel.CostLimit(MaxCost),
		cel.InterruptCheckFrequency(interruptEvery),
		cel.EvalOptions(cel.OptOptimize),
	)
	if err != nil {
		// Planning fails on what the checker let through, such as a
		// constant regular expression that does not compile.
		ps.add(i, r, "expr", errs.E(errs.Invalid, opCompile, "the condition cannot be run: %v", err))
		return nil, false
	}
	return prg, true
}

// celProblem turns one of CEL's errors into a Problem with a 1-based
// position.
func celProblem(st *schemaTypes, i int, r Rule, e *cel.Error) Problem {
	p := Problem{Index: i, Rule: r.Name, Part: "expr", Message: friendly(st, e.Message)}
	if e.Location != nil && e.Location.Line() > 0 {
		p.Line, p.Column = e.Location.Line(), e.Location.Column()+1
	}
	return p
}

// checkLiterals finds what the checker allows but a rule must not do:
// date() of a literal that is not a date, and building a struct value.
func checkLiterals(a *ast.AST, i int, r Rule, ps *problems) {
	info := a.SourceInfo()
	at := func(e ast.Expr, err *errs.Error) {
		p := Problem{Index: i, Rule: r.Name, Part: "expr", Message: err.Message}
		if loc := info.GetStartLocation(e.ID()); loc.Line() > 0 {
			p.Line, p.Column = loc.Line(), loc.Column()+1
		}
		ps.list = append(ps.list, p)
	}
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		switch e.Kind() {
		case ast.StructKind:
			at(e, errs.E(errs.Invalid, opCompile, "a rule cannot build a %s value; compare fields instead", e.AsStruct().TypeName()))
		case ast.CallKind:
			c := e.AsCall()
			if c.FunctionName() != dateFunc || c.IsMemberFunction() || len(c.Args()) != 1 {
				return
			}
			arg := c.Args()[0]
			if arg.Kind() != ast.LiteralKind {
				return
			}
			if s, ok := arg.AsLiteral().(types.String); ok {
				if _, ok := ParseDate(string(s)); !ok {
					at(arg, errs.E(errs.Invalid, opCompile, "%q is not a date; write it as YYYY-MM-DD, and check the day exists", clip(string(s))))
				}
			}
		}
	}))
}

// Names of the functions rules get beside CEL's own.
const (
	dateFunc = "date"
	ageFunc  = "age"
)

// newEnv builds the CEL environment of a schema: its fields as typed
// variables and objects, today, date(), age(), the standard library and
// the strings extension.
func newEnv(st *schemaTypes) (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ParserExpressionSizeLimit(MaxExprLen),
		cel.RegexProgramSizeLimit(1_000),
		ext.Strings(),
		cel.Variable(rootVar, st.root.celType),
		cel.Variable(Today, types.TimestampType),
		cel.Variable(todayVar, types.TimestampType),
		cel.Macros(
			cel.GlobalMacro(hasMacro, 1, expandHas(st)),
			cel.GlobalMacro(ageFunc, 1, expandAge),
		),
		cel.Function(dateFunc,
			cel.Overload("vidya_date_string", []*types.Type{types.StringType}, types.TimestampType,
				cel.UnaryBinding(dateOf))),
		cel.Function(ageFunc,
			cel.Overload("vidya_age_timestamp_timestamp", []*types.Type{types.TimestampType, types.TimestampType}, types.IntType,
				cel.BinaryBinding(ageOn))),
	}
	for _, t := range st.objs {
		opts = append(opts, cel.Types(t))
	}
	for _, n := range st.root.children {
		opts = append(opts, cel.Variable(n.name, n.celType))
	}
	return cel.NewEnv(opts...)
}

// hasMacro is the name of CEL's presence test.
const hasMacro = "has"

// expandHas replaces CEL's has() so that it also takes a top-level field
// by itself, has(attendance), which becomes a test on the hidden root.
func expandHas(st *schemaTypes) cel.MacroFactory {
	return func(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
		switch a := args[0]; a.Kind() {
		case ast.SelectKind:
			s := a.AsSelect()
			return eh.NewPresenceTest(s.Operand(), s.FieldName()), nil
		case ast.IdentKind:
			if _, ok := st.top[a.AsIdent()]; ok {
				return eh.NewPresenceTest(eh.NewIdent(rootVar), a.AsIdent()), nil
			}
			return nil, eh.NewError(a.ID(), fmt.Sprintf("has() takes a field, and %s is not one", a.AsIdent()))
		}
		return nil, eh.NewError(args[0].ID(), "has() takes a field, like has(candidate.dob)")
	}
}

// expandAge turns age(dob) into age(dob, today).
func expandAge(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
	return eh.NewCall(ageFunc, args[0], eh.NewIdent(todayVar)), nil
}

// dateOf implements date(s).
func dateOf(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	t, ok := ParseDate(string(s))
	if !ok {
		return types.WrapErr(errs.E(errs.Invalid, "", "%q is not a date; write it as YYYY-MM-DD", clip(string(s))))
	}
	return types.Timestamp{Time: t}
}

// ageOn implements age(dob, on): the whole years from dob to on, as
// birthdays count them (someone born on 29 February turns a year older on
// 1 March in other years). It is negative when on is before dob.
func ageOn(dob, on ref.Val) ref.Val {
	b, ok1 := dob.(types.Timestamp)
	o, ok2 := on.(types.Timestamp)
	if !ok1 || !ok2 {
		return types.NoSuchOverloadErr()
	}
	return types.Int(yearsBetween(b.Time.UTC(), o.Time.UTC()))
}
