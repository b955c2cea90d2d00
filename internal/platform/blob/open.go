package blob

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// The environment variables Open reads S3 credentials from, in order of preference.
const (
	EnvS3AccessKey  = "VIDYA_S3_ACCESS_KEY"
	EnvS3SecretKey  = "VIDYA_S3_SECRET_KEY"
	EnvAWSAccessKey = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretKey = "AWS_SECRET_ACCESS_KEY"
)

// Open opens the store rawURL names: a directory path or file:///abs/path for
// a Local store (signer signs its URLs), or
// s3://bucket/optional/prefix?endpoint=host:port&region=r&tls=false for an S3
// store, whose credentials come from getenv (VIDYA_S3_ACCESS_KEY and
// VIDYA_S3_SECRET_KEY, else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).
func Open(ctx context.Context, rawURL string, signer *Signer, getenv func(string) string) (Store, error) {
	const op = "blob: open"
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if rawURL == "" {
		return nil, errs.E(errs.Invalid, op, "blob URL is empty; use a directory path or s3://bucket")
	}
	scheme, _, hasScheme := strings.Cut(rawURL, "://")
	if !hasScheme {
		return openDir(op, rawURL, rawURL, signer)
	}
	shown := redactURL(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errs.E(errs.Invalid, op, "blob URL %q is not a valid URL", shown)
	}
	if u.User != nil {
		return nil, errs.E(errs.Invalid, op, "blob URL %q must not carry credentials; set %s and %s", shown, EnvS3AccessKey, EnvS3SecretKey)
	}
	switch strings.ToLower(scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, errs.E(errs.Invalid, op, "blob URL %q: a file URL needs an absolute path, as in file:///var/lib/vidya/blobs", shown)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return nil, errs.E(errs.Invalid, op, "blob URL %q: a file URL takes no query or fragment", shown)
		}
		if !filepath.IsAbs(u.Path) {
			return nil, errs.E(errs.Invalid, op, "blob URL %q: a file URL needs an absolute path", shown)
		}
		return openDir(op, shown, u.Path, signer)
	case "s3":
		cfg, err := s3Config(op, shown, u, getenv)
		if err != nil {
			return nil, err
		}
		return NewS3(ctx, cfg)
	default:
		return nil, errs.E(errs.Invalid, op, "blob URL %q: unsupported scheme %q; use a directory path or s3://bucket", shown, scheme)
	}
}

// openDir opens a Local store in dir, creating the directory if it is missing.
func openDir(op, shown, dir string, signer *Signer) (Store, error) {
	if strings.ContainsRune(dir, 0) {
		return nil, errs.E(errs.Invalid, op, "blob URL %q: the path contains a NUL byte", shown)
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: "cannot create the blob directory " + strconv.Quote(dir), Err: err}
	}
	return NewLocal(dir, signer)
}

// s3Config builds the S3Config an s3:// URL describes.
func s3Config(op, shown string, u *url.URL, getenv func(string) string) (S3Config, error) {
	cfg := S3Config{
		Bucket:   u.Host,
		Prefix:   strings.Trim(u.Path, "/"),
		Endpoint: "s3.amazonaws.com",
		UseTLS:   true,
	}
	if cfg.Bucket == "" {
		return cfg, errs.E(errs.Invalid, op, "blob URL %q: missing bucket, as in s3://bucket/prefix", shown)
	}
	if u.Fragment != "" {
		return cfg, errs.E(errs.Invalid, op, "blob URL %q: an s3 URL takes no fragment", shown)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return cfg, errs.E(errs.Invalid, op, "blob URL %q: the query is malformed", shown)
	}
	for name, vals := range q {
		if len(vals) != 1 {
			return cfg, errs.E(errs.Invalid, op, "blob URL %q: parameter %q is given %d times", shown, name, len(vals))
		}
		v := vals[0]
		switch name {
		case "endpoint":
			if err := checkEndpoint(op, v); err != nil {
				return cfg, errs.E(errs.Invalid, op, "blob URL %q: %s", shown, errs.As(err).Message)
			}
			cfg.Endpoint = v
		case "region":
			cfg.Region = v
		case "tls":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return cfg, errs.E(errs.Invalid, op, "blob URL %q: tls=%q is not true or false", shown, v)
			}
			cfg.UseTLS = b
		default:
			return cfg, errs.E(errs.Invalid, op, "blob URL %q: unknown parameter %q; known are endpoint, region and tls", shown, name)
		}
	}
	if getenv(EnvS3AccessKey) != "" || getenv(EnvS3SecretKey) != "" {
		cfg.AccessKey, cfg.SecretKey = getenv(EnvS3AccessKey), getenv(EnvS3SecretKey)
	} else {
		cfg.AccessKey, cfg.SecretKey = getenv(EnvAWSAccessKey), getenv(EnvAWSSecretKey)
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return cfg, errs.E(errs.Invalid, op, "blob URL %q: S3 credentials missing; set %s and %s (or %s and %s)",
			shown, EnvS3AccessKey, EnvS3SecretKey, EnvAWSAccessKey, EnvAWSSecretKey)
	}
	return cfg, nil
}

// redactURL hides any user info in a URL so it can go into an error message.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return scheme + "://xxxxx@" + rest[at+1:]
	}
	return raw
}
