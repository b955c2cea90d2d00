// Package formats picks the reader or writer for an item file's format, so
// the API, the web pages and the command line import and export alike.
package formats

import (
	"bytes"
	"io"
	"iter"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/aiken"
	"github.com/vidya-edu/vidya/internal/assess/gift"
	"github.com/vidya-edu/vidya/internal/assess/itemcsv"
	"github.com/vidya-edu/vidya/internal/assess/qti"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The import formats.
const (
	GIFT  = "gift"
	Aiken = "aiken"
	CSV   = "csv"
	QTI   = "qti" // a QTI 2.1 or 3.0 item (XML) or content package (zip)
)

// Import lists the formats Open reads.
var Import = []string{QTI, GIFT, Aiken, CSV}

// The export formats.
const (
	QTI30   = "qti3"
	QTI21   = "qti2"
	CSVOut  = "csv"
	GIFTOut = "gift"
)

// Export lists the formats Write writes.
var Export = []string{QTI30, QTI21, CSVOut, GIFTOut}

// MaxImportBytes is the largest import file taken.
const MaxImportBytes = 64 << 20

// Guess names the format of a file from its name and first bytes, or ""
// when it cannot tell (a .txt file may be GIFT or Aiken).
func Guess(name string, head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return QTI
	case bytes.Contains(head, []byte("<assessmentItem")) || bytes.Contains(head, []byte("<qti-assessment-item")):
		return QTI
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".gift":
		return GIFT
	case ".csv":
		return CSV
	case ".zip", ".xml":
		return QTI
	}
	return ""
}

// Options are what a reader may need besides the file.
type Options struct {
	Lang  string  // language of the text in single-language formats; default "en"
	Marks float64 // marks per item where the format has none; default 1
	// Media, if set, stores each image a QTI package carries and returns
	// the URL the item's Markdown should use.
	Media func(name string, r io.Reader) (string, error)
}

// Open returns a Source reading the first size bytes of f in format, from
// the start whatever f's offset (QTI packages are zips, read from the end),
// so the Source can be run more than once.
func Open(format string, f io.ReaderAt, size int64, opts Options) (assess.Source, error) {
	const op = "formats: open"
	if opts.Lang == "" {
		opts.Lang = "en"
	}
	if !slices.Contains(assess.Languages, opts.Lang) {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "unknown language", Fields: map[string]string{"lang": "must be one of " + strings.Join(assess.Languages, ", ")}}
	}
	if opts.Marks == 0 {
		opts.Marks = 1
	}
	switch format {
	case GIFT:
		return func(fn func(assess.Parsed) error) error {
			return gift.Read(io.NewSectionReader(f, 0, size), gift.Options{Lang: opts.Lang, Marks: opts.Marks}, fn)
		}, nil
	case Aiken:
		return func(fn func(assess.Parsed) error) error {
			return aiken.Read(io.NewSectionReader(f, 0, size), aiken.Options{Lang: opts.Lang, Marks: opts.Marks}, fn)
		}, nil
	case CSV:
		return func(fn func(assess.Parsed) error) error {
			return itemcsv.Read(io.NewSectionReader(f, 0, size), itemcsv.Options{Lang: opts.Lang, Marks: opts.Marks}, fn)
		}, nil
	case QTI:
		head := make([]byte, 4)
		n, _ := f.ReadAt(head, 0)
		if bytes.HasPrefix(head[:n], []byte("PK\x03\x04")) {
			return func(fn func(assess.Parsed) error) error {
				return qti.ReadPackage(f, size, qti.Options{Lang: opts.Lang, Media: opts.Media}, fn)
			}, nil
		}
		return func(fn func(assess.Parsed) error) error {
			return fn(qti.ReadItem(io.NewSectionReader(f, 0, size), "the uploaded item", qti.Options{Lang: opts.Lang}))
		}, nil
	}
	return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "unknown import format",
		Fields: map[string]string{"format": "must be one of " + strings.Join(Import, ", ")}}
}

// ContentType and Ext describe an export format's file.
func ContentType(format string) (contentType, ext string) {
	switch format {
	case QTI30, QTI21:
		return "application/zip", ".zip"
	case CSVOut:
		return "text/csv; charset=utf-8", ".csv"
	default:
		return "text/plain; charset=utf-8", ".gift.txt"
	}
}

// Write writes items in an export format; lang picks the language for
// single-language formats (GIFT). Image references are written as they are.
func Write(w io.Writer, format string, items []*assess.Item, lang string) error {
	return WriteStream(w, format, func(yield func(*assess.Item, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
	}, WriteOptions{Lang: lang})
}

// Items is a selection of items to export, such as
// assess.ExportStream.All: it yields the items one at a time, a nil item
// with an error when reading fails, and can be ranged over more than once,
// from the start each time.
type Items = iter.Seq2[*assess.Item, error]

// WriteOptions tune an export.
type WriteOptions struct {
	Lang string // the language of single-language formats (GIFT); default en
	// Media opens an image an item shows by its reference in the Markdown,
	// for QTI packages to carry (see qti.WriteOptions); with none, image
	// references are written as they are. CSV and GIFT always keep them.
	Media func(ref string) (io.ReadCloser, error)
}

// WriteStream writes items in an export format, one at a time, so memory does
// not grow with their number. CSV and GIFT read the items twice: first to
// check every item fits the format (and choose the CSV columns), writing
// nothing if one does not, then to write them. A QTI package is written in
// one pass: its manifest comes last, and a problem found on the way (an
// image that cannot be read) is returned after part of the package has been
// written, so a caller streaming to a client must make the download fail.
func WriteStream(w io.Writer, format string, items Items, opts WriteOptions) error {
	const op = "formats: write"
	if opts.Lang == "" {
		opts.Lang = "en"
	}
	switch format {
	case QTI30, QTI21:
		v := qti.V30
		if format == QTI21 {
			v = qti.V21
		}
		pw := qti.NewPackageWriter(w, v, qti.WriteOptions{Media: opts.Media})
		for it, err := range items {
			if err == nil {
				err = pw.Write(it)
			}
			if err != nil {
				pw.Abort()
				return err
			}
		}
		return pw.Close()
	case CSVOut:
		var l itemcsv.Layout
		if err := each(items, l.Add); err != nil {
			return err
		}
		cw, err := itemcsv.NewWriter(w, l.Header())
		if err != nil {
			return err
		}
		if err := each(items, cw.Write); err != nil {
			return err
		}
		return cw.Flush()
	case GIFTOut:
		if err := each(items, gift.NewWriter(io.Discard, opts.Lang).Write); err != nil {
			return err
		}
		gw := gift.NewWriter(w, opts.Lang)
		if err := each(items, gw.Write); err != nil {
			return err
		}
		return errs.Wrap(op, gw.Flush())
	}
	return &errs.Error{Kind: errs.Invalid, Op: "formats: write", Message: "unknown export format",
		Fields: map[string]string{"format": "must be one of " + strings.Join(Export, ", ")}}
}

// each calls fn with every item, stopping at the first error.
func each(items Items, fn func(*assess.Item) error) error {
	for it, err := range items {
		if err == nil {
			err = fn(it)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
