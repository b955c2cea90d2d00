package api

import (
	"net/http"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

// MarkInput is a marker's score for a script they hold.
type MarkInput struct {
	Score   *float64 `json:"score"`
	Comment string   `json:"comment,omitempty"`
}

// markingRoutes is the API of manual marking (graders, moderators) and of
// the answer-key challenge window (candidates challenge, administrators
// decide). Its services live on the Delivery.
func (a *API) markingRoutes() []route {
	d := a.Delivery
	id := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	const exam = "/api/v1/authorities/{code}/exams/{id}"
	return []route{
		{method: "GET", path: exam + "/marking/settings", summary: "An exam's marking rules: double marking, its tolerance in marks, the score step", access: signedIn,
			out: assess.MarkingSettings{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				return d.MarkingSettings(r.Context(), p, r.PathValue("code"), eid)
			}},
		{method: "PUT", path: exam + "/marking/settings", summary: "Set an exam's marking rules, before marking starts (administrators)", access: signedIn,
			in: (*assess.MarkingSettings)(nil), out: assess.MarkingSettings{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in assess.MarkingSettings
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return d.SetMarkingSettings(r.Context(), p, r.PathValue("code"), eid, in)
			}},
		{method: "POST", path: exam + "/marking/next", summary: "Reserve the next answer to mark (blind: no candidate's identity) for 30 minutes; moderators get moderation first (graders, approvers, administrators)", access: signedIn,
			out: assess.Script{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				return d.NextForMarking(r.Context(), p, r.PathValue("code"), eid)
			}},
		{method: "POST", path: exam + "/marking/scripts/{script}", summary: "Mark a reserved answer: a score from 0 to the question's marks in the exam's steps, and a comment", access: signedIn,
			in: (*MarkInput)(nil), out: assess.MarkOutcome{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in MarkInput
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				if in.Score == nil {
					return nil, &errs.Error{Kind: errs.Invalid, Op: "api", Message: "some fields are not valid", Fields: map[string]string{"score": "is required"}}
				}
				return d.Mark(r.Context(), p, r.PathValue("code"), eid, r.PathValue("script"), *in.Score, in.Comment)
			}},
		{method: "GET", path: exam + "/marking/progress", summary: "How many answers are to be marked, first and second marked, in moderation and final", access: signedIn,
			out: assess.MarkingProgress{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				return d.MarkingProgress(r.Context(), p, r.PathValue("code"), eid)
			}},

		{method: "GET", path: exam + "/challenges/window", summary: "An exam's answer-key challenge window (none: not set)", access: signedIn,
			out: assess.ChallengeWindow{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := pathID(r, "id")
				if err != nil {
					return nil, err
				}
				win, err := d.ChallengeWindowOf(r.Context(), p, r.PathValue("code"), eid)
				if err == nil && win == nil {
					return nil, errs.E(errs.NotFound, "api", "exam %d has no challenge window", eid)
				}
				return win, err
			}},
		{method: "PUT", path: exam + "/challenges/window", summary: "Open or move the answer-key challenge window, after the last shift (administrators)", access: signedIn,
			in: (*assess.ChallengeWindow)(nil), out: assess.ChallengeWindow{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				var in assess.ChallengeWindow
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return d.SetChallengeWindow(r.Context(), p, r.PathValue("code"), eid, in)
			}},
		{method: "GET", path: exam + "/challenges", summary: "Candidates' challenges of the key, grouped by question, most challenged first, with decisions", access: signedIn,
			out: List[assess.ChallengedItem]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				list, err := d.Challenges(r.Context(), p, r.PathValue("code"), eid)
				return listOf(list, ""), err
			}},
		{method: "POST", path: exam + "/challenges/{item}/decision",
			summary: "Decide a question's key: reject, accept with a corrected key, or drop (full marks for all); accepting marks the results stale and regrades every affected attempt (administrators)",
			access:  signedIn, in: (*assess.DecisionInput)(nil), out: assess.KeyDecision{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				item, err := pathID(r, "item")
				if err != nil {
					return nil, err
				}
				var in assess.DecisionInput
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return d.DecideChallenge(r.Context(), p, r.PathValue("code"), eid, item, in)
			}},
		{method: "POST", path: exam + "/challenges/regrade", summary: "Apply the exam's decided keys to up to 50,000 attempts now (the background job does the rest) and show how far regrading is (administrators)", access: signedIn,
			out: List[assess.KeyDecision]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				eid, err := id(r)
				if err != nil {
					return nil, err
				}
				list, err := d.RegradeExam(r.Context(), p, r.PathValue("code"), eid, 50_000)
				return listOf(list, ""), err
			}},

		{method: "GET", path: "/api/v1/exam/challenges", summary: "The candidate's challenges of the answer key, with their status, and the challenge window", access: candidate,
			out: assess.CandidateChallenges{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				return d.CandidateChallenges(r.Context(), examTicket(r))
			}},
		{method: "POST", path: "/api/v1/exam/challenges", summary: "Challenge the key of a question on the candidate's paper, once, while the challenge window is open", access: candidate,
			in: (*assess.ChallengeInput)(nil), out: assess.Challenge{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				var in assess.ChallengeInput
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return d.Challenge(r.Context(), examTicket(r), in)
			}},
	}
}
