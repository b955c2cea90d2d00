package identity_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

func TestCreateToken(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		// The owner is a platform administrator, an author and grader in A
		// and a learner in B; a token must narrow all that to one role.
		owner, err := f.svc.EnsureUser(f.ctx, "test", identity.NewUser{Email: "judy@example.org", Name: "Judy"}, true, "")
		must(t, err)
		f.member(f.A, "judy@example.org", identity.RoleAuthor, identity.RoleGrader)
		f.member(f.B, "judy@example.org", identity.RoleLearner)
		_, p := f.session(owner.ID)
		f.authority("AUTH-C", "Authority C") // the owner holds nothing there

		tok, secret, err := f.svc.CreateToken(f.ctx, p, identity.NewToken{Name: " grading robot ", Authority: "auth-a", Role: identity.RoleGrader, ExpiresInDays: 30})
		must(t, err)

		t.Run("the secret starts vidya_ and is shown once", func(t *testing.T) {
			if !strings.HasPrefix(secret, identity.TokenPrefix) || len(secret) < 30 {
				t.Fatalf("secret %q", secret)
			}
			if tok.Name != "grading robot" || tok.Authority != "AUTH-A" || tok.Role != identity.RoleGrader || tok.Prefix != secret[:12] ||
				tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(f.clock.Now().AddDate(0, 0, 30)) {
				t.Fatalf("token = %+v", tok)
			}
			list, err := f.svc.ListTokens(f.ctx, p)
			must(t, err)
			b, _ := json.Marshal(list)
			if len(list) != 1 || list[0].ID != tok.ID || bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[12:])) {
				t.Fatalf("ListTokens = %s", b)
			}
			f.wantAudit("token.create", p, f.A.ID, tok.Prefix, testOrigin)
		})

		t.Run("only the SHA-256 of the secret is stored", func(t *testing.T) {
			sum := sha256.Sum256([]byte(secret))
			if n := f.count(`SELECT count(*) FROM api_tokens WHERE id = $1 AND token_hash = $2`, tok.ID, sum[:]); n != 1 {
				t.Fatalf("no row holds the secret's SHA-256")
			}
			secretPart := secret[12:] // beyond the public prefix
			for _, tc := range tableColumns {
				if tc.table != "api_tokens" && tc.table != "audit_log" {
					continue
				}
				cols := tc.cols
				if tc.table == "audit_log" {
					cols = "id, actor, action, target, details"
				}
				n := strings.Count(cols, ",") + 1
				rows, err := db.Query(context.Background(), `SELECT `+cols+` FROM `+tc.table)
				must(t, err)
				for rows.Next() {
					vals := make([]any, n)
					ptrs := make([]any, n)
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					must(t, rows.Scan(ptrs...))
					for i, v := range vals {
						var s string
						switch v := v.(type) {
						case []byte:
							s = string(v)
						default:
							s = fmt.Sprint(v)
						}
						if strings.Contains(s, secretPart) {
							t.Errorf("%s column %d holds the secret: %q", tc.table, i, s)
						}
					}
				}
				rows.Close()
			}
		})

		t.Run("the token's principal holds only the token's role in the token's authority", func(t *testing.T) {
			tp, err := f.svc.AuthenticateToken(f.ctx, secret)
			must(t, err)
			want := []identity.Membership{{AuthorityID: f.A.ID, AuthorityCode: "AUTH-A", AuthorityName: "Authority A", Role: identity.RoleGrader}}
			if tp.TokenID != tok.ID || tp.User.ID != owner.ID || !slices.Equal(tp.Memberships, want) {
				t.Fatalf("principal = %+v", tp)
			}
			if tp.IsPlatformAdmin() || tp.Has(f.A.ID, identity.RoleAuthor) || !tp.Has(f.A.ID, identity.RoleGrader) || tp.InAuthority(f.B.ID) {
				t.Fatalf("principal rights: platform %v, author in A %v, grader in A %v, in B %v",
					tp.IsPlatformAdmin(), tp.Has(f.A.ID, identity.RoleAuthor), tp.Has(f.A.ID, identity.RoleGrader), tp.InAuthority(f.B.ID))
			}
			_, err = f.svc.CreateAuthority(f.ctx, tp, identity.NewAuthority{Code: "VIA-TOKEN", Name: "Via token"})
			wantErr(t, err, errs.Forbidden)
			_, err = f.svc.Authority(f.ctx, tp, "AUTH-B")
			wantErr(t, err, errs.NotFound)
			_, _, err = f.svc.ListMembers(f.ctx, tp, "AUTH-A", identity.Page{})
			wantErr(t, err, errs.Forbidden)
		})

		t.Run("last use is recorded", func(t *testing.T) {
			list, err := f.svc.ListTokens(f.ctx, p)
			must(t, err)
			if list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(f.clock.Now()) {
				t.Fatalf("LastUsedAt = %v, want %v", list[0].LastUsedAt, f.clock.Now())
			}
		})

		for _, tc := range []struct {
			name   string
			in     identity.NewToken
			kind   errs.Kind
			fields []string
		}{
			{"a role the user does not hold is forbidden", identity.NewToken{Name: "x", Authority: "AUTH-A", Role: identity.RoleAdmin}, errs.Forbidden, nil},
			{"a role held in another authority is forbidden", identity.NewToken{Name: "x", Authority: "AUTH-B", Role: identity.RoleGrader}, errs.Forbidden, nil},
			// A platform administrator may know C exists, so not "not found".
			{"an authority the user is not in is forbidden", identity.NewToken{Name: "x", Authority: "AUTH-C", Role: identity.RoleGrader}, errs.Forbidden, nil},
			{"an unknown role is invalid", identity.NewToken{Name: "x", Authority: "AUTH-A", Role: "root"}, errs.Invalid, []string{"role"}},
			{"an empty name is invalid", identity.NewToken{Name: " ", Authority: "AUTH-A", Role: identity.RoleGrader}, errs.Invalid, []string{"name"}},
			{"a missing authority is invalid", identity.NewToken{Name: "x", Role: identity.RoleGrader}, errs.Invalid, []string{"authority"}},
			{"a negative lifetime is invalid", identity.NewToken{Name: "x", Authority: "AUTH-A", Role: identity.RoleGrader, ExpiresInDays: -1}, errs.Invalid, []string{"expires_in_days"}},
			{"a lifetime over ten years is invalid", identity.NewToken{Name: "x", Authority: "AUTH-A", Role: identity.RoleGrader, ExpiresInDays: 3651}, errs.Invalid, []string{"expires_in_days"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := f.with(t)
				before := f.snapshot()
				_, _, err := f.svc.CreateToken(f.ctx, p, tc.in)
				wantErr(t, err, tc.kind, tc.fields...)
				f.unchanged(before)
			})
		}

		t.Run("a platform administrator cannot mint a token for a role they do not hold", func(t *testing.T) {
			f := f.with(t)
			before := f.snapshot()
			_, _, err := f.svc.CreateToken(f.ctx, f.root, identity.NewToken{Name: "x", Authority: "AUTH-A", Role: identity.RoleAdmin})
			wantErr(t, err, errs.Forbidden)
			f.unchanged(before)
		})

		t.Run("a token cannot make tokens", func(t *testing.T) {
			f := f.with(t)
			tp, err := f.svc.AuthenticateToken(f.ctx, secret)
			must(t, err)
			before := f.snapshot()
			_, _, err = f.svc.CreateToken(f.ctx, tp, identity.NewToken{Name: "child", Authority: "AUTH-A", Role: identity.RoleGrader})
			wantErr(t, err, errs.Forbidden)
			f.unchanged(before)
		})
	})
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db, identity.Config{})
		owner := f.member(f.A, "kim@example.org", identity.RoleAuthor, identity.RoleGrader)
		mint := func(t *testing.T, role identity.Role, days int) (*identity.APIToken, string) {
			t.Helper()
			tok, secret, err := f.svc.CreateToken(f.ctx, owner, identity.NewToken{Name: "robot", Authority: "AUTH-A", Role: role, ExpiresInDays: days})
			must(t, err)
			if _, err := f.svc.AuthenticateToken(f.ctx, secret); err != nil { // warm the cache
				t.Fatalf("new token refused: %v", err)
			}
			return tok, secret
		}

		t.Run("malformed and unknown secrets are unauthorized", func(t *testing.T) {
			for _, s := range []string{"", "vidya_", "vidya_notatoken", "ghp_abcdef", identity.TokenPrefix + strings.Repeat("a", 100)} {
				_, err := f.svc.AuthenticateToken(f.ctx, s)
				wantErr(t, err, errs.Unauthorized)
			}
		})

		t.Run("a revoked token is refused at once", func(t *testing.T) {
			f := f.with(t)
			tok, secret := mint(t, identity.RoleAuthor, 0)
			must(t, f.svc.RevokeToken(f.ctx, owner, tok.ID))
			_, err := f.svc.AuthenticateToken(f.ctx, secret)
			wantErr(t, err, errs.Unauthorized)
			f.wantAudit("token.revoke", owner, f.A.ID, tok.Prefix, testOrigin)
			list, err := f.svc.ListTokens(f.ctx, owner)
			must(t, err)
			if list[0].ID != tok.ID || list[0].RevokedAt == nil {
				t.Fatalf("ListTokens = %+v, want the token marked revoked", list[0])
			}
			// Revoking again is harmless and not logged twice.
			before := f.snapshot()
			must(t, f.svc.RevokeToken(f.ctx, owner, tok.ID))
			f.unchanged(before)
		})

		t.Run("another user's token cannot be revoked", func(t *testing.T) {
			f := f.with(t)
			tok, secret := mint(t, identity.RoleAuthor, 0)
			other := f.member(f.A, "other@example.org", identity.RoleAdmin)
			before := f.snapshot()
			wantErr(t, f.svc.RevokeToken(f.ctx, other, tok.ID), errs.NotFound)
			f.unchanged(before)
			if _, err := f.svc.AuthenticateToken(f.ctx, secret); err != nil {
				t.Fatalf("token harmed: %v", err)
			}
		})

		t.Run("an expired token is refused", func(t *testing.T) {
			f := f.with(t)
			_, secret := mint(t, identity.RoleAuthor, 1)
			f.clock.Advance(24*time.Hour - time.Second)
			if _, err := f.svc.AuthenticateToken(f.ctx, secret); err != nil {
				t.Fatalf("a token with a second to live refused: %v", err)
			}
			f.clock.Advance(2 * time.Second)
			_, err := f.svc.AuthenticateToken(f.ctx, secret)
			wantErr(t, err, errs.Unauthorized)
		})

		t.Run("a token whose owner lost its role is refused", func(t *testing.T) {
			f := f.with(t)
			_, secret := mint(t, identity.RoleGrader, 0)
			_, err := f.svc.SetRoles(f.ctx, f.root, "AUTH-A", owner.User.ID, []identity.Role{identity.RoleAuthor})
			must(t, err)
			_, err = f.svc.AuthenticateToken(f.ctx, secret)
			wantErr(t, err, errs.Unauthorized)
			// A replica with a cold cache agrees.
			replica := identity.NewService(db, f.outbox, quiet, identity.Config{})
			_, err = replica.AuthenticateToken(f.ctx, secret)
			wantErr(t, err, errs.Unauthorized)
		})

		t.Run("a token of a disabled owner is refused", func(t *testing.T) {
			f := f.with(t)
			_, secret := mint(t, identity.RoleAuthor, 0)
			f.exec(`UPDATE users SET disabled = TRUE WHERE id = $1`, owner.User.ID)
			defer f.exec(`UPDATE users SET disabled = FALSE WHERE id = $1`, owner.User.ID)
			replica := identity.NewService(db, f.outbox, quiet, identity.Config{})
			_, err := replica.AuthenticateToken(f.ctx, secret)
			wantErr(t, err, errs.Unauthorized)
		})
	})
}
