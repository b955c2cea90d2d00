package blob

import (
	"bytes"
	"io"
	"testing"
)

const benchSize = 64 << 10

func BenchmarkLocalPut(b *testing.B) {
	l, err := NewLocal(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	data := randomBytes(benchSize, 9)
	b.SetBytes(benchSize)
	for b.Loop() {
		if err := l.Put(b.Context(), "bench/blob", bytes.NewReader(data), benchSize, "application/octet-stream"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLocalGet(b *testing.B) {
	l, err := NewLocal(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	data := randomBytes(benchSize, 9)
	if err := l.Put(b.Context(), "bench/blob", bytes.NewReader(data), benchSize, ""); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 32<<10)
	b.SetBytes(benchSize)
	for b.Loop() {
		rc, _, err := l.Get(b.Context(), "bench/blob", nil)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, rc, buf)
		rc.Close()
		if err != nil || n != benchSize {
			b.Fatalf("read %d bytes, %v", n, err)
		}
	}
}
