package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/render"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// The staff pages of what follows an exam: the marker's page (essays are
// marked blind, one reserved answer at a time, with double marking and
// moderation as the exam's settings say) and the answer-key challenges
// page (the challenge window, the challenges grouped by question, the
// decisions and the regrading they start). The Delivery's services decide
// who may do what; these pages only choose what to offer.

// markingLabels and challengeLabels give the catalogue keys of these
// pages' form fields, for their error messages.
var (
	markingLabels = map[string]string{
		"score": "markpage.score", "comment": "markpage.comment",
		"double_marking": "markpage.double", "tolerance": "markpage.tolerance", "step": "markpage.step",
	}
	challengeLabels = map[string]string{
		"opens_at": "challenges.opens_at", "closes_at": "challenges.closes_at", "utc_offset": "field.utc_offset",
		"action": "challenges.action", "key": "challenges.key", "note": "challenges.note",
	}
)

// markingSteps are the score steps an exam may use.
var markingSteps = []string{"0.25", "0.5", "1"}

// fieldErr is one field's message, worded for the page's reader.
type fieldErr struct {
	Name, Label, Msg string
}

// formErrs words a form's field messages for readers of lang, in field
// order, with the labels of these pages.
func (w *Web) formErrs(lang string, f *form, labels map[string]string) []fieldErr {
	if f == nil {
		return nil
	}
	var out []fieldErr
	for name, msg := range f.Errors {
		label := name
		if key, ok := labels[name]; ok {
			label = w.cat.text(lang, key)
		}
		if key, ok := fieldMessages[msg]; ok && key != "fielderr.password_short" {
			msg = w.cat.text(lang, key)
		} else {
			msg = l10n.Translate(lang, msg)
		}
		out = append(out, fieldErr{Name: name, Label: label, Msg: msg})
	}
	slices.SortFunc(out, func(a, b fieldErr) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// errMap indexes field messages by field, for the templates.
func errMap(list []fieldErr) map[string]string {
	m := map[string]string{}
	for _, e := range list {
		m[e.Name] = e.Msg
	}
	return m
}

func markingURL(a *identity.Authority, id int64) string { return examURL(a, id) + "/marking" }

func challengesURL(a *identity.Authority, id int64) string { return examURL(a, id) + "/challenges" }

// fmtMarks writes a number of marks without trailing zeros.
func fmtMarks(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// langHTML is a text in one language, as safe HTML from the services.
type langHTML struct {
	Lang, Name string
	Stem       template.HTML
	Rubric     template.HTML
}

// byLang orders languages with the reader's first.
func byLang(lang string, langs []string) []string {
	slices.Sort(langs)
	slices.SortStableFunc(langs, func(a, b string) int {
		switch {
		case a == lang && b != lang:
			return -1
		case b == lang && a != lang:
			return 1
		}
		return 0
	})
	return langs
}

func langName(code string) string {
	if n, ok := langNames[code]; ok {
		return n
	}
	return code
}

// ---- the marker's page ----

// scriptView is a reserved answer as the marker sees it: no candidate.
type scriptView struct {
	Ref           string
	Round         int
	Max, Step     string
	ReservedUntil string
	Texts         []langHTML
	Answer        []string // the answer's lines
	Marks         []priorMarkView
}

type priorMarkView struct {
	Round          int
	Score, Comment string
}

type markingData struct {
	A        *identity.Authority
	E        *assess.ExamInfo
	Progress *assess.MarkingProgress
	Settings *assess.MarkingSettings
	// CanSettings offers the settings form: administrators, before any
	// answer is queued for marking.
	CanSettings  bool
	Steps        []string
	SettingsForm *form
	SettingsErrs []fieldErr
	SettingsErr  map[string]string
	Script       *scriptView
	MarkForm     *form
	MarkErrs     []fieldErr
	MarkErr      map[string]string
	// Message is a service's refusal of the last action (a lost
	// reservation, nothing to mark), in the reader's language.
	Message string
	// Nothing says the queue had nothing for this marker.
	Nothing bool
}

// markingState is what one request of the marker's page carries: a form
// just posted, a script reserved, a refusal to show.
type markingState struct {
	settings, mark *form
	script         *assess.Script
	message        string
	nothing        bool
}

// markingUser is the caller and authority of a marking or challenges
// page, and the exam's id; on false the response has been written.
func (w *Web) markingUser(rw http.ResponseWriter, r *http.Request) (*identity.Principal, *identity.Authority, int64, bool) {
	if w.cfg.Delivery == nil {
		w.notFound(rw, r)
		return nil, nil, 0, false
	}
	p, a := w.examUser(rw, r)
	if a == nil {
		return nil, nil, 0, false
	}
	id, ok := examID(r)
	if !ok {
		w.notFound(rw, r)
		return nil, nil, 0, false
	}
	return p, a, id, true
}

// markingPost is markingUser for a posted form.
func (w *Web) markingPost(rw http.ResponseWriter, r *http.Request) (*identity.Principal, *identity.Authority, int64, bool) {
	if w.user(rw, r) == nil || !w.parseForm(rw, r) {
		return nil, nil, 0, false
	}
	return w.markingUser(rw, r)
}

// marking shows the marker's page: progress, and the button that
// reserves the next answer.
func (w *Web) marking(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.markingUser(rw, r)
	if !ok {
		return
	}
	w.markingPage(rw, r, p, a, id, http.StatusOK, markingState{})
}

func (w *Web) markingPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, id int64, status int, st markingState) {
	ctx := r.Context()
	lang := w.lang(r)
	d := w.cfg.Delivery
	prog, err := d.MarkingProgress(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	e, err := w.cfg.Bank.Exam(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	set, err := d.MarkingSettings(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	data := &markingData{A: a, E: e, Progress: prog, Settings: set, Steps: markingSteps,
		CanSettings:  p.Has(a.ID, examAdmins...) && prog.Answers == 0,
		SettingsForm: orEmpty(st.settings), MarkForm: orEmpty(st.mark), Message: st.message, Nothing: st.nothing}
	if st.settings == nil {
		f := data.SettingsForm
		if set.DoubleMarking {
			f.Values.Set("double_marking", "1")
		}
		f.Values.Set("tolerance", fmtMarks(set.Tolerance))
		f.Values.Set("step", fmtMarks(set.Step))
	}
	data.SettingsErrs = w.formErrs(lang, st.settings, markingLabels)
	data.MarkErrs = w.formErrs(lang, st.mark, markingLabels)
	data.SettingsErr, data.MarkErr = errMap(data.SettingsErrs), errMap(data.MarkErrs)
	if st.settings != nil && !data.CanSettings && data.Message == "" {
		// Marking started since the form was shown: say so above.
		data.Message = st.settings.Message
	}
	if s := st.script; s != nil {
		sv := &scriptView{Ref: s.Script, Round: s.Round, Max: fmtMarks(s.Max), Step: fmtMarks(s.Step),
			ReservedUntil: s.ReservedUntil.UTC().Format("2006-01-02 15:04 UTC")}
		if strings.TrimSpace(s.Answer) != "" {
			sv.Answer = strings.Split(strings.ReplaceAll(s.Answer, "\r\n", "\n"), "\n")
		}
		var langs []string
		for l := range s.Question {
			langs = append(langs, l)
		}
		for _, l := range byLang(lang, langs) {
			q := s.Question[l]
			// The service renders the stem and rubric to safe HTML.
			sv.Texts = append(sv.Texts, langHTML{Lang: l, Name: langName(l), Stem: template.HTML(q.Stem), Rubric: template.HTML(q.Rubric)})
		}
		for _, m := range s.Marks {
			sv.Marks = append(sv.Marks, priorMarkView{Round: m.Round, Score: fmtMarks(m.Score), Comment: m.Comment})
		}
		data.Script = sv
	}
	w.render(rw, r, status, "exam_marking", w.newView(r, data))
}

// markNext reserves the next answer for the caller and shows it.
func (w *Web) markNext(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.markingPost(rw, r)
	if !ok {
		return
	}
	s, err := w.cfg.Delivery.NextForMarking(r.Context(), p, a.Code, id)
	if err != nil {
		if e := errs.As(err); e != nil && e.Code == assess.CodeNothingToMark {
			w.markingPage(rw, r, p, a, id, http.StatusOK, markingState{nothing: true})
			return
		}
		w.fail(rw, r, err)
		return
	}
	w.markingPage(rw, r, p, a, id, http.StatusOK, markingState{script: s})
}

// markScript records the caller's mark for an answer they hold; a bad
// score shows the answer again, a lost reservation says so.
func (w *Web) markScript(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.markingPost(rw, r)
	if !ok {
		return
	}
	ctx := r.Context()
	lang := w.lang(r)
	f := formOf(r)
	ref := r.PathValue("script")
	text := strings.TrimSpace(f.Get("score"))
	score, err := strconv.ParseFloat(text, 64)
	if text == "" {
		f.Errors["score"] = "is required"
	} else if err != nil {
		f.Errors["score"] = w.cat.text(lang, "markpage.score_nan")
	}
	if len(f.Errors) == 0 {
		var out *assess.MarkOutcome
		out, err = w.cfg.Delivery.Mark(ctx, p, a.Code, id, ref, score, f.Get("comment"))
		if err == nil {
			switch {
			case out.Moderation:
				w.setFlash(rw, "flash.mark_moderation")
			case out.Final != nil:
				w.setFlash(rw, "flash.mark_final", fmtMarks(*out.Final))
			default:
				w.setFlash(rw, "flash.mark_saved")
			}
			seeOther(rw, r, markingURL(a, id))
			return
		}
		e := errs.As(err)
		switch {
		case e != nil && e.Kind == errs.Invalid && len(e.Fields) > 0:
			w.invalid(f, lang, err)
		case e != nil && (e.Code == assess.CodeReservationLost || e.Code == assess.CodeAlreadyMarked || e.Kind == errs.NotFound && e.Code == ""):
			// The answer is gone from this marker: say why and offer the
			// next one. A script of another exam is as unknown as none.
			if e.Kind == errs.NotFound {
				if _, xerr := w.cfg.Delivery.MarkingProgress(ctx, p, a.Code, id); xerr != nil {
					w.fail(rw, r, xerr)
					return
				}
			}
			w.markingPage(rw, r, p, a, id, httpStatusOf(err), markingState{message: l10n.Translate(lang, e.Message)})
			return
		default:
			w.fail(rw, r, err)
			return
		}
	}
	if f.Message == "" {
		f.Message = w.cat.text(lang, "form.fix")
	}
	// Show the answer again: the marker still holds it (asking renews
	// the reservation and returns the one held).
	s, nerr := w.cfg.Delivery.NextForMarking(ctx, p, a.Code, id)
	if nerr != nil || s.Script != ref {
		msg := w.cat.text(lang, "markpage.lost")
		if e := errs.As(nerr); e != nil && e.Code != assess.CodeNothingToMark {
			w.fail(rw, r, nerr)
			return
		}
		w.markingPage(rw, r, p, a, id, http.StatusUnprocessableEntity, markingState{message: msg, mark: f})
		return
	}
	w.markingPage(rw, r, p, a, id, http.StatusUnprocessableEntity, markingState{script: s, mark: f})
}

// markingSettings changes the exam's marking rules, before marking starts.
func (w *Web) markingSettings(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.markingPost(rw, r)
	if !ok {
		return
	}
	lang := w.lang(r)
	f := formOf(r)
	in := assess.MarkingSettings{DoubleMarking: f.Get("double_marking") == "1"}
	if s := strings.TrimSpace(f.Get("tolerance")); s != "" {
		t, err := strconv.ParseFloat(s, 64)
		if err != nil {
			f.Errors["tolerance"] = w.cat.text(lang, "markpage.score_nan")
		}
		in.Tolerance = t
	}
	if !slices.Contains(markingSteps, f.Get("step")) {
		f.Errors["step"] = "must be 0.25, 0.5 or 1"
	} else {
		in.Step, _ = strconv.ParseFloat(f.Get("step"), 64)
	}
	if len(f.Errors) == 0 {
		_, err := w.cfg.Delivery.SetMarkingSettings(r.Context(), p, a.Code, id, in)
		if err == nil {
			w.setFlash(rw, "flash.marking_settings")
			seeOther(rw, r, markingURL(a, id))
			return
		}
		if !w.invalid(f, lang, err) {
			w.fail(rw, r, err)
			return
		}
		w.markingPage(rw, r, p, a, id, httpStatusOf(err), markingState{settings: f})
		return
	}
	f.Message = w.cat.text(lang, "form.fix")
	w.markingPage(rw, r, p, a, id, http.StatusUnprocessableEntity, markingState{settings: f})
}

// ---- the challenges page ----

type reasonView struct {
	Reason, Proposed string
}

type choiceOpt struct {
	ID      string
	HTML    template.HTML
	Correct bool // in the key now
	Checked bool // in the form
}

// challengeView is one challenged question with its challenges, its key
// and the form that decides it.
type challengeView struct {
	ItemID   int64
	Count    int
	Type     assess.ItemType
	Texts    []langHTML
	Choices  []choiceOpt
	Multi    bool // the key is a set or an order of choices: checkboxes
	ByChoice bool // the key is made of choices
	Essay    bool
	Key      string // the current key, readable
	KeyJSON  string // the key to correct, for keys not made of choices
	Reasons  []reasonView
	More     int // challenges beyond the reasons shown
	Decision *decisionView
	Form     *form
	Errs     []fieldErr
	Err      map[string]string
}

// decisionKeys word the decisions on a key.
var decisionKeys = map[string]string{
	assess.DecisionReject: "challenges.decided_reject", assess.DecisionAccept: "challenges.decided_accept", assess.DecisionDrop: "challenges.decided_drop",
}

type decisionView struct {
	Action, Label, Key, Note, DecidedAt string
	Regraded                            int
	Done                                bool
}

type challengesData struct {
	A          *identity.Authority
	E          *assess.ExamInfo
	Offsets    []string
	WindowForm *form
	WindowErrs []fieldErr
	WindowErr  map[string]string
	Items      []challengeView
	// Message is a refused decision's message when the question's form
	// is not on the page (a question decided already, or not challenged).
	Message string
	// Window is the challenge window set now; nil if none.
	Window *assess.ChallengeWindow
	// Regrading says some accepted or dropped key is still being applied.
	Regrading bool
	Decided   bool // some key was accepted or dropped
}

// challengeState is what one request of the challenges page carries.
type challengeState struct {
	window   *form
	item     int64
	decision *form
}

// challengesUser is markingUser for administrators only.
func (w *Web) challengesUser(rw http.ResponseWriter, r *http.Request, post bool) (*identity.Principal, *identity.Authority, int64, bool) {
	var p *identity.Principal
	var a *identity.Authority
	var id int64
	var ok bool
	if post {
		p, a, id, ok = w.markingPost(rw, r)
	} else {
		p, a, id, ok = w.markingUser(rw, r)
	}
	if !ok {
		return nil, nil, 0, false
	}
	if !p.Has(a.ID, examAdmins...) {
		w.fail(rw, r, errs.E(errs.Forbidden, "web: challenges", "administrators only"))
		return nil, nil, 0, false
	}
	return p, a, id, true
}

// challenges shows the challenge window's form, the challenges by
// question with the forms that decide them, and the regrading.
func (w *Web) challenges(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.challengesUser(rw, r, false)
	if !ok {
		return
	}
	w.challengesPage(rw, r, p, a, id, http.StatusOK, challengeState{})
}

func (w *Web) challengesPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, id int64, status int, st challengeState) {
	ctx := r.Context()
	lang := w.lang(r)
	list, err := w.cfg.Delivery.Challenges(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	e, err := w.cfg.Bank.Exam(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	var tv *assess.TestVersion
	if len(list) > 0 {
		if tv, err = w.cfg.Bank.PublishedTest(ctx, p, a.Code, e.TestID, e.TestVersion); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	d := &challengesData{A: a, E: e, Offsets: offsets, WindowForm: orEmpty(st.window)}
	if d.Window, err = w.cfg.Delivery.ChallengeWindowOf(ctx, p, a.Code, e.ID); err != nil {
		w.fail(rw, r, err)
		return
	}
	if d.WindowForm.Get("utc_offset") == "" {
		d.WindowForm.Values.Set("utc_offset", offsets[0])
	}
	d.WindowErrs = w.formErrs(lang, st.window, challengeLabels)
	d.WindowErr = errMap(d.WindowErrs)
	shown := false
	for _, c := range list {
		cv := challengeView{ItemID: c.ItemID, Count: c.Count, More: c.Count - len(c.Reasons)}
		var it *assess.Item
		if tv != nil {
			it = tv.Items[c.ItemID]
		}
		if it != nil {
			w.describeItem(&cv, it, lang)
		}
		for _, x := range c.Reasons {
			cv.Reasons = append(cv.Reasons, reasonView{Reason: x.Reason, Proposed: responseText(x.Proposed)})
		}
		if k := c.Decision; k != nil {
			dv := &decisionView{Action: k.Action, Label: w.cat.text(lang, decisionKeys[k.Action]), Note: k.Note, DecidedAt: k.DecidedAt.UTC().Format("2006-01-02 15:04 UTC"), Regraded: k.Regraded, Done: k.Done}
			if k.Key != nil {
				dv.Key = keyText(*k.Key)
			}
			cv.Decision = dv
			if k.Action != assess.DecisionReject {
				d.Decided = true
				if !k.Done {
					d.Regrading = true
				}
			}
		}
		cv.Form = emptyForm()
		if st.decision != nil && st.item == c.ItemID && c.Decision == nil {
			shown = true
			cv.Form = st.decision
			cv.Errs = w.formErrs(lang, st.decision, challengeLabels)
		}
		cv.Err = errMap(cv.Errs)
		picked := cv.Form.Values["choice"]
		for i := range cv.Choices {
			if st.item == c.ItemID && st.decision != nil {
				cv.Choices[i].Checked = slices.Contains(picked, cv.Choices[i].ID)
			} else {
				cv.Choices[i].Checked = cv.Choices[i].Correct
			}
		}
		if cv.Form.Get("key") == "" {
			cv.Form.Values.Set("key", cv.KeyJSON)
		}
		d.Items = append(d.Items, cv)
	}
	if st.decision != nil && !shown {
		d.Message = st.decision.Message
		for _, fe := range w.formErrs(lang, st.decision, challengeLabels) {
			d.Message += " " + fe.Label + ": " + fe.Msg
		}
	}
	w.render(rw, r, status, "exam_challenges", w.newView(r, d))
}

// describeItem fills in a challenged question's wording and key.
func (w *Web) describeItem(cv *challengeView, it *assess.Item, lang string) {
	cv.Type = it.Type
	cv.Essay = it.Type == assess.Essay
	var langs []string
	for l := range it.Text {
		langs = append(langs, l)
	}
	langs = byLang(lang, langs)
	for _, l := range langs {
		cv.Texts = append(cv.Texts, langHTML{Lang: l, Name: langName(l), Stem: render.Markdown(it.Text[l].Stem)})
	}
	switch it.Type {
	case assess.SingleChoice, assess.TrueFalse, assess.MultipleResponse:
		cv.ByChoice = true
		cv.Multi = it.Type == assess.MultipleResponse
		text := it.Text[langs[0]]
		for _, c := range it.Choices {
			label := text.Choices[c.ID]
			if label == "" {
				label = c.ID
			}
			cv.Choices = append(cv.Choices, choiceOpt{ID: c.ID, HTML: render.Markdown(label), Correct: slices.Contains(it.Key.Choices, c.ID)})
		}
	}
	cv.Key = keyText(it.Key)
	if b, err := json.Marshal(it.Key); err == nil {
		cv.KeyJSON = string(b)
	}
}

// keyText writes a key for reading.
func keyText(k assess.Key) string {
	var parts []string
	if len(k.Choices) > 0 {
		parts = append(parts, strings.Join(k.Choices, ", "))
	}
	if len(k.Pairs) > 0 {
		var ps []string
		for l, r := range k.Pairs {
			ps = append(ps, l+"→"+r)
		}
		slices.Sort(ps)
		parts = append(parts, strings.Join(ps, ", "))
	}
	if n := k.Numeric; n != nil {
		if n.Range {
			parts = append(parts, fmtMarks(n.Min)+" – "+fmtMarks(n.Max))
		} else if n.Tolerance > 0 {
			parts = append(parts, fmtMarks(n.Value)+" ± "+fmtMarks(n.Tolerance))
		} else {
			parts = append(parts, fmtMarks(n.Value))
		}
	}
	if t := k.Text; t != nil {
		parts = append(parts, strings.Join(t.Accepted, " | "))
	}
	return strings.Join(parts, "; ")
}

// responseText writes a candidate's proposed answer for reading.
func responseText(r *assess.Response) string {
	if r.Empty() {
		return ""
	}
	var parts []string
	if len(r.Choices) > 0 {
		parts = append(parts, strings.Join(r.Choices, ", "))
	}
	if len(r.Pairs) > 0 {
		var ps []string
		for l, x := range r.Pairs {
			ps = append(ps, l+"→"+x)
		}
		slices.Sort(ps)
		parts = append(parts, strings.Join(ps, ", "))
	}
	if r.Text != "" {
		parts = append(parts, r.Text)
	}
	return strings.Join(parts, "; ")
}

// parseAt reads a date and time typed in loc; on failure it notes the
// field's error on f.
func (w *Web) parseAt(f *form, name string, loc *time.Location, lang string) time.Time {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		f.Errors[name] = "is required"
		return time.Time{}
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC()
		}
	}
	f.Errors[name] = w.cat.text(lang, "fielderr.datetime")
	return time.Time{}
}

// challengeWindow opens or moves the challenge window; times are typed
// in the chosen UTC offset, as a shift's are.
func (w *Web) challengeWindow(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.challengesUser(rw, r, true)
	if !ok {
		return
	}
	lang := w.lang(r)
	f := formOf(r)
	off := f.Get("utc_offset")
	if !offsetRE.MatchString(off) {
		f.Errors["utc_offset"] = "is required"
	}
	loc := zoneOf(off)
	in := assess.ChallengeWindow{OpensAt: w.parseAt(f, "opens_at", loc, lang), ClosesAt: w.parseAt(f, "closes_at", loc, lang)}
	if len(f.Errors) == 0 {
		out, err := w.cfg.Delivery.SetChallengeWindow(r.Context(), p, a.Code, id, in)
		if err == nil {
			w.setFlash(rw, "flash.challenge_window", out.OpensAt.Format("2006-01-02 15:04")+" – "+out.ClosesAt.Format("2006-01-02 15:04")+" UTC")
			seeOther(rw, r, challengesURL(a, id))
			return
		}
		if !w.invalid(f, lang, err) {
			w.fail(rw, r, err)
			return
		}
		w.challengesPage(rw, r, p, a, id, httpStatusOf(err), challengeState{window: f})
		return
	}
	f.Message = w.cat.text(lang, "form.fix")
	w.challengesPage(rw, r, p, a, id, http.StatusUnprocessableEntity, challengeState{window: f})
}

// decideChallenge rejects a question's challenges, accepts them with a
// corrected key, or drops the question.
func (w *Web) decideChallenge(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.challengesUser(rw, r, true)
	if !ok {
		return
	}
	item, err := strconv.ParseInt(r.PathValue("item"), 10, 64)
	if err != nil || item <= 0 {
		w.notFound(rw, r)
		return
	}
	lang := w.lang(r)
	f := formOf(r)
	in := assess.DecisionInput{Action: f.Get("action"), Note: f.Get("note")}
	if in.Action == assess.DecisionAccept {
		if r.PostForm.Has("choice") || f.Get("by_choice") == "1" {
			in.Key = &assess.Key{Choices: r.PostForm["choice"]}
			if len(in.Key.Choices) == 0 {
				f.Errors["key"] = "is required"
			}
		} else {
			var k assess.Key
			dec := json.NewDecoder(strings.NewReader(f.Get("key")))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&k); err != nil || dec.More() {
				f.Errors["key"] = w.cat.text(lang, "challenges.key_bad")
			} else {
				in.Key = &k
			}
		}
	}
	st := challengeState{item: item, decision: f}
	if len(f.Errors) == 0 {
		_, err := w.cfg.Delivery.DecideChallenge(r.Context(), p, a.Code, id, item, in)
		if err == nil {
			w.setFlash(rw, "flash.challenge_decided", strconv.FormatInt(item, 10))
			seeOther(rw, r, challengesURL(a, id)+"#q-"+strconv.FormatInt(item, 10))
			return
		}
		e := errs.As(err)
		switch {
		case e != nil && e.Kind == errs.NotFound:
			// A question not in this exam is a form problem once the exam
			// is known to be there.
			if _, xerr := w.cfg.Bank.Exam(r.Context(), p, a.Code, id); xerr != nil {
				w.fail(rw, r, xerr)
				return
			}
			f.Message = l10n.Translate(lang, e.Message)
			w.challengesPage(rw, r, p, a, id, http.StatusUnprocessableEntity, st)
			return
		case w.invalid(f, lang, err):
			w.challengesPage(rw, r, p, a, id, httpStatusOf(err), st)
			return
		}
		w.fail(rw, r, err)
		return
	}
	f.Message = w.cat.text(lang, "form.fix")
	w.challengesPage(rw, r, p, a, id, http.StatusUnprocessableEntity, st)
}

// regradeNow applies the exam's decided keys now, rather than waiting for
// the job.
func (w *Web) regradeNow(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.challengesUser(rw, r, true)
	if !ok {
		return
	}
	list, err := w.cfg.Delivery.RegradeExam(r.Context(), p, a.Code, id, 50_000)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	n := 0
	for _, k := range list {
		n += k.Regraded
	}
	w.setFlash(rw, "flash.regraded", fmt.Sprint(n))
	seeOther(rw, r, challengesURL(a, id)+"#regrade-h")
}
