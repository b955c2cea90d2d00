package blob

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestOpenLocal(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base)
	for _, tc := range []struct {
		name, url, dir string
	}{
		{"an absolute path", filepath.Join(base, "abs", "blobs"), filepath.Join(base, "abs", "blobs")},
		{"a relative path", "rel/blobs", filepath.Join(base, "rel", "blobs")},
		{"a file URL", "file://" + filepath.ToSlash(filepath.Join(base, "viaurl")), filepath.Join(base, "viaurl")},
		{"a file URL with localhost", "file://localhost" + filepath.ToSlash(filepath.Join(base, "lh")), filepath.Join(base, "lh")},
		{"a file URL with an escaped space", "file://" + filepath.ToSlash(base) + "/with%20space", filepath.Join(base, "with space")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, nil, nil)
			if err != nil {
				t.Fatalf("Open(%q): %v", tc.url, err)
			}
			defer s.Close()
			l, ok := s.(*Local)
			if !ok {
				t.Fatalf("Open(%q) = %T, want *Local", tc.url, s)
			}
			if l.Dir() != tc.dir {
				t.Errorf("Dir = %q, want %q", l.Dir(), tc.dir)
			}
			fi, err := os.Stat(tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm&^0o750 != 0 {
				t.Errorf("created directory has mode %v, want at most 0750", perm)
			}
			put(t, s, "k", "v", "")
			if _, err := os.Stat(filepath.Join(tc.dir, blobsDir, "k")); err != nil {
				t.Errorf("blob not under %q: %v", tc.dir, err)
			}
		})
	}
}

func TestOpenRejectsBadURLs(t *testing.T) {
	env := map[string]string{EnvS3AccessKey: "AKIDEXAMPLE", EnvS3SecretKey: "sekrit-value-123"}
	getenv := func(k string) string { return env[k] }
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name, url string
		getenv    func(string) string
		msgHas    string
	}{
		{"an empty URL", "", getenv, "empty"},
		{"an ftp URL", "ftp://x", getenv, `blob URL "ftp://x": unsupported scheme "ftp"; use a directory path or s3://bucket`},
		{"an http URL", "http://example.com/blobs", getenv, `unsupported scheme "http"`},
		{"a file URL with a host", "file://server/share", getenv, "absolute path"},
		{"a file URL with a query", "file:///tmp/x?mode=1", getenv, "no query"},
		{"an s3 URL without a bucket", "s3:///prefix?endpoint=localhost:9000", getenv, "missing bucket"},
		{"an endpoint with a scheme", "s3://b/p?endpoint=http://localhost:9000", getenv, "without a scheme"},
		{"an endpoint with a bad port", "s3://bkt?endpoint=localhost:port", getenv, "bad port"},
		{"an endpoint with no host", "s3://bkt?endpoint=:9000", getenv, "no host"},
		{"an empty endpoint", "s3://bkt?endpoint=", getenv, "endpoint is empty"},
		{"a bad tls flag", "s3://bkt?tls=maybe", getenv, `tls="maybe"`},
		{"a misspelt parameter", "s3://bkt?endpiont=localhost:9000", getenv, `unknown parameter "endpiont"`},
		{"a repeated parameter", "s3://bkt?region=a&region=b", getenv, `"region" is given 2 times`},
		{"a malformed query", "s3://bkt?region=%zz", getenv, "malformed"},
		{"a bad bucket name", "s3://Bad_Bucket?endpoint=localhost:9000", getenv, "bucket name"},
		{"missing credentials", "s3://bkt?endpoint=localhost:9000", noEnv, "VIDYA_S3_ACCESS_KEY"},
		{"credentials in the URL", "s3://AKID:sekrit-value-123@bkt?endpoint=localhost:9000", getenv, "must not carry credentials"},
		{"a malformed URL with credentials", "s3://AKID:sekrit-value-123@bkt/%zz", getenv, "not a valid URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), tc.url, nil, tc.getenv)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.url)
			}
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("err = %v, want Invalid", err)
			}
			if !strings.Contains(err.Error(), tc.msgHas) {
				t.Errorf("err = %q, want it to say %q", err, tc.msgHas)
			}
			if strings.Contains(err.Error(), "sekrit") {
				t.Errorf("err leaks the secret: %q", err)
			}
		})
	}
}

func TestS3ConfigFromURL(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  string
		env  map[string]string
		want S3Config
	}{
		{
			"all parameters",
			"s3://media/vidya/prod/?endpoint=127.0.0.1:9000&region=eu-west-1&tls=false",
			map[string]string{EnvS3AccessKey: "vak", EnvS3SecretKey: "vsk"},
			S3Config{Endpoint: "127.0.0.1:9000", Region: "eu-west-1", Bucket: "media", Prefix: "vidya/prod", AccessKey: "vak", SecretKey: "vsk"},
		},
		{
			"defaults to AWS over TLS",
			"s3://media",
			map[string]string{EnvS3AccessKey: "vak", EnvS3SecretKey: "vsk"},
			S3Config{Endpoint: "s3.amazonaws.com", Bucket: "media", AccessKey: "vak", SecretKey: "vsk", UseTLS: true},
		},
		{
			"VIDYA credentials win over AWS ones",
			"s3://media?tls=true",
			map[string]string{EnvS3AccessKey: "vak", EnvS3SecretKey: "vsk", EnvAWSAccessKey: "aak", EnvAWSSecretKey: "ask"},
			S3Config{Endpoint: "s3.amazonaws.com", Bucket: "media", AccessKey: "vak", SecretKey: "vsk", UseTLS: true},
		},
		{
			"AWS credentials are the fallback",
			"s3://media?endpoint=minio.internal",
			map[string]string{EnvAWSAccessKey: "aak", EnvAWSSecretKey: "ask"},
			S3Config{Endpoint: "minio.internal", Bucket: "media", AccessKey: "aak", SecretKey: "ask", UseTLS: true},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := mustParse(t, tc.url)
			got, err := s3Config("test", tc.url, u, func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatalf("s3Config: %v", err)
			}
			if got != tc.want {
				t.Errorf("config = %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestOpenDoesNotMixCredentialPairs(t *testing.T) {
	env := map[string]string{EnvS3AccessKey: "vak", EnvAWSSecretKey: "ask"}
	_, err := Open(t.Context(), "s3://media?endpoint=localhost:9000", nil, func(k string) string { return env[k] })
	if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), EnvS3SecretKey) {
		t.Errorf("err = %v, want Invalid asking for %s", err, EnvS3SecretKey)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
