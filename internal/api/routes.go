package api

import (
	"net/http"
	"strconv"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// Request and response bodies that are not domain types.
type (
	// SignInRequest signs in with e-mail and password.
	SignInRequest struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	// Me is the caller with their roles.
	Me struct {
		User        identity.User         `json:"user"`
		Memberships []identity.Membership `json:"memberships"`
		ViaToken    bool                  `json:"via_token"`
	}
	// ResetRequest asks for a password-reset e-mail.
	ResetRequest struct {
		Email string `json:"email"`
	}
	// ResetConfirm sets a new password with a reset token.
	ResetConfirm struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	// PasswordChange changes the caller's password.
	PasswordChange struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	// NewTokenResult is a just-issued API token; Secret is shown only here.
	NewTokenResult struct {
		Token  identity.APIToken `json:"token"`
		Secret string            `json:"secret"`
	}
	// RolesUpdate replaces a member's roles.
	RolesUpdate struct {
		Roles []identity.Role `json:"roles"`
	}
	// RevokedCount says how many things were revoked.
	RevokedCount struct {
		Revoked int64 `json:"revoked"`
	}
	// AuditVerification is the result of checking the audit hash chain.
	AuditVerification struct {
		OK       bool   `json:"ok"`
		Entries  int64  `json:"entries"`
		BrokenAt int64  `json:"broken_at,omitempty"`
		Reason   string `json:"reason,omitempty"`
	}
)

// routes is the whole API, in one place.
func (a *API) routes() []route {
	id := a.Identity
	return []route{
		// --- authentication ---
		{method: "POST", path: "/api/v1/auth/signin", summary: "Sign in with e-mail and password; sets the session cookie", access: public,
			in: (*SignInRequest)(nil), out: Me{},
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				var in SignInRequest
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				tok, _, err := id.SignIn(r.Context(), in.Email, in.Password)
				if err != nil {
					return nil, err
				}
				p, err := id.Authenticate(r.Context(), tok)
				if err != nil {
					return nil, err
				}
				a.Cookies.Set(w, tok)
				return Me{User: p.User, Memberships: p.Memberships}, nil
			}},
		{method: "POST", path: "/api/v1/auth/signout", summary: "End the current browser session", access: browser,
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				a.Cookies.Clear(w)
				return nil, id.SignOut(r.Context(), Token(r))
			}},
		{method: "POST", path: "/api/v1/auth/signup", summary: "Create a learner account (when sign-up is open) and sign in", access: public,
			in: (*identity.NewUser)(nil), out: identity.User{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				var in identity.NewUser
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				u, err := id.SignUp(r.Context(), in)
				if err != nil {
					return nil, err
				}
				tok, err := id.StartSessionFor(r.Context(), u.ID, "password")
				if err != nil {
					return nil, err
				}
				a.Cookies.Set(w, tok)
				return u, nil
			}},
		{method: "POST", path: "/api/v1/auth/password-reset", summary: "E-mail a password-reset link (answers the same whether or not the account exists)", access: public,
			in: (*ResetRequest)(nil), status: http.StatusAccepted,
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				var in ResetRequest
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return nil, id.RequestPasswordReset(r.Context(), in.Email)
			}},
		{method: "POST", path: "/api/v1/auth/password-reset/confirm", summary: "Set a new password with a reset token", access: public,
			in: (*ResetConfirm)(nil),
			handle: func(w http.ResponseWriter, r *http.Request, _ *identity.Principal) (any, error) {
				var in ResetConfirm
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return nil, id.ResetPassword(r.Context(), in.Token, in.Password)
			}},

		// --- the caller ---
		{method: "GET", path: "/api/v1/me", summary: "The caller and their roles", access: signedIn, out: Me{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return Me{User: p.User, Memberships: p.Memberships, ViaToken: p.TokenID != 0}, nil
			}},
		{method: "PATCH", path: "/api/v1/me", summary: "Change the caller's name and language", access: signedIn,
			in: (*identity.ProfileUpdate)(nil), out: identity.User{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in identity.ProfileUpdate
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return id.UpdateProfile(r.Context(), p, in)
			}},
		{method: "POST", path: "/api/v1/me/password", summary: "Change the caller's password (ends their other sessions)", access: browser,
			in: (*PasswordChange)(nil),
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in PasswordChange
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return nil, id.ChangePassword(r.Context(), p, in.CurrentPassword, in.NewPassword)
			}},
		{method: "GET", path: "/api/v1/me/sessions", summary: "The caller's signed-in sessions", access: browser, out: List[identity.Session]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				s, err := id.ListSessions(r.Context(), p)
				return listOf(s, ""), err
			}},
		{method: "DELETE", path: "/api/v1/me/sessions/{id}", summary: "End one of the caller's sessions", access: browser,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return nil, id.RevokeSession(r.Context(), p, r.PathValue("id"))
			}},
		{method: "POST", path: "/api/v1/me/sessions/revoke-all", summary: "Sign out of all devices", access: browser, out: RevokedCount{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				n, err := id.SignOutEverywhere(r.Context(), p)
				a.Cookies.Clear(w)
				return RevokedCount{Revoked: n}, err
			}},
		{method: "GET", path: "/api/v1/me/tokens", summary: "The caller's API tokens (never their secrets)", access: browser, out: List[identity.APIToken]{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				t, err := id.ListTokens(r.Context(), p)
				return listOf(t, ""), err
			}},
		{method: "POST", path: "/api/v1/me/tokens", summary: "Issue an API token for one of the caller's roles; the secret is returned only once", access: browser,
			in: (*identity.NewToken)(nil), out: NewTokenResult{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in identity.NewToken
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				t, secret, err := id.CreateToken(r.Context(), p, in)
				if err != nil {
					return nil, err
				}
				return NewTokenResult{Token: *t, Secret: secret}, nil
			}},
		{method: "DELETE", path: "/api/v1/me/tokens/{id}", summary: "Revoke one of the caller's API tokens", access: browser,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				tid, err := pathID(r, "id")
				if err != nil {
					return nil, err
				}
				return nil, id.RevokeToken(r.Context(), p, tid)
			}},

		// --- authorities ---
		{method: "GET", path: "/api/v1/authorities", summary: "Authorities the caller belongs to (all, for platform administrators)", access: signedIn,
			out: List[identity.Authority]{}, query: []param{{"after", "cursor from the previous page's next"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				pg, err := page(r)
				if err != nil {
					return nil, err
				}
				items, next, err := id.ListAuthorities(r.Context(), p, pg)
				return listOf(items, next), err
			}},
		{method: "POST", path: "/api/v1/authorities", summary: "Create an authority (platform administrators)", access: platform,
			in: (*identity.NewAuthority)(nil), out: identity.Authority{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in identity.NewAuthority
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return id.CreateAuthority(r.Context(), p, in)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}", summary: "One authority the caller belongs to", access: signedIn, out: identity.Authority{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return id.Authority(r.Context(), p, r.PathValue("code"))
			}},
		{method: "PATCH", path: "/api/v1/authorities/{code}", summary: "Change an authority's name and contacts (its administrators)", access: signedIn,
			in: (*identity.NewAuthority)(nil), out: identity.Authority{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in identity.NewAuthority
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return id.UpdateAuthority(r.Context(), p, r.PathValue("code"), in)
			}},
		{method: "PUT", path: "/api/v1/authorities/{code}/logo", summary: "Replace the authority's logo with a PNG or JPEG image (at most 1 MiB; served publicly at /authorities/{code}/logo)", access: signedIn,
			raw: []string{"image/png", "image/jpeg"}, out: identity.Authority{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				data, err := readUpload(w, r, identity.MaxLogoBytes)
				if err != nil {
					return nil, err
				}
				return id.SetLogo(r.Context(), p, r.PathValue("code"), mediaType(r), data)
			}},
		{method: "DELETE", path: "/api/v1/authorities/{code}/logo", summary: "Remove the authority's logo", access: signedIn, out: identity.Authority{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return id.RemoveLogo(r.Context(), p, r.PathValue("code"))
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/users", summary: "An authority's users with their roles (its administrators)", access: signedIn,
			out: List[identity.Member]{}, query: []param{{"after", "cursor from the previous page's next"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				pg, err := page(r)
				if err != nil {
					return nil, err
				}
				items, next, err := id.ListMembers(r.Context(), p, r.PathValue("code"), pg)
				return listOf(items, next), err
			}},
		{method: "POST", path: "/api/v1/authorities/{code}/users", summary: "Add a user to an authority with roles (creates the account if new)", access: signedIn,
			in: (*identity.NewUser)(nil), out: identity.Member{}, status: http.StatusCreated,
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				var in identity.NewUser
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return id.CreateUser(r.Context(), p, r.PathValue("code"), in)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/users/{id}", summary: "One member of an authority", access: signedIn, out: identity.Member{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				uid, err := pathID(r, "id")
				if err != nil {
					return nil, err
				}
				return id.Member(r.Context(), p, r.PathValue("code"), uid)
			}},
		{method: "PUT", path: "/api/v1/authorities/{code}/users/{id}/roles", summary: "Replace a member's roles (empty removes them from the authority)", access: signedIn,
			in: (*RolesUpdate)(nil), out: identity.Member{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				uid, err := pathID(r, "id")
				if err != nil {
					return nil, err
				}
				var in RolesUpdate
				if err := httpx.Decode(w, r, &in, 0); err != nil {
					return nil, err
				}
				return id.SetRoles(r.Context(), p, r.PathValue("code"), uid, in.Roles)
			}},
		{method: "GET", path: "/api/v1/authorities/{code}/audit", summary: "An authority's audit log, newest first (its administrators)", access: signedIn,
			out: List[identity.AuditEntry]{}, query: []param{{"before", "cursor: entries older than this"}, {"action", "only this action"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return a.audit(r, p, r.PathValue("code"))
			}},

		// --- platform ---
		{method: "GET", path: "/api/v1/audit", summary: "The whole audit log, newest first (platform administrators)", access: platform,
			out: List[identity.AuditEntry]{}, query: []param{{"before", "cursor: entries older than this"}, {"action", "only this action"}, {"limit", "page size, 1–200 (default 50)"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				return a.audit(r, p, "")
			}},
		{method: "POST", path: "/api/v1/audit/verify", summary: "Check the audit log's hash chain (platform administrators)", access: platform, out: AuditVerification{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				rep, err := id.VerifyAudit(r.Context())
				return AuditVerification{OK: rep.BrokenAt == 0, Entries: rep.Entries, BrokenAt: rep.BrokenAt, Reason: rep.Reason}, err
			}},
		{method: "POST", path: "/api/v1/users/{id}/disable", summary: "Disable an account: its sessions end and its tokens stop working (platform administrators)", access: platform, out: identity.User{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				uid, err := pathID(r, "id")
				if err != nil {
					return nil, err
				}
				return id.SetDisabled(r.Context(), p, uid, true)
			}},
		{method: "POST", path: "/api/v1/users/{id}/enable", summary: "Enable a disabled account again (platform administrators)", access: platform, out: identity.User{},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				uid, err := pathID(r, "id")
				if err != nil {
					return nil, err
				}
				return id.SetDisabled(r.Context(), p, uid, false)
			}},
		{method: "GET", path: "/api/v1/outbox", summary: "E-mails queued or sent by the platform (platform administrators)", access: platform,
			out: List[mail.Message]{}, query: []param{{"before", "cursor: messages older than this"}},
			handle: func(w http.ResponseWriter, r *http.Request, p *identity.Principal) (any, error) {
				before, err := cursorParam(r, "before")
				if err != nil {
					return nil, err
				}
				msgs, err := a.Outbox.List(r.Context(), before, 50)
				next := ""
				if len(msgs) == 50 {
					next = strconv.FormatInt(msgs[len(msgs)-1].ID, 10)
				}
				return listOf(msgs, next), err
			}},
	}
}

func cursorParam(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, &errs.Error{Kind: errs.Invalid, Op: "api", Message: "the query is not valid", Fields: map[string]string{name: "is not a cursor this server gave out"}}
	}
	return n, nil
}

func (a *API) audit(r *http.Request, p *identity.Principal, code string) (any, error) {
	before, err := cursorParam(r, "before")
	if err != nil {
		return nil, err
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	items, err := a.Identity.ListAudit(r.Context(), p, code, identity.AuditFilter{Before: before, Action: r.URL.Query().Get("action"), Limit: pg.Size()})
	if err != nil {
		return nil, err
	}
	next := ""
	if len(items) == pg.Size() {
		next = strconv.FormatInt(items[len(items)-1].ID, 10)
	}
	return listOf(items, next), nil
}
