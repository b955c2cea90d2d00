package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
)

// TestMain lets a test start the real server as a child process: the test
// binary re-runs itself with VIDYA_TEST_CHILD=serve, so the kill test
// needs no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("VIDYA_TEST_CHILD") == "serve" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := Run(ctx, []string{"serve"}, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is the server running as a separate process.
type child struct {
	cmd  *exec.Cmd
	base string
}

func startChild(t *testing.T, env []string, base string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "VIDYA_TEST_CHILD=serve")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, base: base}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not become ready: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestKilledServerLosesNoAcknowledgedSave sends saves from many candidates
// at once, kills the server with SIGKILL mid-stream, and restarts it after
// the attempts' deadline: every save the server acknowledged must be
// there, and every attempt must have been auto-submitted with its saved
// answers, though the server that started them is gone.
func TestKilledServerLosesNoAcknowledgedSave(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	run := func(t *testing.T, databaseURL string) {
		t.Parallel()
		dir := t.TempDir()
		addr := freeAddr(t)
		base := "http://" + addr
		c := Config{DataDir: dir, DatabaseURL: databaseURL, Listen: addr, BaseURL: base, AllowSignUp: "false", TrustProxy: "false",
			LogLevel: "error", SMTPTLS: "starttls", SMTPPort: "587", SecretKey: strings.Repeat("cd", 32)}
		s, err := c.validate()
		if err != nil {
			t.Fatal(err)
		}
		sys, err := start(context.Background(), s, slog.New(slog.NewJSONHandler(io.Discard, nil)), roleAll)
		if err != nil {
			t.Fatal(err)
		}
		const candidates = 40
		const duration = 4 * time.Second
		x := seedExam(t, sys, duration, candidates)
		sys.close(context.Background())

		env := []string{"VIDYA_DATA_DIR=" + dir, "VIDYA_DATABASE_URL=" + databaseURL, "VIDYA_LISTEN=" + addr, "VIDYA_BASE_URL=" + base,
			"VIDYA_SECRET_KEY=" + c.SecretKey, "VIDYA_LOG_LEVEL=error", "VIDYA_BLOB_URL=", "VIDYA_ROLE=all"}
		first := startChild(t, env, base)
		hc := &http.Client{Timeout: 10 * time.Second}
		var clients []*examClient
		for i := 1; i <= candidates; i++ {
			roll := fmt.Sprintf("R%d", i)
			clients = append(clients, begin(t, hc, base, roll, x.codes[roll]))
		}
		startedAt := time.Now()

		var mu sync.Mutex // guards acked
		acked := make([][2]int64, candidates)
		var wg sync.WaitGroup
		for i, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seq := int64(1); ; seq++ {
					choice := []string{"A", "B"}[seq%2]
					body := map[string]any{"answers": []any{
						map[string]any{"item_id": x.q1, "seq": seq, "response": map[string]any{"choices": []string{choice}}},
						map[string]any{"item_id": x.q2, "seq": seq, "response": map[string]any{"choices": []string{choice}}},
					}}
					var r assess.SaveResult
					st, _, err := cl.call("POST", "/api/v1/exam/answers", body, &r)
					if err != nil || st != 200 {
						return // the server is gone
					}
					mu.Lock()
					acked[i] = [2]int64{seq, seq}
					mu.Unlock()
				}
			}()
		}
		time.Sleep(1500 * time.Millisecond)
		if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = first.cmd.Wait()
		wg.Wait()
		total := int64(0)
		for _, a := range acked {
			total += a[0]
		}
		if total < candidates {
			t.Fatalf("only %d saves were acknowledged before the kill; the test proves nothing", total)
		}
		t.Logf("%d save requests acknowledged before SIGKILL", total)

		// Restart after the deadline and the grace period: the periodic
		// auto-submit runs on start.
		time.Sleep(time.Until(startedAt.Add(duration + 11*time.Second)))
		startChild(t, env, base)
		for i, cl := range clients {
			var st assess.AttemptState
			for wait := time.Now().Add(45 * time.Second); ; {
				code, b, err := cl.call("GET", "/api/v1/exam/state", nil, &st)
				if err != nil || code != 200 {
					t.Fatalf("R%d state: %d %s %v", i+1, code, b, err)
				}
				if st.Submitted != nil || time.Now().After(wait) {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if st.Submitted == nil || !st.Submitted.Equal(st.Deadline) {
				t.Fatalf("R%d not auto-submitted at its deadline: %+v", i+1, st)
			}
			got := map[int64]int64{}
			for _, a := range st.Answers {
				got[a.ItemID] = a.Seq
			}
			if got[x.q1] < acked[i][0] || got[x.q2] < acked[i][1] {
				t.Errorf("R%d: acknowledged seq %v, stored q1=%d q2=%d: an acknowledged save was lost", i+1, acked[i], got[x.q1], got[x.q2])
			}
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, "") })
	t.Run("postgres", func(t *testing.T) {
		u := dbtest.PostgresURL(t)
		schema := dbtest.NewSchema(t, u)
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		run(t, u+sep+"search_path="+schema)
	})
}
