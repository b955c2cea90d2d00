package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/analysis"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/l10n"
)

// The staff pages that schedule exams and follow them: the list with the
// form that schedules one, and an exam's page with its shifts, candidates,
// access codes, time extensions, progress and results. The services
// decide who may do what; these roles only choose what to show.
var (
	examReaders  = []identity.Role{identity.RoleAdmin, identity.RoleApprover, identity.RoleGrader}
	examWatchers = []identity.Role{identity.RoleAdmin, identity.RoleApprover, identity.RoleGrader, identity.RoleProctor}
	examAdmins   = []identity.Role{identity.RoleAdmin}
	examProctors = []identity.Role{identity.RoleAdmin, identity.RoleProctor}
)

// Page sizes of the exam page's lists, within the page weight budget.
const (
	candidatesPerPage = 20
	resultsPerPage    = 20
)

// maxCandidateUpload bounds a candidate list upload (50,000 rows).
const maxCandidateUpload = 16 << 20

// offsets are the UTC offsets a shift's times may be given in; the
// first, India's, is the default.
var offsets = []string{"+05:30", "+00:00", "+04:00", "+05:45", "+06:00", "+03:00", "+01:00", "+02:00", "+08:00", "-05:00"}

var offsetRE = regexp.MustCompile(`^[+-](0\d|1[0-4]):(00|30|45)$`)

func examsURL(a *identity.Authority) string { return "/a/" + url.PathEscape(a.Code) + "/exams" }

func examURL(a *identity.Authority, id int64) string {
	return examsURL(a) + "/" + strconv.FormatInt(id, 10)
}

// examUser is the signed-in caller and the authority of an exam page they
// may see; on nil the response has been written.
func (w *Web) examUser(rw http.ResponseWriter, r *http.Request) (*identity.Principal, *identity.Authority) {
	p := w.user(rw, r)
	if p == nil {
		return nil, nil
	}
	a, err := w.svc.Authority(r.Context(), p, r.PathValue("code"))
	if err != nil {
		w.fail(rw, r, err)
		return nil, nil
	}
	if !p.Has(a.ID, examWatchers...) {
		w.fail(rw, r, errs.E(errs.Forbidden, "web: exams", "no role in exams"))
		return nil, nil
	}
	return p, a
}

type examRow struct {
	ID      int64
	Title   string
	TestID  int64
	Version int
	Created string
}

type examsData struct {
	A           *identity.Authority
	Exams       []examRow
	CanSchedule bool
	Tests       []option // published exam tests
}

// exams lists an authority's exams; administrators also get the form
// that schedules one.
func (w *Web) exams(rw http.ResponseWriter, r *http.Request) {
	p, a := w.examUser(rw, r)
	if a == nil {
		return
	}
	w.examsPage(rw, r, p, a, http.StatusOK, &form{Values: url.Values{}, Errors: map[string]string{}})
}

func (w *Web) examsPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, status int, f *form) {
	list, err := w.cfg.Bank.WatchedExams(r.Context(), p, a.Code)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := examsData{A: a, CanSchedule: p.Has(a.ID, examAdmins...)}
	for _, e := range list {
		d.Exams = append(d.Exams, examRow{ID: e.ID, Title: e.Title, TestID: e.TestID, Version: e.TestVersion, Created: e.CreatedAt.Format("2006-01-02")})
	}
	if d.CanSchedule {
		// The newest published exam papers; an older one can be named by
		// number in the version field's test.
		tests, _, err := w.cfg.Bank.ListTests(r.Context(), p, a.Code, assess.Exam, "", 200)
		if err != nil && !errs.Is(err, errs.Forbidden) {
			w.fail(rw, r, err)
			return
		}
		for _, t := range tests {
			if t.Version > 0 {
				d.Tests = append(d.Tests, option{Value: strconv.FormatInt(t.ID, 10), Label: fmt.Sprintf("%s (#%d, v%d)", t.Title, t.ID, t.Version)})
			}
		}
	}
	v := w.newView(r, d)
	v.Form = f
	w.render(rw, r, status, "exam_list", v)
}

// scheduleExam schedules an exam from a published exam paper.
func (w *Web) scheduleExam(rw http.ResponseWriter, r *http.Request) {
	if w.user(rw, r) == nil || !w.parseForm(rw, r) {
		return
	}
	p, a := w.examUser(rw, r)
	if a == nil {
		return
	}
	f := formOf(r)
	testID, err := strconv.ParseInt(f.Get("test_id"), 10, 64)
	if err != nil {
		f.Errors["test_id"] = "is required"
	}
	version := 0
	if s := strings.TrimSpace(f.Get("test_version")); s != "" {
		if version, err = strconv.Atoi(s); err != nil || version < 0 {
			f.Errors["test_version"] = "must be a whole number"
		}
	}
	if len(f.Errors) > 0 {
		f.Message = w.cat.text(w.lang(r), "form.fix")
		w.examsPage(rw, r, p, a, http.StatusUnprocessableEntity, f)
		return
	}
	e, err := w.cfg.Bank.CreateExam(r.Context(), p, a.Code, testID, version, f.Get("title"))
	if err != nil {
		if errs.Is(err, errs.NotFound) && testID > 0 {
			// The test or version named does not exist: a form problem.
			err = &errs.Error{Kind: errs.Invalid, Op: "web: schedule exam", Message: "some fields are not valid", Fields: map[string]string{"test_version": errs.As(err).Message}}
		}
		if !w.invalid(f, w.lang(r), err) {
			w.fail(rw, r, err)
			return
		}
		w.examsPage(rw, r, p, a, httpStatusOf(err), f)
		return
	}
	w.setFlash(rw, "flash.exam_scheduled")
	seeOther(rw, r, examURL(a, e.ID))
}

// ---- the exam page ----

type shiftRow struct {
	Code, Starts, Ends, Local string
	LateEntry                 int // minutes
}

type candidateRow struct {
	RollNo, Name, Shift string
	ExtraTime           int // minutes
	HasCode             bool
}

type itemStatRow struct {
	Item                          int64
	N                             int
	Facility, Discrimination, Max string
	Flags                         []flagView
	Negative                      bool
	Options                       []optionRow
}

// flagView is one flag of an item, in the reader's language; Bad marks
// the one that needs action (negative discrimination: check the key).
type flagView struct {
	Text string
	Bad  bool
}

type optionRow struct {
	Option                    string
	Share, TopShare, BotShare string
}

type statsView struct {
	N                          int
	Mean, SD, Median, Min, Max string
	Alpha                      string
	AlphaNote                  string
	Items                      int
}

// examPageData is what the exam page shows; the forms carry what was
// typed and what is wrong with it.
type examPageData struct {
	A        *identity.Authority
	E        assess.ExamInfo
	Progress *assess.ExamProgress
	Shifts   []shiftRow
	// Candidates is one page, from After.
	Candidates      []candidateRow
	NextCandidates  string
	FirstCandidates string
	Results         []assess.ExamResult
	NextResults     string
	FirstResults    string
	Stats           *statsView
	Items           []itemStatRow
	Histogram       string // the chart's URL
	HistogramAlt    string
	CanAdmin        bool
	CanExtend       bool
	CanRead         bool
	Offsets         []string
	ShiftForm       *form
	UploadForm      *form
	UploadRows      []uploadRow
	CodeForm        *form
	ExtendForm      *form
	ResultsForm     *form
	Computed        string
	Published       string
	// Status is where the computation of the results is; the page
	// refreshes itself while it is queued or computing.
	Status  *assess.ResultsStatus
	Refresh bool
}

type uploadRow struct {
	Row    int
	Reason string
}

func emptyForm() *form { return &form{Values: url.Values{}, Errors: map[string]string{}} }

// examForms holds the one form of the exam page that was just submitted.
type examForms struct {
	shift, upload, code, extend, results *form
	rows                                 []uploadRow
}

func examID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (w *Web) exam(rw http.ResponseWriter, r *http.Request) {
	p, a := w.examUser(rw, r)
	if a == nil {
		return
	}
	id, ok := examID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	w.examPage(rw, r, p, a, id, http.StatusOK, examForms{})
}

func (w *Web) examPage(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, id int64, status int, fs examForms) {
	ctx := r.Context()
	lang := w.lang(r)
	prog, err := w.cfg.Bank.ExamProgress(ctx, p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := &examPageData{A: a, E: prog.Exam, Progress: prog, CanAdmin: p.Has(a.ID, examAdmins...), CanExtend: p.Has(a.ID, examProctors...),
		CanRead: p.Has(a.ID, examReaders...), Offsets: offsets}
	d.ShiftForm, d.UploadForm, d.CodeForm, d.ExtendForm, d.ResultsForm = orEmpty(fs.shift), orEmpty(fs.upload), orEmpty(fs.code), orEmpty(fs.extend), orEmpty(fs.results)
	d.UploadRows = fs.rows
	if d.ShiftForm.Get("utc_offset") == "" {
		d.ShiftForm.Values.Set("utc_offset", offsets[0])
	}
	if prog.ResultsComputed != nil {
		d.Computed = prog.ResultsComputed.Format("2006-01-02 15:04 UTC")
	}
	d.Status = prog.Results
	d.Refresh = d.Status != nil && (d.Status.State == assess.ResultsQueued || d.Status.State == assess.ResultsComputing)
	if prog.ResultsPublished != nil {
		d.Published = prog.ResultsPublished.Format("2006-01-02 15:04 UTC")
	}
	if d.CanRead {
		shifts, err := w.cfg.Bank.Shifts(ctx, p, a.Code, id)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		loc := zoneOf(d.ShiftForm.Get("utc_offset"))
		for _, s := range shifts {
			d.Shifts = append(d.Shifts, shiftRow{Code: s.Code, Starts: s.StartsAt.Format("2006-01-02 15:04 UTC"), Ends: s.EndsAt.Format("2006-01-02 15:04 UTC"),
				Local: s.StartsAt.In(loc).Format("2006-01-02 15:04 (UTC-07:00)"), LateEntry: s.LateEntry / 60})
		}
		q := r.URL.Query()
		after := q.Get("after")
		cands, err := w.cfg.Bank.Candidates(ctx, p, a.Code, id, after, candidatesPerPage)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		for _, c := range cands {
			d.Candidates = append(d.Candidates, candidateRow{RollNo: c.RollNo, Name: c.Name, Shift: c.Shift, ExtraTime: c.ExtraTime / 60, HasCode: c.CodeIssuedAt != nil})
		}
		keep := url.Values{}
		if s := q.Get("rank_after"); s != "" {
			keep.Set("rank_after", s)
		}
		if len(cands) == candidatesPerPage {
			nq := url.Values{"after": {cands[len(cands)-1].RollNo}}
			for k, v := range keep {
				nq[k] = v
			}
			d.NextCandidates = examURL(a, id) + "?" + nq.Encode() + "#candidates-h"
		}
		if after != "" {
			d.FirstCandidates = examURL(a, id) + "#candidates-h"
		}
		if prog.ResultsComputed != nil {
			rankAfter, _ := strconv.Atoi(q.Get("rank_after"))
			res, err := w.cfg.Bank.Results(ctx, p, a.Code, id, max(rankAfter, 0), resultsPerPage)
			if err != nil {
				w.fail(rw, r, err)
				return
			}
			d.Results = res
			if len(res) == resultsPerPage {
				d.NextResults = examURL(a, id) + "?rank_after=" + strconv.Itoa(res[len(res)-1].Rank) + "#results-h"
			}
			if rankAfter > 0 {
				d.FirstResults = examURL(a, id) + "#results-h"
			}
			rep, err := w.cfg.Bank.Analysis(ctx, p, a.Code, id)
			if err != nil {
				w.fail(rw, r, err)
				return
			}
			w.analysisView(d, rep, lang)
		}
	}
	v := w.newView(r, d)
	w.render(rw, r, status, "exam_page", v)
}

func orEmpty(f *form) *form {
	if f == nil {
		return emptyForm()
	}
	return f
}

// zoneOf makes a fixed zone of a UTC offset such as "+05:30" (UTC when
// the offset is not one).
func zoneOf(off string) *time.Location {
	if !offsetRE.MatchString(off) {
		return time.UTC
	}
	h, _ := strconv.Atoi(off[1:3])
	m, _ := strconv.Atoi(off[4:6])
	secs := h*3600 + m*60
	if off[0] == '-' {
		secs = -secs
	}
	return time.FixedZone("UTC"+off, secs)
}

// flagKeys word the item analysis's flags.
var flagKeys = map[string]string{
	"no-variance": "examres.flag_no_variance", "weak": "examres.flag_weak", "negative": "examres.flag_negative",
	"too-easy": "examres.flag_too_easy", "too-hard": "examres.flag_too_hard",
}

func pct(x float64) string { return strconv.FormatFloat(x*100, 'f', 0, 64) + "%" }

func dec(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func (w *Web) analysisView(d *examPageData, rep *analysis.ItemReport, lang string) {
	ts := rep.Test
	d.Histogram, d.HistogramAlt, d.Items = "", "", nil
	d.Stats = &statsView{N: ts.N, Mean: dec(ts.Mean), SD: dec(ts.SD), Median: dec(ts.Median), Min: dec(ts.Min), Max: dec(ts.Max), Items: ts.Items}
	switch {
	case !ts.Alpha.Available:
		d.Stats.Alpha = "—"
		d.Stats.AlphaNote = w.cat.text(lang, "examres.alpha_none")
	case ts.Alpha.Common:
		d.Stats.Alpha = dec(ts.Alpha.Alpha)
		d.Stats.AlphaNote = fmt.Sprintf(w.cat.text(lang, "examres.alpha_common"), ts.Alpha.Items)
	default:
		d.Stats.Alpha = dec(ts.Alpha.Alpha)
		d.Stats.AlphaNote = fmt.Sprintf(w.cat.text(lang, "examres.alpha_all"), ts.Alpha.Items)
	}
	if len(ts.Histogram.Counts) > 0 {
		d.Histogram = examURL(d.A, d.E.ID) + "/histogram.svg?lang=" + lang
		d.HistogramAlt = fmt.Sprintf(w.cat.text(lang, "examres.chart_alt"), ts.N, dec(ts.Mean), dec(ts.Median))
	}
	for _, it := range rep.Items {
		row := itemStatRow{Item: it.Item, N: it.N, Facility: dec(it.Facility), Discrimination: dec(it.Discrimination), Max: dec(it.Max), Negative: it.Flags.Has(analysis.Negative)}
		if it.Flags.Has(analysis.NoVariance) {
			row.Discrimination = "—"
		}
		for _, f := range it.Flags.Names() {
			row.Flags = append(row.Flags, flagView{Text: w.cat.text(lang, flagKeys[f]), Bad: f == "negative"})
		}
		for _, o := range append(slices.Clone(it.Options), it.Omitted) {
			name := o.Option
			if name == "" {
				name = w.cat.text(lang, "examres.omitted")
			}
			row.Options = append(row.Options, optionRow{Option: name, Share: pct(o.Share), TopShare: pct(o.TopShare), BotShare: pct(o.BottomShare)})
		}
		d.Items = append(d.Items, row)
	}
}

// histogram serves the score distribution chart, labelled in the page's
// language.
func (w *Web) histogram(rw http.ResponseWriter, r *http.Request) {
	p, a := w.examUser(rw, r)
	if a == nil {
		return
	}
	id, ok := examID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	rep, err := w.cfg.Bank.Analysis(r.Context(), p, a.Code, id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	lang := r.URL.Query().Get("lang")
	if !slices.Contains(languages, lang) {
		lang = w.lang(r)
	}
	o := analysis.SVGOptions{Title: w.cat.text(lang, "examres.chart_title"), Desc: w.cat.text(lang, "examres.chart_desc"),
		XLabel: w.cat.text(lang, "examres.chart_x"), YLabel: w.cat.text(lang, "examres.chart_y")}
	var b bytes.Buffer
	if err := analysis.WriteHistogramSVG(&b, rep.Test.Histogram, o); err != nil {
		w.fail(rw, r, err)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_, _ = rw.Write(b.Bytes())
}

// examPost reads a form posted to an exam page and the exam's id; on
// false the response has been written.
func (w *Web) examPost(rw http.ResponseWriter, r *http.Request) (*identity.Principal, *identity.Authority, int64, bool) {
	if w.user(rw, r) == nil || !w.parseForm(rw, r) {
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

// formFailed puts a service's refusal on f and shows the exam page, or the
// error page when the refusal is not about the form. Missing candidates
// and the like (NotFound) are form problems once the exam is known to
// exist.
func (w *Web) formFailed(rw http.ResponseWriter, r *http.Request, p *identity.Principal, a *identity.Authority, id int64, f *form, err error, fs examForms) {
	lang := w.lang(r)
	status := httpStatusOf(err)
	if errs.Is(err, errs.NotFound) {
		if _, xerr := w.cfg.Bank.ExamProgress(r.Context(), p, a.Code, id); xerr != nil {
			w.fail(rw, r, xerr)
			return
		}
		f.Message = l10n.Translate(lang, errs.As(err).Message)
		status = http.StatusUnprocessableEntity
	} else if !w.invalid(f, lang, err) {
		w.fail(rw, r, err)
		return
	}
	w.examPage(rw, r, p, a, id, status, fs)
}

// addShift adds a sitting; times are typed in the chosen UTC offset and
// stored in UTC.
func (w *Web) addShift(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.examPost(rw, r)
	if !ok {
		return
	}
	f := formOf(r)
	fs := examForms{shift: f}
	off := f.Get("utc_offset")
	if !offsetRE.MatchString(off) {
		f.Errors["utc_offset"] = "is required"
	}
	loc := zoneOf(off)
	at := func(name string) time.Time {
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
		f.Errors[name] = w.cat.text(w.lang(r), "fielderr.datetime")
		return time.Time{}
	}
	in := assess.Shift{Code: f.Get("code"), StartsAt: at("starts_at"), EndsAt: at("ends_at")}
	if s := strings.TrimSpace(f.Get("late_entry")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			f.Errors["late_entry"] = "must be a whole number"
		}
		in.LateEntry = n * 60
	}
	if len(f.Errors) > 0 {
		f.Message = w.cat.text(w.lang(r), "form.fix")
		w.examPage(rw, r, p, a, id, http.StatusUnprocessableEntity, fs)
		return
	}
	if _, err := w.cfg.Bank.AddShift(r.Context(), p, a.Code, id, in); err != nil {
		w.formFailed(rw, r, p, a, id, f, err, fs)
		return
	}
	w.setFlash(rw, "flash.shift_added")
	seeOther(rw, r, examURL(a, id)+"#shifts-h")
}

// candidateTemplate downloads an empty candidate list with the columns.
func (w *Web) candidateTemplate(rw http.ResponseWriter, r *http.Request) {
	p, a := w.examUser(rw, r)
	if a == nil {
		return
	}
	id, ok := examID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	if _, err := w.cfg.Bank.ExamProgress(r.Context(), p, a.Code, id); err != nil {
		w.fail(rw, r, err)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exam-%d-candidates.csv"`, id))
	h.Set("Cache-Control", "no-store")
	_, _ = io.WriteString(rw, strings.Join(assess.CandidateColumns, ",")+"\r\n")
}

// uploadCandidates registers the candidates of an uploaded CSV list, all
// or none; every bad row is shown.
func (w *Web) uploadCandidates(rw http.ResponseWriter, r *http.Request) {
	p, a := w.examUser(rw, r)
	if a == nil {
		return
	}
	id, ok := examID(r)
	if !ok {
		w.notFound(rw, r)
		return
	}
	f := emptyForm()
	fs := examForms{upload: f}
	lang := w.lang(r)
	if r.ContentLength > maxCandidateUpload+64<<10 {
		f.Errors["file"] = fmt.Sprintf(w.cat.text(lang, "fielderr.file_too_large"), maxCandidateUpload>>20)
		f.Message = w.cat.text(lang, "form.fix")
		w.examPage(rw, r, p, a, id, http.StatusRequestEntityTooLarge, fs)
		return
	}
	r.Body = http.MaxBytesReader(rw, r.Body, maxCandidateUpload+64<<10)
	file, _, err := r.FormFile("file")
	if err != nil {
		f.Errors["file"] = w.cat.text(lang, "fielderr.choose_file")
		f.Message = w.cat.text(lang, "form.fix")
		w.examPage(rw, r, p, a, id, http.StatusUnprocessableEntity, fs)
		return
	}
	defer file.Close()
	list, err := assess.ReadCandidatesCSV(io.LimitReader(file, maxCandidateUpload))
	if err != nil {
		w.formFailed(rw, r, p, a, id, f, err, fs)
		return
	}
	rep, err := w.cfg.Bank.RegisterCandidates(r.Context(), p, a.Code, id, list)
	if err != nil {
		if rep != nil {
			for row, why := range rep.Rejected {
				fs.rows = append(fs.rows, uploadRow{Row: row, Reason: l10n.Translate(lang, why)})
			}
			slices.SortFunc(fs.rows, func(x, y uploadRow) int { return x.Row - y.Row })
			f.Message = l10n.Translate(lang, errs.As(err).Message)
			w.examPage(rw, r, p, a, id, http.StatusUnprocessableEntity, fs)
			return
		}
		w.formFailed(rw, r, p, a, id, f, err, fs)
		return
	}
	w.setFlash(rw, "flash.candidates_registered", fmt.Sprintf("%d / %d", rep.Added, rep.Updated))
	seeOther(rw, r, examURL(a, id)+"#candidates-h")
}

// issueCodes issues access codes and sends them as a CSV download, once.
func (w *Web) issueCodes(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.examPost(rw, r)
	if !ok {
		return
	}
	f := formOf(r)
	var rolls []string
	if r.PostForm.Get("action") == "reissue" {
		roll := strings.TrimSpace(f.Get("reissue_roll"))
		if roll == "" {
			f.Errors["reissue_roll"] = "is required"
			f.Message = w.cat.text(w.lang(r), "form.fix")
			w.examPage(rw, r, p, a, id, http.StatusUnprocessableEntity, examForms{code: f})
			return
		}
		rolls = []string{roll}
	}
	codes, err := w.cfg.Bank.IssueCodes(r.Context(), p, a.Code, id, rolls)
	if err != nil {
		w.formFailed(rw, r, p, a, id, f, err, examForms{code: f})
		return
	}
	var b bytes.Buffer
	if err := assess.WriteAdmitCodes(&b, codes); err != nil {
		w.fail(rw, r, err)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exam-%d-access-codes.csv"`, id))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = rw.Write(b.Bytes())
}

// extendTime gives one candidate more time, with the reason.
func (w *Web) extendTime(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.examPost(rw, r)
	if !ok {
		return
	}
	f := formOf(r)
	fs := examForms{extend: f}
	roll := strings.TrimSpace(f.Get("roll_no"))
	if roll == "" {
		f.Errors["roll_no"] = "is required"
	}
	mins, err := strconv.Atoi(strings.TrimSpace(f.Get("minutes")))
	if err != nil {
		f.Errors["minutes"] = "must be a whole number"
	}
	if len(f.Errors) > 0 {
		f.Message = w.cat.text(w.lang(r), "form.fix")
		w.examPage(rw, r, p, a, id, http.StatusUnprocessableEntity, fs)
		return
	}
	if _, err := w.cfg.Bank.ExtendTime(r.Context(), p, a.Code, id, roll, mins, f.Get("reason")); err != nil {
		w.formFailed(rw, r, p, a, id, f, err, fs)
		return
	}
	w.setFlash(rw, "flash.time_extended", roll)
	seeOther(rw, r, examURL(a, id))
}

// computeResults queues the ranking of the graded attempts and the item
// analysis; a background job computes them while the page refreshes.
func (w *Web) computeResults(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.examPost(rw, r)
	if !ok {
		return
	}
	f := formOf(r)
	if _, err := w.cfg.Bank.ComputeResults(r.Context(), p, a.Code, id); err != nil {
		w.formFailed(rw, r, p, a, id, f, err, examForms{results: f})
		return
	}
	w.setFlash(rw, "flash.results_queued")
	seeOther(rw, r, examURL(a, id)+"#results-h")
}

// publishResults shows the results to candidates, or hides them.
func (w *Web) publishResults(rw http.ResponseWriter, r *http.Request) {
	p, a, id, ok := w.examPost(rw, r)
	if !ok {
		return
	}
	f := formOf(r)
	publish := f.Get("publish") == "1"
	if err := w.cfg.Bank.PublishResults(r.Context(), p, a.Code, id, publish); err != nil {
		w.formFailed(rw, r, p, a, id, f, err, examForms{results: f})
		return
	}
	if publish {
		w.setFlash(rw, "flash.results_published")
	} else {
		w.setFlash(rw, "flash.results_unpublished")
	}
	seeOther(rw, r, examURL(a, id)+"#results-h")
}
