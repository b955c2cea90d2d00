package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
)

// serveInProcess runs `vidya serve` in this process and returns its base
// URL and a function that stops it and returns Run's error.
func serveInProcess(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	errb := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), out, errb)
	}()
	re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			stop := func() error {
				cancel()
				select {
				case err := <-done:
					return err
				case <-time.After(40 * time.Second):
					t.Fatal("serve did not stop")
					return nil
				}
			}
			t.Cleanup(func() { cancel() })
			return m[1], out, stop
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited early: %v\nstderr: %s", err, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start; stderr: %s", errb.String())
		}
	}
}

func TestServeWithDemoData(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIDYA_DATA_DIR": dir, "VIDYA_LISTEN": "127.0.0.1:0"}
	base, out, stop := serveInProcess(t, env, "--demo")
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/api/openapi.json": 200, "/api/v1/me": 401, "/api/v1/nope": 404} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
		}
		if res.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", path)
		}
	}
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`vidya_http_requests_total{code="2xx",route="GET /healthz"}`, `route="GET /api/v1/me"`, `route="/api/"`, "go_goroutines", "sqlite_writer"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(out.String(), "platform@demo.vidya.test") || !strings.Contains(out.String(), DemoPassword) {
		t.Errorf("demo sign-in help not printed:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "DEMO1") || !strings.Contains(out.String(), "7777-7777-7777-7701") {
		t.Errorf("demo candidates not printed:\n%s", out.String())
	}
	demoCandidate := func() {
		t.Helper()
		c := begin(t, http.DefaultClient, base, "DEMO1", "7777-7777-7777-7701")
		var p assess.PaperView
		if st, b, err := c.call("GET", "/api/v1/exam/paper", nil, &p); err != nil || st != 200 || len(p.Slots) != 5 {
			t.Fatalf("demo paper: %d %s %v", st, b, err)
		}
		if st, b, err := c.call("POST", "/api/v1/exam/submit", nil, nil); err != nil || st != 200 {
			t.Fatalf("demo submit: %d %s %v", st, b, err)
		}
	}
	demoCandidate()
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	out1, _, err := runWith(t, env, "admin", "verify-audit")
	if err != nil || !strings.Contains(out1, "audit log intact") {
		t.Fatalf("verify-audit after demo: %q %v", out1, err)
	}
	// Demo data loads again without error, duplicates or new audit
	// entries, and the demo candidate can sit the exam again.
	base, _, stop = serveInProcess(t, env, "--demo")
	demoCandidate()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	out2, _, err := runWith(t, env, "admin", "verify-audit")
	if err != nil || out2 != out1 {
		t.Fatalf("verify-audit after loading the demo again: %q (before %q) %v", out2, out1, err)
	}
}

// A request in flight when shutdown starts is answered, not cut off.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	env := map[string]string{"VIDYA_DATA_DIR": t.TempDir(), "VIDYA_LISTEN": "127.0.0.1:0"}
	base, _, stop := serveInProcess(t, env)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"email":"nobody@example.org","password":"wrong-password"}`
	// Send the headers and half the body, then start the shutdown.
	fmt.Fprintf(conn, "POST /api/v1/auth/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	time.Sleep(200 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(300 * time.Millisecond)
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request was cut off: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("in-flight request got %d, want 401", res.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	// New connections are refused once stopped.
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still accepts requests after shutdown")
	}
}

func TestWorkerAndWebRolesStart(t *testing.T) {
	dir := t.TempDir()
	for _, role := range []string{"web", "worker"} {
		env := map[string]string{"VIDYA_DATA_DIR": dir, "VIDYA_LISTEN": "127.0.0.1:0", "VIDYA_ROLE": role}
		base, _, stop := serveInProcess(t, env)
		res, err := http.Get(base + "/api/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := 200
		if role == "worker" {
			want = 404 // a worker serves only health and metrics
		}
		if res.StatusCode != want {
			t.Errorf("role %s: openapi = %d, want %d", role, res.StatusCode, want)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
}
