package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// The staff pages that build mock tests and exam papers: the list, and
// the editor with its sections, fixed questions and pools. The editor is
// one form: adding or removing a section, question or pool, and searching
// the bank for items, re-render the form with the change; only "Save"
// stores it.

// Catalogue keys of the tests' values.
var (
	testKindKeys   = map[assess.TestKind]string{assess.Mock: "tests.kind_mock", assess.Exam: "tests.kind_exam"}
	testStatusKeys = map[assess.TestStatus]string{assess.TestDraft: "tests.status_draft", assess.TestPublished: "tests.status_published", assess.TestRetired: "tests.status_retired"}
	navigationKeys = map[assess.Navigation]string{assess.Free: "testedit.nav_free", assess.Linear: "testedit.nav_linear"}
	feedbackKeys   = map[assess.Feedback]string{assess.NoFeedback: "testedit.feedback_none", assess.EachQuestion: "testedit.feedback_each", assess.AtEnd: "testedit.feedback_end"}
	bloomKeys      = map[string]string{"remember": "bloom.remember", "understand": "bloom.understand", "apply": "bloom.apply",
		"analyse": "bloom.analyse", "evaluate": "bloom.evaluate", "create": "bloom.create"}
)

// testsPerPage keeps the list light.
const testsPerPage = 20

// searchResults is how many published items the editor's search lists.
const searchResults = 10

// maxLabelLookups bounds the items the editor looks up to label fixed
// questions.
const maxLabelLookups = 100

func testsURL(a *identity.Authority) string { return "/a/" + url.PathEscape(a.Code) + "/tests" }

type testRow struct {
	ID      int64
	Kind    string
	Title   string
	Status  string
	Version int
	Updated string
}

type testsData struct {
	A           *identity.Authority
	Tests       []testRow
	Kind        string
	Next, First string
	CanWrite    bool
}

// tests lists an authority's tests, newest first, optionally of one kind.
func (w *Web) tests(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	lang := w.lang(r)
	q := r.URL.Query()
	kind := assess.TestKind(q.Get("kind"))
	if kind != "" && kind != assess.Mock && kind != assess.Exam {
		kind = ""
	}
	list, next, err := w.cfg.Bank.ListTests(r.Context(), p, a.Code, kind, q.Get("after"), testsPerPage)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := testsData{A: a, Kind: string(kind), CanWrite: p.Has(a.ID, bankWriters...)}
	for _, t := range list {
		d.Tests = append(d.Tests, testRow{ID: t.ID, Kind: w.cat.text(lang, testKindKeys[t.Kind]), Title: t.Title,
			Status: w.cat.text(lang, testStatusKeys[t.Status]), Version: t.Version, Updated: t.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC")})
	}
	keep := url.Values{}
	if kind != "" {
		keep.Set("kind", string(kind))
	}
	if next != "" {
		nq := url.Values{"after": {next}}
		if kind != "" {
			nq.Set("kind", string(kind))
		}
		d.Next = testsURL(a) + "?" + nq.Encode()
	}
	if q.Get("after") != "" {
		d.First = testsURL(a)
		if len(keep) > 0 {
			d.First += "?" + keep.Encode()
		}
	}
	w.render(rw, r, http.StatusOK, "test_list", w.newView(r, d))
}

// ---- the editor's form ----

// testForm is the editor's state as typed: numbers stay text so that a
// wrong one is shown back as it was.
type testForm struct {
	Kind, Title, Duration, Navigation, Feedback, Revision string
	Calculator                                            bool
	Languages                                             []string
	Instructions                                          map[string]string
	Sections                                              []sectionForm
	// The bank search, and the section its results are added to.
	Search searchForm
	// pristine is set when the form shows the stored test unchanged.
	pristine bool
}

type sectionForm struct {
	ID                         string
	Title                      map[string]string
	Duration, Attempt          string
	Shuffle, ShuffleChoices    bool
	Marks, Penalty, Unanswered string
	Questions                  []questionForm
	Pools                      []poolForm
}

type questionForm struct{ ItemID, Version string }

type poolForm struct{ Count, Topic, Difficulty, Bloom, Type, Labels string }

type searchForm struct{ Q, Topic, Type, Difficulty, Section string }

// count reads a count field, within 0..most.
func count(v url.Values, name string, most int) int {
	n, err := strconv.Atoi(v.Get(name))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, most)
}

// testFormOf reads the editor's form.
func testFormOf(v url.Values) *testForm {
	f := &testForm{Kind: v.Get("kind"), Title: v.Get("title"), Duration: strings.TrimSpace(v.Get("duration")), Navigation: v.Get("navigation"),
		Feedback: v.Get("feedback"), Revision: v.Get("revision"), Calculator: v.Get("calculator") != "", Instructions: map[string]string{},
		Search: searchForm{Q: v.Get("search.q"), Topic: v.Get("search.topic"), Type: v.Get("search.type"), Difficulty: v.Get("search.difficulty"), Section: v.Get("search.section")}}
	for _, l := range v["languages"] {
		if slices.Contains(assess.Languages, l) && !slices.Contains(f.Languages, l) {
			f.Languages = append(f.Languages, l)
		}
	}
	for _, l := range assess.Languages {
		if s := v.Get("instructions." + l); s != "" {
			f.Instructions[l] = s
		}
	}
	// One more than the limits, so the service can say what is too many.
	for i := range count(v, "nsections", assess.MaxSections+1) {
		p := fmt.Sprintf("sections.%d.", i)
		s := sectionForm{ID: v.Get(p + "id"), Title: map[string]string{}, Duration: strings.TrimSpace(v.Get(p + "duration")), Attempt: strings.TrimSpace(v.Get(p + "attempt")),
			Shuffle: v.Get(p+"shuffle") != "", ShuffleChoices: v.Get(p+"shuffle_choices") != "",
			Marks: strings.TrimSpace(v.Get(p + "marking.marks")), Penalty: strings.TrimSpace(v.Get(p + "marking.penalty")), Unanswered: strings.TrimSpace(v.Get(p + "marking.unanswered"))}
		for _, l := range assess.Languages {
			if t := v.Get(p + "title." + l); t != "" {
				s.Title[l] = t
			}
		}
		for j := range count(v, p+"nquestions", assess.MaxQuestions+1) {
			qp := fmt.Sprintf("%squestions.%d.", p, j)
			s.Questions = append(s.Questions, questionForm{ItemID: strings.TrimSpace(v.Get(qp + "item_id")), Version: strings.TrimSpace(v.Get(qp + "version"))})
		}
		for j := range count(v, p+"npools", assess.MaxQuestions+1) {
			pp := fmt.Sprintf("%spools.%d.", p, j)
			s.Pools = append(s.Pools, poolForm{Count: strings.TrimSpace(v.Get(pp + "count")), Topic: strings.TrimSpace(v.Get(pp + "topic")), Difficulty: v.Get(pp + "difficulty"),
				Bloom: v.Get(pp + "bloom"), Type: v.Get(pp + "type"), Labels: v.Get(pp + "labels")})
		}
		f.Sections = append(f.Sections, s)
	}
	return f
}

// newTestForm starts a new test of a kind: English, one section.
func newTestForm(kind assess.TestKind) *testForm {
	f := &testForm{Kind: string(kind), Navigation: string(assess.Free), Feedback: string(assess.NoFeedback), Languages: []string{"en"}, Instructions: map[string]string{},
		Sections: []sectionForm{{ID: "A", Title: map[string]string{}}}}
	if kind == assess.Exam {
		f.Duration = "60"
	}
	return f
}

func minutes(seconds int) string {
	if seconds == 0 {
		return ""
	}
	if seconds%60 == 0 {
		return strconv.Itoa(seconds / 60)
	}
	return strconv.FormatFloat(float64(seconds)/60, 'f', -1, 64)
}

func numText(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// testFormFrom fills the editor from a stored test.
func testFormFrom(t *assess.Test) *testForm {
	f := &testForm{Kind: string(t.Kind), Title: t.Title, Navigation: string(t.Navigation), Feedback: string(t.Feedback), Revision: strconv.Itoa(t.Revision),
		Calculator: t.Calculator, Languages: slices.Clone(t.Languages), Instructions: map[string]string{}, pristine: true}
	if !t.SectionTimed() {
		f.Duration = minutes(t.Duration)
	}
	for l, s := range t.Instructions {
		f.Instructions[l] = s
	}
	for _, s := range t.Sections {
		sf := sectionForm{ID: s.ID, Title: map[string]string{}, Duration: minutes(s.Duration), Shuffle: s.Shuffle, ShuffleChoices: s.ShuffleChoices}
		for l, x := range s.Title {
			sf.Title[l] = x
		}
		if s.Attempt > 0 {
			sf.Attempt = strconv.Itoa(s.Attempt)
		}
		if m := s.Marking; m != nil {
			sf.Marks, sf.Penalty, sf.Unanswered = numText(m.Marks), numText(m.Penalty), numText(m.Unanswered)
		}
		for _, q := range s.Questions {
			qf := questionForm{ItemID: strconv.FormatInt(q.ItemID, 10)}
			if q.Version > 0 {
				qf.Version = strconv.Itoa(q.Version)
			}
			sf.Questions = append(sf.Questions, qf)
		}
		for _, pool := range s.Pools {
			pf := poolForm{Count: strconv.Itoa(pool.Count), Topic: pool.Topic, Difficulty: pool.Difficulty, Bloom: pool.Bloom, Type: string(pool.Type), Labels: strings.Join(pool.Labels, ", ")}
			sf.Pools = append(sf.Pools, pf)
		}
		f.Sections = append(f.Sections, sf)
	}
	return f
}

// test builds the test the form describes; numbers that do not parse
// become field errors in errors.
func (f *testForm) test(errors map[string]string) *assess.Test {
	whole := func(name, s string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errors[name] = "must be a whole number"
		}
		return n
	}
	mins := func(name, s string) int {
		if s == "" {
			return 0
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || x < 0 || x > 24*60 {
			errors[name] = "must be a number of minutes"
			return 0
		}
		return int(x*60 + 0.5)
	}
	num := func(name, s string) float64 {
		if s == "" {
			return 0
		}
		x, err := strconv.ParseFloat(s, 64)
		// NaN and infinities pass range checks and cannot be stored.
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			errors[name] = "must be a number"
			return 0
		}
		return x
	}
	t := &assess.Test{Kind: assess.TestKind(f.Kind), Title: f.Title, Languages: f.Languages, Duration: mins("duration", f.Duration),
		Navigation: assess.Navigation(f.Navigation), Calculator: f.Calculator, Feedback: assess.Feedback(f.Feedback)}
	if t.Languages == nil {
		t.Languages = []string{}
	}
	if len(f.Instructions) > 0 {
		t.Instructions = map[string]string{}
		for l, s := range f.Instructions {
			t.Instructions[l] = s
		}
	}
	for i, sf := range f.Sections {
		p := fmt.Sprintf("sections.%d.", i)
		s := assess.Section{ID: sf.ID, Duration: mins(p+"duration", sf.Duration), Attempt: whole(p+"attempt", sf.Attempt), Shuffle: sf.Shuffle, ShuffleChoices: sf.ShuffleChoices}
		if len(sf.Title) > 0 {
			s.Title = map[string]string{}
			for l, x := range sf.Title {
				s.Title[l] = x
			}
		}
		if sf.Marks != "" || sf.Penalty != "" || sf.Unanswered != "" {
			s.Marking = &assess.Marking{Marks: num(p+"marking.marks", sf.Marks), Penalty: num(p+"marking.penalty", sf.Penalty), Unanswered: num(p+"marking.unanswered", sf.Unanswered)}
		}
		for j, q := range sf.Questions {
			qp := fmt.Sprintf("%squestions.%d.", p, j)
			var id int64
			if q.ItemID != "" {
				var err error
				if id, err = strconv.ParseInt(q.ItemID, 10, 64); err != nil {
					errors[qp+"item_id"] = "must be an item number"
				}
			}
			s.Questions = append(s.Questions, assess.Question{ItemID: id, Version: whole(qp+"version", q.Version)})
		}
		for j, pf := range sf.Pools {
			pp := fmt.Sprintf("%spools.%d.", p, j)
			pool := assess.Pool{Count: whole(pp+"count", pf.Count), Topic: pf.Topic, Difficulty: pf.Difficulty, Bloom: pf.Bloom, Type: assess.ItemType(pf.Type)}
			for _, l := range strings.Split(pf.Labels, ",") {
				if l = strings.TrimSpace(l); l != "" {
					pool.Labels = append(pool.Labels, l)
				}
			}
			s.Pools = append(s.Pools, pool)
		}
		t.Sections = append(t.Sections, s)
	}
	return t
}

// nextSectionID proposes an id for a new section: the next free letter.
func (f *testForm) nextSectionID() string {
	for _, c := range spareLetters {
		if !slices.ContainsFunc(f.Sections, func(s sectionForm) bool { return s.ID == c }) {
			return c
		}
	}
	return ""
}

// apply makes a structural change the editor's buttons ask for, and
// reports whether the action was one of them.
func (f *testForm) apply(action string) bool {
	parts := strings.Split(action, ":")
	idx := func(k int, n int) (int, bool) {
		if len(parts) <= k {
			return 0, false
		}
		i, err := strconv.Atoi(parts[k])
		return i, err == nil && i >= 0 && i < n
	}
	switch parts[0] {
	case "add_section":
		if len(f.Sections) < assess.MaxSections {
			f.Sections = append(f.Sections, sectionForm{ID: f.nextSectionID(), Title: map[string]string{}})
		}
		return true
	case "remove_section":
		if i, ok := idx(1, len(f.Sections)); ok {
			f.Sections = slices.Delete(f.Sections, i, i+1)
		}
		return true
	case "add_question":
		if i, ok := idx(1, len(f.Sections)); ok {
			f.Sections[i].Questions = append(f.Sections[i].Questions, questionForm{})
		}
		return true
	case "remove_question":
		if i, ok := idx(1, len(f.Sections)); ok {
			if j, ok := idx(2, len(f.Sections[i].Questions)); ok {
				f.Sections[i].Questions = slices.Delete(f.Sections[i].Questions, j, j+1)
			}
		}
		return true
	case "add_pool":
		if i, ok := idx(1, len(f.Sections)); ok {
			f.Sections[i].Pools = append(f.Sections[i].Pools, poolForm{Count: "1"})
		}
		return true
	case "remove_pool":
		if i, ok := idx(1, len(f.Sections)); ok {
			if j, ok := idx(2, len(f.Sections[i].Pools)); ok {
				f.Sections[i].Pools = slices.Delete(f.Sections[i].Pools, j, j+1)
			}
		}
		return true
	case "add_item":
		// add_item:ID puts a found item into the search's section.
		i, ok := strconv.Atoi(f.Search.Section)
		if ok != nil || i < 0 || i >= len(f.Sections) || len(parts) < 2 {
			return true
		}
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || id <= 0 {
			return true
		}
		for _, s := range f.Sections {
			for _, q := range s.Questions {
				if q.ItemID == parts[1] {
					return true // already in the test
				}
			}
		}
		f.Sections[i].Questions = append(f.Sections[i].Questions, questionForm{ItemID: parts[1]})
		return true
	case "search":
		return true
	}
	return false
}

// ---- the editor's view ----

type testEditorData struct {
	A          *identity.Authority
	ID         int64
	Action     string
	Kind       string
	KindLabel  string
	Status     string
	Version    int
	Form       *testForm
	Errs       map[string]string
	Summary    []editorError
	Message    string
	CanWrite   bool
	CanPublish bool
	Published  bool // the stored test is published as it stands
	Langs      []langLink
	Sections   []sectionView
	Navs       []option
	Feedbacks  []option
	Types      []option
	Diffs      []option
	Blooms     []option
	Versions   []assess.VersionInfo
	Found      []foundItem
	Searched   bool
	// The inputs of the test's own fields.
	Title, Duration        fieldView
	Navigation, Feedback   selectView
	Instructions           []fieldView
	SearchType, SearchDiff selectView
}

type option struct{ Value, Label string }

type sectionView struct {
	I, N                                         int
	P                                            string // the field path prefix, "sections.0"
	S                                            sectionForm
	ID, Duration, Attempt, Marks, Penalty, Unans fieldView
	Titles                                       []fieldView
	Questions                                    []questionView
	Pools                                        []poolView
}

type questionView struct {
	J, N  int
	P     string
	Q     questionForm
	Item  fieldView
	Label string
}

type poolView struct {
	J, N                int
	P                   string
	Count, Topic, Label fieldView
	Difficulty, Bloom   selectView
	Type                selectView
}

// selectView is a labelled select.
type selectView struct {
	fieldView
	Options []option
	Any     string // the label of the empty choice; none when ""
}

type foundItem struct {
	ID    int64
	Label string
	Topic string
	Type  string
}

// in is one text input of the editor, named by its field path.
func (d *testEditorData) in(path, label, value, mode string) fieldView {
	v := fieldView{ID: "f-" + path, Name: path, Type: "text", Label: label, Value: value, Mode: mode, Err: d.Errs[path]}
	if v.Err != "" {
		v.Describedby = v.ID + "-err"
	}
	return v
}

func (d *testEditorData) sel(path, label, value string, opts []option, any string) selectView {
	return selectView{fieldView: d.in(path, label, value, ""), Options: opts, Any: any}
}

// editorPaths lists the field paths that have an input or a group of
// their own in the editor, where the service's messages about them show.
func editorPaths(f *testForm) map[string]bool {
	m := map[string]bool{"title": true, "duration": true, "navigation": true, "feedback": f.Kind == string(assess.Mock), "languages": true, "sections": true}
	for _, l := range assess.Languages {
		m["instructions."+l] = true
	}
	for i, s := range f.Sections {
		p := fmt.Sprintf("sections.%d", i)
		for _, k := range []string{"", ".id", ".duration", ".attempt", ".marking.marks", ".marking.penalty", ".marking.unanswered", ".questions"} {
			m[p+k] = true
		}
		for _, l := range assess.Languages {
			m[p+".title."+l] = true
		}
		for j := range s.Questions {
			q := fmt.Sprintf("%s.questions.%d", p, j)
			m[q], m[q+".item_id"] = true, true
		}
		for j := range s.Pools {
			pp := fmt.Sprintf("%s.pools.%d", p, j)
			for _, k := range []string{"", ".count", ".topic", ".difficulty", ".bloom", ".type", ".labels"} {
				m[pp+k] = true
			}
		}
	}
	return m
}

// Err returns the message about a field path, or "".
func (d *testEditorData) Err(path string) string { return d.Errs[path] }

// Lang reports whether the test is offered in l.
func (d *testEditorData) Lang(l string) bool { return slices.Contains(d.Form.Languages, l) }

func (w *Web) testEditorPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, id int64, t *assess.Test, f *testForm, status int, fieldErrs map[string]string, message string) {
	lang := w.lang(r)
	d := &testEditorData{A: a, ID: id, Form: f, Kind: f.Kind, KindLabel: w.cat.text(lang, testKindKeys[assess.TestKind(f.Kind)]), Errs: map[string]string{},
		Message: message, CanWrite: p.Has(a.ID, bankWriters...), CanPublish: id > 0 && p.Has(a.ID, bankPublishers...)}
	d.Action = testsURL(a) + "/new"
	if id > 0 {
		d.Action = testsURL(a) + "/" + strconv.FormatInt(id, 10)
	}
	if t != nil {
		d.Status, d.Version = w.cat.text(lang, testStatusKeys[t.Status]), t.Version
		d.Published = t.Status == assess.TestPublished
		// Publishing freezes what is stored, so it is offered only beside
		// the stored definition, never beside unsaved edits.
		d.CanPublish = d.CanPublish && f.pristine && !d.Published && t.Status == assess.TestDraft
	}
	for _, l := range assess.Languages {
		d.Langs = append(d.Langs, langLink{Code: l, Name: langNames[l]})
	}
	for _, n := range []assess.Navigation{assess.Free, assess.Linear} {
		d.Navs = append(d.Navs, option{string(n), w.cat.text(lang, navigationKeys[n])})
	}
	for _, fb := range []assess.Feedback{assess.NoFeedback, assess.EachQuestion, assess.AtEnd} {
		d.Feedbacks = append(d.Feedbacks, option{string(fb), w.cat.text(lang, feedbackKeys[fb])})
	}
	for _, ty := range assess.ItemTypes {
		d.Types = append(d.Types, option{string(ty), w.cat.text(lang, typeKeys[ty])})
	}
	for _, x := range assess.Difficulties {
		d.Diffs = append(d.Diffs, option{x, w.cat.text(lang, difficultyKeys[x])})
	}
	for _, x := range assess.BloomLevels {
		d.Blooms = append(d.Blooms, option{x, w.cat.text(lang, bloomKeys[x])})
	}
	// Field errors go beside their inputs; every one is in the summary.
	inputs := editorPaths(f)
	for _, path := range slices.Sorted(mapKeys(fieldErrs)) {
		msg := w.testFieldMessage(lang, fieldErrs[path])
		e := editorError{Field: w.fieldPath(lang, path), Message: msg}
		if inputs[path] {
			if d.Errs[path] == "" {
				d.Errs[path] = msg
			} else {
				d.Errs[path] += "; " + msg
			}
			e.Href = "#f-" + path
		}
		d.Summary = append(d.Summary, e)
	}
	d.Title = d.in("title", w.cat.text(lang, "testedit.title"), f.Title, "")
	d.Duration = d.in("duration", w.cat.text(lang, "testedit.duration"), f.Duration, "decimal")
	d.Navigation = d.sel("navigation", w.cat.text(lang, "testedit.navigation"), f.Navigation, d.Navs, "")
	d.Feedback = d.sel("feedback", w.cat.text(lang, "testedit.feedback"), f.Feedback, d.Feedbacks, "")
	for _, l := range d.Langs {
		d.Instructions = append(d.Instructions, d.in("instructions."+l.Code, fmt.Sprintf(w.cat.text(lang, "testedit.instructions_in"), l.Name), f.Instructions[l.Code], ""))
	}
	anyLabel := w.cat.text(lang, "items.any")
	d.SearchType = d.sel("search.type", w.cat.text(lang, "testedit.type"), f.Search.Type, d.Types, anyLabel)
	d.SearchDiff = d.sel("search.difficulty", w.cat.text(lang, "testedit.difficulty"), f.Search.Difficulty, d.Diffs, anyLabel)
	// Label the fixed questions with their items' titles.
	looked := 0
	for i, s := range f.Sections {
		sv := sectionView{I: i, N: i + 1, P: fmt.Sprintf("sections.%d", i), S: s}
		sv.ID = d.in(sv.P+".id", w.cat.text(lang, "testedit.section_id"), s.ID, "")
		sv.Duration = d.in(sv.P+".duration", w.cat.text(lang, "testedit.section_duration"), s.Duration, "decimal")
		sv.Attempt = d.in(sv.P+".attempt", w.cat.text(lang, "testedit.attempt"), s.Attempt, "numeric")
		sv.Marks = d.in(sv.P+".marking.marks", w.cat.text(lang, "testedit.marks"), s.Marks, "decimal")
		sv.Penalty = d.in(sv.P+".marking.penalty", w.cat.text(lang, "testedit.penalty"), s.Penalty, "decimal")
		sv.Unans = d.in(sv.P+".marking.unanswered", w.cat.text(lang, "testedit.unanswered"), s.Unanswered, "decimal")
		for _, l := range d.Langs {
			sv.Titles = append(sv.Titles, d.in(sv.P+".title."+l.Code, fmt.Sprintf(w.cat.text(lang, "testedit.section_title_in"), l.Name), s.Title[l.Code], ""))
		}
		for j, q := range s.Questions {
			qv := questionView{J: j, N: j + 1, P: fmt.Sprintf("%s.questions.%d", sv.P, j), Q: q}
			qv.Item = d.in(qv.P+".item_id", fmt.Sprintf(w.cat.text(lang, "testedit.question_item"), j+1), q.ItemID, "numeric")
			if itemID, err := strconv.ParseInt(q.ItemID, 10, 64); err == nil && itemID > 0 && looked < maxLabelLookups {
				looked++
				if it, err := w.cfg.Bank.Item(r.Context(), p, a.Code, itemID, 0); err == nil {
					qv.Label = itemLabel(it, lang)
					if qv.Label == "" {
						qv.Label = "#" + q.ItemID
					}
				}
			}
			sv.Questions = append(sv.Questions, qv)
		}
		for j, pf := range s.Pools {
			pv := poolView{J: j, N: j + 1, P: fmt.Sprintf("%s.pools.%d", sv.P, j)}
			pv.Count = d.in(pv.P+".count", w.cat.text(lang, "testedit.pool_count"), pf.Count, "numeric")
			pv.Topic = d.in(pv.P+".topic", w.cat.text(lang, "testedit.topic"), pf.Topic, "")
			pv.Label = d.in(pv.P+".labels", w.cat.text(lang, "testedit.labels"), pf.Labels, "")
			pv.Difficulty = d.sel(pv.P+".difficulty", w.cat.text(lang, "testedit.difficulty"), pf.Difficulty, d.Diffs, anyLabel)
			pv.Bloom = d.sel(pv.P+".bloom", w.cat.text(lang, "testedit.bloom"), pf.Bloom, d.Blooms, anyLabel)
			pv.Type = d.sel(pv.P+".type", w.cat.text(lang, "testedit.type"), pf.Type, d.Types, anyLabel)
			sv.Pools = append(sv.Pools, pv)
		}
		d.Sections = append(d.Sections, sv)
	}
	if len(d.Summary) > 0 && d.Message == "" {
		d.Message = w.cat.text(lang, "form.fix")
	}
	if id > 0 {
		if vs, err := w.cfg.Bank.TestVersions(r.Context(), p, a.Code, id); err == nil {
			d.Versions = vs
		}
	}
	if f.Search.Q != "" || f.Search.Topic != "" || f.Search.Type != "" || f.Search.Difficulty != "" {
		d.Searched = true
		filter := assess.ItemFilter{Text: f.Search.Q, Topic: f.Search.Topic, Type: assess.ItemType(f.Search.Type), Difficulty: f.Search.Difficulty,
			Status: assess.Published, Limit: searchResults}
		if len(f.Languages) == 1 {
			filter.Language = f.Languages[0]
		}
		items, _, err := w.cfg.Bank.ListItems(r.Context(), p, a.Code, filter)
		if err != nil && !errs.Is(err, errs.Invalid) {
			w.fail(rw, r, err)
			return
		}
		for i := range items {
			it := &items[i]
			d.Found = append(d.Found, foundItem{ID: it.ID, Label: itemLabel(it, lang), Topic: it.Tags.Topic, Type: w.cat.text(lang, typeKeys[it.Type])})
		}
	}
	w.render(rw, r, status, "test_edit", w.newView(r, d))
}

// testFieldMessage words a service's message about a test's field in
// lang.
func (w *Web) testFieldMessage(lang, msg string) string {
	switch msg {
	case "must be a number of minutes":
		return w.cat.text(lang, "fielderr.minutes")
	case "must be an item number":
		return w.cat.text(lang, "fielderr.item_number")
	}
	if key, ok := fieldMessages[msg]; ok {
		return w.cat.text(lang, key)
	}
	if msg == "must be a number" {
		return w.cat.text(lang, "fielderr.number")
	}
	if msg == "must be a whole number" {
		return w.cat.text(lang, "fielderr.whole_number")
	}
	return l10n.Translate(lang, msg)
}

// pathLeafKeys name the last part of a test's field path.
var pathLeafKeys = map[string]string{
	"title": "testedit.title", "kind": "testedit.kind", "languages": "testedit.languages", "duration": "testedit.duration",
	"navigation": "testedit.navigation", "feedback": "testedit.feedback", "sections": "testedit.sections", "id": "testedit.section_id",
	"attempt": "testedit.attempt", "marks": "testedit.marks", "penalty": "testedit.penalty", "unanswered": "testedit.unanswered",
	"questions": "testedit.questions", "item_id": "testedit.item", "version": "testedit.version", "count": "testedit.pool_count",
	"topic": "testedit.topic", "difficulty": "testedit.difficulty", "bloom": "testedit.bloom", "type": "testedit.type",
	"instructions": "testedit.instructions",
}

// fieldPath makes a test's field path readable: sections.1.pools.0.count
// becomes "Section 2 › pool 1 › Items to draw".
func (w *Web) fieldPath(lang, path string) string {
	parts := strings.Split(path, ".")
	var out []string
	for k := 0; k < len(parts); k++ {
		part := parts[k]
		if k+1 < len(parts) {
			if n, err := strconv.Atoi(parts[k+1]); err == nil {
				switch part {
				case "sections":
					out = append(out, fmt.Sprintf(w.cat.text(lang, "testedit.section_n"), n+1))
				case "questions":
					out = append(out, fmt.Sprintf(w.cat.text(lang, "testedit.question_n"), n+1))
				case "pools":
					out = append(out, fmt.Sprintf(w.cat.text(lang, "testedit.pool_n"), n+1))
				default:
					out = append(out, part, parts[k+1])
				}
				k++
				continue
			}
		}
		switch {
		case slices.Contains(assess.Languages, part):
			out = append(out, langNames[part])
		case part == "marking":
		case pathLeafKeys[part] != "":
			out = append(out, w.cat.text(lang, pathLeafKeys[part]))
		default:
			out = append(out, part)
		}
	}
	return strings.Join(out, " › ")
}

// testID reads the {id} of a test page.
func testID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// newTestForm shows the editor for a new test of the kind asked for.
func (w *Web) newTest(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	if !p.Has(a.ID, bankWriters...) {
		w.fail(rw, r, errs.E(errs.Forbidden, "web: new test", "authors only"))
		return
	}
	kind := assess.TestKind(r.URL.Query().Get("kind"))
	if kind != assess.Mock && kind != assess.Exam {
		w.notFound(rw, r)
		return
	}
	w.testEditorPage(rw, r, p, a, 0, nil, newTestForm(kind), http.StatusOK, nil, "")
}

// testPage shows a stored test in the editor, with its versions.
func (w *Web) testPage(rw http.ResponseWriter, r *http.Request) {
	p, a := w.bankUser(rw, r)
	if a == nil {
		return
	}
	id, ok := testID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	t, err := w.cfg.Bank.Test(r.Context(), p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.testEditorPage(rw, r, p, a, id, t, testFormFrom(t), http.StatusOK, nil, "")
}

// saveTest answers the editor's form: a structural change or a search
// re-renders it; "save" creates or updates the test.
func (w *Web) saveTest(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseItemForm(rw, r) {
		return
	}
	a := w.bankAuthority(rw, r, p)
	if a == nil {
		return
	}
	var id int64
	var stored *assess.Test
	if r.PathValue("id") != "" {
		var ok bool
		if id, ok = testID(r); !ok {
			w.notFound(rw, r)
			return
		}
		var err error
		if stored, err = w.cfg.Bank.Test(r.Context(), p, a.Code, id); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	f := testFormOf(r.PostForm)
	if kind := assess.TestKind(f.Kind); kind != assess.Mock && kind != assess.Exam {
		w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
		return
	}
	action := r.PostForm.Get("action")
	if action != "save" {
		if !f.apply(action) {
			w.errorPage(rw, r, http.StatusBadRequest, "error.invalid_title", "error.badform")
			return
		}
		w.testEditorPage(rw, r, p, a, id, stored, f, http.StatusOK, nil, "")
		return
	}
	fieldErrs := map[string]string{}
	in := f.test(fieldErrs)
	if len(fieldErrs) > 0 {
		w.testEditorPage(rw, r, p, a, id, stored, f, http.StatusUnprocessableEntity, fieldErrs, "")
		return
	}
	var saved *assess.Test
	var err error
	if id == 0 {
		saved, err = w.cfg.Bank.CreateTest(r.Context(), p, a.Code, in)
	} else {
		rev, _ := strconv.Atoi(f.Revision)
		saved, err = w.cfg.Bank.UpdateTest(r.Context(), p, a.Code, id, rev, in)
	}
	if err != nil {
		w.testFormFailed(rw, r, p, a, id, stored, f, err)
		return
	}
	w.setFlash(rw, "flash.test_saved")
	seeOther(rw, r, testsURL(a)+"/"+strconv.FormatInt(saved.ID, 10))
}

// testFormFailed shows the service's refusal on the editor, or the error
// page when it is not about the form.
func (w *Web) testFormFailed(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, id int64, stored *assess.Test, f *testForm, err error) {
	e := errs.As(err)
	if e == nil || (e.Kind != errs.Invalid && e.Kind != errs.Conflict) {
		w.fail(rw, r, err)
		return
	}
	lang := w.lang(r)
	msg := ""
	if len(e.Fields) == 0 {
		msg = l10n.Translate(lang, e.Message)
		if e.Kind == errs.Conflict {
			msg = w.cat.text(lang, "testedit.conflict") + " " + msg
		}
	}
	w.testEditorPage(rw, r, p, a, id, stored, f, httpStatusOf(err), e.Fields, msg)
}

// publishTest freezes the stored test as a new version.
func (w *Web) publishTest(rw http.ResponseWriter, r *http.Request) {
	p := w.user(rw, r)
	if p == nil || !w.parseForm(rw, r) {
		return
	}
	a := w.bankAuthority(rw, r, p)
	if a == nil {
		return
	}
	id, ok := testID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	rev, _ := strconv.Atoi(r.PostForm.Get("revision"))
	v, err := w.cfg.Bank.PublishTest(r.Context(), p, a.Code, id, rev)
	if err != nil {
		stored, lerr := w.cfg.Bank.Test(r.Context(), p, a.Code, id)
		if lerr != nil {
			w.fail(rw, r, lerr)
			return
		}
		w.testFormFailed(rw, r, p, a, id, stored, testFormFrom(stored), err)
		return
	}
	w.setFlash(rw, "flash.test_published", fmt.Sprintf("%d / %d", v.Version, len(v.Items)))
	seeOther(rw, r, testsURL(a)+"/"+strconv.FormatInt(id, 10))
}
