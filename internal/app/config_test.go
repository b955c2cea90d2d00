package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runWith(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	err := Run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestWrongSettingsStopStartupNamingTheSetting(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"VIDYA_LISTEN": "nonsense"}, "VIDYA_LISTEN: \"nonsense\" is not host:port"},
		{map[string]string{"VIDYA_LISTEN": "127.0.0.1:99999"}, "VIDYA_LISTEN"},
		{map[string]string{"VIDYA_BASE_URL": "ftp://x"}, "VIDYA_BASE_URL"},
		{map[string]string{"VIDYA_SECRET_KEY": "abcd"}, "VIDYA_SECRET_KEY: is 2 bytes"},
		{map[string]string{"VIDYA_SECRET_KEY": "not hex or base64!"}, "VIDYA_SECRET_KEY: is neither hex nor base64"},
		{map[string]string{"VIDYA_ALLOW_SIGNUP": "maybe"}, "VIDYA_ALLOW_SIGNUP"},
		{map[string]string{"VIDYA_LOG_LEVEL": "loud"}, "VIDYA_LOG_LEVEL"},
		{map[string]string{"VIDYA_SMTP_HOST": "smtp.example.org", "VIDYA_SMTP_PORT": "x"}, "VIDYA_SMTP_PORT"},
		{map[string]string{"VIDYA_SMTP_HOST": "smtp.example.org", "VIDYA_SMTP_FROM": "nobody"}, "VIDYA_SMTP_FROM"},
		{map[string]string{"VIDYA_SMTP_HOST": "smtp.example.org", "VIDYA_SMTP_FROM": "a@b.org", "VIDYA_SMTP_TLS": "maybe"}, "VIDYA_SMTP_TLS"},
		{map[string]string{"VIDYA_OIDC_ISSUER": "https://id.example.org"}, "VIDYA_OIDC_CLIENT_ID"},
		{map[string]string{"VIDYA_DATABASE_URL": "mysql://x/y"}, "VIDYA_DATABASE_URL: unsupported database URL scheme \"mysql\""},
		{map[string]string{"VIDYA_DATABASE_URL": "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1"}, "VIDYA_DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:1"},
		{map[string]string{"VIDYA_BLOB_URL": "ftp://files"}, "VIDYA_BLOB_URL"},
		{map[string]string{"VIDYA_ROLE": "boss"}, "VIDYA_ROLE"},
	} {
		env := map[string]string{"VIDYA_DATA_DIR": filepath.Join(dir, "d"), "VIDYA_LISTEN": "127.0.0.1:0", "VIDYA_SECRET_KEY": strings.Repeat("cd", 32)}
		for k, v := range tc.env {
			env[k] = v
		}
		_, _, err := runWith(t, env, "serve")
		if err == nil || !strings.Contains(oneLine(err), tc.want) {
			t.Errorf("%v: error %q, want it to contain %q", tc.env, oneLine(errOrNil(err)), tc.want)
		}
		if err != nil && strings.Contains(oneLine(err), "hunter2") {
			t.Errorf("%v: the error shows the password: %v", tc.env, err)
		}
	}
}

func errOrNil(err error) error {
	if err == nil {
		return errNil{}
	}
	return err
}

type errNil struct{}

func (errNil) Error() string { return "<nil>" }

func TestFlagsOverrideEnvironment(t *testing.T) {
	_, _, err := runWith(t, map[string]string{"VIDYA_LISTEN": "127.0.0.1:0", "VIDYA_DATA_DIR": t.TempDir()}, "serve", "--listen", "bad")
	if err == nil || !strings.Contains(oneLine(err), `VIDYA_LISTEN: "bad"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretKeyIsGeneratedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIDYA_DATA_DIR": dir}
	_, logs, err := runWith(t, env, "migrate")
	if err != nil {
		t.Fatal(err)
	}
	// migrate needs no key; serve generates it. Use the helper directly.
	c := Config{DataDir: dir, Listen: "127.0.0.1:0", AllowSignUp: "true", TrustProxy: "false", LogLevel: "info"}
	s, err := c.validate()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	k1, err := s.secretKey(newLogger(&buf, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "generated a new secret key") {
		t.Fatalf("no log line about the generated key: %s", buf.String())
	}
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	s2, _ := c.validate()
	k2, err := s2.secretKey(newLogger(&buf, 0))
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second run: %x vs %x, %v", k1, k2, err)
	}
	if strings.Contains(logs+buf.String(), string(k1)) {
		t.Fatal("the key was logged")
	}
}

func TestVersionAndHelp(t *testing.T) {
	out, _, err := runWith(t, nil, "version")
	if err != nil || !strings.HasPrefix(out, "vidya ") {
		t.Fatalf("version: %q %v", out, err)
	}
	out, _, err = runWith(t, nil, "--help")
	if err != nil || !strings.Contains(out, "VIDYA_DATABASE_URL") && !strings.Contains(out, "database-url") {
		t.Fatalf("help: %q %v", out, err)
	}
	_, _, err = runWith(t, nil, "frobnicate")
	if err == nil {
		t.Fatal("unknown command accepted")
	}
}
