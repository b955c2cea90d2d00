package certify

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
	"github.com/vidya-edu/vidya/internal/identity"
	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// CodeNoSigningKey is the problem code for signing by an authority that
// has no signing key yet.
const CodeNoSigningKey = "no-signing-key"

// Key is one of an authority's signing keys, as published.
type Key struct {
	// ID names the key within the authority's DID document ("key-…").
	ID string `json:"kid"`
	// VerificationMethod is the key's full id (DID + "#" + ID), as named
	// in every proof it makes.
	VerificationMethod string             `json:"verification_method"`
	PublicKey          ed25519.PublicKey  `json:"public_key"` // 32 bytes, base64 in JSON
	CreatedAt          time.Time          `json:"created_at"`
	RetiredAt          *time.Time         `json:"retired_at,omitempty"`
	Active             bool               `json:"active"`
	private            ed25519.PrivateKey // only when loaded to sign
}

// DID returns an authority's did:web identifier: its DID document is
// served at BaseURL/authorities/{code}/did.json.
func (s *Service) DID(code string) string {
	// did:web percent-encodes a port's colon, which would otherwise
	// separate path segments.
	return "did:web:" + strings.ReplaceAll(s.host, ":", "%3A") + ":authorities:" + strings.ToUpper(code)
}

// RotateKey creates a new signing key for an authority and makes it the
// active one; the key it replaces is retired but stays published, so what
// it signed still verifies. The first call creates the authority's first
// key. Administrators; audited.
func (s *Service) RotateKey(ctx context.Context, p *identity.Principal, code string) (*Key, error) {
	const op = "certify: rotate key"
	a, err := s.id.AuthorityAs(ctx, p, code, adminRoles...)
	if err != nil {
		return nil, err
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	now := s.now()
	var suffix [3]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return nil, errs.Wrap(op, err)
	}
	k := &Key{ID: "key-" + now.Format("20060102") + "-" + hex.EncodeToString(suffix[:]), PublicKey: pub, CreatedAt: now, Active: true, private: priv}
	k.VerificationMethod = s.DID(a.Code) + "#" + k.ID
	sealed := s.sealKey(a.ID, k.ID, priv)
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE signing_keys SET retired_at = $1 WHERE authority_id = $2 AND retired_at IS NULL`, now, a.ID); err != nil {
			return errs.Wrap(op, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO signing_keys (authority_id, kid, public_key, sealed_key, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			a.ID, k.ID, []byte(pub), sealed, p.User.ID, now); err != nil {
			return errs.Wrap(op, err)
		}
		return s.id.Record(ctx, tx, p, a.ID, "certify.key.rotate", k.VerificationMethod, nil)
	})
	if err != nil {
		return nil, err
	}
	s.signers.Delete(a.ID)
	return k, nil
}

// Keys lists an authority's signing keys, newest first. Administrators
// and approvers.
func (s *Service) Keys(ctx context.Context, p *identity.Principal, code string) ([]Key, error) {
	a, err := s.id.AuthorityAs(ctx, p, code, readRoles...)
	if err != nil {
		return nil, err
	}
	return s.keys(ctx, a)
}

// PublishedKeys returns an authority's signing keys, active and retired,
// for its DID document and JWKS. Anyone may read them.
func (s *Service) PublishedKeys(ctx context.Context, code string) (*identity.Authority, []Key, error) {
	a, err := s.id.PublicAuthority(ctx, code)
	if err != nil {
		return nil, nil, err
	}
	keys, err := s.keys(ctx, a)
	return a, keys, err
}

func (s *Service) keys(ctx context.Context, a *identity.Authority) ([]Key, error) {
	const op = "certify: keys"
	rows, err := s.db.Query(ctx, `SELECT kid, public_key, created_at, retired_at FROM signing_keys WHERE authority_id = $1 ORDER BY id DESC`, a.ID)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	defer rows.Close()
	out := []Key{}
	for rows.Next() {
		var k Key
		var pub []byte
		if err := rows.Scan(&k.ID, &pub, &k.CreatedAt, &k.RetiredAt); err != nil {
			return nil, errs.Wrap(op, err)
		}
		if len(pub) != ed25519.PublicKeySize {
			return nil, errs.Wrap(op, fmt.Errorf("key %s: public key of %d bytes", k.ID, len(pub)))
		}
		k.PublicKey = pub
		k.CreatedAt = k.CreatedAt.UTC()
		if k.RetiredAt != nil {
			t := k.RetiredAt.UTC()
			k.RetiredAt = &t
		}
		k.Active = k.RetiredAt == nil
		k.VerificationMethod = s.DID(a.Code) + "#" + k.ID
		out = append(out, k)
	}
	return out, errs.Wrap(op, rows.Err())
}

// signerTTL is how long a loaded signing key is used before the database
// is asked again which key is active.
const signerTTL = time.Minute

type signer struct {
	key    *Key
	loaded time.Time
}

// activeKey returns an authority's active signing key with its private
// half, unsealed, or a clear error if it has none.
func (s *Service) activeKey(ctx context.Context, a *identity.Authority) (*Key, error) {
	const op = "certify: signing key"
	if v, ok := s.signers.Load(a.ID); ok {
		if sg := v.(*signer); s.now().Sub(sg.loaded) < signerTTL {
			return sg.key, nil
		}
	}
	var k Key
	var pub, sealed []byte
	err := s.db.QueryRow(ctx, `SELECT kid, public_key, sealed_key, created_at FROM signing_keys WHERE authority_id = $1 AND retired_at IS NULL`, a.ID).
		Scan(&k.ID, &pub, &sealed, &k.CreatedAt)
	if errors.Is(err, database.ErrNoRows) {
		return nil, &errs.Error{Kind: errs.Conflict, Op: op, Code: CodeNoSigningKey,
			Message: fmt.Sprintf("%s has no signing key yet; an administrator must create one before certificates can be issued", a.Code)}
	}
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	priv, err := s.openKey(a.ID, k.ID, sealed)
	if err != nil {
		return nil, errs.Wrap(op, err)
	}
	if !ed25519.PublicKey(pub).Equal(priv.Public()) {
		return nil, errs.Wrap(op, fmt.Errorf("key %s: the sealed private key does not match the public key", k.ID))
	}
	k.PublicKey, k.private, k.Active = pub, priv, true
	k.CreatedAt = k.CreatedAt.UTC()
	k.VerificationMethod = s.DID(a.Code) + "#" + k.ID
	s.signers.Store(a.ID, &signer{key: &k, loaded: s.now()})
	return &k, nil
}

// sealKey encrypts a private key for storage. The authority and kid are
// authenticated with it, so a sealed key copied to another row or
// authority does not open.
func (s *Service) sealKey(authorityID int64, kid string, priv ed25519.PrivateKey) []byte {
	nonce := make([]byte, s.seal.NonceSize(), s.seal.NonceSize()+len(priv.Seed())+s.seal.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand does not fail
	}
	return s.seal.Seal(nonce, nonce, priv.Seed(), sealData(authorityID, kid))
}

func (s *Service) openKey(authorityID int64, kid string, sealed []byte) (ed25519.PrivateKey, error) {
	n := s.seal.NonceSize()
	if len(sealed) < n {
		return nil, fmt.Errorf("key %s: sealed key too short", kid)
	}
	seed, err := s.seal.Open(nil, sealed[:n], sealed[n:], sealData(authorityID, kid))
	if err != nil {
		return nil, fmt.Errorf("key %s: cannot open the sealed key (wrong platform secret?): %w", kid, err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key %s: sealed seed of %d bytes", kid, len(seed))
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func sealData(authorityID int64, kid string) []byte {
	return []byte("vidya signing key " + strconv.FormatInt(authorityID, 10) + " " + kid)
}

// DIDDocument returns an authority's did:web document, listing every
// signing key it has had, so that anyone can verify its certificates
// without asking Vidya. Public.
func (s *Service) DIDDocument(ctx context.Context, code string) ([]byte, error) {
	a, keys, err := s.published(ctx, code)
	if err != nil {
		return nil, err
	}
	doc, err := vc.DIDDocument(s.DID(a.Code), publicKeys(keys))
	return doc, errs.Wrap("certify: DID document", err)
}

// JWKS returns an authority's signing keys as a JSON Web Key Set. Public.
func (s *Service) JWKS(ctx context.Context, code string) ([]byte, error) {
	_, keys, err := s.published(ctx, code)
	if err != nil {
		return nil, err
	}
	doc, err := vc.JWKS(publicKeys(keys))
	return doc, errs.Wrap("certify: JWKS", err)
}

// published is PublishedKeys for the key documents: an authority with no
// key yet has no DID document to resolve.
func (s *Service) published(ctx context.Context, code string) (*identity.Authority, []Key, error) {
	a, keys, err := s.PublishedKeys(ctx, code)
	if err == nil && len(keys) == 0 {
		err = errs.E(errs.NotFound, "certify: keys", "%s has not published a signing key yet", a.Code)
	}
	return a, keys, err
}

func publicKeys(keys []Key) []vc.PublicKey {
	out := make([]vc.PublicKey, len(keys))
	for i, k := range keys {
		out[i] = vc.PublicKey{ID: k.ID, Key: k.PublicKey}
	}
	return out
}
