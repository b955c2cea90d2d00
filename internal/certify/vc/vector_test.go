package vc

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/mr-tron/base58"
)

// The W3C vc-di-eddsa vectors (testdata/vc-di-eddsa/README.md) reproduced
// step by step, through the same internal functions Sign and Verify use.

const vectorDir = "testdata/vc-di-eddsa"

func readVector(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readVectorText(t testing.TB, name string) string {
	return strings.TrimSpace(string(readVector(t, name)))
}

// vectorKey returns the key pair of keyPair.json.
func vectorKey(t testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	var kp struct {
		PublicKeyMultibase  string `json:"publicKeyMultibase"`
		PrivateKeyMultibase string `json:"privateKeyMultibase"`
	}
	if err := json.Unmarshal(readVector(t, "keyPair.json"), &kp); err != nil {
		t.Fatal(err)
	}
	pub, err := DecodeMultikey(kp.PublicKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := DecodeSecretMultikey(kp.PrivateKeyMultibase)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), pub) {
		t.Fatal("the vector's private key does not match its public key")
	}
	if got := EncodeMultikey(pub); got != kp.PublicKeyMultibase {
		t.Errorf("EncodeMultikey = %s, want %s", got, kp.PublicKeyMultibase)
	}
	if got := EncodeSecretMultikey(priv); got != kp.PrivateKeyMultibase {
		t.Errorf("EncodeSecretMultikey = %s, want %s", got, kp.PrivateKeyMultibase)
	}
	return pub, priv
}

// vectorOptions reads proofConfigJCS.json into ProofOptions.
func vectorOptions(t testing.TB) ProofOptions {
	t.Helper()
	var pc struct {
		Type, Cryptosuite, Created, VerificationMethod, ProofPurpose string
	}
	if err := json.Unmarshal(readVector(t, "eddsa-jcs-2022/proofConfigJCS.json"), &pc); err != nil {
		t.Fatal(err)
	}
	if pc.Type != ProofTypeDataIntegrity || pc.Cryptosuite != CryptosuiteEdDSAJCS {
		t.Fatalf("unexpected proof config %+v", pc)
	}
	created, err := time.Parse(time.RFC3339, pc.Created)
	if err != nil {
		t.Fatal(err)
	}
	return ProofOptions{VerificationMethod: pc.VerificationMethod, Created: created, ProofPurpose: pc.ProofPurpose}
}

func TestVectorSignReproducesEveryIntermediate(t *testing.T) {
	_, priv := vectorKey(t)
	opts := vectorOptions(t)
	unsigned := readVector(t, "unsigned.json")

	canonDoc, config, _, err := signingInput(unsigned, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(canonDoc), readVectorText(t, "eddsa-jcs-2022/canonDocJCS.txt"); got != want {
		t.Errorf("canonical document\n got %s\nwant %s", got, want)
	}
	if got, want := string(config), readVectorText(t, "eddsa-jcs-2022/proofCanonJCS.txt"); got != want {
		t.Errorf("canonical proof configuration\n got %s\nwant %s", got, want)
	}
	docHash := sha256.Sum256(canonDoc)
	if got, want := hex.EncodeToString(docHash[:]), readVectorText(t, "eddsa-jcs-2022/docHashJCS.txt"); got != want {
		t.Errorf("document hash %s, want %s", got, want)
	}
	proofHash := sha256.Sum256(config)
	if got, want := hex.EncodeToString(proofHash[:]), readVectorText(t, "eddsa-jcs-2022/proofHashJCS.txt"); got != want {
		t.Errorf("proof hash %s, want %s", got, want)
	}
	combined := hashData(config, canonDoc)
	if got, want := hex.EncodeToString(combined[:]), readVectorText(t, "eddsa-jcs-2022/combinedHashJCS.txt"); got != want {
		t.Errorf("combined hash %s, want %s", got, want)
	}
	sig := ed25519.Sign(priv, combined[:])
	if got, want := hex.EncodeToString(sig), readVectorText(t, "eddsa-jcs-2022/sigHexJCS.txt"); got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	if got, want := "z"+base58.Encode(sig), readVectorText(t, "eddsa-jcs-2022/sigBTC58JCS.txt"); got != want {
		t.Errorf("signature base58 %s, want %s", got, want)
	}

	signed, err := Sign(unsigned, priv, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ours, theirs struct {
		Proof map[string]any `json:"proof"`
	}
	if err := json.Unmarshal(signed, &ours); err != nil {
		t.Fatalf("Sign output is not JSON: %v\n%s", err, signed)
	}
	if err := json.Unmarshal(readVector(t, "eddsa-jcs-2022/signedJCS.json"), &theirs); err != nil {
		t.Fatal(err)
	}
	if got, want := ours.Proof["proofValue"], theirs.Proof["proofValue"]; got != want {
		t.Errorf("proofValue %v, want %v", got, want)
	}
	// The whole signed credential, canonicalised, is the vector's.
	gotCanon, err := jcs.Transform(signed)
	if err != nil {
		t.Fatal(err)
	}
	wantCanon, err := jcs.Transform(readVector(t, "eddsa-jcs-2022/signedJCS.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotCanon, wantCanon) {
		t.Errorf("signed credential\n got %s\nwant %s", gotCanon, wantCanon)
	}
	// Sign keeps the caller's bytes and only appends the proof.
	trimmed := bytes.TrimRight(bytes.TrimSpace(unsigned), "}")
	if !bytes.HasPrefix(signed, bytes.TrimRight(trimmed, " \t\r\n")) {
		t.Errorf("Sign rewrote the document's own members:\n%s", signed)
	}
}

func TestVectorVerifies(t *testing.T) {
	pub, _ := vectorKey(t)
	signed := readVector(t, "eddsa-jcs-2022/signedJCS.json")

	_, _, config, doc, err := verificationInput(signed, PurposeAssertion)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(doc), readVectorText(t, "eddsa-jcs-2022/canonDocJCS.txt"); got != want {
		t.Errorf("verifier's canonical document\n got %s\nwant %s", got, want)
	}
	if got, want := string(config), readVectorText(t, "eddsa-jcs-2022/proofCanonJCS.txt"); got != want {
		t.Errorf("verifier's canonical proof configuration\n got %s\nwant %s", got, want)
	}

	var asked string
	p, err := Verify(signed, func(vm string) (ed25519.PublicKey, error) {
		asked = vm
		return ResolveDIDKey(vm)
	})
	if err != nil {
		t.Fatal(err)
	}
	opts := vectorOptions(t)
	if asked != opts.VerificationMethod || p.VerificationMethod != opts.VerificationMethod {
		t.Errorf("resolver asked for %q, proof names %q, want %q", asked, p.VerificationMethod, opts.VerificationMethod)
	}
	if !p.Created.Equal(opts.Created) || p.ProofPurpose != PurposeAssertion || p.Type != ProofTypeDataIntegrity || p.Cryptosuite != CryptosuiteEdDSAJCS {
		t.Errorf("proof = %+v", p)
	}
	if p.ProofValue != readVectorText(t, "eddsa-jcs-2022/sigBTC58JCS.txt") {
		t.Errorf("proofValue = %s", p.ProofValue)
	}
	if _, err := Verify(signed, func(string) (ed25519.PublicKey, error) { return pub, nil }); err != nil {
		t.Errorf("with the key pair's public key: %v", err)
	}
}
