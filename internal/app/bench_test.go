package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

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
