package web

import (
	"bytes"
	"context"
	"github.com/vidya-edu/vidya/internal/assess"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/identity"
)

// addStaff adds users with bank roles to ALPHA.
func (e *env) addStaff(t *testing.T) {
	t.Helper()
	for _, u := range []struct {
		email string
		role  identity.Role
	}{{"author-a@vidya.test", identity.RoleAuthor}, {"approver-a@vidya.test", identity.RoleApprover}, {"grader-a@vidya.test", identity.RoleGrader}} {
		got, err := e.svc.EnsureUser(t.Context(), "test", identity.NewUser{Email: u.email, Name: u.email, Password: testPassword, Roles: []identity.Role{u.role}}, false, "ALPHA")
		if err != nil {
			t.Fatal(err)
		}
		e.users[u.email] = got
	}
}

// postMultipart sends fields and one file as a browser's upload form does.
func (c *client) postMultipart(path string, fields map[string]string, filename string, data []byte) *page {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", filename)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var itemURLRE = regexp.MustCompile(`^/a/ALPHA/items/(\d+)$`)

// singleChoice is a valid bilingual single-choice item form.
func singleChoice(stem string) url.Values {
	return url.Values{
		"type": {"single_choice"}, "text.en.stem": {stem}, "text.hi.stem": {"हिन्दी: " + stem},
		"text.en.choices.A": {"Tea"}, "text.en.choices.B": {"Coffee"},
		"text.hi.choices.A": {"चाय"}, "text.hi.choices.B": {"कॉफ़ी"},
		"correct": {"B"}, "scoring.marks": {"4"}, "scoring.penalty": {"1"}, "tags.topic": {"drinks/hot"}, "tags.difficulty": {"easy"},
		"do": {"save"},
	}
}

// createItem saves an item through the editor and returns its page's path.
func createItem(t *testing.T, c *client, form url.Values) string {
	t.Helper()
	p := c.post("/a/ALPHA/items/new", form).wantStatus(t, http.StatusSeeOther)
	loc := p.Header.Get("Location")
	if !itemURLRE.MatchString(loc) {
		t.Fatalf("saved item redirects to %q", loc)
	}
	return loc
}

func TestItemEditor(t *testing.T) {
	e := newEnv(t)
	author := e.signedIn("admin-a@vidya.test")

	t.Run("the type comes first", func(t *testing.T) {
		author.get("/a/ALPHA/items/new").wantStatus(t, http.StatusOK).
			wantContains(t, `href="/a/ALPHA/items/new?type=single_choice"`, `href="/a/ALPHA/items/new?type=matching"`).wantLacks(t, `id="editor"`)
		author.get("/a/ALPHA/items/new?type=single_choice").wantStatus(t, http.StatusOK).
			wantContains(t, `id="editor"`, `name="text.hi.choices.F"`, `type="radio"`, `name="type" value="single_choice"`)
		author.get("/a/ALPHA/items/new?type=multiple_response").wantContains(t, `type="checkbox" id="f-correct-A"`)
	})

	t.Run("a service error lands on its input", func(t *testing.T) {
		f := singleChoice("Which is hot?")
		f.Del("text.hi.choices.B")
		p := author.post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusUnprocessableEntity)
		p.wantContains(t, `<a href="#f-text.hi.choices.B">text.hi.choices.B:`, `id="f-text.hi.choices.B-err"`, `value="Tea"`)
		if !regexp.MustCompile(`id="f-text.hi.choices.B" name="text.hi.choices.B" type="text" aria-invalid="true"`).MatchString(p.Body) {
			t.Errorf("the input is not marked invalid:\n%s", p.Body)
		}
		f = singleChoice("Which is hot?")
		f.Set("scoring.marks", "four")
		author.post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-scoring.marks-err"`, "Enter a number")
		f = singleChoice("Which is hot?")
		f.Del("correct")
		author.post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `<a href="#f-correct">key.choices:`)
	})

	t.Run("the Preview button renders without saving", func(t *testing.T) {
		f := singleChoice("Solve $x_1^2 = 4$ <script>alert(1)</script>")
		f.Set("do", "preview")
		p := author.post("/a/ALPHA/items/new", f).wantStatus(t, http.StatusOK)
		p.wantContains(t, `class="phone" lang="en"`, `class="phone" lang="hi"`, `<span class="math" data-tex="x_1^2 = 4">`, "&lt;script&gt;").wantLacks(t, "<script>alert")
		checkHTML(t, p, "en")
	})

	t.Run("create, then an edit from a stale revision is a conflict", func(t *testing.T) {
		loc := createItem(t, author, singleChoice("Which is hot?"))
		author.get(loc).wantStatus(t, http.StatusOK).wantContains(t, "has been saved as a draft", "Which is hot?", `class="phone"`, "Version 1", "Correct answer:")
		edit := author.get(loc+"/edit").wantStatus(t, http.StatusOK).wantContains(t, `name="revision" value="1"`, `value="कॉफ़ी"`)
		checkHTML(t, edit, "en")
		f := singleChoice("Which is hotter?")
		f.Set("revision", "1")
		author.post(loc+"/edit", f).wantRedirect(t, loc)
		f.Set("text.en.stem", "Which is the hottest?")
		p := author.post(loc+"/edit", f).wantStatus(t, http.StatusConflict)
		p.wantContains(t, "Someone changed this item since you opened it.", "Which is the hottest?")
	})

	t.Run("the live preview fragment has maths and no raw HTML", func(t *testing.T) {
		f := singleChoice("Area is $\\pi r^2$ and $$a_1 * b_2$$ <img src=x onerror=alert(1)>")
		p := author.post("/a/ALPHA/items/preview", f).wantStatus(t, http.StatusOK)
		p.wantContains(t, `class="math"`, `data-tex="\pi r^2"`, `class="math display"`, "&lt;img").wantLacks(t, "<img", "<html", "<script")
		e.signedIn("learner-a@vidya.test").post("/a/ALPHA/items/preview", f).wantStatus(t, http.StatusForbidden)
	})
}

func TestItemList(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t)
	author := e.signedIn("admin-a@vidya.test")
	tea := createItem(t, author, singleChoice("Tea or coffee?"))
	f := singleChoice("Pick a metal")
	f.Set("tags.topic", "science/chemistry")
	f.Set("tags.difficulty", "hard")
	metal := createItem(t, author, f)

	t.Run("search and filter", func(t *testing.T) {
		author.get("/a/ALPHA/items").wantStatus(t, http.StatusOK).wantContains(t, "Tea or coffee?", "Pick a metal", `form="bulk"`)
		author.get("/a/ALPHA/items?q=metal").wantContains(t, "Pick a metal").wantLacks(t, "Tea or coffee?")
		author.get("/a/ALPHA/items?topic=science&difficulty=hard&type=single_choice&status=draft&language=hi").wantContains(t, "Pick a metal").wantLacks(t, "Tea or coffee?")
		author.get("/a/ALPHA/items?status=published").wantContains(t, "No items match.")
		author.get("/a/ALPHA/items?type=nonsense").wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `role="alert"`)
	})

	t.Run("bulk change", func(t *testing.T) {
		id := itemURLRE.FindStringSubmatch(tea)[1]
		author.post("/a/ALPHA/items/bulk", url.Values{"ids": {id}, "topic": {"drinks/cold"}, "action": {"apply"}, "back": {"/a/ALPHA/items?q=tea"}}).
			wantRedirect(t, "/a/ALPHA/items?q=tea")
		author.get("/a/ALPHA/items?q=tea").wantContains(t, "1 items changed.", "drinks/cold")
		author.post("/a/ALPHA/items/bulk", url.Values{"ids": {id}, "action": {"apply"}, "back": {"https://evil.example/"}}).wantRedirect(t, "/a/ALPHA/items")
		author.get("/a/ALPHA/items").wantContains(t, "Nothing was changed")
		e.signedIn("author-a@vidya.test").post("/a/ALPHA/items/bulk", url.Values{"ids": {id}, "action": {"retire"}}).wantStatus(t, http.StatusForbidden)
	})

	t.Run("another authority's bank is the same 404 as a missing one", func(t *testing.T) {
		other := e.signedIn("admin-b@vidya.test")
		// They differ only in the request id and the page's own address
		// (in the language switch).
		norm := func(p *page, path string) string {
			return strings.ReplaceAll(withoutRequestID(p.Body), url.QueryEscape(path), "PATH")
		}
		for _, path := range []string{"/a/ALPHA/items", metal, metal + "/edit", "/a/ALPHA/items/new", "/a/ALPHA/items/import"} {
			p := other.get(path).wantStatus(t, http.StatusNotFound)
			nope := strings.Replace(path, "ALPHA", "NOPE", 1)
			missing := other.get(nope).wantStatus(t, http.StatusNotFound)
			if norm(p, path) != norm(missing, nope) {
				t.Errorf("%s differs from %s", path, nope)
			}
		}
		other.post(metal+"/status", url.Values{"status": {"reviewed"}, "revision": {"1"}}).wantStatus(t, http.StatusNotFound)
		// BETA's own bank has none of ALPHA's items.
		other.get("/a/BETA/items").wantStatus(t, http.StatusOK).wantLacks(t, "Pick a metal")
		other.get(strings.Replace(metal, "ALPHA", "BETA", 1)).wantStatus(t, http.StatusNotFound)
	})

	t.Run("learners are kept out; graders read", func(t *testing.T) {
		learner := e.signedIn("learner-a@vidya.test")
		learner.get("/a/ALPHA/items").wantStatus(t, http.StatusForbidden)
		learner.get(metal).wantStatus(t, http.StatusForbidden)
		learner.get("/").wantLacks(t, "/a/ALPHA/items")
		grader := e.signedIn("grader-a@vidya.test")
		grader.get("/").wantContains(t, `href="/a/ALPHA/items"`)
		grader.get("/a/ALPHA").wantContains(t, `href="/a/ALPHA/items"`)
		grader.get("/a/ALPHA/items").wantStatus(t, http.StatusOK).wantLacks(t, `id="bulk"`, "/items/new")
		grader.get(metal).wantStatus(t, http.StatusOK).wantLacks(t, "/status", "/edit")
		grader.get("/a/ALPHA/items/new").wantStatus(t, http.StatusForbidden)
		e.client().get("/a/ALPHA/items").wantRedirect(t, "/signin?next=%2Fa%2FALPHA%2Fitems")
	})
}

func TestItemReview(t *testing.T) {
	e := newEnv(t)
	e.addStaff(t)
	admin := e.signedIn("admin-a@vidya.test")
	author := e.signedIn("author-a@vidya.test")
	approver := e.signedIn("approver-a@vidya.test")
	loc := createItem(t, author, singleChoice("Tea or coffee?"))

	// The author sees "reviewed" but not "retired"; the approver the reverse
	// and "reviewed" (approvers review too).
	author.get(loc).wantContains(t, `value="reviewed"`, "/edit").wantLacks(t, `value="retired"`, `value="published"`)
	approver.get(loc).wantContains(t, `value="reviewed"`, `value="retired"`).wantLacks(t, "/edit\"")

	t.Run("the last editor cannot review their own change", func(t *testing.T) {
		p := author.post(loc+"/status", url.Values{"status": {"reviewed"}, "revision": {"1"}}).wantStatus(t, http.StatusConflict)
		p.wantContains(t, `role="alert"`, "another author must review it", "Tea or coffee?")
	})
	t.Run("a stale revision is a conflict, shown on the page", func(t *testing.T) {
		approver.post(loc+"/status", url.Values{"status": {"reviewed"}, "revision": {"7"}}).wantStatus(t, http.StatusConflict).
			wantContains(t, "changed since you opened it")
	})
	t.Run("review, then publish", func(t *testing.T) {
		approver.post(loc+"/status", url.Values{"status": {"reviewed"}, "revision": {"1"}}).wantRedirect(t, loc)
		approver.get(loc).wantContains(t, "The item is now: Reviewed.", `value="published"`, `value="draft"`)
		author.get(loc).wantLacks(t, `value="published"`)
		author.post(loc+"/status", url.Values{"status": {"published"}, "revision": {"2"}}).wantStatus(t, http.StatusForbidden)
		admin.post(loc+"/status", url.Values{"status": {"published"}, "revision": {"2"}}).wantRedirect(t, loc)
		p := approver.get(loc).wantContains(t, "Published", `value="retired"`, "?version=1")
		checkHTML(t, p, "en")
	})
	t.Run("editing a published item makes version 2; version 1 stays", func(t *testing.T) {
		f := singleChoice("Tea, coffee or juice?")
		f.Set("revision", "3")
		author.post(loc+"/edit", f).wantRedirect(t, loc)
		author.get(loc).wantContains(t, "Version 2", "Tea, coffee or juice?")
		author.get(loc+"?version=1").wantContains(t, "Version 1", "Tea or coffee?", "See the current version").wantLacks(t, `value="reviewed"`)
	})
}

func TestItemImport(t *testing.T) {
	e := newEnv(t)
	author := e.signedIn("admin-a@vidya.test")
	author.get("/a/ALPHA/items/import").wantStatus(t, http.StatusOK).wantContains(t, `enctype="multipart/form-data"`, `value="guess"`)
	gift, err := os.ReadFile("../assess/gift/testdata/sample.gift")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("preview, then import now", func(t *testing.T) {
		p := author.postMultipart("/a/ALPHA/items/import", map[string]string{"format": "guess", "lang": "en", "valid_only": "on"}, "bank.gift", gift).
			wantStatus(t, http.StatusOK)
		p.wantContains(t, "This is a preview: nothing has been imported yet.", "Q1 refraction", "Import now")
		checkHTML(t, p, "en")
		author.get("/a/ALPHA/items").wantContains(t, "No items match.")
		m := regexp.MustCompile(`action="(/a/ALPHA/imports/[0-9a-f]{32})"`).FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no Import now form:\n%s", p.Body)
		}
		// Only the uploader may use the token.
		e.signedIn("root@vidya.test").post(m[1], nil).wantRedirect(t, "/a/ALPHA/items/import")
		done := author.post(m[1], nil).wantStatus(t, http.StatusOK)
		done.wantContains(t, "The items have been imported as drafts.", "Go to the item bank", `href="/a/ALPHA/items/`)
		author.get("/a/ALPHA/items").wantContains(t, "Q1 refraction")
		// The stored file is gone once used.
		author.post(m[1], nil).wantRedirect(t, "/a/ALPHA/items/import")
		author.get("/a/ALPHA/items/import").wantContains(t, "expired or was already imported")
	})

	t.Run("a Windows-1252 CSV shows the encoding error", func(t *testing.T) {
		bad, err := os.ReadFile("../assess/itemcsv/testdata/windows-1252.csv")
		if err != nil {
			t.Fatal(err)
		}
		p := author.postMultipart("/a/ALPHA/items/import", map[string]string{"format": "guess", "lang": "en"}, "bank.csv", bad).
			wantStatus(t, http.StatusUnprocessableEntity)
		p.wantContains(t, "not UTF-8", `role="alert"`, `name="file"`)
		checkHTML(t, p, "en")
	})

	t.Run("an unknown format must be named", func(t *testing.T) {
		author.postMultipart("/a/ALPHA/items/import", map[string]string{"format": "guess"}, "bank.txt", []byte("What?\nA. x\nB. y\nANSWER: A\n")).
			wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `href="#f-format"`, "Choose the file")
		author.postMultipart("/a/ALPHA/items/import", map[string]string{"format": "aiken"}, "bank.txt", []byte("What?\nA. x\nB. y\nANSWER: A\n")).
			wantStatus(t, http.StatusOK).wantContains(t, "Import now")
	})

	t.Run("learners cannot import", func(t *testing.T) {
		e.signedIn("learner-a@vidya.test").postMultipart("/a/ALPHA/items/import", nil, "bank.gift", gift).wantStatus(t, http.StatusForbidden)
	})
}

func TestItemLabelIsPlainText(t *testing.T) {
	for stem, want := range map[string]string{
		"If $x = 3$, what is $x^2$?\nSecond line": "If x = 3, what is x^2?",
		"**Bold** and `code`":                     "Bold and code",
		`It costs \$5`:                            "It costs $5",
		strings.Repeat("क", 70):                   strings.Repeat("क", 59) + "…",
	} {
		it := &assess.Item{Text: map[string]assess.Text{"en": {Stem: stem}}}
		if got := itemLabel(it, "en"); got != want {
			t.Errorf("itemLabel(%q) = %q, want %q", stem, got, want)
		}
	}
}

func TestExportFromTheItemList(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("admin-a@vidya.test")
	// Nothing to export yet: a clear not-found page, not an empty file.
	c.get("/a/ALPHA/items/export?format=qti3").wantStatus(t, http.StatusNotFound)
	it := &assess.Item{Type: assess.TrueFalse, Choices: []assess.Choice{{ID: "true"}, {ID: "false"}},
		Text: map[string]assess.Text{"en": {Stem: "The Ganga is a river."}}, Key: assess.Key{Choices: []string{"true"}}, Scoring: assess.Scoring{Marks: 1},
		Tags: assess.Tags{Topic: "geography"}}
	tok, err := e.svc.StartSessionFor(context.Background(), e.users["admin-a@vidya.test"].ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bank.CreateItem(context.Background(), p, "ALPHA", it); err != nil {
		t.Fatal(err)
	}
	c.get("/a/ALPHA/items?topic=geography").wantStatus(t, http.StatusOK).wantContains(t, `action="/a/ALPHA/items/export"`, `name="topic" value="geography"`)
	for format, want := range map[string]string{"gift": "The Ganga is a river.", "csv": "true_false", "qti3": "PK\x03\x04"} {
		pg := c.get("/a/ALPHA/items/export?format="+format+"&topic=geography").wantStatus(t, http.StatusOK)
		if !strings.Contains(pg.Body, want) || !strings.Contains(pg.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s export: %.80q %q", format, pg.Body, pg.Header.Get("Content-Disposition"))
		}
	}
	c.get("/a/ALPHA/items/export?format=docx").wantStatus(t, http.StatusBadRequest)
	c.get("/a/ALPHA/items/export?format=gift&topic=history").wantStatus(t, http.StatusNotFound)
	e.signedIn("admin-b@vidya.test").get("/a/ALPHA/items/export?format=gift").wantStatus(t, http.StatusNotFound)
	e.signedIn("learner-a@vidya.test").get("/a/ALPHA/items/export?format=gift").wantStatus(t, http.StatusForbidden)
}

func TestTopicsPage(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin-a@vidya.test")
	admin.get("/a/ALPHA/topics").wantStatus(t, http.StatusOK).wantContains(t, "No topics yet", `action="/a/ALPHA/topics"`)
	admin.post("/a/ALPHA/topics", url.Values{"path": {"has space/x"}}).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-path-err"`)
	admin.post("/a/ALPHA/topics", url.Values{"path": {"physics/optics"}, "name_en": {"Optics"}, "name_hi": {"प्रकाशिकी"}}).wantRedirect(t, "/a/ALPHA/topics")
	admin.get("/a/ALPHA/topics").wantContains(t, "The topic has been saved.", "<code>physics</code>", "<code>physics/optics</code> Optics")
	admin.get("/lang/hi?next=/a/ALPHA/topics")
	admin.get("/a/ALPHA/topics").wantContains(t, "<code>physics/optics</code> प्रकाशिकी")
	admin.get("/lang/en?next=/")

	// A topic with subtopics stays, and the page says why.
	admin.post("/a/ALPHA/topics/remove", url.Values{"path": {"physics"}}).wantStatus(t, http.StatusConflict).wantContains(t, "subtopics")
	admin.post("/a/ALPHA/topics/remove", url.Values{"path": {"physics/optics"}}).wantRedirect(t, "/a/ALPHA/topics")

	// Authors read the list but get no forms; other authorities see nothing.
	if _, err := e.svc.EnsureUser(context.Background(), "test", identity.NewUser{Email: "author-a@vidya.test", Name: "Author", Password: testPassword,
		Roles: []identity.Role{identity.RoleAuthor}}, false, "ALPHA"); err != nil {
		t.Fatal(err)
	}
	e.signedIn("author-a@vidya.test").get("/a/ALPHA/topics").wantStatus(t, http.StatusOK).wantContains(t, "<code>physics</code>").wantLacks(t, `action="/a/ALPHA/topics"`)
	e.signedIn("author-a@vidya.test").post("/a/ALPHA/topics", url.Values{"path": {"x"}}).wantStatus(t, http.StatusForbidden)
	e.signedIn("admin-b@vidya.test").get("/a/ALPHA/topics").wantStatus(t, http.StatusNotFound)
}

// An imported item keeps its own choice ids through the editor.
func TestEditorKeepsAnItemsOwnIDs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, _ := e.svc.StartSessionFor(ctx, e.users["admin-a@vidya.test"].ID, "test")
	p, err := e.svc.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	it, err := e.bank.CreateItem(ctx, p, "ALPHA", &assess.Item{Type: assess.SingleChoice,
		Choices: []assess.Choice{{ID: "ChoiceA"}, {ID: "ChoiceB"}, {ID: "ChoiceC"}},
		Text:    map[string]assess.Text{"en": {Stem: "Pick one", Choices: map[string]string{"ChoiceA": "one", "ChoiceB": "two", "ChoiceC": "three"}}},
		Key:     assess.Key{Choices: []string{"ChoiceB"}}, Scoring: assess.Scoring{Marks: 1}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.signedIn("admin-a@vidya.test")
	editURL := "/a/ALPHA/items/" + strconv.FormatInt(it.ID, 10) + "/edit"
	c.get(editURL).wantStatus(t, http.StatusOK).wantContains(t,
		`name="choice_ids" value="ChoiceA"`, `name="text.en.choices.ChoiceC"`, `value="three"`, `name="choice_ids" value="A"`)
	form := url.Values{"type": {"single_choice"}, "revision": {strconv.Itoa(it.Revision)}, "text.en.stem": {"Pick one"},
		"choice_ids": {"ChoiceA", "ChoiceB", "ChoiceC", "A"}, "text.en.choices.ChoiceA": {"one"}, "text.en.choices.ChoiceB": {"two"},
		"text.en.choices.ChoiceC": {"three, corrected"}, "text.en.choices.A": {"a new fourth"}, "correct": {"ChoiceB"}, "scoring.marks": {"1"}}
	c.post(editURL, form).wantRedirect(t, "/a/ALPHA/items/"+strconv.FormatInt(it.ID, 10))
	got, err := e.bank.Item(ctx, p, "ALPHA", it.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ch := range got.Choices {
		ids = append(ids, ch.ID)
	}
	if strings.Join(ids, ",") != "ChoiceA,ChoiceB,ChoiceC,A" || got.Text["en"].Choices["ChoiceC"] != "three, corrected" || got.Key.Choices[0] != "ChoiceB" {
		t.Fatalf("after the edit: ids %v, text %v, key %v", ids, got.Text["en"].Choices, got.Key.Choices)
	}
}

func TestImagesPage(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn("admin-a@vidya.test")
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 20, 10)))
	c.get("/a/ALPHA/items/images").wantStatus(t, http.StatusOK).wantContains(t, `enctype="multipart/form-data"`)
	page := c.postFile("/a/ALPHA/items/images", "image", "pic.png", "image/png", img.Bytes()).wantStatus(t, http.StatusCreated)
	if !regexp.MustCompile(`value="!\[\]\(/media/ALPHA/[0-9a-f]{64}\.png\)"`).MatchString(page.Body) {
		t.Fatalf("no Markdown to paste in:\n%s", page.Body)
	}
	c.postFile("/a/ALPHA/items/images", "image", "x.svg", "image/svg+xml", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)).
		wantStatus(t, http.StatusUnprocessableEntity).wantContains(t, `id="f-image-err"`, "PNG, JPEG, GIF or WebP")
	c.get("/a/ALPHA/items/new?type=single_choice").wantContains(t, `href="/a/ALPHA/items/images"`)
	e.signedIn("learner-a@vidya.test").get("/a/ALPHA/items/images").wantStatus(t, http.StatusForbidden)
	e.signedIn("admin-b@vidya.test").postFile("/a/ALPHA/items/images", "image", "pic.png", "image/png", img.Bytes()).wantStatus(t, http.StatusNotFound)
}
