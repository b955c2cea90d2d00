package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
)

// principal signs a test user in to the services directly, for setting
// up data the pages then show.
func (e *env) principal(t *testing.T, email string) *identity.Principal {
	t.Helper()
	tok, err := e.svc.StartSessionFor(t.Context(), e.users[email].ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// publishedItems adds n published bilingual single-choice items to ALPHA
// under topic and returns their ids.
func (e *env) publishedItems(t *testing.T, n int, topic string) []int64 {
	t.Helper()
	author, approver := e.principal(t, "admin-a@vidya.test"), e.principal(t, "approver-a@vidya.test")
	var ids []int64
	for i := range n {
		it, err := e.bank.CreateItem(t.Context(), author, "ALPHA", &assess.Item{Type: assess.SingleChoice, Title: fmt.Sprintf("%s question %d", topic, i+1),
			Text: map[string]assess.Text{
				"en": {Stem: fmt.Sprintf("What is %d + 1?", i), Choices: map[string]string{"A": "wrong", "B": "right"}},
				"hi": {Stem: fmt.Sprintf("%d + 1 कितना है?", i), Choices: map[string]string{"A": "ग़लत", "B": "सही"}}},
			Choices: []assess.Choice{{ID: "A"}, {ID: "B"}}, Key: assess.Key{Choices: []string{"B"}}, Scoring: assess.Scoring{Marks: 1},
			Tags: assess.Tags{Topic: topic, Difficulty: "easy"}})
		if err != nil {
			t.Fatal(err)
		}
		if it, err = e.bank.SetStatus(t.Context(), approver, "ALPHA", it.ID, it.Revision, assess.Reviewed); err != nil {
			t.Fatal(err)
		}
		if _, err = e.bank.SetStatus(t.Context(), approver, "ALPHA", it.ID, it.Revision, assess.Published); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	return ids
}

// examPaperForm is a valid editor form for a one-section exam paper with
// the items fixed.
func examPaperForm(title string, items ...int64) url.Values {
	v := url.Values{"kind": {"exam"}, "title": {title}, "languages": {"en", "hi"}, "duration": {"30"}, "navigation": {"free"}, "feedback": {"none"},
		"nsections": {"1"}, "sections.0.id": {"A"}, "sections.0.nquestions": {strconv.Itoa(len(items))}, "sections.0.npools": {"0"},
		"sections.0.marking.marks": {"4"}, "sections.0.marking.penalty": {"1"}, "action": {"save"}}
	for j, id := range items {
		v.Set(fmt.Sprintf("sections.0.questions.%d.item_id", j), strconv.FormatInt(id, 10))
	}
	return v
}

var testURLRE = regexp.MustCompile(`^/a/ALPHA/tests/(\d+)$`)

func (e *env) testCount(t *testing.T) int {
	t.Helper()
	list, _, err := e.bank.ListTests(t.Context(), e.principal(t, "admin-a@vidya.test"), "ALPHA", "", "", 200)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestTestEditor(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t)
	items := e.publishedItems(t, 3, "maths")
	admin := e.signedIn("admin-a@vidya.test")

	t.Run("the list offers both kinds to authors and the editor starts with one section", func(t *testing.T) {
		admin.get("/a/ALPHA").wantContains(t, `href="/a/ALPHA/tests"`, `href="/a/ALPHA/exams"`)
		admin.get("/a/ALPHA/tests").wantStatus(t, http.StatusOK).wantContains(t, "New mock test", "New exam paper", "No tests yet.")
		p := admin.get("/a/ALPHA/tests/new?kind=exam").wantStatus(t, http.StatusOK).
			wantContains(t, "New Exam paper", `name="sections.0.id" type="text" value="A"`, `name="nsections" value="1"`, `value="save"`).
			wantLacks(t, `id="f-feedback"`, "/publish")
		checkHTML(t, p, "en")
		admin.get("/a/ALPHA/tests/new?kind=mock").wantContains(t, `id="f-feedback"`)
		admin.get("/a/ALPHA/tests/new?kind=quiz").wantStatus(t, http.StatusNotFound)
	})

	t.Run("adding and removing sections, questions and pools re-renders without saving", func(t *testing.T) {
		f := examPaperForm("Draft paper", items[0])
		f.Set("action", "add_section")
		p := admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusOK).
			wantContains(t, `name="nsections" value="2"`, `name="sections.1.id" type="text" value="B"`, `value="Draft paper"`,
				`name="sections.0.questions.0.item_id" type="text" value="`+strconv.FormatInt(items[0], 10)+`"`, "maths question 1")
		checkHTML(t, p, "en")
		f.Set("action", "add_pool:0")
		admin.post("/a/ALPHA/tests/new", f).wantContains(t, `name="sections.0.npools" value="1"`, `name="sections.0.pools.0.count" type="text" value="1"`)
		f.Set("action", "add_question:0")
		admin.post("/a/ALPHA/tests/new", f).wantContains(t, `name="sections.0.nquestions" value="2"`, `id="f-sections.0.questions.1.item_id"`)
		f.Set("action", "remove_question:0:0")
		admin.post("/a/ALPHA/tests/new", f).wantContains(t, `name="sections.0.nquestions" value="0"`).wantLacks(t, "maths question 1")
		f.Set("action", "remove_section:0")
		admin.post("/a/ALPHA/tests/new", f).wantContains(t, `name="nsections" value="0"`)
		f.Set("action", "remove_pool:0:7") // out of range: nothing to remove
		admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusOK).wantContains(t, `name="nsections" value="1"`)
		f.Set("action", "launch_missiles")
		admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusBadRequest)
		if n := e.testCount(t); n != 0 {
			t.Fatalf("%d tests saved by re-rendering", n)
		}
	})

	t.Run("the bank search lists published items and adds one to the chosen section", func(t *testing.T) {
		f := examPaperForm("Search paper")
		f.Set("nsections", "2")
		f.Set("sections.1.id", "B")
		f.Set("search.q", "maths question 2")
		f.Set("search.section", "1")
		f.Set("action", "search")
		p := admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusOK).wantContains(t, "maths question 2", fmt.Sprintf(`value="add_item:%d"`, items[1]))
		checkHTML(t, p, "en")
		f.Set("action", fmt.Sprintf("add_item:%d", items[1]))
		admin.post("/a/ALPHA/tests/new", f).wantContains(t, `name="sections.1.nquestions" value="1"`,
			fmt.Sprintf(`name="sections.1.questions.0.item_id" type="text" value="%d"`, items[1]))
		f.Set("search.q", "no such words anywhere")
		f.Set("action", "search")
		admin.post("/a/ALPHA/tests/new", f).wantContains(t, "No published items match.")
	})

	t.Run("an invalid definition shows field errors beside the fields and saves nothing", func(t *testing.T) {
		f := examPaperForm("", items[0], items[0])
		f.Set("sections.0.npools", "1")
		f.Set("sections.0.pools.0.count", "0")
		p := admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-title-err"`, `id="f-sections.0.pools.0.count-err"`, `id="f-sections.0.questions.1.item_id-err"`,
				"Section 1 › pool 1 › Items to draw", `href="#f-sections.0.pools.0.count"`, "must be at least 1")
		checkHTML(t, p, "en")
		f = examPaperForm("Not a number", items[0])
		f.Set("sections.0.marking.marks", "NaN")
		f.Set("sections.0.marking.penalty", "+Inf")
		admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-sections.0.marking.marks-err"`, `id="f-sections.0.marking.penalty-err"`)
		f = examPaperForm("Bad numbers", items[0])
		f.Set("duration", "half an hour")
		f.Set("sections.0.marking.marks", "four")
		admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, `id="f-duration-err"`, "Give a number of minutes.", `id="f-sections.0.marking.marks-err"`)
		hi := e.signedIn("admin-a@vidya.test").inHindi()
		p = hi.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "मिनटों की संख्या दें।", "खंड 1")
		checkHTML(t, p, "hi")
		if n := e.testCount(t); n != 0 {
			t.Fatalf("%d tests saved from invalid forms", n)
		}
	})

	var testPath string
	t.Run("saving creates the test; the page shows it with its revision", func(t *testing.T) {
		p := admin.post("/a/ALPHA/tests/new", examPaperForm("Maths final", items[0], items[1])).wantStatus(t, http.StatusSeeOther)
		testPath = p.Header.Get("Location")
		if !testURLRE.MatchString(testPath) {
			t.Fatalf("saved test redirects to %q", testPath)
		}
		p = admin.get(testPath).wantStatus(t, http.StatusOK).wantContains(t, "Test saved.", "Maths final", `name="revision" value="1"`,
			`action="`+testPath+`/publish"`, "maths question 2")
		checkHTML(t, p, "en")
		p = admin.inHindi().get(testPath).wantStatus(t, http.StatusOK).wantContains(t, "प्रकाशित करें")
		checkHTML(t, p, "hi")
		admin.c.Jar.SetCookies(mustURL(e.srv.URL), []*http.Cookie{{Name: langCookie, Value: "en", Path: "/"}})
		admin.get("/a/ALPHA/tests?kind=exam").wantContains(t, "Maths final", "Exam paper")
		admin.get("/a/ALPHA/tests?kind=mock").wantLacks(t, "Maths final")
	})

	t.Run("a stale revision is refused and the kind cannot change", func(t *testing.T) {
		f := examPaperForm("Maths final, again", items[0])
		f.Set("revision", "1")
		admin.post(testPath, f).wantStatus(t, http.StatusSeeOther)
		admin.post(testPath, f).wantStatus(t, http.StatusConflict).wantContains(t, "Not saved.", "changed by someone else")
		f.Set("revision", "2")
		f.Set("kind", "mock")
		admin.post(testPath, f).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, "cannot change once the test exists")
	})

	t.Run("publishing shows what it froze; publishing again is refused with the reason", func(t *testing.T) {
		approver := e.signedIn("approver-a@vidya.test")
		approver.get(testPath).wantContains(t, "/publish").wantLacks(t, `value="save"`)
		p := approver.post(testPath+"/publish", url.Values{"revision": {"2"}}).wantRedirect(t, testPath)
		_ = p
		approver.get(testPath).wantStatus(t, http.StatusOK).wantContains(t, "Published. Version / items frozen: 1 / 1.", "Published versions", "<th scope=\"row\">1</th><td>1</td>")
		approver.post(testPath+"/publish", url.Values{"revision": {"3"}}).wantStatus(t, http.StatusConflict).wantContains(t, "already published as version 1")
	})

	t.Run("a pool short of items is refused at publish with the count", func(t *testing.T) {
		f := examPaperForm("Pool paper")
		f.Set("sections.0.npools", "1")
		f.Set("sections.0.pools.0.count", "10")
		f.Set("sections.0.pools.0.topic", "maths")
		p := admin.post("/a/ALPHA/tests/new", f).wantStatus(t, http.StatusSeeOther)
		path := p.Header.Get("Location")
		admin.post(path+"/publish", url.Values{"revision": {"1"}}).wantStatus(t, http.StatusUnprocessableEntity).
			wantContains(t, "only 3 published items in en, hi match this pool", "it needs 10", `id="f-sections.0.pools.0.count-err"`)
		admin.get(path).wantLacks(t, "Published versions")
	})

	t.Run("roles: readers see, writers save, publishers publish; others get 403 or 404", func(t *testing.T) {
		grader := e.signedIn("grader-a@vidya.test")
		grader.get("/a/ALPHA/tests").wantStatus(t, http.StatusOK).wantLacks(t, "New exam paper")
		grader.get(testPath).wantStatus(t, http.StatusOK).wantLacks(t, `value="save"`, "/publish")
		grader.get("/a/ALPHA/tests/new?kind=exam").wantStatus(t, http.StatusForbidden)
		grader.post("/a/ALPHA/tests/new", examPaperForm("Grader's", items[0])).wantStatus(t, http.StatusForbidden)
		author := e.signedIn("author-a@vidya.test")
		author.get(testPath).wantLacks(t, "/publish\"")
		author.post(testPath+"/publish", url.Values{"revision": {"3"}}).wantStatus(t, http.StatusForbidden)
		e.signedIn("learner-a@vidya.test").get("/a/ALPHA/tests").wantStatus(t, http.StatusForbidden)
		other := e.signedIn("admin-b@vidya.test")
		other.get("/a/ALPHA/tests").wantStatus(t, http.StatusNotFound)
		other.get(testPath).wantStatus(t, http.StatusNotFound)
		other.get(strings.Replace(testPath, "ALPHA", "BETA", 1)).wantStatus(t, http.StatusNotFound)
		other.post(testPath, examPaperForm("Taken over", items[0])).wantStatus(t, http.StatusNotFound)
		e.client().get("/a/ALPHA/tests").wantStatus(t, http.StatusSeeOther)
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// FuzzTestForm feeds the editor's form reader arbitrary posted forms and
// actions: it must never panic, must stay within the limits on sections
// and questions, and must report every unreadable number as a field error
// rather than pass it on.
func FuzzTestForm(f *testing.F) {
	f.Add("kind=exam&title=T&nsections=2&sections.0.id=A&sections.0.nquestions=1&sections.0.questions.0.item_id=4&sections.1.npools=1&sections.1.pools.0.count=x", "remove_pool:1:0")
	f.Add("nsections=99999999999&sections.0.nquestions=-1", "add_item:5")
	f.Add("nsections=1&duration=1e400&sections.0.marking.marks=NaN", "remove_question:0:0")
	f.Add("search.section=0&nsections=1", "add_item:9")
	f.Fuzz(func(t *testing.T, query, action string) {
		v, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		tf := testFormOf(v)
		tf.apply(action)
		if len(tf.Sections) > assess.MaxSections+1 {
			t.Fatalf("%d sections", len(tf.Sections))
		}
		errs := map[string]string{}
		tt := tf.test(errs)
		if len(tt.Sections) != len(tf.Sections) {
			t.Fatalf("%d sections in the test, %d in the form", len(tt.Sections), len(tf.Sections))
		}
		for i, s := range tt.Sections {
			if m := s.Marking; m != nil && (math.IsNaN(m.Marks+m.Penalty+m.Unanswered) || math.IsInf(m.Marks+m.Penalty+m.Unanswered, 0)) {
				t.Fatalf("section %d: marking %+v cannot be stored", i, *m)
			}
		}
		for i, s := range tf.Sections {
			if len(s.Questions) > assess.MaxQuestions+1 || len(s.Pools) > assess.MaxQuestions+1 {
				t.Fatalf("section %d: %d questions, %d pools", i, len(s.Questions), len(s.Pools))
			}
			for j, q := range s.Questions {
				if _, err := strconv.ParseInt(q.ItemID, 10, 64); q.ItemID != "" && err != nil && errs[fmt.Sprintf("sections.%d.questions.%d.item_id", i, j)] == "" {
					t.Fatalf("item id %q passed without an error", q.ItemID)
				}
			}
		}
	})
}
