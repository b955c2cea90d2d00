// Package vc is the cryptographic core of Vidya's certificates: Open Badges
// 3.0 credentials signed with W3C Data Integrity proofs, Bitstring Status
// Lists for revocation, the DID documents and JWKS that publish issuer keys,
// and the signed payload of a printed certificate's QR code. It does no I/O:
// keys, storage and fetching belong to the caller.
//
// # Proofs: eddsa-jcs-2022
//
// Sign and Verify implement the eddsa-jcs-2022 cryptosuite of the W3C
// "Data Integrity EdDSA Cryptosuites v1.0" Recommendation. The proof
// configuration is the proof without proofValue plus the document's
// @context; both it and the document without its proof are canonicalised
// with JCS (RFC 8785), and the Ed25519 signature covers
//
//	SHA-256(canonical proof configuration) ‖ SHA-256(canonical document)
//
// proofValue is "z" + base58btc(signature). The package test reproduces the
// W3C test vectors byte for byte (testdata/vc-di-eddsa). Verify canonicalises
// the signed document once and cuts the unsecured document and the proof
// configuration out of that canonical text, so each verification parses the
// JSON once. The canonicaliser is a one-pass writer of this package, several
// times faster than github.com/gowebpki/jcs and tested (and fuzzed) to give
// the same bytes and refuse the same inputs, except that it stops at 100
// levels of nesting. Keys are Ed25519 Multikeys ("z6Mk…", multicodec 0xed01).
//
// # Credentials
//
// OpenBadgeCredential is an Open Badges 3.0 AchievementCredential with the
// contexts https://www.w3.org/ns/credentials/v2 and
// https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json. The holder is
// identified by salted hashed identifiers (roll number) and named by an
// IdentityObject of identityType "name", the place OB 3.0 gives a
// recipient's name. VerifyCredential also checks that the signing key
// belongs to the issuer (the verification method's DID is issuer.id).
//
// # Revocation
//
// StatusList is a W3C Bitstring Status List: bit i (the most significant
// bit of byte 0 is bit 0) set means the credential with statusListIndex i is
// revoked. encodedList is "u" + base64url(GZIP(bitstring)) without padding.
// Lists have at least 131,072 entries; decoding stops at 16 MiB.
//
// # QR payload
//
// A printed certificate carries a QR code of the verify URL
// https://host/v/DOCID#PAYLOAD. The fragment never reaches the server; an
// offline verifier that knows the issuer's key checks PAYLOAD alone.
// PAYLOAD is base64url without padding (A–Z a–z 0–9 - _, all safe in a URL
// fragment) of these bytes:
//
//	version     1 byte, 1
//	flags       1 byte; bit 0: a valid-until date follows the issue date
//	docID       uvarint length ‖ bytes (letters, digits, - _ . ~)
//	issuer      uvarint length ‖ UTF-8 DID
//	key         uvarint length ‖ fragment; the key is issuer + "#" + fragment
//	holder      text
//	achievement text
//	issuedOn    uvarint days since 1900-01-01 (a calendar date)
//	validUntil  uvarint days since 1900-01-01, only if flag bit 0
//	digest      16 bytes: SHA-256 of the JCS form of the signed credential, cut
//	signature   64 bytes: Ed25519 over "vidya-qr-v1" ‖ 0x00 ‖ all bytes above
//
// A text is codec (1 byte) ‖ uvarint length ‖ bytes. Codec 0 is UTF-8;
// codecs 1 to 10 are single-byte codes for one Brahmic script block
// U+0900 + 128·(codec−1) (Devanagari, Bengali, Gurmukhi, Gujarati, Oriya,
// Tamil, Telugu, Kannada, Malayalam, Sinhala): 0x20–0x7E are ASCII,
// 0x80–0xFF the block's 128 code points, 0x1C is ZWNJ and 0x1D ZWJ. A
// 60-character Devanagari name thus takes 62 bytes instead of 183, and a
// whole payload stays near 350 characters; names mixing scripts fall back
// to UTF-8 and stay under 600. The digest binds the printed certificate to
// exactly one signed credential; the signature's context string keeps a QR
// signature from ever being valid for anything else signed with the key.
// Readers reject other versions, unknown flags and trailing bytes, so the
// format can grow by a new version byte.
package vc
