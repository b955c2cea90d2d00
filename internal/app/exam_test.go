package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
)

// seededExam is an exam of two questions, its shift open now, with
// candidates R1…Rn holding access codes.
type seededExam struct {
	exam   *assess.ExamInfo
	q1, q2 int64
	codes  map[string]string
}

// member makes a user with role in the authority code and signs them in,
// for calling the services as that person.
func member(t testing.TB, sys *system, code, email string, role identity.Role) *identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: email, Name: email, Roles: []identity.Role{role}}, false, code)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := sys.identity.StartSessionFor(ctx, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := sys.identity.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// seedExam sets up, through the services, an exam in authority EXM whose
// shift opened a minute ago and runs for the given duration.
func seedExam(t testing.TB, sys *system, duration time.Duration, candidates int) *seededExam {
	t.Helper()
	ctx := context.Background()
	if _, err := sys.identity.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: "EXM", Name: "Exam board"}); err != nil {
		t.Fatal(err)
	}
	person := func(email string, role identity.Role) *identity.Principal { return member(t, sys, "EXM", email, role) }
	author, approver, admin := person("author@exm.test", identity.RoleAuthor), person("approver@exm.test", identity.RoleApprover), person("admin@exm.test", identity.RoleAdmin)
	// The first question has a picture: candidates reach it by a URL
	// signed for the exam, having no session.
	pic, err := sys.bank.AddMedia(ctx, author, "EXM", pngOf(t, 20, 10))
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, stem := range []string{"![Four apples](" + pic + ") 2 + 2 = ?", "3 + 1 = ?"} {
		it, err := sys.bank.CreateItem(ctx, author, "EXM", &assess.Item{Type: assess.SingleChoice,
			Text:    map[string]assess.Text{"en": {Stem: stem, Choices: map[string]string{"A": "3", "B": "4"}}, "hi": {Stem: stem + " (हिंदी)", Choices: map[string]string{"A": "३", "B": "४"}}},
			Choices: []assess.Choice{{ID: "A"}, {ID: "B"}}, Key: assess.Key{Choices: []string{"B"}}, Scoring: assess.Scoring{Marks: 4, Penalty: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if it, err = sys.bank.SetStatus(ctx, approver, "EXM", it.ID, it.Revision, assess.Reviewed); err != nil {
			t.Fatal(err)
		}
		if _, err = sys.bank.SetStatus(ctx, approver, "EXM", it.ID, it.Revision, assess.Published); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	def := &assess.Test{Kind: assess.Exam, Title: "Arithmetic", Languages: []string{"en", "hi"}, Duration: int(duration / time.Second),
		Sections: []assess.Section{{ID: "A", Questions: []assess.Question{{ItemID: ids[0]}, {ItemID: ids[1]}}}}}
	tst, err := sys.bank.CreateTest(ctx, author, "EXM", def)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sys.bank.PublishTest(ctx, approver, "EXM", tst.ID, tst.Revision); err != nil {
		t.Fatal(err)
	}
	e, err := sys.bank.CreateExam(ctx, admin, "EXM", tst.ID, 0, "Arithmetic, December")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	if _, err := sys.bank.AddShift(ctx, admin, "EXM", e.ID, assess.Shift{Code: "NOW", StartsAt: start, LateEntry: 3600, EndsAt: start.Add(time.Hour + duration + time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var list []assess.Candidate
	for i := 1; i <= candidates; i++ {
		list = append(list, assess.Candidate{RollNo: fmt.Sprintf("R%d", i), Name: fmt.Sprintf("Candidate %d", i), Shift: "NOW"})
	}
	if _, err := sys.bank.RegisterCandidates(ctx, admin, "EXM", e.ID, list); err != nil {
		t.Fatal(err)
	}
	out := &seededExam{exam: e, q1: ids[0], q2: ids[1], codes: map[string]string{}}
	for len(out.codes) < candidates { // MaxRegisterBatch codes a call
		codes, err := sys.bank.IssueCodes(ctx, admin, "EXM", e.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			out.codes[c.RollNo] = c.Code
		}
	}
	return out
}

// examClient speaks the candidate API with a ticket.
type examClient struct {
	hc     *http.Client
	base   string
	ticket string
}

// call sends a JSON request and decodes a JSON answer into out; it returns
// the status and the body.
func (c *examClient) call(method, path string, in, out any) (int, []byte, error) {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.ticket != "" {
		req.Header.Set("Authorization", "Exam "+c.ticket)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, b, err
		}
	}
	return resp.StatusCode, b, nil
}

// begin signs a candidate in and starts the attempt.
func begin(t testing.TB, hc *http.Client, base, roll, code string) *examClient {
	t.Helper()
	c := &examClient{hc: hc, base: base}
	var s assess.ExamSession
	if st, b, err := c.call("POST", "/api/v1/exam/signin", map[string]string{"roll_no": roll, "access_code": code}, &s); err != nil || st != 200 {
		t.Fatalf("sign in %s: %d %s %v", roll, st, b, err)
	}
	c.ticket = s.Ticket
	var started assess.Started
	if st, b, err := c.call("POST", "/api/v1/exam/start", nil, &started); err != nil || st != 200 {
		t.Fatalf("start %s: %d %s %v", roll, st, b, err)
	}
	c.ticket = started.Ticket
	return c
}

func TestExamDayOverHTTP(t *testing.T) {
	engines(t, func(t *testing.T, sys *system, srv *httptest.Server) {
		x := seedExam(t, sys, time.Hour, 3)
		hc := srv.Client()

		t.Run("a wrong code is a problem, not a ticket", func(t *testing.T) {
			c := &examClient{hc: hc, base: srv.URL}
			st, b, _ := c.call("POST", "/api/v1/exam/signin", map[string]string{"roll_no": "R1", "access_code": x.codes["R2"]}, nil)
			if st != 401 || !strings.Contains(string(b), "roll number or access code is wrong") {
				t.Fatalf("%d %s", st, b)
			}
		})
		t.Run("no ticket, no paper", func(t *testing.T) {
			c := &examClient{hc: hc, base: srv.URL}
			if st, b, _ := c.call("GET", "/api/v1/exam/paper", nil, nil); st != 401 {
				t.Fatalf("%d %s", st, b)
			}
		})

		c := begin(t, hc, srv.URL, "R1", x.codes["R1"])
		var paper assess.PaperView
		if st, b, err := c.call("GET", "/api/v1/exam/paper", nil, &paper); err != nil || st != 200 || len(paper.Slots) != 2 || strings.Contains(string(b), `"key"`) {
			t.Fatalf("paper: %d %s %v", st, b, err)
		}
		t.Run("the paper's picture is reachable only by its signed URL", func(t *testing.T) {
			var first assess.CandidateItem
			for _, raw := range paper.Items {
				var it assess.CandidateItem
				if err := json.Unmarshal(raw, &it); err != nil {
					t.Fatal(err)
				}
				if it.ID == x.q1 {
					first = it
				}
			}
			m := regexp.MustCompile(`src="(/media/[^"]+)"`).FindStringSubmatch(first.Text["en"].Stem)
			if m == nil || !strings.Contains(m[1], "sig=") {
				t.Fatalf("stem %q has no signed image URL", first.Text["en"].Stem)
			}
			url := strings.ReplaceAll(m[1], "&amp;", "&")
			res, err := hc.Get(srv.URL + url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" || len(body) == 0 {
				t.Fatalf("signed image: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
			}
			for _, bad := range []string{strings.Split(url, "?")[0], url[:len(url)-2] + "xx", strings.Replace(url, "exam=", "exam=9", 1)} {
				res, err := hc.Get(srv.URL + bad)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode == 200 {
					t.Fatalf("%s served without a valid signature", bad)
				}
			}
		})
		var saved assess.SaveResult
		answers := map[string]any{"answers": []any{
			map[string]any{"item_id": x.q1, "seq": 1, "response": map[string]any{"choices": []string{"B"}}},
			map[string]any{"item_id": x.q2, "seq": 1, "response": map[string]any{"choices": []string{"A"}}, "marked": true},
		}}
		if st, b, err := c.call("POST", "/api/v1/exam/answers", answers, &saved); err != nil || st != 200 || saved.Saved != 2 {
			t.Fatalf("save: %d %s %v", st, b, err)
		}
		t.Run("a bad answer is a 400 naming it", func(t *testing.T) {
			bad := map[string]any{"answers": []any{map[string]any{"item_id": x.q1, "seq": 2, "response": map[string]any{"choices": []string{"Q"}}}}}
			st, b, _ := c.call("POST", "/api/v1/exam/answers", bad, nil)
			if st != 400 || !strings.Contains(string(b), "answers.0.response") {
				t.Fatalf("%d %s", st, b)
			}
		})
		t.Run("the older device is told it was taken over", func(t *testing.T) {
			other := begin(t, hc, srv.URL, "R1", x.codes["R1"])
			st, b, _ := c.call("POST", "/api/v1/exam/answers", answers, nil)
			if st != 409 || !strings.Contains(string(b), "problems/taken-over") {
				t.Fatalf("%d %s", st, b)
			}
			var state assess.AttemptState
			if st, b, err := other.call("GET", "/api/v1/exam/state", nil, &state); err != nil || st != 200 || len(state.Answers) != 2 || !state.Answers[1].Marked && !state.Answers[0].Marked {
				t.Fatalf("state: %d %s %v", st, b, err)
			}
			c = other
		})
		var state assess.AttemptState
		if st, b, err := c.call("POST", "/api/v1/exam/submit", nil, &state); err != nil || st != 200 || state.Submitted == nil {
			t.Fatalf("submit: %d %s %v", st, b, err)
		}
		if st, b, _ := c.call("POST", "/api/v1/exam/answers", answers, nil); st != 409 || !strings.Contains(string(b), "problems/attempt-submitted") {
			t.Fatalf("save after submit: %d %s", st, b)
		}

		t.Run("results: computed, charted, published, seen by the candidate", func(t *testing.T) {
			ctx := context.Background()
			if st, _, _ := c.call("GET", "/api/v1/exam/result", nil, nil); st != 409 {
				t.Fatalf("result before publication: %d", st)
			}
			if n, err := sys.delivery.GradeSubmitted(ctx, 100); err != nil || n != 1 {
				t.Fatalf("graded %d, %v", n, err)
			}
			if _, err := sys.identity.EnsureUser(ctx, "test", identity.NewUser{Email: "boss@exm.test", Name: "Boss", Password: "long-enough-pass", Roles: []identity.Role{identity.RoleAdmin}}, false, "EXM"); err != nil {
				t.Fatal(err)
			}
			admin := newClient(t, srv)
			admin.signIn("boss@exm.test", "long-enough-pass")
			base := fmt.Sprintf("/api/v1/authorities/EXM/exams/%d", x.exam.ID)
			if r := admin.do("POST", base+"/results/compute", nil); r.status != 202 || !strings.Contains(string(r.body), `"state":"queued"`) {
				t.Fatalf("compute: %d %s", r.status, r.body)
			}
			// The worker's job, run here in step.
			if n, err := sys.bank.RunQueuedResults(ctx); err != nil || n != 1 {
				t.Fatalf("computed %d, %v", n, err)
			}
			if r := admin.do("GET", base+"/results/status", nil); r.status != 200 || !strings.Contains(string(r.body), `"state":"ready"`) || !strings.Contains(string(r.body), `"attempts":1`) {
				t.Fatalf("status: %d %s", r.status, r.body)
			}
			r := admin.do("GET", base+"/analysis/histogram.svg?lang=hi", nil)
			if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(r.body), "अंकों का वितरण") || !strings.Contains(string(r.body), `role="img"`) {
				t.Fatalf("chart: %d %s %.300s", r.status, r.header.Get("Content-Type"), r.body)
			}
			if r := admin.do("POST", base+"/results/publish", map[string]any{"publish": true}); r.status != 204 {
				t.Fatalf("publish: %d %s", r.status, r.body)
			}
			var res assess.CandidateResult
			if st, b, err := c.call("GET", "/api/v1/exam/result", nil, &res); err != nil || st != 200 || res.Percentile != "100.0000000" || len(res.Sheet) != 2 {
				t.Fatalf("result: %d %s %v", st, b, err)
			}
		})
	})
}
