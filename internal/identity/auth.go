package identity

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Sign-in rate limits. An account is locked after accountFailures wrong
// passwords within the window, for a time that doubles with each further
// failure; an address is locked after ipFailures. Checked before any
// password is hashed, so a locked account costs the server nothing.
const (
	failureWindow   = 15 * time.Minute
	accountFailures = 5
	accountLockBase = 30 * time.Second
	accountLockMax  = 15 * time.Minute
	ipFailures      = 50
	ipLock          = 5 * time.Minute
)

// SessionToken is what the browser keeps in its cookie.
type SessionToken string

// Session is a signed-in browser, as shown to its owner.
type Session struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Method     string    `json:"method"`
	Current    bool      `json:"current"`
}

// SignIn checks an e-mail and password and starts a session.
func (s *Service) SignIn(ctx context.Context, email, password string) (SessionToken, *User, error) {
	const op = "identity: sign in"
	email = normEmail(email)
	o := OriginFrom(ctx)
	if email == "" || password == "" {
		return "", nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "enter your e-mail and password", Fields: map[string]string{"email": "is required", "password": "is required"}}
	}
	if len(password) > MaxPasswordLen || len(email) > 254 {
		return "", nil, errs.E(errs.Unauthorized, op, "wrong e-mail or password")
	}
	if err := s.checkLock(ctx, "account:"+email, "ip:"+o.IP); err != nil {
		return "", nil, err
	}
	u, err := s.userByEmail(ctx, s.db, email)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", nil, err
	}
	hash := dummyHash
	if u != nil && u.passwordHash != "" {
		hash = u.passwordHash
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return "", nil, err
	}
	ok, err := VerifyPassword(hash, password)
	release()
	if err != nil {
		return "", nil, errs.Wrap(op, err)
	}
	if u == nil || u.passwordHash == "" || !ok || u.Disabled {
		if err := s.recordFailure(ctx, email, o.IP); err != nil {
			return "", nil, err
		}
		if u != nil && u.Disabled && ok {
			return "", nil, errs.E(errs.Forbidden, op, "this account is disabled")
		}
		return "", nil, errs.E(errs.Unauthorized, op, "wrong e-mail or password")
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, "account:"+email); err != nil {
		return "", nil, errs.Wrap(op, err)
	}
	tok, err := s.startSession(ctx, u.ID, "password")
	if err != nil {
		return "", nil, err
	}
	return tok, u, nil
}

// StartSession starts a session for a user who proved who they are some
// other way (OIDC).
func (s *Service) startSession(ctx context.Context, userID int64, method string) (SessionToken, error) {
	_, tok := randomToken(32)
	o := OriginFrom(ctx)
	now := s.now()
	ua := o.UserAgent
	if len(ua) > 300 {
		ua = ua[:300]
	}
	if _, err := s.db.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent, method) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)`,
		hashToken(tok), userID, now, now.Add(s.cfg.SessionIdle), o.IP, ua, method); err != nil {
		return "", errs.Wrap("identity: start session", err)
	}
	return SessionToken(tok), nil
}

func (s *Service) checkLock(ctx context.Context, keys ...string) error {
	_, err := s.CheckLocks(ctx, "identity: sign in", keys...)
	return err
}

// CheckLocks returns a TooMany error, saying when to come back, if any of
// keys is locked by RecordFailures. A key is a kind and a value:
// "account:", "ip:" and "roll:" keys name what is locked in the message.
// counted reports whether any key has failures counted against it, so a
// caller need only clear them when there are some.
func (s *Service) CheckLocks(ctx context.Context, op string, keys ...string) (counted bool, err error) {
	now := s.now()
	for _, k := range keys {
		var until sql.NullTime
		err := s.db.QueryRow(ctx, `SELECT locked_until FROM login_failures WHERE key = $1`, k).Scan(&until)
		if errors.Is(err, database.ErrNoRows) {
			continue
		}
		if err != nil {
			return false, errs.Wrap(op+": lock", err)
		}
		counted = true
		if until.Valid && until.Time.After(now) {
			secs := int(math.Ceil(until.Time.Sub(now).Seconds()))
			what := "this account"
			switch kind, _, _ := strings.Cut(k, ":"); kind {
			case "ip", "cip":
				what = "your network address"
			case "roll":
				what = "this roll number"
			}
			return true, &errs.Error{Kind: errs.TooMany, Op: op, RetryAfter: secs,
				Message: fmt.Sprintf("too many failed sign-ins for %s; try again in %d s", what, secs)}
		}
	}
	return counted, nil
}

// LockRule says when failures counted against Key lock it: after Failures
// within the failure window (15 minutes), for Lock, doubled for each
// further failure if Doubling is set, up to MaxLock.
type LockRule struct {
	Key      string
	Failures int
	Lock     time.Duration
	Doubling bool
	MaxLock  time.Duration
}

// recordFailure counts a failed sign-in against the account and the
// address, locking either when it passes its limit, and audits each lock.
func (s *Service) recordFailure(ctx context.Context, email, ip string) error {
	return s.RecordFailures(ctx,
		LockRule{Key: "account:" + email, Failures: accountFailures, Lock: accountLockBase, Doubling: true, MaxLock: accountLockMax},
		LockRule{Key: "ip:" + ip, Failures: ipFailures, Lock: ipLock})
}

// RecordFailures counts one failure against each rule's key, locks those
// past their limit, and audits each lock.
func (s *Service) RecordFailures(ctx context.Context, rules ...LockRule) error {
	now := s.now()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		for _, r := range rules {
			var failures int
			err := tx.QueryRow(ctx, `INSERT INTO login_failures (key, window_start, failures) VALUES ($1, $2, 1)
				ON CONFLICT (key) DO UPDATE SET
				  failures = CASE WHEN login_failures.window_start < $3 AND (login_failures.locked_until IS NULL OR login_failures.locked_until < $2) THEN 1 ELSE login_failures.failures + 1 END,
				  window_start = CASE WHEN login_failures.window_start < $3 AND (login_failures.locked_until IS NULL OR login_failures.locked_until < $2) THEN $2 ELSE login_failures.window_start END
				RETURNING failures`, r.Key, now, now.Add(-failureWindow)).Scan(&failures)
			if err != nil {
				return errs.Wrap("identity: record sign-in failure", err)
			}
			if failures < r.Failures {
				continue
			}
			lock := r.Lock
			if r.Doubling {
				lock = r.Lock << min(failures-r.Failures, 10)
			}
			if r.MaxLock > 0 {
				lock = min(lock, r.MaxLock)
			}
			if _, err := tx.Exec(ctx, `UPDATE login_failures SET locked_until = $1 WHERE key = $2`, now.Add(lock), r.Key); err != nil {
				return errs.Wrap("identity: record sign-in failure", err)
			}
			if err := s.appendAudit(ctx, tx, AuditEntry{Actor: "system", Action: "signin.locked", Target: r.Key,
				Details: map[string]any{"failures": failures, "locked_seconds": int(lock.Seconds())}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearFailures forgets the failures counted against key (after a
// successful sign-in).
func (s *Service) ClearFailures(ctx context.Context, key string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key); err != nil {
		return errs.Wrap("identity: clear sign-in failures", err)
	}
	return nil
}

// sessionCache keeps recently checked sessions in memory so that most
// requests need no database read. Entries live for ttl; sign-out on this
// replica removes them at once, on other replicas within ttl.
type sessionCache struct {
	ttl time.Duration
	max int
	mu  sync.RWMutex // guards m
	m   map[string]cachedSession
}

type cachedSession struct {
	p         *Principal
	userID    int64
	until     time.Time // trust the entry until then
	expiresAt time.Time
	touchedAt time.Time
}

func newSessionCache(ttl time.Duration, max int) *sessionCache {
	return &sessionCache{ttl: ttl, max: max, m: make(map[string]cachedSession)}
}

func (c *sessionCache) get(key string, now time.Time) (cachedSession, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.After(e.until) || now.After(e.expiresAt) {
		return cachedSession{}, false
	}
	return e, true
}

func (c *sessionCache) put(key string, e cachedSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Drop an arbitrary tenth; map iteration order is random enough.
		n := c.max / 10
		for k := range c.m {
			delete(c.m, k)
			if n--; n <= 0 {
				break
			}
		}
	}
	c.m[key] = e
}

func (c *sessionCache) forget(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

func (c *sessionCache) forgetUser(userID int64) {
	c.mu.Lock()
	for k, e := range c.m {
		if e.userID == userID {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

// touchEvery is how stale last_seen_at may get before a request updates it
// (and slides the idle expiry).
const touchEvery = 5 * time.Minute

// Authenticate returns the principal for a session token. Errors are
// Unauthorized for unknown, expired or revoked sessions.
func (s *Service) Authenticate(ctx context.Context, tok SessionToken) (*Principal, error) {
	const op = "identity: authenticate"
	if tok == "" || len(tok) > 100 {
		return nil, errs.E(errs.Unauthorized, op, "sign in first")
	}
	h := hashToken(string(tok))
	key := string(h)
	now := s.now()
	if e, ok := s.sessions.get(key, now); ok {
		if now.Sub(e.touchedAt) < touchEvery {
			return e.p, nil
		}
	}
	var userID int64
	var created, lastSeen, expires time.Time
	err := s.db.QueryRow(ctx, `SELECT user_id, created_at, last_seen_at, expires_at FROM sessions WHERE token_hash = $1`, h).Scan(&userID, &created, &lastSeen, &expires)
	if errors.Is(err, database.ErrNoRows) {
		s.sessions.forget(key)
		return nil, errs.E(errs.Unauthorized, op, "your session has ended; sign in again")
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if now.After(expires) || now.After(created.Add(s.cfg.SessionMax)) {
		s.sessions.forget(key)
		_, _ = s.db.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h)
		return nil, errs.E(errs.Unauthorized, op, "your session has expired; sign in again")
	}
	if now.Sub(lastSeen) >= touchEvery {
		expires = minTime(now.Add(s.cfg.SessionIdle), created.Add(s.cfg.SessionMax))
		lastSeen = now
		if _, err := s.db.Exec(ctx, `UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE token_hash = $3`, now, expires, h); err != nil {
			return nil, errs.Wrap(op, err)
		}
	}
	p, err := s.principal(ctx, userID)
	if err != nil {
		return nil, err
	}
	p.SessionID = sessionIDOf(h)
	s.sessions.put(key, cachedSession{p: p, userID: userID, until: now.Add(s.sessions.ttl), expiresAt: expires, touchedAt: lastSeen})
	return p, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (s *Service) principal(ctx context.Context, userID int64) (*Principal, error) {
	u, err := s.userByID(ctx, s.db, userID)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.Unauthorized, "identity: authenticate", "your account no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errs.E(errs.Unauthorized, "identity: authenticate", "this account is disabled")
	}
	ms, err := s.memberships(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &Principal{User: *u, Memberships: ms}, nil
}

// SignOut ends one session (the caller's own token).
func (s *Service) SignOut(ctx context.Context, tok SessionToken) error {
	h := hashToken(string(tok))
	s.sessions.forget(string(h))
	_, err := s.db.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1`, h)
	return errs.Wrap("identity: sign out", err)
}

// SignOutEverywhere ends all of the caller's sessions, on every device.
func (s *Service) SignOutEverywhere(ctx context.Context, p *Principal) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *database.Tx) (err error) {
		if n, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, p.User.ID); err != nil {
			return errs.Wrap("identity: sign out everywhere", err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, Action: "session.revoke_all", Target: p.User.Email, Details: map[string]any{"sessions": n}})
	})
	s.sessions.forgetUser(p.User.ID)
	return n, err
}

// ListSessions lists the caller's sessions, most recent first.
func (s *Service) ListSessions(ctx context.Context, p *Principal) ([]Session, error) {
	rows, err := s.db.Query(ctx, `SELECT token_hash, created_at, last_seen_at, expires_at, ip, user_agent, method FROM sessions WHERE user_id = $1 ORDER BY last_seen_at DESC LIMIT 200`, p.User.ID)
	if err != nil {
		return nil, errs.Wrap("identity: list sessions", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var h []byte
		var x Session
		if err := rows.Scan(&h, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt, &x.IP, &x.UserAgent, &x.Method); err != nil {
			return nil, errs.Wrap("identity: list sessions", err)
		}
		x.ID = sessionIDOf(h)
		x.Current = x.ID == p.SessionID
		x.CreatedAt, x.LastSeenAt, x.ExpiresAt = x.CreatedAt.UTC(), x.LastSeenAt.UTC(), x.ExpiresAt.UTC()
		out = append(out, x)
	}
	return out, errs.Wrap("identity: list sessions", rows.Err())
}

// RevokeSession ends one of the caller's sessions by its public id.
func (s *Service) RevokeSession(ctx context.Context, p *Principal, id string) error {
	const op = "identity: revoke session"
	prefix, err := hex.DecodeString(id)
	if err != nil || len(prefix) != 8 {
		return errs.E(errs.NotFound, op, "no such session")
	}
	rows, err := s.db.Query(ctx, `SELECT token_hash FROM sessions WHERE user_id = $1`, p.User.ID)
	if err != nil {
		return errs.Wrap(op, err)
	}
	var target []byte
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return errs.Wrap(op, err)
		}
		if bytes.HasPrefix(h, prefix) {
			target = h
		}
	}
	rows.Close()
	if target == nil {
		return errs.E(errs.NotFound, op, "no such session")
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE token_hash = $1 AND user_id = $2`, target, p.User.ID); err != nil {
			return errs.Wrap(op, err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: p.User.ID, Actor: p.User.Email, Action: "session.revoke", Target: id})
	})
	s.sessions.forget(string(target))
	return err
}

// ---- password reset ----

// RequestPasswordReset e-mails a single-use reset link if the address has
// an account. It reports nothing either way, so it cannot be used to find
// out who has an account.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	const op = "identity: request password reset"
	email = normEmail(email)
	v := errs.Validation{Op: op}
	checkEmail(&v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.userByEmail(ctx, s.db, email)
	if errs.Is(err, errs.NotFound) || (u != nil && u.Disabled) {
		return nil
	}
	if err != nil {
		return err
	}
	_, tok := randomToken(32)
	now := s.now()
	link := strings.TrimRight(s.cfg.BaseURL, "/") + "/reset-password?token=" + tok
	body := fmt.Sprintf("Hello %s,\n\nSomeone (we hope you) asked to reset the password of your Vidya account.\nOpen this link within %d minutes to choose a new password:\n\n%s\n\nIf you did not ask for this, ignore this message; your password has not changed.\n",
		u.Name, int(s.cfg.ResetValidity.Minutes()), link)
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		// One live link at a time: a new request voids older links.
		if _, err := tx.Exec(ctx, `DELETE FROM password_resets WHERE user_id = $1`, u.ID); err != nil {
			return errs.Wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`, hashToken(tok), u.ID, now, now.Add(s.cfg.ResetValidity)); err != nil {
			return errs.Wrap(op, err)
		}
		if err := s.mailer.Queue(ctx, tx, u.Email, "Reset your Vidya password", body); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: u.ID, Actor: u.Email, Action: "user.password_reset_requested", Target: u.Email})
	})
}

// ResetPassword sets a new password using a reset token, once, and ends all
// of the user's sessions.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	const op = "identity: reset password"
	if msg := checkPassword(password); msg != "" {
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: "the new password is not acceptable", Fields: map[string]string{"password": msg}}
	}
	bad := &errs.Error{Kind: errs.Invalid, Op: op, Message: "this reset link is not valid any more; ask for a new one", Fields: map[string]string{"token": "is expired, used or unknown"}}
	if token == "" || len(token) > 100 {
		return bad
	}
	// Check the link before paying for a hash, so junk links cost nothing;
	// the transaction below checks again, as the link may be used meanwhile.
	var expires time.Time
	var used sql.NullTime
	var userID int64
	err := s.db.QueryRow(ctx, `SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1`, hashToken(token)).Scan(&userID, &expires, &used)
	if errors.Is(err, database.ErrNoRows) || (err == nil && (used.Valid || s.now().After(expires))) {
		return bad
	}
	if err != nil {
		return errs.Wrap(op, err)
	}
	h, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		err := tx.QueryRow(ctx, `SELECT user_id, expires_at, used_at FROM password_resets WHERE token_hash = $1`, hashToken(token)).Scan(&userID, &expires, &used)
		if errors.Is(err, database.ErrNoRows) || (err == nil && (used.Valid || s.now().After(expires))) {
			return bad
		}
		if err != nil {
			return errs.Wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE password_resets SET used_at = $1 WHERE token_hash = $2`, s.now(), hashToken(token)); err != nil {
			return errs.Wrap(op, err)
		}
		if err := s.setPasswordTx(ctx, tx, userID, h, ""); err != nil {
			return err
		}
		u, err := s.userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, "account:"+u.Email); err != nil {
			return errs.Wrap(op, err)
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: userID, Actor: u.Email, Action: "user.password_reset", Target: u.Email, Details: map[string]any{"via": "e-mailed link"}})
	})
	if err == nil {
		s.sessions.forgetUser(userID)
	}
	return err
}

// ChangePassword changes the caller's password after checking the current
// one, and ends all their other sessions; the one making the change stays.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	const op = "identity: change password"
	if msg := checkPassword(next); msg != "" {
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: "the new password is not acceptable", Fields: map[string]string{"new_password": msg}}
	}
	u, err := s.userByID(ctx, s.db, p.User.ID)
	if err != nil {
		return err
	}
	release, err := s.acquireHash(ctx)
	if err != nil {
		return err
	}
	ok, _ := VerifyPassword(u.passwordHash, current)
	release()
	if !ok {
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: "the current password is wrong", Fields: map[string]string{"current_password": "is wrong"}}
	}
	h, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.setPasswordTx(ctx, tx, u.ID, h, p.SessionID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, AuditEntry{ActorID: u.ID, Actor: u.Email, Action: "user.password_change", Target: u.Email})
	})
	if err == nil {
		s.sessions.forgetUser(u.ID)
	}
	return err
}

// StartSessionFor starts a session for a user authenticated elsewhere (OIDC).
func (s *Service) StartSessionFor(ctx context.Context, userID int64, method string) (SessionToken, error) {
	u, err := s.userByID(ctx, s.db, userID)
	if err != nil {
		return "", err
	}
	if u.Disabled {
		return "", errs.E(errs.Forbidden, "identity: start session", "this account is disabled")
	}
	return s.startSession(ctx, userID, method)
}
