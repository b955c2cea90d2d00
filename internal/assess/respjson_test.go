package assess

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeResponseMatchesEncodingJSON(t *testing.T) {
	for _, r := range []Response{
		{}, {Choices: []string{"B"}}, {Choices: []string{"A", "C"}},
		{Pairs: map[string]string{"a": "1", "b": "2"}}, {Text: "42.5"}, {Text: "पानी \"उबलता\" है\n\t\\ \u2028 <b>"},
		{Choices: []string{"x"}, Text: "both"},
	} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var fast Response
		if !fastResponse(b, &fast) && r.Text == "" {
			t.Errorf("%s: not taken by the fast path", b)
		}
		var got Response
		if err := decodeResponse(b, &got); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("%s: got %+v, %v; want %+v", b, got, err, r)
		}
	}
}

// FuzzDecodeResponse checks the fast path never disagrees with
// encoding/json: whatever it accepts, encoding/json reads the same.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{`{"choices":["B"]}`, `{"pairs":{"a":"1"}}`, `{"text":"x\"y"}`, `{}`, `{"choices":[]}`, `{"text":"\u00e9"}`, `{"choices":["A","A"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast Response
		if !fastResponse(b, &fast) {
			return
		}
		var want Response
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%q: fast path took what encoding/json refuses: %v", b, err)
		}
		if !reflect.DeepEqual(fast, want) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", b, fast, want)
		}
	})
}

func BenchmarkDecodeResponse(b *testing.B) {
	raw := []byte(`{"choices":["B"]}`)
	b.Run("fast", func(b *testing.B) {
		var r Response
		for b.Loop() {
			_ = decodeResponse(raw, &r)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var r Response
		for b.Loop() {
			_ = json.Unmarshal(raw, &r)
		}
	})
}
