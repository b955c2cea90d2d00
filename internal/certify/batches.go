package certify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/certify/rules"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Batch states.
const (
	BatchPending   = "pending"   // validated, waiting for an approver
	BatchIssuing   = "issuing"   // approved; jobs are issuing it
	BatchPaused    = "paused"    // approved; issuing stopped until resumed
	BatchDone      = "done"      // every valid row issued (or failed)
	BatchCancelled = "cancelled" // stopped for good; what was issued stays
	BatchDeclined  = "declined"  // the approver said no
)

// Row states.
const (
	RowValid    = "valid"    // passed validation; to be issued
	RowRejected = "rejected" // failed validation; never issued
	RowIssued   = "issued"
	RowFailed   = "failed" // could not be issued (e.g. the name does not fit the template)
)

// Limits of a batch.
const (
	MaxBatchRows  = 200_000
	MaxBatchBytes = 64 << 20
	// ChunkRows is how many rows one issuing job takes.
	ChunkRows = 250
)

// CodeOwnBatch is the problem code for approving a batch one made.
const CodeOwnBatch = "own-batch"

// Batch is a set of certificates to issue together.
type Batch struct {
	ID           int64      `json:"id"`
	Type         string     `json:"type"`
	TypeName     string     `json:"type_name"`
	TypeVersion  int        `json:"type_version"`
	Name         string     `json:"name"`
	Source       string     `json:"source"`       // exam:ID or csv:label, part of each certificate's identity
	SourceLabel  string     `json:"source_label"` // for people
	State        string     `json:"state"`
	Total        int        `json:"total"`
	Valid        int        `json:"valid"` // rows that passed validation
	Rejected     int        `json:"rejected"`
	Issued       int        `json:"issued"`
	Failed       int        `json:"failed"`
	MakerID      int64      `json:"maker_id"`
	MakerName    string     `json:"maker_name"`
	ApproverID   *int64     `json:"approver_id,omitempty"`
	ApproverName string     `json:"approver_name,omitempty"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
	Note         string     `json:"note,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`

	def         Definition
	authorityID int64
	typeID      int64
}

// Remaining is how many valid rows are still to be issued.
func (b *Batch) Remaining() int { return b.Valid - b.Issued - b.Failed }

// BatchRow is one row of a batch and what became of it.
type BatchRow struct {
	Row      int               `json:"row"` // the line in the file (the header is line 1), or the rank in an exam
	HolderID string            `json:"holder_id"`
	Data     map[string]string `json:"data"`
	State    string            `json:"state"`
	Problems []string          `json:"problems,omitempty"`
	DocID    string            `json:"doc_id,omitempty"`
}

// BatchInput is what a new batch is made from: a type and either an
// exam's results or a CSV file whose header names the type's fields.
type BatchInput struct {
	Type string `json:"type"`
	Name string `json:"name"`
	// Source names what the certificates are for, e.g. "Secondary
	// examination, March 2026"; required with a CSV. With the same type
	// and holder, it decides whether a certificate exists already.
	Source string    `json:"source"`
	ExamID int64     `json:"exam_id,omitempty"`
	CSV    io.Reader `json:"-"`
}

// ResultSource gives an exam's results as records for certificates:
// holder.id (roll number), holder.name and result.* fields. The assess
// domain implements it; certify does not read its tables.
type ResultSource interface {
	ExamRecords(ctx context.Context, p *identity.Principal, code string, examID int64, fn func(n int, rec map[string]string) error) (label string, err error)
}

// records is a batch's input rows, with their line numbers.
type records struct {
	lines []int
	rows  []map[string]string
}

func (r *records) seq() iter.Seq2[int, map[string]string] {
	return func(yield func(int, map[string]string) bool) {
		for i, row := range r.rows {
			if !yield(r.lines[i], row) {
				return
			}
		}
	}
}

// readCSV reads a CSV file whose header names schema's fields. A missing
// required column or a column the type does not have refuses the whole
// file; a row with the wrong number of cells is kept as a row with a
// problem.
func readCSV(r io.Reader, schema []rules.Field) (*records, error) {
	return readCSVMax(r, schema, MaxBatchBytes)
}

// readCSVMax is readCSV for files of at most maxBytes.
func readCSVMax(r io.Reader, schema []rules.Field, maxBytes int64) (*records, error) {
	const op = "certify: read CSV"
	// One byte more than allowed is read, so that a larger file is told
	// apart from one of exactly the limit instead of being cut short.
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	br := bufio.NewReader(lr)
	tooLarge := func() error {
		return errs.E(errs.TooLarge, op, "the file is larger than %d MB", max(maxBytes>>20, 1))
	}
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if lr.N == 0 {
		return nil, tooLarge()
	}
	if errors.Is(err, io.EOF) {
		return nil, errs.E(errs.Invalid, op, "the file is empty; the first line must name the columns")
	}
	if err != nil {
		return nil, csvError(op, err)
	}
	header = slices.Clone(header)
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
		if !utf8.ValidString(header[i]) {
			return nil, errs.E(errs.Invalid, op, "the file is not UTF-8 text; save it as CSV UTF-8")
		}
	}
	seen := map[string]bool{}
	for _, h := range header {
		if h == "" {
			continue // an empty trailing column from a spreadsheet
		}
		if seen[h] {
			return nil, errs.E(errs.Invalid, op, "the column %q appears twice", h)
		}
		seen[h] = true
	}
	if unknown := rules.UnknownColumns(schema, header); len(unknown) > 0 {
		return nil, errs.E(errs.Invalid, op, "the file has columns this certificate type does not have: %s", strings.Join(unknown, ", "))
	}
	if missing := rules.MissingColumns(schema, header); len(missing) > 0 {
		return nil, errs.E(errs.Invalid, op, "the file lacks required columns: %s", strings.Join(missing, ", "))
	}
	out := &records{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if lr.N == 0 {
			return nil, tooLarge()
		}
		if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			return nil, csvError(op, err)
		}
		line, _ := cr.FieldPos(0)
		if len(out.rows) == MaxBatchRows {
			return nil, errs.E(errs.TooLarge, op, "the file has more than %d rows; split it into several batches", MaxBatchRows)
		}
		row := make(map[string]string, len(header))
		if len(rec) != len(header) {
			row[rowProblemKey] = errs.E(errs.Invalid, op, "the row has %d cells but the header has %d", len(rec), len(header)).Message
		}
		for i, h := range header {
			if h != "" && i < len(rec) {
				row[h] = strings.TrimSpace(rec[i])
			}
		}
		out.lines = append(out.lines, line)
		out.rows = append(out.rows, row)
	}
	if lr.N == 0 {
		return nil, tooLarge()
	}
	if len(out.rows) == 0 {
		return nil, errs.E(errs.Invalid, op, "the file has a header but no rows")
	}
	return out, nil
}

// rowProblemKey carries a row's shape problem through to validation.
const rowProblemKey = "\x00problem"

func csvError(op string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: fmt.Sprintf("the file is not valid CSV: line %d, column %d: %v", pe.Line, pe.Column, pe.Err), Err: err}
	}
	return errs.Wrap(op, err)
}

// CreateBatch validates the input against the type's fields and rules and
// stores the batch, every row with its verdict, for an approver. Rows
// that fail (a missing or unreadable value, a failed rule, a holder that
// appears twice or already has this certificate from this source) are
// kept as rejected with every reason. A file that cannot be read at all,
// or whose columns do not match the type, creates nothing.
// Administrators; audited.
func (s *Service) CreateBatch(ctx context.Context, p *identity.Principal, code string, in BatchInput) (*Batch, error) {
	const op = "certify: create batch"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return nil, err
	}
	t, err := s.typeByCode(ctx, s.db, a.ID, in.Type)
	if err != nil {
		return nil, err
	}
	if t.Archived {
		return nil, errs.E(errs.Conflict, op, "the certificate type %q is archived", in.Type)
	}
	ct, err := s.compile(ctx, a.ID, t.Definition)
	if err != nil {
		return nil, err
	}
	in.Name, in.Source = strings.TrimSpace(in.Name), strings.TrimSpace(in.Source)
	v := errs.Validation{Op: op}
	if utf8.RuneCountInString(in.Name) > 200 {
		v.Add("name", "must be at most %d characters", 200)
	}
	if utf8.RuneCountInString(in.Source) > 200 {
		v.Add("source", "must be at most %d characters", 200)
	}
	b := &Batch{Type: t.Code, TypeName: t.Definition.Name, TypeVersion: t.Version, Name: in.Name, State: BatchPending, MakerID: p.User.ID, MakerName: p.User.Name, def: ct.def, authorityID: a.ID}
	var recs *records
	switch {
	case in.ExamID != 0 && in.CSV != nil:
		v.Add("source", "give an exam or a file, not both")
	case in.ExamID != 0:
		if s.results == nil {
			return nil, errs.E(errs.Unsupported, op, "exam results are not available here")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		recs = &records{}
		names := map[string]bool{}
		for _, f := range ct.def.Fields {
			names[f.Name] = true
		}
		label, err := s.results.ExamRecords(ctx, p, code, in.ExamID, func(n int, rec map[string]string) error {
			if len(recs.rows) == MaxBatchRows {
				return errs.E(errs.TooLarge, op, "the exam has more than %d results; certificates for it need several batches", MaxBatchRows)
			}
			row := make(map[string]string, len(names))
			for k, val := range rec {
				if names[k] {
					row[k] = val
				}
			}
			recs.lines = append(recs.lines, n)
			recs.rows = append(recs.rows, row)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(recs.rows) == 0 {
			return nil, errs.E(errs.Conflict, op, "the exam has no computed results yet")
		}
		b.Source, b.SourceLabel = "exam:"+strconv.FormatInt(in.ExamID, 10), label
		if in.Source != "" {
			b.SourceLabel = in.Source
		}
	case in.CSV != nil:
		if in.Source == "" {
			v.Add("source", "name what these certificates are for, e.g. the examination and session")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if recs, err = readCSV(in.CSV, ct.def.schema()); err != nil {
			return nil, err
		}
		b.Source, b.SourceLabel = "csv:"+strings.ToLower(strings.Join(strings.Fields(in.Source), " ")), in.Source
	default:
		v.Add("source", "give an exam or a CSV file")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if b.Name == "" {
		b.Name = t.Definition.Name + " — " + b.SourceLabel
	}

	existing, err := s.existingHolders(ctx, a.ID, t.ID, b.Source)
	if err != nil {
		return nil, err
	}
	rows := s.validateRows(ct, recs, existing)
	b.Total = len(rows)
	for _, r := range rows {
		if r.State == RowValid {
			b.Valid++
		} else {
			b.Rejected++
		}
	}
	raw, err := json.Marshal(ct.def)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	now := s.now()
	b.CreatedAt, b.UpdatedAt = now, now
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO cert_batches (authority_id, type_id, type_version, definition, name, source, source_label, state, total, valid, rejected, maker_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
			a.ID, t.ID, t.Version, string(raw), b.Name, b.Source, b.SourceLabel, b.State, b.Total, b.Valid, b.Rejected, p.User.ID, now).Scan(&b.ID)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if err := insertRows(ctx, tx, b.ID, rows); err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "certify.batch.create", strconv.FormatInt(b.ID, 10),
			map[string]any{"type": t.Code, "version": t.Version, "source": b.Source, "total": b.Total, "valid": b.Valid, "rejected": b.Rejected})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

const opValidate = "certify: check rows"

// validateRows checks each record: its shape, its fields, the rules, and
// that its holder is new. Its problems are in English; pages show them in
// the reader's language (l10n.TranslateLabelled).
func (s *Service) validateRows(ct *compiledType, recs *records, existing map[string]string) []BatchRow {
	schema := ct.def.schema()
	now := s.now()
	firstLine := map[string]int{}
	out := make([]BatchRow, len(recs.rows))
	for i, raw := range recs.rows {
		r := BatchRow{Row: recs.lines[i], HolderID: raw[FieldHolderID], State: RowValid}
		if msg, ok := raw[rowProblemKey]; ok {
			r.Problems = append(r.Problems, msg)
			delete(raw, rowProblemKey)
		}
		r.Data = raw
		rec, ferrs := rules.Coerce(schema, raw)
		for _, fe := range ferrs {
			r.Problems = append(r.Problems, fe.Field+": "+fe.Message)
		}
		if len(ferrs) == 0 {
			for _, f := range ct.rules.Evaluate(rec, now) {
				r.Problems = append(r.Problems, f.Rule+": "+f.Message)
			}
		}
		if id := r.HolderID; id != "" {
			if first, dup := firstLine[id]; dup {
				r.Problems = append(r.Problems, FieldHolderID+": "+errs.E(errs.Invalid, opValidate, "%s appears again; first on row %d", id, first).Message)
			} else {
				firstLine[id] = r.Row
			}
			if doc, ok := existing[id]; ok {
				r.Problems = append(r.Problems, errs.E(errs.Invalid, opValidate, "%s already has this certificate for this source: %s", id, doc).Message)
			}
		}
		if len(r.Problems) > 0 {
			r.State = RowRejected
		}
		out[i] = r
	}
	return out
}

// existingHolders maps the holders who already have a standing
// certificate of the type from the source to its document id.
func (s *Service) existingHolders(ctx context.Context, authorityID, typeID int64, source string) (map[string]string, error) {
	rows, err := s.db.Query(ctx, `SELECT holder_id, doc_id FROM certificates WHERE authority_id = $1 AND type_id = $2 AND source = $3 AND replaced_by IS NULL`, authorityID, typeID, source)
	if err != nil {
		return nil, errs.Wrap("certify: existing certificates", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var h, d string
		if err := rows.Scan(&h, &d); err != nil {
			return nil, errs.Wrap("certify: existing certificates", err)
		}
		out[h] = d
	}
	return out, errs.Wrap("certify: existing certificates", rows.Err())
}

// insertRows stores rows 200 at a time.
func insertRows(ctx context.Context, tx *database.Tx, batchID int64, rows []BatchRow) error {
	const per = 200
	var q strings.Builder
	args := make([]any, 0, per*6)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		q.Reset()
		args = args[:0]
		q.WriteString(`INSERT INTO cert_batch_rows (batch_id, row_no, holder_id, data, state, problems) VALUES `)
		for i, r := range rows[start:end] {
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6)
			data, err := json.Marshal(r.Data)
			if err != nil {
				return err
			}
			var problems *string
			if len(r.Problems) > 0 {
				p, err := json.Marshal(r.Problems)
				if err != nil {
					return err
				}
				ps := string(p)
				problems = &ps
			}
			args = append(args, batchID, r.Row, r.HolderID, string(data), r.State, problems)
		}
		if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

const batchColumns = `b.id, t.code, b.type_version, b.definition, b.name, b.source, b.source_label, b.state, b.total, b.valid, b.rejected, b.issued, b.failed,
	b.maker_id, mk.name, b.approver_id, COALESCE(ap.name, ''), b.decided_at, b.decision_note, b.created_at, b.updated_at, b.finished_at, b.authority_id, b.type_id`

// batchFrom joins what batchColumns needs: the type's code and the names
// of the maker and approver.
const batchFrom = ` FROM cert_batches b JOIN cert_types t ON t.id = b.type_id JOIN users mk ON mk.id = b.maker_id LEFT JOIN users ap ON ap.id = b.approver_id`

func scanBatch(r interface{ Scan(...any) error }) (*Batch, error) {
	var b Batch
	var def string
	if err := r.Scan(&b.ID, &b.Type, &b.TypeVersion, &def, &b.Name, &b.Source, &b.SourceLabel, &b.State, &b.Total, &b.Valid, &b.Rejected, &b.Issued, &b.Failed,
		&b.MakerID, &b.MakerName, &b.ApproverID, &b.ApproverName, &b.DecidedAt, &b.Note, &b.CreatedAt, &b.UpdatedAt, &b.FinishedAt, &b.authorityID, &b.typeID); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(def), &b.def); err != nil {
		return nil, fmt.Errorf("batch %d: %w", b.ID, err)
	}
	b.TypeName = b.def.Name
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	inUTC(&b.DecidedAt, &b.FinishedAt)
	return &b, nil
}

// Batch returns one batch with its counts. Administrators and approvers.
func (s *Service) Batch(ctx context.Context, p *identity.Principal, code string, id int64) (*Batch, error) {
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	return s.batch(ctx, s.db, a.ID, id)
}

func (s *Service) batch(ctx context.Context, q queryer, authorityID, id int64) (*Batch, error) {
	b, err := scanBatch(q.QueryRow(ctx, `SELECT `+batchColumns+batchFrom+` WHERE b.id = $1 AND b.authority_id = $2`, id, authorityID))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "certify: batch", "there is no batch %d", id)
	}
	return b, errs.Wrap("certify: batch", err)
}

// Batches lists an authority's batches, newest first, limit at a time
// before the id before (0: from the newest). Administrators and approvers.
func (s *Service) Batches(ctx context.Context, p *identity.Principal, code string, before int64, limit int) ([]Batch, error) {
	const op = "certify: batches"
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := s.db.Query(ctx, `SELECT `+batchColumns+batchFrom+`
		WHERE b.authority_id = $1 AND b.id < $2 ORDER BY b.id DESC LIMIT $3`, a.ID, before, identity.Page{Limit: limit}.Size())
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := []Batch{}
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		out = append(out, *b)
	}
	return out, errs.Wrap(op, rows.Err())
}

// BatchRows lists a batch's rows in order from row after+1, limit at a
// time (at most 500), optionally only those in one state: the rejected
// rows with their reasons, or samples for the approver. Administrators
// and approvers.
func (s *Service) BatchRows(ctx context.Context, p *identity.Principal, code string, id int64, state string, after, limit int) ([]BatchRow, error) {
	const op = "certify: batch rows"
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	if _, err := s.batch(ctx, s.db, a.ID, id); err != nil {
		return nil, err
	}
	switch state {
	case "", RowValid, RowRejected, RowIssued, RowFailed:
	default:
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "unknown row state",
			Fields: map[string]string{"state": "must be valid, rejected, issued or failed"}}
	}
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.db.Query(ctx, `SELECT row_no, holder_id, data, state, problems, doc_id FROM cert_batch_rows
		WHERE batch_id = $1 AND row_no > $2 AND ($3 = '' OR state = $3) ORDER BY row_no LIMIT $4`, id, after, state, limit)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := []BatchRow{}
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		out = append(out, *r)
	}
	return out, errs.Wrap(op, rows.Err())
}

func scanRow(rows interface{ Scan(...any) error }) (*BatchRow, error) {
	var r BatchRow
	var data string
	var problems, doc *string
	if err := rows.Scan(&r.Row, &r.HolderID, &data, &r.State, &problems, &doc); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &r.Data); err != nil {
		return nil, err
	}
	if problems != nil {
		if err := json.Unmarshal([]byte(*problems), &r.Problems); err != nil {
			return nil, err
		}
	}
	if doc != nil {
		r.DocID = *doc
	}
	return &r, nil
}

// WriteRejections writes a batch's rejected and failed rows as CSV: the
// row, the holder, and every reason (through translate, if not nil, as
// they are stored otherwise: in English); cells a spreadsheet would run as
// a formula are guarded. Administrators and approvers.
func (s *Service) WriteRejections(ctx context.Context, p *identity.Principal, code string, id int64, w io.Writer, translate func(string) string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"row", FieldHolderID, "state", "problems"}); err != nil {
		return err
	}
	for _, state := range []string{RowRejected, RowFailed} {
		after := 0
		for {
			rows, err := s.BatchRows(ctx, p, code, id, state, after, 500)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if translate != nil {
					for i, msg := range r.Problems {
						r.Problems[i] = translate(msg)
					}
				}
				if err := cw.Write([]string{strconv.Itoa(r.Row), guardCell(r.HolderID), r.State, guardCell(strings.Join(r.Problems, "; "))}); err != nil {
					return err
				}
				after = r.Row
			}
			if len(rows) < 500 {
				break
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// guardCell keeps a spreadsheet from running a cell as a formula.
func guardCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Decide approves or declines a pending batch. The approver must hold the
// approver role and must not be the batch's maker (maker-checker).
// Approving starts issuing: the batch is split into jobs of ChunkRows rows
// enqueued in the same transaction. Approvers; audited.
func (s *Service) Decide(ctx context.Context, p *identity.Principal, code string, id int64, approve bool, note string) (*Batch, error) {
	const op = "certify: decide batch"
	a, err := s.id.AuthorityAs(ctx, p, code, identity.RoleApprover)
	if err != nil {
		return nil, err
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 1000 {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the note is too long", Fields: map[string]string{"note": "must be at most 1000 characters"}}
	}
	if approve {
		// A missing key is refused now, not by every job.
		if _, err := s.activeKey(ctx, a); err != nil {
			return nil, err
		}
	} else if note == "" {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "say why the batch is declined", Fields: map[string]string{"note": "is required when declining"}}
	}
	var b *Batch
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var err error
		if b, err = s.batch(ctx, tx, a.ID, id); err != nil {
			return err
		}
		if b.State != BatchPending {
			return errs.E(errs.Conflict, op, "batch %d is %s, not waiting for approval", id, b.State)
		}
		if b.MakerID == p.User.ID {
			return &errs.Error{Kind: errs.Forbidden, Op: op, Code: CodeOwnBatch, Message: "a batch must be approved by someone other than the person who made it"}
		}
		if approve && b.Valid == 0 {
			return errs.E(errs.Conflict, op, "batch %d has no valid rows to issue", id)
		}
		now := s.now()
		b.State = BatchDeclined
		if approve {
			b.State = BatchIssuing
		}
		uid := p.User.ID
		b.ApproverID, b.ApproverName, b.DecidedAt, b.Note, b.UpdatedAt = &uid, p.User.Name, &now, note, now
		n, err := tx.Exec(ctx, `UPDATE cert_batches SET state = $1, approver_id = $2, decided_at = $3, decision_note = $4, updated_at = $3 WHERE id = $5 AND state = $6`,
			b.State, uid, now, note, id, BatchPending)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if n != 1 {
			return errs.E(errs.Conflict, op, "batch %d changed meanwhile; look again", id)
		}
		if approve {
			if err := s.enqueueRemaining(ctx, tx, id, 0); err != nil {
				return err
			}
		}
		action := "certify.batch.decline"
		if approve {
			action = "certify.batch.approve"
		}
		return s.id.Record(ctx, tx, p, a.ID, action, strconv.FormatInt(id, 10), map[string]any{"note": note, "valid": b.Valid})
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Chunk is one issuing job: rows From to To (inclusive) of a batch.
type Chunk struct {
	Batch int64 `json:"batch"`
	From  int   `json:"from"`
	To    int   `json:"to"`
	// Round tells apart chunks enqueued again by Sweep from stuck ones.
	Round int64 `json:"round,omitempty"`
}

// enqueueRemaining hands the rows of a batch still to issue to jobs.
func (s *Service) enqueueRemaining(ctx context.Context, tx *database.Tx, batchID, round int64) error {
	chunks, err := remainingChunks(ctx, tx, batchID, round)
	if err != nil {
		return errs.Wrap("certify: enqueue", err)
	}
	if len(chunks) == 0 || s.enqueue == nil {
		return nil
	}
	return s.enqueue(ctx, tx, chunks)
}

// remainingChunks splits the valid rows of a batch into chunks of
// ChunkRows.
func remainingChunks(ctx context.Context, tx *database.Tx, batchID, round int64) ([]Chunk, error) {
	rows, err := tx.Query(ctx, `SELECT row_no FROM cert_batch_rows WHERE batch_id = $1 AND state = $2 ORDER BY row_no`, batchID, RowValid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var chunks []Chunk
	n := 0
	for rows.Next() {
		var r int
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		if n%ChunkRows == 0 {
			chunks = append(chunks, Chunk{Batch: batchID, From: r, Round: round})
		}
		chunks[len(chunks)-1].To = r
		n++
	}
	return chunks, rows.Err()
}

// Pause stops issuing a batch after the jobs running now; Resume starts
// it again; Cancel stops it for good (what was issued stays issued and
// valid). Administrators and approvers; audited.
func (s *Service) Pause(ctx context.Context, p *identity.Principal, code string, id int64) (*Batch, error) {
	return s.setState(ctx, p, code, id, "certify.batch.pause", BatchPaused, BatchIssuing)
}

// Resume restarts a paused batch where it stopped.
func (s *Service) Resume(ctx context.Context, p *identity.Principal, code string, id int64) (*Batch, error) {
	return s.setState(ctx, p, code, id, "certify.batch.resume", BatchIssuing, BatchPaused)
}

// Cancel stops a batch that is waiting, issuing or paused.
func (s *Service) Cancel(ctx context.Context, p *identity.Principal, code string, id int64) (*Batch, error) {
	return s.setState(ctx, p, code, id, "certify.batch.cancel", BatchCancelled, BatchPending, BatchIssuing, BatchPaused)
}

func (s *Service) setState(ctx context.Context, p *identity.Principal, code string, id int64, action, to string, from ...string) (*Batch, error) {
	const op = "certify: batch state"
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	var b *Batch
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var err error
		if b, err = s.batch(ctx, tx, a.ID, id); err != nil {
			return err
		}
		if !slices.Contains(from, b.State) {
			return errs.E(errs.Conflict, op, "batch %d is %s; it cannot be made %s", id, b.State, to)
		}
		now := s.now()
		var finished *time.Time
		if to == BatchCancelled {
			finished = &now
		}
		if _, err := tx.Exec(ctx, `UPDATE cert_batches SET state = $1, updated_at = $2, finished_at = $3 WHERE id = $4 AND state = $5`, to, now, finished, id, b.State); err != nil {
			return errs.Wrap(op, err)
		}
		b.State, b.UpdatedAt, b.FinishedAt = to, now, finished
		if to == BatchIssuing {
			if err := s.enqueueRemaining(ctx, tx, id, 0); err != nil {
				return err
			}
		}
		return s.id.Record(ctx, tx, p, a.ID, action, strconv.FormatInt(id, 10), nil)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// StallAfter is how long an issuing batch may go without progress before
// Sweep hands its remaining rows to new jobs.
const StallAfter = 2 * time.Minute

// Sweep finds issuing batches that made no progress for StallAfter, as
// when the worker running their jobs was killed (its jobs then look
// running until the queue gives up on them, an hour later), and enqueues
// their remaining rows again. Issuing is idempotent, so a job that was
// only slow does no harm. It returns how many batches it restarted.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	const op = "certify: sweep"
	now := s.now()
	rows, err := s.db.Query(ctx, `SELECT id, updated_at FROM cert_batches WHERE state = $1 AND updated_at < $2`, BatchIssuing, now.Add(-StallAfter))
	if err != nil {
		return 0, errs.Wrap(op, err)
	}
	type stalled struct {
		id int64
		at time.Time
	}
	var list []stalled
	for rows.Next() {
		var st stalled
		if err := rows.Scan(&st.id, &st.at); err != nil {
			rows.Close()
			return 0, errs.Wrap(op, err)
		}
		list = append(list, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, errs.Wrap(op, err)
	}
	n := 0
	for _, st := range list {
		err := s.db.InTx(ctx, func(tx *database.Tx) error {
			m, err := tx.Exec(ctx, `UPDATE cert_batches SET updated_at = $1 WHERE id = $2 AND state = $3 AND updated_at = $4`, now, st.id, BatchIssuing, st.at)
			if err != nil || m != 1 {
				return errs.Wrap(op, err) // another replica swept it
			}
			n++
			s.log.WarnContext(ctx, "certificate batch stalled; issuing its remaining rows again", "batch", st.id, "since", st.at)
			return s.enqueueRemaining(ctx, tx, st.id, now.UnixNano())
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
