package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/httpx"
)

// SessionCookie names the browser session cookie.
const SessionCookie = "vidya_session"

// Cookies sets and clears the session cookie. Secure is on whenever Vidya
// is served over HTTPS (VIDYA_BASE_URL starts with https://).
type Cookies struct {
	Secure bool
}

// Set stores a new session token in the browser.
func (c Cookies) Set(w http.ResponseWriter, tok identity.SessionToken) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: string(tok), Path: "/", HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode, MaxAge: 30 * 24 * 3600})
}

// Clear removes the session cookie.
func (c Cookies) Clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: c.Secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// Token returns the session token the browser sent, if any.
func Token(r *http.Request) identity.SessionToken {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return identity.SessionToken(c.Value)
}

// Authenticate resolves the caller from an API token (Authorization: Bearer)
// or the session cookie and stores it in the request context, along with
// the request's origin for the audit log. Anonymous requests pass through;
// a credential that is present but invalid is refused with 401 (for the API)
// or, for pages, the cookie is dropped and the request goes on anonymous.
func Authenticate(svc *identity.Service, cookies Cookies, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := identity.WithOrigin(r.Context(), identity.Origin{IP: httpx.ClientIP(r.Context()), UserAgent: r.UserAgent(), RequestID: httpx.RequestID(r.Context())})
		r = r.WithContext(ctx)
		if h := r.Header.Get("Authorization"); h != "" {
			scheme, secret, _ := strings.Cut(h, " ")
			if strings.EqualFold(scheme, "Exam") {
				// A candidate's ticket: the exam routes check it themselves.
				next.ServeHTTP(w, r)
				return
			}
			if !strings.EqualFold(scheme, "Bearer") {
				httpx.Error(w, r, log, errs.E(errs.Unauthorized, "authenticate", "use Authorization: Bearer <API token> (or Exam <ticket> on exam routes)"))
				return
			}
			p, err := svc.AuthenticateToken(ctx, strings.TrimSpace(secret))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="vidya"`)
				httpx.Error(w, r, log, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(identity.WithPrincipal(ctx, p)))
			return
		}
		if tok := Token(r); tok != "" {
			p, err := svc.Authenticate(ctx, tok)
			switch {
			case err == nil:
				r = r.WithContext(identity.WithPrincipal(ctx, p))
			case errs.Is(err, errs.Unauthorized):
				cookies.Clear(w)
			default:
				httpx.Error(w, r, log, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
