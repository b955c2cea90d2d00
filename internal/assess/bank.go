package assess

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Who may do what in the item bank.
var (
	readRoles    = []identity.Role{identity.RoleAdmin, identity.RoleAuthor, identity.RoleGrader, identity.RoleApprover}
	writeRoles   = []identity.Role{identity.RoleAdmin, identity.RoleAuthor}
	reviewRoles  = []identity.Role{identity.RoleAdmin, identity.RoleAuthor, identity.RoleApprover}
	publishRoles = []identity.Role{identity.RoleAdmin, identity.RoleApprover}
)

// Service is the item bank: items per authority, their versions and
// history, and imports.
type Service struct {
	db    *database.DB
	id    *identity.Service
	log   *slog.Logger
	files blob.Store // item images; may be nil
	now   func() time.Time

	// mockTests caches the list entries of published mock-test versions
	// by [test id, version]: versions never change, and learners list
	// them far more often than anyone publishes.
	mockTests sync.Map

	// resultsQueued, if set, is called when an exam's results are queued.
	resultsQueued func()
}

// NewService returns the item bank over db, checking callers with id.
func NewService(db *database.DB, id *identity.Service, log *slog.Logger) *Service {
	return &Service{db: db, id: id, log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// authority resolves code for p and checks p holds one of roles there.
// An authority p has no part in is not found, as everywhere.
func (s *Service) authority(ctx context.Context, p *identity.Principal, code string, roles []identity.Role) (*identity.Authority, error) {
	a, err := s.id.Authority(ctx, p, code)
	if err != nil {
		return nil, err
	}
	if !p.Has(a.ID, roles...) {
		return nil, errs.E(errs.Forbidden, "assess", "your role in %s does not allow this", a.Code)
	}
	return a, nil
}

// document is what is stored of an item besides its indexed columns.
type document struct {
	Text    map[string]Text `json:"text"`
	Choices []Choice        `json:"choices,omitempty"`
	Left    []string        `json:"left,omitempty"`
	Right   []string        `json:"right,omitempty"`
	Key     Key             `json:"key"`
	Scoring Scoring         `json:"scoring"`
	Shuffle bool            `json:"shuffle,omitempty"`
	Labels  []string        `json:"labels,omitempty"`
	// MaxChoices: see Item.MaxChoices.
	MaxChoices int `json:"max_choices,omitempty"`
}

// apply sets it's content from the document.
func (d *document) apply(it *Item) {
	it.Text, it.Choices, it.Left, it.Right, it.Key, it.Scoring, it.Shuffle, it.Tags.Labels, it.MaxChoices = d.Text, d.Choices, d.Left, d.Right, d.Key, d.Scoring, d.Shuffle, d.Labels, d.MaxChoices
}

func encodeDocument(it *Item) string {
	b, err := json.Marshal(document{it.Text, it.Choices, it.Left, it.Right, it.Key, it.Scoring, it.Shuffle, it.Tags.Labels, it.MaxChoices})
	if err != nil {
		panic(err) // plain data
	}
	return string(b)
}

func languagesOf(it *Item) string {
	var ls []string
	for l := range it.Text {
		ls = append(ls, l)
	}
	slices.Sort(ls)
	return strings.Join(ls, ",")
}

// searchText is what text search matches: title, stems and choices in every
// language, lower-cased.
func searchText(it *Item) string {
	var b strings.Builder
	b.WriteString(it.Title)
	for _, l := range Languages {
		t, ok := it.Text[l]
		if !ok {
			continue
		}
		b.WriteString("\n" + t.Stem)
		for _, c := range it.Choices {
			b.WriteString("\n" + t.Choices[c.ID])
		}
	}
	return strings.ToLower(b.String())
}

const itemColumns = `id, authority_id, version, revision, type, status, title, external_ref, topic, difficulty, bloom, source, content_hash, document, created_at, updated_at`

func scanItem(r database.Row) (*Item, error) {
	var it Item
	var doc string
	if err := r.Scan(&it.ID, &it.AuthorityID, &it.Version, &it.Revision, &it.Type, &it.Status, &it.Title, &it.Ref,
		&it.Tags.Topic, &it.Tags.Difficulty, &it.Tags.Bloom, &it.Tags.Source, &it.ContentHash, &doc, &it.CreatedAt, &it.UpdatedAt); err != nil {
		return nil, err
	}
	var d document
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("item %d: stored document: %w", it.ID, err)
	}
	d.apply(&it)
	it.CreatedAt, it.UpdatedAt = it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	return &it, nil
}

// HistoryEntry is one change to an item.
type HistoryEntry struct {
	Version int       `json:"version"`
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`
	Action  string    `json:"action"`
	Note    string    `json:"note,omitempty"`
}

func (s *Service) history(ctx context.Context, tx *database.Tx, p *identity.Principal, itemID int64, version int, action, note string) error {
	var actorID any
	actor := "system"
	if p != nil {
		actorID, actor = p.User.ID, p.User.Email
	}
	if _, err := tx.Exec(ctx, `INSERT INTO item_history (item_id, version, at, actor_id, actor, action, note) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		itemID, version, s.now(), actorID, actor, action, note); err != nil {
		return errs.Wrap("assess: item history", err)
	}
	return nil
}

// insert stores a new item (version 1), its version row and history in tx.
func (s *Service) insert(ctx context.Context, tx *database.Tx, p *identity.Principal, authorityID int64, it *Item, action string) error {
	if err := s.insertRow(ctx, tx, p, authorityID, it); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO item_versions (item_id, version, status, content_hash, document, created_by, created_at) VALUES ($1, 1, $2, $3, $4, $5, $6)`,
		it.ID, string(it.Status), it.ContentHash, encodeDocument(it), p.User.ID, it.CreatedAt); err != nil {
		return errs.Wrap("assess: insert item", err)
	}
	return s.history(ctx, tx, p, it.ID, 1, action, "")
}

// insertRow stores only the items row of a new item (version 1). The
// caller adds its version and history rows.
func (s *Service) insertRow(ctx context.Context, tx *database.Tx, p *identity.Principal, authorityID int64, it *Item) error {
	now := s.now()
	it.AuthorityID, it.Version, it.Revision, it.CreatedAt, it.UpdatedAt = authorityID, 1, 1, now, now
	if it.Status == "" {
		it.Status = Draft
	}
	it.ContentHash = it.Hash()
	doc := encodeDocument(it)
	err := tx.QueryRow(ctx, `INSERT INTO items (authority_id, version, revision, type, status, title, external_ref, languages, topic, difficulty, bloom, source, search_text, content_hash, document, created_by, updated_by, created_at, updated_at)
		VALUES ($1, 1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $15) RETURNING id`,
		authorityID, string(it.Type), string(it.Status), it.Title, it.Ref, languagesOf(it), it.Tags.Topic, it.Tags.Difficulty, it.Tags.Bloom, it.Tags.Source,
		searchText(it), it.ContentHash, doc, p.User.ID, now).Scan(&it.ID)
	if err != nil {
		return errs.Wrap("assess: insert item", err)
	}
	return nil
}

// CreateItem adds a draft item to an authority's bank. Authors and
// administrators.
func (s *Service) CreateItem(ctx context.Context, p *identity.Principal, code string, it *Item) (*Item, error) {
	a, err := s.authority(ctx, p, code, writeRoles)
	if err != nil {
		return nil, err
	}
	it.Status = Draft
	it.Normalize()
	if err := it.Validate(); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.checkTopic(ctx, tx, a.ID, it.Tags.Topic); err != nil {
			return err
		}
		return s.insert(ctx, tx, p, a.ID, it, "created")
	})
	if err != nil {
		return nil, err
	}
	return it, nil
}

// Item returns one item: its current version, or the given one (version > 0).
func (s *Service) Item(ctx context.Context, p *identity.Principal, code string, id int64, version int) (*Item, error) {
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	return s.itemVersion(ctx, s.db, a.ID, id, version)
}

func (s *Service) load(ctx context.Context, q database.Querier, authorityID, id int64) (*Item, error) {
	it, err := scanItem(q.QueryRow(ctx, `SELECT `+itemColumns+` FROM items WHERE id = $1 AND authority_id = $2`, id, authorityID))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "assess: item", "no item %d", id)
	}
	if err != nil {
		return nil, errs.Wrap("assess: item", err)
	}
	return it, nil
}

// UpdateItem saves new content for an item. revision must be the revision
// the edit started from (Conflict otherwise). Editing a published or
// retired item makes a new draft version and leaves the old one as it was;
// editing a draft or reviewed item changes it in place and sends it back to
// draft. Authors and administrators.
func (s *Service) UpdateItem(ctx context.Context, p *identity.Principal, code string, id int64, revision int, in *Item) (*Item, error) {
	const op = "assess: update item"
	a, err := s.authority(ctx, p, code, writeRoles)
	if err != nil {
		return nil, err
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *Item
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		cur, err := s.load(ctx, tx, a.ID, id)
		if err != nil {
			return err
		}
		if cur.Revision != revision {
			return &errs.Error{Kind: errs.Conflict, Op: op, Message: fmt.Sprintf("item %d was changed by someone else since you opened it (revision %d, now %d); reload it and make your change again", id, revision, cur.Revision)}
		}
		if in.Tags.Topic != cur.Tags.Topic {
			if err := s.checkTopic(ctx, tx, a.ID, in.Tags.Topic); err != nil {
				return err
			}
		}
		out, err = s.save(ctx, tx, p, cur, in, "edited")
		return err
	})
	return out, err
}

// save writes in as the new content of cur (inside tx).
func (s *Service) save(ctx context.Context, tx *database.Tx, p *identity.Principal, cur, in *Item, action string) (*Item, error) {
	const op = "assess: save item"
	now := s.now()
	next := *in
	next.ID, next.AuthorityID, next.CreatedAt, next.UpdatedAt, next.Status = cur.ID, cur.AuthorityID, cur.CreatedAt, now, Draft
	if next.Ref == "" {
		next.Ref = cur.Ref
	}
	next.ContentHash = next.Hash()
	doc := encodeDocument(&next)
	newVersion := cur.Status == Published || cur.Status == Retired
	if newVersion {
		next.Version, next.Revision = cur.Version+1, 1
		if _, err := tx.Exec(ctx, `INSERT INTO item_versions (item_id, version, status, content_hash, document, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			cur.ID, next.Version, string(Draft), next.ContentHash, doc, p.User.ID, now); err != nil {
			return nil, errs.Wrap(op, err)
		}
	} else {
		next.Version, next.Revision = cur.Version, cur.Revision+1
		if _, err := tx.Exec(ctx, `UPDATE item_versions SET status = $1, content_hash = $2, document = $3 WHERE item_id = $4 AND version = $5`,
			string(Draft), next.ContentHash, doc, cur.ID, cur.Version); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE items SET version = $1, revision = $2, type = $3, status = $4, title = $5, external_ref = $6, languages = $7, topic = $8, difficulty = $9, bloom = $10, source = $11,
		search_text = $12, content_hash = $13, document = $14, updated_by = $15, updated_at = $16 WHERE id = $17`,
		next.Version, next.Revision, string(next.Type), string(Draft), next.Title, next.Ref, languagesOf(&next), next.Tags.Topic, next.Tags.Difficulty, next.Tags.Bloom, next.Tags.Source,
		searchText(&next), next.ContentHash, doc, p.User.ID, now, cur.ID); err != nil {
		return nil, errs.Wrap(op, err)
	}
	note := ""
	if newVersion {
		note = fmt.Sprintf("new version %d; version %d stays as it was", next.Version, cur.Version)
	}
	if err := s.history(ctx, tx, p, cur.ID, next.Version, action, note); err != nil {
		return nil, err
	}
	return &next, nil
}

// SetStatus moves an item through review: draft → reviewed (by someone
// other than its last editor) → published (approvers and administrators),
// and any status → retired (approvers and administrators), retired →
// draft to bring it back. revision guards against acting on a stale view.
func (s *Service) SetStatus(ctx context.Context, p *identity.Principal, code string, id int64, revision int, to Status) (*Item, error) {
	const op = "assess: set item status"
	if !slices.Contains(Statuses, to) {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "unknown status", Fields: map[string]string{"status": "must be draft, reviewed, published or retired"}}
	}
	roles := reviewRoles
	if to == Published || to == Retired {
		roles = publishRoles
	}
	a, err := s.authority(ctx, p, code, roles)
	if err != nil {
		return nil, err
	}
	var out *Item
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		cur, err := s.load(ctx, tx, a.ID, id)
		if err != nil {
			return err
		}
		if cur.Revision != revision {
			return &errs.Error{Kind: errs.Conflict, Op: op, Message: fmt.Sprintf("item %d was changed since you opened it; reload it first", id)}
		}
		allowed := map[Status][]Status{
			Draft:     {Reviewed, Retired},
			Reviewed:  {Published, Draft, Retired},
			Published: {Retired},
			Retired:   {Draft},
		}[cur.Status]
		if !slices.Contains(allowed, to) {
			return errs.E(errs.Conflict, op, "a %s item cannot become %s", cur.Status, to)
		}
		if to == Reviewed {
			var lastEditor sql.NullInt64
			if err := tx.QueryRow(ctx, `SELECT updated_by FROM items WHERE id = $1`, id).Scan(&lastEditor); err != nil {
				return errs.Wrap(op, err)
			}
			if lastEditor.Valid && lastEditor.Int64 == p.User.ID {
				return errs.E(errs.Conflict, op, "you made the last change to this item; another author must review it")
			}
		}
		if to == Draft && cur.Status == Retired {
			// Bringing a retired item back starts a new version.
			out, err = s.save(ctx, tx, p, cur, cur, "restored")
			return err
		}
		now := s.now()
		cur.Status, cur.Revision, cur.UpdatedAt = to, cur.Revision+1, now
		if _, err := tx.Exec(ctx, `UPDATE items SET status = $1, revision = $2, updated_at = $3 WHERE id = $4`, string(to), cur.Revision, now, id); err != nil {
			return errs.Wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE item_versions SET status = $1 WHERE item_id = $2 AND version = $3`, string(to), id, cur.Version); err != nil {
			return errs.Wrap(op, err)
		}
		if err := s.history(ctx, tx, p, id, cur.Version, string(to), ""); err != nil {
			return err
		}
		if to == Published || to == Retired {
			if err := s.id.Record(ctx, tx, p, a.ID, "item."+string(to), fmt.Sprintf("item %d v%d", id, cur.Version), nil); err != nil {
				return err
			}
		}
		out = cur
		return nil
	})
	return out, err
}

// History lists the changes to an item, oldest first.
func (s *Service) History(ctx context.Context, p *identity.Principal, code string, id int64) ([]HistoryEntry, error) {
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	if _, err := s.load(ctx, s.db, a.ID, id); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT version, at, actor, action, note FROM item_history WHERE item_id = $1 ORDER BY id LIMIT 1000`, id)
	if err != nil {
		return nil, errs.Wrap("assess: item history", err)
	}
	defer rows.Close()
	var out []HistoryEntry
	for rows.Next() {
		var h HistoryEntry
		if err := rows.Scan(&h.Version, &h.At, &h.Actor, &h.Action, &h.Note); err != nil {
			return nil, errs.Wrap("assess: item history", err)
		}
		h.At = h.At.UTC()
		out = append(out, h)
	}
	return out, errs.Wrap("assess: item history", rows.Err())
}

// ItemFilter narrows a list of items. Empty fields match everything.
type ItemFilter struct {
	Text       string   // words in the title, stem or choices, any language
	Type       ItemType //
	Status     Status   //
	Topic      string   // the topic or any topic under it ("physics" matches "physics/optics")
	Difficulty string   //
	Bloom      string   //
	Language   string   // items that have text in this language
	After      string   // cursor from the previous page
	Limit      int      // 1–200, default 50
}

// ListItems lists an authority's items, newest first.
func (s *Service) ListItems(ctx context.Context, p *identity.Principal, code string, f ItemFilter) ([]Item, string, error) {
	const op = "assess: list items"
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, "", err
	}
	limit := identity.Page{Limit: f.Limit}.Size()
	var after int64
	if f.After != "" {
		if _, err := fmt.Sscanf(f.After, "%x", &after); err != nil || after <= 0 || identity.CursorFor(after) != f.After {
			return nil, "", &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"after": "is not a cursor this server gave out"}}
		}
	}
	where, filterArgs, err := f.where()
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + itemColumns + ` FROM items WHERE authority_id = $1` + where
	args := append([]any{a.ID}, filterArgs...)
	if after > 0 {
		args = append(args, after)
		q += fmt.Sprintf(" AND id < $%d", len(args))
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, "", errs.Wrap(op, err)
		}
		out = append(out, *it)
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = identity.CursorFor(out[len(out)-1].ID)
	}
	return out, next, nil
}
