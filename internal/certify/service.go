// Package certify issues, verifies and revokes certificates: each
// authority's signing keys, certificate types and templates, validation
// rules, batches with maker-checker approval, and the signed Open Badges
// 3.0 credentials and PDFs they produce.
package certify

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/blob"
	"github.com/vidya-edu/vidya/internal/platform/database"
)

// Options configures a Service.
type Options struct {
	// KeyEncryptionKey (32 bytes, derived from the platform secret) seals
	// the authorities' private signing keys at rest.
	KeyEncryptionKey []byte
	// BaseURL is Vidya's public URL: its host names the authorities'
	// did:web identifiers and the verify links.
	BaseURL string
	// Now is the clock; time.Now if nil.
	Now func() time.Time
	// Blobs keeps template assets and the certificates' PDFs and
	// credentials. Required.
	Blobs blob.Store
	// Results gives exam results for batches made from an exam; without
	// it only CSV batches can be made.
	Results ResultSource
	// Enqueue hands chunks of an approved batch to background jobs, in
	// the transaction that approves (or resumes) it. Without it nothing
	// issues a batch but IssueBatch.
	Enqueue func(ctx context.Context, tx *database.Tx, chunks []Chunk) error
}

// Service is the certificates domain.
type Service struct {
	db   *database.DB
	id   *identity.Service
	log  *slog.Logger
	now  func() time.Time
	seal cipher.AEAD
	base string // BaseURL without a trailing slash
	host string // BaseURL's host[:port], for did:web

	// signers caches each authority's active signing key by authority id,
	// for signerTTL: a key rotated on another replica is picked up within
	// that time, and until then the retired key, still published, signs.
	signers sync.Map // int64 → *signer

	blobs    blob.Store
	results  ResultSource
	enqueue  func(ctx context.Context, tx *database.Tx, chunks []Chunk) error
	compiled compiledCache
	pubKeys  sync.Map // verification method → ed25519.PublicKey
	// authorities caches authorities by id for verification.
	authorities sync.Map // int64 → cachedAuthority
}

// NewService returns the certificates domain over db.
func NewService(db *database.DB, ids *identity.Service, log *slog.Logger, o Options) (*Service, error) {
	if len(o.KeyEncryptionKey) != 32 {
		return nil, errors.New("certify: the key encryption key must be 32 bytes")
	}
	block, err := aes.NewCipher(o.KeyEncryptionKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, errors.New("certify: the base URL must be an absolute http(s) URL")
	}
	if o.Blobs == nil {
		return nil, errors.New("certify: a blob store is required")
	}
	now := o.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	return &Service{db: db, id: ids, log: log, now: now, seal: aead,
		base: strings.TrimRight(o.BaseURL, "/"), host: u.Host,
		blobs: o.Blobs, results: o.Results, enqueue: o.Enqueue}, nil
}

// adminRoles manage an authority's keys, types and batches; readRoles may
// look at them.
var (
	adminRoles = []identity.Role{identity.RoleAdmin}
	readRoles  = []identity.Role{identity.RoleAdmin, identity.RoleApprover}
)
