package assess

import (
	"context"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Sections with their own time limits are taken in order: only the
// current section's questions can be answered, and it closes when its time
// is up — or earlier, when the candidate moves on, which cannot be undone.
// The next section then opens at once. Extra time stretches every section
// in proportion, so the sections always end together with the attempt.

// CodeSectionClosed is the problem code for an answer to a question of a
// section that is not open.
const CodeSectionClosed = "section-closed"

// sectionAt works out which section is open at time at, and when it
// closes, for an attempt that moved to section cur at start. The attempt
// began at began and ends at deadline; its time is shared among the
// sections in proportion to their durations.
func (le *liveExam) sectionAt(cur int, start, began, deadline, at time.Time) (int, time.Time) {
	secs := le.v.Test.Sections
	last := len(secs) - 1
	if cur > last {
		cur = last
	}
	total := deadline.Sub(began)
	scale := float64(total) / float64(time.Duration(le.v.Test.Duration)*time.Second)
	// A section closes its own (scaled) time after it opened, and never
	// after the attempt's deadline; the last closes with the attempt, so
	// time saved by moving on early is left for the last section.
	end := func(i int, opened time.Time) time.Time {
		if i == last {
			return deadline
		}
		e := opened.Add(time.Duration(float64(secs[i].Duration) * scale * float64(time.Second)))
		if e.After(deadline) {
			return deadline
		}
		return e
	}
	closes := end(cur, start)
	for cur < last && !at.Before(closes) {
		cur++
		start = closes
		closes = end(cur, start)
	}
	return cur, closes
}

// markingOf is the marking scheme of the section an item is in; nil: the
// item's own.
func (le *liveExam) markingOf(id int64) *Marking {
	i, ok := le.sectionIndex()[id]
	if !ok {
		return nil
	}
	return le.v.Test.Sections[i].Marking
}

// sectionIndex maps each item of the version to its section. Pools draw
// from disjoint sets (see freeze), so an item is in one section only.
func (le *liveExam) sectionIndex() map[int64]int {
	le.sectionOnce.Do(func() {
		le.sectionOf = map[int64]int{}
		for i, sec := range le.v.Test.Sections {
			for _, q := range sec.Questions {
				le.sectionOf[q.ItemID] = i
			}
			if i < len(le.v.Pools) {
				for _, pool := range le.v.Pools[i] {
					for _, id := range pool {
						if _, seen := le.sectionOf[id]; !seen {
							le.sectionOf[id] = i
						}
					}
				}
			}
		}
	})
	return le.sectionOf
}

// checkSection refuses rows outside the open section.
func (r *saveReq) checkSection(st attemptState) error {
	le := r.paper
	if le == nil || !le.v.Test.SectionTimed() || st.deadline == nil {
		return nil
	}
	start := st.began
	if st.sectionStart != nil {
		start = *st.sectionStart
	}
	open, _ := le.sectionAt(st.section, start, st.began, *st.deadline, r.arrived)
	idx := le.sectionIndex()
	for _, row := range r.rows {
		if s := idx[row.item]; s != open {
			secs := le.v.Test.Sections
			e := errs.E(errs.Conflict, "assess: save", "the time for section %s is over; answer the questions of section %s", secs[s].ID, secs[open].ID)
			if s > open {
				e = errs.E(errs.Conflict, "assess: save", "section %s has not opened yet; answer the questions of section %s", secs[s].ID, secs[open].ID)
			}
			e.Code = CodeSectionClosed
			return e
		}
	}
	return nil
}

// NextSection closes the candidate's current section early and opens the
// next, on a paper whose sections have their own time. It cannot be
// undone; on the last section it is refused.
func (d *Delivery) NextSection(ctx context.Context, ticket string) (*AttemptState, error) {
	const op = "assess: next section"
	arrived := d.now()
	t, err := d.ticket(ticket, true)
	if err != nil {
		return nil, err
	}
	le, err := d.liveFor(ctx, t)
	if err != nil {
		return nil, err
	}
	if !le.v.Test.SectionTimed() {
		return nil, errs.E(errs.Invalid, op, "this paper's sections have no time of their own; move between them freely")
	}
	_, err = d.saver.save(ctx, &saveReq{attempt: t.Attempt, device: t.Device, arrived: arrived, exec: func(ctx context.Context, tx *database.Tx) error {
		var section, device int32
		var start, deadline, submitted *time.Time
		var began time.Time
		if err := tx.QueryRow(ctx, `SELECT section, section_started_at, started_at, deadline, submitted_at, device FROM attempts WHERE id = $1`, t.Attempt).
			Scan(&section, &start, &began, &deadline, &submitted, &device); err != nil {
			return errs.Wrap(op, err)
		}
		switch {
		case submitted != nil:
			return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeSubmitted, Message: "this exam has been submitted"}
		case device != t.Device:
			return takenOver()
		case deadline == nil || !arrived.Before(*deadline):
			return &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeDeadlinePassed, Message: "the time for this exam is over"}
		}
		from := began
		if start != nil {
			from = *start
		}
		open, _ := le.sectionAt(int(section), from, began, *deadline, arrived)
		if open >= len(le.v.Test.Sections)-1 {
			return errs.E(errs.Conflict, op, "this is the last section")
		}
		_, err := tx.Exec(ctx, `UPDATE attempts SET section = $1, section_started_at = $2 WHERE id = $3`, open+1, arrived, t.Attempt)
		return errs.Wrap(op, err)
	}})
	if err != nil {
		return nil, err
	}
	return d.State(ctx, ticket)
}
