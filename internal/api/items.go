package api

import (
	"net/http"
	"strconv"

	"github.com/vidya-edu/vidya/internal/assess"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

type (
	// ItemEdit is new content for an item, from the revision the author saw.
	ItemEdit struct {
		Revision int              `json:"revision"`
		Item     assess.ItemInput `json:"item"`
	}
	// BulkResult says how many items a bulk change changed.
	BulkResult struct {
		Changed int `json:"changed"`
	}
	// StatusChange moves an item through review.
	StatusChange struct {
		Revision int           `json:"revision"`
		Status   assess.Status `json:"status"`
	}
)

// itemRoutes is the item bank's part of the API.
func (a *API) itemRoutes() []route {
	bank := a.Bank
	itemID := func(r *http.Request) (int64, error) { return pathID(r, "id") }
	return []route{
		{method: "GET", path: "/api/v1/authorities/{code}/items", summary: "Search the item bank (authors, graders, approvers, administrators)", access: signedIn,
			out: List[assess.Item]{}, query: []param{{"q", "words in the title, stem or choices, any language"}, {"type", "item type"}, {"status", "draft, reviewed, published or retired"},
				{"topic", "topic, including its subtopics"}, {"difficulty", "easy, medium or hard"}, {"bloom", "Bloom level"}, {"language", "items with text in this language"},
				{"after", "cursor from the previous page's next"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				q := r.URL.Query()
				pg, err := page(r)
				if err != nil {
					return nil, err
				}
				items, next, err := bank.ListItems(r.Context(), p, r.PathValue("code"), assess.ItemFilter{
					Text: q.Get("q"), Type: assess.ItemType(q.Get("type")), Status: assess.Status(q.Get("status")), Topic: q.Get("topic"),
					Difficulty: q.Get("difficulty"), Bloom: q.Get("bloom"), Language: q.Get("language"), After: pg.After, Limit: pg.Limit})
				return listOf(items, next), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/items", summary: "Add a draft item (authors, administrators)", access: signedIn,
			in: (*assess.ItemInput)(nil), out: assess.Item{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in assess.ItemInput
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.CreateItem(r.Context(), p, r.PathValue("code"), in.Item())
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/items/bulk", summary: "Tag or retire many items at once, all or none", access: signedIn,
			in: (*assess.BulkChange)(nil), out: BulkResult{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in assess.BulkChange
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				n, err := bank.Bulk(r.Context(), p, r.PathValue("code"), in)
				return BulkResult{Changed: n}, err
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/topics", summary: "The authority's taxonomy of topics, in path order", access: signedIn,
			out: List[assess.Topic]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				ts, err := bank.Topics(r.Context(), p, r.PathValue("code"))
				return listOf(ts, ""), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/topics", summary: "Add a topic (and its missing parents) to the taxonomy, or rename one (administrators)", access: signedIn,
			in: (*assess.Topic)(nil), out: assess.Topic{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in assess.Topic
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.AddTopic(r.Context(), p, r.PathValue("code"), in)
			}},
		{method: "DELETE", path: "/api/v1/authorities/{code}/topics", summary: "Remove an unused topic without subtopics (administrators)", access: signedIn,
			query: []param{{"path", "the topic's path, e.g. physics/optics"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return nil, bank.RemoveTopic(r.Context(), p, r.PathValue("code"), r.URL.Query().Get("path"))
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/items/{id}", summary: "One item, as of its current or a given version", access: signedIn,
			out: assess.Item{}, query: []param{{"version", "a past version (default: the current one)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				id, err := itemID(r)
				if err != nil {
					return nil, err
				}
				version := 0
				if v := r.URL.Query().Get("version"); v != "" {
					if version, err = strconv.Atoi(v); err != nil || version < 1 {
						return nil, &errs.Error{Kind: errs.Invalid, Op: "api", Message: "the query is not valid", Fields: map[string]string{"version": "must be a version number"}}
					}
				}
				return bank.Item(r.Context(), p, r.PathValue("code"), id, version)
			}},
		{method: "PUT", path: "/api/v1/authorities/{code}/items/{id}", summary: "Save new content for an item (a published item gets a new draft version)", access: signedIn,
			in: (*ItemEdit)(nil), out: assess.Item{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				id, err := itemID(r)
				if err != nil {
					return nil, err
				}
				var in ItemEdit
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.UpdateItem(r.Context(), p, r.PathValue("code"), id, in.Revision, in.Item.Item())
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/items/{id}/status", summary: "Review, publish, retire or restore an item", access: signedIn,
			in: (*StatusChange)(nil), out: assess.Item{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				id, err := itemID(r)
				if err != nil {
					return nil, err
				}
				var in StatusChange
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return bank.SetStatus(r.Context(), p, r.PathValue("code"), id, in.Revision, in.Status)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/items/{id}/history", summary: "Who changed an item, and how", access: signedIn,
			out: List[assess.HistoryEntry]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				id, err := itemID(r)
				if err != nil {
					return nil, err
				}
				h, err := bank.History(r.Context(), p, r.PathValue("code"), id)
				return listOf(h, ""), err
			}},
	}
}
