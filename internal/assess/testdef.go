package assess

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// TestKind says what a test is for.
type TestKind string

// The kinds of test. A mock test is practice: learners take it as often as
// they like and may see feedback. An exam is high stakes: candidates sign in
// with an access code, take it once in a scheduled shift and see nothing of
// the key until results are published.
const (
	Mock TestKind = "mock"
	Exam TestKind = "exam"
)

// Navigation says how a candidate moves between questions.
type Navigation string

// Free lets a candidate visit questions in any order and come back; Linear
// only forwards.
const (
	Free   Navigation = "free"
	Linear Navigation = "linear"
)

// Feedback says when a mock test shows whether an answer was right, with
// the solution. Exams never show feedback.
type Feedback string

// The feedback modes.
const (
	NoFeedback   Feedback = "none"
	EachQuestion Feedback = "each" // after each question is answered
	AtEnd        Feedback = "end"  // after the attempt is submitted
)

// TestStatus is where a test is in its life.
type TestStatus string

// A draft test can be edited; publishing freezes a version that exams and
// attempts use; a retired test cannot be scheduled again.
const (
	TestDraft     TestStatus = "draft"
	TestPublished TestStatus = "published"
	TestRetired   TestStatus = "retired"
)

// Limits on a test's shape.
const (
	MaxSections        = 20
	MaxQuestions       = 500 // per section, fixed questions plus drawn ones
	MaxTestDuration    = 12 * time.Hour
	MaxInstructionsLen = 20_000
)

// Test is a mock test or exam: its sections and what goes in them.
// Publishing freezes the definition with the items it uses (TestVersion),
// so later edits to the test or its items never change a paper already
// delivered.
type Test struct {
	ID          int64      `json:"id"`
	AuthorityID int64      `json:"-"`
	Kind        TestKind   `json:"kind"`
	Status      TestStatus `json:"status"`
	// Version is the latest published version (0 before the first publish).
	Version int `json:"version"`
	// Revision counts saves of the draft; an edit names the revision it
	// started from.
	Revision int    `json:"revision"`
	Title    string `json:"title"`
	// Instructions, per language, are Markdown shown before the start.
	Instructions map[string]string `json:"instructions,omitempty"`
	// Languages the test is offered in; every question must exist in all of
	// them, and the candidate may switch between them per question.
	Languages []string `json:"languages"`
	// Duration is the time allowed, in seconds; 0 on an untimed mock test.
	// When sections have their own durations, Duration is their sum.
	Duration   int        `json:"duration"`
	Navigation Navigation `json:"navigation"`
	Calculator bool       `json:"calculator,omitempty"` // an on-screen calculator is allowed
	Feedback   Feedback   `json:"feedback,omitempty"`   // mock tests only
	Sections   []Section  `json:"sections"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Section is a part of a test with its own questions, marking and,
// optionally, its own time.
type Section struct {
	ID    string            `json:"id"`    // short and stable, e.g. "A", "physics"
	Title map[string]string `json:"title"` // per language
	// Duration, in seconds, gives the section its own time; sections with
	// their own times are taken in order, each closing when its time is
	// up. Either every section has a duration or none has.
	Duration int `json:"duration,omitempty"`
	// Attempt, if set, is how many of the section's questions count: the
	// candidate answers at most that many ("attempt any 5 of 7").
	Attempt int `json:"attempt,omitempty"`
	// Shuffle orders the questions per candidate; ShuffleChoices the
	// choices of items that allow it (fixed choices stay in place).
	Shuffle        bool `json:"shuffle,omitempty"`
	ShuffleChoices bool `json:"shuffle_choices,omitempty"`
	// Marking, if set, replaces the items' own marks in this section, as
	// exam boards do (+4/−1 for every question).
	Marking *Marking `json:"marking,omitempty"`
	// Questions are the items every candidate gets.
	Questions []Question `json:"questions,omitempty"`
	// Pools draw further items per candidate.
	Pools []Pool `json:"pools,omitempty"`
}

// Marking is a section's marking scheme.
type Marking struct {
	Marks      float64 `json:"marks"`
	Penalty    float64 `json:"penalty,omitempty"`
	Unanswered float64 `json:"unanswered,omitempty"`
}

// Question names an item of the bank; Version 0 means the item's current
// version when the test is published.
type Question struct {
	ItemID  int64 `json:"item_id"`
	Version int   `json:"version,omitempty"`
}

// Pool draws Count items per candidate from the authority's published items
// that match every filter given. An item matching more than one pool, or
// fixed as a question, is only ever drawn where it first appears, so no
// candidate gets the same item twice.
type Pool struct {
	Count      int      `json:"count"`
	Topic      string   `json:"topic,omitempty"` // this topic and those under it
	Difficulty string   `json:"difficulty,omitempty"`
	Bloom      string   `json:"bloom,omitempty"`
	Type       ItemType `json:"type,omitempty"`
	Labels     []string `json:"labels,omitempty"` // all of them
}

// Timed reports whether the test has a time limit.
func (t *Test) Timed() bool { return t.Duration > 0 }

// SectionTimed reports whether sections have their own time limits.
func (t *Test) SectionTimed() bool { return len(t.Sections) > 0 && t.Sections[0].Duration > 0 }

// Normalize tidies what authors send: trims titles and works out Duration
// from section durations.
func (t *Test) Normalize() {
	t.Title = strings.TrimSpace(t.Title)
	if t.Navigation == "" {
		t.Navigation = Free
	}
	if t.Feedback == "" {
		t.Feedback = NoFeedback
	}
	if t.SectionTimed() {
		sum := 0
		for _, s := range t.Sections {
			sum += s.Duration
		}
		t.Duration = sum
	}
	for i := range t.Sections {
		s := &t.Sections[i]
		s.ID = strings.TrimSpace(s.ID)
		for l, v := range s.Title {
			s.Title[l] = strings.TrimSpace(v)
		}
	}
}

// Validate checks the test's definition. It does not look at the bank;
// Publish checks the items exist and fill the pools.
func (t *Test) Validate() error {
	v := errs.Validation{Op: "assess: check test"}
	switch t.Kind {
	case Mock, Exam:
	default:
		v.Add("kind", "must be mock or exam")
	}
	if t.Title == "" || utf8.RuneCountInString(t.Title) > 200 || !utf8.ValidString(t.Title) {
		v.Add("title", "must be 1–200 characters")
	}
	if len(t.Languages) == 0 {
		v.Add("languages", "give at least one language")
	}
	for i, l := range t.Languages {
		if !slices.Contains(Languages, l) {
			v.Add("languages", "language %q is not supported (use %s)", l, strings.Join(Languages, ", "))
		} else if slices.Index(t.Languages, l) != i {
			v.Add("languages", "%q is given twice", l)
		}
	}
	for l, text := range t.Instructions {
		if !slices.Contains(t.Languages, l) {
			v.Add("instructions."+l, "the test is not offered in %q", l)
		}
		checkText(&v, "instructions."+l, text, MaxInstructionsLen)
	}
	switch t.Navigation {
	case Free, Linear:
	default:
		v.Add("navigation", "must be free or linear")
	}
	switch {
	case t.Feedback != NoFeedback && t.Feedback != EachQuestion && t.Feedback != AtEnd:
		v.Add("feedback", "must be none, each or end")
	case t.Kind == Exam && t.Feedback != NoFeedback:
		v.Add("feedback", "an exam shows no feedback; results come when they are published")
	}
	switch {
	case t.Duration < 0 || time.Duration(t.Duration)*time.Second > MaxTestDuration:
		v.Add("duration", "must be between 0 and %d seconds", int(MaxTestDuration/time.Second))
	case t.Kind == Exam && t.Duration == 0:
		v.Add("duration", "an exam must have a time limit")
	}
	if len(t.Sections) == 0 {
		v.Add("sections", "give at least one section")
	}
	if len(t.Sections) > MaxSections {
		v.Add("sections", "give at most %d sections", MaxSections)
	}
	timed := t.SectionTimed()
	ids := map[string]bool{}
	items := map[int64]string{}
	for i, s := range t.Sections {
		p := fmt.Sprintf("sections.%d", i)
		switch {
		case !validID(s.ID):
			v.Add(p+".id", "must be 1–64 letters, digits, -, _ or .")
		case ids[s.ID]:
			v.Add(p+".id", "%q is used twice", s.ID)
		}
		ids[s.ID] = true
		for _, l := range t.Languages {
			if len(t.Sections) > 1 && strings.TrimSpace(s.Title[l]) == "" {
				v.Add(p+".title."+l, "is required")
			}
		}
		for l, title := range s.Title {
			if !slices.Contains(t.Languages, l) {
				v.Add(p+".title."+l, "the test is not offered in %q", l)
			}
			if utf8.RuneCountInString(title) > 200 {
				v.Add(p+".title."+l, "must be at most 200 characters")
			}
		}
		switch {
		case s.Duration < 0:
			v.Add(p+".duration", "must not be negative")
		case timed && s.Duration == 0:
			v.Add(p+".duration", "give every section a duration, or none")
		case !timed && s.Duration > 0:
			v.Add(p+".duration", "give every section a duration, or none")
		}
		n := len(s.Questions)
		for j, q := range s.Questions {
			qp := fmt.Sprintf("%s.questions.%d", p, j)
			switch {
			case q.ItemID <= 0:
				v.Add(qp+".item_id", "is required")
			case items[q.ItemID] != "":
				v.Add(qp+".item_id", "item %d is already in %s", q.ItemID, items[q.ItemID])
			}
			if q.Version < 0 {
				v.Add(qp+".version", "must not be negative")
			}
			items[q.ItemID] = qp
		}
		for j, pool := range s.Pools {
			pp := fmt.Sprintf("%s.pools.%d", p, j)
			if pool.Count < 1 {
				v.Add(pp+".count", "must be at least 1")
			}
			n += pool.Count
			if pool.Difficulty != "" && !slices.Contains(Difficulties, pool.Difficulty) {
				v.Add(pp+".difficulty", "must be one of %s", strings.Join(Difficulties, ", "))
			}
			if pool.Bloom != "" && !slices.Contains(BloomLevels, pool.Bloom) {
				v.Add(pp+".bloom", "must be one of %s", strings.Join(BloomLevels, ", "))
			}
			if pool.Type != "" && !pool.Type.Valid() {
				v.Add(pp+".type", "must be one of %s", joinTypes())
			}
			if len(pool.Topic) > maxTagLen {
				v.Add(pp+".topic", "must be at most %d characters", maxTagLen)
			}
		}
		switch {
		case n == 0:
			v.Add(p+".questions", "give the section at least one question or pool")
		case n > MaxQuestions:
			v.Add(p+".questions", "a section has at most %d questions", MaxQuestions)
		}
		if s.Attempt < 0 || (s.Attempt > 0 && s.Attempt >= n) {
			v.Add(p+".attempt", "must be fewer than the section's %d questions, or 0 for all", n)
		}
		if m := s.Marking; m != nil {
			if math.IsNaN(m.Marks+m.Penalty+m.Unanswered) || math.IsInf(m.Marks+m.Penalty+m.Unanswered, 0) {
				v.Add(p+".marking", "marks must be numbers")
				continue
			}
			if m.Marks <= 0 || m.Marks > maxMarks {
				v.Add(p+".marking.marks", "must be more than 0 and at most %d", maxMarks)
			}
			if m.Penalty < 0 || m.Penalty > maxMarks {
				v.Add(p+".marking.penalty", "must be between 0 and %d", maxMarks)
			}
			if m.Unanswered < -maxMarks || m.Unanswered > m.Marks {
				v.Add(p+".marking.unanswered", "must be at most the marks")
			}
		}
	}
	return v.Err()
}
