package rules_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/rules"
)

// FuzzCompile feeds arbitrary conditions to Compile: it must never panic
// or hang, a refusal must be a *CompileError with located, non-empty
// problems, and a rule that compiles must evaluate (within the cost limit)
// to pass or one failure of that rule on any record.
func FuzzCompile(f *testing.F) {
	seeds := []string{
		"result.percent >= 40",
		"result.percnt >= 40",
		`result.percent >= "40"`,
		"result.percent >= 40 && attendance >= 0.75 && has(candidate.dob)",
		`!has(candidate.dob) || age(candidate.dob) >= 14`,
		`age(candidate.dob, date("2025-03-31")) >= 14`,
		`candidate.dob < date("2025-02-30")`,
		`candidate.name.matches("^[A-Z]+$") && candidate.name.lowerAscii().size() > 2`,
		`candidate.address.city in ["Pune", "Delhi"]`,
		`result.rank / 0 == 1`,
		`has(attendance) ? attendance > 0.5 : true`,
		`Vidya.candidate{name: "x"} == candidate`,
		`type(candidate) == Vidya.candidate`,
		runaway,
		"((((((",
		"\"\\u",
		"1 +",
		`candidate.name.split(" ").all(p, p.size() > 1)`,
		`[1,2,3].map(x, x * 2).exists(y, y == 4)`,
		`candidate.name.format([1])`,
		`dyn(candidate) == candidate`,
		`@record.attendance > 1.0`,
		`{"a": 1}["b"] == 1`,
		`timestamp("2025-01-01T00:00:00Z") < today`,
		`duration("1h") > duration("1m")`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	full := mustCoerce(f, sampleSchema, asha)
	few := mustCoerce(f, sampleSchema, sparse)
	odd := rules.Record{"result.percent": rules.StringValue("x"), "candidate.dob": rules.AbsentValue(rules.Date)}
	f.Fuzz(func(t *testing.T, expr string) {
		rs, err := rules.Compile(sampleSchema, []rules.Rule{{Name: "r", Expr: expr, Message: "m"}})
		if err != nil {
			var ce *rules.CompileError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("%q: got %T %v, want problems", expr, err, err)
			}
			for _, p := range ce.Problems {
				if p.Index != 0 || p.Part != "expr" || strings.TrimSpace(p.Message) == "" || p.Line < 0 || p.Column < 0 {
					t.Fatalf("%q: bad problem %+v", expr, p)
				}
			}
			return
		}
		for _, rec := range []rules.Record{full, few, odd, nil} {
			got := rs.Evaluate(rec, issueDay)
			if len(got) > 1 || len(got) == 1 && (got[0].Rule != "r" || got[0].Message == "") {
				t.Fatalf("%q: got %v", expr, got)
			}
		}
	})
}

// FuzzCoerce feeds arbitrary cells to Coerce for every type: it must
// never panic; a refused cell gives one error and an absent value; an
// accepted one is present, of the field's type, and reads back the same
// from its String form.
func FuzzCoerce(f *testing.F) {
	for _, s := range []string{"72.5", "72,5", "NaN", "Inf", "1e400", "-0", "007", "yes", "No", "2025-02-30",
		"29/02/2024", "5/3/2008", "0000-01-01", "9999-12-31", " आशा ", "\xff", "", "1_0", "0x10", ".5", "5."} {
		for typ := range uint8(len(rules.Types)) {
			f.Add(typ, s)
		}
	}
	f.Fuzz(func(t *testing.T, typ uint8, cell string) {
		ft := rules.Types[int(typ)%len(rules.Types)]
		schema := []rules.Field{{Name: "f", Type: ft, Required: true}}
		rec, bad := rules.Coerce(schema, map[string]string{"f": cell})
		v := rec["f"]
		if v.Type() != ft {
			t.Fatalf("%s %q: value of type %s", ft, cell, v.Type())
		}
		if len(bad) > 0 {
			if len(bad) != 1 || bad[0].Field != "f" || bad[0].Message == "" || v.Present() {
				t.Fatalf("%s %q: errors %v, value present %v", ft, cell, bad, v.Present())
			}
			return
		}
		if !v.Present() {
			t.Fatalf("%s %q: accepted but absent", ft, cell)
		}
		again, bad := rules.Coerce(schema, map[string]string{"f": v.String()})
		if len(bad) > 0 || again["f"].String() != v.String() {
			t.Fatalf("%s %q: read as %q, which reads back as %q %v", ft, cell, v.String(), again["f"].String(), bad)
		}
		if ft == rules.Date {
			d := v.Time()
			if d.Hour() != 0 || d.Minute() != 0 || d.Location().String() != "UTC" {
				t.Fatalf("%q: date %v is not midnight UTC", cell, d)
			}
		}
	})
}
