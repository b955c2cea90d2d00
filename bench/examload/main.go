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
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vidya-edu/vidya/bench/fixture"
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

func run(candidates, questions, conns, answersPer int, duration time.Duration, dbURL string) error {
	srv, err := fixture.StartServer(dbURL, "127.0.0.1:0", os.Stderr)
	if err != nil {
		return err
	}
	defer srv.Close()
	base := srv.Base

	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DialContext: (&net.Dialer{}).DialContext}
	hc := &http.Client{Transport: tr}
	fmt.Printf("Vidya exam day: %d candidates, %d-question paper, %d connections, server in its own process, load generator on the same machine (%s)\n\n",
		candidates, questions, conns, fixture.DBName(dbURL))

	t0 := time.Now()
	ex, err := fixture.SetUpExam(hc, base, fixture.ExamOptions{Candidates: candidates, Questions: questions})
	if err != nil {
		return err
	}
	fmt.Printf("set-up through the API (items, review, paper, exam, %d candidates, codes): %s\n", candidates, time.Since(t0).Round(time.Millisecond))

	// Sign-ins, then starts, each for every candidate, conns at a time.
	signed := make([]string, candidates)
	tickets := make([]string, candidates)
	phase := func(name string, do func(c *fixture.Client, i int) error) error {
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
				c := &fixture.Client{HC: hc, Base: base}
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
		fmt.Printf("%-40s %10.0f %9s %9s %9s %8d\n", name, float64(len(all))/el.Seconds(), fixture.Pct(all, 50), fixture.Pct(all, 99), fixture.Pct(all, 99.9), failed.Load())
		if failed.Load() > 0 {
			return fmt.Errorf("%s: %d failed", name, failed.Load())
		}
		return nil
	}
	fmt.Printf("\n%-40s %10s %9s %9s %9s %8s\n", "step", "per s", "p50", "p99", "p99.9", "errors")
	err = phase("sign in (roll number + access code)", func(c *fixture.Client, i int) error {
		var s struct{ Ticket string }
		_, err := c.Call("POST", "/api/v1/exam/signin", "", map[string]string{"roll_no": ex.Rolls[i], "access_code": ex.Codes[i]}, &s, 200)
		signed[i] = s.Ticket
		return err
	})
	if err != nil {
		return err
	}
	err = phase("start (server sets the deadline)", func(c *fixture.Client, i int) error {
		var st struct{ Ticket string }
		_, err := c.Call("POST", "/api/v1/exam/start", "Exam "+signed[i], nil, &st, 200)
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
				c := &fixture.Client{HC: hc, Base: base}
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
						body = strconv.AppendInt(body, ex.Items[(n+a)%len(ex.Items)], 10)
						body = append(body, `,"seq":`...)
						body = strconv.AppendInt(body, seq, 10)
						body = append(body, `,"response":{"choices":["`...)
						body = append(body, "ABCD"[n%4])
						body = append(body, `"]}}`...)
					}
					body = append(body, `]}`...)
					t := time.Now()
					if _, err := c.Call("POST", "/api/v1/exam/answers", "Exam "+tickets[i], fixture.Raw{Data: body, ContentType: "application/json"}, nil, 200); err != nil {
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
	fmt.Printf("%-40s %10.0f %9s %9s %9s %8d\n", fmt.Sprintf("save (%d answer(s) a request)", answersPer), rps, fixture.Pct(lat, 50), fixture.Pct(lat, 99), fixture.Pct(lat, 99.9), errs)
	hrps, hlat, herrs := fixture.LoadGET(hc, base+"/healthz", "", conns, duration)
	fmt.Printf("%-40s %10.0f %9s %9s %9s %8d\n", "GET /healthz (same run)", hrps, fixture.Pct(hlat, 50), fixture.Pct(hlat, 99), fixture.Pct(hlat, 99.9), herrs)
	fmt.Printf("\nsaves / healthz = %.2f\n", rps/hrps)
	return nil
}
