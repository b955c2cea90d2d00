package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path"
	"strconv"
	"sync"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Object is one blob for PutMany.
type Object struct {
	Key         string
	Data        []byte
	ContentType string
	// SHA256 is the hex SHA-256 of Data if the caller has it already;
	// otherwise it is computed.
	SHA256 string
}

// manyPutter is a store that stores many blobs more cheaply together.
type manyPutter interface {
	putMany(ctx context.Context, objs []Object) error
}

// PutMany stores every object, as Put would one by one, and returns when
// all are durable. A local store writes them all and then makes them
// durable with two file-system syncs instead of four fsyncs each, which is
// what lets certificates be issued by the thousand a second; other stores
// put them a few at a time in parallel. On error some objects may be
// stored and others not; each one stored is whole.
func PutMany(ctx context.Context, s Store, objs []Object) error {
	if mp, ok := s.(manyPutter); ok {
		return mp.putMany(ctx, objs)
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
			if err := s.Put(ctx, o.Key, bytes.NewReader(o.Data), int64(len(o.Data)), o.ContentType); err != nil {
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
// implies its content type, its sidecar to temp files, not synced.
func (l *Local) stage(tmpRoot *os.Root, w int, o Object, ct string) (staged, error) {
	dataTmp, err := writeTempData(tmpRoot, w, o.Data)
	if err != nil {
		return staged{}, err
	}
	st := staged{key: o.Key, data: dataTmp, writer: w}
	if impliedType(o.Key) == ct {
		return st, nil
	}
	sum := o.SHA256
	if sum == "" {
		h := sha256.Sum256(o.Data)
		sum = hex.EncodeToString(h[:])
	}
	meta, err := json.Marshal(sidecar{ContentType: ct, ETag: sum, Size: int64(len(o.Data))})
	if err == nil {
		st.meta, err = writeTempData(tmpRoot, w, meta)
	}
	if err != nil {
		_ = l.root.Remove(dataTmp)
		return staged{}, err
	}
	return st, nil
}

// writeTempData writes data to a new temp file, not synced, and returns
// its name in the store.
func writeTempData(tmpRoot *os.Root, w int, data []byte) (string, error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	base := hex.EncodeToString(rnd[:]) + ".part"
	f, err := tmpRoot.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		_ = tmpRoot.Remove(base)
		return "", err
	}
	return path.Join(tmpDir, "w"+strconv.Itoa(w), base), nil
}

// impliedTypes are the content types a blob's key may imply, so that
// PutMany need not write a sidecar for them (a third of its file system
// work); readers then take the type from the key and an ETag from the
// file's time and size. Only types that are safe to serve are here.
var impliedTypes = map[string]string{".pdf": "application/pdf", ".json": "application/json"}

func impliedType(key string) string { return impliedTypes[path.Ext(key)] }

func (l *Local) putMany(ctx context.Context, objs []Object) (err error) {
	const op = "blob: local put many"
	cts := make([]string, len(objs))
	for i, o := range objs {
		if err := validKey(op, o.Key); err != nil {
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
				st, err := l.stage(tmpRoots[w], w, objs[i], cts[i])
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
	if err := l.syncAll(); err != nil {
		return errs.Wrap(op, err)
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
			return l.moveInto(op, "", tmp, dst, false)
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
	if syncFSSupported {
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
