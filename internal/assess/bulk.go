package assess

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MaxBulk is the most items one bulk change may touch.
const MaxBulk = 1000

// BulkChange changes many items at once. Tags are not content: changing
// them keeps each item's version. Retiring needs an approver or
// administrator.
type BulkChange struct {
	IDs        []int64  `json:"ids"`
	Topic      *string  `json:"topic,omitempty"`
	Difficulty *string  `json:"difficulty,omitempty"`
	Bloom      *string  `json:"bloom,omitempty"`
	AddLabels  []string `json:"add_labels,omitempty"`
	Retire     bool     `json:"retire,omitempty"`
}

// Bulk applies c to every listed item, all or none, and returns how many
// items changed.
func (s *Service) Bulk(ctx context.Context, p *identity.Principal, code string, c BulkChange) (int, error) {
	const op = "assess: bulk change"
	roles := writeRoles
	if c.Retire {
		roles = publishRoles
	}
	a, err := s.authority(ctx, p, code, roles)
	if err != nil {
		return 0, err
	}
	v := errs.Validation{Op: op}
	switch {
	case len(c.IDs) == 0:
		v.Add("ids", "choose at least one item")
	case len(c.IDs) > MaxBulk:
		v.Add("ids", "choose at most %d items at a time", MaxBulk)
	}
	if c.Topic == nil && c.Difficulty == nil && c.Bloom == nil && len(c.AddLabels) == 0 && !c.Retire {
		v.Add("change", "say what to change")
	}
	probe := Item{Tags: Tags{Labels: c.AddLabels}}
	if c.Topic != nil {
		probe.Tags.Topic = *c.Topic
	}
	if c.Difficulty != nil {
		probe.Tags.Difficulty = *c.Difficulty
	}
	if c.Bloom != nil {
		probe.Tags.Bloom = *c.Bloom
	}
	checkTags(&v, probe.Tags)
	if err := v.Err(); err != nil {
		return 0, err
	}
	ids := slices.Clone(c.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	changed := 0
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if c.Topic != nil {
			if err := s.checkTopic(ctx, tx, a.ID, *c.Topic); err != nil {
				return err
			}
		}
		for _, id := range ids {
			cur, err := s.load(ctx, tx, a.ID, id)
			if err != nil {
				return err // one missing item fails the lot
			}
			if c.Retire && cur.Status == Retired {
				continue
			}
			next := *cur
			var notes []string
			if c.Topic != nil && *c.Topic != cur.Tags.Topic {
				next.Tags.Topic = *c.Topic
				notes = append(notes, "topic "+*c.Topic)
			}
			if c.Difficulty != nil && *c.Difficulty != cur.Tags.Difficulty {
				next.Tags.Difficulty = *c.Difficulty
				notes = append(notes, "difficulty "+*c.Difficulty)
			}
			if c.Bloom != nil && *c.Bloom != cur.Tags.Bloom {
				next.Tags.Bloom = *c.Bloom
				notes = append(notes, "bloom "+*c.Bloom)
			}
			next.Tags.Labels = slices.Clone(cur.Tags.Labels)
			for _, l := range c.AddLabels {
				if !slices.Contains(next.Tags.Labels, l) {
					next.Tags.Labels = append(next.Tags.Labels, l)
					notes = append(notes, "label "+l)
				}
			}
			if len(next.Tags.Labels) > maxLabels {
				return errs.E(errs.Invalid, op, "item %d would have more than %d labels", id, maxLabels)
			}
			status := cur.Status
			if c.Retire {
				status = Retired
				notes = append(notes, "retired")
			}
			if len(notes) == 0 {
				continue
			}
			now := s.now()
			doc := encodeDocument(&next)
			if _, err := tx.Exec(ctx, `UPDATE items SET topic = $1, difficulty = $2, bloom = $3, document = $4, status = $5, revision = revision + 1, updated_at = $6 WHERE id = $7`,
				next.Tags.Topic, next.Tags.Difficulty, next.Tags.Bloom, doc, string(status), now, id); err != nil {
				return errs.Wrap(op, err)
			}
			if _, err := tx.Exec(ctx, `UPDATE item_versions SET document = $1, status = $2 WHERE item_id = $3 AND version = $4`, doc, string(status), id, cur.Version); err != nil {
				return errs.Wrap(op, err)
			}
			action := "tagged"
			if c.Retire {
				action = "retired"
			}
			if err := s.history(ctx, tx, p, id, cur.Version, action, strings.Join(notes, ", ")); err != nil {
				return err
			}
			changed++
		}
		if c.Retire && changed > 0 {
			return s.id.Record(ctx, tx, p, a.ID, "item.retired", fmt.Sprintf("%d items", changed), map[string]any{"ids": ids})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}
