package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// AuditEntry is one privileged action in the append-only audit log.
type AuditEntry struct {
	ID          int64          `json:"id"`
	At          time.Time      `json:"at"`
	ActorID     int64          `json:"actor_id,omitempty"`
	Actor       string         `json:"actor"`
	AuthorityID int64          `json:"authority_id,omitempty"`
	Action      string         `json:"action"`
	Target      string         `json:"target,omitempty"`
	Details     map[string]any `json:"details,omitempty"`
	IP          string         `json:"ip,omitempty"`
	RequestID   string         `json:"request_id,omitempty"`

	details  string
	prevHash []byte
	hash     []byte
}

// appendAudit adds e to the log inside tx, so the action and its record
// commit or roll back together. Appenders serialise on the audit_head row:
// the UPDATE locks it on PostgreSQL, and SQLite has one writer anyway.
func (s *Service) appendAudit(ctx context.Context, tx *database.Tx, e AuditEntry) error {
	o := OriginFrom(ctx)
	if e.IP == "" {
		e.IP = o.IP
	}
	if e.RequestID == "" {
		e.RequestID = o.RequestID
	}
	e.At = s.now()
	if e.Details == nil {
		e.details = "{}"
	} else {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return errs.Wrap("identity: audit", err)
		}
		e.details = string(b)
	}
	if err := tx.QueryRow(ctx, `UPDATE audit_head SET last_id = last_id + 1 WHERE id = 1 RETURNING last_id, last_hash`).Scan(&e.ID, &e.prevHash); err != nil {
		return errs.Wrap("identity: audit head", err)
	}
	if e.prevHash == nil {
		// The SQLite driver reads the empty genesis hash as nil and would
		// bind nil as NULL, which prev_hash refuses.
		e.prevHash = []byte{}
	}
	e.hash = e.chainHash()
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (id, at, actor_id, actor, authority_id, action, target, details, ip, request_id, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, e.At, nullInt(e.ActorID), e.Actor, nullInt(e.AuthorityID), e.Action, e.Target, e.details, e.IP, e.RequestID, e.prevHash, e.hash); err != nil {
		return errs.Wrap("identity: audit insert", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET last_hash = $1 WHERE id = 1`, e.hash); err != nil {
		return errs.Wrap("identity: audit head", err)
	}
	return nil
}

// chainHash is SHA-256 over the previous hash and every field of the entry,
// each length-prefixed so that no two entries encode alike.
func (e *AuditEntry) chainHash() []byte {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(string(e.prevHash))
	field(strconv.FormatInt(e.ID, 10))
	field(e.At.UTC().Format(time.RFC3339Nano))
	field(strconv.FormatInt(e.ActorID, 10))
	field(e.Actor)
	field(strconv.FormatInt(e.AuthorityID, 10))
	field(e.Action)
	field(e.Target)
	field(e.details)
	field(e.IP)
	field(e.RequestID)
	return h.Sum(nil)
}

func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

const auditColumns = `id, at, actor_id, actor, authority_id, action, target, details, ip, request_id, prev_hash, hash`

func scanAudit(rows database.Rows) (AuditEntry, error) {
	var e AuditEntry
	var actorID, authorityID sql.NullInt64
	if err := rows.Scan(&e.ID, &e.At, &actorID, &e.Actor, &authorityID, &e.Action, &e.Target, &e.details, &e.IP, &e.RequestID, &e.prevHash, &e.hash); err != nil {
		return e, err
	}
	e.At = e.At.UTC()
	e.ActorID, e.AuthorityID = actorID.Int64, authorityID.Int64
	if e.details != "" && e.details != "{}" {
		_ = json.Unmarshal([]byte(e.details), &e.Details)
	}
	return e, nil
}

// AuditFilter selects audit entries, newest first.
type AuditFilter struct {
	AuthorityID int64 // 0: every authority (platform administrators only)
	Action      string
	Before      int64 // cursor: entries with id < Before
	Limit       int
}

func (s *Service) listAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := `SELECT ` + auditColumns + ` FROM audit_log WHERE 1=1`
	var args []any
	if f.AuthorityID != 0 {
		args = append(args, f.AuthorityID)
		q += fmt.Sprintf(` AND authority_id = $%d`, len(args))
	}
	if f.Action != "" {
		args = append(args, f.Action)
		q += fmt.Sprintf(` AND action = $%d`, len(args))
	}
	if f.Before > 0 {
		args = append(args, f.Before)
		q += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, errs.Wrap("identity: list audit", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, errs.Wrap("identity: list audit", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditReport is the result of checking the audit log's hash chain.
type AuditReport struct {
	Entries int64 // entries checked
	// BrokenAt is the id of the first entry whose hash or link does not
	// match, or 0 if the chain is whole.
	BrokenAt int64
	Reason   string
	// Head is the last entry: record it outside Vidya (HeadID:HeadHash) and
	// pass it back as an anchor later, to detect entries cut off the end
	// together with the head row.
	Head AuditAnchor
}

// AuditAnchor is an entry id and its hash, recorded outside the database.
type AuditAnchor struct {
	ID   int64
	Hash []byte
}

// String writes the anchor as ID:HEX, the form ParseAuditAnchor reads.
func (a AuditAnchor) String() string { return fmt.Sprintf("%d:%x", a.ID, a.Hash) }

// ParseAuditAnchor reads an anchor written as ID:HEX.
func ParseAuditAnchor(s string) (AuditAnchor, error) {
	id, h, ok := strings.Cut(s, ":")
	var a AuditAnchor
	var err error
	if ok {
		a.ID, err = strconv.ParseInt(id, 10, 64)
		if err == nil {
			a.Hash, err = hex.DecodeString(h)
		}
	}
	if !ok || err != nil || a.ID <= 0 || len(a.Hash) != sha256.Size {
		return a, errs.E(errs.Invalid, "identity: audit anchor", "%q is not an anchor; write it as ENTRY-ID:SHA256-HEX, as verify-audit prints it", s)
	}
	return a, nil
}

// VerifyAudit walks the whole audit log in order and reports the first entry
// that was altered, removed or inserted out of chain, and any anchor the log
// no longer matches.
func (s *Service) VerifyAudit(ctx context.Context, anchors ...AuditAnchor) (AuditReport, error) {
	anchorAt := map[int64][]byte{}
	for _, a := range anchors {
		anchorAt[a.ID] = a.Hash
	}
	var rep AuditReport
	var prev []byte
	var want int64 = 1
	const page = 5000
	for after := int64(0); ; {
		rows, err := s.db.Query(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, after, page)
		if err != nil {
			return rep, errs.Wrap("identity: verify audit", err)
		}
		n := 0
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				rows.Close()
				return rep, errs.Wrap("identity: verify audit", err)
			}
			n++
			after = e.ID
			switch {
			case e.ID != want:
				rep.BrokenAt, rep.Reason = want, fmt.Sprintf("entry %d is missing (next present is %d)", want, e.ID)
			case !bytes.Equal(e.prevHash, prev):
				rep.BrokenAt, rep.Reason = e.ID, "its link to the previous entry does not match"
			case !bytes.Equal(e.chainHash(), e.hash):
				rep.BrokenAt, rep.Reason = e.ID, "its contents do not match its hash (altered)"
			case anchorAt[e.ID] != nil && !bytes.Equal(anchorAt[e.ID], e.hash):
				rep.BrokenAt, rep.Reason = e.ID, "its hash differs from the anchor recorded for it (the log was rewritten from here)"
			}
			if rep.BrokenAt != 0 {
				rows.Close()
				return rep, nil
			}
			rep.Entries++
			prev = e.hash
			want++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return rep, errs.Wrap("identity: verify audit", err)
		}
		if n < page {
			break
		}
	}
	// Entries cut off the end show as a head that points past the last row.
	var headID int64
	var headHash []byte
	if err := s.db.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_head WHERE id = 1`).Scan(&headID, &headHash); err != nil {
		return rep, errs.Wrap("identity: verify audit", err)
	}
	if headID != want-1 || !bytes.Equal(headHash, prev) {
		rep.BrokenAt, rep.Reason = want, fmt.Sprintf("the log ends at entry %d but its head records %d entries (entries removed from the end)", want-1, headID)
		return rep, nil
	}
	for _, a := range anchors {
		if a.ID >= want {
			rep.BrokenAt, rep.Reason = want, fmt.Sprintf("the log ends at entry %d, but entry %d was recorded as an anchor (entries removed from the end)", want-1, a.ID)
			return rep, nil
		}
	}
	rep.Head = AuditAnchor{ID: want - 1, Hash: prev}
	return rep, nil
}

// Record appends an entry for a privileged action another domain performed
// inside tx, so the action and its record commit together.
func (s *Service) Record(ctx context.Context, tx *database.Tx, p *Principal, authorityID int64, action, target string, details map[string]any) error {
	e := AuditEntry{AuthorityID: authorityID, Action: action, Target: target, Details: details, Actor: "system"}
	if p != nil {
		e.ActorID, e.Actor = p.User.ID, p.User.Email
	}
	return s.appendAudit(ctx, tx, e)
}

// AuditHead returns the newest entry's anchor without checking the chain,
// cheaply, so it can be logged or exported regularly.
func (s *Service) AuditHead(ctx context.Context) (AuditAnchor, error) {
	var a AuditAnchor
	err := s.db.QueryRow(ctx, `SELECT last_id, last_hash FROM audit_head WHERE id = 1`).Scan(&a.ID, &a.Hash)
	return a, errs.Wrap("identity: audit head", err)
}
