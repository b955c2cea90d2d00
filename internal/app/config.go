package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// Config is every setting of a Vidya process. Each has an environment
// variable and a matching command-line flag (flags win).
type Config struct {
	DataDir     string `name:"data-dir" envvar:"VIDYA_DATA_DIR" default:"./vidya-data" help:"Directory for the embedded database, files and the generated secret key."`
	DatabaseURL string `name:"database-url" envvar:"VIDYA_DATABASE_URL" help:"postgres://user:pass@host:5432/db, or a SQLite file path (default: <data-dir>/vidya.db)."`
	BlobURL     string `name:"blob-url" envvar:"VIDYA_BLOB_URL" help:"Where files are kept: a directory (default: <data-dir>/blobs) or s3://bucket/prefix?endpoint=host:port&region=…&tls=true."`
	Listen      string `name:"listen" envvar:"VIDYA_LISTEN" default:"127.0.0.1:8080" help:"Address to serve HTTP on (host:port)."`
	BaseURL     string `name:"base-url" envvar:"VIDYA_BASE_URL" help:"Public URL of this server, used in e-mailed links and for secure cookies (default: http://<listen>)."`
	SecretKey   string `name:"secret-key" envvar:"VIDYA_SECRET_KEY" help:"At least 32 random bytes, hex or base64. Generated under <data-dir> on first run if unset. Same value on every replica."`
	AllowSignUp string `name:"allow-signup" envvar:"VIDYA_ALLOW_SIGNUP" default:"true" help:"Whether anyone may create a learner account (true/false)."`
	TrustProxy  string `name:"trust-proxy" envvar:"VIDYA_TRUST_PROXY" default:"false" help:"Take the client address from X-Forwarded-For (only behind a proxy you run)."`
	LogLevel    string `name:"log-level" envvar:"VIDYA_LOG_LEVEL" default:"info" help:"debug, info, warn or error."`

	SMTPHost     string `name:"smtp-host" envvar:"VIDYA_SMTP_HOST" help:"SMTP server for outgoing mail. Unset: mail stays in the outbox, readable by platform admins."`
	SMTPPort     string `name:"smtp-port" envvar:"VIDYA_SMTP_PORT" default:"587" help:"SMTP port."`
	SMTPUsername string `name:"smtp-username" envvar:"VIDYA_SMTP_USERNAME" help:"SMTP user name."`
	SMTPPassword string `name:"smtp-password" envvar:"VIDYA_SMTP_PASSWORD" help:"SMTP password."`
	SMTPFrom     string `name:"smtp-from" envvar:"VIDYA_SMTP_FROM" help:"From address of outgoing mail."`
	SMTPTLS      string `name:"smtp-tls" envvar:"VIDYA_SMTP_TLS" default:"starttls" help:"starttls, tls or none."`

	OIDCIssuer       string `name:"oidc-issuer" envvar:"VIDYA_OIDC_ISSUER" help:"OpenID Connect issuer URL for staff sign-in (optional)."`
	OIDCClientID     string `name:"oidc-client-id" envvar:"VIDYA_OIDC_CLIENT_ID" help:"OIDC client id."`
	OIDCClientSecret string `name:"oidc-client-secret" envvar:"VIDYA_OIDC_CLIENT_SECRET" help:"OIDC client secret."`
	OIDCName         string `name:"oidc-name" envvar:"VIDYA_OIDC_NAME" default:"single sign-on" help:"Name of the identity provider shown on the sign-in button."`
}

// settings is a validated Config.
type settings struct {
	Config
	databaseURL string
	blobURL     string
	baseURL     *url.URL
	secret      []byte
	allowSignUp bool
	trustProxy  bool
	logLevel    slog.Level
	smtp        mail.SMTPConfig
	// getenv reads variables that have no flag (S3 credentials).
	getenv func(string) string
}

// configError names the setting that is wrong.
type configError struct {
	setting, problem string
}

func (e *configError) Error() string { return e.setting + ": " + e.problem }

func bad(setting, format string, args ...any) error {
	return &configError{setting: setting, problem: fmt.Sprintf(format, args...)}
}

func parseBool(setting, v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, bad(setting, "%q is not true or false", v)
	}
	return b, nil
}

// validate checks every setting and fills in derived defaults. It does not
// touch the disk; see secretKey for the generated key.
func (c Config) validate() (*settings, error) {
	s := &settings{Config: c}
	if c.DataDir == "" {
		return nil, bad("VIDYA_DATA_DIR", "is empty")
	}
	s.databaseURL = c.DatabaseURL
	if s.databaseURL == "" {
		s.databaseURL = filepath.Join(c.DataDir, "vidya.db")
	}
	s.blobURL = c.BlobURL
	if s.blobURL == "" {
		s.blobURL = filepath.Join(c.DataDir, "blobs")
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return nil, bad("VIDYA_LISTEN", "%q is not host:port (for example 127.0.0.1:8080 or :8080)", c.Listen)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, bad("VIDYA_LISTEN", "%q has no valid port", c.Listen)
	}
	base := c.BaseURL
	if base == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		base = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, bad("VIDYA_BASE_URL", "%q is not an http(s) URL like https://vidya.example.org", base)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	s.baseURL = u
	if s.allowSignUp, err = parseBool("VIDYA_ALLOW_SIGNUP", c.AllowSignUp); err != nil {
		return nil, err
	}
	if s.trustProxy, err = parseBool("VIDYA_TRUST_PROXY", c.TrustProxy); err != nil {
		return nil, err
	}
	if err := s.logLevel.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, bad("VIDYA_LOG_LEVEL", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if c.SecretKey != "" {
		if s.secret, err = decodeSecret(c.SecretKey); err != nil {
			return nil, bad("VIDYA_SECRET_KEY", "%v", err)
		}
	}
	s.smtp = mail.SMTPConfig{Host: c.SMTPHost, Username: c.SMTPUsername, Password: c.SMTPPassword, From: c.SMTPFrom, TLS: c.SMTPTLS}
	if c.SMTPHost != "" {
		if s.smtp.Port, err = strconv.Atoi(c.SMTPPort); err != nil {
			return nil, bad("VIDYA_SMTP_PORT", "%q is not a number", c.SMTPPort)
		}
		if err := s.smtp.Validate(); err != nil {
			return nil, err
		}
	}
	if (c.OIDCIssuer == "") != (c.OIDCClientID == "") {
		if c.OIDCIssuer == "" {
			return nil, bad("VIDYA_OIDC_ISSUER", "is required when VIDYA_OIDC_CLIENT_ID is set")
		}
		return nil, bad("VIDYA_OIDC_CLIENT_ID", "is required when VIDYA_OIDC_ISSUER is set")
	}
	if c.OIDCIssuer != "" {
		if iu, err := url.Parse(c.OIDCIssuer); err != nil || (iu.Scheme != "https" && iu.Scheme != "http") || iu.Host == "" {
			return nil, bad("VIDYA_OIDC_ISSUER", "%q is not an https URL", c.OIDCIssuer)
		}
	}
	return s, nil
}

// decodeSecret accepts hex or base64 (standard or URL-safe) of ≥ 32 bytes.
func decodeSecret(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	for _, dec := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString, base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if b, err := dec(v); err == nil {
			if len(b) < 32 {
				return nil, fmt.Errorf("is %d bytes; use at least 32 random bytes (e.g. openssl rand -hex 32)", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("is neither hex nor base64; use at least 32 random bytes (e.g. openssl rand -hex 32)")
}

// secretKey returns the configured key, or the one kept in the data
// directory, generating and saving it on first run.
func (s *settings) secretKey(log *slog.Logger) ([]byte, error) {
	if s.secret != nil {
		return s.secret, nil
	}
	path := filepath.Join(s.DataDir, "secret.key")
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := decodeSecret(string(b))
		if err != nil {
			return nil, bad("VIDYA_SECRET_KEY", "the key file %s %v", path, err)
		}
		s.secret = key
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, bad("VIDYA_SECRET_KEY", "cannot read %s: %v", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.DataDir, 0o750); err != nil {
		return nil, bad("VIDYA_DATA_DIR", "cannot create %s: %v", s.DataDir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, bad("VIDYA_SECRET_KEY", "cannot create %s: %v", path, err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err != nil {
		return nil, bad("VIDYA_SECRET_KEY", "cannot write %s: %v", path, err)
	}
	log.Warn("VIDYA_SECRET_KEY is not set: generated a new secret key and saved it; back it up, and give every replica the same key", "path", path)
	s.secret = key
	return key, nil
}
