package web

import (
	"fmt"
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
)

// essayExam is an exam of ALPHA with two single-choice questions and an
// essay (10 marks), open now, with candidates R1 and R2 registered.
type essayExam struct {
	id      int64
	base    string
	items   []int64
	essay   int64
	shift   assess.Shift
	tickets map[string]string
}

func (e *env) essayExam(t *testing.T) *essayExam {
	t.Helper()
	ctx := t.Context()
	author, approver, admin := e.principal(t, "admin-a@vidya.test"), e.principal(t, "approver-a@vidya.test"), e.principal(t, "admin-a@vidya.test")
	x := &essayExam{items: e.publishedItems(t, 2, "science"), tickets: map[string]string{}}
	it, err := e.bank.CreateItem(ctx, author, "ALPHA", &assess.Item{Type: assess.Essay, Title: "Essay on heat",
		Text: map[string]assess.Text{
			"en": {Stem: "Explain **why** metal feels cold.", Explanation: "Award marks for *conduction*."},
			"hi": {Stem: "धातु ठंडी क्यों लगती है, समझाइए।", Explanation: "चालन के लिए अंक दें।"}},
		Scoring: assess.Scoring{Marks: 10}, Tags: assess.Tags{Topic: "science"}})
	if err != nil {
		t.Fatal(err)
	}
	if it, err = e.bank.SetStatus(ctx, approver, "ALPHA", it.ID, it.Revision, assess.Reviewed); err != nil {
		t.Fatal(err)
	}
	if _, err = e.bank.SetStatus(ctx, approver, "ALPHA", it.ID, it.Revision, assess.Published); err != nil {
		t.Fatal(err)
	}
	x.essay = it.ID
	paper := e.publishedPaper(t, append(append([]int64{}, x.items...), x.essay))
	ex, err := e.bank.CreateExam(ctx, admin, "ALPHA", paper, 0, "Essay exam")
	if err != nil {
		t.Fatal(err)
	}
	x.id, x.base = ex.ID, "/a/ALPHA/exams/"+strconv.FormatInt(ex.ID, 10)
	now := time.Now().UTC().Truncate(time.Second)
	x.shift = assess.Shift{Code: "NOW", StartsAt: now.Add(-time.Minute), LateEntry: 600, EndsAt: now.Add(45 * time.Minute)}
	if _, err := e.bank.AddShift(ctx, admin, "ALPHA", ex.ID, x.shift); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bank.RegisterCandidates(ctx, admin, "ALPHA", ex.ID, []assess.Candidate{{RollNo: "R1", Name: "Asha Secretname", Shift: "NOW"}, {RollNo: "R2", Name: "Bilal Hiddenname", Shift: "NOW"}}); err != nil {
		t.Fatal(err)
	}
	codes, err := e.bank.IssueCodes(ctx, admin, "ALPHA", ex.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range codes {
		s, err := e.delivery.SignIn(ctx, c.RollNo, c.Code)
		if err != nil {
			t.Fatal(err)
		}
		x.tickets[c.RollNo] = s.Ticket
	}
	return x
}

// sit starts, answers and submits every candidate's attempt and grades
// them; R1 answers the essay with essay.
func (x *essayExam) sit(t *testing.T, e *env, essay string) {
	t.Helper()
	ctx := t.Context()
	for roll, tk := range x.tickets {
		st, err := e.delivery.Start(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		x.tickets[roll] = st.Ticket
		text := essay
		if roll != "R1" {
			text = "Because it conducts heat away.\nThat is all."
		}
		if _, err := e.delivery.Save(ctx, st.Ticket, []assess.Answer{
			{ItemID: x.items[0], Seq: 1, Response: &assess.Response{Choices: []string{"B"}}},
			{ItemID: x.essay, Seq: 2, Response: &assess.Response{Text: text}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.delivery.Submit(ctx, st.Ticket); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.delivery.GradeSubmitted(ctx, 100); err != nil {
		t.Fatal(err)
	}
}

var scriptRE = regexp.MustCompile(`/marking/scripts/([0-9a-f]{24})"`)

// reserve asks for the next answer and returns the page and its reference.
func reserve(t *testing.T, c *client, base string) (*page, string) {
	t.Helper()
	p := c.post(base+"/marking/next", url.Values{}).wantStatus(t, http.StatusOK)
	m := scriptRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no answer reserved:\n%s", p.Body)
	}
	return p, m[1]
}

func TestMarkingPage(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t)
	x := e.essayExam(t)
	admin, grader, approver := e.signedIn("admin-a@vidya.test"), e.signedIn("grader-a@vidya.test"), e.signedIn("approver-a@vidya.test")

	t.Run("the exam page links to marking and challenges", func(t *testing.T) {
		admin.get(x.base).wantStatus(t, http.StatusOK).wantContains(t, `href="`+x.base+`/marking"`, `href="`+x.base+`/challenges"`)
		grader.get(x.base).wantStatus(t, http.StatusOK).wantContains(t, `href="`+x.base+`/marking"`).wantLacks(t, `href="`+x.base+`/challenges"`)
	})

	t.Run("others are refused: a learner, another authority, an unknown exam", func(t *testing.T) {
		e.signedIn("learner-a@vidya.test").get(x.base+"/marking").wantStatus(t, http.StatusForbidden)
		e.signedIn("learner-a@vidya.test").post(x.base+"/marking/next", url.Values{}).wantStatus(t, http.StatusForbidden)
		e.signedIn("admin-b@vidya.test").get(x.base+"/marking").wantStatus(t, http.StatusNotFound)
		e.signedIn("admin-b@vidya.test").post(x.base+"/marking/settings", url.Values{"step": {"1"}}).wantStatus(t, http.StatusNotFound)
		e.signedIn("admin-b@vidya.test").get("/a/BETA/exams/"+strconv.FormatInt(x.id, 10)+"/marking").wantStatus(t, http.StatusNotFound)
		admin.get("/a/ALPHA/exams/999999/marking").wantStatus(t, http.StatusNotFound)
		e.client().get(x.base+"/marking").wantStatus(t, http.StatusSeeOther)
	})

	t.Run("before marking an administrator sets the rules; bad ones are refused", func(t *testing.T) {
		p := admin.get(x.base+"/marking").wantStatus(t, http.StatusOK).wantContains(t, "Marking settings", `action="`+x.base+`/marking/settings"`, "Single marking; scores in steps of 0.5.")
		checkHTML(t, p, "en")
		grader.get(x.base+"/marking").wantStatus(t, http.StatusOK).wantLacks(t, "Marking settings")
		p = admin.post(x.base+"/marking/settings", url.Values{"tolerance": {"2"}, "step": {"0.5"}}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, "applies to double marking only", `id="f-tolerance-err"`)
		checkHTML(t, p, "en")
		admin.post(x.base+"/marking/settings", url.Values{"double_marking": {"1"}, "tolerance": {"x"}, "step": {"0.3"}}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-tolerance-err"`, `id="f-step-err"`, "give a number")
		p = e.signedIn("admin-a@vidya.test").inHindi().post(x.base+"/marking/settings", url.Values{"tolerance": {"2"}, "step": {"0.5"}}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, "सहनसीमा (अंक)")
		checkHTML(t, p, "hi")
		grader.post(x.base+"/marking/settings", url.Values{"double_marking": {"1"}, "tolerance": {"1"}, "step": {"0.5"}}).wantStatus(t, http.StatusForbidden)
		if s, _ := e.delivery.MarkingSettings(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA", x.id); s.DoubleMarking {
			t.Fatal("a refused form changed the settings")
		}
		admin.post(x.base+"/marking/settings", url.Values{"double_marking": {"1"}, "tolerance": {"1"}, "step": {"0.5"}}).wantRedirect(t, x.base+"/marking")
		admin.get(x.base+"/marking").wantContains(t, "Marking settings saved.", "Double marking; tolerance 1 marks; scores in steps of 0.5.")
	})

	x.sit(t, e, "Metal <b>conducts</b> heat\naway from the hand.")

	var ref string
	t.Run("a grader gets an answer blind, with the question and rubric", func(t *testing.T) {
		p := grader.get(x.base+"/marking").wantStatus(t, http.StatusOK).wantContains(t, `<dd id="m-answers">2</dd>`, "Mark the next answer")
		checkHTML(t, p, "en")
		admin.get(x.base+"/marking").wantLacks(t, "Marking settings")
		p, ref = reserve(t, grader, x.base)
		p.wantContains(t, "Explain <strong>why</strong> metal feels cold.", "Award marks for <em>conduction</em>.", `max="10"`, `step="0.5"`, "Mark 1").
			wantLacks(t, "Secretname", "Hiddenname", "R1", "R2")
		checkHTML(t, p, "en")
		if strings.Contains(p.Body, "Metal <b>conducts") {
			t.Error("the answer is not escaped")
		}
		// Asking again returns the one held.
		if _, again := reserve(t, grader, x.base); again != ref {
			t.Errorf("asking again gave %s, want the held %s", again, ref)
		}
	})

	t.Run("a bad score shows the service's message and the answer again", func(t *testing.T) {
		p := grader.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"11"}, "comment": {"too many"}}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, "must be from 0 to 10", `id="f-score-err"`, "/marking/scripts/"+ref, "too many")
		checkHTML(t, p, "en")
		grader.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"2.3"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "must be in steps of 0.5")
		grader.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"six"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "give a number")
		p = e.signedIn("grader-a@vidya.test").inHindi().post(x.base+"/marking/scripts/"+ref, url.Values{"score": {""}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "अंक")
		checkHTML(t, p, "hi")
		if pr, _ := e.delivery.MarkingProgress(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA", x.id); pr.FirstMarked != 0 {
			t.Fatalf("a refused mark was recorded: %+v", pr)
		}
	})

	t.Run("someone else's reservation is refused with the service's message", func(t *testing.T) {
		p := admin.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"5"}}).wantStatus(t, http.StatusConflict).
			wantContains(t, `id="m-message"`, "not reserved for you", "Mark the next answer")
		checkHTML(t, p, "en")
		admin.post(x.base+"/marking/scripts/0123456789abcdef01234567", url.Values{"score": {"5"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "no script")
	})

	t.Run("a mark is saved and the next answer offered", func(t *testing.T) {
		grader.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"6"}, "comment": {"clear"}}).wantRedirect(t, x.base+"/marking")
		grader.get(x.base+"/marking").wantContains(t, "Mark saved.", "Mark the next answer")
		grader.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"6"}}).wantStatus(t, http.StatusConflict)
	})

	t.Run("two marks too far apart go to moderation, where the moderator sees both", func(t *testing.T) {
		// The administrator's first answer is the one the grader marked:
		// it has waited longest.
		p, aref := reserve(t, admin, x.base)
		if aref != ref {
			t.Fatalf("second marker got %s, want %s", aref, ref)
		}
		p.wantContains(t, "Mark 2").wantLacks(t, "clear") // blind to the first mark
		admin.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"9"}}).wantRedirect(t, x.base+"/marking")
		admin.get(x.base+"/marking").wantContains(t, "goes to moderation", `<dd>1</dd>`)
		p, mref := reserve(t, approver, x.base)
		if mref != ref {
			t.Fatalf("moderator got %s, want %s", mref, ref)
		}
		p.wantContains(t, "Moderation: your score is final", `id="m-prior"`, "<td>6</td><td>clear</td>", "<td>9</td>")
		checkHTML(t, p, "en")
		approver.post(x.base+"/marking/scripts/"+ref, url.Values{"score": {"7"}}).wantRedirect(t, x.base+"/marking")
		approver.get(x.base+"/marking").wantContains(t, "The answer&#39;s final score is 7.", `<dd id="m-final">1</dd>`)
		// The approver only moderates: nothing else is theirs.
		approver.post(x.base+"/marking/next", url.Values{}).wantStatus(t, http.StatusOK).wantContains(t, `id="m-nothing"`)
	})

	t.Run("after marking starts the settings are fixed", func(t *testing.T) {
		admin.post(x.base+"/marking/settings", url.Values{"step": {"1"}}).wantStatus(t, http.StatusConflict).wantContains(t, "marking of this exam has started")
	})
}

func TestChallengesPage(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t)
	x := e.essayExam(t)
	admin := e.signedIn("admin-a@vidya.test")
	x.sit(t, e, "Heat flows out.")

	t.Run("only administrators of the authority see it", func(t *testing.T) {
		e.signedIn("learner-a@vidya.test").get(x.base+"/challenges").wantStatus(t, http.StatusForbidden)
		e.signedIn("grader-a@vidya.test").get(x.base+"/challenges").wantStatus(t, http.StatusForbidden)
		e.signedIn("approver-a@vidya.test").post(x.base+"/challenges/regrade", url.Values{}).wantStatus(t, http.StatusForbidden)
		e.signedIn("admin-b@vidya.test").get(x.base+"/challenges").wantStatus(t, http.StatusNotFound)
		e.signedIn("admin-b@vidya.test").post(x.base+"/challenges/window", url.Values{}).wantStatus(t, http.StatusNotFound)
		admin.get("/a/ALPHA/exams/999999/challenges").wantStatus(t, http.StatusNotFound)
		p := admin.get(x.base+"/challenges").wantStatus(t, http.StatusOK).wantContains(t, "No candidate has challenged the key.", "Challenge window", "make")
		checkHTML(t, p, "en")
		p = e.signedIn("admin-a@vidya.test").inHindi().get(x.base+"/challenges").wantStatus(t, http.StatusOK).wantContains(t, "किसी अभ्यर्थी ने कुंजी को चुनौती नहीं दी है।")
		checkHTML(t, p, "hi")
	})

	ist := time.FixedZone("IST", 5*3600+1800)
	at := func(d time.Duration) string { return x.shift.EndsAt.Add(d).In(ist).Format("2006-01-02T15:04") }
	t.Run("the window is refused before the last shift ends or when inverted", func(t *testing.T) {
		p := admin.post(x.base+"/challenges/window", url.Values{"utc_offset": {"+05:30"}, "opens_at": {at(-time.Hour)}, "closes_at": {at(time.Hour)}}).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-opens_at-err"`, "must not be before the last shift ends")
		checkHTML(t, p, "en")
		admin.post(x.base+"/challenges/window", url.Values{"utc_offset": {"+05:30"}, "opens_at": {at(2 * time.Hour)}, "closes_at": {at(time.Hour)}}).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-closes_at-err"`, "must be after opens_at")
		admin.post(x.base+"/challenges/window", url.Values{"utc_offset": {"bad"}, "opens_at": {"soon"}}).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-utc_offset-err"`, `id="f-opens_at-err"`, `id="f-closes_at-err"`, "give a date and time")
	})

	t.Run("the window is typed in a UTC offset and stored in UTC", func(t *testing.T) {
		admin.get(x.base+"/challenges").wantContains(t, "No window is set")
		admin.post(x.base+"/challenges/window", url.Values{"utc_offset": {"+05:30"}, "opens_at": {at(time.Minute)}, "closes_at": {at(48 * time.Hour)}}).
			wantRedirect(t, x.base+"/challenges")
		want := x.shift.EndsAt.Add(time.Minute).Truncate(time.Minute).Format("2006-01-02 15:04")
		admin.get(x.base+"/challenges").wantContains(t, "The challenge window is set: "+want, "The window is set: from "+want+" UTC")
	})

	// Candidates file challenges while the window is open: a second
	// Delivery over the same database, its clock an hour into the window.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	later, err := assess.NewDelivery(e.bank, log, assess.DeliveryOptions{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return x.shift.EndsAt.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(later.Close)
	for i, roll := range []string{"R1", "R2"} {
		if _, err := later.Challenge(t.Context(), x.tickets[roll], assess.ChallengeInput{ItemID: x.items[0], Reason: fmt.Sprintf("Option A is also right, reason %d", i),
			Proposed: &assess.Response{Choices: []string{"A"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := later.Challenge(t.Context(), x.tickets["R1"], assess.ChallengeInput{ItemID: x.essay, Reason: "The essay question is unclear"}); err != nil {
		t.Fatal(err)
	}
	q := strconv.FormatInt(x.items[0], 10)

	t.Run("challenges are listed by question with reasons, the question and its key", func(t *testing.T) {
		p := admin.get(x.base+"/challenges").wantStatus(t, http.StatusOK).
			wantContains(t, "Question "+q+" · 2 challenges", "Option A is also right, reason 0", "Option A is also right, reason 1", "What is 0 + 1?",
				`<strong class="c-key">B</strong>`, `id="k-`+q+`-B" name="choice" value="B" checked`, "The essay question is unclear").
			wantLacks(t, "Secretname", "R1")
		checkHTML(t, p, "en")
		if strings.Index(p.Body, "reason 0") > strings.Index(p.Body, "essay question is unclear") {
			t.Error("the most challenged question is not first")
		}
	})

	t.Run("a bad decision is refused and changes nothing", func(t *testing.T) {
		p := admin.post(x.base+"/challenges/"+q+"/decision", url.Values{"action": {"accept"}, "by_choice": {"1"}}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="decision-errors-`+q+`"`, "Corrected key")
		checkHTML(t, p, "en")
		admin.post(x.base+"/challenges/"+q+"/decision", url.Values{"action": {"accept"}, "choice": {"Z"}, "by_choice": {"1"}}).wantStatus(t, http.StatusUnprocessableEntity)
		admin.post(x.base+"/challenges/"+q+"/decision", url.Values{"action": {"maybe"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "must be reject, accept or drop")
		es := strconv.FormatInt(x.essay, 10)
		admin.post(x.base+"/challenges/"+es+"/decision", url.Values{"action": {"drop"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "marked by markers, not by a key")
		admin.post(x.base+"/challenges/999999/decision", url.Values{"action": {"reject"}}).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "not in this exam")
		e.signedIn("grader-a@vidya.test").post(x.base+"/challenges/"+q+"/decision", url.Values{"action": {"reject"}}).wantStatus(t, http.StatusForbidden)
		list, err := e.delivery.Challenges(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA", x.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			if c.Decision != nil {
				t.Fatalf("a refused decision was stored: %+v", c.Decision)
			}
		}
	})

	t.Run("accepting a corrected key regrades the attempts", func(t *testing.T) {
		admin.post(x.base+"/challenges/"+q+"/decision", url.Values{"action": {"accept"}, "by_choice": {"1"}, "choice": {"A"}, "note": {"both accepted"}}).
			wantRedirect(t, x.base+"/challenges#q-"+q)
		p := admin.get(x.base+"/challenges").wantContains(t, "The key of question "+q+" has been decided.", "Accepted: the key was corrected", "new key: A", "both accepted",
			"still being applied")
		checkHTML(t, p, "en")
		admin.post(x.base+"/challenges/"+q+"/decision", url.Values{"action": {"reject"}}).wantStatus(t, http.StatusConflict).wantContains(t, "decided already")
		admin.post(x.base+"/challenges/regrade", url.Values{}).wantRedirect(t, x.base+"/challenges#regrade-h")
		admin.get(x.base+"/challenges").wantContains(t, "Regrading run: 2 attempts changed in all.", "Regrading done: 2 attempts changed.", "Every accepted or dropped key has been applied.")
		es := strconv.FormatInt(x.essay, 10)
		admin.post(x.base+"/challenges/"+es+"/decision", url.Values{"action": {"reject"}}).wantRedirect(t, x.base+"/challenges#q-"+es)
		admin.get(x.base+"/challenges").wantContains(t, "Rejected: the key stands")
	})
}

func TestExamResultsFragment(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		lang       string
		want, lack []string
	}{
		{"en", []string{`id="x-res-open"`, "My result", `<data value="res_unpublished">The results of this exam are not published yet.`, `<data value="ch_status_accept">`, "Challenge the answer key"}, []string{"मेरा परिणाम"}},
		{"hi", []string{"मेरा परिणाम", "उत्तर कुंजी को चुनौती दें", `<data value="ch_status_pending">विचाराधीन</data>`}, []string{"My result", "Challenge the answer key"}},
	} {
		t.Run("the runner's result views load in "+tc.lang+" with no script", func(t *testing.T) {
			c := e.client()
			if tc.lang == "hi" {
				c.inHindi()
			}
			p := c.get("/exam/results").wantStatus(t, http.StatusOK).wantContains(t, tc.want...).wantLacks(t, tc.lack...).wantLacks(t, "<script", " onclick=", " style=")
			if ct := p.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" || p.Header.Get("Content-Language") != tc.lang {
				t.Errorf("Content-Type %q, Content-Language %q", ct, p.Header.Get("Content-Language"))
			}
		})
	}
	t.Run("the exam-day shell stays within the page budget without them", func(t *testing.T) {
		p := e.client().inHindi().get("/exam/").wantStatus(t, http.StatusOK).wantContains(t, `id="x-res-box"`).wantLacks(t, `id="x-res-open"`)
		checkHTML(t, p, "hi")
	})
}
