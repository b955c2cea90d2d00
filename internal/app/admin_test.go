package app

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vidya-edu/vidya/internal/platform/database"
)

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIDYA_DATA_DIR": dir}
	out, _, err := runWith(t, env, "admin", "create-authority", "--code", "hkcl", "--name", "HKCL Board", "--email", "ops@hkcl.example")
	if err != nil || !strings.Contains(out, "authority HKCL") {
		t.Fatalf("create-authority: %q %v", out, err)
	}
	out, _, err = runWith(t, env, "admin", "create-user", "--email", "Ops@HKCL.example", "--name", "Ops", "--authority", "HKCL", "--role", "authority_admin")
	if err != nil || !strings.Contains(out, "user ops@hkcl.example") {
		t.Fatalf("create-user: %q %v", out, err)
	}
	pw := regexp.MustCompile(`initial password[^:]*: (\S+)`).FindStringSubmatch(out)
	if pw == nil {
		t.Fatalf("no generated password in %q", out)
	}

	t.Run("bad input changes nothing", func(t *testing.T) {
		for _, args := range [][]string{
			{"admin", "create-authority", "--code", "x", "--name", "X"},
			{"admin", "create-user", "--email", "not-an-email", "--name", "N"},
			{"admin", "create-user", "--email", "a@b.org", "--name", "N", "--role", "learner"},
			{"admin", "create-user", "--email", "a@b.org", "--name", "N", "--authority", "NOPE", "--role", "learner"},
			{"admin", "create-user", "--email", "a@b.org", "--name", "N", "--authority", "HKCL", "--role", "wizard"},
			{"admin", "reset-password", "--email", "ops@hkcl.example", "--password", "short"},
			{"admin", "reset-password", "--email", "nobody@hkcl.example"},
		} {
			if _, _, err := runWith(t, env, args...); err == nil {
				t.Errorf("%v: accepted", args)
			}
		}
		out, _, err := runWith(t, env, "admin", "verify-audit")
		if err != nil || !strings.Contains(out, "2 entries") {
			t.Fatalf("audit after refused commands: %q %v (want exactly the 2 entries of the good commands)", out, err)
		}
	})

	out, _, err = runWith(t, env, "admin", "reset-password", "--email", "ops@hkcl.example")
	if err != nil || !strings.Contains(out, "new password") {
		t.Fatalf("reset-password: %q %v", out, err)
	}

	for _, cmd := range []string{"disable-user", "enable-user"} {
		out, _, err = runWith(t, env, "admin", cmd, "--email", "ops@hkcl.example")
		if err != nil || !strings.Contains(out, "account ops@hkcl.example is") {
			t.Fatalf("%s: %q %v", cmd, out, err)
		}
	}
	if _, _, err := runWith(t, env, "admin", "disable-user", "--email", "nobody@hkcl.example"); err == nil {
		t.Fatal("disabling an unknown account succeeded")
	}

	out, _, err = runWith(t, env, "admin", "verify-audit")
	if err != nil || !strings.Contains(out, "audit log intact: 5 entries") {
		t.Fatalf("verify-audit: %q %v", out, err)
	}

	head := regexp.MustCompile(`head: (\d+:[0-9a-f]{64})`).FindStringSubmatch(out)
	if head == nil {
		t.Fatalf("verify-audit printed no head: %q", out)
	}
	if out, _, err := runWith(t, env, "admin", "verify-audit", "--expect", head[1]); err != nil || !strings.Contains(out, "intact") {
		t.Fatalf("verify-audit --expect its own head: %q %v", out, err)
	}
	if _, _, err := runWith(t, env, "admin", "verify-audit", "--expect", "5:nothex"); err == nil {
		t.Fatal("a malformed anchor was accepted")
	}
	if _, _, err := runWith(t, env, "admin", "verify-audit", "--expect", "99:"+strings.Repeat("ab", 32)); err == nil {
		t.Fatal("an anchor past the end of the log was accepted")
	}

	// Tamper with entry 2 behind Vidya's back.
	db, err := database.Open(context.Background(), filepath.Join(dir, "vidya.db"), database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET target = 'someone-else@hkcl.example' WHERE id = 2`} {
		if _, err := db.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, _, err = runWith(t, env, "admin", "verify-audit")
	if err == nil || !strings.Contains(oneLine(err), "broken at entry 2") {
		t.Fatalf("tampered log: err = %v, want broken at entry 2", err)
	}
}
