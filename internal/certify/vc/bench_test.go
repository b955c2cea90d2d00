package vc_test

import (
	"encoding/json"
	"testing"

	"github.com/vidya-edu/vidya/internal/certify/vc"
)

// Run with:
//
//	go test -run '^$' -bench . -benchmem ./internal/certify/vc/
//
// The issuance target (2,000 certificates/s with PDF rendering) leaves
// signing well under 100 µs; the verification target (10,000/s on two
// cores) needs Verify under about 150 µs on one.
//
// Last measured (2 shared vCPUs, AMD EPYC, Go 1.26, other jobs running, so
// the higher figures are contention): Sign 32–42 µs (Ed25519 alone 19 µs),
// json.Marshal+Sign 38 µs, Verify 68–110 µs (Ed25519 alone 47 µs),
// VerifyCredential 112–126 µs, CredentialDigest 13–15 µs, EncodeQR 23 µs,
// DecodeQR 48 µs, status list encode 55 µs / decode 64–72 µs (131,072
// entries).

func BenchmarkSignCredential(b *testing.B) {
	key := testKey("cbse")
	cred := sampleCredential(b)
	opts := vc.ProofOptions{VerificationMethod: boardKID, Created: issuedAt}
	doc, err := json.Marshal(cred)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, err := vc.Sign(doc, key, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal+sign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, err := json.Marshal(cred)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := vc.Sign(d, key, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := vc.Sign(doc, key, opts); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkVerifyCredential(b *testing.B) {
	signed, key := signedSample(b)
	resolve := fixedResolver(boardKID, key)
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(signed)))
		for b.Loop() {
			if _, err := vc.Verify(signed, resolve); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify+parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := vc.VerifyCredential(signed, resolve); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := vc.Verify(signed, resolve); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func BenchmarkCredentialDigest(b *testing.B) {
	signed, _ := signedSample(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := vc.CredentialDigest(signed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQR(b *testing.B) {
	key := testKey("cbse")
	c := sampleClaims(b)
	s, err := vc.EncodeQR(c, key)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := vc.EncodeQR(c, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	resolve := fixedResolver(boardKID, key)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := vc.DecodeQR(s, resolve); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStatusList(b *testing.B) {
	l, err := vc.NewStatusList(vc.MinStatusListBits)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < l.Len(); i += 97 {
		_ = l.Set(i)
	}
	s, err := l.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := l.Encode(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := vc.DecodeStatusList(s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
