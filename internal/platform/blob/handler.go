package blob

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Handler serves GET and HEAD /blobs/{key} from s to holders of a URL made by
// signer, with byte ranges and conditional requests. It expects paths that
// start with /blobs/: mount it at the root, or behind http.StripPrefix when
// the signer's base URL has a path. It panics if s or signer is nil.
func Handler(s Store, signer *Signer) http.Handler {
	if s == nil || signer == nil {
		panic("blob.Handler: nil store or signer")
	}
	return &handler{store: s, signer: signer, now: time.Now}
}

type handler struct {
	store  Store
	signer *Signer
	now    func() time.Time
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/blobs/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	now := h.now()
	expires, err := h.signer.verify(key, q.Get("exp"), q.Get("sig"), now)
	if err != nil {
		http.Error(w, errs.As(err).Message, http.StatusForbidden)
		return
	}
	if ValidKey(key) != nil {
		http.NotFound(w, r)
		return
	}

	content, info, err := h.open(r.Context(), key)
	if errs.Is(err, errs.NotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer content.Close()

	hd := w.Header()
	ct := info.ContentType
	if ct == "" {
		ct = DefaultContentType
	}
	hd.Set("Content-Type", ct)
	if info.ETag != "" {
		hd.Set("ETag", `"`+info.ETag+`"`)
	}
	hd.Set("Cache-Control", "private, max-age="+strconv.FormatInt(int64(expires.Sub(now)/time.Second), 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	if !inlineSafe(ct) {
		hd.Set("Content-Disposition", attachment(key))
	}
	http.ServeContent(w, r, "", info.ModTime, content)
}

// seekCloser is content that http.ServeContent can serve.
type seekCloser interface {
	io.ReadSeeker
	io.Closer
}

// open returns the content of key for ServeContent: the file itself for a
// Local store, ranged Gets on demand for any other.
func (h *handler) open(ctx context.Context, key string) (seekCloser, Info, error) {
	if l, ok := h.store.(*Local); ok {
		return l.open(ctx, "blob: serve", key)
	}
	info, err := h.store.Stat(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	return &storeReadSeeker{ctx: ctx, store: h.store, info: info}, info, nil
}

// inlineSafe reports whether a browser may show content of type ct in the
// page: images (but not SVG, which can carry script), PDF and plain text.
func inlineSafe(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case mt == "application/pdf", mt == "text/plain":
		return true
	case strings.HasPrefix(mt, "image/"):
		return mt != "image/svg+xml"
	}
	return false
}

// attachment returns a Content-Disposition that downloads the blob under the
// last segment of its key.
func attachment(key string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(key)}); v != "" {
		return v
	}
	return "attachment"
}

// storeReadSeeker reads a blob of any Store as an io.ReadSeeker, opening a
// ranged Get at the current offset when a Read needs one.
type storeReadSeeker struct {
	ctx   context.Context
	store Store
	info  Info // from Stat: the size to seek within and the ETag to insist on

	off   int64         // the position Read continues from
	rc    io.ReadCloser // an open Get, if any
	rcOff int64         // the position rc continues from
}

func (s *storeReadSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += s.off
	case io.SeekEnd:
		offset += s.info.Size
	default:
		return 0, errors.New("blob: seek: invalid whence")
	}
	if offset < 0 {
		return 0, errors.New("blob: seek: negative position")
	}
	s.off = offset
	return offset, nil
}

func (s *storeReadSeeker) Read(p []byte) (int, error) {
	if s.off >= s.info.Size {
		return 0, io.EOF
	}
	if s.rc != nil && s.rcOff != s.off {
		s.rc.Close()
		s.rc = nil
	}
	if s.rc == nil {
		rc, info, err := s.store.Get(s.ctx, s.info.Key, &Range{Offset: s.off, Length: -1})
		if err != nil {
			return 0, err
		}
		if info.ETag != s.info.ETag {
			rc.Close()
			return 0, errors.New("blob: the blob changed while being served")
		}
		s.rc, s.rcOff = rc, s.off
	}
	n, err := s.rc.Read(p)
	s.off += int64(n)
	s.rcOff += int64(n)
	if err == io.EOF && s.off < s.info.Size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *storeReadSeeker) Close() error {
	if s.rc != nil {
		return s.rc.Close()
	}
	return nil
}
