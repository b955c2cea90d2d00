package vc

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/gowebpki/jcs"
)

// The splicing helpers must agree with the canonicaliser: cutting members
// out of canonical text and sorting them again gives what jcs gives for the
// changed object.

const awkwardObject = `{"@context":["x"],"\ud83d\ude00":1,"\uffff":{"a":"}"},"a\"b":[3,"]"],"!":4,"€":5,"\u0001":"\\","":null,"proof":{"z":true},"aa":"a\\\"}"}`

func TestSortMembersMatchesJCS(t *testing.T) {
	canon, err := jcs.Transform([]byte(awkwardObject))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := members(canon)
	if err != nil {
		t.Fatal(err)
	}
	if got := writeObject(nil, ms); !bytes.Equal(got, canon) {
		t.Fatalf("members/writeObject do not round-trip:\n got %s\nwant %s", got, canon)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		shuffled := append([]member(nil), ms...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		sortMembers(shuffled)
		if got := writeObject(nil, shuffled); !bytes.Equal(got, canon) {
			t.Fatalf("sortMembers order differs from JCS:\n got %s\nwant %s", got, canon)
		}
	}
}

func TestRemoveMemberMatchesJCS(t *testing.T) {
	canon, err := jcs.Transform([]byte(awkwardObject))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := members(canon)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		rest := append(append([]member(nil), ms[:i]...), ms[i+1:]...)
		want := writeObject(nil, rest)
		if got := removeMember(canon, ms, i); !bytes.Equal(got, want) {
			t.Errorf("removing %s:\n got %s\nwant %s", ms[i].rawName, got, want)
		}
	}
	one := []byte(`{"proof":1}`)
	oms, _ := members(one)
	if got := removeMember(one, oms, 0); string(got) != "{}" {
		t.Errorf("removing the only member gives %s", got)
	}
}

func TestAppendJCSStringMatchesJCS(t *testing.T) {
	for _, s := range []string{"", "plain", "\"quoted\\\"", "\x00\x01\x1f\b\f\n\r\t", "\u2028\u2029\x7f", "डॉक्टर 😀", "</script>"} {
		want, err := jcs.Transform([]byte(`"` + jsonEscape(s) + `"`))
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJCSString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}

// jsonEscape escapes s with \u escapes only, so the canonicaliser has to
// choose the escaping itself.
func jsonEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		if r < 0x20 || r == '"' || r == '\\' {
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[r>>4])
			b.WriteByte("0123456789abcdef"[r&0xf])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestMembersRejectsNonCanonicalText(t *testing.T) {
	for _, in := range []string{``, `{`, `[]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":1}x`, `{"a":"x}`, `{"a":[1}`, `{a:1}`} {
		if _, err := members([]byte(in)); err == nil {
			t.Errorf("members(%q) succeeded", in)
		}
	}
}
