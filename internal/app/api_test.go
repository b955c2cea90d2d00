package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
)

// tenants is a world with two authorities and people in each.
type tenants struct {
	platform, adminA, learnerA, adminB *client
	tokenA                             *client // adminA's API token, scoped to A
	userB                              int64
	itemB                              int64
	tokenB                             int64
	sessionB                           string
}

const pw = "correct-horse-battery"

func setupTenants(t *testing.T, sys *system, srv *httptest.Server) *tenants {
	t.Helper()
	ctx := context.Background()
	id := sys.identity
	for _, code := range []string{"AAA", "BBB"} {
		if _, err := id.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: code, Name: "Board " + code}); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(email string, platform bool, code string, roles ...identity.Role) *identity.User {
		u, err := id.EnsureUser(ctx, "test", identity.NewUser{Email: email, Name: email, Password: pw, Roles: roles}, platform, code)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	mk("root@x.test", true, "")
	mk("admin@a.test", false, "AAA", identity.RoleAdmin)
	mk("learner@a.test", false, "AAA", identity.RoleLearner)
	mk("admin@b.test", false, "BBB", identity.RoleAdmin)
	ub := mk("user@b.test", false, "BBB", identity.RoleLearner, identity.RoleAuthor)

	w := &tenants{userB: ub.ID}
	w.platform = newClient(t, srv)
	w.platform.signIn("root@x.test", pw)
	w.adminA = newClient(t, srv)
	w.adminA.signIn("admin@a.test", pw)
	w.learnerA = newClient(t, srv)
	w.learnerA.signIn("learner@a.test", pw)
	w.adminB = newClient(t, srv)
	w.adminB.signIn("admin@b.test", pw)

	var tok struct {
		Token  identity.APIToken `json:"token"`
		Secret string            `json:"secret"`
	}
	r := w.adminA.do("POST", "/api/v1/me/tokens", map[string]any{"name": "ci", "authority": "AAA", "role": "authority_admin"})
	if r.status != 201 {
		t.Fatalf("token A: %d %s", r.status, r.body)
	}
	r.json(t, &tok)
	w.tokenA = newClient(t, srv)
	w.tokenA.token = tok.Secret

	r = w.adminB.do("POST", "/api/v1/me/tokens", map[string]any{"name": "b", "authority": "BBB", "role": "authority_admin"})
	r.json(t, &tok)
	w.tokenB = tok.Token.ID
	var sessions struct{ Items []identity.Session }
	w.adminB.do("GET", "/api/v1/me/sessions", nil).json(t, &sessions)
	w.sessionB = sessions.Items[0].ID
	r = w.adminB.do("POST", "/api/v1/authorities/BBB/items", sampleItemInput("B's own question"))
	if r.status != 201 {
		t.Fatalf("item in B: %d %s", r.status, r.body)
	}
	var item struct{ ID int64 }
	r.json(t, &item)
	w.itemB = item.ID
	return w
}

type docOp struct {
	method, path string
	public       bool
}

func documentedRoutes(t *testing.T, c *client) []docOp {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Security *[]any `json:"security"`
		} `json:"paths"`
	}
	r := c.do("GET", "/api/openapi.json", nil)
	if r.status != 200 {
		t.Fatalf("openapi: %d", r.status)
	}
	r.json(t, &doc)
	var ops []docOp
	for p, methods := range doc.Paths {
		for m, op := range methods {
			ops = append(ops, docOp{method: strings.ToUpper(m), path: p, public: op.Security != nil && len(*op.Security) == 0})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	return ops
}

// sampleBody is a valid body for each route that takes one.
func sampleBody(op docOp) any {
	switch op.method + " " + op.path {
	case "POST /api/v1/auth/signin":
		return map[string]any{"email": "nobody@x.test", "password": "whatever-it-is"}
	case "POST /api/v1/auth/signup":
		return map[string]any{"email": "new@x.test", "name": "New", "password": "long-enough-pass"}
	case "POST /api/v1/auth/password-reset":
		return map[string]any{"email": "nobody@x.test"}
	case "POST /api/v1/auth/password-reset/confirm":
		return map[string]any{"token": "nope", "password": "long-enough-pass"}
	case "POST /api/v1/authorities/{code}/items/import":
		return "::q:: Is this a question? {T}"
	case "POST /api/v1/authorities/{code}/topics":
		return map[string]any{"path": "intruder/topic"}
	case "POST /api/v1/authorities/{code}/items/bulk":
		return map[string]any{"ids": []int64{1}, "retire": true}
	case "POST /api/v1/authorities/{code}/items":
		return sampleItemInput("Intruder's question")
	case "PUT /api/v1/authorities/{code}/items/{id}":
		return map[string]any{"revision": 1, "item": sampleItemInput("Overwritten by an intruder")}
	case "POST /api/v1/authorities/{code}/items/{id}/status":
		return map[string]any{"revision": 1, "status": "retired"}
	case "POST /api/v1/authorities/{code}/tests":
		return sampleTest()
	case "PUT /api/v1/authorities/{code}/tests/{id}":
		return map[string]any{"revision": 1, "test": sampleTest()}
	case "POST /api/v1/authorities/{code}/tests/{id}/publish":
		return map[string]any{"revision": 1}
	case "POST /api/v1/authorities/{code}/exams":
		return map[string]any{"test_id": 1, "title": "Intruder's exam"}
	case "POST /api/v1/authorities/{code}/exams/{id}/shifts":
		return map[string]any{"code": "X", "starts_at": "2030-01-01T09:00:00Z", "ends_at": "2030-01-01T12:00:00Z"}
	case "POST /api/v1/authorities/{code}/exams/{id}/candidates":
		return map[string]any{"candidates": []any{map[string]any{"roll_no": "X1", "name": "Intruder"}}}
	case "POST /api/v1/authorities/{code}/exams/{id}/candidates/{roll}/extend":
		return map[string]any{"minutes": 10, "reason": "an intruder's reason"}
	case "POST /api/v1/authorities/{code}/exams/{id}/results/publish":
		return map[string]any{"publish": true}
	case "POST /api/v1/authorities/{code}/exams/{id}/codes":
		return map[string]any{}
	case "PUT /api/v1/authorities/{code}/exams/{id}/marking/settings":
		return map[string]any{"double_marking": true, "tolerance": 1}
	case "POST /api/v1/authorities/{code}/exams/{id}/marking/scripts/{script}":
		return map[string]any{"score": 1, "comment": "an intruder's mark"}
	case "PUT /api/v1/authorities/{code}/exams/{id}/challenges/window":
		return map[string]any{"opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-01-02T00:00:00Z"}
	case "POST /api/v1/authorities/{code}/exams/{id}/challenges/{item}/decision":
		return map[string]any{"action": "reject"}
	case "PUT /api/v1/authorities/{code}/certificate-types/{type}", "POST /api/v1/authorities/{code}/certificate-types/preview":
		return map[string]any{"name": "Intruder's certificate", "achievement": map[string]any{"name": "x", "description": "x"},
			"template": map[string]any{"page": map[string]any{"size": "A4"}, "elements": []any{map[string]any{"type": "qr", "x": 10, "y": 10, "size": 30}}}}
	case "POST /api/v1/authorities/{code}/certificate-batches":
		return map[string]any{"type": "x", "exam_id": 1}
	case "POST /api/v1/authorities/{code}/certificate-batches/{id}/approve", "POST /api/v1/authorities/{code}/certificate-batches/{id}/decline":
		return map[string]any{"note": "an intruder's note"}
	case "POST /api/v1/authorities/{code}/certificates/{doc}/revoke":
		return map[string]any{"reason": "an intruder's reason"}
	case "POST /api/v1/authorities/{code}/certificates/{doc}/reissue":
		return map[string]any{"changes": map[string]any{}, "reason": "an intruder's reason"}
	case "POST /api/v1/exam/challenges":
		return map[string]any{"item_id": 1, "reason": "an intruder's reason"}
	case "POST /api/v1/exam/signin":
		return map[string]any{"roll_no": "X1", "access_code": "AAAA-AAAA-AAAA-AAAA"}
	case "POST /api/v1/exam/answers":
		return map[string]any{"answers": []any{map[string]any{"item_id": 1, "seq": 1}}}
	case "PATCH /api/v1/me":
		return map[string]any{"name": "Renamed", "locale": "hi"}
	case "POST /api/v1/me/password":
		return map[string]any{"current_password": "wrong", "new_password": "long-enough-pass"}
	case "POST /api/v1/me/tokens":
		return map[string]any{"name": "x", "authority": "BBB", "role": "authority_admin"}
	case "POST /api/v1/authorities":
		return map[string]any{"code": "NEWONE", "name": "New One"}
	case "PATCH /api/v1/authorities/{code}":
		return map[string]any{"name": "Renamed by intruder"}
	case "POST /api/v1/authorities/{code}/users":
		return map[string]any{"email": "intruder@a.test", "name": "Intruder", "roles": []string{"authority_admin"}}
	case "PUT /api/v1/authorities/{code}/users/{id}/roles":
		return map[string]any{"roles": []string{"authority_admin"}}
	}
	return nil
}

func sampleTest() map[string]any {
	return map[string]any{"kind": "mock", "title": "Intruder's test", "languages": []string{"en"},
		"sections": []any{map[string]any{"id": "A", "questions": []any{map[string]any{"item_id": 1}}}}}
}

// Routes without an authority in the path, and why a wrong tenant cannot
// reach another's data through them. A new route must be added here (or
// carry {code}) or the test fails.
var unscopedRoutes = map[string]string{
	"POST /api/v1/auth/signin":                 "public",
	"POST /api/v1/auth/signout":                "self",
	"POST /api/v1/auth/signup":                 "public",
	"POST /api/v1/auth/password-reset":         "public",
	"POST /api/v1/auth/password-reset/confirm": "public",
	"GET /api/v1/me":                           "self",
	"PATCH /api/v1/me":                         "self",
	"POST /api/v1/me/password":                 "self",
	"GET /api/v1/me/sessions":                  "self",
	"DELETE /api/v1/me/sessions/{id}":          "other's id",
	"POST /api/v1/me/sessions/revoke-all":      "self",
	"GET /api/v1/me/tokens":                    "self",
	"POST /api/v1/me/tokens":                   "body names B",
	"DELETE /api/v1/me/tokens/{id}":            "other's id",
	"GET /api/v1/authorities":                  "filtered list",
	"POST /api/v1/authorities":                 "platform",
	"GET /api/v1/audit":                        "platform",
	"POST /api/v1/audit/verify":                "platform",
	"GET /api/v1/outbox":                       "platform",
	"POST /api/v1/users/{id}/disable":          "platform",
	"POST /api/v1/users/{id}/enable":           "platform",
	"POST /api/v1/exam/signin":                 "public",
	"POST /api/v1/exam/start":                  "exam ticket",
	"GET /api/v1/exam/paper":                   "exam ticket",
	"GET /api/v1/exam/state":                   "exam ticket",
	"POST /api/v1/exam/answers":                "exam ticket",
	"POST /api/v1/exam/submit":                 "exam ticket",
	"GET /api/v1/exam/result":                  "exam ticket",
	"POST /api/v1/exam/next-section":           "exam ticket",
	"GET /api/v1/exam/challenges":              "exam ticket",
	"POST /api/v1/verify":                      "public",
	"GET /api/v1/verify/{doc}":                 "public",
	"POST /api/v1/exam/challenges":             "exam ticket",
}

// TestNoRouteLetsOneAuthorityReachAnother walks every documented API route
// as an administrator (by session and by API token) of authority A aimed at
// authority B's data, and checks each is refused and nothing of B changed.
func TestNoRouteLetsOneAuthorityReachAnother(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		w := setupTenants(t, sys, srv)
		before := snapshotB(t, w)
		ops := documentedRoutes(t, w.platform)
		if len(ops) < 20 {
			t.Fatalf("only %d documented routes", len(ops))
		}
		for _, op := range ops {
			key := op.method + " " + op.path
			id := w.userB
			if strings.Contains(op.path, "/items/") {
				id = w.itemB
			}
			path := strings.NewReplacer("{code}", "BBB", "{id}", fmt.Sprint(id), "{roll}", "R1").Replace(op.path)
			switch {
			case strings.Contains(op.path, "{code}"):
				for name, c := range map[string]*client{"session": w.adminA, "token": w.tokenA, "learner": w.learnerA} {
					r := c.do(op.method, path, sampleBody(op))
					if r.status != http.StatusNotFound {
						t.Errorf("%s as A's %s: %d %s, want 404 (B must look like it does not exist)", key, name, r.status, r.body)
					}
				}
			case unscopedRoutes[key] == "other's id":
				id := fmt.Sprint(w.tokenB)
				if strings.Contains(op.path, "sessions") {
					id = w.sessionB
				}
				r := w.adminA.do(op.method, strings.Replace(op.path, "{id}", id, 1), nil)
				if r.status != http.StatusNotFound {
					t.Errorf("%s with B's id: %d %s, want 404", key, r.status, r.body)
				}
			case unscopedRoutes[key] == "platform":
				for name, c := range map[string]*client{"session": w.adminA, "token": w.tokenA} {
					if r := c.do(op.method, path, sampleBody(op)); r.status != http.StatusForbidden {
						t.Errorf("%s as A's %s: %d, want 403", key, name, r.status)
					}
				}
			case unscopedRoutes[key] == "body names B":
				if r := w.adminA.do(op.method, path, sampleBody(op)); r.status != http.StatusNotFound {
					t.Errorf("%s naming B: %d %s, want 404", key, r.status, r.body)
				}
			case unscopedRoutes[key] == "filtered list":
				for name, c := range map[string]*client{"session": w.adminA, "token": w.tokenA} {
					r := c.do(op.method, path, nil)
					if r.status != 200 || strings.Contains(string(r.body), "BBB") {
						t.Errorf("%s as A's %s lists B: %d %s", key, name, r.status, r.body)
					}
				}
			case unscopedRoutes[key] == "exam ticket":
				// Staff credentials are no ticket: a candidate's attempt is
				// reached only with the ticket signed for it.
				for name, c := range map[string]*client{"session": w.adminA, "token": w.tokenA} {
					if r := c.do(op.method, path, sampleBody(op)); r.status != http.StatusUnauthorized {
						t.Errorf("%s as A's %s: %d %s, want 401", key, name, r.status, r.body)
					}
				}
			case unscopedRoutes[key] == "public" || unscopedRoutes[key] == "self":
			default:
				t.Errorf("route %s is new: classify it in unscopedRoutes or put the authority in its path", key)
			}
		}
		if after := snapshotB(t, w); after != before {
			t.Errorf("B changed during the walk:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// snapshotB is what the platform administrator sees of B.
func snapshotB(t *testing.T, w *tenants) string {
	t.Helper()
	var sb strings.Builder
	for _, p := range []string{"/api/v1/authorities/BBB", "/api/v1/authorities/BBB/users", "/api/v1/authorities/BBB/audit", "/api/v1/authorities/BBB/items", fmt.Sprintf("/api/v1/authorities/BBB/items/%d/history", w.itemB)} {
		r := w.platform.do("GET", p, nil)
		if r.status != 200 {
			t.Fatalf("platform GET %s: %d %s", p, r.status, r.body)
		}
		sb.Write(r.body)
	}
	// B's session and token still work.
	if r := w.adminB.do("GET", "/api/v1/me/tokens", nil); r.status != 200 || strings.Contains(string(r.body), `"revoked_at"`) {
		t.Fatalf("B's session or token was touched: %d %s", r.status, r.body)
	}
	return sb.String()
}

// TestEveryDocumentedRouteIsServed keeps the OpenAPI document in step with
// the router: each documented operation reaches a real handler.
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	sys, srv := newSystem(t, "")
	w := setupTenants(t, sys, srv)
	for _, op := range documentedRoutes(t, w.platform) {
		path := strings.NewReplacer("{code}", "AAA", "{id}", "1").Replace(op.path)
		c := w.platform
		if op.public {
			c = newClient(t, srv)
		}
		r := c.do(op.method, path, sampleBody(op))
		if r.status == http.StatusMethodNotAllowed || strings.Contains(string(r.body), "no API endpoint") {
			t.Errorf("%s %s is documented but not served: %d %s", op.method, op.path, r.status, r.body)
		}
	}
	// And an undocumented path is a problem+json 404.
	r := w.platform.do("GET", "/api/v1/does-not-exist", nil)
	if r.status != 404 || r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown route: %d %s", r.status, r.header.Get("Content-Type"))
	}
}

func TestProblemResponses(t *testing.T) {
	sys, srv := newSystem(t, "")
	w := setupTenants(t, sys, srv)
	c := w.platform
	type problem struct {
		Type      string            `json:"type"`
		Title     string            `json:"title"`
		Detail    string            `json:"detail"`
		RequestID string            `json:"request_id"`
		Status    int               `json:"status"`
		Errors    map[string]string `json:"errors"`
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		contentType        string
		status             int
		field              string
	}{
		{"unknown field", "POST", "/api/v1/authorities", `{"code":"ZZZ","name":"Z","colour":"red"}`, "", 400, "colour"},
		{"wrong type", "POST", "/api/v1/authorities", `{"code":5,"name":"Z"}`, "", 400, "code"},
		{"malformed json", "POST", "/api/v1/authorities", `{"code":`, "", 400, ""},
		{"two values", "POST", "/api/v1/authorities", `{"code":"ZZZ","name":"Z"}{}`, "", 400, ""},
		{"empty body", "POST", "/api/v1/authorities", ``, "", 400, ""},
		{"validation", "POST", "/api/v1/authorities", `{"code":"?","name":""}`, "", 400, "name"},
		{"oversized", "POST", "/api/v1/authorities", `{"code":"ZZZ","name":"` + strings.Repeat("x", 2<<20) + `"}`, "", 413, ""},
		{"not json", "POST", "/api/v1/authorities", `code=ZZZ`, "application/x-www-form-urlencoded", 415, ""},
		{"bad cursor", "GET", "/api/v1/authorities?after=zz", nil, "", 400, "after"},
		{"bad limit", "GET", "/api/v1/authorities?limit=1000", nil, "", 400, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if s, ok := tc.body.(string); ok {
				body = strings.NewReader(s)
			}
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if body != nil {
				req, _ = http.NewRequest(tc.method, srv.URL+tc.path, body)
				ct := tc.contentType
				if ct == "" {
					ct = "application/json"
				}
				req.Header.Set("Content-Type", ct)
			}
			res, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p problem
			if res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("content type %q", res.Header.Get("Content-Type"))
			}
			if err := jsonDecode(res, &p); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status || p.Status != tc.status {
				t.Fatalf("status %d/%d, want %d: %+v", res.StatusCode, p.Status, tc.status, p)
			}
			if p.RequestID == "" || p.RequestID != res.Header.Get("X-Request-Id") {
				t.Errorf("request id %q vs header %q", p.RequestID, res.Header.Get("X-Request-Id"))
			}
			if tc.field != "" && p.Errors[tc.field] == "" {
				t.Errorf("no message for field %q: %+v", tc.field, p)
			}
		})
	}
	// Nothing was created by any of the refused requests.
	var list struct{ Items []identity.Authority }
	c.do("GET", "/api/v1/authorities", nil).json(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("refused requests created authorities: %+v", list.Items)
	}
}

func TestCrossOriginFormPostsAreRefused(t *testing.T) {
	sys, srv := newSystem(t, "")
	w := setupTenants(t, sys, srv)
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/authorities", strings.NewReader(`{"code":"EVIL","name":"Evil"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := w.platform.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST with the session cookie: %d, want 403", res.StatusCode)
	}
	if r := w.platform.do("GET", "/api/v1/authorities/EVIL", nil); r.status != 404 {
		t.Fatalf("the cross-site request created the authority: %d", r.status)
	}
}

func TestSignInRateLimitSaysWhenToRetry(t *testing.T) {
	sys, srv := newSystem(t, "")
	setupTenants(t, sys, srv)
	c := newClient(t, srv)
	var last response
	for range 6 {
		last = c.do("POST", "/api/v1/auth/signin", map[string]any{"email": "admin@a.test", "password": "wrong-wrong-wrong"})
	}
	if last.status != 429 || last.header.Get("Retry-After") == "" || !strings.Contains(string(last.body), "try again in") {
		t.Fatalf("after 6 failures: %d %q %s", last.status, last.header.Get("Retry-After"), last.body)
	}
	// Even the right password is refused while locked.
	if r := c.do("POST", "/api/v1/auth/signin", map[string]any{"email": "admin@a.test", "password": pw}); r.status != 429 {
		t.Fatalf("right password while locked: %d", r.status)
	}
}

// sampleItemInput is a valid single-choice item for the API.
func sampleItemInput(stem string) map[string]any {
	return map[string]any{
		"type":    "single_choice",
		"text":    map[string]any{"en": map[string]any{"stem": stem, "choices": map[string]string{"A": "yes", "B": "no"}}},
		"choices": []map[string]string{{"id": "A"}, {"id": "B"}},
		"key":     map[string]any{"choices": []string{"A"}},
		"scoring": map[string]any{"marks": 1},
	}
}
