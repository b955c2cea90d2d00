package httpx_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

func TestProblemForTranslates(t *testing.T) {
	newErr := func() *errs.Error {
		return &errs.Error{Kind: errs.Invalid, Op: "test", Message: "some fields are not valid", Fields: map[string]string{"name": "is required", "note": "not in any catalogue"}}
	}
	t.Run("Hindi detail and fields, the error untouched", func(t *testing.T) {
		r := httptest.NewRequest("POST", "/x", nil)
		r.Header.Set("Accept-Language", "hi")
		e := newErr()
		p := httpx.ProblemFor(r, fmt.Errorf("wrapped: %w", e))
		if p.Detail != "कुछ फ़ील्ड मान्य नहीं हैं" || p.Errors["name"] != "आवश्यक है" || p.Errors["note"] != "not in any catalogue" || p.Lang != "hi" {
			t.Errorf("problem = %+v", p)
		}
		if e.Fields["name"] != "is required" {
			t.Errorf("the error's own fields changed: %v", e.Fields)
		}
		rec := httptest.NewRecorder()
		httpx.WriteProblem(rec, p)
		if rec.Header().Get("Content-Language") != "hi" {
			t.Errorf("Content-Language = %q", rec.Header().Get("Content-Language"))
		}
	})
	t.Run("English without Accept-Language", func(t *testing.T) {
		p := httpx.ProblemFor(httptest.NewRequest("POST", "/x", nil), newErr())
		if p.Detail != "some fields are not valid" || p.Errors["name"] != "is required" || p.Lang != "" {
			t.Errorf("problem = %+v", p)
		}
	})
	t.Run("internal errors stay generic in any language", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Accept-Language", "hi")
		p := httpx.ProblemFor(r, errs.E(errs.Internal, "db", "is required"))
		if p.Detail == "आवश्यक है" || p.Lang != "" {
			t.Errorf("problem = %+v", p)
		}
	})
	t.Run("the generic busy detail is not labelled Hindi", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Accept-Language", "hi")
		p := httpx.ProblemFor(r, context.DeadlineExceeded)
		if p.Lang != "" {
			t.Errorf("problem = %+v", p)
		}
		p = httpx.ProblemFor(r, errs.E(errs.Unavailable, "x", ""))
		if p.Lang != "" || p.Detail == "" {
			t.Errorf("problem = %+v", p)
		}
	})
}
