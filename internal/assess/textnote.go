package assess

import (
	"bufio"
	"errors"
	"io"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// DecodeTextNoted is DecodeText that also returns, for the import report's
// file notes, how the text was decoded when it was not plain UTF-8 (UTF-16
// with a byte-order mark, as Excel's "Unicode text" writes), or "" when it
// was UTF-8, with or without a byte-order mark.
func DecodeTextNoted(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", errs.Wrap("assess: read text", err)
	}
	note := ""
	switch {
	case len(head) == 2 && head[0] == 0xFF && head[1] == 0xFE:
		note = "The file is UTF-16 (little-endian) text, as Excel's \"Unicode text\" writes it; it was converted to UTF-8."
	case len(head) == 2 && head[0] == 0xFE && head[1] == 0xFF:
		note = "The file is UTF-16 (big-endian) text; it was converted to UTF-8."
	}
	text, err := DecodeText(br)
	if err != nil {
		return nil, "", err
	}
	return text, note, nil
}
