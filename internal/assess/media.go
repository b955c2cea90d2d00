package assess

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MaxMediaBytes is the largest image an item may show.
const MaxMediaBytes = 5 << 20

// mediaTypes are the images items may show. SVG is left out: it can carry
// script.
var mediaTypes = map[string]string{"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}

var mediaName = regexp.MustCompile(`^[0-9a-f]{64}\.(png|jpg|gif|webp)$`)

// MediaURL is where an item's Markdown points for an image of an authority.
func MediaURL(code, name string) string { return "/media/" + code + "/" + name }

// SetFiles gives the bank a file store for item images.
func (s *Service) SetFiles(files blob.Store) { s.files = files }

// AddMedia stores an image for the authority's items and returns the URL
// to use in an item's Markdown (![alt](url)). Images are named by their
// SHA-256, so the same picture is stored once however many items show it.
// Authors and administrators.
func (s *Service) AddMedia(ctx context.Context, p *identity.Principal, code string, data []byte) (string, error) {
	a, err := s.authority(ctx, p, code, writeRoles)
	if err != nil {
		return "", err
	}
	return s.putMedia(ctx, a, data)
}

func (s *Service) putMedia(ctx context.Context, a *identity.Authority, data []byte) (string, error) {
	const op = "assess: add image"
	if s.files == nil {
		return "", errs.E(errs.Unavailable, op, "no file store is configured")
	}
	switch {
	case len(data) == 0:
		return "", errs.E(errs.Invalid, op, "the image is empty")
	case len(data) > MaxMediaBytes:
		return "", errs.E(errs.TooLarge, op, "the image is %d bytes; at most %d (%d MiB)", len(data), MaxMediaBytes, MaxMediaBytes>>20)
	}
	// The bytes decide the type, not the name or a header a client sent.
	ct := http.DetectContentType(data)
	ext, ok := mediaTypes[ct]
	if !ok {
		return "", errs.E(errs.Unsupported, op, "an item image must be PNG, JPEG, GIF or WebP (this looks like %s)", ct)
	}
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:]) + "." + ext
	key := fmt.Sprintf("authorities/%d/media/%s", a.ID, name)
	if _, err := s.files.Stat(ctx, key); err != nil {
		if !errs.Is(err, errs.NotFound) {
			return "", errs.Wrap(op, err)
		}
		if err := s.files.Put(ctx, key, bytes.NewReader(data), int64(len(data)), ct); err != nil {
			return "", errs.Wrap(op, err)
		}
	}
	return MediaURL(a.Code, name), nil
}

// Media opens an image of the authority's items. Any member of the
// authority may see them (candidates see them in papers); others get not
// found, as for everything of another authority.
func (s *Service) Media(ctx context.Context, p *identity.Principal, code, name string) (io.ReadCloser, blob.Info, error) {
	a, err := s.id.Authority(ctx, p, code)
	if err != nil {
		return nil, blob.Info{}, err
	}
	if !mediaName.MatchString(name) || s.files == nil {
		return nil, blob.Info{}, errs.E(errs.NotFound, "assess: image", "no such image")
	}
	return s.files.Get(ctx, fmt.Sprintf("authorities/%d/media/%s", a.ID, name), nil)
}

// mediaOf opens one of an authority's images, for callers that have
// checked the right to see it some other way (a candidate's signed URL).
func (s *Service) mediaOf(ctx context.Context, authorityID int64, name string) (io.ReadCloser, blob.Info, error) {
	if !mediaName.MatchString(name) || s.files == nil {
		return nil, blob.Info{}, errs.E(errs.NotFound, "assess: image", "no such image")
	}
	rc, info, err := s.files.Get(ctx, fmt.Sprintf("authorities/%d/media/%s", authorityID, name), nil)
	if err != nil {
		return nil, blob.Info{}, errs.E(errs.NotFound, "assess: image", "no such image")
	}
	return rc, info, nil
}

// MediaImporter returns a function that stores the images an import file
// carries (QTI packages) for the authority and gives the URL to put in the
// items' Markdown. Authors and administrators.
func (s *Service) MediaImporter(ctx context.Context, p *identity.Principal, code string) (func(name string, r io.Reader) (string, error), error) {
	a, err := s.authority(ctx, p, code, writeRoles)
	if err != nil {
		return nil, err
	}
	return func(name string, r io.Reader) (string, error) {
		data, err := io.ReadAll(io.LimitReader(r, MaxMediaBytes+1))
		if err != nil {
			return "", errs.E(errs.Invalid, "assess: import image", "image %s cannot be read: %v", path.Base(name), err)
		}
		ref, err := s.putMedia(ctx, a, data)
		if err != nil {
			return "", fmt.Errorf("image %s: %w", path.Base(name), err)
		}
		return ref, nil
	}, nil
}
