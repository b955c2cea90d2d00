package api

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "/",
		"/account":              "/account",
		"/a/HKCL/users?after=2": "/a/HKCL/users?after=2",
		"//evil.example":        "/",
		"/\\evil.example":       "/",
		"https://evil.example":  "/",
		"javascript:alert(1)":   "/",
		"account":               "/",
		"/x\r\nSet-Cookie: a=b": "/",
		"/%2F/evil.example":     "/",
		"/x\ny":                 "/",
	} {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext checks that whatever SafeNext lets through stays on this
// site when a browser resolves it against our origin.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "/%2F%2Fx", "/\t/x", "https://x", "/a?b=//c"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://vidya.example/signin")
	f.Fuzz(func(t *testing.T, next string) {
		got := SafeNext(next)
		if got != "/" && got != next {
			t.Fatalf("SafeNext(%q) = %q: changed but not reset", next, got)
		}
		u, err := base.Parse(got)
		if err != nil {
			return // a browser would not follow it either
		}
		if u.Host != "vidya.example" || u.Scheme != "https" {
			t.Fatalf("SafeNext(%q) = %q leads to %s://%s", next, got, u.Scheme, u.Host)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Fatalf("header injection through %q", got)
		}
	})
}
