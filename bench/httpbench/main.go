// Command httpbench measures Vidya's HTTP baseline: requests per second and
// latency percentiles of /healthz and of an authenticated API read
// (GET /api/v1/me with a session cookie), in one run against the real
// binary in its own process.
//
//	go run ./bench/httpbench [-duration 10s] [-conns 64] [-db postgres://…]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/vidya-edu/vidya/bench/fixture"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long to load each endpoint")
	conns := flag.Int("conns", 64, "concurrent keep-alive connections")
	dbURL := flag.String("db", "", "database URL (default: SQLite in a temp dir)")
	flag.Parse()
	if err := run(*duration, *conns, *dbURL); err != nil {
		fmt.Fprintln(os.Stderr, "httpbench:", err)
		os.Exit(1)
	}
}

func run(duration time.Duration, conns int, dbURL string) error {
	dir, err := os.MkdirTemp("", "vidya-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "vidya")
	build := exec.Command("go", "build", "-o", bin, "./cmd/vidya")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	env := append(os.Environ(), "VIDYA_DATA_DIR="+filepath.Join(dir, "data"), "VIDYA_LISTEN=127.0.0.1:0", "VIDYA_LOG_LEVEL=warn")
	if dbURL != "" {
		env = append(env, "VIDYA_DATABASE_URL="+dbURL)
	}
	srv := exec.Command(bin, "serve", "--demo")
	srv.Env = env
	out, _ := srv.StdoutPipe()
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() }()
	base, err := waitListening(out)
	if err != nil {
		return err
	}
	go io.Copy(io.Discard, out)

	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DialContext: (&net.Dialer{}).DialContext}
	hc := &http.Client{Transport: tr}
	cookie, err := signIn(hc, base)
	if err != nil {
		return err
	}
	fmt.Printf("Vidya HTTP baseline: %d connections, %s per endpoint, server in its own process, load generator on the same machine (%s)\n\n", conns, duration, fixture.DBName(dbURL))
	fmt.Printf("%-32s %10s %9s %9s %9s %8s\n", "endpoint", "req/s", "p50", "p99", "p99.9", "errors")
	var healthz float64
	for _, ep := range []struct {
		name, path, cookie string
	}{{"GET /healthz", "/healthz", ""}, {"GET /api/v1/me (session cookie)", "/api/v1/me", cookie}} {
		fixture.LoadGET(hc, base+ep.path, ep.cookie, conns, time.Second) // warm up
		rps, lat, errs := fixture.LoadGET(hc, base+ep.path, ep.cookie, conns, duration)
		fmt.Printf("%-32s %10.0f %9s %9s %9s %8d\n", ep.name, rps, fixture.Pct(lat, 50), fixture.Pct(lat, 99), fixture.Pct(lat, 99.9), errs)
		if healthz == 0 {
			healthz = rps
		} else {
			fmt.Printf("\nauthenticated read / healthz = %.2f\n", rps/healthz)
		}
	}
	return nil
}

func waitListening(r io.Reader) (string, error) {
	re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	sc := bufio.NewScanner(r)
	done := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				done <- m[1]
				return
			}
		}
		close(done)
	}()
	select {
	case b, ok := <-done:
		if !ok {
			return "", fmt.Errorf("server exited before listening")
		}
		return b, nil
	case <-time.After(60 * time.Second):
		return "", fmt.Errorf("server did not start")
	}
}

func signIn(hc *http.Client, base string) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": "learner1@demo.vidya.test", "password": "vidya-demo-pass"})
	res, err := hc.Post(base+"/api/v1/auth/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	for _, c := range res.Cookies() {
		if c.Name == "vidya_session" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("sign-in gave no session (status %d)", res.StatusCode)
}
