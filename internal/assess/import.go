package assess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// What happened to one item of an import.
const (
	Imported  = "imported"  // new item
	Updated   = "updated"   // an item with the same source id existed; its content changed
	Duplicate = "duplicate" // the same content (or the same source id and content) exists already
	Rejected  = "rejected"  // could not be read or is not valid; Reason says why
)

// ImportLine is the report's line for one item of the file.
type ImportLine struct {
	Where   string `json:"where"`
	Ref     string `json:"ref,omitempty"`
	Outcome string `json:"outcome"`
	ItemID  int64  `json:"item_id,omitempty"`
	Reason  string `json:"reason,omitempty"`
	// Notes say what the reader dropped or changed in the item (see
	// Parsed.Notes).
	Notes []string `json:"notes,omitempty"`
}

// ImportReport lists every item of an import file and what became of it.
// Nothing in the file is left out of it.
type ImportReport struct {
	Lines      []ImportLine `json:"lines"`
	Imported   int          `json:"imported"`
	Updated    int          `json:"updated"`
	Duplicates int          `json:"duplicates"`
	Rejected   int          `json:"rejected"`
	// WithNotes counts the lines that have notes.
	WithNotes int `json:"with_notes"`
	// Notes say what the readers changed in the file as a whole (see
	// Parsed.FileNotes).
	Notes []string `json:"notes,omitempty"`
	// Committed says whether the import changed the bank.
	Committed bool   `json:"committed"`
	Message   string `json:"message"`
}

// ImportOptions choose how an import behaves.
type ImportOptions struct {
	// ValidOnly imports the valid items even when others are rejected;
	// otherwise one rejected item means nothing is imported.
	ValidOnly bool
	// DryRun works everything out and reports it, but changes nothing:
	// the preview before the real import.
	DryRun bool
	// AddTopics adds the topics the file names that the authority's
	// taxonomy lacks; otherwise such items are rejected (once the
	// authority has a taxonomy at all).
	AddTopics bool
	// Progress, if set, is called after each item with the count so far.
	Progress func(n int)
}

// Source reads an import file, calling fn with each item in turn; Read
// functions of the format packages have this shape once their options are
// bound.
type Source func(fn func(Parsed) error) error

var errRollback = errors.New("assess: roll back the import")

// Import reads items from src into an authority's bank as drafts, in one
// transaction. Authors and administrators.
func (s *Service) Import(ctx context.Context, p *identity.Principal, code string, src Source, opts ImportOptions) (*ImportReport, error) {
	const op = "assess: import"
	a, err := s.authority(ctx, p, code, writeRoles)
	if err != nil {
		return nil, err
	}
	var rep *ImportReport
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if s.db.Dialect() == database.Postgres {
			// The import fills the table inside one transaction. A cached
			// generic plan, made while the bank was small, would keep
			// scanning it; re-planning each lookup keeps them on the indexes.
			if _, err := tx.Exec(ctx, `SET LOCAL plan_cache_mode = force_custom_plan`); err != nil {
				return errs.Wrap(op, err)
			}
		}
		rep = &ImportReport{Lines: []ImportLine{}}
		seen := map[string]int64{} // content hash -> item id, within this file
		n := 0
		err := src(func(pi Parsed) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			line, err := s.importOne(ctx, tx, p, a.ID, pi, seen, opts.AddTopics)
			if err != nil {
				return err
			}
			line.Notes = pi.Notes
			rep.Notes = append(rep.Notes, pi.FileNotes...)
			rep.add(line)
			n++
			if opts.Progress != nil {
				opts.Progress(n)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.finishImport(ctx, tx, p, a.ID); err != nil {
			return err
		}
		switch {
		case len(rep.Lines) == 0:
			return errs.E(errs.Invalid, op, "the file holds no items")
		case opts.DryRun:
			rep.Message = "Preview: nothing has been imported yet."
			return errRollback
		case rep.Rejected > 0 && !opts.ValidOnly:
			rep.Message = fmt.Sprintf("Nothing was imported: %d of %d items were rejected. Fix them and import the file again, or choose to import only the valid items.", rep.Rejected, len(rep.Lines))
			return errRollback
		}
		rep.Committed = true
		rep.Message = fmt.Sprintf("%d imported, %d updated, %d duplicates skipped, %d rejected.", rep.Imported, rep.Updated, rep.Duplicates, rep.Rejected)
		return s.id.Record(ctx, tx, p, a.ID, "items.import", fmt.Sprintf("%d items", len(rep.Lines)),
			map[string]any{"imported": rep.Imported, "updated": rep.Updated, "duplicates": rep.Duplicates, "rejected": rep.Rejected})
	})
	if errors.Is(err, errRollback) {
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (r *ImportReport) add(l ImportLine) {
	r.Lines = append(r.Lines, l)
	switch l.Outcome {
	case Imported:
		r.Imported++
	case Updated:
		r.Updated++
	case Duplicate:
		r.Duplicates++
	case Rejected:
		r.Rejected++
	}
	if len(l.Notes) > 0 {
		r.WithNotes++
	}
}

// importOne decides and does what becomes of one parsed item.
func (s *Service) importOne(ctx context.Context, tx *database.Tx, p *identity.Principal, authorityID int64, pi Parsed, seen map[string]int64, addTopics bool) (ImportLine, error) {
	line := ImportLine{Where: pi.Where, Ref: pi.Ref}
	reject := func(err error) (ImportLine, error) {
		line.Outcome = Rejected
		line.Reason = err.Error()
		if e := errs.As(err); e != nil && e.Kind != errs.Internal && e.Op != "" {
			line.Reason = strings.TrimPrefix(e.Error(), e.Op+": ")
		}
		// Readers often say where in their messages; the line says it once.
		if pi.Where != "" {
			line.Reason = strings.TrimPrefix(line.Reason, pi.Where+": ")
		}
		return line, nil
	}
	if pi.Err != nil {
		return reject(pi.Err)
	}
	if pi.Item == nil {
		return reject(errors.New("the reader gave no item and no reason"))
	}
	it := pi.Item
	it.Status, it.Ref = Draft, pi.Ref
	it.Normalize()
	if err := it.Validate(); err != nil {
		return reject(err)
	}
	if t := it.Tags.Topic; t != "" {
		if addTopics {
			if msg := CheckTopicPath(t); msg != "" {
				return reject(errs.E(errs.Invalid, "assess: import", "topic %q %s", t, msg))
			}
			if err := s.ensureTopic(ctx, tx, authorityID, Topic{Path: t, CreatedAt: s.now()}); err != nil {
				return line, err
			}
		} else if err := s.checkTopic(ctx, tx, authorityID, t); err != nil {
			if errs.Is(err, errs.Invalid) {
				return reject(fmt.Errorf("topic %q is not in this authority's taxonomy; add it, or import with new topics allowed", t))
			}
			return line, err
		}
	}
	hash := it.Hash()
	if id, ok := seen[hash]; ok {
		line.Outcome, line.ItemID, line.Reason = Duplicate, id, "the same item appears earlier in this file"
		return line, nil
	}
	// One round trip finds both an item with the same source id and one
	// with the same content.
	var refID, hashID sql.NullInt64
	var refHash sql.NullString
	err := tx.QueryRow(ctx, `SELECT
		(SELECT id FROM items WHERE authority_id = $1 AND external_ref = $2 AND $2 <> '' ORDER BY id LIMIT 1),
		(SELECT content_hash FROM items WHERE authority_id = $1 AND external_ref = $2 AND $2 <> '' ORDER BY id LIMIT 1),
		(SELECT id FROM items WHERE authority_id = $1 AND content_hash = $3 ORDER BY id LIMIT 1)`,
		authorityID, it.Ref, hash).Scan(&refID, &refHash, &hashID)
	if err != nil {
		return line, errs.Wrap("assess: import", err)
	}
	switch {
	case refID.Valid && refHash.String == hash:
		seen[hash] = refID.Int64
		line.Outcome, line.ItemID = Duplicate, refID.Int64
		line.Reason = fmt.Sprintf("item %d has this source id and the same content", refID.Int64)
		return line, nil
	case refID.Valid:
		cur, err := s.load(ctx, tx, authorityID, refID.Int64)
		if err != nil {
			return line, err
		}
		next, err := s.save(ctx, tx, p, cur, it, "updated by import")
		if err != nil {
			return line, err
		}
		seen[hash] = cur.ID
		line.Outcome, line.ItemID = Updated, cur.ID
		if next.Version != cur.Version {
			line.Reason = fmt.Sprintf("new version %d", next.Version)
		}
		return line, nil
	case hashID.Valid:
		seen[hash] = hashID.Int64
		line.Outcome, line.ItemID = Duplicate, hashID.Int64
		line.Reason = fmt.Sprintf("item %d has the same content", hashID.Int64)
		return line, nil
	}
	if err := s.insertRow(ctx, tx, p, authorityID, it); err != nil {
		return line, err
	}
	seen[hash] = it.ID
	line.Outcome, line.ItemID = Imported, it.ID
	return line, nil
}

// finishImport adds the version and history rows of the items the import
// inserted, two statements for the lot rather than two per item: they are
// the authority's only items without a version row.
func (s *Service) finishImport(ctx context.Context, tx *database.Tx, p *identity.Principal, authorityID int64) error {
	const op = "assess: import"
	if _, err := tx.Exec(ctx, `INSERT INTO item_history (item_id, version, at, actor_id, actor, action, note)
		SELECT i.id, 1, i.created_at, i.created_by, $2, 'imported', '' FROM items i
		WHERE i.authority_id = $1 AND NOT EXISTS (SELECT 1 FROM item_versions v WHERE v.item_id = i.id)
		ORDER BY i.id`, authorityID, p.User.Email); err != nil {
		return errs.Wrap(op, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO item_versions (item_id, version, status, content_hash, document, created_by, created_at)
		SELECT i.id, 1, i.status, i.content_hash, i.document, i.created_by, i.created_at FROM items i
		WHERE i.authority_id = $1 AND NOT EXISTS (SELECT 1 FROM item_versions v WHERE v.item_id = i.id)`, authorityID); err != nil {
		return errs.Wrap(op, err)
	}
	return nil
}
