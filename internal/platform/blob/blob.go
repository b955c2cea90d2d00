// Package blob keeps files (blobs) by key, on local disk or in an S3-compatible
// object store, behind one Store interface.
//
// Both backends apply the same key rules (ValidKey), the same range rules and
// the same content-type rules, and both pass one conformance suite. Local
// stores are served to browsers through Handler with URLs made by a Signer;
// S3 stores hand out the object store's own presigned URLs.
package blob

import (
	"context"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Store is a place to keep files (blobs) by key.
type Store interface {
	// Put stores the next size bytes of r under key, replacing any blob there;
	// size -1 means read r to EOF. Readers see the old or the new blob, never
	// a mix, and a failed Put leaves the old blob (or none) in place.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the blob at key, or the part rng names (nil means all of it).
	// Info.Size is always the size of the whole blob. The caller closes the reader.
	Get(ctx context.Context, key string, rng *Range) (io.ReadCloser, Info, error)
	// Stat describes the blob at key.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the blob at key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every blob whose key starts with prefix, in lexical
	// key order, and stops with fn's error when fn returns one. The Info it
	// passes carries Key, Size, ModTime and ETag; ContentType is left empty,
	// because S3 listings do not carry it (use Stat when you need it).
	List(ctx context.Context, prefix string, fn func(Info) error) error
	// SignedURL returns a URL that lets anyone holding it GET the blob until expiry passes.
	SignedURL(ctx context.Context, key string, expiry time.Duration) (string, error)
	// Close releases the store's resources.
	Close() error
}

// Info describes a stored blob.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time
	ETag        string // opaque; changes when the content changes
}

// Range selects Length bytes starting at Offset; Length -1 means to the end.
type Range struct {
	Offset, Length int64
}

// MaxKeyLen is the longest key, in bytes, that ValidKey accepts.
const MaxKeyLen = 512

// MaxSegmentLen is the longest segment (the text between slashes), in bytes,
// that ValidKey accepts: the file-name limit of common file systems.
const MaxSegmentLen = 255

// MaxSignedURLExpiry is the longest lifetime SignedURL accepts (the S3 limit).
const MaxSignedURLExpiry = 7 * 24 * time.Hour

// DefaultContentType is stored when Put is given an empty content type.
const DefaultContentType = "application/octet-stream"

// ValidKey reports, as an errs.Invalid error, what is wrong with key, or nil.
func ValidKey(key string) error { return validKey("blob: check key", key) }

// validKey is ValidKey with the operation to name in the error.
func validKey(op, key string) error {
	switch {
	case key == "":
		return errs.E(errs.Invalid, op, "key is empty")
	case len(key) > MaxKeyLen:
		return errs.E(errs.Invalid, op, "key is %d bytes long; the limit is %d", len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return errs.E(errs.Invalid, op, "key %q is not valid UTF-8", key)
	case strings.HasPrefix(key, "/"):
		return errs.E(errs.Invalid, op, "key %q starts with /", key)
	case strings.Contains(key, `\`):
		return errs.E(errs.Invalid, op, "key %q contains a backslash", key)
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return errs.E(errs.Invalid, op, "key %q contains a control character", key)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return errs.E(errs.Invalid, op, "key %q has an empty segment", key)
		case seg == "." || seg == "..":
			return errs.E(errs.Invalid, op, "key %q has a %q segment", key, seg)
		case len(seg) > MaxSegmentLen:
			return errs.E(errs.Invalid, op, "key %q has a segment of %d bytes; the limit is %d", key, len(seg), MaxSegmentLen)
		}
	}
	return nil
}

// checkRange validates rng against a blob of size bytes and returns the
// offset and the number of bytes to read.
func checkRange(op string, rng *Range, size int64) (off, n int64, err error) {
	if rng == nil {
		return 0, size, nil
	}
	if err := checkRangeShape(op, rng); err != nil {
		return 0, 0, err
	}
	if rng.Offset >= size {
		return 0, 0, errs.E(errs.Invalid, op, "range offset %d is out of range for a blob of %d bytes", rng.Offset, size)
	}
	n = size - rng.Offset
	if rng.Length >= 0 && rng.Length < n {
		n = rng.Length
	}
	return rng.Offset, n, nil
}

// checkRangeShape validates the parts of rng that do not depend on the blob.
func checkRangeShape(op string, rng *Range) error {
	if rng.Offset < 0 {
		return errs.E(errs.Invalid, op, "range offset %d is negative", rng.Offset)
	}
	if rng.Length == 0 || rng.Length < -1 {
		return errs.E(errs.Invalid, op, "range length %d must be positive, or -1 for the rest", rng.Length)
	}
	return nil
}

// normContentType checks ct and returns what to store: ct itself, or
// DefaultContentType when it is empty.
func normContentType(op, ct string) (string, error) {
	if ct == "" {
		return DefaultContentType, nil
	}
	if len(ct) > 255 {
		return "", errs.E(errs.Invalid, op, "content type is %d bytes long; the limit is 255", len(ct))
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil || strings.ContainsAny(ct, "\r\n") {
		return "", errs.E(errs.Invalid, op, "content type %q is not a valid media type", ct)
	}
	return ct, nil
}

// checkExpiry validates the lifetime of a signed URL.
func checkExpiry(op string, expiry time.Duration) error {
	if expiry < time.Second || expiry > MaxSignedURLExpiry {
		return errs.E(errs.Invalid, op, "expiry %v must be between 1s and %v", expiry, MaxSignedURLExpiry)
	}
	return nil
}

// checkSize validates a size given to Put.
func checkSize(op string, size int64) error {
	if size < -1 {
		return errs.E(errs.Invalid, op, "size %d must be 0 or more, or -1 if unknown", size)
	}
	return nil
}

// ctxReader fails reads once its context is done, so that a cancelled Put
// stops even when the source reader never blocks.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// exactReader reads exactly n bytes from r and fails with errShort if r ends sooner.
type exactReader struct {
	r     io.Reader
	left  int64
	short bool // r ended early
}

// errShort reports a reader that ended before the size given to Put.
var errShort = fmt.Errorf("reader ended before the declared size: %w", io.ErrUnexpectedEOF)

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF {
		if e.left > 0 {
			e.short = true
			return n, errShort
		}
		return n, io.EOF
	}
	return n, err
}
