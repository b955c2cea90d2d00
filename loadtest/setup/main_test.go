package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/bench/fixture"
)

// TestSetUp runs the set-up against a real `vidya serve --demo` and uses
// what it wrote as the k6 scenarios do: a fresh candidate signs in and
// starts, a started candidate's ticket saves an answer, a learner signs in
// and sees the mock test. With k6 installed it also runs both scenarios
// for a few seconds at a low rate and needs their thresholds to pass.
func TestSetUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs vidya")
	}
	srv, err := fixture.StartServer("", "127.0.0.1:0", os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	hc := &http.Client{Timeout: time.Minute}
	out := t.TempDir()
	var stdout bytes.Buffer
	args := []string{"-base", srv.Base, "-out", out, "-candidates", "40", "-started", "30", "-questions", "4", "-learners", "3"}
	if err := run(context.Background(), args, func(string) string { return "" }, &stdout, os.Stderr); err != nil {
		t.Fatalf("setup: %v\n%s", err, stdout.String())
	}

	fresh := readCSV(t, filepath.Join(out, "candidates.csv"), "roll_no", "access_code")
	started := readCSV(t, filepath.Join(out, "started.csv"), "roll_no", "ticket")
	learners := readCSV(t, filepath.Join(out, "learners.csv"), "email", "password")
	if len(fresh) != 40 || len(started) != 30 || len(learners) != 3 {
		t.Fatalf("rows: %d fresh candidates, %d started, %d learners; want 40, 30, 3", len(fresh), len(started), len(learners))
	}
	var fx Fixture
	data, err := os.ReadFile(filepath.Join(out, "items.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		t.Fatal(err)
	}
	if fx.BaseURL != srv.Base || fx.ExamID == 0 || len(fx.Items) != 4 || fx.MockTestID == 0 || len(fx.MockItems) != 4 {
		t.Fatalf("items.json = %+v", fx)
	}
	rolls := map[string]bool{}
	for _, r := range append(fresh, started...) {
		if rolls[r[0]] {
			t.Fatalf("roll number %s is in both files or twice", r[0])
		}
		rolls[r[0]] = true
	}

	c := &fixture.Client{HC: hc, Base: srv.Base}
	t.Run("a fresh candidate signs in and starts", func(t *testing.T) {
		tickets, err := fixture.StartCandidates(hc, srv.Base, []string{fresh[7][0]}, []string{fresh[7][1]}, 1)
		if err != nil {
			t.Fatal(err)
		}
		var res struct{ Saved int }
		body := map[string]any{"answers": []map[string]any{{"item_id": fx.Items[0], "seq": 1, "response": map[string]any{"choices": []string{"A"}}}}}
		if _, err := c.Call("POST", "/api/v1/exam/answers", "Exam "+tickets[0], body, &res, 200); err != nil || res.Saved != 1 {
			t.Fatalf("save after start: %v, saved %d", err, res.Saved)
		}
	})
	t.Run("a started candidate's ticket saves", func(t *testing.T) {
		var res struct{ Saved, Stale int }
		for i, seq := range []int64{5, 4} {
			body := map[string]any{"answers": []map[string]any{{"item_id": fx.Items[1], "seq": seq, "response": map[string]any{"choices": []string{"B"}}}}}
			if _, err := c.Call("POST", "/api/v1/exam/answers", "Exam "+started[29][1], body, &res, 200); err != nil {
				t.Fatal(err)
			}
			if want := 1 - i; res.Saved != want {
				t.Fatalf("save seq %d: saved %d, want %d", seq, res.Saved, want)
			}
		}
	})
	t.Run("a wrong access code is refused", func(t *testing.T) {
		_, err := fixture.StartCandidates(hc, srv.Base, []string{fresh[0][0], fresh[1][0]}, []string{fresh[0][1], fresh[0][1]}, 1)
		if err == nil || !strings.Contains(err.Error(), fresh[1][0]) {
			t.Fatalf("err = %v, want one naming %s", err, fresh[1][0])
		}
	})
	t.Run("a learner signs in and sees the mock test", func(t *testing.T) {
		l, err := fixture.SignIn(hc, srv.Base, learners[2][0], learners[2][1])
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Items []struct{ ID int64 } }
		if _, err := l.Call("GET", "/api/v1/authorities/DEMO/mock-tests", "", nil, &list, 200); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) == 0 || list.Items[0].ID != fx.MockTestID {
			t.Fatalf("mock tests = %+v, want %d first", list.Items, fx.MockTestID)
		}
		if _, err := fixture.SignIn(hc, srv.Base, learners[2][0], "not-the-password"); err == nil {
			t.Fatal("a wrong password signed in")
		}
	})
	t.Run("set-up runs again on the same server", func(t *testing.T) {
		again := t.TempDir()
		args := []string{"-base", srv.Base, "-out", again, "-candidates", "2", "-started", "1", "-questions", "1", "-learners", "3"}
		if err := run(context.Background(), args, func(string) string { return "" }, &stdout, os.Stderr); err != nil {
			t.Fatal(err)
		}
		if got := readCSV(t, filepath.Join(again, "learners.csv"), "email", "password"); len(got) != 3 {
			t.Fatalf("%d learners", len(got))
		}
	})

	k6 := findK6()
	if k6 == "" {
		t.Log("k6 not installed (go install go.k6.io/k6@latest): the scenarios were not run")
		return
	}
	for _, sc := range []struct {
		script string
		env    []string
	}{
		{"examday.js", []string{"RATE=50", "DURATION=2s", "START_RATE=10", "RAMP=1s", "HOLD=2s", "HEALTHZ_RATE=50"}},
		{"learning.js", []string{"RATE=2", "DURATION=3s", "SAVES=2", "THINK=0.1"}},
	} {
		t.Run("k6 "+sc.script, func(t *testing.T) {
			script, err := filepath.Abs(filepath.Join("..", sc.script))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(k6, "run", "-q", "--no-color", script)
			cmd.Env = append(os.Environ(), append(sc.env, "DATA="+out)...)
			got, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("k6 run %s: %v\n%s", sc.script, err, got)
			}
			if !bytes.Contains(got, []byte("0 dropped")) || bytes.Contains(got, []byte("FAILED")) {
				t.Fatalf("k6 run %s:\n%s", sc.script, got)
			}
		})
	}
}

// TestBadInput checks that bad flags and an unreachable server are
// refused with a precise error and write nothing.
func TestBadInput(t *testing.T) {
	out := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"negative candidates are refused", []string{"-candidates", "-1"}, "-candidates (-1)"},
		{"no candidates at all are refused", []string{"-candidates", "0", "-started", "0"}, "not both 0"},
		{"no questions are refused", []string{"-questions", "0"}, "-questions must be at least 1"},
		{"negative learners are refused", []string{"-learners", "-2"}, "-learners must not be negative"},
		{"a missing output directory is refused", []string{"-out", filepath.Join(out, "nope")}, "is not a directory"},
		{"stray arguments are refused", []string{"-out", out, "extra"}, "unexpected arguments"},
		{"an unknown flag is refused", []string{"-rate", "5"}, "flag provided but not defined"},
		{"an unreachable server is reported", []string{"-out", out, "-base", "http://127.0.0.1:1"}, "127.0.0.1:1/healthz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var stderr bytes.Buffer
			err := run(ctx, tc.args, func(string) string { return "" }, &bytes.Buffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if files, _ := os.ReadDir(out); len(files) != 0 {
		t.Fatalf("bad input wrote %d files", len(files))
	}
}

func readCSV(t *testing.T, path string, header ...string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(header, ",") {
		t.Fatalf("%s: header %v, want %v", path, rows, header)
	}
	for i, r := range rows[1:] {
		for j, v := range r {
			if v == "" {
				t.Fatalf("%s row %d: %s is empty", path, i+2, header[j])
			}
		}
	}
	return rows[1:]
}

func findK6() string {
	if p, err := exec.LookPath("k6"); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, "go", "bin", "k6"); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}
