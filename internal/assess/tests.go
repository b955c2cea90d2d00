package assess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Who may build and publish tests: the same people who write and publish
// items.
var (
	testWriteRoles   = writeRoles
	testPublishRoles = publishRoles
)

// MaxPoolItems is the most items one pool may draw from.
const MaxPoolItems = 5_000

const testColumns = `id, authority_id, kind, status, version, revision, title, document, created_at, updated_at`

func scanTest(r database.Row) (*Test, error) {
	var t Test
	var kind, status, doc string
	if err := r.Scan(&t.ID, &t.AuthorityID, &kind, &status, &t.Version, &t.Revision, &t.Title, &doc, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, err
	}
	var d testDocument
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("test %d: %w", t.ID, err)
	}
	d.apply(&t)
	t.Kind, t.Status = TestKind(kind), TestStatus(status)
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// testDocument is what is stored of a test besides its indexed columns.
type testDocument struct {
	Instructions map[string]string `json:"instructions,omitempty"`
	Languages    []string          `json:"languages"`
	Duration     int               `json:"duration"`
	Navigation   Navigation        `json:"navigation"`
	Calculator   bool              `json:"calculator,omitempty"`
	Feedback     Feedback          `json:"feedback,omitempty"`
	Sections     []Section         `json:"sections"`
}

func documentOf(t *Test) string {
	b, err := json.Marshal(testDocument{t.Instructions, t.Languages, t.Duration, t.Navigation, t.Calculator, t.Feedback, t.Sections})
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	return string(b)
}

func (d *testDocument) apply(t *Test) {
	t.Instructions, t.Languages, t.Duration, t.Navigation, t.Calculator, t.Feedback, t.Sections = d.Instructions, d.Languages, d.Duration, d.Navigation, d.Calculator, d.Feedback, d.Sections
}

// CreateTest adds a draft mock test or exam paper to an authority.
// Authors and administrators.
func (s *Service) CreateTest(ctx context.Context, p *identity.Principal, code string, t *Test) (*Test, error) {
	a, err := s.authority(ctx, p, code, testWriteRoles)
	if err != nil {
		return nil, err
	}
	t.Normalize()
	if err := t.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	t.AuthorityID, t.Status, t.Version, t.Revision, t.CreatedAt, t.UpdatedAt = a.ID, TestDraft, 0, 1, now, now
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO tests (authority_id, kind, status, version, revision, title, document, created_by, updated_by, created_at, updated_at)
			VALUES ($1, $2, $3, 0, 1, $4, $5, $6, $6, $7, $7) RETURNING id`,
			a.ID, string(t.Kind), string(t.Status), t.Title, documentOf(t), p.User.ID, now).Scan(&t.ID)
		if err != nil {
			return errs.Wrap("assess: create test", err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "test.create", fmt.Sprintf("test %d", t.ID), map[string]any{"title": t.Title, "kind": string(t.Kind)})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Test returns a test's current definition (the draft, or what was last
// published if it has not been edited since). Readers of the bank.
func (s *Service) Test(ctx context.Context, p *identity.Principal, code string, id int64) (*Test, error) {
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	return s.loadTest(ctx, s.db, a.ID, id)
}

func (s *Service) loadTest(ctx context.Context, q database.Querier, authorityID, id int64) (*Test, error) {
	t, err := scanTest(q.QueryRow(ctx, `SELECT `+testColumns+` FROM tests WHERE id = $1 AND authority_id = $2`, id, authorityID))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "assess: test", "no test %d", id)
	}
	if err != nil {
		return nil, errs.Wrap("assess: test", err)
	}
	return t, nil
}

// ListTests lists an authority's tests, newest first, optionally of one
// kind.
func (s *Service) ListTests(ctx context.Context, p *identity.Principal, code string, kind TestKind, after string, limit int) ([]Test, string, error) {
	const op = "assess: list tests"
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, "", err
	}
	n := identity.Page{Limit: limit}.Size()
	q := `SELECT ` + testColumns + ` FROM tests WHERE authority_id = $1`
	args := []any{a.ID}
	if kind != "" {
		if kind != Mock && kind != Exam {
			return nil, "", &errs.Error{Kind: errs.Invalid, Op: op, Message: "unknown kind", Fields: map[string]string{"kind": "must be mock or exam"}}
		}
		args = append(args, string(kind))
		q += fmt.Sprintf(" AND kind = $%d", len(args))
	}
	if after != "" {
		var id int64
		if _, err := fmt.Sscanf(after, "%x", &id); err != nil || id <= 0 || identity.CursorFor(id) != after {
			return nil, "", &errs.Error{Kind: errs.Invalid, Op: op, Message: "bad cursor", Fields: map[string]string{"after": "is not a cursor this server gave out"}}
		}
		args = append(args, id)
		q += fmt.Sprintf(" AND id < $%d", len(args))
	}
	args = append(args, n+1)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []Test
	for rows.Next() {
		t, err := scanTest(rows)
		if err != nil {
			return nil, "", errs.Wrap(op, err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	next := ""
	if len(out) > n {
		out = out[:n]
		next = identity.CursorFor(out[len(out)-1].ID)
	}
	return out, next, nil
}

// UpdateTest saves a new definition. revision must be the one the edit
// started from. A published test goes back to draft; its published
// versions stay as they are for the exams that use them. The kind cannot
// change. Authors and administrators.
func (s *Service) UpdateTest(ctx context.Context, p *identity.Principal, code string, id int64, revision int, in *Test) (*Test, error) {
	const op = "assess: update test"
	a, err := s.authority(ctx, p, code, testWriteRoles)
	if err != nil {
		return nil, err
	}
	in.Normalize()
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *Test
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		cur, err := s.loadTest(ctx, tx, a.ID, id)
		if err != nil {
			return err
		}
		switch {
		case cur.Revision != revision:
			return errs.E(errs.Conflict, op, "test %d was changed by someone else since you opened it (revision %d, now %d); reload it and make your change again", id, revision, cur.Revision)
		case cur.Status == TestRetired:
			return errs.E(errs.Conflict, op, "test %d is retired; bring it back before editing it", id)
		case in.Kind != cur.Kind:
			return &errs.Error{Kind: errs.Invalid, Op: op, Message: "some fields are not valid", Fields: map[string]string{"kind": "cannot change once the test exists; make a new test"}}
		}
		next := *in
		next.ID, next.AuthorityID, next.Version, next.Revision, next.Status, next.CreatedAt, next.UpdatedAt = cur.ID, cur.AuthorityID, cur.Version, cur.Revision+1, TestDraft, cur.CreatedAt, s.now()
		if _, err := tx.Exec(ctx, `UPDATE tests SET status = $1, revision = $2, title = $3, document = $4, updated_by = $5, updated_at = $6 WHERE id = $7`,
			string(next.Status), next.Revision, next.Title, documentOf(&next), p.User.ID, next.UpdatedAt, id); err != nil {
			return errs.Wrap(op, err)
		}
		out = &next
		return s.id.Record(ctx, tx, p, a.ID, "test.update", fmt.Sprintf("test %d", id), map[string]any{"revision": next.Revision})
	})
	return out, err
}

// TestVersion is a published, frozen test: the definition as it was, with
// a snapshot of every item a paper can hold, so a paper is the same
// however the bank changes afterwards.
type TestVersion struct {
	TestID      int64     `json:"test_id"`
	Version     int       `json:"version"`
	Test        Test      `json:"test"`
	PublishedAt time.Time `json:"published_at"`
	// Items holds each item of the version by id, as it was published.
	Items map[int64]*Item `json:"items"`
	// Pools lists, per section and pool, the ids of the items the pool
	// draws from, in id order.
	Pools [][][]int64 `json:"pools"`
}

// PublishTest freezes the test's current definition as a new version:
// every question's item (its named version, or its current one) must be
// published and written in all the test's languages, and every pool must
// hold enough such items. Approvers and administrators.
func (s *Service) PublishTest(ctx context.Context, p *identity.Principal, code string, id int64, revision int) (*TestVersion, error) {
	const op = "assess: publish test"
	a, err := s.authority(ctx, p, code, testPublishRoles)
	if err != nil {
		return nil, err
	}
	var out *TestVersion
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		t, err := s.loadTest(ctx, tx, a.ID, id)
		if err != nil {
			return err
		}
		switch {
		case t.Revision != revision:
			return errs.E(errs.Conflict, op, "test %d was changed by someone else since you opened it (revision %d, now %d); reload it and check it again", id, revision, t.Revision)
		case t.Status == TestRetired:
			return errs.E(errs.Conflict, op, "test %d is retired", id)
		case t.Status == TestPublished:
			return errs.E(errs.Conflict, op, "test %d is already published as version %d", id, t.Version)
		}
		if err := t.Validate(); err != nil {
			return err
		}
		v, err := s.freeze(ctx, tx, t)
		if err != nil {
			return err
		}
		v.Version, v.PublishedAt = t.Version+1, s.now()
		v.Test.Version, v.Test.Status = v.Version, TestPublished
		doc, err := json.Marshal(v)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO test_versions (test_id, version, document, items, published_by, published_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, v.Version, string(doc), len(v.Items), p.User.ID, v.PublishedAt); err != nil {
			return errs.Wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE tests SET status = $1, version = $2, revision = revision + 1, updated_by = $3, updated_at = $4 WHERE id = $5`,
			string(TestPublished), v.Version, p.User.ID, v.PublishedAt, id); err != nil {
			return errs.Wrap(op, err)
		}
		v.Test.Revision = t.Revision + 1
		out = v
		return s.id.Record(ctx, tx, p, a.ID, "test.publish", fmt.Sprintf("test %d", id), map[string]any{"version": v.Version, "items": len(v.Items)})
	})
	return out, err
}

// freeze resolves t's questions and pools against the bank (inside tx).
func (s *Service) freeze(ctx context.Context, tx *database.Tx, t *Test) (*TestVersion, error) {
	v := errs.Validation{Op: "assess: publish test"}
	out := &TestVersion{TestID: t.ID, Test: *t, Items: map[int64]*Item{}}
	out.Test.Sections = slices.Clone(t.Sections)
	used := map[int64]bool{}
	usable := func(it *Item, field string) bool {
		ok := true
		if it.Status != Published {
			v.Add(field, "item %d version %d is %s; only published items go into a test", it.ID, it.Version, it.Status)
			ok = false
		}
		for _, l := range t.Languages {
			if _, has := it.Text[l]; !has {
				v.Add(field, "item %d has no %s text, and the test is offered in %s", it.ID, l, strings.Join(t.Languages, ", "))
				ok = false
			}
		}
		return ok
	}
	for i := range out.Test.Sections {
		sec := &out.Test.Sections[i]
		sec.Questions = slices.Clone(sec.Questions)
		for j := range sec.Questions {
			q := &sec.Questions[j]
			field := fmt.Sprintf("sections.%d.questions.%d", i, j)
			it, err := s.itemVersion(ctx, tx, t.AuthorityID, q.ItemID, q.Version)
			if errs.Is(err, errs.NotFound) {
				v.Add(field, "%s", errs.As(err).Message)
				continue
			}
			if err != nil {
				return nil, err
			}
			if usable(it, field) {
				q.Version = it.Version
				out.Items[it.ID] = it
			}
			used[q.ItemID] = true
		}
	}
	out.Pools = make([][][]int64, len(t.Sections))
	for i, sec := range t.Sections {
		out.Pools[i] = make([][]int64, len(sec.Pools))
		for j, pool := range sec.Pools {
			ids, err := s.poolItems(ctx, tx, t, pool, used)
			if err != nil {
				return nil, err
			}
			field := fmt.Sprintf("sections.%d.pools.%d", i, j)
			switch {
			case len(ids) < pool.Count:
				v.Add(field+".count", "only %d published items in %s match this pool (and are not used before it); it needs %d", len(ids), strings.Join(t.Languages, ", "), pool.Count)
			case len(ids) > MaxPoolItems:
				v.Add(field, "%d items match; narrow the pool to at most %d", len(ids), MaxPoolItems)
			}
			out.Pools[i][j] = make([]int64, 0, len(ids))
			for _, it := range ids {
				used[it.ID] = true
				out.Items[it.ID] = it
				out.Pools[i][j] = append(out.Pools[i][j], it.ID)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for id, it := range out.Items {
		if _, err := Compile(it); err != nil {
			return nil, errs.E(errs.Invalid, "assess: publish test", "item %d cannot be scored: %v", id, err)
		}
	}
	return out, nil
}

// itemVersion loads one version of an item (the current one for version
// 0). Older versions keep the item's id, type and tags columns as they are
// now, with the content of the version.
func (s *Service) itemVersion(ctx context.Context, q database.Querier, authorityID, id int64, version int) (*Item, error) {
	it, err := s.load(ctx, q, authorityID, id)
	if err != nil || version == 0 || version == it.Version {
		return it, err
	}
	var status, hash, doc string
	var created time.Time
	err = q.QueryRow(ctx, `SELECT status, content_hash, document, created_at FROM item_versions WHERE item_id = $1 AND version = $2`, id, version).Scan(&status, &hash, &doc, &created)
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "assess: item", "item %d has no version %d", id, version)
	}
	if err != nil {
		return nil, errs.Wrap("assess: item version", err)
	}
	var d document
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, errs.Wrap("assess: item version", err)
	}
	old := *it
	old.Version, old.Status, old.ContentHash, old.UpdatedAt, old.Revision = version, Status(status), hash, created.UTC(), 0
	d.apply(&old)
	return &old, nil
}

// poolItems lists the published items that match pool and are written in
// every language of t, leaving out used ones, in id order.
func (s *Service) poolItems(ctx context.Context, q database.Querier, t *Test, pool Pool, used map[int64]bool) ([]*Item, error) {
	const op = "assess: draw pool"
	query := `SELECT ` + itemColumns + ` FROM items WHERE authority_id = $1 AND status = $2`
	args := []any{t.AuthorityID, string(Published)}
	add := func(cond string, v any) {
		args = append(args, v)
		query += fmt.Sprintf(" AND "+cond, len(args))
	}
	if pool.Topic != "" {
		args = append(args, pool.Topic, likePrefix(pool.Topic+"/"))
		query += fmt.Sprintf(` AND (topic = $%d OR topic LIKE $%d ESCAPE '\')`, len(args)-1, len(args))
	}
	if pool.Difficulty != "" {
		add("difficulty = $%d", pool.Difficulty)
	}
	if pool.Bloom != "" {
		add("bloom = $%d", pool.Bloom)
	}
	if pool.Type != "" {
		add("type = $%d", string(pool.Type))
	}
	for _, l := range t.Languages {
		add("(',' || languages || ',') LIKE '%%,' || $%d || ',%%'", l)
	}
	// One more than the limit is enough to say the pool is too wide.
	args = append(args, MaxPoolItems+len(used)+1)
	query += fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args))
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	var out []*Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		if used[it.ID] || !hasLabels(it.Tags.Labels, pool.Labels) {
			continue
		}
		out = append(out, it)
	}
	return out, errs.Wrap(op, rows.Err())
}

func hasLabels(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// PublishedTest returns a published version of a test (the latest for
// version 0). Readers of the bank.
func (s *Service) PublishedTest(ctx context.Context, p *identity.Principal, code string, id int64, version int) (*TestVersion, error) {
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	t, err := s.loadTest(ctx, s.db, a.ID, id)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = t.Version
	}
	if version == 0 {
		return nil, errs.E(errs.NotFound, "assess: published test", "test %d has not been published", id)
	}
	return s.testVersion(ctx, s.db, id, version)
}

func (s *Service) testVersion(ctx context.Context, q database.Querier, id int64, version int) (*TestVersion, error) {
	var doc string
	err := q.QueryRow(ctx, `SELECT document FROM test_versions WHERE test_id = $1 AND version = $2`, id, version).Scan(&doc)
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "assess: published test", "test %d has no version %d", id, version)
	}
	if err != nil {
		return nil, errs.Wrap("assess: published test", err)
	}
	var v TestVersion
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return nil, errs.Wrap("assess: published test", err)
	}
	return &v, nil
}
