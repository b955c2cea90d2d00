// Package aiken reads Moodle's Aiken format: single-choice questions as
// plain text.
//
//	What is 2+2?
//	A) 3
//	B. 4
//	ANSWER: B
//
// The question text runs from its first line to the first option, so it may
// span lines; its first line is always text, even if it looks like an
// option. Options are an upper-case letter, then ")" or ".", then a space,
// in order from A (at most 26). "ANSWER:" (any case) and one letter end the
// question. Blank lines between questions are optional. Each question
// becomes a SingleChoice item with choice ids A, B, … and Options.Marks
// marks, status draft, in Options.Lang.
//
// A line that is neither an option nor ANSWER after the options means the
// ANSWER line is missing: the question is reported and the line starts the
// next question. A question is rejected, with its line, when its ANSWER is
// missing or names a letter that is not an option, when it has fewer than
// two options, or when its letters are out of sequence.
//
// Blank lines inside the question text are dropped (Aiken has no
// paragraphs), so its lines run together as one Markdown paragraph; a
// question where that happened carries a note saying so
// (assess.Parsed.Notes). UTF-16 text gets a file note (Parsed.FileNotes) on
// the first question.
package aiken

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Options tune reading.
type Options struct {
	// Lang is the language of the text; default "en".
	Lang string
	// Marks is each item's marks, which Aiken does not carry; default 1.
	Marks float64
}

// MaxQuestionBytes caps one question, so memory stays bounded whatever the
// file holds.
const MaxQuestionBytes = 1 << 20

// Read reads items from r one at a time and calls fn with each, in file
// order. Items that cannot be read come with Err set and Where saying
// where they are; Read goes on to the next. Read returns an error only when
// the file as a whole cannot be read (not UTF-8 text, I/O error, no
// questions at all) or fn returns one. Memory stays bounded by one item,
// whatever the file's size.
func Read(r io.Reader, opts Options, fn func(assess.Parsed) error) error {
	if opts.Lang == "" {
		opts.Lang = "en"
	}
	if opts.Marks == 0 {
		opts.Marks = 1
	}
	text, encNote, err := assess.DecodeTextNoted(r)
	if err != nil {
		return err
	}
	rd := &reader{br: bufio.NewReaderSize(text, 64<<10), opts: opts, fn: fn}
	if encNote != "" {
		rd.fileNotes = []string{encNote}
	}
	return rd.run()
}

type reader struct {
	br   *bufio.Reader
	opts Options
	fn   func(assess.Parsed) error
	line int
	buf  []byte

	// the question being read
	n       int // questions so far
	start   int // its first line; 0 when none is open
	stem    strings.Builder
	options []string
	size    int
	err     error
	// blank: a blank line followed the question text so far; joined: the
	// text went on after one, so the note on dropped blank lines is due.
	blank, joined bool
	// fileNotes go on the first question handed over.
	fileNotes []string
}

func (r *reader) readLine() (string, error) {
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(chunk) <= MaxQuestionBytes {
			r.buf = append(r.buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !(errors.Is(err, io.EOF) && len(r.buf) > 0) {
			return "", err
		}
		break
	}
	r.line++
	return string(bytes.TrimSpace(r.buf)), nil
}

func (r *reader) fail(line int, format string, args ...any) {
	if r.err == nil {
		r.err = errs.E(errs.Invalid, "", "question %d (line %d): %s", r.n, line, fmt.Sprintf(format, args...))
	}
}

// emit hands over the open question, with the key letter (or an error).
func (r *reader) emit(answer string) error {
	where := fmt.Sprintf("line %d", r.start)
	p := assess.Parsed{Where: where}
	if r.err == nil && len(r.options) < 2 {
		r.fail(r.line, "%d option(s); a question needs at least 2 (A) …, B) …)", len(r.options))
	}
	if r.err == nil {
		it := &assess.Item{
			Type:    assess.SingleChoice,
			Status:  assess.Draft,
			Scoring: assess.Scoring{Marks: r.opts.Marks},
			Key:     assess.Key{Choices: []string{answer}},
		}
		t := assess.Text{Stem: strings.TrimSpace(r.stem.String()), Choices: map[string]string{}}
		for i, o := range r.options {
			id := string(rune('A' + i))
			it.Choices = append(it.Choices, assess.Choice{ID: id})
			t.Choices[id] = o
		}
		it.Text = map[string]assess.Text{r.opts.Lang: t}
		if err := it.Validate(); err != nil {
			if e := errs.As(err); e != nil && len(e.Fields) > 0 {
				r.err = &errs.Error{Kind: errs.Invalid, Message: fmt.Sprintf("question %d (line %d): the question is not valid", r.n, r.start), Fields: e.Fields}
			} else {
				r.fail(r.start, "the question is not valid: %v", err)
			}
		} else {
			p.Item = it
		}
	}
	if r.err != nil {
		p.Item, p.Err = nil, r.err
	} else if r.joined {
		p.Notes = []string{"blank lines inside the question text were dropped, so its paragraphs run together (Aiken has no paragraphs)"}
	}
	p.FileNotes, r.fileNotes = r.fileNotes, nil
	r.start, r.options, r.size, r.err = 0, r.options[:0], 0, nil
	r.blank, r.joined = false, false
	r.stem.Reset()
	return r.fn(p)
}

// option reports whether l is an option line "A) text" or "A. text".
func option(l string) (byte, string, bool) {
	if len(l) >= 2 && l[0] >= 'A' && l[0] <= 'Z' && (l[1] == ')' || l[1] == '.') && (len(l) == 2 || l[2] == ' ' || l[2] == '\t') {
		return l[0], strings.TrimSpace(l[2:]), true
	}
	return 0, "", false
}

func answerLine(l string) (string, bool) {
	if len(l) >= 7 && strings.EqualFold(l[:7], "ANSWER:") {
		return strings.TrimSpace(l[7:]), true
	}
	return "", false
}

func (r *reader) run() error {
	for {
		l, err := r.readLine()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if l == "" {
			r.blank = r.start != 0 && len(r.options) == 0
			continue
		}
		if a, ok := answerLine(l); ok {
			if r.start == 0 {
				r.n++
				r.start = r.line
				r.fail(r.line, "ANSWER: without a question before it")
				if err := r.emit(""); err != nil {
					return err
				}
				continue
			}
			switch {
			case r.err != nil:
			case len(r.options) < 2:
				r.fail(r.line, "%d option(s); a question needs at least 2 (A) …, B) …)", len(r.options))
			case len(a) != 1 || !(a[0] >= 'A' && a[0] <= 'Z' || a[0] >= 'a' && a[0] <= 'z'):
				r.fail(r.line, "ANSWER: %q is not one option letter", a)
			case int(a[0]&^0x20-'A') >= len(r.options):
				r.fail(r.line, "ANSWER: names %s, which is not an option (the options are A–%c)", strings.ToUpper(a), 'A'+len(r.options)-1)
			}
			if err := r.emit(strings.ToUpper(a)); err != nil {
				return err
			}
			continue
		}
		letter, text, isOpt := option(l)
		if r.start != 0 && len(r.options) > 0 && !isOpt {
			// The ANSWER line is missing: report this question, start the next.
			r.fail(r.line-1, "no ANSWER: line after the options")
			if err := r.emit(""); err != nil {
				return err
			}
		}
		if r.start == 0 {
			r.n++
			r.start = r.line
			r.stem.WriteString(l)
			r.size = len(l)
			continue
		}
		r.size += len(l)
		if r.size > MaxQuestionBytes {
			r.fail(r.line, "the question is over %d bytes; is an ANSWER: line missing?", MaxQuestionBytes)
			continue
		}
		if !isOpt {
			r.stem.WriteString("\n")
			r.stem.WriteString(l)
			r.joined = r.joined || r.blank
			r.blank = false
			continue
		}
		r.blank = false
		want := byte('A' + len(r.options))
		switch {
		case len(r.options) == assess.MaxChoices:
			r.fail(r.line, "more than %d options", assess.MaxChoices)
		case letter != want:
			r.fail(r.line, "option %c is out of sequence; expected %c", letter, want)
		case text == "":
			r.fail(r.line, "option %c is empty", letter)
		}
		r.options = append(r.options, text)
	}
	if r.start != 0 {
		r.fail(r.line, "no ANSWER: line at the end of the file")
		if err := r.emit(""); err != nil {
			return err
		}
	}
	if r.n == 0 {
		return errs.E(errs.Invalid, "aiken: read", "the file has no questions")
	}
	return nil
}
