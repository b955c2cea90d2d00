package certify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// docIDAlphabet is Crockford's base 32: no I, L, O or U, so a document id
// read aloud or typed from paper is not mistaken.
const docIDAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// DocIDLen is the length of a document id: 50 random bits.
const DocIDLen = 10

// newDocID returns a random document id, as DigiLocker takes them
// (letters and digits, at most 20): never sequential, so ids cannot be
// guessed from one another.
func newDocID() string {
	var b [DocIDLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = docIDAlphabet[b[i]&31]
	}
	return string(b[:])
}

// ValidDocID reports whether s has the form of a document id.
func ValidDocID(s string) bool {
	if len(s) != DocIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(docIDAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Status lists.

// statusListBits is the size of each revocation list: the minimum the
// Bitstring Status List spec allows for group privacy.
const statusListBits = vc.MinStatusListBits

type statusSlot struct {
	list  int64
	index int
}

// allocSlots hands out n revocation entries for an authority, in lists of
// statusListBits, each at a pseudo-random index.
func (s *Service) allocSlots(ctx context.Context, a *identity.Authority, key *Key, n int) ([]statusSlot, error) {
	const op = "certify: allocate status entries"
	out := make([]statusSlot, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries > 100 {
			return nil, errs.E(errs.Unavailable, op, "the status lists are too busy; try again")
		}
		var id int64
		var size, used int
		var perm []byte
		err := s.db.QueryRow(ctx, `SELECT id, size, used, perm_key FROM status_lists WHERE authority_id = $1 ORDER BY id DESC LIMIT 1`, a.ID).Scan(&id, &size, &used, &perm)
		if errors.Is(err, database.ErrNoRows) || err == nil && used >= size {
			if err := s.newStatusList(ctx, a, key); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		take := min(n-len(out), size-used)
		m, err := s.db.Exec(ctx, `UPDATE status_lists SET used = $1 WHERE id = $2 AND used = $3`, used+take, id, used)
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		if m != 1 {
			continue // another worker took entries meanwhile
		}
		for i := used; i < used+take; i++ {
			out = append(out, statusSlot{list: id, index: permute(perm, uint32(i), uint32(size))})
		}
	}
	return out, nil
}

// permute maps i in [0, size) to a unique index in [0, size) by a keyed
// four-round Feistel network over the next even power of two, walking the
// cycle until the result is in range (size is a power of two here, so at
// most a few steps).
func permute(key []byte, i, size uint32) int {
	half := uint32(1)
	bits := 0
	for half*half < size {
		half <<= 1
		bits++
	}
	mask := half - 1
	x := i
	var buf [40]byte
	copy(buf[:32], key)
	for {
		l, r := x>>bits, x&mask
		for round := range 4 {
			buf[32] = byte(round)
			binary.LittleEndian.PutUint32(buf[33:], r)
			f := sha256.Sum256(buf[:37])
			l, r = r, l^(binary.LittleEndian.Uint32(f[:])&mask)
		}
		x = l<<bits | r
		if x < size {
			return int(x)
		}
	}
}

// newStatusList creates an authority's next revocation list, signed.
func (s *Service) newStatusList(ctx context.Context, a *identity.Authority, key *Key) error {
	const op = "certify: new status list"
	perm := make([]byte, 32)
	_, _ = rand.Read(perm)
	list, err := vc.NewStatusList(statusListBits)
	if err != nil {
		return errs.Wrap(op, err)
	}
	now := s.now()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO status_lists (authority_id, size, used, perm_key, bits, updated_at) VALUES ($1, $2, 0, $3, $4, $5) RETURNING id`,
			a.ID, statusListBits, perm, list.Bytes(), now).Scan(&id); err != nil {
			return errs.Wrap(op, err)
		}
		signed, err := s.signStatusList(a, key, id, list, now)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE status_lists SET credential = $1 WHERE id = $2`, string(signed), id)
		return errs.Wrap(op, err)
	})
}

// StatusListURL is where an authority's status list credential is served.
func (s *Service) StatusListURL(code string, id int64) string {
	return s.base + "/authorities/" + strings.ToUpper(code) + "/status/" + strconv.FormatInt(id, 10)
}

func (s *Service) signStatusList(a *identity.Authority, key *Key, id int64, list *vc.StatusList, now time.Time) ([]byte, error) {
	const op = "certify: sign status list"
	c, err := vc.NewStatusListCredential(s.StatusListURL(a.Code, id), s.DID(a.Code), now, vc.PurposeRevocation, list)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	signed, err := vc.Sign(doc, key.private, vc.ProofOptions{VerificationMethod: key.VerificationMethod, Created: now})
	return signed, errs.Wrap(op, err)
}

// StatusList returns an authority's signed status list credential. Public.
func (s *Service) StatusList(ctx context.Context, code string, id int64) ([]byte, error) {
	a, err := s.id.PublicAuthority(ctx, code)
	if err != nil {
		return nil, err
	}
	var doc *string
	err = s.db.QueryRow(ctx, `SELECT credential FROM status_lists WHERE id = $1 AND authority_id = $2`, id, a.ID).Scan(&doc)
	if errors.Is(err, database.ErrNoRows) || err == nil && doc == nil {
		return nil, errs.E(errs.NotFound, "certify: status list", "there is no status list %d", id)
	}
	if err != nil {
		return nil, errs.Wrap("certify: status list", err)
	}
	return []byte(*doc), nil
}

// Issuing.

// issued is one certificate made and stored, waiting for its row.
type issued struct {
	row        int
	holderID   string
	holderName string
	kid        string
	data       string
	docID      string
	slot       statusSlot
	credSum    string
	pdfSum     string
	cred, pdf  []byte // the files, until stored; pdf follows pdfHead
	pdfHead    []byte // shared by the template's files
	files      fileRef
	err        error // the row cannot be issued: why
}

// IssueChunk issues the valid rows from..to of a batch, if the batch is
// still issuing. It is idempotent: rows already issued are skipped, and a
// certificate is stored before its row is marked, in one transaction with
// the marking, under the unique (authority, type, holder, source) index;
// so a crash at any point leaves at most unreferenced files, never a
// duplicate or a row marked issued without its certificate.
func (s *Service) IssueChunk(ctx context.Context, c Chunk) error {
	const op = "certify: issue"
	b, err := s.batchByID(ctx, c.Batch)
	if err != nil {
		return err
	}
	if b.State != BatchIssuing {
		return nil // paused, cancelled or done: resuming enqueues again
	}
	a, err := s.authority(ctx, b.authorityID)
	if err != nil {
		return err
	}
	key, err := s.activeKey(ctx, a)
	if err != nil {
		return err
	}
	ct, err := s.compile(ctx, a.ID, b.def)
	if err != nil {
		return err
	}
	rows, err := s.db.Query(ctx, `SELECT row_no, holder_id, data, state, problems, doc_id FROM cert_batch_rows WHERE batch_id = $1 AND row_no BETWEEN $2 AND $3 AND state = $4 ORDER BY row_no`,
		b.ID, c.From, c.To, RowValid)
	if err != nil {
		return errs.Wrap(op, err)
	}
	var todo []BatchRow
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			rows.Close()
			return errs.Wrap(op, err)
		}
		todo = append(todo, *r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return errs.Wrap(op, err)
	}
	if len(todo) > 0 {
		// Rows whose certificate was stored by a run that died before
		// marking them are marked now, not issued again.
		if err := s.markIssued(ctx, b, c, nil); err != nil {
			return err
		}
		slots, err := s.allocSlots(ctx, a, key, len(todo))
		if err != nil {
			return err
		}
		out := make([]issued, len(todo))
		now := s.now().Truncate(time.Second)
		s.parallel(len(todo), func(i int) {
			out[i] = s.issueOne(a, key, ct, b, todo[i], slots[i], now)
		})
		if err := s.storeFiles(ctx, a.Code, b.ID, out); err != nil {
			return err
		}
		if err := s.markIssued(ctx, b, c, out); err != nil {
			return err
		}
	}
	return s.finishIfDone(ctx, b.ID)
}

// parallel runs fn(0..n-1) on all cores.
func (s *Service) parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= n {
					return
				}
				fn(j)
			}
		}()
	}
	wg.Wait()
}

// storeFiles stores the credentials and PDFs of the certificates made,
// all durable before any row names them. They go into one pack blob, each
// file a byte range of it: creating two files a certificate cost more than
// signing and rendering it. batchID names the pack's folder (0: none).
func (s *Service) storeFiles(ctx context.Context, code string, batchID int64, out []issued) error {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	folder := "single"
	if batchID > 0 {
		folder = strconv.FormatInt(batchID, 10)
	}
	key := "certificates/" + strings.ToLower(code) + "/packs/" + folder + "/" + hex.EncodeToString(rnd[:]) + ".pack"
	parts := make([][]byte, 0, 3*len(out))
	var at int64
	for i := range out {
		o := &out[i]
		if o.err != nil {
			continue
		}
		o.files = fileRef{pack: key, pdfAt: at, pdfLen: int64(len(o.pdfHead) + len(o.pdf))}
		o.files.credAt = at + o.files.pdfLen
		o.files.credLen = int64(len(o.cred))
		at = o.files.credAt + o.files.credLen
		parts = append(parts, o.pdfHead, o.pdf, o.cred)
	}
	if len(parts) == 0 {
		return nil
	}
	if err := blob.PutMany(ctx, s.blobs, []blob.Object{{Key: key, Parts: parts, ContentType: "application/octet-stream"}}); err != nil {
		return errs.Wrap("certify: store certificates' files", err)
	}
	for i := range out {
		out[i].cred, out[i].pdfHead, out[i].pdf = nil, nil, nil
	}
	return nil
}

// OrphanAfter is how old a pack no certificate names must be before
// RemoveOrphanPacks deletes it. A chunk stores its pack seconds before the
// transaction that names it commits; a day leaves a wide margin.
const OrphanAfter = 24 * time.Hour

// RemoveOrphanPacks deletes the packs of certificate files that no
// certificate names and that were stored more than olderThan ago: those
// of chunks whose worker died between storing the pack and committing its
// certificates (the rows were issued again, into another pack), and of
// re-issues that failed after storing theirs. It returns how many packs
// it deleted and their bytes. The server runs it every hour.
func (s *Service) RemoveOrphanPacks(ctx context.Context, olderThan time.Duration) (n int, size int64, err error) {
	const op = "certify: remove orphan packs"
	before := s.now().Add(-olderThan)
	var old []blob.Info
	err = s.blobs.List(ctx, "certificates/", func(i blob.Info) error {
		if strings.Contains(i.Key, "/packs/") && strings.HasSuffix(i.Key, ".pack") && i.ModTime.Before(before) {
			old = append(old, i)
		}
		return nil
	})
	if err != nil {
		return 0, 0, errs.Wrap(op, err)
	}
	for _, i := range old {
		var named int
		err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM certificates WHERE file_pack = $1 LIMIT 1) x`, i.Key).Scan(&named)
		if err != nil {
			return n, size, errs.Wrap(op, err)
		}
		if named > 0 {
			continue
		}
		if err := s.blobs.Delete(ctx, i.Key); err != nil {
			return n, size, errs.Wrap(op, err)
		}
		s.log.InfoContext(ctx, "removed a pack of certificate files no certificate names", "key", i.Key, "bytes", i.Size, "stored", i.ModTime)
		n++
		size += i.Size
	}
	return n, size, nil
}

// fileRef is where a certificate's files are: ranges of a pack blob, or
// (no pack) files of their own under certKey.
type fileRef struct {
	pack                           string
	pdfAt, pdfLen, credAt, credLen int64
}

// certFile reads a certificate's PDF ("pdf") or credential ("json").
func (s *Service) certFile(ctx context.Context, code string, c *Certificate, kind string) ([]byte, error) {
	f := c.files
	if f.pack == "" {
		return s.readBlob(ctx, certKey(code, c.DocID)+"."+kind)
	}
	rng := &blob.Range{Offset: f.pdfAt, Length: f.pdfLen}
	if kind == "json" {
		rng = &blob.Range{Offset: f.credAt, Length: f.credLen}
	}
	rc, _, err := s.blobs.Get(ctx, f.pack, rng)
	if err != nil {
		return nil, errs.Wrap("certify: certificate file", err)
	}
	defer rc.Close()
	data := make([]byte, rng.Length)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, errs.Wrap("certify: certificate file", err)
	}
	return data, nil
}

// issueOne builds, signs and renders one certificate.
func (s *Service) issueOne(a *identity.Authority, key *Key, ct *compiledType, b *Batch, r BatchRow, slot statusSlot, now time.Time) issued {
	out := issued{row: r.Row, holderID: r.HolderID, holderName: r.Data[FieldHolderName], kid: key.ID, slot: slot, docID: newDocID()}
	raw, err := json.Marshal(r.Data)
	if err != nil {
		out.err = err
		return out
	}
	out.data = string(raw)
	cred, qr, err := s.makeCredential(a, key, &ct.def, b.Type, out.docID, r.Data, slot, now)
	if err != nil {
		out.err = err
		return out
	}
	data := make(map[string]string, len(ct.def.Fields)+len(systemFields))
	for _, f := range ct.def.Fields {
		data[f.Name] = r.Data[f.Name] // optional fields left out show as empty
	}
	s.systemValues(data, a, &ct.def, out.docID, now)
	// The PDF is kept in its parts: its head, the same in every file of
	// the template, is shared rather than copied 250 times a chunk.
	pdf, err := ct.tpl.RenderParts(nil, data, qr)
	if err != nil {
		out.err = err
		return out
	}
	out.cred, out.pdfHead, out.pdf = cred, pdf.Head, pdf.Tail
	out.credSum, out.pdfSum = hexSum(cred), hex.EncodeToString(pdf.SHA256[:])
	return out
}

// certKey is where a certificate's files are kept, without the extension.
func certKey(code, docID string) string {
	return "certificates/" + strings.ToLower(code) + "/" + docID[:2] + "/" + docID
}

// systemValues fills in the fields a template may show that come from
// the issuing, not from the data.
func (s *Service) systemValues(data map[string]string, a *identity.Authority, d *Definition, docID string, now time.Time) {
	data[FieldDocID] = docID
	data[FieldIssuedOn] = now.Format("02-01-2006")
	data[FieldValidUntil] = ""
	if d.ValidityMonths > 0 {
		data[FieldValidUntil] = now.AddDate(0, d.ValidityMonths, 0).Format("02-01-2006")
	}
	data[FieldVerifyURL] = s.base + "/v/" + docID
	data[FieldAchievement] = d.Achievement.Name
	data[FieldIssuer] = a.Name
}

// makeCredential builds and signs the Open Badges credential and the QR
// payload: the verify URL with the signed claims after '#'.
func (s *Service) makeCredential(a *identity.Authority, key *Key, d *Definition, typeCode, docID string, data map[string]string, slot statusSlot, now time.Time) ([]byte, string, error) {
	const op = "certify: credential"
	did := s.DID(a.Code)
	entry := vc.NewStatusEntry(s.StatusListURL(a.Code, slot.list), slot.index)
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	criteria := d.Achievement.Criteria
	if criteria == "" {
		criteria = d.Achievement.Description
	}
	c := vc.OpenBadgeCredential{
		ID:          s.base + "/v/" + docID,
		Name:        d.Name,
		Description: d.Description,
		Issuer:      vc.Profile{ID: did, Name: a.Name},
		ValidFrom:   vc.NewDateTime(now),
		AwardedDate: vc.NewDateTime(now),
		CredentialSubject: vc.AchievementSubject{
			Identifier: []vc.IdentityObject{
				vc.NameIdentity(data[FieldHolderName]),
				vc.HashedIdentity(vc.IdentityIdentifier, data[FieldHolderID], hex.EncodeToString(salt)),
			},
			Achievement: vc.Achievement{
				ID:              s.base + "/authorities/" + strings.ToUpper(a.Code) + "/achievements/" + typeCode,
				AchievementType: d.Achievement.Kind,
				Name:            d.Achievement.Name,
				Description:     d.Achievement.Description,
				Criteria:        vc.Criteria{Narrative: criteria},
			},
		},
		CredentialStatus: &entry,
	}
	var until time.Time
	if d.ValidityMonths > 0 {
		until = now.AddDate(0, d.ValidityMonths, 0)
		c.ValidUntil = vc.NewDateTime(until)
	}
	cred, err := vc.NewOpenBadgeCredential(c)
	if err != nil {
		return nil, "", err
	}
	doc, err := json.Marshal(cred)
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	signed, err := vc.Sign(doc, key.private, vc.ProofOptions{VerificationMethod: key.VerificationMethod, Created: now})
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	digest, err := vc.CredentialDigest(signed)
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	url, err := s.qrURL(a, key, docID, data[FieldHolderName], d.Achievement.Name, now, until, digest)
	if err != nil {
		return nil, "", errs.Wrap(op, err)
	}
	return signed, url, nil
}

// qrURL is what a certificate's QR code holds: its verify URL with the
// signed claims, for checking offline, after '#' (which browsers do not
// send to the server).
func (s *Service) qrURL(a *identity.Authority, key *Key, docID, holder, achievement string, issued, until time.Time, digest [16]byte) (string, error) {
	payload, err := vc.EncodeQR(vc.QRClaims{DocID: docID, Issuer: s.DID(a.Code), KeyID: key.VerificationMethod, Holder: holder,
		Achievement: achievement, IssuedOn: issued, ValidUntil: until, Digest: digest}, key.private)
	if err != nil {
		return "", err
	}
	return s.base + "/v/" + docID + "#" + payload, nil
}

// markIssued stores the chunk's new certificates and marks their rows, in
// one transaction. With out nil it only marks rows whose certificate a
// dead run stored.
func (s *Service) markIssued(ctx context.Context, b *Batch, c Chunk, out []issued) error {
	const op = "certify: store certificates"
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var attempted []int
		var failed []issued
		var ok []issued
		for _, o := range out {
			attempted = append(attempted, o.row)
			if o.err != nil {
				failed = append(failed, o)
			} else {
				ok = append(ok, o)
			}
		}
		if err := insertCertificates(ctx, tx, b, ok, s.now()); err != nil {
			return errs.Wrap(op, err)
		}
		n, err := tx.Exec(ctx, `UPDATE cert_batch_rows SET state = $1,
			doc_id = (SELECT c.doc_id FROM certificates c WHERE c.batch_id = $2 AND c.row_no = cert_batch_rows.row_no)
			WHERE batch_id = $2 AND row_no BETWEEN $3 AND $4 AND state = $5
			AND EXISTS (SELECT 1 FROM certificates c WHERE c.batch_id = $2 AND c.row_no = cert_batch_rows.row_no)`,
			RowIssued, b.ID, c.From, c.To, RowValid)
		if err != nil {
			return errs.Wrap(op, err)
		}
		var nFailed, nTaken int64
		for _, f := range failed {
			msg, _ := json.Marshal([]string{errMessage(f.err)})
			m, err := tx.Exec(ctx, `UPDATE cert_batch_rows SET state = $1, problems = $2 WHERE batch_id = $3 AND row_no = $4 AND state = $5`, RowFailed, string(msg), b.ID, f.row, RowValid)
			if err != nil {
				return errs.Wrap(op, err)
			}
			nFailed += m
		}
		// A row still valid after all that lost its place to a certificate
		// another batch issued meanwhile.
		for _, o := range ok {
			msg, _ := json.Marshal([]string{errs.E(errs.Conflict, op, "%s already has this certificate for this source (issued by another batch meanwhile)", o.holderID).Message})
			m, err := tx.Exec(ctx, `UPDATE cert_batch_rows SET state = $1, problems = $2 WHERE batch_id = $3 AND row_no = $4 AND state = $5`, RowRejected, string(msg), b.ID, o.row, RowValid)
			if err != nil {
				return errs.Wrap(op, err)
			}
			nTaken += m
		}
		if n+nFailed+nTaken == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE cert_batches SET issued = issued + $1, failed = failed + $2, valid = valid - $3, rejected = rejected + $3, updated_at = $4 WHERE id = $5`,
			n, nFailed, nTaken, s.now(), b.ID)
		return errs.Wrap(op, err)
	})
}

// errMessage is the message of an error for a row's problems: the user's
// part of a domain error, or the whole text.
func errMessage(err error) string {
	if e := errs.As(err); e != nil && e.Message != "" {
		return e.Message
	}
	return err.Error()
}

// insertCertificates stores certificates, one prepared statement (or
// one batch) for the lot; one that would be a second standing certificate
// of its type, holder and source is skipped.
func insertCertificates(ctx context.Context, tx *database.Tx, b *Batch, cs []issued, now time.Time) error {
	var until *time.Time
	if b.def.ValidityMonths > 0 {
		u := now.AddDate(0, b.def.ValidityMonths, 0)
		until = &u
	}
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.docID, b.authorityID, b.typeID, b.ID, c.row, c.holderID, b.Source, c.holderName, b.def.Achievement.Name, c.data,
			now, until, c.kid, c.slot.list, c.slot.index, c.credSum, c.pdfSum, c.files.pack, c.files.pdfAt, c.files.pdfLen, c.files.credAt, c.files.credLen}
	}
	_, err := tx.ExecMany(ctx, `INSERT INTO certificates (doc_id, authority_id, type_id, batch_id, row_no, holder_id, source, holder_name, achievement, data,
		issued_at, valid_until, kid, status_list_id, status_index, credential_sha256, pdf_sha256, file_pack, pdf_offset, pdf_size, credential_offset, credential_size)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT (authority_id, type_id, holder_id, source) WHERE replaced_by IS NULL DO NOTHING`, rows)
	return err
}

// finishIfDone marks an issuing batch done when no valid row is left.
func (s *Service) finishIfDone(ctx context.Context, batchID int64) error {
	now := s.now()
	_, err := s.db.Exec(ctx, `UPDATE cert_batches SET state = $1, finished_at = $2, updated_at = $2 WHERE id = $3 AND state = $4
		AND NOT EXISTS (SELECT 1 FROM cert_batch_rows WHERE batch_id = $3 AND state = $5)`, BatchDone, now, batchID, BatchIssuing, RowValid)
	return errs.Wrap("certify: finish batch", err)
}

func (s *Service) batchByID(ctx context.Context, id int64) (*Batch, error) {
	b, err := scanBatch(s.db.QueryRow(ctx, `SELECT `+batchColumns+batchFrom+` WHERE b.id = $1`, id))
	if errors.Is(err, database.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "certify: batch", "there is no batch %d", id)
	}
	return b, errs.Wrap("certify: batch", err)
}

// issueAhead is how many chunks IssueBatch works on at once: while one
// chunk's files wait for the disk, the others use the cores.
const issueAhead = 2

// IssueBatch issues what is left of an issuing batch in this process,
// issueAhead chunks at a time (so one chunk's files and rows are written
// while the next is signed and rendered), calling progress after each; jobs
// elsewhere may work on the same batch at the same time without harm. It
// returns when the batch is no longer issuing (done, paused or
// cancelled). For the command line and benchmarks; the server issues
// through jobs.
func (s *Service) IssueBatch(ctx context.Context, batchID int64, progress func(*Batch)) (*Batch, error) {
	const op = "certify: issue batch"
	var mu sync.Mutex
	report := func() (*Batch, error) {
		b, err := s.batchByID(ctx, batchID)
		if err == nil && progress != nil {
			mu.Lock()
			progress(b)
			mu.Unlock()
		}
		return b, err
	}
	for {
		b, err := report()
		if err != nil {
			return nil, err
		}
		if b.State != BatchIssuing {
			return b, nil
		}
		var chunks []Chunk
		err = s.db.InTx(ctx, func(tx *database.Tx) error {
			var err error
			chunks, err = remainingChunks(ctx, tx, batchID, 0)
			return err
		})
		if err != nil {
			return nil, errs.Wrap(op, err)
		}
		if len(chunks) == 0 {
			if err := s.finishIfDone(ctx, batchID); err != nil {
				return nil, err
			}
			continue
		}
		work := make(chan Chunk)
		errc := make(chan error, issueAhead)
		var wg sync.WaitGroup
		for range issueAhead {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range work {
					if err := s.IssueChunk(ctx, c); err != nil {
						errc <- err
						return
					}
					b, err := report()
					if err != nil {
						errc <- err
						return
					}
					if b.State != BatchIssuing {
						return
					}
				}
			}()
		}
	feed:
		for _, c := range chunks {
			select {
			case work <- c:
			case err := <-errc:
				errc <- err
				break feed
			}
		}
		close(work)
		wg.Wait()
		select {
		case err := <-errc:
			return nil, err
		default:
		}
	}
}
