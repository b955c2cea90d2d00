package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/assess/analysis"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

type (
	// TestEdit is a new definition for a test, from the revision the
	// author saw.
	TestEdit struct {
		Revision int         `json:"revision"`
		Test     assess.Test `json:"test"`
	}
	// Revision names the revision an action was decided on.
	Revision struct {
		Revision int `json:"revision"`
	}
	// Published says what publishing a test froze.
	Published struct {
		TestID      int64     `json:"test_id"`
		Version     int       `json:"version"`
		Items       int       `json:"items"`
		PublishedAt time.Time `json:"published_at"`
	}
	// NewExam schedules an exam from a published exam test.
	NewExam struct {
		TestID      int64  `json:"test_id"`
		TestVersion int    `json:"test_version,omitempty"` // default: the latest
		Title       string `json:"title"`
	}
	// CandidateList registers candidates.
	CandidateList struct {
		Candidates []assess.Candidate `json:"candidates"`
	}
	// ExtendTime gives a candidate more time after an incident.
	ExtendTime struct {
		Minutes int    `json:"minutes"`
		Reason  string `json:"reason"`
	}
	// PublishRequest shows or hides an exam's results.
	PublishRequest struct {
		Publish bool `json:"publish"`
	}
	// CodeRequest names the candidates to issue access codes to; none
	// means everyone who has none yet.
	CodeRequest struct {
		RollNos []string `json:"roll_nos,omitempty"`
	}
)

// maxCandidateUpload bounds a candidate list upload (50,000 rows).
const maxCandidateUpload = 16 << 20

// examRoutes is the part of the API that builds tests and schedules exams.
func (a *API) examRoutes() []route {
	bank := a.Bank
	id := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	return []route{
		{method: "GET", path: "/api/v1/authorities/{code}/tests", summary: "List mock tests and exam papers, newest first", access: signedIn,
			out: List[assess.Test]{}, query: []param{{"kind", "mock or exam"}, {"after", "cursor from the previous page's next"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				pg, err := page(r)
				if err != nil {
					return nil, err
				}
				ts, next, err := bank.ListTests(r.Context(), p, r.PathValue("code"), assess.TestKind(r.URL.Query().Get("kind")), pg.After, pg.Limit)
				return listOf(ts, next), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/tests", summary: "Add a draft mock test or exam paper (authors, administrators)", access: signedIn,
			in: (*assess.Test)(nil), out: assess.Test{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in assess.Test
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.CreateTest(r.Context(), p, r.PathValue("code"), &in)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/tests/{id}", summary: "A test's current definition", access: signedIn, out: assess.Test{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				tid, err := id(r)
				if err != nil {
					return nil, err
				}
				return bank.Test(r.Context(), p, r.PathValue("code"), tid)
			}},
		{method: "PUT", path: "/api/v1/authorities/{code}/tests/{id}", summary: "Change a test's definition; a published test goes back to draft, its versions stay", access: signedIn,
			in: (*TestEdit)(nil), out: assess.Test{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				tid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in TestEdit
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.UpdateTest(r.Context(), p, r.PathValue("code"), tid, in.Revision, &in.Test)
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/tests/{id}/publish", summary: "Freeze the test and the items it uses as a new version (approvers, administrators)", access: signedIn,
			in: (*Revision)(nil), out: Published{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				tid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in Revision
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				v, err := bank.PublishTest(r.Context(), p, r.PathValue("code"), tid, in.Revision)
				if err != nil {
					return nil, err
				}
				return Published{TestID: v.TestID, Version: v.Version, Items: len(v.Items), PublishedAt: v.PublishedAt}, nil
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/tests/{id}/versions/{version}", summary: "A published version with the items it froze, keys included (staff only)", access: signedIn,
			out: assess.TestVersion{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				tid, err := id(r)
				if err != nil {
					return nil, err
				}
				v, err := strconv.Atoi(r.PathValue("version"))
				if err != nil || v <= 0 {
					return nil, errs.E(errs.NotFound, "api", "no such version")
				}
				return bank.PublishedTest(r.Context(), p, r.PathValue("code"), tid, v)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/mock-tests", summary: "The published mock tests a member (learners included) may practise", access: signedIn,
			out: List[assess.MockTest]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				ts, err := bank.MockTests(r.Context(), p, r.PathValue("code"))
				return listOf(ts, ""), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/mock-tests/{id}/practise",
			summary: "Start a practice attempt at a mock test, or resume the one in progress; returns a ticket for the /api/v1/exam routes",
			access:  signedIn, out: assess.Started{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				tid, err := id(r)
				if err != nil {
					return nil, err
				}
				if a.Delivery == nil {
					return nil, errs.E(errs.Unavailable, "api", "practice is not available on this server")
				}
				return a.Delivery.Practise(r.Context(), p, r.PathValue("code"), tid)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams", summary: "List scheduled exams, newest first", access: signedIn, out: List[assess.ExamInfo]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				es, err := bank.ListExams(r.Context(), p, r.PathValue("code"))
				return listOf(es, ""), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/exams", summary: "Schedule an exam from a published exam test (administrators)", access: signedIn,
			in: (*NewExam)(nil), out: assess.ExamInfo{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in NewExam
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.CreateExam(r.Context(), p, r.PathValue("code"), in.TestID, in.TestVersion, in.Title)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams/{id}", summary: "One exam", access: signedIn, out: assess.ExamInfo{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				return bank.Exam(r.Context(), p, r.PathValue("code"), eid)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams/{id}/shifts", summary: "An exam's shifts, in start order", access: signedIn, out: List[assess.Shift]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				ss, err := bank.Shifts(r.Context(), p, r.PathValue("code"), eid)
				return listOf(ss, ""), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/exams/{id}/shifts", summary: "Add a shift (administrators)", access: signedIn,
			in: (*assess.Shift)(nil), out: assess.Shift{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in assess.Shift
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.AddShift(r.Context(), p, r.PathValue("code"), eid, in)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams/{id}/candidates", summary: "An exam's candidates in roll-number order", access: signedIn,
			out: List[assess.Candidate]{}, query: []param{{"after", "the last roll number of the previous page"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				pg, err := page(r)
				if err != nil {
					return nil, err
				}
				cs, err := bank.Candidates(r.Context(), p, r.PathValue("code"), eid, pg.After, pg.Limit)
				next := ""
				if err == nil && len(cs) > 0 && len(cs) == (identity.Page{Limit: pg.Limit}).Size() {
					next = cs[len(cs)-1].RollNo
				}
				return listOf(cs, next), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/exams/{id}/candidates",
			summary: "Register candidates or update them by roll number, all or none (administrators). JSON {candidates: […]}, or CSV with the columns roll_no, name, shift, extra_time_minutes",
			access:  signedIn, raw: []string{"application/json", "text/csv"}, out: assess.RegistrationReport{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				data, err := readUpload(w, r, maxCandidateUpload)
				if err != nil {
					return nil, err
				}
				var list []assess.Candidate
				switch mediaType(r) {
				case "text/csv":
					if list, err = assess.ReadCandidatesCSV(bytes.NewReader(data)); err != nil {
						return nil, err
					}
				case "application/json":
					var in CandidateList
					dec := json.NewDecoder(bytes.NewReader(data))
					dec.DisallowUnknownFields()
					if err := dec.Decode(&in); err != nil {
						return nil, errs.E(errs.Invalid, "api", "the body is not a candidate list: %v", err)
					}
					list = in.Candidates
				default:
					return nil, errs.E(errs.Unsupported, "api", "send application/json or text/csv")
				}
				return bank.RegisterCandidates(r.Context(), p, r.PathValue("code"), eid, list)
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/exams/{id}/candidates/{roll}/extend",
			summary: "Give one candidate more time after an incident, with the reason (administrators, proctors); audited",
			access:  signedIn, in: (*ExtendTime)(nil), out: assess.Extension{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in ExtendTime
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.ExtendTime(r.Context(), p, r.PathValue("code"), eid, r.PathValue("roll"), in.Minutes, in.Reason)
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/exams/{id}/results/compute",
			summary: "Queue the ranking of the graded attempts (percentiles within shifts, the merit list across shifts) and the item analysis, computed by a background job; replaces earlier results (administrators)",
			access:  signedIn, out: assess.ResultsStatus{}, status: http.StatusAccepted,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				return bank.ComputeResults(r.Context(), p, r.PathValue("code"), eid)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams/{id}/results/status", summary: "Where the computation of the results is: queued, computing (with progress), ready, stale or failed",
			access: signedIn, out: assess.ResultsStatus{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				return bank.ResultsStatus(r.Context(), p, r.PathValue("code"), eid)
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/exams/{id}/results/publish", summary: "Show the computed results to candidates, or hide them (administrators)",
			access: signedIn, in: (*PublishRequest)(nil),
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in PublishRequest
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return nil, bank.PublishResults(r.Context(), p, r.PathValue("code"), eid, in.Publish)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams/{id}/results", summary: "The merit list, in rank order", access: signedIn,
			out: List[assess.ExamResult]{}, query: []param{{"after", "the last rank of the previous page"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				pg, err := page(r)
				if err != nil {
					return nil, err
				}
				after := 0
				if pg.After != "" {
					if after, err = strconv.Atoi(pg.After); err != nil || after < 0 {
						return nil, &errs.Error{Kind: errs.Invalid, Op: "api", Message: "the query is not valid", Fields: map[string]string{"after": "must be a rank"}}
					}
				}
				rs, err := bank.Results(r.Context(), p, r.PathValue("code"), eid, after, pg.Limit)
				next := ""
				if err == nil && len(rs) > 0 && len(rs) == (identity.Page{Limit: pg.Limit}).Size() {
					next = strconv.Itoa(rs[len(rs)-1].Rank)
				}
				return listOf(rs, next), err
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams/{id}/analysis", summary: "Item analysis and test statistics of the computed results", access: signedIn,
			out: analysis.ItemReport{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				return bank.Analysis(r.Context(), p, r.PathValue("code"), eid)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/exams/{id}/analysis/histogram.svg", summary: "The score distribution as an accessible SVG chart", access: signedIn,
			produces: []string{"image/svg+xml"}, query: []param{{"lang", "language of the labels (en or hi)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				rep, err := bank.Analysis(r.Context(), p, r.PathValue("code"), eid)
				if err != nil {
					return nil, err
				}
				o := analysis.SVGOptions{Title: "Score distribution", Desc: "Number of candidates by score.", XLabel: "Score", YLabel: "Candidates"}
				if r.URL.Query().Get("lang") == "hi" {
					o = analysis.SVGOptions{Title: "अंकों का वितरण", Desc: "अंकों के अनुसार अभ्यर्थियों की संख्या।", XLabel: "अंक", YLabel: "अभ्यर्थी"}
				}
				var b bytes.Buffer
				if err := analysis.WriteHistogramSVG(&b, rep.Test.Histogram, o); err != nil {
					return nil, err
				}
				w.Header().Set("Content-Type", "image/svg+xml")
				w.Header().Set("Cache-Control", "private, no-cache")
				w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
				_, _ = w.Write(b.Bytes())
				return nil, nil
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/exams/{id}/codes",
			summary: "Issue access codes, as CSV for admit cards (roll_no, name, shift, access_code): to the candidates named, replacing their codes, or to everyone who has none yet (administrators). The codes are shown this once",
			access:  signedIn, in: (*CodeRequest)(nil), produces: []string{"text/csv"},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in CodeRequest
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				codes, err := bank.IssueCodes(r.Context(), p, r.PathValue("code"), eid, in.RollNos)
				if err != nil {
					return nil, err
				}
				w.Header().Set("Content-Type", "text/csv; charset=utf-8")
				w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="exam-%d-access-codes.csv"`, eid))
				w.Header().Set("Cache-Control", "no-store")
				if err := assess.WriteAdmitCodes(w, codes); err != nil {
					a.Log.ErrorContext(r.Context(), "writing access codes failed", "err", err)
				}
				return nil, nil
			}},
	}
}
