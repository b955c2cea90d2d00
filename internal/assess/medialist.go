package assess

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// MediaFile is an image stored for an authority's items.
type MediaFile struct {
	// URL is what an item's Markdown points at: ![alt](URL).
	URL      string    `json:"url"`
	Size     int64     `json:"size"`
	Uploaded time.Time `json:"uploaded"`
}

// MaxMediaList is how many images ListMedia returns at most: the newest.
const MaxMediaList = 500

// ListMedia lists the images stored for the authority's items, newest
// first, at most MaxMediaList of them, so authors can pick one for an item.
// Anyone who may read the bank.
func (s *Service) ListMedia(ctx context.Context, p *identity.Principal, code string) ([]MediaFile, error) {
	const op = "assess: list images"
	a, err := s.authority(ctx, p, code, readRoles)
	if err != nil {
		return nil, err
	}
	if s.files == nil {
		return nil, errs.E(errs.Unavailable, op, "no file store is configured")
	}
	prefix := fmt.Sprintf("authorities/%d/media/", a.ID)
	out := []MediaFile{}
	err = s.files.List(ctx, prefix, func(i blob.Info) error {
		// Only names putMedia makes: nothing else under the prefix is an
		// image an item may show.
		if name := strings.TrimPrefix(i.Key, prefix); mediaName.MatchString(name) {
			out = append(out, MediaFile{URL: MediaURL(a.Code, name), Size: i.Size, Uploaded: i.ModTime.UTC()})
		}
		return nil
	})
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	slices.SortFunc(out, func(x, y MediaFile) int {
		if c := y.Uploaded.Compare(x.Uploaded); c != 0 {
			return c
		}
		return strings.Compare(x.URL, y.URL)
	})
	if len(out) > MaxMediaList {
		out = out[:MaxMediaList]
	}
	return out, nil
}
