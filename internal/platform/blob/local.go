package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The layout of a Local store's directory. Content and metadata live in
// separate trees so that no key can collide with a sidecar or a temp file.
const (
	blobsDir = "blobs" // blobs/<key>: the content, byte for byte
	metaDir  = ".meta" // .meta/<key>: a JSON sidecar (content type, ETag, size)
	tmpDir   = ".tmp"  // in-flight Puts, renamed into place when complete
)

const (
	dirPerm  = 0o750
	filePerm = 0o640
	// staleTemp is how old a temp file must be before NewLocal removes it as
	// the leftover of a crashed process.
	staleTemp = time.Hour
)

// Local is a Store on the local file system. All access goes through an
// os.Root, so no key, symlink or race can reach outside its directory.
//
// A key cannot name a blob and also be a "directory" of other keys ("a" and
// "a/b"): Put reports errs.Conflict for the second one.
type Local struct {
	root   *os.Root
	dir    string
	signer *Signer
	// locks make a Get or Stat see a blob and its sidecar from the same Put,
	// for callers in this process. Keys hash onto a fixed set of stripes.
	locks [64]sync.RWMutex
}

var _ Store = (*Local)(nil)

// sidecar is the metadata kept beside each blob.
type sidecar struct {
	ContentType string `json:"content_type"`
	ETag        string `json:"etag"` // hex SHA-256 of the content
	Size        int64  `json:"size"`
}

// NewLocal opens a Local store in dir, which must exist; signer (may be nil)
// makes the URLs SignedURL returns.
func NewLocal(dir string, signer *Signer) (*Local, error) {
	const op = "blob: open local store"
	if dir == "" {
		return nil, errs.E(errs.Invalid, op, "directory is empty")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	fi, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(errs.Invalid, op, "directory %q does not exist", abs)
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if !fi.IsDir() {
		return nil, errs.E(errs.Invalid, op, "%q is not a directory", abs)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	for _, d := range []string{blobsDir, metaDir, tmpDir} {
		if err := root.MkdirAll(d, dirPerm); err != nil {
			root.Close()
			return nil, errs.Wrap(op, err)
		}
	}
	l := &Local{root: root, dir: abs, signer: signer}
	l.removeStaleTemps(time.Now().Add(-staleTemp))
	return l, nil
}

// Dir returns the absolute directory the store keeps its files in.
func (l *Local) Dir() string { return l.dir }

// Close releases the store's directory handle.
func (l *Local) Close() error {
	if err := l.root.Close(); err != nil {
		return errs.Wrap("blob: close local store", err)
	}
	return nil
}

// lock returns the lock stripe for key.
func (l *Local) lock(key string) *sync.RWMutex {
	h := fnv.New32a()
	h.Write([]byte(key))
	return &l.locks[h.Sum32()%uint32(len(l.locks))]
}

// Put stores the content of r under key, atomically: it writes and fsyncs a
// temp file, then renames it into place.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) (err error) {
	const op = "blob: local put"
	if err := validKey(op, key); err != nil {
		return err
	}
	if err := checkSize(op, size); err != nil {
		return err
	}
	contentType, err = normContentType(op, contentType)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return errs.Wrap(op, err)
	}

	dataTmp, sum, n, err := l.writeTemp(ctx, op, r, size, true)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = l.root.Remove(dataTmp) // already renamed on success
		}
	}()
	meta, err := json.Marshal(sidecar{ContentType: contentType, ETag: sum, Size: n})
	if err != nil {
		return errs.Wrap(op, err)
	}
	metaTmp, _, _, err := l.writeTemp(ctx, op, strings.NewReader(string(meta)), int64(len(meta)), true)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = l.root.Remove(metaTmp)
		}
	}()
	// The last point at which a cancelled Put leaves nothing behind.
	if err := ctx.Err(); err != nil {
		return errs.Wrap(op, err)
	}

	mu := l.lock(key)
	mu.Lock()
	defer mu.Unlock()
	if err := l.moveInto(op, key, dataTmp, path.Join(blobsDir, key), true); err != nil {
		return err
	}
	if err := l.moveInto(op, key, metaTmp, path.Join(metaDir, key), true); err != nil {
		// The content is in place but its sidecar is not; drop the stale
		// sidecar so readers fall back to safe defaults rather than a wrong ETag.
		_ = l.root.Remove(path.Join(metaDir, key))
		return err
	}
	return nil
}

// writeTemp copies r (exactly size bytes unless size is -1) into a new,
// fsynced temp file and returns its name, the hex SHA-256 of the content and
// the byte count. On error the temp file is gone. Without durable the file
// is not fsynced: the caller syncs many at once (PutMany).
func (l *Local) writeTemp(ctx context.Context, op string, r io.Reader, size int64, durable bool) (name, sum string, n int64, err error) {
	return l.writeTempIn(ctx, op, nil, r, size, durable)
}

// writeTempIn is writeTemp creating the file through tmpRoot, the temp
// directory opened as a root, when it is not nil: one system call to
// open instead of one per path part.
func (l *Local) writeTempIn(ctx context.Context, op string, tmpRoot *os.Root, r io.Reader, size int64, durable bool) (name, sum string, n int64, err error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	base := hex.EncodeToString(rnd[:]) + ".part"
	tmp := path.Join(tmpDir, base)
	var f *os.File
	if tmpRoot != nil {
		f, err = tmpRoot.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	} else {
		f, err = l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	}
	if err != nil {
		return "", "", 0, errs.Wrap(op, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			_ = l.root.Remove(tmp)
		}
	}()

	h := sha256.New()
	var src io.Reader = ctxReader{ctx: ctx, r: r}
	var exact *exactReader
	if size >= 0 {
		exact = &exactReader{r: src, left: size}
		src = exact
	}
	bufp := copyBufs.Get().(*[]byte)
	n, err = io.CopyBuffer(io.MultiWriter(f, h), src, *bufp)
	copyBufs.Put(bufp)
	switch {
	case exact != nil && exact.short:
		return "", "", 0, errs.E(errs.Invalid, op, "reader gave %d bytes; size said %d", n, size)
	case err != nil:
		return "", "", 0, &errs.Error{Kind: errs.KindOf(err), Op: op, Message: "reading the content failed", Err: err}
	}
	if durable {
		if err = f.Sync(); err != nil {
			return "", "", 0, errs.Wrap(op, err)
		}
	}
	if err = f.Close(); err != nil {
		return "", "", 0, errs.Wrap(op, err)
	}
	return tmp, hex.EncodeToString(h.Sum(nil)), n, nil
}

// copyBufs holds buffers for copying content into temp files.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}

// moveInto renames the temp file tmp to dst (creating dst's parent
// directories) and, with syncParent, syncs the parent so the rename
// survives a crash.
func (l *Local) moveInto(op, key, tmp, dst string, syncParent bool) error {
	parent := path.Dir(dst)
	var err error
	// A concurrent Delete may prune parent directories between MkdirAll and
	// Rename; try again when that happens.
	for range 5 {
		if err = l.root.MkdirAll(parent, dirPerm); err != nil {
			if isNotDir(err) || errors.Is(err, fs.ErrExist) {
				return errs.E(errs.Conflict, op, "key %q cannot be stored: part of its path is already a blob", key)
			}
			return errs.Wrap(op, err)
		}
		err = l.root.Rename(tmp, dst)
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.EEXIST) || errors.Is(err, syscall.ENOTEMPTY):
		return errs.E(errs.Conflict, op, "key %q cannot be stored: other keys start with %q", key, key+"/")
	case isNotDir(err):
		return errs.E(errs.Conflict, op, "key %q cannot be stored: part of its path is already a blob", key)
	default:
		return errs.Wrap(op, err)
	}
	if !syncParent {
		return nil
	}
	if d, err := l.root.Open(parent); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return errs.Wrap(op, err)
		}
	}
	return nil
}

// isNotDir reports whether err says a path component is a file.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// isMissing reports whether err means there is no file at a path.
func isMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) || isNotDir(err) }

// Get opens the blob at key, or the part of it rng names.
func (l *Local) Get(ctx context.Context, key string, rng *Range) (io.ReadCloser, Info, error) {
	const op = "blob: local get"
	f, info, err := l.open(ctx, op, key)
	if err != nil {
		return nil, Info{}, err
	}
	if rng == nil {
		return f, info, nil
	}
	off, n, err := checkRange(op, rng, info.Size)
	if err != nil {
		f.Close()
		return nil, Info{}, err
	}
	return readCloser{Reader: io.NewSectionReader(f, off, n), Closer: f}, info, nil
}

// readCloser joins a reader to the closer of what it reads from.
type readCloser struct {
	io.Reader
	io.Closer
}

// open opens the content file of key and describes it. The caller closes the file.
func (l *Local) open(ctx context.Context, op, key string) (*os.File, Info, error) {
	if err := validKey(op, key); err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, errs.Wrap(op, err)
	}
	mu := l.lock(key)
	mu.RLock()
	defer mu.RUnlock()
	f, err := l.root.Open(path.Join(blobsDir, key))
	if isMissing(err) {
		return nil, Info{}, notFound(op, key)
	}
	if err != nil {
		return nil, Info{}, errs.Wrap(op, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, errs.Wrap(op, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, Info{}, notFound(op, key)
	}
	return f, l.info(key, fi, true), nil
}

// info describes the blob at key whose content file fi describes, reading
// its sidecar. It falls back to safe defaults when the sidecar is missing or
// does not match the content (a file placed by hand, or a crash mid-Put).
func (l *Local) info(key string, fi fs.FileInfo, withType bool) Info {
	in := Info{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}
	var m sidecar
	b, err := l.root.ReadFile(path.Join(metaDir, key))
	if err == nil && json.Unmarshal(b, &m) == nil && m.Size == fi.Size() && m.ETag != "" {
		in.ETag = m.ETag
		in.ContentType = m.ContentType
	} else {
		in.ETag = fmt.Sprintf("m%x-%x", fi.ModTime().UnixNano(), fi.Size())
		in.ContentType = DefaultContentType
		if t := impliedType(key); t != "" && errors.Is(err, fs.ErrNotExist) {
			in.ContentType = t // stored by PutMany without a sidecar
		}
	}
	if !withType {
		in.ContentType = ""
	}
	return in
}

// notFound is the error for a missing blob.
func notFound(op, key string) error {
	return errs.E(errs.NotFound, op, "no blob at key %q", key)
}

// Stat describes the blob at key.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	const op = "blob: local stat"
	if err := validKey(op, key); err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, errs.Wrap(op, err)
	}
	mu := l.lock(key)
	mu.RLock()
	defer mu.RUnlock()
	fi, err := l.root.Stat(path.Join(blobsDir, key))
	if isMissing(err) {
		return Info{}, notFound(op, key)
	}
	if err != nil {
		return Info{}, errs.Wrap(op, err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, notFound(op, key)
	}
	return l.info(key, fi, true), nil
}

// Delete removes the blob at key and its sidecar, then any directories left empty.
func (l *Local) Delete(ctx context.Context, key string) error {
	const op = "blob: local delete"
	if err := validKey(op, key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return errs.Wrap(op, err)
	}
	mu := l.lock(key)
	mu.Lock()
	defer mu.Unlock()
	name := path.Join(blobsDir, key)
	fi, err := l.root.Lstat(name)
	if isMissing(err) {
		return nil
	}
	if err != nil {
		return errs.Wrap(op, err)
	}
	if fi.IsDir() {
		return nil // a "directory" of other keys, not a blob
	}
	if err := l.root.Remove(name); err != nil && !isMissing(err) {
		return errs.Wrap(op, err)
	}
	if err := l.root.Remove(path.Join(metaDir, key)); err != nil && !isMissing(err) {
		return errs.Wrap(op, err)
	}
	l.prune(blobsDir, key)
	l.prune(metaDir, key)
	return nil
}

// prune removes the now-empty parent directories of key under tree; removal
// stops at the first directory that is not empty.
func (l *Local) prune(tree, key string) {
	for d := path.Dir(key); d != "."; d = path.Dir(d) {
		if l.root.Remove(path.Join(tree, d)) != nil {
			return
		}
	}
}

// List calls fn for every blob under prefix, in lexical key order.
func (l *Local) List(ctx context.Context, prefix string, fn func(Info) error) error {
	const op = "blob: local list"
	if err := ctx.Err(); err != nil {
		return errs.Wrap(op, err)
	}
	return l.walk(ctx, op, "", prefix, fn)
}

// walk lists the keys in the directory dir (a key prefix without its
// trailing slash; "" for the top) that start with prefix.
func (l *Local) walk(ctx context.Context, op, dir, prefix string, fn func(Info) error) error {
	d, err := l.root.Open(path.Join(blobsDir, dir))
	if isMissing(err) {
		return nil // pruned by a concurrent Delete
	}
	if err != nil {
		return errs.Wrap(op, err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return errs.Wrap(op, err)
	}
	// Sort a directory as if its name ended in "/", so that keys come out
	// in lexical order: "a-b" before "a/c", because '-' < '/'.
	sortName := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(sortName(a), sortName(b)) })

	for _, e := range ents {
		key := e.Name()
		if dir != "" {
			key = dir + "/" + key
		}
		switch {
		case e.IsDir():
			sub := key + "/"
			if !strings.HasPrefix(sub, prefix) && !strings.HasPrefix(prefix, sub) {
				continue
			}
			if err := l.walk(ctx, op, key, prefix, fn); err != nil {
				return err
			}
		case e.Type().IsRegular():
			if !strings.HasPrefix(key, prefix) || ValidKey(key) != nil {
				continue
			}
			if err := ctx.Err(); err != nil {
				return errs.Wrap(op, err)
			}
			fi, err := e.Info()
			if isMissing(err) {
				continue // deleted since ReadDir
			}
			if err != nil {
				return errs.Wrap(op, err)
			}
			if err := fn(l.info(key, fi, false)); err != nil {
				return err
			}
		}
	}
	return nil
}

// SignedURL returns a URL, served by Handler, that lets its holder GET the
// blob until expiry passes.
func (l *Local) SignedURL(ctx context.Context, key string, expiry time.Duration) (string, error) {
	const op = "blob: local signed URL"
	if err := validKey(op, key); err != nil {
		return "", err
	}
	if err := checkExpiry(op, expiry); err != nil {
		return "", err
	}
	if l.signer == nil {
		return "", errs.E(errs.Unsupported, op, "this local store has no URL signer")
	}
	return l.signer.URL(key, time.Now().Add(expiry)), nil
}

// removeStaleTemps deletes temp files older than before: leftovers of a
// process that died mid-Put.
func (l *Local) removeStaleTemps(before time.Time) {
	d, err := l.root.Open(tmpDir)
	if err != nil {
		return
	}
	ents, _ := d.ReadDir(-1)
	d.Close()
	for _, e := range ents {
		if e.IsDir() {
			// PutMany's writers' directories, one level down.
			sub, err := l.root.Open(path.Join(tmpDir, e.Name()))
			if err != nil {
				continue
			}
			inner, _ := sub.ReadDir(-1)
			sub.Close()
			for _, f := range inner {
				if fi, err := f.Info(); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(before) {
					_ = l.root.Remove(path.Join(tmpDir, e.Name(), f.Name()))
				}
			}
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(before) {
			_ = l.root.Remove(path.Join(tmpDir, e.Name()))
		}
	}
}
