package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
)

// BenchmarkHandler measures the middleware chain and router in process,
// without the network: what a request costs Vidya itself.
//
//	go test -run XXX -bench Handler -benchmem ./internal/app
func BenchmarkHandler(b *testing.B) {
	sys, _ := newSystem(b, "")
	ctx := context.Background()
	u, err := sys.identity.EnsureUser(ctx, "bench", identity.NewUser{Email: "bench@x.test", Name: "Bench", Password: "bench-password-1"}, false, "")
	if err != nil {
		b.Fatal(err)
	}
	tok, err := sys.identity.StartSessionFor(ctx, u.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, path, cookie string }{
		{"healthz", "/healthz", ""},
		{"me", "/api/v1/me", string(tok)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := httptest.NewRequest("GET", bc.path, nil)
					if bc.cookie != "" {
						r.AddCookie(&http.Cookie{Name: "vidya_session", Value: bc.cookie})
					}
					w := httptest.NewRecorder()
					sys.handler.ServeHTTP(w, r)
					if w.Code != 200 {
						b.Fatalf("%s: %d", bc.path, w.Code)
					}
				}
			})
		})
	}
}

// BenchmarkSaveHandler is one candidate's autosave through the whole
// middleware chain and router, with 256 devices in flight so group commit
// has company: profile it to see what an HTTP save costs besides the
// network.
func BenchmarkSaveHandler(b *testing.B) {
	sys, srv := newSystem(b, "")
	x := seedExam(b, sys, time.Hour, 256)
	var tickets []string
	for roll, code := range x.codes {
		tickets = append(tickets, begin(b, srv.Client(), srv.URL, roll, code).ticket)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(128) // 256 goroutines on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		tk := tickets[int(next.Add(1)-1)%len(tickets)]
		for seq := int64(1); pb.Next(); seq++ {
			body := fmt.Sprintf(`{"answers":[{"item_id":%d,"seq":%d,"response":{"choices":["B"]}}]}`, x.q1, seq)
			r := httptest.NewRequest("POST", "/api/v1/exam/answers", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Exam "+tk)
			w := httptest.NewRecorder()
			sys.handler.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "saves/s")
}
