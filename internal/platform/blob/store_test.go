package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// testStore is the conformance suite every Store backend must pass. newStore
// returns a fresh, empty store for each subtest; the store's signed URLs must
// be fetchable with a plain HTTP GET.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	t.Run("a blob reads back as written, with its size and content type", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		put(t, s, "docs/hello.txt", "hello, world", "text/plain; charset=utf-8")
		rc, info, err := s.Get(ctx, "docs/hello.txt", nil)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got := readAll(t, rc); got != "hello, world" {
			t.Errorf("content = %q, want %q", got, "hello, world")
		}
		if info.Key != "docs/hello.txt" || info.Size != 12 || info.ContentType != "text/plain; charset=utf-8" || info.ETag == "" {
			t.Errorf("Get info = %+v", info)
		}
		if info.ModTime.IsZero() || time.Since(info.ModTime) > time.Hour {
			t.Errorf("ModTime = %v, want about now", info.ModTime)
		}
	})

	t.Run("PutMany stores every object as Put would, replacing old ones", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		put(t, s, "many/07", "old", "text/plain")
		var objs []Object
		for i := range 40 {
			objs = append(objs, Object{Key: fmt.Sprintf("many/%02d", i), Data: randomBytes(100+i*37, uint64(i)), ContentType: "application/pdf"})
		}
		if err := PutMany(ctx, s, objs); err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			rc, info, err := s.Get(ctx, o.Key, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, rc); got != string(o.Data) || info.ContentType != "application/pdf" || info.Size != int64(len(o.Data)) {
				t.Fatalf("%s: %d bytes of %s, want %d of application/pdf", o.Key, info.Size, info.ContentType, len(o.Data))
			}
		}
		// Types a key's extension implies, and others, read back; a new
		// content of the same size gets a new ETag.
		put(t, s, "many/c.pdf", "%PDF-old", "application/pdf")
		old, err := s.Stat(ctx, "many/c.pdf")
		if err != nil {
			t.Fatal(err)
		}
		if err := PutMany(ctx, s, []Object{{Key: "many/c.pdf", Data: []byte("%PDF-new"), ContentType: "application/pdf"},
			{Key: "many/d.json", Data: []byte("{}"), ContentType: "text/plain"}, {Key: "many/e.json", Data: []byte("[]"), ContentType: "application/json"}}); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"many/c.pdf": "application/pdf", "many/d.json": "text/plain", "many/e.json": "application/json"} {
			info, err := s.Stat(ctx, key)
			if err != nil || info.ContentType != want {
				t.Errorf("%s: %+v %v, want %s", key, info, err, want)
			}
		}
		if info, _ := s.Stat(ctx, "many/c.pdf"); info.ETag == old.ETag || getString(t, s, "many/c.pdf", nil) != "%PDF-new" {
			t.Errorf("replaced with PutMany: ETag %q (was %q)", info.ETag, old.ETag)
		}
		// A bad key is refused.
		err = PutMany(ctx, s, []Object{{Key: "many/ok", Data: []byte("x")}, {Key: "../escape", Data: []byte("y")}})
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("a bad key: %v", err)
		}
	})

	t.Run("PutMany stores objects made of shared parts", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		head := randomBytes(70_000, 9)
		snapshot := slices.Clone(head)
		// Many objects in one call (synced together on a local store),
		// then a few (synced one by one).
		for _, n := range []int{12, 2} {
			var objs []Object
			for i := range n {
				tail := randomBytes(1000+i, uint64(100*n+i))
				o := Object{Key: fmt.Sprintf("parts/%d/%02d/f.pdf", n, i), Parts: [][]byte{head, tail, {}, []byte("%%EOF")}, ContentType: "application/pdf"}
				if i%2 == 0 { // the caller's hash is trusted; without it one is made
					sum := sha256.Sum256(bytes.Join(o.Parts, nil))
					o.SHA256 = hex.EncodeToString(sum[:])
				}
				if i == 1 {
					o.ContentType = "application/octet-stream" // a sidecar
				}
				objs = append(objs, o)
			}
			if err := PutMany(ctx, s, objs); err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				want := string(bytes.Join(o.Parts, nil))
				if got := getString(t, s, o.Key, nil); got != want {
					t.Fatalf("%s: %d bytes, want %d (the parts in order)", o.Key, len(got), len(want))
				}
				info, err := s.Stat(ctx, o.Key)
				if err != nil || info.Size != int64(len(want)) || info.ContentType != o.ContentType {
					t.Fatalf("%s: %+v %v", o.Key, info, err)
				}
				// A range of the whole reads back the same.
				if got := getString(t, s, o.Key, &Range{Offset: 69_990, Length: 20}); got != want[69_990:70_010] {
					t.Fatalf("%s: range across the parts read %q", o.Key, got)
				}
			}
		}
		if !bytes.Equal(head, snapshot) {
			t.Fatal("PutMany changed a shared part")
		}
		err := PutMany(ctx, s, []Object{{Key: "parts/both", Data: []byte("x"), Parts: [][]byte{[]byte("y")}}})
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("an object with both data and parts: %v", err)
		}
		if _, err := s.Stat(ctx, "parts/both"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("the refused object was stored: %v", err)
		}
	})

	t.Run("PutMany works again after a Delete removed its directory", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for round := range 3 {
			if err := PutMany(ctx, s, []Object{{Key: "gone/ab/x.pdf", Data: []byte(fmt.Sprint("round ", round)), ContentType: "application/pdf"}}); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if got := getString(t, s, "gone/ab/x.pdf", nil); got != fmt.Sprint("round ", round) {
				t.Fatalf("round %d: read %q", round, got)
			}
			// Deleting the only blob prunes its directories (locally);
			// the next PutMany must not use a handle on the removed one.
			if err := s.Delete(ctx, "gone/ab/x.pdf"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Stat(ctx, "gone/ab/x.pdf"); !errs.Is(err, errs.NotFound) {
				t.Fatalf("round %d: after Delete, Stat = %v", round, err)
			}
		}
	})

	t.Run("a 5 MiB blob round-trips byte for byte", func(t *testing.T) {
		s := newStore(t)
		data := randomBytes(5<<20, 1)
		if err := s.Put(t.Context(), "big/blob.bin", bytes.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
			t.Fatalf("Put: %v", err)
		}
		rc, info, err := s.Get(t.Context(), "big/blob.bin", nil)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if info.Size != int64(len(data)) || sha256.Sum256(got) != sha256.Sum256(data) {
			t.Errorf("got %d bytes (info.Size %d), want the %d bytes written", len(got), info.Size, len(data))
		}
	})

	t.Run("a blob of unknown size is read to EOF", func(t *testing.T) {
		s := newStore(t)
		data := randomBytes(300<<10, 2)
		if err := s.Put(t.Context(), "stream.bin", io.MultiReader(bytes.NewReader(data)), -1, ""); err != nil {
			t.Fatalf("Put: %v", err)
		}
		info, err := s.Stat(t.Context(), "stream.bin")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if info.Size != int64(len(data)) {
			t.Errorf("Size = %d, want %d", info.Size, len(data))
		}
		if got := getString(t, s, "stream.bin", nil); got != string(data) {
			t.Errorf("content differs (%d bytes, want %d)", len(got), len(data))
		}
	})

	t.Run("a 0-byte blob exists and reads back empty", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "empty", "", "text/plain")
		info, err := s.Stat(t.Context(), "empty")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if info.Size != 0 {
			t.Errorf("Size = %d, want 0", info.Size)
		}
		if got := getString(t, s, "empty", nil); got != "" {
			t.Errorf("content = %q, want empty", got)
		}
	})

	t.Run("a reader shorter than the declared size fails and stores nothing", func(t *testing.T) {
		s := newStore(t)
		err := s.Put(t.Context(), "short", strings.NewReader("12345"), 10, "")
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("Put err = %v, want Invalid", err)
		}
		assertMissing(t, s, "short")
	})

	t.Run("overwriting replaces content, size, type and ETag", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "k", "first version", "text/plain")
		before, _ := s.Stat(t.Context(), "k")
		put(t, s, "k", "second", "image/png")
		after, err := s.Stat(t.Context(), "k")
		if err != nil {
			t.Fatalf("Stat: %v", err)
		}
		if got := getString(t, s, "k", nil); got != "second" {
			t.Errorf("content = %q, want %q", got, "second")
		}
		if after.Size != 6 || after.ContentType != "image/png" {
			t.Errorf("Stat after overwrite = %+v", after)
		}
		if after.ETag == before.ETag {
			t.Errorf("ETag unchanged after overwrite: %q", after.ETag)
		}
	})

	t.Run("content types are kept, defaulted and validated", func(t *testing.T) {
		s := newStore(t)
		for _, tc := range []struct{ in, want string }{
			{"image/png", "image/png"},
			{"application/pdf", "application/pdf"},
			{"text/html; charset=utf-8", "text/html; charset=utf-8"},
			{"", DefaultContentType},
		} {
			put(t, s, "ct", "x", tc.in)
			info, err := s.Stat(t.Context(), "ct")
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if info.ContentType != tc.want {
				t.Errorf("Put with %q: ContentType = %q, want %q", tc.in, info.ContentType, tc.want)
			}
		}
		for _, bad := range []string{"not a type", "text/plain\r\nX-Evil: 1"} {
			if err := s.Put(t.Context(), "bad-ct", strings.NewReader("x"), 1, bad); !errs.Is(err, errs.Invalid) {
				t.Errorf("Put with content type %q: err = %v, want Invalid", bad, err)
			}
		}
		assertMissing(t, s, "bad-ct")
	})

	t.Run("byte ranges return the requested slice and the whole size", func(t *testing.T) {
		s := newStore(t)
		data := randomBytes(100, 3)
		if err := s.Put(t.Context(), "r", bytes.NewReader(data), 100, ""); err != nil {
			t.Fatalf("Put: %v", err)
		}
		for _, tc := range []struct {
			name string
			rng  Range
			want []byte
		}{
			{"start", Range{0, 10}, data[:10]},
			{"middle", Range{40, 20}, data[40:60]},
			{"to the end", Range{90, -1}, data[90:]},
			{"past the end is clamped", Range{95, 100}, data[95:]},
			{"last byte", Range{99, 1}, data[99:]},
			{"whole object", Range{0, -1}, data},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rc, info, err := s.Get(t.Context(), "r", &tc.rng)
				if err != nil {
					t.Fatalf("Get %+v: %v", tc.rng, err)
				}
				if got := readAll(t, rc); got != string(tc.want) {
					t.Errorf("Get %+v = %x, want %x", tc.rng, got, tc.want)
				}
				if info.Size != 100 {
					t.Errorf("info.Size = %d, want the whole size 100", info.Size)
				}
			})
		}
		for _, rng := range []Range{{100, -1}, {100, 1}, {500, 10}, {-1, 5}, {0, 0}, {0, -2}} {
			_, _, err := s.Get(t.Context(), "r", &rng)
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("Get %+v: err = %v, want Invalid", rng, err)
			}
		}
	})

	t.Run("a range on a 0-byte blob is out of range", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "empty", "", "")
		if _, _, err := s.Get(t.Context(), "empty", &Range{0, -1}); !errs.Is(err, errs.Invalid) {
			t.Errorf("err = %v, want Invalid", err)
		}
	})

	t.Run("Stat and Get of a missing key are NotFound", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "present", "x", "")
		for _, key := range []string{"absent", "present/child", "pres"} {
			if _, err := s.Stat(t.Context(), key); !errs.Is(err, errs.NotFound) {
				t.Errorf("Stat(%q) err = %v, want NotFound", key, err)
			}
			if _, _, err := s.Get(t.Context(), key, nil); !errs.Is(err, errs.NotFound) {
				t.Errorf("Get(%q) err = %v, want NotFound", key, err)
			}
			if _, _, err := s.Get(t.Context(), key, &Range{0, 1}); !errs.Is(err, errs.NotFound) {
				t.Errorf("Get(%q, range) err = %v, want NotFound", key, err)
			}
		}
	})

	t.Run("Delete removes a blob and deleting a missing key is fine", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "d/1", "x", "")
		put(t, s, "d/2", "y", "")
		if err := s.Delete(t.Context(), "d/1"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		assertMissing(t, s, "d/1")
		if got := getString(t, s, "d/2", nil); got != "y" {
			t.Errorf("sibling d/2 = %q, want %q", got, "y")
		}
		for _, key := range []string{"d/1", "never/was", "d"} {
			if err := s.Delete(t.Context(), key); err != nil {
				t.Errorf("Delete(%q) of a missing key: %v", key, err)
			}
		}
		if got := listKeys(t, s, ""); !equal(got, []string{"d/2"}) {
			t.Errorf("List after deletes = %q, want [d/2]", got)
		}
	})

	t.Run("List walks every key under a prefix in lexical order", func(t *testing.T) {
		s := newStore(t)
		keys := []string{"b", "a/2", "a/b/3", "ab", "a-b", "a/1", "a/b/c/4", "é/x"}
		for _, k := range keys {
			put(t, s, k, "content of "+k, "text/plain")
		}
		for _, tc := range []struct {
			prefix string
			want   []string
		}{
			{"", []string{"a-b", "a/1", "a/2", "a/b/3", "a/b/c/4", "ab", "b", "é/x"}},
			{"a/", []string{"a/1", "a/2", "a/b/3", "a/b/c/4"}},
			{"a", []string{"a-b", "a/1", "a/2", "a/b/3", "a/b/c/4", "ab"}},
			{"a/b", []string{"a/b/3", "a/b/c/4"}},
			{"a/b/", []string{"a/b/3", "a/b/c/4"}},
			{"a/b/c/4", []string{"a/b/c/4"}},
			{"é", []string{"é/x"}},
			{"zzz", nil},
			{"a/1/", nil},
		} {
			if got := listKeys(t, s, tc.prefix); !equal(got, tc.want) {
				t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		}
	})

	t.Run("List reports the same size and ETag as Stat", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "p/one", "1", "text/plain")
		put(t, s, "p/three", "333", "text/plain")
		err := s.List(t.Context(), "p/", func(in Info) error {
			st, err := s.Stat(t.Context(), in.Key)
			if err != nil {
				return err
			}
			if in.Size != st.Size || in.ETag != st.ETag || in.ModTime.IsZero() {
				t.Errorf("List info %+v, Stat %+v", in, st)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
	})

	t.Run("List stops at the first error from fn and returns it", func(t *testing.T) {
		s := newStore(t)
		for _, k := range []string{"1", "2", "3", "4"} {
			put(t, s, k, k, "")
		}
		stop := errors.New("stop here")
		var seen []string
		err := s.List(t.Context(), "", func(in Info) error {
			seen = append(seen, in.Key)
			if len(seen) == 2 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Errorf("List err = %v, want fn's error", err)
		}
		if !equal(seen, []string{"1", "2"}) {
			t.Errorf("fn saw %q, want [1 2]", seen)
		}
	})

	t.Run("invalid keys are rejected and nothing is written", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for _, tc := range invalidKeys() {
			t.Run(tc.name, func(t *testing.T) {
				if err := s.Put(ctx, tc.key, strings.NewReader("x"), 1, ""); !errs.Is(err, errs.Invalid) {
					t.Errorf("Put err = %v, want Invalid", err)
				}
				if _, _, err := s.Get(ctx, tc.key, nil); !errs.Is(err, errs.Invalid) {
					t.Errorf("Get err = %v, want Invalid", err)
				}
				if _, err := s.Stat(ctx, tc.key); !errs.Is(err, errs.Invalid) {
					t.Errorf("Stat err = %v, want Invalid", err)
				}
				if err := s.Delete(ctx, tc.key); !errs.Is(err, errs.Invalid) {
					t.Errorf("Delete err = %v, want Invalid", err)
				}
				if _, err := s.SignedURL(ctx, tc.key, time.Minute); !errs.Is(err, errs.Invalid) {
					t.Errorf("SignedURL err = %v, want Invalid", err)
				}
			})
		}
		if got := listKeys(t, s, ""); len(got) != 0 {
			t.Errorf("store holds %q after invalid Puts, want nothing", got)
		}
	})

	t.Run("a signed URL fetches the blob over HTTP", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "docs/hello world?.txt", "signed content", "text/plain")
		u, err := s.SignedURL(t.Context(), "docs/hello world?.txt", time.Minute)
		if err != nil {
			t.Fatalf("SignedURL: %v", err)
		}
		status, body := httpGet(t, u)
		if status != http.StatusOK || body != "signed content" {
			t.Errorf("GET signed URL = %d %q, want 200 %q", status, body, "signed content")
		}
	})

	t.Run("a tampered signed URL is refused", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "docs/a.txt", "a", "text/plain")
		put(t, s, "docs/b.txt", "secret b", "text/plain")
		raw, err := s.SignedURL(t.Context(), "docs/a.txt", time.Minute)
		if err != nil {
			t.Fatalf("SignedURL: %v", err)
		}
		u, _ := url.Parse(raw)
		otherKey := *u
		otherKey.Path = strings.Replace(u.Path, "a.txt", "b.txt", 1)
		otherKey.RawPath = ""
		badSig := *u
		q := u.Query()
		for _, name := range []string{"sig", "X-Amz-Signature"} {
			if v := q.Get(name); v != "" {
				q.Set(name, flipChar(v))
			}
		}
		badSig.RawQuery = q.Encode()
		for name, tampered := range map[string]string{"other key": otherKey.String(), "changed signature": badSig.String()} {
			if status, body := httpGet(t, tampered); status != http.StatusForbidden {
				t.Errorf("%s: GET = %d %q, want 403", name, status, body)
			}
		}
	})

	t.Run("an expired signed URL is refused", func(t *testing.T) {
		t.Parallel() // it sleeps
		s := newStore(t)
		put(t, s, "soon-gone", "x", "text/plain")
		u, err := s.SignedURL(t.Context(), "soon-gone", time.Second)
		if err != nil {
			t.Fatalf("SignedURL: %v", err)
		}
		time.Sleep(2200 * time.Millisecond)
		if status, body := httpGet(t, u); status != http.StatusForbidden {
			t.Errorf("GET expired URL = %d %q, want 403", status, body)
		}
	})

	t.Run("SignedURL rejects an expiry out of bounds", func(t *testing.T) {
		s := newStore(t)
		for _, d := range []time.Duration{0, -time.Minute, 8 * 24 * time.Hour} {
			if _, err := s.SignedURL(t.Context(), "k", d); !errs.Is(err, errs.Invalid) {
				t.Errorf("SignedURL(%v) err = %v, want Invalid", d, err)
			}
		}
	})

	t.Run("a Put with a cancelled context stores nothing", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Put(ctx, "never", strings.NewReader("x"), 1, ""); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		assertMissing(t, s, "never")
	})

	t.Run("a Put cancelled mid-stream stores nothing and keeps the old blob", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "old", "old content", "text/plain")
		for _, tc := range []struct {
			key  string
			size int64
		}{{"new", 1 << 20}, {"old", 1 << 20}, {"new-unsized", -1}} {
			ctx, cancel := context.WithCancel(t.Context())
			r := &cancellingReader{data: randomBytes(1<<20, 4), cancelAt: 256 << 10, cancel: cancel}
			err := s.Put(ctx, tc.key, r, tc.size, "")
			cancel()
			if err == nil {
				t.Errorf("Put(%q) cancelled mid-stream succeeded", tc.key)
			}
		}
		assertMissing(t, s, "new")
		assertMissing(t, s, "new-unsized")
		if got := getString(t, s, "old", nil); got != "old content" {
			t.Errorf("old blob = %q after a cancelled overwrite, want %q", got, "old content")
		}
		if got := listKeys(t, s, ""); !equal(got, []string{"old"}) {
			t.Errorf("List = %q, want [old]", got)
		}
	})
}

// invalidKeys are keys every backend must reject.
func invalidKeys() []struct{ name, key string } {
	return []struct{ name, key string }{
		{"parent segment", "../x"},
		{"parent segment inside", "a/../b"},
		{"leading slash", "/a"},
		{"empty segment", "a//b"},
		{"trailing slash", "a/"},
		{"dot segment", "a/./b"},
		{"lone dot", "."},
		{"empty", ""},
		{"NUL byte", "a\x00b"},
		{"newline", "a\nb"},
		{"DEL", "a\x7fb"},
		{"600 bytes", strings.Repeat("k", 600)},
		{"segment over 255 bytes", "a/" + strings.Repeat("s", 256)},
		{"backslash", `a\b`},
		{"invalid UTF-8", "a\xffb"},
	}
}

func put(t *testing.T, s Store, key, content, ct string) {
	t.Helper()
	if err := s.Put(t.Context(), key, strings.NewReader(content), int64(len(content)), ct); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func getString(t *testing.T, s Store, key string, rng *Range) string {
	t.Helper()
	rc, _, err := s.Get(t.Context(), key, rng)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return readAll(t, rc)
}

func readAll(t *testing.T, rc io.ReadCloser) string {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func assertMissing(t *testing.T, s Store, key string) {
	t.Helper()
	if _, err := s.Stat(t.Context(), key); !errs.Is(err, errs.NotFound) {
		t.Errorf("Stat(%q) err = %v, want NotFound", key, err)
	}
}

func listKeys(t *testing.T, s Store, prefix string) []string {
	t.Helper()
	var keys []string
	if err := s.List(t.Context(), prefix, func(in Info) error {
		keys = append(keys, in.Key)
		return nil
	}); err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func httpGet(t *testing.T, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatalf("request %q: %v", u, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %q: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// flipChar changes the middle character of s.
func flipChar(s string) string {
	b := []byte(s)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// cancellingReader serves data and cancels its context once cancelAt bytes
// have been read, then keeps serving, as a client that hangs up would.
type cancellingReader struct {
	data     []byte
	off      int
	cancelAt int
	cancel   context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if r.off >= len(r.data) {
		return 0, io.EOF
	}
	if r.off >= r.cancelAt {
		r.cancel()
	}
	n := copy(p[:min(len(p), 32<<10)], r.data[r.off:]) // in chunks, as a network reader would
	r.off += n
	return n, nil
}

// errReader serves n bytes and then fails.
type errReader struct {
	n   int
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, r.err
	}
	p = p[:min(len(p), r.n)]
	for i := range p {
		p[i] = 'z'
	}
	r.n -= len(p)
	return len(p), nil
}
