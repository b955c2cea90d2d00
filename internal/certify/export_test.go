package certify

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

// Signature is a test's view of what an authority's active key signs.
type Signature struct {
	VerificationMethod string
	Signature          []byte
}

// SignWith signs msg with the active key of the authority code, as
// issuance does.
func (s *Service) SignWith(ctx context.Context, code string, msg []byte) (*Signature, error) {
	a, err := s.id.PublicAuthority(ctx, code)
	if err != nil {
		return nil, err
	}
	k, err := s.activeKey(ctx, a)
	if err != nil {
		return nil, err
	}
	return &Signature{VerificationMethod: k.VerificationMethod, Signature: ed25519.Sign(k.private, msg)}, nil
}

// PrivateKeyForTest returns the active private key of the authority code.
func (s *Service) PrivateKeyForTest(ctx context.Context, t *testing.T, code string) ed25519.PrivateKey {
	t.Helper()
	a, err := s.id.PublicAuthority(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	k, err := s.activeKey(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return k.private
}

// QRForTest makes a certificate's QR URL again from its stored credential,
// as issuing made it.
func (s *Service) QRForTest(ctx context.Context, code, docID string) (string, error) {
	a, err := s.id.PublicAuthority(ctx, code)
	if err != nil {
		return "", err
	}
	k, err := s.activeKey(ctx, a)
	if err != nil {
		return "", err
	}
	c, err := s.certByDocID(ctx, s.db, docID)
	if err != nil {
		return "", err
	}
	cred, err := s.certFile(ctx, code, c, "json")
	if err != nil {
		return "", err
	}
	digest, err := vc.CredentialDigest(cred)
	if err != nil {
		return "", err
	}
	var until time.Time
	if c.ValidUntil != nil {
		until = *c.ValidUntil
	}
	return s.qrURL(a, k, docID, c.HolderName, c.Achievement, c.IssuedAt, until, digest)
}
