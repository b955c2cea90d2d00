package pdf

import (
	"bytes"
	"compress/zlib"
	"hash/adler32"
	"io"
	"math/rand"
	"testing"
)

func inflate(t testing.TB, z []byte) []byte {
	t.Helper()
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatalf("zlib header: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

func TestAdlerCombineMatchesWholeChecksum(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, n := range []int{0, 1, 2, 100, 5552, 65521, 70000, 200000} {
		a := make([]byte, r.Intn(70000))
		b := make([]byte, n)
		r.Read(a)
		for i := range b {
			b[i] = 0xff // the worst case for overflow
		}
		whole := adler32.Checksum(append(append([]byte(nil), a...), b...))
		if got := adlerCombine(adler32.Checksum(a), adler32.Checksum(b), len(b)); got != whole {
			t.Errorf("len %d+%d: combine gives %08x, want %08x", len(a), n, got, whole)
		}
	}
}

// sampleTable trains a table on text unlike what it later encodes, so
// the test also covers symbols the sample never had.
func sampleTable() *huffTable {
	var c symbolCounter
	var m matcher
	m.encode([]byte("aaaa bbbb aaaa bbbb 0 0 0 0 1 re\n2 re\n"), counting(&c))
	return c.table()
}

func TestStreamsInflateToTheirData(t *testing.T) {
	tab := sampleTable()
	r := rand.New(rand.NewSource(2))
	random := make([]byte, 100000)
	r.Read(random)
	var m matcher
	pre := precompress([]byte("static piece, static piece, static piece "), tab, &m)
	pieces := [][]byte{
		nil,
		[]byte("x"),
		bytes.Repeat([]byte("12 34 5 1 re\n"), 3000),
		random,
		bytes.Repeat([]byte{0}, 70000),
		append(bytes.Repeat([]byte{0, 1, 0, 1}, 1000), 7, 7, 7, 7, 7),
		[]byte("1 2 3 1 re\n4 2 3 1 re\n\n\nno newline at the end 1 re"),
	}
	for i, p := range pieces {
		var z zstream
		z.begin(nil, tab, &m)
		z.data(p)
		z.splice(&pre)
		z.runs(p)
		z.data(p)
		z.entries(p, 2)
		got := inflate(t, z.end())
		want := append(append(append(append(append([]byte(nil), p...), "static piece, static piece, static piece "...), p...), p...), p...)
		if !bytes.Equal(got, want) {
			t.Errorf("piece %d: inflated %d bytes, want %d", i, len(got), len(want))
		}
	}
}

func TestEmptyStreamInflates(t *testing.T) {
	var z zstream
	var m matcher
	z.begin([]byte("prefix"), sampleTable(), &m)
	out := z.end()
	if !bytes.HasPrefix(out, []byte("prefix")) {
		t.Fatal("the prefix was lost")
	}
	if got := inflate(t, out[len("prefix"):]); len(got) != 0 {
		t.Fatalf("inflated %q", got)
	}
}

func FuzzStreams(f *testing.F) {
	f.Add([]byte("hello hello hello"), []byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var c symbolCounter
		var m matcher
		m.encode(b, counting(&c))
		tab := c.table()
		pre := precompress(b, tab, &m)
		var z zstream
		z.begin(nil, tab, &m)
		z.data(a)
		z.splice(&pre)
		z.runs(a)
		z.entries(b, 1+len(a)%4)
		got := inflate(t, z.end())
		want := append(append(append(append([]byte(nil), a...), b...), a...), b...)
		if !bytes.Equal(got, want) {
			t.Fatalf("round trip differs")
		}
	})
}

// TestSpliceAtEveryBitPosition splices pieces made in advance after
// prefixes of every length, so that they start at every bit position.
func TestSpliceAtEveryBitPosition(t *testing.T) {
	tab := sampleTable()
	var m matcher
	pieces := [][]byte{[]byte("07020a18"), []byte("x"), bytes.Repeat([]byte("0 1 re\n"), 50)}
	for _, p := range pieces {
		pre := precompress(p, tab, &m)
		for shift := range 70 {
			var z zstream
			z.begin(nil, tab, &m)
			prefix := bytes.Repeat([]byte("l"), shift)
			for i := range prefix {
				z.data(prefix[i : i+1])
			}
			z.splice(&pre)
			z.splice(&pre)
			got := inflate(t, z.end())
			if want := append(append(prefix, p...), p...); !bytes.Equal(got, want) {
				t.Fatalf("piece %q after %d bytes: inflated %q", p, shift, got)
			}
		}
	}
}
