package app

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
)

func TestItemAPI(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		w := setupTenants(t, sys, srv)
		ctx := context.Background()
		if _, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: "approver@a.test", Name: "Approver", Password: pw, Roles: []identity.Role{identity.RoleApprover}}, false, "AAA"); err != nil {
			t.Fatal(err)
		}
		approver := newClient(t, srv)
		approver.signIn("approver@a.test", pw)
		base := "/api/v1/authorities/AAA/items"

		var item struct {
			ID       int64
			Version  int
			Revision int
			Status   string
		}
		r := w.adminA.do("POST", base, sampleItemInput("Capital of India?"))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		r.json(t, &item)

		bad := sampleItemInput("x")
		bad["key"] = map[string]any{"choices": []string{"Z"}}
		if r := w.adminA.do("POST", base, bad); r.status != 400 || !strings.Contains(string(r.body), `"key.choices"`) {
			t.Fatalf("invalid item: %d %s", r.status, r.body)
		}
		if r := w.adminA.do("POST", base, `{"type":"single_choice","id":5}`); r.status != 400 {
			t.Fatalf("bookkeeping fields must be refused: %d %s", r.status, r.body)
		}
		if r := w.learnerA.do("GET", base, nil); r.status != 403 {
			t.Fatalf("learner lists items: %d", r.status)
		}

		edit := map[string]any{"revision": item.Revision, "item": sampleItemInput("What is the capital of India?")}
		if r := w.adminA.do("PUT", fmt.Sprintf("%s/%d", base, item.ID), edit); r.status != 200 {
			t.Fatalf("edit: %d %s", r.status, r.body)
		}
		if r := w.adminA.do("PUT", fmt.Sprintf("%s/%d", base, item.ID), edit); r.status != 409 {
			t.Fatalf("stale edit: %d %s", r.status, r.body)
		}
		// The admin made the last change, so the approver reviews, then publishes.
		for i, to := range []string{"reviewed", "published"} {
			r := approver.do("POST", fmt.Sprintf("%s/%d/status", base, item.ID), map[string]any{"revision": 2 + i, "status": to})
			if r.status != 200 {
				t.Fatalf("%s: %d %s", to, r.status, r.body)
			}
		}
		r = w.adminA.do("GET", base+"?status=published&q=capital", nil)
		var list struct{ Items []struct{ ID int64 } }
		r.json(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != item.ID {
			t.Fatalf("search: %s", r.body)
		}
		r = w.adminA.do("GET", fmt.Sprintf("%s/%d/history", base, item.ID), nil)
		if r.status != 200 || strings.Count(string(r.body), `"action"`) != 4 {
			t.Fatalf("history: %s", r.body)
		}
		if r := w.adminA.do("GET", fmt.Sprintf("%s/%d?version=x", base, item.ID), nil); r.status != 400 {
			t.Fatalf("bad version: %d", r.status)
		}
	})
}
