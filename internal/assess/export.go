package assess

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/url"
	"slices"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// exportPage is how many items an export reads from the database at a time.
// Tests lower it to cross page boundaries with few items.
var exportPage = 200

// ExportStream is the selection of an export, read from the database a page
// at a time, so memory stays flat however many items it holds.
type ExportStream struct {
	s           *Service
	p           *identity.Principal
	authority   *identity.Authority
	where       string  // conditions after "authority_id = $1", with $2… placeholders
	args        []any   // their values
	ids         []int64 // the explicit selection, sorted; nil for a filter
	bound       int64   // the highest id at the start: later items are not exported
	first       []*Item // the first page, read to tell "nothing matches" early
	firstLastID int64
}

// Export checks that p may read the bank of code and that the selection
// names at least one item, and returns the selection to stream: the given
// ids (current versions; every one must exist), or else every item the
// filter matches (its After and Limit are not used). Items come oldest first
// (by id), read a page at a time with keyset pagination on id, so an item
// added while an export runs never shifts or repeats another; items added
// after Export returns are left out, so a stream read twice gives the same
// items. There is no limit on the number of items. Readers of the bank.
//
// Errors come before anything is streamed: Forbidden or NotFound for the
// authority, Invalid for a bad filter, NotFound when no item matches or an
// id is not in the bank.
func (s *Service) Export(ctx context.Context, p *identity.Principal, code string, f ItemFilter, ids []int64) (*ExportStream, error) {
	const op = "assess: export"
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	x := &ExportStream{s: s, p: p, authority: a}
	if err := s.db.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM items WHERE authority_id = $1`, a.ID).Scan(&x.bound); err != nil {
		return nil, errs.Wrap(op, err)
	}
	if len(ids) > 0 {
		x.ids = slices.Clone(ids)
		slices.Sort(x.ids)
		x.ids = slices.Compact(x.ids)
		if err := x.checkIDs(ctx); err != nil {
			return nil, err
		}
	} else if x.where, x.args, err = f.where(); err != nil {
		return nil, err
	}
	x.first, x.firstLastID, err = x.page(ctx, 0)
	if err != nil {
		return nil, err
	}
	if len(x.first) == 0 {
		return nil, errs.E(errs.NotFound, op, "no items match")
	}
	return x, nil
}

// Authority is the code of the authority whose items these are.
func (x *ExportStream) Authority() string { return x.authority.Code }

// checkIDs makes sure every id of an explicit selection is in the bank.
func (x *ExportStream) checkIDs(ctx context.Context) error {
	const op = "assess: export"
	for chunk := range slices.Chunk(x.ids, exportPage) {
		q, args := idsQuery(`SELECT id FROM items WHERE authority_id = $1 AND id IN (`, x.authority.ID, chunk)
		rows, err := x.s.db.Query(ctx, q+`)`, args...)
		if err != nil {
			return errs.Wrap(op, err)
		}
		found := make(map[int64]bool, len(chunk))
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return errs.Wrap(op, err)
			}
			found[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return errs.Wrap(op, err)
		}
		for _, id := range chunk {
			if !found[id] {
				return errs.E(errs.NotFound, op, "no item %d", id)
			}
		}
	}
	return nil
}

// idsQuery appends "$2, $3, …" for ids to prefix.
func idsQuery(prefix string, authorityID int64, ids []int64) (string, []any) {
	var b strings.Builder
	b.WriteString(prefix)
	args := make([]any, 0, len(ids)+1)
	args = append(args, authorityID)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, id)
		fmt.Fprintf(&b, "$%d", len(args))
	}
	return b.String(), args
}

// page reads the next page of items with ids above after, and returns the
// last id read (0 when the page is empty).
func (x *ExportStream) page(ctx context.Context, after int64) ([]*Item, int64, error) {
	const op = "assess: export"
	var q string
	var args []any
	if x.ids != nil {
		i, _ := slices.BinarySearch(x.ids, after+1)
		chunk := x.ids[i:min(i+exportPage, len(x.ids))]
		if len(chunk) == 0 {
			return nil, 0, nil
		}
		q, args = idsQuery(`SELECT `+itemColumns+` FROM items WHERE authority_id = $1 AND id IN (`, x.authority.ID, chunk)
		q += `) ORDER BY id`
	} else {
		args = append([]any{x.authority.ID}, x.args...)
		args = append(args, after, x.bound, exportPage)
		n := len(args)
		q = `SELECT ` + itemColumns + ` FROM items WHERE authority_id = $1` + x.where +
			fmt.Sprintf(` AND id > $%d AND id <= $%d ORDER BY id LIMIT $%d`, n-2, n-1, n)
	}
	rows, err := x.s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := make([]*Item, 0, exportPage)
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, 0, errs.Wrap(op, err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, errs.Wrap(op, err)
	}
	last := int64(0)
	if len(out) > 0 {
		last = out[len(out)-1].ID
	} else if x.ids != nil {
		// Every id of this chunk was deleted since Export checked them: go
		// on after the chunk.
		i, _ := slices.BinarySearch(x.ids, after+1)
		last = x.ids[min(i+exportPage, len(x.ids))-1]
	}
	return out, last, nil
}

// All yields the items, oldest first, reading a page at a time. It may be
// called more than once; each call starts again from the first item. A
// database error ends the sequence with a nil item and the error. An item
// of an explicit selection deleted since Export is left out.
func (x *ExportStream) All(ctx context.Context) iter.Seq2[*Item, error] {
	return func(yield func(*Item, error) bool) {
		page, last := x.first, x.firstLastID
		for {
			for _, it := range page {
				if !yield(it, nil) {
					return
				}
			}
			if last == 0 {
				return
			}
			var err error
			if page, last, err = x.page(ctx, last); err != nil {
				yield(nil, err)
				return
			}
		}
	}
}

// OpenMedia opens an image an exported item shows, by the reference in the
// item's Markdown: a bank image URL, /media/{authority}/{name} (see
// MediaURL), of an authority the exporting principal belongs to. Any other
// reference is Invalid; an image missing from the file store is NotFound.
func (x *ExportStream) OpenMedia(ctx context.Context, ref string) (io.ReadCloser, error) {
	const op = "assess: export image"
	code, name, ok := ParseMediaURL(ref)
	if !ok {
		return nil, errs.E(errs.Invalid, op, "it is neither an image of the bank (/media/…) nor a web address (http, https)")
	}
	rc, _, err := x.s.Media(ctx, x.p, code, name)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.NotFound, op, "it is not in the file store")
		}
		return nil, errs.Wrap(op, err)
	}
	return rc, nil
}

// ParseMediaURL splits a bank image URL, /media/{authority}/{name}, into
// its authority code and file name; ok is false for anything else.
func ParseMediaURL(ref string) (code, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "/media/")
	if !ok {
		return "", "", false
	}
	code, name, ok = strings.Cut(rest, "/")
	if !ok || code == "" || !mediaName.MatchString(name) || url.PathEscape(code) != code {
		return "", "", false
	}
	return code, name, true
}

// where turns the filter into SQL conditions to follow
// "authority_id = $1" (its parameters number from $2), for ListItems and
// exports alike.
func (f ItemFilter) where() (string, []any, error) {
	const op = "assess: filter items"
	var b strings.Builder
	args := []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		b.WriteString(fmt.Sprintf(" AND "+cond, len(args)+1))
	}
	v := errs.Validation{Op: op}
	if f.Text != "" {
		if len(f.Text) > 200 {
			v.Add("text", "search for at most 200 bytes")
		}
		for _, word := range strings.Fields(strings.ToLower(f.Text)) {
			word = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(word)
			add(`search_text LIKE '%%' || $%d || '%%' ESCAPE '\'`, word)
		}
	}
	if f.Type != "" {
		if !f.Type.Valid() {
			v.Add("type", "is not an item type")
		}
		add("type = $%d", string(f.Type))
	}
	if f.Status != "" {
		if !slices.Contains(Statuses, f.Status) {
			v.Add("status", "must be draft, reviewed, published or retired")
		}
		add("status = $%d", string(f.Status))
	}
	if f.Topic != "" {
		args = append(args, f.Topic, likePrefix(f.Topic+"/"))
		fmt.Fprintf(&b, ` AND (topic = $%d OR topic LIKE $%d ESCAPE '\')`, len(args), len(args)+1)
	}
	if f.Difficulty != "" {
		add("difficulty = $%d", f.Difficulty)
	}
	if f.Bloom != "" {
		add("bloom = $%d", f.Bloom)
	}
	if f.Language != "" {
		if !slices.Contains(Languages, f.Language) {
			v.Add("language", "must be one of %s", strings.Join(Languages, ", "))
		}
		add("(',' || languages || ',') LIKE '%%,' || $%d || ',%%'", f.Language)
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	return b.String(), args, nil
}
