package blob

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// testSecret is a signing secret for tests.
var testSecret = []byte("0123456789abcdef0123456789abcdef")

// newLocalServed returns a Local store in a temp dir whose signed URLs point
// at an httptest server running Handler for it.
func newLocalServed(t *testing.T) (*Local, string) {
	t.Helper()
	var h swapHandler
	srv := httptest.NewServer(&h)
	t.Cleanup(srv.Close)
	signer, err := NewSigner(testSecret, srv.URL)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	dir := t.TempDir()
	l, err := NewLocal(dir, signer)
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	h.set(Handler(l, signer))
	return l, dir
}

func TestLocal(t *testing.T) {
	testStore(t, func(t *testing.T) Store {
		l, _ := newLocalServed(t)
		return l
	})
}

func TestLocalFailedPutLeavesOldContentAndNoFiles(t *testing.T) {
	l, dir := newLocalServed(t)
	put(t, l, "doc/report.txt", "old content", "text/plain")
	before := treeFiles(t, dir)

	boom := errors.New("disk of the uploader caught fire")
	err := l.Put(t.Context(), "doc/report.txt", &errReader{n: 300 << 10, err: boom}, 1<<20, "text/plain")
	if !errors.Is(err, boom) {
		t.Fatalf("Put err = %v, want the reader's error", err)
	}
	err = l.Put(t.Context(), "doc/new.txt", &errReader{n: 1000, err: boom}, -1, "text/plain")
	if !errors.Is(err, boom) {
		t.Fatalf("Put err = %v, want the reader's error", err)
	}
	if got := getString(t, l, "doc/report.txt", nil); got != "old content" {
		t.Errorf("content after failed Put = %q, want %q", got, "old content")
	}
	info, err := l.Stat(t.Context(), "doc/report.txt")
	if err != nil || info.ContentType != "text/plain" || info.Size != int64(len("old content")) {
		t.Errorf("Stat after failed Put = %+v, %v", info, err)
	}
	assertMissing(t, l, "doc/new.txt")
	if after := treeFiles(t, dir); !slices.Equal(after, before) {
		t.Errorf("files after failed Puts = %q, want unchanged %q", after, before)
	}
}

func TestLocalListHidesSidecarsAndTempFiles(t *testing.T) {
	l, dir := newLocalServed(t)
	put(t, l, "a/b.txt", "b", "text/plain")
	put(t, l, "c", "c", "text/plain")
	// An in-flight Put of another process, and the sidecars, are on disk...
	if err := os.WriteFile(filepath.Join(dir, tmpDir, "inflight.part"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	files := treeFiles(t, dir)
	for _, want := range []string{".meta/a/b.txt", ".meta/c", ".tmp/inflight.part", "blobs/a/b.txt", "blobs/c"} {
		if !slices.Contains(files, want) {
			t.Errorf("on disk: %q, missing %q", files, want)
		}
	}
	// ...but List shows only the blobs.
	if got := listKeys(t, l, ""); !equal(got, []string{"a/b.txt", "c"}) {
		t.Errorf("List = %q, want [a/b.txt c]", got)
	}
}

func TestLocalETagIsSHA256OfContent(t *testing.T) {
	l, _ := newLocalServed(t)
	put(t, l, "k", "hello", "")
	info, err := l.Stat(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	const want = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	if info.ETag != want {
		t.Errorf("ETag = %q, want sha256 %q", info.ETag, want)
	}
}

func TestLocalKeyCannotBeBothBlobAndDirectory(t *testing.T) {
	l, _ := newLocalServed(t)
	put(t, l, "a", "file", "")
	if err := l.Put(t.Context(), "a/b", strings.NewReader("x"), 1, ""); !errs.Is(err, errs.Conflict) {
		t.Errorf("Put(a/b) over blob a: err = %v, want Conflict", err)
	}
	if err := l.Delete(t.Context(), "a"); err != nil {
		t.Fatal(err)
	}
	put(t, l, "a/b", "x", "")
	if err := l.Put(t.Context(), "a", strings.NewReader("x"), 1, ""); !errs.Is(err, errs.Conflict) {
		t.Errorf("Put(a) over keys a/...: err = %v, want Conflict", err)
	}
	if err := l.Delete(t.Context(), "a"); err != nil {
		t.Errorf("Delete(a) where a is only a directory: %v", err)
	}
	if got := listKeys(t, l, ""); !equal(got, []string{"a/b"}) {
		t.Errorf("List = %q, want [a/b]", got)
	}
	// Deleting the last key below a prunes the directory, freeing the name.
	if err := l.Delete(t.Context(), "a/b"); err != nil {
		t.Fatal(err)
	}
	put(t, l, "a", "file again", "")
}

func TestLocalDoesNotFollowSymlinksOutOfItsDirectory(t *testing.T) {
	l, dir := newLocalServed(t)
	outside := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(outside, []byte("top secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, blobsDir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Dir(outside), filepath.Join(dir, blobsDir, "escdir")); err != nil {
		t.Fatal(err)
	}
	if rc, _, err := l.Get(t.Context(), "escape", nil); err == nil {
		t.Errorf("Get through a symlink out of the root succeeded: %q", readAll(t, rc))
	}
	if _, _, err := l.Get(t.Context(), "escdir/secret.txt", nil); err == nil {
		t.Error("Get through a symlinked directory out of the root succeeded")
	}
	if err := l.Put(t.Context(), "escdir/planted", strings.NewReader("x"), 1, ""); err == nil {
		t.Error("Put through a symlinked directory out of the root succeeded")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(outside), "planted")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file was written outside the store: %v", err)
	}
}

func TestNewLocalNeedsAnExistingDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, dir string }{
		{"empty path", ""},
		{"missing directory", filepath.Join(t.TempDir(), "nope")},
		{"a file", file},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewLocal(tc.dir, nil); !errs.Is(err, errs.Invalid) {
				t.Errorf("NewLocal(%q) err = %v, want Invalid", tc.dir, err)
			}
		})
	}
}

func TestNewLocalRemovesStaleTempFilesOnly(t *testing.T) {
	dir := t.TempDir()
	l, err := NewLocal(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	stale := filepath.Join(dir, tmpDir, "stale.part")
	fresh := filepath.Join(dir, tmpDir, "fresh.part")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleTemp)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	l, err = NewLocal(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temp file survived: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file (maybe another process's Put) was removed: %v", err)
	}
}

func TestLocalSignedURLNeedsASigner(t *testing.T) {
	l, err := NewLocal(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.SignedURL(t.Context(), "k", time.Minute); !errs.Is(err, errs.Unsupported) {
		t.Errorf("err = %v, want Unsupported", err)
	}
}

func TestLocalConcurrentPutsAndGetsSeeWholeBlobs(t *testing.T) {
	l, _ := newLocalServed(t)
	versions := []string{strings.Repeat("a", 64<<10), strings.Repeat("b", 32<<10)}
	put(t, l, "hot", versions[0], "text/plain")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				if w%2 == 0 {
					v := versions[(w+i)%2]
					if err := l.Put(t.Context(), "hot", strings.NewReader(v), int64(len(v)), "text/plain"); err != nil {
						t.Errorf("Put: %v", err)
					}
					continue
				}
				rc, info, err := l.Get(t.Context(), "hot", nil)
				if err != nil {
					t.Errorf("Get: %v", err)
					continue
				}
				got := readAll(t, rc)
				if got != versions[0] && got != versions[1] {
					t.Errorf("Get saw a mixed blob of %d bytes", len(got))
				}
				if info.Size != int64(len(got)) {
					t.Errorf("Info.Size = %d for %d bytes read", info.Size, len(got))
				}
			}
		})
	}
	wg.Wait()
}

// treeFiles lists the regular files under dir, slash-separated and sorted.
func treeFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func TestLocalPutManyWritesLargeBlobsAroundThePageCache(t *testing.T) {
	l, _ := newLocalServed(t)
	ctx := t.Context()
	// Sizes on and off the 4 KiB blocks and the 4 MiB buffer, from parts
	// that straddle both.
	sizes := []int{directMin, directMin + 1, directBuf, directBuf + 4095, 3*directBuf + 12345}
	before := directWrites.Load()
	for i, size := range sizes {
		data := randomBytes(size, uint64(i))
		var parts [][]byte
		for off := 0; off < size; {
			n := min(size-off, 700_001+i*3)
			parts = append(parts, data[off:off+n])
			off += n
		}
		key := fmt.Sprintf("big/%d.pack", i)
		objs := []Object{{Key: key, Parts: parts, ContentType: "application/octet-stream"}}
		if i == 0 {
			// With many small ones: synced together, not one by one.
			for j := range 6 {
				objs = append(objs, Object{Key: fmt.Sprintf("big/small%d", j), Data: []byte("s"), ContentType: "text/plain"})
			}
		}
		if err := PutMany(ctx, l, objs); err != nil {
			t.Fatal(err)
		}
		got := getString(t, l, key, nil)
		if len(got) != size || got != string(data) {
			t.Fatalf("%d bytes written, %d read back or different content", size, len(got))
		}
		info, err := l.Stat(ctx, key)
		if err != nil || info.Size != int64(size) || info.ContentType != "application/octet-stream" {
			t.Fatalf("%s: %+v %v", key, info, err)
		}
	}
	if n := directWrites.Load() - before; n != int64(len(sizes)) {
		// Only a file system that refuses O_DIRECT (tmpfs) may take the
		// other path.
		f, err := os.OpenFile(filepath.Join(l.Dir(), "probe"), os.O_CREATE|os.O_WRONLY|oDirect, 0o600)
		if err == nil {
			f.Close()
			t.Fatalf("%d of %d large blobs written around the page cache, on a file system that allows it", n, len(sizes))
		}
		t.Logf("the file system refuses O_DIRECT (%v): large blobs went through the page cache", err)
	}
	if left := treeFiles(t, filepath.Join(l.Dir(), tmpDir)); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}
