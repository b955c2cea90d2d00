package api

import (
	"net/http"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

// certifyRoutes is the API of certificates: each authority's signing keys.
func (a *API) certifyRoutes() []route {
	c := a.Certify
	const keys = "/api/v1/authorities/{code}/signing-keys"
	return []route{
		{method: "GET", path: keys, summary: "An authority's certificate signing keys, newest first; retired keys stay published so what they signed still verifies (administrators, approvers)",
			access: signedIn, out: List[certify.Key]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				ks, err := c.Keys(r.Context(), p, r.PathValue("code"))
				return listOf(ks, ""), err
			}},
		{method: "POST", path: keys, summary: "Create a new signing key and make it the active one; the previous key is retired but stays valid for what it signed (administrators)",
			access: signedIn, out: certify.Key{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return c.RotateKey(r.Context(), p, r.PathValue("code"))
			}},
	}
}

// didDocument serves an authority's did:web document: its signing keys,
// for anyone verifying its certificates.
func (a *API) didDocument(w http.ResponseWriter, r *http.Request) {
	doc, err := a.Certify.DIDDocument(r.Context(), r.PathValue("code"))
	a.publicJSON(w, r, "application/did+json", doc, err)
}

// jwks serves an authority's signing keys as a JSON Web Key Set.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	doc, err := a.Certify.JWKS(r.Context(), r.PathValue("code"))
	a.publicJSON(w, r, "application/jwk-set+json", doc, err)
}

// publicJSON writes a public document that caches may keep for five
// minutes: a rotated key reaches verifiers within that time, and retired
// keys stay listed, so nothing already signed stops verifying meanwhile.
func (a *API) publicJSON(w http.ResponseWriter, r *http.Request, contentType string, doc []byte, err error) {
	if err != nil {
		httpx.Error(w, r, a.Log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Content-Security-Policy", "default-src 'none'")
	_, _ = w.Write(doc)
}
