package vc

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/mr-tron/base58"
)

// Proof types, cryptosuites and purposes of the eddsa-jcs-2022 cryptosuite.
const (
	ProofTypeDataIntegrity = "DataIntegrityProof"
	CryptosuiteEdDSAJCS    = "eddsa-jcs-2022"
	PurposeAssertion       = "assertionMethod"
)

// Errors returned by Verify (and, for malformed input, by Sign). They are
// wrapped with detail; test for them with errors.Is.
var (
	// ErrMalformed: the input is not JSON (RFC 8259, UTF-8, no duplicate
	// member names, nested at most 100 levels), not an object, or a member
	// has the wrong shape.
	ErrMalformed = errors.New("vc: malformed document")
	// ErrNoProof: the document carries no proof.
	ErrNoProof = errors.New("vc: document has no proof")
	// ErrUnsupportedProof: the proof is not a single DataIntegrityProof with
	// cryptosuite eddsa-jcs-2022.
	ErrUnsupportedProof = errors.New("vc: unsupported proof")
	// ErrProofPurpose: the proof was made for another purpose than the one
	// the verifier expects.
	ErrProofPurpose = errors.New("vc: proof purpose mismatch")
	// ErrUnknownKey: the resolver could not give a key for the proof's
	// verification method.
	ErrUnknownKey = errors.New("vc: unknown verification key")
	// ErrBadSignature: the signature does not match the document and proof,
	// so one of them was changed after signing.
	ErrBadSignature = errors.New("vc: bad signature")
)

// maxProofValueLen bounds the proofValue text: an Ed25519 signature is 64
// bytes, at most 88 base58 digits. Base58 decoding is quadratic, so nothing
// longer is decoded.
const maxProofValueLen = 100

// ProofOptions says how Sign makes the proof.
type ProofOptions struct {
	// VerificationMethod is the URL of the public key, e.g.
	// "did:web:vidya.example#key-2026-01". Required.
	VerificationMethod string
	// Created is the proof's creation time; it is written in UTC to the
	// second. Required.
	Created time.Time
	// ProofPurpose defaults to "assertionMethod".
	ProofPurpose string
}

// Proof is a verified eddsa-jcs-2022 proof as found in a document.
type Proof struct {
	Type               string
	Cryptosuite        string
	Created            time.Time // zero if the proof has no created
	VerificationMethod string
	ProofPurpose       string
	ProofValue         string
}

// Sign adds an eddsa-jcs-2022 Data Integrity proof to doc, a JSON object
// without a proof, and returns the signed document: doc's own bytes with a
// "proof" member appended. The proof carries the document's @context, as the
// cryptosuite specifies.
func Sign(doc []byte, key ed25519.PrivateKey, opts ProofOptions) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("vc: sign: private key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	canon, config, empty, err := signingInput(doc, opts)
	if err != nil {
		return nil, err
	}
	hash := hashData(config, canon)
	sig := ed25519.Sign(key, hash[:])

	body := bytes.TrimRight(doc, " \t\r\n")
	body = bytes.TrimRight(body[:len(body)-1], " \t\r\n") // drop the closing brace
	out := make([]byte, 0, len(body)+len(config)+128)
	out = append(out, body...)
	if !empty {
		out = append(out, ',')
	}
	out = append(out, `"proof":`...)
	out = append(out, config[:len(config)-1]...)
	out = append(out, `,"proofValue":"z`...)
	out = append(out, base58.Encode(sig)...)
	out = append(out, `"}}`...)
	return out, nil
}

// signingInput returns the canonical document and the canonical proof
// configuration that Sign hashes, and whether the document is empty.
func signingInput(doc []byte, opts ProofOptions) ([]byte, []byte, bool, error) {
	purpose := opts.ProofPurpose
	if purpose == "" {
		purpose = PurposeAssertion
	}
	if opts.VerificationMethod == "" || !utf8.ValidString(opts.VerificationMethod) || !utf8.ValidString(purpose) {
		return nil, nil, false, errors.New("vc: sign: verification method is required and must be valid UTF-8")
	}
	if opts.Created.IsZero() {
		return nil, nil, false, errors.New("vc: sign: proof creation time is required")
	}
	canon, ms, err := canonicalObject(doc)
	if err != nil {
		return nil, nil, false, fmt.Errorf("vc: sign: %w", err)
	}
	var context []byte
	for _, m := range ms {
		switch m.rawName {
		case `"proof"`:
			return nil, nil, false, fmt.Errorf("vc: sign: %w: the document already has a proof", ErrMalformed)
		case `"@context"`:
			context = m.value
		}
	}

	// The proof configuration's members, in canonical (sorted) order.
	config := make([]byte, 0, 256+len(context))
	config = append(config, '{')
	if context != nil {
		config = append(config, `"@context":`...)
		config = append(config, context...)
		config = append(config, ',')
	}
	config = append(config, `"created":`...)
	config = appendJCSString(config, opts.Created.UTC().Format("2006-01-02T15:04:05Z"))
	config = append(config, `,"cryptosuite":"`+CryptosuiteEdDSAJCS+`","proofPurpose":`...)
	config = appendJCSString(config, purpose)
	config = append(config, `,"type":"`+ProofTypeDataIntegrity+`","verificationMethod":`...)
	config = appendJCSString(config, opts.VerificationMethod)
	config = append(config, '}')

	return canon, config, len(ms) == 0, nil
}

// Verify checks the eddsa-jcs-2022 proof of a signed document for the
// purpose "assertionMethod". resolve maps the proof's verificationMethod to
// a public key; it must only return keys the caller trusts for that method
// (for credentials, keys of the credential's issuer: see VerifyCredential).
//
// Any change to the document or to a proof member other than proofValue
// changes the signed hash and fails with ErrBadSignature. One deliberate
// difference from the cryptosuite text: when the proof carries @context the
// document's @context must equal it, not merely start with it, because
// Vidya accepts no proof chains that could justify added contexts.
func Verify(signed []byte, resolve func(verificationMethod string) (ed25519.PublicKey, error)) (*Proof, error) {
	return verify(signed, PurposeAssertion, resolve)
}

func verify(signed []byte, purpose string, resolve func(string) (ed25519.PublicKey, error)) (*Proof, error) {
	p, sig, config, doc, err := verificationInput(signed, purpose)
	if err != nil {
		return nil, err
	}
	key, err := resolve(p.VerificationMethod)
	if err != nil {
		return nil, fmt.Errorf("vc: verify: %w %q: %w", ErrUnknownKey, p.VerificationMethod, err)
	}
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("vc: verify: %w %q: key has %d bytes", ErrUnknownKey, p.VerificationMethod, len(key))
	}

	hash := hashData(config, doc)
	if !ed25519.Verify(key, hash[:], sig) {
		return nil, fmt.Errorf("vc: verify: %w", ErrBadSignature)
	}
	return p, nil
}

// verificationInput parses a signed document and returns its proof, the
// signature and the canonical proof configuration and document it signs.
func verificationInput(signed []byte, purpose string) (*Proof, []byte, []byte, []byte, error) {
	canon, ms, err := canonicalObject(signed)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w", err)
	}
	proofAt, contextAt := -1, -1
	for i, m := range ms {
		switch m.rawName {
		case `"proof"`:
			proofAt = i
		case `"@context"`:
			contextAt = i
		}
	}
	if proofAt < 0 {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w", ErrNoProof)
	}
	rawProof := ms[proofAt].value
	switch rawProof[0] {
	case '{':
	case '[':
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof sets are not supported", ErrUnsupportedProof)
	default:
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof is not an object", ErrMalformed)
	}
	pms, err := members(rawProof)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: %w", ErrMalformed, err)
	}

	p := &Proof{}
	var proofContext []byte
	config := make([]member, 0, len(pms)+1)
	for _, m := range pms {
		var dst *string
		switch m.rawName {
		case `"proofValue"`:
			dst = &p.ProofValue
		case `"type"`:
			dst = &p.Type
		case `"cryptosuite"`:
			dst = &p.Cryptosuite
		case `"verificationMethod"`:
			dst = &p.VerificationMethod
		case `"proofPurpose"`:
			dst = &p.ProofPurpose
		case `"created"`:
			s, ok := jsonString(m.value)
			if !ok {
				return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof created is not a string", ErrMalformed)
			}
			if p.Created, err = parseDateTime(s); err != nil {
				return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof created: %w", ErrMalformed, err)
			}
		case `"@context"`:
			proofContext = m.value
		}
		if dst != nil {
			s, ok := jsonString(m.value)
			if !ok {
				return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof %s is not a string", ErrMalformed, m.rawName)
			}
			*dst = s
		}
		if m.rawName != `"proofValue"` {
			config = append(config, m)
		}
	}
	if p.Type != ProofTypeDataIntegrity || p.Cryptosuite != CryptosuiteEdDSAJCS {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: type %q, cryptosuite %q", ErrUnsupportedProof, p.Type, p.Cryptosuite)
	}
	if p.ProofPurpose != purpose {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof is for %q, want %q", ErrProofPurpose, p.ProofPurpose, purpose)
	}
	if p.VerificationMethod == "" {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof has no verificationMethod", ErrMalformed)
	}
	if p.ProofValue == "" {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: proof has no proofValue", ErrMalformed)
	}

	var docContext []byte
	if contextAt >= 0 {
		docContext = ms[contextAt].value
	}
	if proofContext != nil {
		if !bytes.Equal(proofContext, docContext) {
			return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: the document's @context differs from the proof's", ErrBadSignature)
		}
	} else if docContext != nil {
		config = append(config, member{rawName: `"@context"`, value: docContext})
		sortMembers(config)
	}

	sig, err := decodeProofValue(p.ProofValue)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("vc: verify: %w: %w", ErrBadSignature, err)
	}
	configBytes := writeObject(make([]byte, 0, len(rawProof)+len(docContext)), config)
	return p, sig, configBytes, removeMember(canon, ms, proofAt), nil
}

// canonicalObject canonicalises doc with JCS and splits the top-level
// object into members.
func canonicalObject(doc []byte) ([]byte, []member, error) {
	if len(doc) == 0 {
		return nil, nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	canon, err := canonicalize(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(canon) == 0 || canon[0] != '{' {
		return nil, nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	ms, err := members(canon)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return canon, ms, nil
}

// removeMember returns the canonical object without its i-th member.
func removeMember(obj []byte, ms []member, i int) []byte {
	start, end := ms[i].start, ms[i].end
	switch {
	case len(ms) == 1:
	case i == len(ms)-1:
		start-- // the comma before
	default:
		end++ // the comma after
	}
	out := make([]byte, 0, len(obj)-(end-start))
	out = append(out, obj[:start]...)
	return append(out, obj[end:]...)
}

// hashData is SHA-256(proof configuration) ‖ SHA-256(document).
func hashData(config, doc []byte) [64]byte {
	var h [64]byte
	a := sha256.Sum256(config)
	b := sha256.Sum256(doc)
	copy(h[:32], a[:])
	copy(h[32:], b[:])
	return h
}

// decodeProofValue decodes a multibase base58btc Ed25519 signature.
func decodeProofValue(v string) ([]byte, error) {
	if len(v) < 2 || v[0] != 'z' || len(v) > maxProofValueLen {
		return nil, errors.New("proofValue is not a multibase base58btc signature")
	}
	sig, err := base58.Decode(v[1:])
	if err != nil {
		return nil, fmt.Errorf("proofValue: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("proofValue has %d bytes, want %d", len(sig), ed25519.SignatureSize)
	}
	return sig, nil
}

// parseDateTime parses an XML Schema dateTime as used by VC 2.0: RFC 3339
// with optional fractional seconds, the zone optional (then read as UTC).
func parseDateTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an XML Schema dateTime", s)
	}
	return t, nil
}
