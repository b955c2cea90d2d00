package assess

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Topic is one node of an authority's taxonomy. Its path names it and its
// place: "physics/optics" is under "physics".
type Topic struct {
	Path string `json:"path"`
	// Names shows the topic to people, per language; the path is for machines.
	NameEN    string    `json:"name_en,omitempty"`
	NameHI    string    `json:"name_hi,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

var topicSegment = regexp.MustCompile(`^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}_.-]*$`)

// maxTopicDepth is how deep a taxonomy may go (board/class/subject/unit/…).
const maxTopicDepth = 8

// CheckTopicPath reports what is wrong with a topic path, or "".
func CheckTopicPath(path string) string {
	switch {
	case path == "":
		return "is required"
	case len(path) > maxTagLen || !utf8.ValidString(path):
		return fmt.Sprintf("must be text of at most %d bytes", maxTagLen)
	case strings.Count(path, "/") >= maxTopicDepth:
		return fmt.Sprintf("may have at most %d levels", maxTopicDepth)
	}
	for _, seg := range strings.Split(path, "/") {
		if !topicSegment.MatchString(seg) {
			return `must be names separated by "/", each starting with a letter or digit (e.g. physics/optics)`
		}
	}
	return ""
}

// Topics lists an authority's taxonomy in path order.
func (s *Service) Topics(ctx context.Context, p *identity.Principal, code string) ([]Topic, error) {
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	return s.topics(ctx, s.db, a.ID)
}

func (s *Service) topics(ctx context.Context, q database.Querier, authorityID int64) ([]Topic, error) {
	rows, err := q.Query(ctx, `SELECT path, name_en, name_hi, created_at FROM topics WHERE authority_id = $1 ORDER BY path LIMIT 10000`, authorityID)
	if err != nil {
		return nil, errs.Wrap("assess: topics", err)
	}
	defer rows.Close()
	out := []Topic{}
	for rows.Next() {
		var t Topic
		if err := rows.Scan(&t.Path, &t.NameEN, &t.NameHI, &t.CreatedAt); err != nil {
			return nil, errs.Wrap("assess: topics", err)
		}
		t.CreatedAt = t.CreatedAt.UTC()
		out = append(out, t)
	}
	return out, errs.Wrap("assess: topics", rows.Err())
}

// AddTopic adds a topic, and any of its parents that are missing, to an
// authority's taxonomy; adding one that exists with names updates them.
// Administrators of the authority.
func (s *Service) AddTopic(ctx context.Context, p *identity.Principal, code string, t Topic) (*Topic, error) {
	const op = "assess: add topic"
	a, err := s.authority(ctx, p, code, []identity.Role{identity.RoleAdmin})
	if err != nil {
		return nil, err
	}
	t.Path = strings.Trim(strings.TrimSpace(t.Path), "/")
	t.NameEN, t.NameHI = strings.TrimSpace(t.NameEN), strings.TrimSpace(t.NameHI)
	v := errs.Validation{Op: op}
	if msg := CheckTopicPath(t.Path); msg != "" {
		v.Add("path", "%s", msg)
	}
	for field, name := range map[string]string{"name_en": t.NameEN, "name_hi": t.NameHI} {
		if utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
			v.Add(field, "must be text of at most 200 characters")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	t.CreatedAt = s.now()
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.ensureTopic(ctx, tx, a.ID, t); err != nil {
			return err
		}
		return s.id.Record(ctx, tx, p, a.ID, "topic.add", t.Path, map[string]any{"name_en": t.NameEN, "name_hi": t.NameHI})
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ensureTopic stores t and its missing parents.
func (s *Service) ensureTopic(ctx context.Context, tx *database.Tx, authorityID int64, t Topic) error {
	segs := strings.Split(t.Path, "/")
	for i := 1; i < len(segs); i++ {
		if _, err := tx.Exec(ctx, `INSERT INTO topics (authority_id, path, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			authorityID, strings.Join(segs[:i], "/"), t.CreatedAt); err != nil {
			return errs.Wrap("assess: add topic", err)
		}
	}
	// Without names (an import naming a topic) an existing topic is left
	// as it is; with names, they replace the old ones.
	onConflict := `DO NOTHING`
	if t.NameEN != "" || t.NameHI != "" {
		onConflict = `DO UPDATE SET name_en = excluded.name_en, name_hi = excluded.name_hi`
	}
	_, err := tx.Exec(ctx, `INSERT INTO topics (authority_id, path, name_en, name_hi, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (authority_id, path) `+onConflict, authorityID, t.Path, t.NameEN, t.NameHI, t.CreatedAt)
	return errs.Wrap("assess: add topic", err)
}

// RemoveTopic takes a topic out of the taxonomy. A topic with subtopics,
// or that items use, stays: move the items first. Administrators.
func (s *Service) RemoveTopic(ctx context.Context, p *identity.Principal, code, path string) error {
	const op = "assess: remove topic"
	a, err := s.authority(ctx, p, code, []identity.Role{identity.RoleAdmin})
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		n, err := tx.Exec(ctx, `DELETE FROM topics WHERE authority_id = $1 AND path = $2
			AND NOT EXISTS (SELECT 1 FROM topics c WHERE c.authority_id = $1 AND c.path LIKE $3 ESCAPE '\')
			AND NOT EXISTS (SELECT 1 FROM items i WHERE i.authority_id = $1 AND i.topic = $2)`, a.ID, path, likePrefix(path+"/"))
		if err != nil {
			return errs.Wrap(op, err)
		}
		if n == 0 {
			var exists, children, items int
			if err := tx.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM topics WHERE authority_id = $1 AND path = $2),
				(SELECT count(*) FROM topics WHERE authority_id = $1 AND path LIKE $3 ESCAPE '\'),
				(SELECT count(*) FROM items WHERE authority_id = $1 AND topic = $2)`, a.ID, path, likePrefix(path+"/")).Scan(&exists, &children, &items); err != nil {
				return errs.Wrap(op, err)
			}
			switch {
			case exists == 0:
				return errs.E(errs.NotFound, op, "there is no topic %q", path)
			case children > 0:
				return errs.E(errs.Conflict, op, "topic %q has %d subtopics; remove them first", path, children)
			default:
				return errs.E(errs.Conflict, op, "%d items use topic %q; give them another topic first", items, path)
			}
		}
		return s.id.Record(ctx, tx, p, a.ID, "topic.remove", path, nil)
	})
}

// errUnknownTopic is the problem with an item whose topic is not in a
// taxonomy that has topics.
func errUnknownTopic(topic string) error {
	return &errs.Error{Kind: errs.Invalid, Op: "assess: check topic", Message: "some fields are not valid",
		Fields: map[string]string{"tags.topic": fmt.Sprintf("%q is not one of this authority's topics; add it to the taxonomy first", topic)}}
}

// checkTopic accepts topic if it is empty, if the authority has not set up
// a taxonomy yet (so a pilot can start without one), or if it is in it.
func (s *Service) checkTopic(ctx context.Context, q database.Querier, authorityID int64, topic string) error {
	if topic == "" {
		return nil
	}
	var known, any bool
	err := q.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM topics WHERE authority_id = $1 AND path = $2),
		EXISTS (SELECT 1 FROM topics WHERE authority_id = $1)`, authorityID, topic).Scan(&known, &any)
	if err != nil && !errors.Is(err, database.ErrNoRows) {
		return errs.Wrap("assess: check topic", err)
	}
	if any && !known {
		return errUnknownTopic(topic)
	}
	return nil
}

// likePrefix is a LIKE pattern (with ESCAPE '\') matching strings that
// start with prefix, whatever wildcards prefix holds.
func likePrefix(prefix string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
}
