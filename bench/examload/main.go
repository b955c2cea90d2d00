// Command examload measures exam day through the real binary and its HTTP
// API: candidates signing in and starting (starts/s), then autosaves
// (durable saves/s with latency percentiles), and /healthz in the same run
// for the ratio.
//
// It builds vidya, runs `serve --demo` in its own process, and sets up an
// exam entirely through the API as the demo staff would: items written,
// reviewed and published, a 100-question exam paper published, an exam
// with a shift open now, candidates registered from CSV and access codes
// issued as CSV.
//
//	go run ./bench/examload [-candidates 5000] [-conns 64] [-duration 10s] [-db postgres://…]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	candidates := flag.Int("candidates", 5000, "candidates who sign in, start and save")
	questions := flag.Int("questions", 100, "questions on the paper")
	conns := flag.Int("conns", 64, "concurrent keep-alive connections")
	duration := flag.Duration("duration", 10*time.Second, "how long to load saves and /healthz")
	answers := flag.Int("answers", 1, "answers per save request (the runner sends only changed ones)")
	dbURL := flag.String("db", "", "database URL (default: SQLite in a temp dir)")
	flag.Parse()
	if err := run(*candidates, *questions, *conns, *answers, *duration, *dbURL); err != nil {
		fmt.Fprintln(os.Stderr, "examload:", err)
		os.Exit(1)
	}
}

type client struct {
	hc     *http.Client
	base   string
	cookie string
}

// call sends body (JSON, or raw bytes with a content type) and decodes a
// JSON answer into out, failing on any status but want.
func (c *client) call(method, path, auth string, body any, out any, want int) ([]byte, error) {
	var r io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case rawBody:
		r, ct = bytes.NewReader(b.data), b.contentType
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != want {
		return data, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		return data, json.Unmarshal(data, out)
	}
	return data, nil
}

type rawBody struct {
	data        []byte
	contentType string
}

func signIn(hc *http.Client, base, email string) (*client, error) {
	c := &client{hc: hc, base: base}
	body, _ := json.Marshal(map[string]string{"email": email, "password": "vidya-demo-pass"})
	res, err := hc.Post(base+"/api/v1/auth/signin", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	for _, k := range res.Cookies() {
		if k.Name == "vidya_session" {
			c.cookie = k.Name + "=" + k.Value
			return c, nil
		}
	}
	return nil, fmt.Errorf("sign-in as %s gave no session (status %d)", email, res.StatusCode)
}

func run(candidates, questions, conns, answersPer int, duration time.Duration, dbURL string) error {
	dir, err := os.MkdirTemp("", "vidya-examload-")
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
	srv.Stderr = os.Stderr
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
	fmt.Printf("Vidya exam day: %d candidates, %d-question paper, %d connections, server in its own process, load generator on the same machine (%s)\n\n",
		candidates, questions, conns, dbName(dbURL))

	t0 := time.Now()
	ex, err := setUp(hc, base, candidates, questions)
	if err != nil {
		return err
	}
	fmt.Printf("set-up through the API (items, review, paper, exam, %d candidates, codes): %s\n", candidates, time.Since(t0).Round(time.Millisecond))

	// Sign-ins, then starts, each for every candidate, conns at a time.
	signed := make([]string, candidates)
	tickets := make([]string, candidates)
	phase := func(name string, do func(c *client, i int) error) error {
		var next atomic.Int64
		var wg sync.WaitGroup
		var failed atomic.Int64
		var mu sync.Mutex
		var all []time.Duration
		t0 := time.Now()
		for range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &client{hc: hc, base: base}
				var lat []time.Duration
				for {
					i := int(next.Add(1)) - 1
					if i >= candidates {
						break
					}
					t := time.Now()
					if err := do(c, i); err != nil {
						if failed.Add(1) < 5 {
							fmt.Fprintln(os.Stderr, err)
						}
						continue
					}
					lat = append(lat, time.Since(t))
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		el := time.Since(t0)
		slices.Sort(all)
		fmt.Printf("%-40s %10.0f %9s %9s %9s %8d\n", name, float64(len(all))/el.Seconds(), pct(all, 50), pct(all, 99), pct(all, 99.9), failed.Load())
		if failed.Load() > 0 {
			return fmt.Errorf("%s: %d failed", name, failed.Load())
		}
		return nil
	}
	fmt.Printf("\n%-40s %10s %9s %9s %9s %8s\n", "step", "per s", "p50", "p99", "p99.9", "errors")
	err = phase("sign in (roll number + access code)", func(c *client, i int) error {
		var s struct{ Ticket string }
		_, err := c.call("POST", "/api/v1/exam/signin", "", map[string]string{"roll_no": ex.rolls[i], "access_code": ex.codes[i]}, &s, 200)
		signed[i] = s.Ticket
		return err
	})
	if err != nil {
		return err
	}
	err = phase("start (server sets the deadline)", func(c *client, i int) error {
		var st struct{ Ticket string }
		_, err := c.call("POST", "/api/v1/exam/start", "Exam "+signed[i], nil, &st, 200)
		tickets[i] = st.Ticket
		return err
	})
	if err != nil {
		return err
	}

	// Autosave: each connection saves for its own candidates in turn, each
	// save one or more answers with the candidate's next sequence number.
	saveLoad := func(d time.Duration) (float64, []time.Duration, int64) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var mu sync.Mutex
		var all []time.Duration
		var errs atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &client{hc: hc, base: base}
				lat := make([]time.Duration, 0, 1<<16)
				seq := int64(time.Now().UnixNano() / 1000)
				var body []byte
				for n := 0; ctx.Err() == nil; n++ {
					i := w + (n*conns)%candidates
					if i >= candidates {
						i %= candidates
					}
					seq++
					// The body is built by hand: the load generator shares
					// the server's two cores, so it must stay cheap.
					body = append(body[:0], `{"answers":[`...)
					for a := range answersPer {
						if a > 0 {
							body = append(body, ',')
						}
						body = append(body, `{"item_id":`...)
						body = strconv.AppendInt(body, ex.items[(n+a)%len(ex.items)], 10)
						body = append(body, `,"seq":`...)
						body = strconv.AppendInt(body, seq, 10)
						body = append(body, `,"response":{"choices":["`...)
						body = append(body, "ABCD"[n%4])
						body = append(body, `"]}}`...)
					}
					body = append(body, `]}`...)
					t := time.Now()
					if _, err := c.call("POST", "/api/v1/exam/answers", "Exam "+tickets[i], rawBody{body, "application/json"}, nil, 200); err != nil {
						if ctx.Err() == nil {
							errs.Add(1)
							if errs.Load() < 5 {
								fmt.Fprintln(os.Stderr, err)
							}
						}
						continue
					}
					lat = append(lat, time.Since(t))
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		el := time.Since(start)
		slices.Sort(all)
		return float64(len(all)) / el.Seconds(), all, errs.Load()
	}
	saveLoad(time.Second) // warm up
	rps, lat, errs := saveLoad(duration)
	fmt.Printf("%-40s %10.0f %9s %9s %9s %8d\n", fmt.Sprintf("save (%d answer(s) a request)", answersPer), rps, pct(lat, 50), pct(lat, 99), pct(lat, 99.9), errs)
	hrps, hlat, herrs := load(hc, base+"/healthz", conns, duration)
	fmt.Printf("%-40s %10.0f %9s %9s %9s %8d\n", "GET /healthz (same run)", hrps, pct(hlat, 50), pct(hlat, 99), pct(hlat, 99.9), herrs)
	fmt.Printf("\nsaves / healthz = %.2f\n", rps/hrps)
	return nil
}

// exam is what set-up made.
type exam struct {
	items []int64
	rolls []string
	codes []string
}

// setUp builds the exam through the API as the demo staff.
func setUp(hc *http.Client, base string, candidates, questions int) (*exam, error) {
	author, err := signIn(hc, base, "author@demo.vidya.test")
	if err != nil {
		return nil, err
	}
	approver, err := signIn(hc, base, "approver@demo.vidya.test")
	if err != nil {
		return nil, err
	}
	admin, err := signIn(hc, base, "admin@demo.vidya.test")
	if err != nil {
		return nil, err
	}
	ex := &exam{}
	var qs []map[string]any
	for i := range questions {
		item := map[string]any{"type": "single_choice",
			"text": map[string]any{
				"en": map[string]any{"stem": fmt.Sprintf("Question %d: what is %d + %d?", i+1, i, i), "choices": map[string]string{"A": "1", "B": "2", "C": "3", "D": fmt.Sprint(2 * i)}},
				"hi": map[string]any{"stem": fmt.Sprintf("प्रश्न %d: %d + %d कितना है?", i+1, i, i), "choices": map[string]string{"A": "१", "B": "२", "C": "३", "D": fmt.Sprint(2 * i)}}},
			"choices": []map[string]string{{"id": "A"}, {"id": "B"}, {"id": "C"}, {"id": "D"}},
			"key":     map[string]any{"choices": []string{"D"}}, "scoring": map[string]any{"marks": 4, "penalty": 1}, "shuffle": true}
		var made struct {
			ID       int64
			Revision int
		}
		if _, err := author.call("POST", "/api/v1/authorities/DEMO/items", "", item, &made, 201); err != nil {
			return nil, err
		}
		for _, status := range []string{"reviewed", "published"} {
			if _, err := approver.call("POST", fmt.Sprintf("/api/v1/authorities/DEMO/items/%d/status", made.ID), "", map[string]any{"revision": made.Revision, "status": status}, &made, 200); err != nil {
				return nil, err
			}
		}
		ex.items = append(ex.items, made.ID)
		qs = append(qs, map[string]any{"item_id": made.ID})
	}
	test := map[string]any{"kind": "exam", "title": "Exam-day benchmark", "languages": []string{"en", "hi"}, "duration": 3 * 3600,
		"sections": []any{map[string]any{"id": "A", "shuffle": true, "shuffle_choices": true, "questions": qs}}}
	var t struct {
		ID       int64
		Revision int
	}
	if _, err := author.call("POST", "/api/v1/authorities/DEMO/tests", "", test, &t, 201); err != nil {
		return nil, err
	}
	if _, err := approver.call("POST", fmt.Sprintf("/api/v1/authorities/DEMO/tests/%d/publish", t.ID), "", map[string]any{"revision": t.Revision}, nil, 200); err != nil {
		return nil, err
	}
	var e struct{ ID int64 }
	if _, err := admin.call("POST", "/api/v1/authorities/DEMO/exams", "", map[string]any{"test_id": t.ID, "title": "Exam-day benchmark"}, &e, 201); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	shift := map[string]any{"code": "NOW", "starts_at": now.Add(-time.Minute), "late_entry": 6 * 3600, "ends_at": now.Add(10 * time.Hour)}
	if _, err := admin.call("POST", fmt.Sprintf("/api/v1/authorities/DEMO/exams/%d/shifts", e.ID), "", shift, nil, 201); err != nil {
		return nil, err
	}
	const batch = 50_000
	for from := 0; from < candidates; from += batch {
		var b bytes.Buffer
		b.WriteString("roll_no,name,shift\n")
		for i := from; i < min(from+batch, candidates); i++ {
			fmt.Fprintf(&b, "B%07d,Candidate %d,NOW\n", i, i)
		}
		if _, err := admin.call("POST", fmt.Sprintf("/api/v1/authorities/DEMO/exams/%d/candidates", e.ID), "", rawBody{b.Bytes(), "text/csv"}, nil, 200); err != nil {
			return nil, err
		}
	}
	for len(ex.codes) < candidates {
		data, err := admin.call("POST", fmt.Sprintf("/api/v1/authorities/DEMO/exams/%d/codes", e.ID), "", map[string]any{}, nil, 200)
		if err != nil {
			return nil, err
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			return nil, err
		}
		for _, r := range rows[1:] {
			ex.rolls = append(ex.rolls, r[0])
			ex.codes = append(ex.codes, r[3])
		}
	}
	return ex, nil
}

func dbName(u string) string {
	if u == "" {
		return "SQLite"
	}
	return "PostgreSQL"
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

// load sends GETs on conns connections for d.
func load(hc *http.Client, url string, conns int, d time.Duration) (float64, []time.Duration, int64) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<16)
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
				t := time.Now()
				res, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					errs.Add(1)
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(all)
	return float64(len(all)) / el.Seconds(), all, errs.Load()
}

func pct(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return strings.TrimSuffix(sorted[i].Round(10*time.Microsecond).String(), "0s")
}
