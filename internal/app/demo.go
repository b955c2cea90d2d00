package app

import (
	"context"
	"fmt"
	"io"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// DemoPassword is the password of every demo account.
const DemoPassword = "vidya-demo-pass"

type demoUser struct {
	email, name string
	roles       []identity.Role
	platform    bool
}

var demoUsers = []demoUser{
	{"platform@demo.vidya.test", "Platform Admin", nil, true},
	{"admin@demo.vidya.test", "Anita Deshpande", []identity.Role{identity.RoleAdmin}, false},
	{"author@demo.vidya.test", "Ravi Kumar", []identity.Role{identity.RoleAuthor}, false},
	{"grader@demo.vidya.test", "Meera Iyer", []identity.Role{identity.RoleGrader}, false},
	{"approver@demo.vidya.test", "Suresh Patil", []identity.Role{identity.RoleApprover}, false},
	{"proctor@demo.vidya.test", "Farah Khan", []identity.Role{identity.RoleProctor}, false},
	{"learner1@demo.vidya.test", "आरव शर्मा", []identity.Role{identity.RoleLearner}, false},
	{"learner2@demo.vidya.test", "Priya Nair", []identity.Role{identity.RoleLearner}, false},
	{"learner3@demo.vidya.test", "सानिया गुप्ता", []identity.Role{identity.RoleLearner}, false},
}

// loadDemo creates the demo authority and accounts; running it again
// changes nothing.
func loadDemo(ctx context.Context, id *identity.Service) error {
	if _, err := id.EnsureAuthority(ctx, "demo", identity.NewAuthority{Code: "DEMO", Name: "Demo Board of Education", ContactEmail: "board@demo.vidya.test", ContactPhone: "+91 20 0000 0000"}); err != nil {
		return err
	}
	for _, u := range demoUsers {
		code := ""
		if len(u.roles) > 0 {
			code = "DEMO"
		}
		if _, err := id.EnsureUser(ctx, "demo", identity.NewUser{Email: u.email, Name: u.name, Password: DemoPassword, Roles: u.roles}, u.platform, code); err != nil {
			return err
		}
	}
	return nil
}

func printDemo(w io.Writer, baseURL string, smtp bool) {
	fmt.Fprintf(w, "\nDemo data is loaded. Open %s/signin and sign in with any of these (password %q):\n", baseURL, DemoPassword)
	for _, u := range demoUsers {
		role := "platform administrator"
		if len(u.roles) > 0 {
			role = string(u.roles[0]) + " of DEMO"
		}
		fmt.Fprintf(w, "  %-28s %s\n", u.email, role)
	}
	if !smtp {
		fmt.Fprintf(w, "No SMTP server is set: e-mails (password resets) appear at %s/admin/outbox.\n", baseURL)
	}
	fmt.Fprintln(w)
}

// nopMailer refuses mail; the command line sends none.
type nopMailer struct{}

func (nopMailer) Queue(context.Context, *database.Tx, string, string, string) error {
	return errs.E(errs.Unavailable, "mail", "the command line does not send mail")
}
