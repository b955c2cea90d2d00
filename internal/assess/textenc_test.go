package assess_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func utf16Bytes(s string, bigEndian bool) []byte {
	var b []byte
	if bigEndian {
		b = []byte{0xFE, 0xFF}
	} else {
		b = []byte{0xFF, 0xFE}
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

func TestDecodeText(t *testing.T) {
	const text = "प्रश्न,question\r\nक,é,😀\n"
	long := strings.Repeat("अ", 40_000) // crosses the checker's buffer in mid-character
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"UTF-8", []byte(text), text},
		{"UTF-8 with a byte-order mark", append([]byte{0xEF, 0xBB, 0xBF}, text...), text},
		{"UTF-16 little-endian with a byte-order mark", utf16Bytes(text, false), text},
		{"UTF-16 big-endian with a byte-order mark", utf16Bytes(text, true), text},
		{"empty", nil, ""},
		{"only a byte-order mark", []byte{0xEF, 0xBB, 0xBF}, ""},
		{"long", []byte(long), long},
	}
	for _, c := range cases {
		for _, oneByte := range []bool{false, true} {
			name := c.name
			if oneByte {
				name += ", one byte at a time"
			}
			t.Run(name, func(t *testing.T) {
				var src io.Reader = bytes.NewReader(c.in)
				if oneByte {
					src = iotest.OneByteReader(src)
				}
				r, err := assess.DecodeText(src)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if err != nil || string(got) != c.want {
					t.Errorf("got %q, %v", truncate(string(got)), err)
				}
			})
		}
	}
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestDecodeTextRejectsWhatIsNotUTF8(t *testing.T) {
	cases := []struct {
		name, in, err, before string
	}{
		{"Windows-1252 é", "id,stem\n1,tea\n2,caf\xe9 au lait\n", "the file is not UTF-8 text: line 3, byte 6 is 0xE9 — save it as UTF-8", "id,stem\n1,tea\n2,caf"},
		{"after Hindi text", "प्र\xff", "line 1, byte 10 is 0xFF", "प्र"},
		{"a character cut short at the end", "ok\n\xe0\xa4", "line 2, byte 1 is 0xE0", "ok\n"},
		{"UTF-16 without a byte-order mark", "a\x00b\x00", "line 1, byte 2 is 0x00 — is it UTF-16 without a byte-order mark?", "a"},
		{"a lone continuation byte", "\x80", "line 1, byte 1 is 0x80", ""},
		{"an overlong encoding", "ab\xc0\xaf", "line 1, byte 3 is 0xC0", "ab"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := assess.DecodeText(iotest.OneByteReader(strings.NewReader(c.in)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("got %v, want %q", err, c.err)
			}
			if string(got) != c.before {
				t.Errorf("passed on %q, want %q", got, c.before)
			}
		})
	}
}

func TestDecodeTextReportsReadErrors(t *testing.T) {
	r, err := assess.DecodeText(iotest.ErrReader(io.ErrUnexpectedEOF))
	if err == nil {
		_, err = io.ReadAll(r)
	}
	if err == nil || errs.Is(err, errs.Invalid) {
		t.Errorf("got %v, want an internal error", err)
	}
}
