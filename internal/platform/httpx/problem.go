// Package httpx holds Vidya's HTTP conventions: RFC 9457 problem responses,
// strict JSON bodies, request ids, access logs, metrics and security headers.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"` // field -> message
}

// ProblemBase prefixes every problem type; the documentation lists them.
const ProblemBase = "https://vidya.dev/problems/"

var kindStatus = map[errs.Kind]int{
	errs.Invalid:      http.StatusBadRequest,
	errs.NotFound:     http.StatusNotFound,
	errs.Conflict:     http.StatusConflict,
	errs.Unauthorized: http.StatusUnauthorized,
	errs.Forbidden:    http.StatusForbidden,
	errs.TooMany:      http.StatusTooManyRequests,
	errs.Unavailable:  http.StatusServiceUnavailable,
	errs.TooLarge:     http.StatusRequestEntityTooLarge,
	errs.Unsupported:  http.StatusUnsupportedMediaType,
	errs.Internal:     http.StatusInternalServerError,
}

var kindTitle = map[errs.Kind]string{
	errs.Invalid:      "The request is not valid",
	errs.NotFound:     "Not found",
	errs.Conflict:     "Conflict",
	errs.Unauthorized: "Sign-in required",
	errs.Forbidden:    "Not allowed",
	errs.TooMany:      "Too many requests",
	errs.Unavailable:  "Temporarily unavailable",
	errs.TooLarge:     "Too large",
	errs.Unsupported:  "Unsupported media type",
	errs.Internal:     "Internal error",
}

// StatusOf returns the HTTP status for an error's kind.
func StatusOf(err error) int { return kindStatus[errs.KindOf(err)] }

// ProblemFor builds the problem for err. Internal errors get a generic
// detail: their text may hold SQL or paths and is only logged.
func ProblemFor(r *http.Request, err error) Problem {
	k := errs.KindOf(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		k = errs.Unavailable
	}
	p := Problem{Type: ProblemBase + string(k), Title: kindTitle[k], Status: kindStatus[k], Instance: r.URL.Path, RequestID: RequestID(r.Context())}
	if e := errs.As(err); e != nil && k != errs.Internal {
		p.Detail = e.Message
		p.Errors = e.Fields
	}
	if k == errs.Internal {
		p.Detail = "Something went wrong on our side. Quote the request id if you report it."
	}
	if k == errs.Unavailable && p.Detail == "" {
		p.Detail = "The server is busy or a service it needs is down. Please try again shortly."
	}
	return p
}

// Error writes err as a problem+json response, logging internal errors
// once with the request id.
func Error(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := ProblemFor(r, err)
	if p.Status >= 500 && errs.KindOf(err) == errs.Internal {
		log.ErrorContext(r.Context(), "request failed", "request_id", p.RequestID, "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e := errs.As(err); e != nil && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	WriteProblem(w, p)
}

// WriteProblem writes p.
func WriteProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
