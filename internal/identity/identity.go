// Package identity holds authorities (tenants), users and their roles,
// sign-in, sessions, API tokens, password resets and the audit log.
package identity

import (
	"context"
	"slices"
	"time"
)

// Role is what a user may do within one authority.
type Role string

// The roles a user can hold in an authority. Platform administration is not
// a role in an authority but a flag on the user (User.PlatformAdmin).
const (
	RoleAdmin    Role = "authority_admin"
	RoleAuthor   Role = "author"
	RoleGrader   Role = "grader"
	RoleApprover Role = "approver"
	RoleProctor  Role = "proctor"
	RoleLearner  Role = "learner" // learners and exam candidates
)

// Roles lists every authority role, most privileged first.
var Roles = []Role{RoleAdmin, RoleAuthor, RoleGrader, RoleApprover, RoleProctor, RoleLearner}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Authority is an issuing body or programme operator: a tenant whose data
// no other authority may see.
type Authority struct {
	ID           int64     `json:"id"`
	Code         string    `json:"code"`
	Name         string    `json:"name"`
	ContactEmail string    `json:"contact_email"`
	ContactPhone string    `json:"contact_phone"`
	LogoKey      string    `json:"logo_key,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// User is a person who signs in.
type User struct {
	ID            int64     `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Locale        string    `json:"locale"`
	PlatformAdmin bool      `json:"platform_admin"`
	Disabled      bool      `json:"disabled"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`

	passwordHash string
}

// Membership is a user's role in an authority.
type Membership struct {
	AuthorityID   int64  `json:"authority_id"`
	AuthorityCode string `json:"authority"`
	AuthorityName string `json:"authority_name"`
	Role          Role   `json:"role"`
}

// Member is a user seen from an authority: the user and their roles there.
type Member struct {
	User
	Roles []Role `json:"roles"`
}

// Principal is the caller of a request: a signed-in user, or an API token
// acting for a user with one role in one authority.
type Principal struct {
	User        User
	Memberships []Membership
	// TokenID is set when the caller used an API token, whose authority and
	// role then bound everything it may do.
	TokenID int64
	// SessionID is the public id of the browser session, if any.
	SessionID string
}

// IsPlatformAdmin reports whether the caller administers the whole platform.
// An API token never carries platform rights.
func (p *Principal) IsPlatformAdmin() bool {
	return p != nil && p.TokenID == 0 && p.User.PlatformAdmin
}

// Has reports whether the caller holds any of roles in the authority. A
// platform administrator acts as every authority's administrator.
func (p *Principal) Has(authorityID int64, roles ...Role) bool {
	if p == nil {
		return false
	}
	if p.IsPlatformAdmin() {
		return true
	}
	for _, m := range p.Memberships {
		if m.AuthorityID == authorityID && slices.Contains(roles, m.Role) {
			return true
		}
	}
	return false
}

// InAuthority reports whether the caller holds any role in the authority.
func (p *Principal) InAuthority(authorityID int64) bool {
	return p.Has(authorityID, Roles...)
}

// Origin says where a request came from, for the audit log and rate limits.
type Origin struct {
	IP        string
	UserAgent string
	RequestID string
}

type originKey struct{}

// WithOrigin returns a context carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin stored in ctx, or the zero Origin.
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

type principalKey struct{}

// WithPrincipal returns a context carrying the caller.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller stored in ctx, or nil if anonymous.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// CommandLine is the principal of the vidya command run by an operator on
// the server: it holds platform rights and shows as "command line" in the
// audit log and item histories.
func CommandLine() *Principal {
	return &Principal{User: User{Email: "command line", Name: "command line", PlatformAdmin: true}}
}
