package api

import (
	"net/http"

	"github.com/vidya-edu/vidya/internal/certify"
	"github.com/vidya-edu/vidya/internal/identity"
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
