package api

import (
	"net/http"
	"strings"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

type (
	// ExamSignIn is a candidate's roll number and access code.
	ExamSignIn struct {
		RollNo     string `json:"roll_no"`
		AccessCode string `json:"access_code"`
	}
	// Answers is a batch of answers to save.
	Answers struct {
		Answers []assess.Answer `json:"answers"`
	}
)

// maxAnswersBody bounds a save request: 200 answers, essays included.
const maxAnswersBody = 1 << 20

// examTicket is the candidate's ticket from "Authorization: Exam <ticket>".
func examTicket(r *http.Request) string {
	scheme, t, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Exam") {
		return ""
	}
	return strings.TrimSpace(t)
}

// deliveryRoutes is the API an exam runner uses on exam day. Candidates
// are not users: they sign in with a roll number and access code and
// carry a signed ticket, sent as "Authorization: Exam <ticket>".
func (a *API) deliveryRoutes() []route {
	d := a.Delivery
	return []route{
		{method: "POST", path: "/api/v1/exam/signin", summary: "Sign a candidate in with roll number and access code; returns a ticket", access: public,
			in: (*ExamSignIn)(nil), out: assess.ExamSession{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				var in ExamSignIn
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return d.SignIn(r.Context(), in.RollNo, in.AccessCode)
			}},
		{method: "POST", path: "/api/v1/exam/start", summary: "Start the attempt, or resume it on this device (the other device is told it was taken over); the server sets the deadline", access: candidate,
			out: assess.Started{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				return d.Start(r.Context(), examTicket(r))
			}},
		{method: "GET", path: "/api/v1/exam/paper", summary: "The candidate's paper: sections, questions in the candidate's order, no keys", access: candidate,
			out: assess.PaperView{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				p, err := d.Paper(r.Context(), examTicket(r))
				if err == nil {
					w.Header().Set("Cache-Control", "private, max-age=600")
				}
				return p, err
			}},
		{method: "GET", path: "/api/v1/exam/state", summary: "The answers saved so far, the deadline and the server's time", access: candidate,
			out: assess.AttemptState{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				return d.State(r.Context(), examTicket(r))
			}},
		{method: "POST", path: "/api/v1/exam/answers", summary: "Save answers; each keeps the highest seq per question. Answered only once on disk", access: candidate,
			in: (*Answers)(nil), out: assess.SaveResult{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				var in Answers
				if err := httpx.Decode(w, r, &in, maxAnswersBody); err != nil {
					return nil, err
				}
				return d.Save(r.Context(), examTicket(r), in.Answers)
			}},
		{method: "GET", path: "/api/v1/exam/result", summary: "The candidate's result and response sheet (answers beside the key), once results are published", access: candidate,
			out: assess.CandidateResult{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				return d.Result(r.Context(), examTicket(r))
			}},
		{method: "POST", path: "/api/v1/exam/next-section", summary: "Close the open section early and open the next, on a paper whose sections have their own time; cannot be undone", access: candidate,
			out: assess.AttemptState{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				return d.NextSection(r.Context(), examTicket(r))
			}},
		{method: "POST", path: "/api/v1/exam/submit", summary: "Submit the attempt with the answers saved so far", access: candidate,
			out: assess.AttemptState{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				return d.Submit(r.Context(), examTicket(r))
			}},
	}
}

// requireTicket refuses a candidate route called without a ticket.
func requireTicket(r *http.Request) error {
	if examTicket(r) == "" {
		return errs.E(errs.Unauthorized, "api", "sign in with your roll number and access code, and send Authorization: Exam <ticket>")
	}
	return nil
}
