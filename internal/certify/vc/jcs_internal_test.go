package vc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gowebpki/jcs"
)

// canonicalize must be a drop-in for jcs.Transform: same output, same
// inputs refused. These tests hold it to the RFC 8785 examples and to
// Transform itself.

// rfc8785Cases are the examples of RFC 8785 (the test data of its reference
// implementations, cyberphone/json-canonicalization, Apache License 2.0):
// input and the canonical form the RFC gives.
var rfc8785Cases = []struct{ name, in, want string }{
	{"arrays", "[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n    \"1\": [ ]\n  }\n]\n", `[56,{"1":[],"10":null,"d":true}]`},
	{"french", "{\n  \"peach\": \"This sorting order\",\n  \"péché\": \"is wrong according to French\",\n  \"pêche\": \"but canonicalization MUST\",\n  \"sin\":   \"ignore locale\"\n}\n",
		`{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}`},
	{"structures", "{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ {\"e\": \"yes\",\"E\": \"no\" } ],\n  \"A\": { }\n}\n",
		`{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}`},
	{"unicode", "{\n  \"Unnormalized Unicode\":\"A\\u030a\"\n}\n", "{\"Unnormalized Unicode\":\"A\u030a\"}"},
	{"values", "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}\n",
		`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
	{"weird", "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"\\r\": \"Carriage Return\",\n  \"\\u000a\": \"Newline\",\n  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n  \"\\ud83d\\ude02\": \"Smiley\",\n  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"</script>\": \"Browser Challenge\"\n}\n",
		"{\"\\n\":\"Newline\",\"\\r\":\"Carriage Return\",\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u0080\":\"Control\u007f\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😂\":\"Smiley\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
	{"literals", " true ", "true"},
	{"a string", `    "this is a test string 1235"`, `"this is a test string 1235"`},
}

func TestCanonicalizeRFC8785Examples(t *testing.T) {
	for _, tc := range rfc8785Cases {
		got, err := canonicalize([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// differentialInputs are texts on which canonicalize and Transform could
// plausibly disagree.
var differentialInputs = []string{
	`{}`, `[]`, `[ ]`, `{ }`, `0`, `-0`, `-0.0`, `1`, `-1`, `123456789012345`, `1234567890123456`, `12345678901234567890`,
	`1.0`, `1e0`, `1E+2`, `1e-7`, `1e21`, `1e-6`, `0.000001`, `5e-324`, `1.7976931348623157e308`, `1e309`, `-1e309`, `1e-400`,
	`9007199254740993`, `0.1`, `100`, `01`, `-`, `1.`, `.5`, `+1`, `1e`, `1e+`, `0x10`, `1_000`, `Infinity`, `NaN`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `true1`, `[true false]`, `[1 2]`, `1 2`,
	`""`, `"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u0000\u001f\u0020\u007f"`, `"\u00e9\u20AC"`, `"\uD83D\uDE00"`,
	`"\uD83D"`, `"\uDE00"`, `"\uD83Dx"`, `"\uD83D\u0041"`, `"\uD83D\\u"`, `"\u12"`, `"\u12G4"`, `"\x"`, `"\'"`, "\"\t\"", "\"a\nb\"",
	"\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\u2028\u2029\"", "\"\U0010FFFF\"", "\"\uFFFF\uFFFE\"",
	`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a":1,}`, `[1,]`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a" 1}`, `{,}`, `[,]`, `{"a":1 "b":2}`,
	`{"b":1,"a":2,"c":{"z":[3,{"y":4,"x":5}],"\u0000":6}}`, `{"\uE000":1,"\uD800\uDC00":2,"\uFFFF":3,"\u00FF":4}`,
	`{"é":1,"e":2,"ê":3,"f":4,"E":5}`, `{"aa":1,"a":2,"":3,"a\u0000":4}`, `{"\"":1,"\\":2,"\n":3,"\u0001":4}`,
	" \t\r\n{\"a\" : [ 1 , 2 ] } \n", "{\"a\":1}\x00", "{\"a\":1}x", "\xef\xbb\xbf{}", "{\"a\":1}\u00a0", "[\"a\"\x0b]",
	`[[[[[[[[[[]]]]]]]]]]`, `{"a":{"b":{"c":{"d":{}}}}}`, `[1,[2,[3,{"b":1,"a":[{"d":1,"c":2}]}]]]`, ``, ` `, `"`, `[`, `{`, `{"`, `{"a`, `{"a":`, `["a`,
}

func TestCanonicalizeMatchesJCS(t *testing.T) {
	inputs := append([]string(nil), differentialInputs...)
	for _, tc := range rfc8785Cases {
		inputs = append(inputs, tc.in)
	}
	for _, name := range []string{"unsigned.json", "eddsa-jcs-2022/signedJCS.json", "eddsa-jcs-2022/proofConfigJCS.json"} {
		b, err := os.ReadFile(filepath.Join(vectorDir, name))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		checkSameAsJCS(t, []byte(in))
	}
}

func TestCanonicalizeRefusesDeepNesting(t *testing.T) {
	ok := strings.Repeat("[", maxCanonDepth) + strings.Repeat("]", maxCanonDepth)
	if _, err := canonicalize([]byte(ok)); err != nil {
		t.Fatalf("%d levels: %v", maxCanonDepth, err)
	}
	deep := strings.Repeat(`{"a":`, maxCanonDepth+1) + "1" + strings.Repeat("}", maxCanonDepth+1)
	if _, err := canonicalize([]byte(deep)); !errors.Is(err, errTooDeep) {
		t.Fatalf("%d levels: err = %v", maxCanonDepth+1, err)
	}
}

// checkSameAsJCS fails unless canonicalize and jcs.Transform agree on in,
// allowing only canonicalize's nesting limit.
func checkSameAsJCS(t *testing.T, in []byte) {
	t.Helper()
	want, werr := jcs.Transform(in)
	got, gerr := canonicalize(in)
	switch {
	case errors.Is(gerr, errTooDeep):
	case (werr == nil) != (gerr == nil):
		t.Errorf("%q: canonicalize err = %v, jcs err = %v", in, gerr, werr)
	case werr == nil && !bytes.Equal(got, want):
		t.Errorf("%q:\n got %s\nwant %s", in, got, want)
	}
}

// FuzzCanonicalizeMatchesJCS compares canonicalize with jcs.Transform on
// arbitrary input.
func FuzzCanonicalizeMatchesJCS(f *testing.F) {
	for _, in := range differentialInputs {
		f.Add([]byte(in))
	}
	for _, tc := range rfc8785Cases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkSameAsJCS(t, in)
	})
}
