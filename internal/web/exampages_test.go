package web

import (
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/analysis"
	"github.com/vidya-edu/vidya/internal/identity"
)

// publishedPaper saves and publishes a 30-minute exam paper of items
// through the services and returns its id.
func (e *env) publishedPaper(t *testing.T, items []int64) int64 {
	t.Helper()
	var qs []assess.Question
	for _, id := range items {
		qs = append(qs, assess.Question{ItemID: id})
	}
	tt, err := e.bank.CreateTest(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA", &assess.Test{Kind: assess.Exam, Title: "Paper for exams",
		Languages: []string{"en", "hi"}, Duration: 30 * 60, Sections: []assess.Section{{ID: "A", Questions: qs}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bank.PublishTest(t.Context(), e.principal(t, "approver-a@vidya.test"), "ALPHA", tt.ID, tt.Revision); err != nil {
		t.Fatal(err)
	}
	return tt.ID
}

var examURLRE = regexp.MustCompile(`^/a/ALPHA/exams/(\d+)$`)

func readCSV(t *testing.T, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return rows
}

func TestExamPages(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t)
	proctor, err := e.svc.EnsureUser(t.Context(), "test", identity.NewUser{Email: "proctor-a@vidya.test", Name: "Proctor", Password: testPassword, Roles: []identity.Role{identity.RoleProctor}}, false, "ALPHA")
	if err != nil {
		t.Fatal(err)
	}
	e.users["proctor-a@vidya.test"] = proctor
	items := e.publishedItems(t, 2, "science")
	paper := e.publishedPaper(t, items)
	admin := e.signedIn("admin-a@vidya.test")

	var base string
	var examID int64
	t.Run("scheduling refuses a bad form and then schedules", func(t *testing.T) {
		p := admin.get("/a/ALPHA/exams").wantStatus(t, http.StatusOK).wantContains(t, "No exams are scheduled.", "Schedule an exam", "Paper for exams (#"+strconv.FormatInt(paper, 10)+", v1)")
		checkHTML(t, p, "en")
		p = admin.post("/a/ALPHA/exams", url.Values{"test_id": {strconv.FormatInt(paper, 10)}, "title": {"  "}}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-title-err"`, "must be 1–200 characters")
		checkHTML(t, p, "en")
		admin.post("/a/ALPHA/exams", url.Values{"test_id": {strconv.FormatInt(paper, 10)}, "test_version": {"7"}, "title": {"December"}}).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-test_version-err"`, "has no version 7")
		if list, _ := e.bank.ListExams(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA"); len(list) != 0 {
			t.Fatalf("%d exams scheduled by bad forms", len(list))
		}
		p = admin.post("/a/ALPHA/exams", url.Values{"test_id": {strconv.FormatInt(paper, 10)}, "title": {"December final"}}).wantStatus(t, http.StatusSeeOther)
		base = p.Header.Get("Location")
		m := examURLRE.FindStringSubmatch(base)
		if m == nil {
			t.Fatalf("scheduled exam redirects to %q", base)
		}
		examID, _ = strconv.ParseInt(m[1], 10, 64)
		p = admin.get(base).wantStatus(t, http.StatusOK).wantContains(t, "Exam scheduled.", "<h1>December final</h1>", "No shifts yet.", "Add a shift", "UTC&#43;05:30")
		checkHTML(t, p, "en")
		admin.get("/a/ALPHA/exams").wantContains(t, "December final")
	})

	t.Run("a shift is typed in a UTC offset and stored in UTC; a short one is refused", func(t *testing.T) {
		admin.post(base+"/shifts", url.Values{"code": {"AM"}, "utc_offset": {"+05:30"}, "starts_at": {"2026-12-01T09:30"}, "late_entry": {"15"}, "ends_at": {"2026-12-01T09:50"}}).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-ends_at-err"`, "gets the full 30 minutes")
		admin.post(base+"/shifts", url.Values{"code": {"AM"}, "utc_offset": {"+05:30"}, "starts_at": {"tomorrow"}, "ends_at": {""}}).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-starts_at-err"`, "give a date and time", `id="f-ends_at-err"`)
		admin.post(base+"/shifts", url.Values{"code": {"AM"}, "utc_offset": {"+05:30"}, "starts_at": {"2026-12-01T09:30"}, "late_entry": {"15"}, "ends_at": {"2026-12-01T11:00"}}).
			wantRedirect(t, base+"#shifts-h")
		shifts, err := e.bank.Shifts(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA", examID)
		if err != nil || len(shifts) != 1 {
			t.Fatalf("shifts %v, %v", shifts, err)
		}
		if want := time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC); !shifts[0].StartsAt.Equal(want) || shifts[0].LateEntry != 900 {
			t.Fatalf("shift starts %s with %d s late entry, want %s and 900", shifts[0].StartsAt, shifts[0].LateEntry, want)
		}
		admin.get(base).wantContains(t, "2026-12-01 04:00 UTC", "2026-12-01 09:30 (UTC&#43;05:30)")
		// Open now, for the candidates below.
		now := time.Now().UTC()
		admin.post(base+"/shifts", url.Values{"code": {"NOW"}, "utc_offset": {"+00:00"}, "starts_at": {now.Add(-time.Minute).Format("2006-01-02T15:04")}, "late_entry": {"60"},
			"ends_at": {now.Add(3 * time.Hour).Format("2006-01-02T15:04")}}).wantStatus(t, http.StatusSeeOther)
	})

	t.Run("the candidate template has the documented columns", func(t *testing.T) {
		p := admin.get(base+"/candidates/template.csv").wantStatus(t, http.StatusOK)
		if p.Body != "roll_no,name,shift,extra_time_minutes\r\n" || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("template %q (%s)", p.Body, p.Header.Get("Content-Type"))
		}
	})

	t.Run("a list with bad rows shows every bad row and registers nobody", func(t *testing.T) {
		bad := "roll_no,name,shift,extra_time_minutes\nR1,Asha,NOW,0\nR2,Bilal,EVENING,0\nR1,Chitra,NOW,0\nR4,,NOW,\n"
		p := admin.postMultipart(base+"/candidates", nil, "list.csv", []byte(bad)).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, "3 of 4 rows are not valid; nothing was saved", "Row 2:", `the exam has no shift &#34;EVENING&#34;`, "Row 3:", "roll number R1 is also on row 1", "Row 4:")
		checkHTML(t, p, "en")
		admin.postMultipart(base+"/candidates", nil, "list.csv", []byte("roll,name\nR1,Asha\n")).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, "is not one of roll_no, name, shift, extra_time_minutes")
		admin.postMultipart(base+"/candidates", nil, "", nil).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-file-err"`)
		hi := e.signedIn("admin-a@vidya.test").inHindi()
		p = hi.postMultipart(base+"/candidates", nil, "list.csv", []byte(bad)).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "पंक्ति 2:")
		checkHTML(t, p, "hi")
		cs, err := e.bank.Candidates(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA", examID, "", 50)
		if err != nil || len(cs) != 0 {
			t.Fatalf("%d candidates registered from bad lists (%v)", len(cs), err)
		}
	})

	t.Run("a good list registers everyone", func(t *testing.T) {
		good := "roll_no,name,shift,extra_time_minutes\nR1,Asha Verma,NOW,0\nR2,Bilal Khan,NOW,20\nR3,Chitra Rao,AM,\n"
		admin.postMultipart(base+"/candidates", nil, "list.csv", []byte(good)).wantRedirect(t, base+"#candidates-h")
		p := admin.get(base).wantContains(t, "Candidates registered (added / updated): 3 / 0.", "Asha Verma", "<td>20</td>",
			"<dt>Registered</dt><dd>3</dd>", "<dt>With access codes</dt><dd>0</dd>")
		checkHTML(t, p, "en")
	})

	codes := map[string]string{}
	t.Run("codes download once as CSV; a second run names the reason", func(t *testing.T) {
		p := admin.post(base+"/codes", url.Values{"action": {"issue"}}).wantStatus(t, http.StatusOK)
		if cd := p.Header.Get("Content-Disposition"); cd != `attachment; filename="exam-`+strconv.FormatInt(examID, 10)+`-access-codes.csv"` {
			t.Fatalf("Content-Disposition %q", cd)
		}
		if p.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("codes may be cached: %q", p.Header.Get("Cache-Control"))
		}
		rows := readCSV(t, p.Body)
		if len(rows) != 4 || strings.Join(rows[0], ",") != "roll_no,name,shift,access_code" {
			t.Fatalf("codes CSV %v", rows)
		}
		for _, r := range rows[1:] {
			codes[r[0]] = r[3]
		}
		admin.post(base+"/codes", url.Values{"action": {"issue"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "every candidate has a code already")
		p = admin.post(base+"/codes", url.Values{"action": {"reissue"}, "reissue_roll": {"R3"}}).wantStatus(t, http.StatusOK)
		if rows := readCSV(t, p.Body); len(rows) != 2 || rows[1][0] != "R3" || rows[1][3] == codes["R3"] {
			t.Fatalf("reissued %v", rows)
		}
		admin.post(base+"/codes", url.Values{"action": {"reissue"}, "reissue_roll": {"R9"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `roll number &#34;R9&#34;`)
		admin.post(base+"/codes", url.Values{"action": {"reissue"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-reissue_roll-err"`)
		admin.get(base).wantContains(t, "<dt>With access codes</dt><dd>3</dd>")
	})

	// A candidate sits the exam through delivery, as the runner would.
	d, err := assess.NewDelivery(e.bank, slog.New(slog.NewTextHandler(io.Discard, nil)), assess.DeliveryOptions{Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	sess, err := d.SignIn(t.Context(), "R1", codes["R1"])
	if err != nil {
		t.Fatal(err)
	}
	started, err := d.Start(t.Context(), sess.Ticket)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("time is extended by proctors with a reason; mistakes are shown", func(t *testing.T) {
		pr := e.signedIn("proctor-a@vidya.test")
		p := pr.get(base).wantStatus(t, http.StatusOK).wantContains(t, "Extend time", "<dt>Started</dt><dd>1</dd>").wantLacks(t, "Add a shift", "Asha Verma", "Compute results")
		checkHTML(t, p, "en")
		pr.get("/a/ALPHA").wantContains(t, `href="/a/ALPHA/exams"`)
		pr.get("/a/ALPHA/exams").wantStatus(t, http.StatusOK).wantContains(t, "December final").wantLacks(t, "Schedule an exam")
		pr.post(base+"/extend", url.Values{"roll_no": {"R1"}, "minutes": {"ten"}, "reason": {"power cut"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-minutes-err"`)
		pr.post(base+"/extend", url.Values{"roll_no": {"R1"}, "minutes": {"10"}, "reason": {"x"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-reason-err"`)
		pr.post(base+"/extend", url.Values{"roll_no": {"R404"}, "minutes": {"10"}, "reason": {"power cut"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `roll number &#34;R404&#34;`)
		pr.post(base+"/extend", url.Values{"roll_no": {"R1"}, "minutes": {"10"}, "reason": {"power cut in hall 2"}}).wantRedirect(t, base)
		pr.get(base).wantContains(t, "Time extended for R1.")
		state, err := d.State(t.Context(), started.Ticket)
		if err != nil {
			t.Fatal(err)
		}
		if !state.Deadline.Equal(started.Deadline.Add(10 * time.Minute)) {
			t.Fatalf("deadline %s, want %s", state.Deadline, started.Deadline.Add(10*time.Minute))
		}
	})

	t.Run("computing results is refused while attempts are open, then works", func(t *testing.T) {
		admin.post(base+"/results/compute", nil).wantStatus(t, http.StatusConflict).wantContains(t, "1 attempts are still in progress")
		admin.post(base+"/results/publish", url.Values{"publish": {"1"}}).wantStatus(t, http.StatusConflict).wantContains(t, "compute the results before publishing them")
		if _, err := d.Save(t.Context(), started.Ticket, []assess.Answer{{ItemID: items[0], Seq: 1, Response: &assess.Response{Choices: []string{"B"}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Submit(t.Context(), started.Ticket); err != nil {
			t.Fatal(err)
		}
		if _, err := d.GradeSubmitted(t.Context(), 10); err != nil {
			t.Fatal(err)
		}
		admin.post(base+"/results/compute", nil).wantRedirect(t, base+"#results-h")
		queued := admin.get(base).wantContains(t, "Results are being computed in the background", `<meta http-equiv="refresh" content="3">`).wantLacks(t, "Merit list", "Publish results")
		checkHTML(t, queued, "en")
		// The worker's job, run here in step.
		if n, err := e.bank.RunQueuedResults(t.Context()); err != nil || n != 1 {
			t.Fatalf("computed %d, %v", n, err)
		}
		p := admin.get(base).wantContains(t, "Results computed at", "Merit list", "Asha Verma", "Test statistics", "Reliability", `/histogram.svg?lang=en"`,
			"Item analysis", "Publish results", "They are not published to candidates.")
		checkHTML(t, p, "en")
		p = admin.inHindi().get(base).wantContains(t, "योग्यता सूची", "/histogram.svg?lang=hi")
		checkHTML(t, p, "hi")
		svg := admin.get(base+"/histogram.svg?lang=hi").wantStatus(t, http.StatusOK).wantContains(t, "अंकों का वितरण", "<svg")
		if svg.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("chart Content-Type %q", svg.Header.Get("Content-Type"))
		}
		admin.get(base+"/histogram.svg?lang=en").wantContains(t, "Score distribution")
		admin.c.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: langCookie, Value: "en", Path: "/"}})
		admin.post(base+"/results/publish", url.Values{"publish": {"1"}}).wantRedirect(t, base+"#results-h")
		admin.get(base).wantContains(t, "Results published to candidates.", "Unpublish results")
		admin.post(base+"/results/publish", url.Values{"publish": {"0"}}).wantRedirect(t, base+"#results-h")
		admin.get(base).wantContains(t, "Results hidden from candidates.", "Publish results")
	})

	t.Run("graders and approvers look; only administrators act; other authorities get 404", func(t *testing.T) {
		grader := e.signedIn("grader-a@vidya.test")
		p := grader.get(base).wantStatus(t, http.StatusOK).wantContains(t, "Asha Verma", "Merit list").wantLacks(t, "Add a shift", "Compute results", "Extend time", "Issue codes")
		checkHTML(t, p, "en")
		grader.get("/a/ALPHA/exams").wantLacks(t, "Schedule an exam")
		grader.post(base+"/shifts", url.Values{"code": {"PM"}, "utc_offset": {"+05:30"}, "starts_at": {"2026-12-01T14:00"}, "ends_at": {"2026-12-01T16:00"}}).wantStatus(t, http.StatusForbidden)
		grader.post(base+"/codes", url.Values{"action": {"issue"}}).wantStatus(t, http.StatusForbidden)
		grader.post(base+"/extend", url.Values{"roll_no": {"R2"}, "minutes": {"5"}, "reason": {"power cut"}}).wantStatus(t, http.StatusForbidden)
		grader.post(base+"/results/compute", nil).wantStatus(t, http.StatusForbidden)
		grader.post("/a/ALPHA/exams", url.Values{"test_id": {strconv.FormatInt(paper, 10)}, "title": {"Mine"}}).wantStatus(t, http.StatusForbidden)
		e.signedIn("approver-a@vidya.test").get(base).wantStatus(t, http.StatusOK)
		e.signedIn("author-a@vidya.test").get(base).wantStatus(t, http.StatusForbidden)
		e.signedIn("learner-a@vidya.test").get("/a/ALPHA/exams").wantStatus(t, http.StatusForbidden)
		other := e.signedIn("admin-b@vidya.test")
		other.get(base).wantStatus(t, http.StatusNotFound)
		other.get("/a/BETA/exams/"+strconv.FormatInt(examID, 10)).wantStatus(t, http.StatusNotFound)
		other.post("/a/BETA/exams/"+strconv.FormatInt(examID, 10)+"/codes", url.Values{"action": {"issue"}}).wantStatus(t, http.StatusNotFound)
		other.get("/a/BETA/exams/"+strconv.FormatInt(examID, 10)+"/candidates/template.csv").wantStatus(t, http.StatusNotFound)
		admin.get("/a/ALPHA/exams/999999").wantStatus(t, http.StatusNotFound)
		admin.post("/a/ALPHA/exams/999999/codes", url.Values{"action": {"issue"}}).wantStatus(t, http.StatusNotFound)
		e.client().get(base).wantStatus(t, http.StatusSeeOther)
	})
}

func TestItemAnalysisFlags(t *testing.T) {
	e := newEnv(t)
	w, err := New(Config{Identity: e.svc, Bank: e.bank, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	d := &examPageData{A: &identity.Authority{Code: "ALPHA"}, E: assess.ExamInfo{ID: 4}}
	rep := &analysis.ItemReport{Test: analysis.TestStats{N: 40, Mean: 12.5, Median: 12, Alpha: analysis.Reliability{Alpha: 0.81, Available: true, Items: 7, Common: true},
		Histogram: analysis.Histogram{Start: 0, Width: 5, Counts: []int{3, 10, 20, 7}}},
		Items: []analysis.ItemStats{
			{Item: 7, N: 40, Facility: 0.4, Discrimination: -0.3, Flags: analysis.Negative, Options: []analysis.OptionShare{{Option: "A", Share: 0.5, TopShare: 0.7, BottomShare: 0.2}}},
			{Item: 8, N: 40, Facility: 1, Flags: analysis.NoVariance | analysis.TooEasy}}}
	w.analysisView(d, rep, "en")
	if d.Stats.Alpha != "0.81" || !strings.Contains(d.Stats.AlphaNote, "7 items every paper had") {
		t.Errorf("alpha %q, note %q", d.Stats.Alpha, d.Stats.AlphaNote)
	}
	if d.Histogram != "/a/ALPHA/exams/4/histogram.svg?lang=en" || !strings.Contains(d.HistogramAlt, "40 candidates") {
		t.Errorf("chart %q, alt %q", d.Histogram, d.HistogramAlt)
	}
	neg, flat := d.Items[0], d.Items[1]
	if !neg.Negative || len(neg.Flags) != 1 || !neg.Flags[0].Bad || neg.Flags[0].Text != "negative: check the key" {
		t.Errorf("negative item %+v", neg)
	}
	if neg.Options[0].Share != "50%" || neg.Options[0].TopShare != "70%" || neg.Options[0].BotShare != "20%" || neg.Options[1].Option != "not answered" {
		t.Errorf("option shares %+v", neg.Options)
	}
	if flat.Negative || flat.Discrimination != "—" || len(flat.Flags) != 2 || flat.Flags[0].Bad {
		t.Errorf("flat item %+v", flat)
	}
	w.analysisView(d, &analysis.ItemReport{Test: analysis.TestStats{N: 1}}, "hi")
	if d.Stats.Alpha != "—" || !strings.Contains(d.Stats.AlphaNote, "उपलब्ध नहीं") || d.Histogram != "" {
		t.Errorf("unavailable alpha %+v, chart %q", d.Stats, d.Histogram)
	}
}
