package certify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/pdf"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MaxAssetBytes is the largest asset an authority may upload: a
// background image or PDF, or a font.
const MaxAssetBytes = 8 << 20

// Asset kinds.
const (
	AssetImage = "image"
	AssetFont  = "font"
	AssetPDF   = "pdf" // a PDF file whose first page is a background
)

// Asset is a file an authority's templates use: a background (an image or
// a PDF page), a logo, a signature image or a font.
type Asset struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedAt   time.Time `json:"created_at"`
}

var assetNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(:bold)?$`)

// sniffAsset tells an asset's kind from its first bytes.
func sniffAsset(data []byte) (kind, contentType string, ok bool) {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return AssetImage, "image/png", true
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return AssetImage, "image/jpeg", true
	case bytes.HasPrefix(data, []byte{0, 1, 0, 0}), bytes.HasPrefix(data, []byte("true")):
		return AssetFont, "font/ttf", true
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return AssetPDF, "application/pdf", true
	}
	return "", "", false
}

// PutAsset stores an image (PNG or JPEG), a PDF (its first page, for a
// background) or a TrueType font under name, replacing an asset of that
// name. Templates name assets in their image elements and background, and
// fonts in their text elements; the bold face of font "deva" is the asset
// "deva:bold". The asset is checked as a template would read it (see
// checkAsset), so a damaged file is refused now rather than when a batch
// is issued. Administrators; audited.
func (s *Service) PutAsset(ctx context.Context, p *identity.Principal, code, name string, r io.Reader) (*Asset, error) {
	const op = "certify: put asset"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return nil, err
	}
	if !assetNameRE.MatchString(name) {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "the asset's name is not valid",
			Fields: map[string]string{"name": "must be 1–100 letters, digits, ., _ or -, and may end in :bold"}}
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxAssetBytes+1))
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if len(data) > MaxAssetBytes {
		return nil, errs.E(errs.TooLarge, op, "the file is larger than %d MB", MaxAssetBytes>>20)
	}
	kind, ct, ok := sniffAsset(data)
	if !ok {
		return nil, errs.E(errs.Unsupported, op, "the file is not a PNG or JPEG image, a PDF or a TrueType font (.ttf)")
	}
	if err := checkAsset(name, kind, data); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	as := &Asset{Name: name, Kind: kind, ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.now()}
	if err := s.blobs.Put(ctx, assetKey(a.ID, as.SHA256), bytes.NewReader(data), as.Size, ct); err != nil {
		return nil, errs.Wrap(op, err)
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM cert_assets WHERE authority_id = $1 AND name = $2`, a.ID, name); err != nil {
			return errs.Wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO cert_assets (authority_id, name, kind, content_type, size, sha256, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			a.ID, name, kind, ct, as.Size, as.SHA256, p.User.ID, as.CreatedAt); err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "certify.asset.put", name, map[string]any{"sha256": as.SHA256, "size": as.Size})
	})
	if err != nil {
		return nil, err
	}
	return as, nil
}

// Assets lists an authority's assets by name. Administrators and approvers.
func (s *Service) Assets(ctx context.Context, p *identity.Principal, code string) ([]Asset, error) {
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	return s.assets(ctx, a.ID)
}

func (s *Service) assets(ctx context.Context, authorityID int64) ([]Asset, error) {
	const op = "certify: assets"
	rows, err := s.db.Query(ctx, `SELECT name, kind, content_type, size, sha256, created_at FROM cert_assets WHERE authority_id = $1 ORDER BY name`, authorityID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := []Asset{}
	for rows.Next() {
		var as Asset
		if err := rows.Scan(&as.Name, &as.Kind, &as.ContentType, &as.Size, &as.SHA256, &as.CreatedAt); err != nil {
			return nil, errs.Wrap(op, err)
		}
		as.CreatedAt = as.CreatedAt.UTC()
		out = append(out, as)
	}
	return out, errs.Wrap(op, rows.Err())
}

// AssetData returns an asset's bytes, for showing it on the template page.
// Administrators and approvers.
func (s *Service) AssetData(ctx context.Context, p *identity.Principal, code, name string) (*Asset, []byte, error) {
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, nil, err
	}
	list, err := s.assets(ctx, a.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, as := range list {
		if as.Name == name {
			data, err := s.readBlob(ctx, assetKey(a.ID, as.SHA256))
			return &as, data, err
		}
	}
	return nil, nil, errs.E(errs.NotFound, "certify: asset", "there is no asset named %q", name)
}

// DeleteAsset removes an asset. Types whose templates use it no longer
// compile, so batches of those types cannot be made until the template is
// changed or the asset is uploaded again. Administrators; audited.
func (s *Service) DeleteAsset(ctx context.Context, p *identity.Principal, code, name string) error {
	const op = "certify: delete asset"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		n, err := tx.Exec(ctx, `DELETE FROM cert_assets WHERE authority_id = $1 AND name = $2`, a.ID, name)
		if err != nil {
			return errs.Wrap(op, err)
		}
		if n == 0 {
			return errs.E(errs.NotFound, op, "there is no asset named %q", name)
		}
		return s.id.Record(ctx, tx, p, a.ID, "certify.asset.delete", name, nil)
	})
}

// assetSet loads an authority's assets for compiling templates.
func (s *Service) assetSet(ctx context.Context, authorityID int64) (*assetSet, error) {
	list, err := s.assets(ctx, authorityID)
	if err != nil {
		return nil, err
	}
	set := &assetSet{images: map[string][]byte{}, fonts: map[string][]byte{}}
	h := sha256.New()
	for _, as := range list {
		data, err := s.readBlob(ctx, assetKey(authorityID, as.SHA256))
		if err != nil {
			return nil, err
		}
		if as.Kind == AssetFont {
			set.fonts[as.Name] = data
		} else {
			set.images[as.Name] = data
		}
		h.Write([]byte(as.Name + "\x00" + as.SHA256 + "\x00"))
	}
	h.Sum(set.digest[:0])
	return set, nil
}

func (s *Service) readBlob(ctx context.Context, key string) ([]byte, error) {
	rc, _, err := s.blobs.Get(ctx, key, nil)
	if err != nil {
		return nil, errs.Wrap("certify: read "+key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	return data, errs.Wrap("certify: read "+key, err)
}

func assetKey(authorityID int64, sum string) string {
	return "certify/assets/" + strconv.FormatInt(authorityID, 10) + "/" + sum
}

// checkAsset reads an image or PDF as a template would, and compiles a
// one-element template with a font, so that a damaged file or an unusable
// font is refused when it is uploaded.
func checkAsset(name, kind string, data []byte) error {
	if kind != AssetFont {
		// An image or a PDF page: its problem is the file's.
		if err := pdf.CheckImage(data); err != nil {
			if e := errs.As(err); e != nil && e.Kind == errs.Invalid {
				return &errs.Error{Kind: errs.Invalid, Op: "certify: put asset", Message: e.Message, Fields: map[string]string{"file": e.Message}, Err: err}
			}
			return err
		}
		return nil
	}
	t := pdf.Template{Page: pdf.Page{Size: "A4"}}
	fonts := map[string][]byte{name: data}
	e := pdf.Element{Type: pdf.ElemText, Text: "A", Font: name, X: 10, Y: 10, Width: 100, Size: 12}
	if base, ok := strings.CutSuffix(name, pdf.BoldSuffix); ok && base != "" {
		fonts[base] = data
		e.Font, e.Weight = base, "bold"
	}
	t.Elements = []pdf.Element{e}
	_, err := pdf.Compile(t, nil, fonts, nil)
	return err
}
