package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// S3Config says where an S3 store keeps its blobs and how to reach it.
type S3Config struct {
	Endpoint  string // host[:port], without a scheme
	Region    string // empty means ask the server
	Bucket    string
	Prefix    string // keys are stored under Prefix + "/"; may be empty
	AccessKey string
	SecretKey string
	UseTLS    bool
	// CreateBucket creates the bucket when it does not exist (tests, first run).
	CreateBucket bool
}

// String describes the config without its secret key.
func (c S3Config) String() string {
	return fmt.Sprintf("S3Config{Endpoint:%s Region:%s Bucket:%s Prefix:%s AccessKey:%s UseTLS:%t CreateBucket:%t}",
		c.Endpoint, c.Region, c.Bucket, c.Prefix, c.AccessKey, c.UseTLS, c.CreateBucket)
}

// GoString describes the config without its secret key, for %#v.
func (c S3Config) GoString() string { return c.String() }

// unknownSizePartSize is the multipart part size for Puts of unknown size.
// minio-go would otherwise buffer parts of over 500 MiB; 16 MiB parts still
// allow objects of up to 160 GiB.
const unknownSizePartSize = 16 << 20

// S3 is a Store in a bucket of an S3-compatible object store.
type S3 struct {
	client   *minio.Client
	core     minio.Core
	bucket   string
	prefix   string // "" or ending in "/"
	endpoint string
}

var _ Store = (*S3)(nil)

// NewS3 connects to the bucket cfg names and checks that it exists (or
// creates it, with cfg.CreateBucket).
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	const op = "blob: open S3 store"
	if err := checkEndpoint(op, cfg.Endpoint); err != nil {
		return nil, err
	}
	if err := s3utils.CheckValidBucketNameStrict(cfg.Bucket); err != nil {
		return nil, errs.E(errs.Invalid, op, "bucket name %q is not valid: %v", cfg.Bucket, err)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := ValidKey(prefix); err != nil {
			return nil, errs.E(errs.Invalid, op, "prefix %q is not valid: %s", cfg.Prefix, errs.As(err).Message)
		}
		prefix += "/"
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errs.E(errs.Invalid, op, "S3 access key and secret key are required")
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.UseTLS,
		Region:     cfg.Region,
		MaxRetries: 3,
	})
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Op: op, Message: fmt.Sprintf("S3 endpoint %q is not usable", cfg.Endpoint), Err: err}
	}
	s := &S3{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket, prefix: prefix, endpoint: cfg.Endpoint}

	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, s.bucketErr(op, err)
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, errs.E(errs.NotFound, op, "bucket %q does not exist at %s", cfg.Bucket, cfg.Endpoint)
		}
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return nil, s.bucketErr("blob: create bucket", err)
		}
	}
	return s, nil
}

// bucketErr explains a failure to reach or use the bucket.
func (s *S3) bucketErr(op string, err error) error {
	k := errs.Unavailable
	switch s3Code(err) {
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		k = errs.Unauthorized
	}
	return &errs.Error{Kind: k, Op: op, Message: fmt.Sprintf("bucket %q at %s", s.bucket, s.endpoint), Err: err}
}

// checkEndpoint validates an S3 endpoint: host or host:port, no scheme or path.
func checkEndpoint(op, ep string) error {
	switch {
	case ep == "":
		return errs.E(errs.Invalid, op, "S3 endpoint is empty")
	case strings.Contains(ep, "://"):
		return errs.E(errs.Invalid, op, "S3 endpoint %q must be host:port without a scheme (plain http is tls=false)", ep)
	case strings.ContainsAny(ep, "/?#@ "):
		return errs.E(errs.Invalid, op, "S3 endpoint %q must be host:port without a path", ep)
	}
	host := ep
	if strings.Contains(ep, ":") {
		h, port, err := net.SplitHostPort(ep)
		if err != nil {
			return errs.E(errs.Invalid, op, "S3 endpoint %q is not host:port", ep)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return errs.E(errs.Invalid, op, "S3 endpoint %q has a bad port %q", ep, port)
		}
		host = h
	}
	if host == "" {
		return errs.E(errs.Invalid, op, "S3 endpoint %q has no host", ep)
	}
	return nil
}

// s3Code returns the S3 error code in err's chain, or "".
func s3Code(err error) string {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}

// mapErr turns a minio error about key into an errs error.
func (s *S3) mapErr(op, key string, err error) error {
	switch s3Code(err) {
	case "NoSuchKey", "NotFound":
		return notFound(op, key)
	case "InvalidRange":
		return &errs.Error{Kind: errs.Invalid, Op: op, Message: fmt.Sprintf("range is out of range for the blob at key %q", key), Err: err}
	case "NoSuchBucket":
		return s.bucketErr(op, err)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return &errs.Error{Kind: errs.Unauthorized, Op: op, Message: "S3 refused the credentials", Err: err}
	}
	return errs.Wrap(op, err)
}

// name returns the object name of key.
func (s *S3) name(key string) string { return s.prefix + key }

// Put stores the content of r under key with one PUT (or a multipart upload
// for large or unknown sizes); the object appears only when complete.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	const op = "blob: S3 put"
	if err := validKey(op, key); err != nil {
		return err
	}
	if err := checkSize(op, size); err != nil {
		return err
	}
	contentType, err := normContentType(op, contentType)
	if err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: contentType}
	var src io.Reader = ctxReader{ctx: ctx, r: r}
	var exact *exactReader
	if size >= 0 {
		exact = &exactReader{r: src, left: size}
		src = exact
	} else {
		opts.PartSize = unknownSizePartSize
	}
	_, err = s.client.PutObject(ctx, s.bucket, s.name(key), src, size, opts)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return errs.Wrap(op, ctx.Err())
	case exact != nil && exact.short:
		return errs.E(errs.Invalid, op, "reader gave %d bytes; size said %d", size-exact.left, size)
	}
	return s.mapErr(op, key, err)
}

// Get opens the blob at key, or the part of it rng names.
func (s *S3) Get(ctx context.Context, key string, rng *Range) (io.ReadCloser, Info, error) {
	const op = "blob: S3 get"
	if err := validKey(op, key); err != nil {
		return nil, Info{}, err
	}
	var opts minio.GetObjectOptions
	if rng != nil {
		if err := checkRangeShape(op, rng); err != nil {
			return nil, Info{}, err
		}
		if rng.Length == -1 || rng.Length > math.MaxInt64-rng.Offset {
			opts.Set("Range", fmt.Sprintf("bytes=%d-", rng.Offset))
		} else {
			opts.Set("Range", fmt.Sprintf("bytes=%d-%d", rng.Offset, rng.Offset+rng.Length-1))
		}
	}
	body, oi, h, err := s.core.GetObject(ctx, s.bucket, s.name(key), opts)
	if err != nil {
		return nil, Info{}, s.mapErr(op, key, err)
	}
	info := Info{Key: key, Size: oi.Size, ContentType: oi.ContentType, ModTime: oi.LastModified, ETag: oi.ETag}
	if rng == nil {
		return body, info, nil
	}
	if cr := h.Get("Content-Range"); cr != "" {
		start, total, ok := parseContentRange(cr)
		if !ok || start != rng.Offset {
			body.Close()
			return nil, Info{}, errs.E(errs.Internal, op, "S3 answered range %d- with Content-Range %q", rng.Offset, cr)
		}
		info.Size = total
		return body, info, nil
	}
	// The server ignored the Range header and sent the whole object: cut the
	// range out here.
	off, n, err := checkRange(op, rng, info.Size)
	if err != nil {
		body.Close()
		return nil, Info{}, err
	}
	if _, err := io.CopyN(io.Discard, body, off); err != nil {
		body.Close()
		return nil, Info{}, s.mapErr(op, key, err)
	}
	return readCloser{Reader: io.LimitReader(body, n), Closer: body}, info, nil
}

// parseContentRange parses "bytes start-end/total".
func parseContentRange(v string) (start, total int64, ok bool) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, false
	}
	span, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	first, _, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	total, err2 := strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return start, total, true
}

// Stat describes the blob at key.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	const op = "blob: S3 stat"
	if err := validKey(op, key); err != nil {
		return Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.name(key), minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.mapErr(op, key, err)
	}
	return Info{Key: key, Size: oi.Size, ContentType: oi.ContentType, ModTime: oi.LastModified, ETag: oi.ETag}, nil
}

// Delete removes the blob at key.
func (s *S3) Delete(ctx context.Context, key string) error {
	const op = "blob: S3 delete"
	if err := validKey(op, key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.name(key), minio.RemoveObjectOptions{})
	if err == nil {
		return nil
	}
	if err := s.mapErr(op, key, err); !errs.Is(err, errs.NotFound) {
		return err
	}
	return nil
}

// List calls fn for every blob under prefix, in lexical key order. Objects
// under the store's prefix whose names are not valid keys are skipped.
func (s *S3) List(ctx context.Context, prefix string, fn func(Info) error) error {
	const op = "blob: S3 list"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops minio-go's listing goroutine on an early return
	for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.name(prefix), Recursive: true}) {
		if oi.Err != nil {
			return s.mapErr(op, prefix, oi.Err)
		}
		key, ok := strings.CutPrefix(oi.Key, s.prefix)
		if !ok || ValidKey(key) != nil {
			continue
		}
		if err := fn(Info{Key: key, Size: oi.Size, ModTime: oi.LastModified, ETag: oi.ETag}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return errs.Wrap(op, err)
	}
	return nil
}

// SignedURL returns a presigned GET URL for key that works until expiry passes.
func (s *S3) SignedURL(ctx context.Context, key string, expiry time.Duration) (string, error) {
	const op = "blob: S3 signed URL"
	if err := validKey(op, key); err != nil {
		return "", err
	}
	if err := checkExpiry(op, expiry); err != nil {
		return "", err
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, s.name(key), expiry, nil)
	if err != nil {
		return "", s.mapErr(op, key, err)
	}
	return u.String(), nil
}

// Close releases nothing: the S3 client holds only pooled connections.
func (s *S3) Close() error { return nil }
