// Command setup prepares a Vidya server for the k6 scenarios in loadtest/:
// through the API, as the demo staff, it makes an exam with a shift open
// now (12 h late entry) and candidates with access codes, starts some of
// them, and makes a mock test with learners to practise it. It writes
//
//	candidates.csv  roll_no,access_code   not started: the start surge signs them in and starts them
//	started.csv     roll_no,ticket        started here: the autosave scenario saves for them
//	learners.csv    email,password        learners of the demo authority
//	items.json      base URL, exam and mock-test ids, their item ids
//
// into -out. With -base (or BASE_URL) it uses that server, which must run
// `serve --demo`; otherwise it builds vidya, runs `serve --demo` on
// -listen and keeps it running until interrupted.
//
//	go run ./loadtest/setup [-candidates 20000] [-started 20000] [-learners 200] [-base http://…]
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/vidya-edu/vidya/bench/fixture"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
}

// Fixture is what items.json holds.
type Fixture struct {
	BaseURL    string  `json:"base_url"`
	ExamID     int64   `json:"exam_id"`
	Items      []int64 `json:"items"`
	MockTestID int64   `json:"mock_test_id"`
	MockItems  []int64 `json:"mock_items"`
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", getenv("BASE_URL"), "a running `vidya serve --demo` to set up (default $BASE_URL; empty: start one)")
	listen := fs.String("listen", "127.0.0.1:8080", "where the server this command starts listens")
	dbURL := fs.String("db", "", "database URL of the server this command starts (default: SQLite in a temp dir)")
	out := fs.String("out", "loadtest", "directory for the files the scenarios read")
	candidates := fs.Int("candidates", 20000, "candidates left to sign in and start (candidates.csv)")
	started := fs.Int("started", 20000, "candidates started here, for autosave (started.csv)")
	questions := fs.Int("questions", 100, "questions on the exam paper and on the mock test")
	learners := fs.Int("learners", 200, "learner accounts (learners.csv); at least the learning scenario's VUs")
	conns := fs.Int("conns", 64, "connections for starting candidates")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch {
	case *candidates < 0 || *started < 0 || *candidates+*started == 0:
		return fmt.Errorf("-candidates (%d) and -started (%d) must not be negative, and not both 0", *candidates, *started)
	case *questions <= 0:
		return fmt.Errorf("-questions must be at least 1 (have %d)", *questions)
	case *learners < 0:
		return fmt.Errorf("-learners must not be negative (have %d)", *learners)
	case *conns <= 0:
		return fmt.Errorf("-conns must be at least 1 (have %d)", *conns)
	}
	if st, err := os.Stat(*out); err != nil || !st.IsDir() {
		return fmt.Errorf("-out %s is not a directory", *out)
	}

	tr := &http.Transport{MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	var srv *fixture.Server
	if *base == "" {
		fmt.Fprintf(stdout, "building vidya and starting `serve --demo` on %s\n", *listen)
		var err error
		if srv, err = fixture.StartServer(*dbURL, *listen, stderr); err != nil {
			return err
		}
		defer srv.Close()
		*base = srv.Base
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := fixture.WaitHealthy(wctx, hc, *base)
	cancel()
	if err != nil {
		return err
	}

	t0 := time.Now()
	ex, err := fixture.SetUpExam(hc, *base, fixture.ExamOptions{Title: "Load test exam", Candidates: *candidates + *started, Questions: *questions,
		LateEntry: 12 * time.Hour, EndsAfter: 16 * time.Hour})
	if err != nil {
		return fmt.Errorf("exam: %w", err)
	}
	fmt.Fprintf(stdout, "exam %d: %d questions, %d candidates with codes (%s)\n", ex.ID, len(ex.Items), len(ex.Rolls), time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	tickets, err := fixture.StartCandidates(hc, *base, ex.Rolls[*candidates:], ex.Codes[*candidates:], *conns)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d candidates signed in and started (%s)\n", len(tickets), time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	pr, err := fixture.SetUpPractice(hc, *base, *learners, min(*questions, 20))
	if err != nil {
		return fmt.Errorf("practice: %w", err)
	}
	fmt.Fprintf(stdout, "mock test %d, %d learners (%s)\n", pr.MockTestID, len(pr.Learners), time.Since(t0).Round(time.Millisecond))

	files := []struct {
		name   string
		header []string
		rows   func(yield func([]string))
	}{
		{"candidates.csv", []string{"roll_no", "access_code"}, func(yield func([]string)) {
			for i := range *candidates {
				yield([]string{ex.Rolls[i], ex.Codes[i]})
			}
		}},
		{"started.csv", []string{"roll_no", "ticket"}, func(yield func([]string)) {
			for i, t := range tickets {
				yield([]string{ex.Rolls[*candidates+i], t})
			}
		}},
		{"learners.csv", []string{"email", "password"}, func(yield func([]string)) {
			for _, l := range pr.Learners {
				yield([]string{l, fixture.DemoPassword})
			}
		}},
	}
	for _, f := range files {
		if err := writeCSV(filepath.Join(*out, f.name), f.header, f.rows); err != nil {
			return err
		}
	}
	fx := Fixture{BaseURL: *base, ExamID: ex.ID, Items: ex.Items, MockTestID: pr.MockTestID, MockItems: pr.Items}
	j, err := json.MarshalIndent(fx, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(*out, "items.json"), append(j, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote candidates.csv, started.csv, learners.csv and items.json to %s\n", *out)
	if srv == nil {
		return nil
	}
	fmt.Fprintf(stdout, "\nserving on %s until interrupted (Ctrl-C); in another terminal:\n\n    BASE_URL=%s k6 run loadtest/examday.js\n\n", *base, *base)
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	select {
	case <-ctx.Done():
		return nil
	case err := <-exited:
		return fmt.Errorf("the server exited: %v", err)
	}
}

// writeCSV writes a CSV file whole, or not at all: it is written beside
// and renamed into place.
func writeCSV(path string, header []string, rows func(yield func([]string))) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".setup-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	w := csv.NewWriter(f)
	w.Write(header)
	rows(func(r []string) { w.Write(r) })
	w.Flush()
	if err := errors.Join(w.Error(), f.Chmod(0o644), f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}

func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".setup-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err := errors.Join(err, f.Chmod(0o644), f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}
