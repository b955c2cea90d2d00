package vc

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Contexts of DID documents.
const (
	ContextDIDv1     = "https://www.w3.org/ns/did/v1"
	ContextMultikey  = "https://w3id.org/security/multikey/v1"
	TypeMultikey     = "Multikey"
	maxDIDDocumentSz = 1 << 20
)

// ErrDIDDocument reports a DID document that cannot be used to resolve keys.
var ErrDIDDocument = errors.New("vc: invalid DID document")

// PublicKey is one of an issuer's signing keys as published. ID is the
// fragment that names it in the DID document ("key-2026-01"), so its
// verification method is did + "#" + ID.
type PublicKey struct {
	ID  string
	Key ed25519.PublicKey
}

// DIDWeb returns the did:web DID of a host (with an optional port) and an
// optional path: DIDWeb("vidya.example:8443", "a", "cbse") is
// "did:web:vidya.example%3A8443:a:cbse". The host is lowercased; characters
// a DID may not contain, the port's colon among them, are percent-encoded;
// empty path segments are left out.
func DIDWeb(host string, path ...string) string {
	var b strings.Builder
	b.WriteString("did:web:")
	appendIDChars(&b, strings.ToLower(host))
	for _, p := range path {
		if p == "" {
			continue
		}
		b.WriteByte(':')
		appendIDChars(&b, p)
	}
	return b.String()
}

// appendIDChars writes s with every byte that is not a DID idchar
// (ALPHA / DIGIT / "." / "-" / "_") percent-encoded.
func appendIDChars(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isIDChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
}

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// DIDWebURL returns the HTTPS URL of a did:web DID's document:
// did:web:host → https://host/.well-known/did.json and
// did:web:host:a:b → https://host/a/b/did.json.
func DIDWebURL(did string) (string, error) {
	rest, ok := strings.CutPrefix(did, "did:web:")
	if !ok || rest == "" {
		return "", fmt.Errorf("vc: did:web URL: %q is not a did:web DID", did)
	}
	parts := strings.Split(rest, ":")
	host := parts[0]
	// The port's colon is percent-encoded; the hex digit's case is free.
	for _, colon := range []string{"%3A", "%3a"} {
		if i := strings.Index(host, colon); i >= 0 {
			host = host[:i] + ":" + host[i+3:]
			break
		}
	}
	if !isHostPort(host) {
		return "", fmt.Errorf("vc: did:web URL: %q: bad host %q", did, parts[0])
	}
	var u strings.Builder
	u.WriteString("https://")
	u.WriteString(strings.ToLower(host))
	if len(parts) == 1 {
		u.WriteString("/.well-known")
	}
	for _, seg := range parts[1:] {
		if !isPathSegment(seg) {
			return "", fmt.Errorf("vc: did:web URL: %q: bad path segment %q", did, seg)
		}
		u.WriteByte('/')
		u.WriteString(seg)
	}
	u.WriteString("/did.json")
	return u.String(), nil
}

// isHostPort reports whether s is a DNS name or IPv4 address with an
// optional port.
func isHostPort(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return false
		}
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i] | 0x20
			if !(c >= 'a' && c <= 'z' || label[i] >= '0' && label[i] <= '9' || label[i] == '-') {
				return false
			}
		}
	}
	return true
}

// isPathSegment reports whether s is a non-empty run of DID idchars and
// percent-encodings, and not a dot segment that a URL would collapse.
func isPathSegment(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch {
		case isIDChar(s[i]):
		case s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// isDID reports whether s is a DID (no path, query or fragment).
func isDID(s string) bool {
	rest, ok := strings.CutPrefix(s, "did:")
	if !ok {
		return false
	}
	method, id, ok := strings.Cut(rest, ":")
	if !ok || method == "" || id == "" {
		return false
	}
	for i := 0; i < len(method); i++ {
		if !(method[i] >= 'a' && method[i] <= 'z' || method[i] >= '0' && method[i] <= '9') {
			return false
		}
	}
	for seg := range strings.SplitSeq(id, ":") {
		if seg != "" && !isPathSegment(seg) {
			return false
		}
	}
	return !strings.HasSuffix(id, ":")
}

// isFragment reports whether s can stand after '#' in a DID URL unescaped.
func isFragment(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isIDChar(c) || c == '~' || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' ||
			c == '*' || c == '+' || c == ',' || c == ';' || c == '=' || c == ':' || c == '@' || c == '/' || c == '?') {
			return false
		}
	}
	return true
}

type verificationMethodJSON struct {
	ID                 string   `json:"id"`
	Type               string   `json:"type"`
	Controller         string   `json:"controller"`
	PublicKeyMultibase string   `json:"publicKeyMultibase,omitempty"`
	PublicKeyJWK       *jwkJSON `json:"publicKeyJwk,omitempty"`
}

type didDocumentJSON struct {
	Context            []string                 `json:"@context"`
	ID                 string                   `json:"id"`
	VerificationMethod []verificationMethodJSON `json:"verificationMethod"`
	AssertionMethod    []string                 `json:"assertionMethod"`
}

// DIDDocument returns the DID document publishing keys as Multikey
// verification methods of did, every one of them an assertion method: keep
// retired keys in the list so that credentials they signed still verify.
func DIDDocument(did string, keys []PublicKey) ([]byte, error) {
	if !isDID(did) {
		return nil, fmt.Errorf("vc: DID document: %q is not a DID", did)
	}
	if err := checkKeys(keys); err != nil {
		return nil, fmt.Errorf("vc: DID document: %w", err)
	}
	doc := didDocumentJSON{
		Context:            []string{ContextDIDv1, ContextMultikey},
		ID:                 did,
		VerificationMethod: make([]verificationMethodJSON, len(keys)),
		AssertionMethod:    make([]string, len(keys)),
	}
	for i, k := range keys {
		id := did + "#" + k.ID
		doc.VerificationMethod[i] = verificationMethodJSON{
			ID:                 id,
			Type:               TypeMultikey,
			Controller:         did,
			PublicKeyMultibase: EncodeMultikey(k.Key),
		}
		doc.AssertionMethod[i] = id
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("vc: DID document: %w", err)
	}
	return b, nil
}

func checkKeys(keys []PublicKey) error {
	if len(keys) == 0 {
		return errors.New("no keys")
	}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if !isFragment(k.ID) {
			return fmt.Errorf("key id %q: want letters, digits and -._~ (at most 128)", k.ID)
		}
		if seen[k.ID] {
			return fmt.Errorf("key id %q is used twice", k.ID)
		}
		seen[k.ID] = true
		if len(k.Key) != ed25519.PublicKeySize {
			return fmt.Errorf("key %q has %d bytes, want %d", k.ID, len(k.Key), ed25519.PublicKeySize)
		}
	}
	return nil
}

type jwkJSON struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// JWKS returns keys as a JSON Web Key Set of OKP/Ed25519 keys (RFC 8037),
// each with kid = the key's ID, alg EdDSA and use sig.
func JWKS(keys []PublicKey) ([]byte, error) {
	if err := checkKeys(keys); err != nil {
		return nil, fmt.Errorf("vc: JWKS: %w", err)
	}
	set := struct {
		Keys []jwkJSON `json:"keys"`
	}{Keys: make([]jwkJSON, len(keys))}
	for i, k := range keys {
		set.Keys[i] = jwkJSON{
			Kty: "OKP", Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(k.Key),
			Kid: k.ID, Alg: "EdDSA", Use: "sig",
		}
	}
	b, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("vc: JWKS: %w", err)
	}
	return b, nil
}

// DIDDoc is a parsed DID document reduced to what verification needs: the
// Ed25519 keys of its assertion methods.
type DIDDoc struct {
	// ID is the document's DID.
	ID   string
	keys map[string]ed25519.PublicKey // absolute verification method URL → key
}

// ParseDIDDocument reads a DID document (as made by DIDDocument, or by
// others) and keeps the Ed25519 keys its assertionMethod lists, given as
// Multikey or Ed25519VerificationKey2020 (publicKeyMultibase) or as
// JsonWebKey/JsonWebKey2020 (OKP Ed25519 publicKeyJwk). Methods must be the
// document's own: their id a fragment of its DID and their controller, if
// given, the DID. Other methods are ignored.
func ParseDIDDocument(b []byte) (*DIDDoc, error) {
	if len(b) > maxDIDDocumentSz {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrDIDDocument, maxDIDDocumentSz)
	}
	var raw struct {
		ID                 string                   `json:"id"`
		VerificationMethod []verificationMethodJSON `json:"verificationMethod"`
		AssertionMethod    []json.RawMessage        `json:"assertionMethod"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDIDDocument, err)
	}
	if !isDID(raw.ID) {
		return nil, fmt.Errorf("%w: id %q is not a DID", ErrDIDDocument, raw.ID)
	}
	d := &DIDDoc{ID: raw.ID, keys: map[string]ed25519.PublicKey{}}
	methods := make(map[string]verificationMethodJSON, len(raw.VerificationMethod))
	for _, vm := range raw.VerificationMethod {
		id := d.absolute(vm.ID)
		if _, dup := methods[id]; dup {
			return nil, fmt.Errorf("%w: verification method %q appears twice", ErrDIDDocument, id)
		}
		methods[id] = vm
	}
	for _, am := range raw.AssertionMethod {
		var vm verificationMethodJSON
		var ref string
		if err := json.Unmarshal(am, &ref); err == nil {
			m, ok := methods[d.absolute(ref)]
			if !ok {
				return nil, fmt.Errorf("%w: assertion method %q is not in verificationMethod", ErrDIDDocument, ref)
			}
			vm = m
		} else if err := json.Unmarshal(am, &vm); err != nil {
			return nil, fmt.Errorf("%w: assertionMethod: %w", ErrDIDDocument, err)
		}
		id := d.absolute(vm.ID)
		if !strings.HasPrefix(id, d.ID+"#") || (vm.Controller != "" && vm.Controller != d.ID) {
			continue // not this DID's own key
		}
		key, ok := methodKey(vm)
		if !ok {
			continue
		}
		if prev, dup := d.keys[id]; dup && !prev.Equal(key) {
			return nil, fmt.Errorf("%w: assertion method %q has two keys", ErrDIDDocument, id)
		}
		d.keys[id] = key
	}
	return d, nil
}

// absolute resolves a relative verification method reference ("#key-1").
func (d *DIDDoc) absolute(id string) string {
	if strings.HasPrefix(id, "#") {
		return d.ID + id
	}
	return id
}

// methodKey extracts an Ed25519 key from a verification method.
func methodKey(vm verificationMethodJSON) (ed25519.PublicKey, bool) {
	switch vm.Type {
	case TypeMultikey, "Ed25519VerificationKey2020":
		k, err := DecodeMultikey(vm.PublicKeyMultibase)
		return k, err == nil
	case "JsonWebKey", "JsonWebKey2020":
		j := vm.PublicKeyJWK
		if j == nil || j.Kty != "OKP" || j.Crv != "Ed25519" {
			return nil, false
		}
		k, err := base64.RawURLEncoding.Strict().DecodeString(j.X)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, false
		}
		return ed25519.PublicKey(k), true
	}
	return nil, false
}

// Resolve returns the key of one of the document's assertion methods, named
// by its full URL ("did:web:host#key-1"). Its signature fits Verify.
func (d *DIDDoc) Resolve(verificationMethod string) (ed25519.PublicKey, error) {
	k, ok := d.keys[verificationMethod]
	if !ok {
		return nil, fmt.Errorf("vc: resolve %q: not an assertion method of %s", verificationMethod, d.ID)
	}
	return k, nil
}

// Methods returns the URLs of the assertion methods that Resolve knows, in
// order.
func (d *DIDDoc) Methods() []string {
	return slices.Sorted(maps.Keys(d.keys))
}
