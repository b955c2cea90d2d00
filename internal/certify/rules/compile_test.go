package rules_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// rule returns a rule with a name and message around expr.
func rule(name, expr string) rules.Rule {
	return rules.Rule{Name: name, Expr: expr, Message: name + " is not met"}
}

// compileProblems compiles rs and returns its problems, failing the test
// when it compiles.
func compileProblems(t *testing.T, schema []rules.Field, rs ...rules.Rule) []rules.Problem {
	t.Helper()
	set, err := rules.Compile(schema, rs)
	if err == nil {
		t.Fatalf("compiled %d rules, want an error", len(set.Rules()))
	}
	var ce *rules.CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v, want a *CompileError", err, err)
	}
	if !errs.Is(err, errs.Invalid) {
		t.Errorf("the error is not of kind invalid: %v", err)
	}
	return ce.Problems
}

func TestCompileRefusesWithPosition(t *testing.T) {
	tests := []struct {
		name      string
		expr      string
		line, col int
		want      string
	}{
		{"a misspelt field is an undefined field", "result.percnt >= 40", 1, 7, `undefined field "percnt" (did you mean "percent"?)`},
		{"a misspelt field deep down is an undefined field", "candidate.address.cty == \"Pune\"", 1, 18, `undefined field "cty" (did you mean "city"?)`},
		{"a field far from any name gets no guess", "result.zzzzzz >= 40", 1, 7, `undefined field "zzzzzz"`},
		{"a misspelt top-level name is undeclared", "attendence >= 0.75", 1, 1, "undeclared reference to 'attendence' (did you mean 'attendance'?)"},
		{"a number compared with text is a type error", `result.percent >= "40"`, 1, 16, `">=" cannot be applied to (number, string)`},
		{"a date compared with text is a type error", `candidate.dob > "2010-01-01"`, 1, 15, `">" cannot be applied to (date, string)`},
		{"text compared with a number is a type error", `candidate.name == 3`, 1, 16, `"==" cannot be applied to (string, integer)`},
		{"indexing text is a type error", `candidate.name[0] == "A"`, 1, 15, `"[ ]" cannot be applied to (string, integer)`},
		{"a method on the wrong type is a type error", `candidate.name.startsWith(1)`, 1, 26, `"startsWith" cannot be applied to a string with (integer)`},
		{"mixing number and integer in arithmetic is explained", `result.percent + 5 > 50.0`, 1, 16, `"+" cannot mix a number and an integer (number, integer); next to a number field write 40.0`},
		{"an integer in a number's equality is explained", `result.percent == 72`, 1, 16, `"==" cannot mix a number and an integer`},
		{"a decimal in an integer's equality is explained", `result.rank != 3.0`, 1, 13, `"!=" cannot mix a number and an integer (integer, number)`},
		{"a list of integers for a number is explained", `result.percent in [40, 50]`, 1, 16, `"in" cannot mix a number and an integer`},
		{"age of text is explained", `age(candidate.name) >= 14`, 1, 4, "age() takes a date"},
		{"the error is on its own line", "result.percent >= 40 &&\n  candidate.nme == \"x\"", 2, 12, `undefined field "nme"`},
		{"a syntax error is located", "result.percent >= 40 &&", 1, 24, "the condition ends too early"},
		{"an unknown function is undeclared", "foo(result.percent)", 1, 4, "undeclared reference to 'foo'"},
		{"has() of something not a field is refused", "has(1)", 1, 5, "has() takes a field"},
		{"has() of an unknown name is refused", "has(roll)", 1, 5, "roll is not one"},
		{"a date literal that does not exist is refused", `candidate.dob < date("2025-02-30")`, 1, 22, `"2025-02-30" is not a date`},
		{"building a record is refused", `Vidya.candidate{name: "x"} == candidate`, 1, 16, "cannot build a Vidya.candidate value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := compileProblems(t, sampleSchema, rule("r", tt.expr))
			if len(ps) != 1 {
				t.Fatalf("got %d problems %v, want 1", len(ps), ps)
			}
			p := ps[0]
			if p.Rule != "r" || p.Index != 0 || p.Part != "expr" {
				t.Errorf("problem is about rule %q (#%d) %s, want r (#0) expr", p.Rule, p.Index, p.Part)
			}
			if p.Line != tt.line || p.Column != tt.col {
				t.Errorf("at %d:%d, want %d:%d", p.Line, p.Column, tt.line, tt.col)
			}
			if !strings.Contains(p.Message, tt.want) {
				t.Errorf("message %q does not say %q", p.Message, tt.want)
			}
		})
	}
}

func TestCompileRefusesRulesThatAreNotTrueOrFalse(t *testing.T) {
	for expr, typ := range map[string]string{
		"result.percent":      "number",
		"result.rank + 1":     "integer",
		"candidate":           "candidate",
		"candidate.dob":       "date",
		`[candidate.name]`:    "list(string)",
		"dyn(result.percent)": "dyn",
		`"yes"`:               "string",
	} {
		t.Run(expr+" is not a condition", func(t *testing.T) {
			ps := compileProblems(t, sampleSchema, rule("r", expr))
			if len(ps) != 1 || !strings.Contains(ps[0].Message, "must be true or false; it gives a value of type "+typ) {
				t.Errorf("got %v, want one problem naming type %s", ps, typ)
			}
		})
	}
}

func TestCompileReportsEveryProblemAtOnce(t *testing.T) {
	ps := compileProblems(t, sampleSchema,
		rule("pass", "result.percent >= 40"),
		rules.Rule{Name: "", Expr: "result.percnt > 1.0", Message: "m"},
		rules.Rule{Name: "pass", Expr: `attendance >= "x"`, Message: ""},
		rule("fine", "has(candidate.dob)"),
		rule("bad syntax", "(("),
	)
	type key struct {
		index int
		part  string
	}
	got := map[key]bool{}
	for _, p := range ps {
		got[key{p.Index, p.Part}] = true
	}
	for _, k := range []key{{1, "name"}, {1, "expr"}, {2, "name"}, {2, "expr"}, {2, "message"}, {4, "expr"}} {
		if !got[k] {
			t.Errorf("no problem for rule %d %s in %v", k.index, k.part, ps)
		}
	}
	for _, p := range ps {
		if p.Index == 0 || p.Index == 3 {
			t.Errorf("a good rule has a problem: %+v", p)
		}
	}
}

func TestCompileErrorCarriesFieldsForTheAPI(t *testing.T) {
	_, err := rules.Compile(sampleSchema, []rules.Rule{
		rule("ok", "true"),
		rule("typo", "result.percnt >= 40 && result.rnk > 1"),
	})
	e := errs.As(err)
	if e == nil || e.Kind != errs.Invalid {
		t.Fatalf("got %v, want an invalid-input error", err)
	}
	if msg, want := e.Fields["rules.1.expr"], `line 1, column 7: undefined field "percnt" (did you mean "percent"?)`; msg != want {
		t.Errorf("rules.1.expr = %q, want the first problem, %q", msg, want)
	}
	var ce *rules.CompileError
	if !errors.As(err, &ce) || len(ce.Problems) != 2 || ce.Problems[1].Column != 30 || !strings.Contains(ce.Problems[1].Message, `"rnk"`) {
		t.Errorf("problems: %+v, want both misspellings", ce)
	}
	if _, ok := e.Fields["rules.0.expr"]; ok {
		t.Error("the good rule has a field message")
	}
	if s := err.Error(); !strings.Contains(s, `rule 2 ("typo") expr: 1:7: undefined field`) {
		t.Errorf("Error() = %s", s)
	}
}

func TestCompileLimits(t *testing.T) {
	t.Run("too many rules are refused", func(t *testing.T) {
		var rs []rules.Rule
		for i := range rules.MaxRules + 1 {
			rs = append(rs, rule(strings.Repeat("r", i+1), "true"))
		}
		_, err := rules.Compile(sampleSchema, rs)
		if err == nil || err.Error() != "certify: compile rules: give at most 50 rules" {
			t.Fatalf("got %v", err)
		}
		ps := compileProblems(t, sampleSchema, rs...)
		if len(ps) != 1 || ps[0].Index != -1 || ps[0].Part != "" {
			t.Errorf("got %v", ps)
		}
		if e := errs.As(err); e.Fields["rules"] != "give at most 50 rules" {
			t.Errorf("fields: %v", e.Fields)
		}
	})
	t.Run("fifty rules are accepted", func(t *testing.T) {
		var rs []rules.Rule
		for i := range rules.MaxRules {
			rs = append(rs, rule(strings.Repeat("r", i+1), "result.percent >= 40"))
		}
		if _, err := rules.Compile(sampleSchema, rs); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a condition over 2,000 characters is refused", func(t *testing.T) {
		expr := "true" + strings.Repeat(" ", rules.MaxExprLen-4) + "&& true"
		ps := compileProblems(t, sampleSchema, rule("long", expr))
		if len(ps) != 1 || !strings.Contains(ps[0].Message, "at most 2000 characters") {
			t.Errorf("got %v", ps)
		}
	})
	t.Run("a condition of 2,000 characters in Devanagari is accepted", func(t *testing.T) {
		lit := strings.Repeat("अ", rules.MaxExprLen-len(`candidate.name != ""`))
		if _, err := rules.Compile(sampleSchema, []rules.Rule{rule("long", `candidate.name != "`+lit+`"`)}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("deep nesting is refused, not a crash", func(t *testing.T) {
		expr := strings.Repeat("(", 600) + "true" + strings.Repeat(")", 600)
		compileProblems(t, sampleSchema, rule("deep", expr))
	})
	t.Run("a long name and message are refused", func(t *testing.T) {
		ps := compileProblems(t, sampleSchema, rules.Rule{Name: strings.Repeat("n", 101), Expr: "true", Message: strings.Repeat("m", 501)})
		if len(ps) != 2 {
			t.Errorf("got %v, want problems with the name and the message", ps)
		}
	})
	t.Run("a name on two lines is refused", func(t *testing.T) {
		compileProblems(t, sampleSchema, rules.Rule{Name: "a\nb", Expr: "true", Message: "m"})
	})
	t.Run("an empty condition is refused", func(t *testing.T) {
		ps := compileProblems(t, sampleSchema, rule("empty", "  "))
		if len(ps) != 1 || ps[0].Message != "write the rule's condition" {
			t.Errorf("got %v", ps)
		}
	})
	t.Run("a regular expression that does not compile is refused", func(t *testing.T) {
		ps := compileProblems(t, sampleSchema, rule("re", `candidate.name.matches("(((a")`))
		if len(ps) != 1 || !strings.Contains(ps[0].Message, "missing closing )") {
			t.Errorf("got %v", ps)
		}
	})
}

func TestHiddenNamesCannotBeWritten(t *testing.T) {
	for _, expr := range []string{"@record.attendance > 1.0", "@today == today", "age(candidate.dob, @today) > 1"} {
		if _, err := rules.Compile(sampleSchema, []rules.Rule{rule("r", expr)}); err == nil {
			t.Errorf("%s compiled", expr)
		}
	}
}

func TestCompileRefusesABadSchema(t *testing.T) {
	_, err := rules.Compile([]rules.Field{{Name: "Bad Name", Type: rules.String}}, nil)
	if !errs.Is(err, errs.Invalid) || errs.As(err).Fields["fields.0.name"] == "" {
		t.Errorf("got %v, want the schema's error", err)
	}
}

func TestCompileAcceptsNoRules(t *testing.T) {
	rs, err := rules.Compile(sampleSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules()) != 0 || len(rs.Schema()) != len(sampleSchema) {
		t.Errorf("got %d rules and %d fields", len(rs.Rules()), len(rs.Schema()))
	}
}

// TestDocExamplesCompile keeps the package doc honest: every condition it
// shows compiles against a schema with the fields it names.
func TestDocExamplesCompile(t *testing.T) {
	schema := []rules.Field{
		{Name: "candidate.name", Type: rules.String},
		{Name: "candidate.dob", Type: rules.Date},
		{Name: "candidate.repeater", Type: rules.Bool},
		{Name: "candidate.roll_no", Type: rules.String},
		{Name: "candidate.email", Type: rules.String},
		{Name: "result.percent", Type: rules.Number},
		{Name: "result.grade", Type: rules.String},
		{Name: "result.theory", Type: rules.Number},
		{Name: "result.practical", Type: rules.Number},
		{Name: "result.rank", Type: rules.Integer},
		{Name: "result.declared", Type: rules.Date},
		{Name: "attendance", Type: rules.Number},
	}
	examples := []string{
		`result.percent >= 40`,
		`result.percent >= 40 && attendance >= 0.75`,
		`result.grade == "A" || result.grade == "B"`,
		`!candidate.repeater`,
		`result.grade in ["A", "B", "C"]`,
		`candidate.name != ""`,
		`(result.theory + result.practical) / 2.0 >= 33.0`,
		`result.percent >= 90 ? result.grade == "A" : true`,
		`result.percent + 5.0 > 50.0`,
		`result.percent == 100.0`,
		`result.rank == 1`,
		`double(result.rank) > 0.5`,
		`int(result.percent) > 1`,
		`size(candidate.name) >= 3`,
		`candidate.roll_no.startsWith("MH")`,
		`candidate.roll_no.matches("^[A-Z]{2}[0-9]{8}$")`,
		`candidate.name.trim() != ""`,
		`candidate.email.indexOf("@") > 0`,
		`candidate.dob < date("2012-04-01")`,
		`result.declared <= today`,
		`age(candidate.dob) >= 14`,
		`age(candidate.dob, date("2025-03-31")) >= 14`,
		`candidate.dob.getFullYear() >= 2005`,
		`has(candidate.email)`,
		`has(attendance)`,
		`!has(candidate.dob) || age(candidate.dob) >= 14`,
	}
	for _, e := range examples {
		if _, err := rules.Compile(schema, []rules.Rule{rule("example", e)}); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
}
