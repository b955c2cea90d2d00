package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// markingWorld is the real API over a database, with an exam of a choice
// question and an essay sat by R1 and R2, on a settable clock.
type markingWorld struct {
	srv                       *httptest.Server
	d                         *assess.Delivery
	exam                      int64
	choice, essay             int64
	admin, grader, g2, author string // session tokens
	tickets                   map[string]string
	now                       atomic.Int64
	shiftEnd                  time.Time
}

func (m *markingWorld) clock() time.Time { return time.Unix(0, m.now.Load()).UTC() }

func newMarkingWorld(t *testing.T, db *database.DB) *markingWorld {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	outbox := mail.NewOutbox(db, mail.SMTPConfig{})
	ids := identity.NewService(db, outbox, log, identity.Config{BaseURL: "http://vidya.test"})
	bank := assess.NewService(db, ids, log)
	m := &markingWorld{tickets: map[string]string{}}
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	m.now.Store(start.Add(time.Minute).UnixNano())
	d, err := assess.NewDelivery(bank, log, assess.DeliveryOptions{Key: bytes.Repeat([]byte("k"), 32), Now: m.clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	m.d = d
	for _, code := range []string{"EXM", "OTH"} {
		if _, err := ids.EnsureAuthority(ctx, "test", identity.NewAuthority{Code: code, Name: code}); err != nil {
			t.Fatal(err)
		}
	}
	person := func(email, code string, role identity.Role) (*identity.Principal, string) {
		u, err := ids.EnsureUser(ctx, "test", identity.NewUser{Email: email, Name: email, Roles: []identity.Role{role}}, false, code)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := ids.StartSessionFor(ctx, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		p, err := ids.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return p, string(tok)
	}
	author, authorTok := person("author@exm.test", "EXM", identity.RoleAuthor)
	approver, _ := person("approver@exm.test", "EXM", identity.RoleApprover)
	admin, adminTok := person("admin@exm.test", "EXM", identity.RoleAdmin)
	_, m.grader = person("grader@exm.test", "EXM", identity.RoleGrader)
	_, m.g2 = person("grader2@exm.test", "EXM", identity.RoleGrader)
	m.admin, m.author = adminTok, authorTok
	publish := func(it *assess.Item) int64 {
		c, err := bank.CreateItem(ctx, author, "EXM", it)
		if err != nil {
			t.Fatal(err)
		}
		if c, err = bank.SetStatus(ctx, approver, "EXM", c.ID, c.Revision, assess.Reviewed); err != nil {
			t.Fatal(err)
		}
		if _, err = bank.SetStatus(ctx, approver, "EXM", c.ID, c.Revision, assess.Published); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	m.choice = publish(&assess.Item{Type: assess.SingleChoice, Text: map[string]assess.Text{"en": {Stem: "2 + 2 = ?", Choices: map[string]string{"A": "3", "B": "4"}}},
		Choices: []assess.Choice{{ID: "A"}, {ID: "B"}}, Key: assess.Key{Choices: []string{"B"}}, Scoring: assess.Scoring{Marks: 4, Penalty: 1}})
	m.essay = publish(&assess.Item{Type: assess.Essay, Text: map[string]assess.Text{"en": {Stem: "Explain carrying.", Explanation: "Two marks a step."}}, Scoring: assess.Scoring{Marks: 10}})
	tst, err := bank.CreateTest(ctx, author, "EXM", &assess.Test{Kind: assess.Exam, Title: "Arithmetic", Languages: []string{"en"}, Duration: 3600,
		Sections: []assess.Section{{ID: "A", Title: map[string]string{"en": "A"}, Questions: []assess.Question{{ItemID: m.choice}, {ItemID: m.essay}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bank.PublishTest(ctx, approver, "EXM", tst.ID, tst.Revision); err != nil {
		t.Fatal(err)
	}
	e, err := bank.CreateExam(ctx, admin, "EXM", tst.ID, 0, "Arithmetic")
	if err != nil {
		t.Fatal(err)
	}
	m.exam = e.ID
	m.shiftEnd = start.Add(2 * time.Hour)
	if _, err := bank.AddShift(ctx, admin, "EXM", e.ID, assess.Shift{Code: "S", StartsAt: start, LateEntry: 600, EndsAt: m.shiftEnd}); err != nil {
		t.Fatal(err)
	}
	if _, err := bank.RegisterCandidates(ctx, admin, "EXM", e.ID, []assess.Candidate{{RollNo: "R1", Name: "One", Shift: "S"}, {RollNo: "R2", Name: "Two", Shift: "S"}}); err != nil {
		t.Fatal(err)
	}
	codes, err := bank.IssueCodes(ctx, admin, "EXM", e.ID, nil)
	if err != nil {
		t.Fatal(err)
	}

	a := &API{Identity: ids, Bank: bank, Delivery: d, Outbox: outbox, Log: log, Version: "test"}
	mux := http.NewServeMux()
	a.Register(mux)
	// Until Register lists the marking routes, add them as it will.
	if _, pattern := mux.Handler(httptest.NewRequest("GET", "/api/v1/exam/challenges", nil)); pattern == "/api/" {
		for _, rt := range a.markingRoutes() {
			mux.Handle(rt.method+" "+rt.path, a.wrap(rt))
		}
	}
	m.srv = httptest.NewServer(httpx.SecureHeaders(Authenticate(ids, Cookies{}, log, mux)))
	t.Cleanup(m.srv.Close)

	for _, c := range codes {
		var s assess.ExamSession
		m.call(t, "", "POST", "/api/v1/exam/signin", map[string]string{"roll_no": c.RollNo, "access_code": c.Code}, 200, &s)
		var st assess.Started
		m.call(t, "Exam "+s.Ticket, "POST", "/api/v1/exam/start", nil, 200, &st)
		choice := map[string]string{"R1": "B", "R2": "A"}[c.RollNo]
		m.call(t, "Exam "+st.Ticket, "POST", "/api/v1/exam/answers", map[string]any{"answers": []any{
			map[string]any{"item_id": m.choice, "seq": 1, "response": map[string]any{"choices": []string{choice}}},
			map[string]any{"item_id": m.essay, "seq": 1, "response": map[string]any{"text": c.RollNo + " explains carrying"}},
		}}, 200, nil)
		m.call(t, "Exam "+st.Ticket, "POST", "/api/v1/exam/submit", nil, 200, nil)
		m.tickets[c.RollNo] = st.Ticket
	}
	if _, err := d.GradeSubmitted(ctx, 100); err != nil {
		t.Fatal(err)
	}
	return m
}

// call sends a request as auth ("Exam …" for a ticket, else a session
// token) and checks the status; out receives the JSON (or the problem).
func (m *markingWorld) call(t *testing.T, auth, method, path string, in any, status int, out any) {
	t.Helper()
	var body io.Reader
	if s, ok := in.(string); ok {
		body = strings.NewReader(s)
	} else if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, m.srv.URL+path, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.HasPrefix(auth, "Exam "):
		req.Header.Set("Authorization", auth)
	case auth != "":
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: auth})
	}
	res, err := m.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, status)
	}
	if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s %s: %d is not a problem: %s", method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

func TestMarkingAndChallengesOverHTTP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		m := newMarkingWorld(t, db)
		base := fmt.Sprintf("/api/v1/authorities/EXM/exams/%d", m.exam)
		var p httpx.Problem

		t.Run("settings", func(t *testing.T) {
			m.call(t, m.admin, "PUT", base+"/marking/settings", map[string]any{"double_marking": true, "tolerance": -2}, 400, &p)
			if p.Errors["tolerance"] == "" {
				t.Fatalf("%+v", p)
			}
			m.call(t, m.admin, "PUT", base+"/marking/settings", `{"double_marking":true,"tolerence":1}`, 400, nil)
			m.call(t, m.grader, "PUT", base+"/marking/settings", map[string]any{"double_marking": true, "tolerance": 1}, 403, nil)
			var s assess.MarkingSettings
			m.call(t, m.admin, "PUT", base+"/marking/settings", map[string]any{"double_marking": true, "tolerance": 1}, 200, &s)
			if !s.DoubleMarking || s.Tolerance != 1 || s.Step != 0.5 {
				t.Fatalf("settings %+v", s)
			}
		})
		t.Run("double marking", func(t *testing.T) {
			m.call(t, m.author, "POST", base+"/marking/next", nil, 403, nil)
			m.call(t, "", "POST", base+"/marking/next", nil, 401, nil)
			for _, marker := range []string{m.grader, m.g2} {
				for range 2 {
					var s assess.Script
					m.call(t, marker, "POST", base+"/marking/next", nil, 200, &s)
					if s.Answer == "" || strings.Contains(s.Script, "R1") || s.Question["en"].Rubric == "" {
						t.Fatalf("script %+v", s)
					}
					path := base + "/marking/scripts/" + s.Script
					m.call(t, marker, "POST", path, map[string]any{"comment": "no score"}, 400, &p)
					if p.Errors["score"] == "" {
						t.Fatalf("%+v", p)
					}
					m.call(t, marker, "POST", path, map[string]any{"score": 11}, 400, nil)
					// R1 gets 6 then 7 (mean 6.5); R2 gets 4 then 8 (moderation).
					score := map[bool]float64{true: 6, false: 4}[strings.HasPrefix(s.Answer, "R1")]
					if marker == m.g2 {
						score = map[bool]float64{true: 7, false: 8}[strings.HasPrefix(s.Answer, "R1")]
					}
					m.call(t, marker, "POST", path, map[string]any{"score": score}, 200, nil)
				}
			}
			m.call(t, m.grader, "POST", base+"/marking/next", nil, 404, &p)
			if !strings.HasSuffix(p.Type, "/nothing-to-mark") {
				t.Fatalf("problem %+v", p)
			}
			var pr assess.MarkingProgress
			m.call(t, m.grader, "GET", base+"/marking/progress", nil, 200, &pr)
			if pr != (assess.MarkingProgress{Answers: 2, FirstMarked: 2, SecondMarked: 2, InModeration: 1, Final: 1}) {
				t.Fatalf("progress %+v", pr)
			}
			var s assess.Script
			m.call(t, m.admin, "POST", base+"/marking/next", nil, 200, &s)
			if s.Round != 3 || len(s.Marks) != 2 {
				t.Fatalf("moderation %+v", s)
			}
			var out assess.MarkOutcome
			m.call(t, m.admin, "POST", base+"/marking/scripts/"+s.Script, map[string]any{"score": 5.5, "comment": "moderated"}, 200, &out)
			if out.Final == nil || *out.Final != 5.5 {
				t.Fatalf("outcome %+v", out)
			}
		})
		t.Run("challenges", func(t *testing.T) {
			r2 := "Exam " + m.tickets["R2"]
			m.call(t, r2, "POST", "/api/v1/exam/challenges", map[string]any{"item_id": m.choice, "reason": "A is the right answer"}, 403, &p)
			if !strings.HasSuffix(p.Type, "/challenge-window-closed") {
				t.Fatalf("problem %+v", p)
			}
			m.call(t, m.admin, "PUT", base+"/challenges/window", map[string]any{"opens_at": m.shiftEnd.Add(-time.Hour), "closes_at": m.shiftEnd}, 400, nil)
			m.call(t, m.admin, "PUT", base+"/challenges/window", map[string]any{"opens_at": m.shiftEnd, "closes_at": m.shiftEnd.Add(time.Hour)}, 200, nil)
			m.now.Store(m.shiftEnd.Add(time.Minute).UnixNano())
			m.call(t, r2, "POST", "/api/v1/exam/challenges", map[string]any{"item_id": 999999, "reason": "Not my question at all"}, 400, &p)
			if p.Errors["item_id"] == "" {
				t.Fatalf("%+v", p)
			}
			m.call(t, r2, "POST", "/api/v1/exam/challenges", map[string]any{"item_id": m.choice, "reason": "A is the right answer", "proposed": map[string]any{"choices": []string{"A"}}}, 201, nil)
			m.call(t, r2, "POST", "/api/v1/exam/challenges", map[string]any{"item_id": m.choice, "reason": "A is the right answer"}, 409, &p)
			if !strings.HasSuffix(p.Type, "/already-challenged") {
				t.Fatalf("problem %+v", p)
			}
			m.call(t, m.admin, "GET", "/api/v1/exam/challenges", nil, 401, nil)
			var list List[assess.ChallengedItem]
			m.call(t, m.grader, "GET", base+"/challenges", nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0].Count != 1 || list.Items[0].Reasons[0].Proposed == nil {
				t.Fatalf("challenges %+v", list)
			}
			dec := fmt.Sprintf("%s/challenges/%d/decision", base, m.choice)
			m.call(t, m.admin, "POST", dec, map[string]any{"action": "accept"}, 400, &p)
			if p.Errors["key"] == "" {
				t.Fatalf("%+v", p)
			}
			m.call(t, m.grader, "POST", dec, map[string]any{"action": "reject"}, 403, nil)
			m.call(t, m.admin, "POST", dec, map[string]any{"action": "accept", "key": map[string]any{"choices": []string{"A"}}}, 200, nil)
			var regraded List[assess.KeyDecision]
			m.call(t, m.admin, "POST", base+"/challenges/regrade", nil, 200, &regraded)
			// R1 (chose B) 4 → −1, R2 (chose A) −1 → 4.
			if len(regraded.Items) != 1 || !regraded.Items[0].Done || regraded.Items[0].Regraded != 2 {
				t.Fatalf("regrade %+v", regraded)
			}
			var mine List[assess.Challenge]
			m.call(t, r2, "GET", "/api/v1/exam/challenges", nil, 200, &mine)
			if len(mine.Items) != 1 || mine.Items[0].Status != "accept" {
				t.Fatalf("mine %+v", mine)
			}
		})
		t.Run("another authority sees nothing", func(t *testing.T) {
			other := fmt.Sprintf("/api/v1/authorities/OTH/exams/%d", m.exam)
			m.call(t, m.admin, "GET", other+"/challenges", nil, 404, nil)
			m.call(t, m.admin, "POST", base+"/challenges/x/decision", map[string]any{"action": "reject"}, 404, nil)
		})
	})
}
