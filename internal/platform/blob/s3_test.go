package blob

import (
	"bytes"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The root credentials the test S3 server runs with.
const (
	testS3Access = "vidya-test-access"
	testS3Secret = "vidya-test-secret-0123456789"
	testBucket   = "vidya-test"
)

// s3Server is a versitygw process serving a temp directory over S3.
type s3Server struct {
	endpoint string // 127.0.0.1:port
	root     string // the directory holding the buckets
}

// findVersitygw returns the path of the versitygw binary, or "".
func findVersitygw() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gopath := build.Default.GOPATH
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		if p := strings.TrimSpace(string(out)); p != "" {
			gopath = p
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// startS3 starts versitygw on a free loopback port for the life of t, or
// skips t when it is not installed (fails instead when VIDYA_TEST_S3=1).
func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin := findVersitygw()
	if bin == "" {
		if os.Getenv("VIDYA_TEST_S3") == "1" {
			t.Fatal("VIDYA_TEST_S3=1 but versitygw is required and was not found in PATH or $(go env GOPATH)/bin; " +
				"install it: go install github.com/versity/versitygw/cmd/versitygw@latest")
		}
		t.Skip("S3 suite skipped: versitygw not installed (go install github.com/versity/versitygw/cmd/versitygw@latest)")
	}
	root := t.TempDir()
	var lastErr error
	for range 3 { // a free port can be taken between choosing and binding it
		srv, err := launchVersitygw(t, bin, root)
		if err == nil {
			return srv
		}
		lastErr = err
	}
	t.Fatalf("versitygw did not start: %v", lastErr)
	return nil
}

// launchVersitygw starts one versitygw process and waits until it accepts
// connections. The process is killed when t ends.
func launchVersitygw(t *testing.T, bin, root string) (*s3Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()

	var out syncBuffer
	cmd := exec.Command(bin,
		"--port", addr,
		"--access", testS3Access,
		"--secret", testS3Secret,
		"--region", "us-east-1",
		"--quiet",
		"posix", root)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = childProcAttr() // dies with the test binary, where supported
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for stop
			return nil, fmt.Errorf("versitygw exited (%v); output:\n%s", err, out.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			t.Cleanup(stop)
			return &s3Server{endpoint: addr, root: root}, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("versitygw not listening on %s after 15s; output:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for a process's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (srv *s3Server) config(prefix string) S3Config {
	return S3Config{
		Endpoint:     srv.endpoint,
		Region:       "us-east-1",
		Bucket:       testBucket,
		Prefix:       prefix,
		AccessKey:    testS3Access,
		SecretKey:    testS3Secret,
		CreateBucket: true,
	}
}

func TestS3(t *testing.T) {
	srv := startS3(t)
	var n atomic.Int64
	newStore := func(t *testing.T) Store {
		// Every store gets its own prefix in the shared bucket, so each
		// subtest starts empty.
		s, err := NewS3(t.Context(), srv.config(fmt.Sprintf("run/%d", n.Add(1))))
		if err != nil {
			t.Fatalf("NewS3: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}

	t.Run("conformance", func(t *testing.T) { testStore(t, newStore) })

	t.Run("keys are stored under the prefix", func(t *testing.T) {
		s := newStore(t).(*S3)
		put(t, s, "a/b.txt", "x", "text/plain")
		if _, err := os.Stat(filepath.Join(srv.root, testBucket, s.prefix, "a", "b.txt")); err != nil {
			t.Errorf("object not under the prefix %q: %v", s.prefix, err)
		}
	})

	t.Run("a store without a prefix sees the whole bucket", func(t *testing.T) {
		s, err := NewS3(t.Context(), srv.config(""))
		if err != nil {
			t.Fatal(err)
		}
		prefixed := newStore(t)
		put(t, prefixed, "deep/key", "x", "")
		found := false
		err = s.List(t.Context(), "", func(in Info) error {
			found = found || strings.HasSuffix(in.Key, "/deep/key")
			return nil
		})
		if err != nil || !found {
			t.Errorf("List of the unprefixed store: found=%v err=%v", found, err)
		}
	})

	t.Run("NewS3 names a missing bucket", func(t *testing.T) {
		cfg := srv.config("")
		cfg.Bucket, cfg.CreateBucket = "no-such-bucket", false
		_, err := NewS3(t.Context(), cfg)
		if !errs.Is(err, errs.NotFound) || !strings.Contains(err.Error(), `"no-such-bucket"`) {
			t.Errorf("err = %v, want NotFound naming the bucket", err)
		}
	})

	t.Run("NewS3 creates the bucket when asked", func(t *testing.T) {
		cfg := srv.config("")
		cfg.Bucket = "created-on-demand"
		if _, err := NewS3(t.Context(), cfg); err != nil {
			t.Fatalf("NewS3 with CreateBucket: %v", err)
		}
		cfg.CreateBucket = false
		if _, err := NewS3(t.Context(), cfg); err != nil {
			t.Errorf("NewS3 of the created bucket: %v", err)
		}
	})

	t.Run("NewS3 reports rejected credentials without the secret", func(t *testing.T) {
		cfg := srv.config("")
		cfg.SecretKey = "wrong-secret-value"
		_, err := NewS3(t.Context(), cfg)
		if !errs.Is(err, errs.Unauthorized) {
			t.Errorf("err = %v, want Unauthorized", err)
		}
		if err != nil && strings.Contains(err.Error(), "wrong-secret-value") {
			t.Errorf("error leaks the secret: %v", err)
		}
	})

	t.Run("Handler serves an S3 store with ranges", func(t *testing.T) {
		s := newStore(t)
		put(t, s, "h/file.txt", "0123456789", "text/plain")
		signer, err := NewSigner(testSecret, "http://blobs.example")
		if err != nil {
			t.Fatal(err)
		}
		h := Handler(s, signer)
		target := pathOf(t, signer.URL("h/file.txt", time.Now().Add(time.Minute)))
		resp := serve(h, http.MethodGet, target, http.Header{"Range": {"bytes=3-5"}})
		if resp.StatusCode != http.StatusPartialContent || body(t, resp) != "345" {
			t.Errorf("ranged GET: status %d", resp.StatusCode)
		}
		resp = serve(h, http.MethodGet, target, nil)
		if resp.StatusCode != http.StatusOK || body(t, resp) != "0123456789" {
			t.Errorf("full GET: status %d", resp.StatusCode)
		}
	})

	t.Run("Open builds an S3 store from a URL and the environment", func(t *testing.T) {
		env := map[string]string{EnvS3AccessKey: testS3Access, EnvS3SecretKey: testS3Secret}
		raw := "s3://" + testBucket + "/opened?endpoint=" + srv.endpoint + "&region=us-east-1&tls=false"
		s, err := Open(t.Context(), raw, nil, func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("Open(%q): %v", raw, err)
		}
		defer s.Close()
		put(t, s, "k", "via open", "")
		if _, err := os.Stat(filepath.Join(srv.root, testBucket, "opened", "k")); err != nil {
			t.Errorf("object not under the URL's prefix: %v", err)
		}
		_, err = Open(t.Context(), "s3://missing-bucket?endpoint="+srv.endpoint+"&tls=false", nil, func(k string) string { return env[k] })
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("Open of a missing bucket: err = %v, want NotFound", err)
		}
	})
}

func TestS3ReportsAnUnreachableEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	cfg := S3Config{Endpoint: addr, Region: "us-east-1", Bucket: "b-b-b", AccessKey: "a", SecretKey: "s"}
	_, err = NewS3(t.Context(), cfg)
	if !errs.Is(err, errs.Unavailable) || !strings.Contains(err.Error(), addr) {
		t.Errorf("err = %v, want Unavailable naming %s", err, addr)
	}
}

func TestS3ConfigStringHidesTheSecret(t *testing.T) {
	cfg := S3Config{Endpoint: "e:1", Bucket: "b", AccessKey: "AK", SecretKey: "very-secret"}
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg), fmt.Sprintf("%v", &cfg)} {
		if strings.Contains(s, "very-secret") {
			t.Errorf("formatted config leaks the secret: %s", s)
		}
	}
}

func TestNewS3ValidatesItsConfig(t *testing.T) {
	good := S3Config{Endpoint: "127.0.0.1:1", Bucket: "bucket", AccessKey: "a", SecretKey: "s"}
	for _, tc := range []struct {
		name string
		mod  func(*S3Config)
	}{
		{"an endpoint with a scheme", func(c *S3Config) { c.Endpoint = "http://127.0.0.1:9000" }},
		{"an endpoint with a path", func(c *S3Config) { c.Endpoint = "127.0.0.1:9000/x" }},
		{"an endpoint with a bad port", func(c *S3Config) { c.Endpoint = "host:99999" }},
		{"no endpoint", func(c *S3Config) { c.Endpoint = "" }},
		{"no bucket", func(c *S3Config) { c.Bucket = "" }},
		{"a bucket with capitals", func(c *S3Config) { c.Bucket = "Bucket" }},
		{"a prefix with ..", func(c *S3Config) { c.Prefix = "a/../b" }},
		{"no access key", func(c *S3Config) { c.AccessKey = "" }},
		{"no secret key", func(c *S3Config) { c.SecretKey = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			_, err := NewS3(t.Context(), cfg)
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("err = %v, want Invalid", err)
			}
		})
	}
}

func TestS3CutsTheRangeWhenTheServerIgnoresIt(t *testing.T) {
	// A minimal S3 stand-in that answers every GET with the whole object,
	// as an HTTP server may when it does not support ranges.
	const content = "0123456789"
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		if r.Method == http.MethodGet && r.URL.Path != "/bucket" && r.URL.Path != "/bucket/" {
			io.WriteString(w, content)
		}
	}))
	defer fake.Close()
	s, err := NewS3(t.Context(), S3Config{
		Endpoint: strings.TrimPrefix(fake.URL, "http://"), Region: "us-east-1",
		Bucket: "bucket", AccessKey: "a", SecretKey: "s",
	})
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	for _, tc := range []struct {
		rng  Range
		want string
	}{{Range{2, 3}, "234"}, {Range{7, -1}, "789"}, {Range{0, 100}, content}} {
		rc, info, err := s.Get(t.Context(), "k", &tc.rng)
		if err != nil {
			t.Fatalf("Get %+v: %v", tc.rng, err)
		}
		if got := readAll(t, rc); got != tc.want || info.Size != 10 {
			t.Errorf("Get %+v = %q (size %d), want %q (size 10)", tc.rng, got, info.Size, tc.want)
		}
	}
	if _, _, err := s.Get(t.Context(), "k", &Range{10, -1}); !errs.Is(err, errs.Invalid) {
		t.Errorf("Get past the end: err = %v, want Invalid", err)
	}
}
