package app

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

type adminCmd struct {
	CreateAuthority createAuthorityCmd `cmd:"" help:"Create an authority (tenant)."`
	CreateUser      createUserCmd      `cmd:"" help:"Create a user, or give an existing user more roles."`
	ResetPassword   resetPasswordCmd   `cmd:"" help:"Set a new password for a user and end their sessions."`
	DisableUser     disableUserCmd     `cmd:"" help:"Disable an account: its sessions end and it cannot sign in."`
	EnableUser      enableUserCmd      `cmd:"" help:"Enable a disabled account again."`
	VerifyAudit     verifyAuditCmd     `cmd:"" help:"Check the audit log's hash chain; exits non-zero at the first broken link."`
}

// cliActor is how command-line actions appear in the audit log.
const cliActor = "command line"

func (e *env) identity(c *Config) (*identity.Service, func(), error) {
	s, err := c.validate()
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(e.stderr, max(s.logLevel, slog.LevelWarn))
	db, err := openDatabase(e.ctx, s, log)
	if err != nil {
		return nil, nil, err
	}
	// Mail from the command line (none today) would stay in the outbox.
	svc := identity.NewService(db, nopMailer{}, log, identity.Config{BaseURL: ""})
	return svc, func() { db.Close() }, nil
}

type createAuthorityCmd struct {
	Code  string `required:"" help:"Short code, e.g. HKCL (2–20 letters, digits, - or _)."`
	Name  string `required:"" help:"Full name."`
	Email string `help:"Contact e-mail."`
	Phone string `help:"Contact phone."`
}

func (cmd *createAuthorityCmd) Run(e *env, c *Config) error {
	svc, done, err := e.identity(c)
	if err != nil {
		return err
	}
	defer done()
	a, err := svc.EnsureAuthority(e.ctx, cliActor, identity.NewAuthority{Code: cmd.Code, Name: cmd.Name, ContactEmail: cmd.Email, ContactPhone: cmd.Phone})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "authority %s (%s) is ready\n", a.Code, a.Name)
	return err
}

type createUserCmd struct {
	Email         string   `required:"" help:"E-mail address (the sign-in name)."`
	Name          string   `required:"" help:"Full name."`
	Authority     string   `help:"Authority code to give roles in."`
	Role          []string `help:"Role in the authority (repeatable): authority_admin, author, grader, approver, proctor, learner."`
	PlatformAdmin bool     `help:"Make the user a platform administrator."`
	Password      string   `help:"Initial password; a random one is generated and printed if omitted. Prefer omitting it: flags show in the process list."`
}

func (cmd *createUserCmd) Run(e *env, c *Config) error {
	var roles []identity.Role
	for _, r := range cmd.Role {
		roles = append(roles, identity.Role(strings.TrimSpace(r)))
	}
	if len(roles) > 0 && cmd.Authority == "" {
		return errs.E(errs.Invalid, "admin", "--role needs --authority")
	}
	pw, generated := cmd.Password, false
	if pw == "" {
		pw, generated = randomPassword(), true
	}
	svc, done, err := e.identity(c)
	if err != nil {
		return err
	}
	defer done()
	u, err := svc.EnsureUser(e.ctx, cliActor, identity.NewUser{Email: cmd.Email, Name: cmd.Name, Password: pw, Roles: roles}, cmd.PlatformAdmin, cmd.Authority)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s (id %d) is ready\n", u.Email, u.ID)
	if generated {
		fmt.Fprintf(e.stdout, "initial password (shown once; an existing user's password is unchanged): %s\n", pw)
	}
	return nil
}

type resetPasswordCmd struct {
	Email    string `required:"" help:"The user's e-mail."`
	Password string `help:"New password; a random one is generated and printed if omitted."`
}

func (cmd *resetPasswordCmd) Run(e *env, c *Config) error {
	pw, generated := cmd.Password, false
	if pw == "" {
		pw, generated = randomPassword(), true
	}
	svc, done, err := e.identity(c)
	if err != nil {
		return err
	}
	defer done()
	if err := svc.SetPassword(e.ctx, cliActor, cmd.Email, pw); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "password of %s changed; their sessions have ended\n", cmd.Email)
	if generated {
		fmt.Fprintf(e.stdout, "new password (shown once): %s\n", pw)
	}
	return nil
}

type verifyAuditCmd struct {
	Expect []string `help:"An anchor recorded earlier (ENTRY-ID:SHA256-HEX, as this command prints it); repeatable. The log must still hold that entry with that hash."`
}

func (cmd *verifyAuditCmd) Run(e *env, c *Config) error {
	var anchors []identity.AuditAnchor
	for _, x := range cmd.Expect {
		a, err := identity.ParseAuditAnchor(x)
		if err != nil {
			return err
		}
		anchors = append(anchors, a)
	}
	svc, done, err := e.identity(c)
	if err != nil {
		return err
	}
	defer done()
	rep, err := svc.VerifyAudit(e.ctx, anchors...)
	if err != nil {
		return err
	}
	if rep.BrokenAt != 0 {
		return &errs.Error{Kind: errs.Conflict, Op: "verify-audit", Message: fmt.Sprintf("audit log broken at entry %d: %s (%d entries before it are intact)", rep.BrokenAt, rep.Reason, rep.Entries)}
	}
	_, err = fmt.Fprintf(e.stdout, "audit log intact: %d entries, hash chain verified\nhead: %s (record it outside Vidya and check it later with --expect)\n", rep.Entries, rep.Head)
	return err
}

func randomPassword() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

type disableUserCmd struct {
	Email string `required:"" help:"The user's e-mail."`
}

func (cmd *disableUserCmd) Run(e *env, c *Config) error { return setDisabled(e, c, cmd.Email, true) }

type enableUserCmd struct {
	Email string `required:"" help:"The user's e-mail."`
}

func (cmd *enableUserCmd) Run(e *env, c *Config) error { return setDisabled(e, c, cmd.Email, false) }

func setDisabled(e *env, c *Config, email string, disabled bool) error {
	svc, done, err := e.identity(c)
	if err != nil {
		return err
	}
	defer done()
	p := identity.CommandLine()
	u, err := svc.UserByEmail(e.ctx, p, email)
	if err != nil {
		return err
	}
	if _, err := svc.SetDisabled(e.ctx, p, u.ID, disabled); err != nil {
		return err
	}
	state := "enabled"
	if disabled {
		state = "disabled; their sessions have ended"
	}
	_, err = fmt.Fprintf(e.stdout, "account %s is %s\n", u.Email, state)
	return err
}
