package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Object is one blob for PutMany.
type Object struct {
	Key string
	// Data is the content; or, if Parts is set (and Data is not), the
	// content is the parts one after another. Objects may share parts
	// (many certificates of a template start alike), which are neither
	// copied nor changed.
	Data        []byte
	Parts       [][]byte
	ContentType string
	// SHA256 is the hex SHA-256 of the content if the caller has it
	// already; otherwise it is computed when needed.
	SHA256 string
}

// parts is the content in pieces.
func (o *Object) parts() [][]byte {
	if o.Parts != nil {
		return o.Parts
	}
	return [][]byte{o.Data}
}

// size is the content's length.
func (o *Object) size() int64 { return partsLen(o.parts()) }

// partsLen is the length of parts one after another.
func partsLen(parts [][]byte) int64 {
	var n int64
	for _, p := range parts {
		n += int64(len(p))
	}
	return n
}

// reader reads the content.
func (o *Object) reader() io.Reader {
	ps := o.parts()
	rs := make([]io.Reader, len(ps))
	for i, p := range ps {
		rs[i] = bytes.NewReader(p)
	}
	return io.MultiReader(rs...)
}

// check refuses an object PutMany cannot store.
func (o *Object) check(op string) error {
	if err := validKey(op, o.Key); err != nil {
		return err
	}
	if o.Data != nil && o.Parts != nil {
		return errs.E(errs.Invalid, op, "object %q has both data and parts", o.Key)
	}
	return checkSize(op, o.size())
}

// fewObjects is the most objects PutMany syncs one by one.
const fewObjects = 4

// manyPutter is a store that stores many blobs more cheaply together.
type manyPutter interface {
	putMany(ctx context.Context, objs []Object) error
}

// PutMany stores every object, as Put would one by one, and returns when
// all are durable. A local store writes them all and then makes them
// durable with two file-system syncs instead of four fsyncs each (a few
// objects, an fsync each and one a directory); other stores put them a few
// at a time in parallel. On error some objects may be
// stored and others not; each one stored is whole.
func PutMany(ctx context.Context, s Store, objs []Object) error {
	if mp, ok := s.(manyPutter); ok {
		return mp.putMany(ctx, objs)
	}
	for _, o := range objs {
		if err := o.check("blob: put many"); err != nil {
			return err
		}
	}
	const parallel = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, parallel)
	for _, o := range objs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.Put(ctx, o.Key, o.reader(), o.size(), o.ContentType); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// staged is an object written to temp files, not yet in place.
type staged struct {
	key, data, meta string
	writer          int // whose temp directory holds the files
}

// stage writes an object's content and, unless its key's extension
// implies its content type, its sidecar to temp files, synced if durable.
func (l *Local) stage(tmpRoot *os.Root, w int, o Object, ct string, durable bool) (staged, error) {
	dataTmp, err := writeTempData(tmpRoot, w, o.parts(), durable)
	if err != nil {
		return staged{}, err
	}
	st := staged{key: o.Key, data: dataTmp, writer: w}
	if impliedType(o.Key) == ct {
		return st, nil
	}
	sum := o.SHA256
	if sum == "" {
		h := sha256.New()
		for _, p := range o.parts() {
			h.Write(p)
		}
		sum = hex.EncodeToString(h.Sum(nil))
	}
	meta, err := json.Marshal(sidecar{ContentType: ct, ETag: sum, Size: o.size()})
	if err == nil {
		st.meta, err = writeTempData(tmpRoot, w, [][]byte{meta}, durable)
	}
	if err != nil {
		_ = l.root.Remove(dataTmp)
		return staged{}, err
	}
	return st, nil
}

// writeTempData writes parts to a new temp file, synced if durable, and
// returns its name in the store.
func writeTempData(tmpRoot *os.Root, w int, parts [][]byte, durable bool) (string, error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	base := hex.EncodeToString(rnd[:]) + ".part"
	name := path.Join(tmpDir, "w"+strconv.Itoa(w), base)
	if ok, err := writeDirect(tmpRoot, base, parts, durable); ok || err != nil {
		return name, err
	}
	f, err := tmpRoot.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return "", err
	}
	for _, p := range parts {
		if _, err = f.Write(p); err != nil {
			break
		}
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		_ = tmpRoot.Remove(base)
		return "", err
	}
	return name, nil
}

// directMin is the size from which a blob PutMany writes is written
// around the page cache (O_DIRECT, where the system has it): a pack of
// certificates is written once and seldom read, and through the page cache
// its copying and write-back cost the cores as much as a quarter of
// issuing. directBuf is the size of the aligned buffer it goes through.
const (
	directMin   = 1 << 20
	directAlign = 4096
	directBuf   = 4 << 20
)

var directBufs = sync.Pool{New: func() any {
	b := make([]byte, directBuf+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&b[0]))&(directAlign-1))) & (directAlign - 1)
	b = b[off : off+directBuf]
	return &b
}}

// directWrites counts the blobs written around the page cache, for tests.
var directWrites atomic.Int64

// writeDirect writes parts to the new file base with O_DIRECT, if they
// are large enough and the file system takes such writes; it reports
// false (and no error, and leaves no file) when it did not.
func writeDirect(tmpRoot *os.Root, base string, parts [][]byte, durable bool) (ok bool, err error) {
	size := partsLen(parts)
	if oDirect == 0 || size < directMin {
		return false, nil
	}
	f, err := tmpRoot.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oDirect, filePerm)
	if errors.Is(err, syscall.EINVAL) {
		return false, nil // e.g. tmpfs
	}
	if err != nil {
		return false, err
	}
	bp := directBufs.Get().(*[]byte)
	defer directBufs.Put(bp)
	buf, n := *bp, 0
	for _, p := range parts {
		for len(p) > 0 && err == nil {
			c := copy(buf[n:], p)
			n, p = n+c, p[c:]
			if n == len(buf) {
				_, err = f.Write(buf)
				n = 0
			}
		}
	}
	if err == nil && n > 0 {
		// The last block is written whole, zero-padded, and the file cut
		// back to its size.
		padded := (n + directAlign - 1) &^ (directAlign - 1)
		clear(buf[n:padded])
		if _, err = f.Write(buf[:padded]); err == nil {
			err = f.Truncate(size)
		}
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		_ = tmpRoot.Remove(base)
		if errors.Is(err, syscall.EINVAL) {
			return false, nil // the file system refused the writes: go through the cache
		}
		return false, err
	}
	directWrites.Add(1)
	return true, nil
}

// impliedTypes are the content types a blob's key may imply, so that
// PutMany need not write a sidecar for them (a third of its file system
// work); readers then take the type from the key and an ETag from the
// file's time and size. Only types that are safe to serve are here.
var impliedTypes = map[string]string{".pdf": "application/pdf", ".json": "application/json", ".pack": "application/octet-stream"}

func impliedType(key string) string { return impliedTypes[path.Ext(key)] }

func (l *Local) putMany(ctx context.Context, objs []Object) (err error) {
	const op = "blob: local put many"
	cts := make([]string, len(objs))
	for i, o := range objs {
		if err := o.check(op); err != nil {
			return err
		}
		if cts[i], err = normContentType(op, o.ContentType); err != nil {
			return err
		}
	}
	// Each writer has a temp directory of its own: creating files in one
	// directory from several threads waits on the directory's lock.
	const writers = 4
	var tmpRoots [writers]*os.Root
	var tmpDirs [writers]*os.File
	defer func() {
		for i := range writers {
			if tmpRoots[i] != nil {
				tmpRoots[i].Close()
			}
			if tmpDirs[i] != nil {
				tmpDirs[i].Close()
			}
		}
	}()
	for i := range writers {
		d := path.Join(tmpDir, "w"+strconv.Itoa(i))
		if err := l.root.MkdirAll(d, dirPerm); err != nil {
			return errs.Wrap(op, err)
		}
		var err error
		if tmpRoots[i], err = l.root.OpenRoot(d); err != nil {
			return errs.Wrap(op, err)
		}
		if tmpDirs[i], err = l.root.Open(d); err != nil {
			return errs.Wrap(op, err)
		}
	}
	// A few files (a chunk of certificates packed into one) are synced
	// one by one: a sync of the whole file system would also wait for
	// every other file being written meanwhile. Many small files are
	// synced together.
	few := len(objs) <= fewObjects
	// Writing the temp files is most of the work: do it on a few
	// goroutines, since each file costs a few system calls.
	done := make([]staged, len(objs))
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := 0
	for w := range min(writers, len(objs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				stop := firstErr != nil
				mu.Unlock()
				if i >= len(objs) || stop {
					return
				}
				st, err := l.stage(tmpRoots[w], w, objs[i], cts[i], few)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done[i] = st
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, st := range done {
			if st.data != "" {
				_ = l.root.Remove(st.data)
			}
			if st.meta != "" {
				_ = l.root.Remove(st.meta)
			}
		}
	}()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return errs.Wrap(op, err)
	}
	// The contents are durable before any is renamed into place, so no
	// key ever names a file whose content a crash could lose.
	if !few {
		if err := l.syncAll(); err != nil {
			return errs.Wrap(op, err)
		}
	}
	// Each destination directory is made and opened once; renames then go
	// from directory handle to directory handle where the system has them.
	dirs := newDirCache(l.root)
	defer dirs.close()
	rename := func(w int, tmp, dst string) error {
		d, err := dirs.get(path.Dir(dst))
		if err == nil {
			err = renameAt(tmpDirs[w], path.Base(tmp), d, path.Base(dst))
		}
		if err != nil {
			// A concurrent Delete may have pruned the directory, or a
			// part of the path is a blob: the slow path says which.
			return l.moveInto(op, "", tmp, dst, few || !syncFSSupported)
		}
		return nil
	}
	for i := range done {
		st := &done[i]
		mu := l.lock(st.key)
		mu.Lock()
		err := rename(st.writer, st.data, path.Join(blobsDir, st.key))
		st.data = ""
		switch {
		case err != nil:
		case st.meta == "":
			// The type follows from the key: no sidecar, and none left
			// from an earlier Put to give a wrong ETag.
			if err = l.root.Remove(path.Join(metaDir, st.key)); errors.Is(err, fs.ErrNotExist) {
				err = nil
			}
		default:
			if err = rename(st.writer, st.meta, path.Join(metaDir, st.key)); err != nil {
				_ = l.root.Remove(path.Join(metaDir, st.key))
			}
		}
		st.meta = ""
		mu.Unlock()
		if err != nil {
			if e := errs.As(err); e != nil && e.Kind == errs.Conflict {
				return errs.E(errs.Conflict, op, "key %q cannot be stored: part of its path is already a blob, or other keys start with it", st.key)
			}
			return err
		}
	}
	if syncFSSupported && !few {
		return errs.Wrap(op, l.syncAll())
	}
	return errs.Wrap(op, dirs.sync())
}

// dirCache makes and opens directories of a store once each.
type dirCache struct {
	root *os.Root
	m    map[string]*os.File
}

func newDirCache(root *os.Root) *dirCache { return &dirCache{root: root, m: map[string]*os.File{}} }

func (c *dirCache) get(dir string) (*os.File, error) {
	if f, ok := c.m[dir]; ok {
		return f, nil
	}
	if err := c.root.MkdirAll(dir, dirPerm); err != nil {
		return nil, err
	}
	f, err := c.root.Open(dir)
	if err != nil {
		return nil, err
	}
	c.m[dir] = f
	return f, nil
}

// sync fsyncs every directory opened, so the renames into them last.
func (c *dirCache) sync() error {
	for _, f := range c.m {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	return nil
}

func (c *dirCache) close() {
	for _, f := range c.m {
		f.Close()
	}
}
