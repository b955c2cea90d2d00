package certify

import (
	"context"
	"crypto/ed25519"
	"testing"
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
