package assess

import (
	"bufio"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// DecodeText returns a reader of r's text as UTF-8, for the item importers.
// It strips a UTF-8 byte-order mark, decodes UTF-16 (little- or big-endian)
// that starts with a byte-order mark, which is what Excel's "Unicode text"
// writes, and checks the rest is UTF-8 as it streams: the first byte that is
// not (a Windows-1252 é, a NUL from UTF-16 without a mark) makes Read fail
// with an Invalid error naming its line and byte, e.g. "the file is not
// UTF-8 text: line 3, byte 17 is 0xE9 — …". Items read before that point
// have already been handed on, so callers should treat the import as
// failed. DecodeText itself fails only if r cannot be read at all.
func DecodeText(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, errs.Wrap("assess: read text", err)
	}
	var src io.Reader = br
	switch {
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		_, _ = br.Discard(3)
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xFE:
		src = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	case len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF:
		src = transform.NewReader(br, unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder())
	}
	return &utf8Checker{r: src, buf: make([]byte, 32<<10), line: 1, col: 1}, nil
}

// utf8Checker passes through text while checking it is UTF-8 without NULs.
// buf[start:valid] has been checked and waits to be returned;
// buf[valid:end] is an incomplete character waiting for its next bytes.
type utf8Checker struct {
	r                 io.Reader
	buf               []byte
	start, valid, end int
	line, col         int // position of buf[valid]: 1-based line, 1-based byte in the line
	err               error
}

func (c *utf8Checker) Read(p []byte) (int, error) {
	for c.start == c.valid {
		if c.err != nil {
			return 0, c.err
		}
		c.fill()
	}
	n := copy(p, c.buf[c.start:c.valid])
	c.start += n
	return n, nil
}

// fill reads more bytes and checks them, setting c.err at the end of input
// or at the first byte that is not UTF-8 text.
func (c *utf8Checker) fill() {
	tail := copy(c.buf, c.buf[c.valid:c.end])
	c.start, c.valid, c.end = 0, 0, tail
	n, err := c.r.Read(c.buf[tail:])
	c.end += n
	eof := false
	if err != nil {
		if !errors.Is(err, io.EOF) {
			c.err = errs.Wrap("assess: read text", err)
			return
		}
		eof = true
	}
	b := c.buf[:c.end]
	i := 0
	for i < len(b) {
		ch := b[i]
		if ch != 0 && ch < utf8.RuneSelf {
			if ch == '\n' {
				c.line++
				c.col = 0
			}
			c.col++
			i++
			continue
		}
		if ch != 0 {
			r, size := utf8.DecodeRune(b[i:])
			if r != utf8.RuneError || size > 1 {
				i += size
				c.col += size
				continue
			}
			if !eof && !utf8.FullRune(b[i:]) {
				break // the rest of the character is in the next read
			}
		}
		c.valid = i
		hint := "save it as UTF-8 (in Excel: \"CSV UTF-8\")"
		if ch == 0 {
			hint = "is it UTF-16 without a byte-order mark? save it as UTF-8 (in Excel: \"CSV UTF-8\")"
		}
		c.err = errs.E(errs.Invalid, "", "the file is not UTF-8 text: line %d, byte %d is 0x%02X — %s", c.line, c.col, ch, hint)
		return
	}
	c.valid = i
	if eof {
		c.err = io.EOF
	}
}
