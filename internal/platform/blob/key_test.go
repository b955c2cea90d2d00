package blob

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestValidKey(t *testing.T) {
	valid := []string{
		"a",
		"a/b/c.txt",
		"courses/42/lesson 1/slides (final).pdf",
		"ü/日本語/emoji-😀",
		"..a/b..",
		".hidden/.x",
		"a-b_c~d!e$f&g'h(i)j*k+l,m;n=o@p:q",
		strings.Repeat("k", 200) + "/" + strings.Repeat("k", 200) + "/" + strings.Repeat("k", 110), // 512 bytes
		strings.Repeat("s", MaxSegmentLen) + "/x",
	}
	for _, key := range valid {
		t.Run("accepts "+trunc(key), func(t *testing.T) {
			if err := ValidKey(key); err != nil {
				t.Errorf("ValidKey(%q) = %v, want nil", key, err)
			}
		})
	}
	for _, tc := range invalidKeys() {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			err := ValidKey(tc.key)
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("ValidKey(%q) = %v, want an Invalid error", trunc(tc.key), err)
			}
		})
	}
}

func TestValidKeyErrorDoesNotEchoAHugeKey(t *testing.T) {
	err := ValidKey(strings.Repeat("k", 10000))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error is %d bytes long; want a short message", len(err.Error()))
	}
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

func FuzzValidKey(f *testing.F) {
	for _, seed := range []string{
		"a", "a/b", "../x", "/a", "a//b", "a/./b", "", "a\x00b", "a\\b", "a/",
		"..", ".", "a/..", "ü/x", "a\xffb", strings.Repeat("k", 600), "C:/x", "a/.../b",
		"a/\u2028/b", "\u0085", "a/ /b", "~/x", "..0", "a/..b/c",
	} {
		f.Add(seed)
	}
	const dir = "/srv/vidya/blobs"
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidKey(key)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("ValidKey(%q) = %v, want an Invalid error", key, err)
			}
			return
		}
		if len(key) == 0 || len(key) > MaxKeyLen || !utf8.ValidString(key) {
			t.Fatalf("ValidKey accepted %q", key)
		}
		if !filepath.IsLocal(filepath.FromSlash(key)) {
			t.Fatalf("ValidKey accepted %q, which is not a local path", key)
		}
		joined := filepath.Join(dir, filepath.FromSlash(key))
		rel, err := filepath.Rel(dir, joined)
		up := ".." + string(filepath.Separator)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, up) || !strings.HasPrefix(joined, dir+string(filepath.Separator)) {
			t.Fatalf("ValidKey accepted %q, which joins to %q outside %q", key, joined, dir)
		}
		if filepath.ToSlash(rel) != key {
			t.Fatalf("key %q does not map one-to-one onto a file (%q)", key, rel)
		}
	})
}
