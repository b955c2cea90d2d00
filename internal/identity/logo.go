package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	_ "image/jpeg" // logos may be JPEG
	_ "image/png"  // or PNG
	"io"
	"net/http"

	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Logo limits. Logos go on certificates and pages; a few hundred kilobytes
// and a few thousand pixels are plenty, and decoding is bounded by them.
const (
	MaxLogoBytes  = 1 << 20
	maxLogoPixels = 4096
	minLogoPixels = 16
)

var logoTypes = map[string]string{"image/png": "png", "image/jpeg": "jpg"}

// SetLogo replaces an authority's logo with a PNG or JPEG image.
// Administrators of the authority.
func (s *Service) SetLogo(ctx context.Context, p *Principal, code, contentType string, data []byte) (*Authority, error) {
	const op = "identity: set logo"
	a, err := s.authorityFor(ctx, p, code, RoleAdmin)
	if err != nil {
		return nil, err
	}
	if s.files == nil {
		return nil, errs.E(errs.Unavailable, op, "no file store is configured")
	}
	ext, err := checkLogo(op, contentType, data)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	key := fmt.Sprintf("authorities/%d/logo-%s.%s", a.ID, hex.EncodeToString(sum[:8]), ext)
	// The file goes first: if the database update fails, an unused file
	// is left, never a logo_key pointing at nothing.
	if err := s.files.Put(ctx, key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		return nil, errs.Wrap(op, err)
	}
	old := a.LogoKey
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE authorities SET logo_key = $1, updated_at = $2 WHERE id = $3`, key, s.now(), a.ID); err != nil {
			return errs.Wrap(op, err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, AuthorityID: a.ID, Action: "authority.logo", Target: a.Code,
			Details: map[string]any{"bytes": len(data), "type": contentType, "sha256": hex.EncodeToString(sum[:])}})
	})
	if err != nil {
		return nil, err
	}
	if old != "" && old != key {
		if err := s.files.Delete(ctx, old); err != nil {
			s.log.Warn("could not delete the old logo", "key", old, "err", err)
		}
	}
	return s.authorityByCode(ctx, a.Code)
}

// RemoveLogo takes an authority's logo away. Administrators of the authority.
func (s *Service) RemoveLogo(ctx context.Context, p *Principal, code string) (*Authority, error) {
	const op = "identity: remove logo"
	a, err := s.authorityFor(ctx, p, code, RoleAdmin)
	if err != nil {
		return nil, err
	}
	if a.LogoKey == "" {
		return a, nil
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE authorities SET logo_key = '', updated_at = $1 WHERE id = $2`, s.now(), a.ID); err != nil {
			return errs.Wrap(op, err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, AuthorityID: a.ID, Action: "authority.logo_removed", Target: a.Code})
	})
	if err != nil {
		return nil, err
	}
	if s.files != nil {
		if err := s.files.Delete(ctx, a.LogoKey); err != nil {
			s.log.Warn("could not delete the old logo", "key", a.LogoKey, "err", err)
		}
	}
	return s.authorityByCode(ctx, a.Code)
}

// Logo opens an authority's logo. Logos are public: they appear on
// certificates that anyone may verify. The caller closes the reader.
func (s *Service) Logo(ctx context.Context, code string) (io.ReadCloser, blob.Info, error) {
	const op = "identity: logo"
	a, err := s.authorityByCode(ctx, code)
	if err != nil {
		return nil, blob.Info{}, err
	}
	if a.LogoKey == "" || s.files == nil {
		return nil, blob.Info{}, errs.E(errs.NotFound, op, "%s has no logo", a.Code)
	}
	return s.files.Get(ctx, a.LogoKey, nil)
}

// checkLogo makes sure data is what it claims: a PNG or JPEG of sane size
// that decodes. It returns the file extension.
func checkLogo(op, contentType string, data []byte) (string, error) {
	ext, ok := logoTypes[contentType]
	switch {
	case !ok:
		return "", errs.E(errs.Unsupported, op, "a logo must be a PNG or JPEG image (got %q)", contentType)
	case len(data) == 0:
		return "", errs.E(errs.Invalid, op, "the logo file is empty")
	case len(data) > MaxLogoBytes:
		return "", errs.E(errs.TooLarge, op, "the logo is %d bytes; at most %d", len(data), MaxLogoBytes)
	}
	if sniffed := http.DetectContentType(data); sniffed != contentType {
		return "", errs.E(errs.Invalid, op, "the file is not a %s image (it looks like %s)", ext, sniffed)
	}
	// DecodeConfig reads only the header, so a huge declared size costs
	// nothing; the full decode then proves the image is whole.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", errs.E(errs.Invalid, op, "the image cannot be read: %v", err)
	}
	if cfg.Width > maxLogoPixels || cfg.Height > maxLogoPixels || cfg.Width < minLogoPixels || cfg.Height < minLogoPixels {
		return "", errs.E(errs.Invalid, op, "the logo is %d×%d pixels; it must be between %d and %d pixels on each side", cfg.Width, cfg.Height, minLogoPixels, maxLogoPixels)
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return "", errs.E(errs.Invalid, op, "the image is damaged: %v", err)
	}
	return ext, nil
}
