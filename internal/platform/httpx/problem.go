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
	"github.com/vidya-edu/vidya/internal/platform/l10n"
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
	// Lang is the language of Detail and Errors, sent as Content-Language;
	// empty means English.
	Lang string `json:"-"`
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
// detail: their text may hold SQL or paths and is only logged. The detail
// and field messages of other errors are in the language the request's
// Accept-Language prefers among those the l10n catalogue has (English by
// default); type and title stay English, for programs to rely on.
func ProblemFor(r *http.Request, err error) Problem {
	k := errs.KindOf(err)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		k = errs.Unavailable
	}
	p := Problem{Type: ProblemBase + string(k), Title: kindTitle[k], Status: kindStatus[k], Instance: r.URL.Path, RequestID: RequestID(r.Context())}
	if e := errs.As(err); e != nil && k != errs.Internal {
		if e.Code != "" {
			p.Type = ProblemBase + e.Code
		}
		p.Detail = e.Message
		p.Errors = e.Fields
		if lang := l10n.Negotiate(r.Header.Get("Accept-Language")); lang != l10n.Default {
			p.Lang = lang
			p.Detail = l10n.Translate(lang, e.Message)
			if len(e.Fields) > 0 {
				// A copy: the error's own fields stay as the service wrote them.
				p.Errors = make(map[string]string, len(e.Fields))
				for f, msg := range e.Fields {
					p.Errors[f] = l10n.Translate(lang, msg)
				}
			}
		}
	}
	if k == errs.Internal {
		p.Detail = "Something went wrong on our side. Quote the request id if you report it."
	}
	if k == errs.Unavailable && p.Detail == "" {
		p.Detail = "The server is busy or a service it needs is down. Please try again shortly."
		p.Lang = ""
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
	w.Header().Add("Vary", "Accept-Language")
	if p.Lang != "" {
		w.Header().Set("Content-Language", p.Lang)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
