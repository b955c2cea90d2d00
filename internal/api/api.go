// Package api serves Vidya's JSON API under /api/v1. Every route is declared
// once in routes.go; the same table registers the handlers and generates the
// OpenAPI 3.1 document at /api/openapi.json.
package api

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// API holds what the handlers need.
type API struct {
	Identity *identity.Service
	Bank     *assess.Service
	Delivery *assess.Delivery // exam day; nil leaves its routes out
	Certify  *certify.Service // certificates; nil leaves their routes out
	Outbox   *mail.Outbox
	Cookies  Cookies
	Log      *slog.Logger
	Version  string
}

// access says who may call a route.
type access int

const (
	public    access = iota // anyone
	signedIn                // any authenticated caller (session or token)
	browser                 // a signed-in browser session, not an API token
	platform                // platform administrators
	candidate               // a candidate's exam ticket (Authorization: Exam …), not a user
)

// route is one API endpoint: its documentation and its handler.
type route struct {
	method, path string
	summary      string
	access       access
	in           any // request body type, as a nil pointer (e.g. (*NewUser)(nil)); nil: no body
	// raw lists the media types of a binary request body (uploads).
	raw []string
	// produces lists the media types of a response the handler writes
	// itself (downloads); the handler returns (nil, nil) after writing.
	produces []string
	out      any // response body type; nil: 204 No Content
	status   int // success status (default 200, or 204 when out is nil)
	query    []param
	handle   func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error)
}

type param struct {
	name, desc string
}

// Register adds every API route, and the OpenAPI document, to mux.
func (a *API) Register(mux *http.ServeMux) {
	routes := append(append(a.routes(), a.itemRoutes()...), a.itemFileRoutes()...)
	routes = append(routes, a.examRoutes()...)
	if a.Certify != nil {
		routes = append(routes, a.certifyRoutes()...)
	}
	if a.Delivery != nil {
		routes = append(routes, a.deliveryRoutes()...)
		routes = append(routes, a.markingRoutes()...)
	}
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, a.wrap(rt))
	}
	mux.HandleFunc("GET /authorities/{code}/logo", a.logo)
	if a.Certify != nil {
		mux.HandleFunc("GET /authorities/{code}/did.json", a.didDocument)
		mux.HandleFunc("GET /authorities/{code}/jwks.json", a.jwks)
		mux.HandleFunc("GET /authorities/{code}/status/{id}", a.statusList)
	}
	mux.HandleFunc("GET /media/{code}/{name}", a.media)
	doc := openAPI(routes, a.Version)
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		httpx.JSON(w, http.StatusOK, doc)
	})
	// Anything else under /api/ is a problem+json 404, not the HTML page.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpx.Error(w, r, a.Log, errs.E(errs.NotFound, "api", "no API endpoint %s %s", r.Method, r.URL.Path))
	})
}

func (a *API) wrap(rt route) http.Handler {
	status := rt.status
	if status == 0 {
		status = http.StatusOK
		if rt.out == nil {
			status = http.StatusNoContent
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := identity.PrincipalFrom(r.Context())
		switch {
		case rt.access == candidate:
			if err := requireTicket(r); err != nil {
				w.Header().Set("WWW-Authenticate", `Exam realm="vidya"`)
				httpx.Error(w, r, a.Log, err)
				return
			}
		case rt.access != public && p == nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="vidya"`)
			httpx.Error(w, r, a.Log, errs.E(errs.Unauthorized, "api", "sign in or send an API token"))
			return
		case rt.access == browser && p.TokenID != 0:
			httpx.Error(w, r, a.Log, errs.E(errs.Forbidden, "api", "this endpoint is for signed-in browser sessions, not API tokens"))
			return
		case rt.access == platform && !p.IsPlatformAdmin():
			httpx.Error(w, r, a.Log, errs.E(errs.Forbidden, "api", "only platform administrators can do this"))
			return
		}
		out, err := rt.handle(w, r, p)
		if err != nil {
			httpx.Error(w, r, a.Log, err)
			return
		}
		if len(rt.produces) > 0 {
			return // the handler wrote the response
		}
		if rt.out == nil {
			w.WriteHeader(status)
			return
		}
		httpx.JSON(w, status, out)
	})
}

// List is a page of results; Next is the cursor for the following page
// (empty on the last page).
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

func listOf[T any](items []T, next string) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, Next: next}
}

func page(r *http.Request) (identity.Page, error) {
	pg := identity.Page{After: r.URL.Query().Get("after")}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 200 {
			return pg, &errs.Error{Kind: errs.Invalid, Op: "api", Message: "the query is not valid", Fields: map[string]string{"limit": "must be a whole number from 1 to 200"}}
		}
		pg.Limit = n
	}
	return pg, nil
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "api", "no such %s", name)
	}
	return id, nil
}
