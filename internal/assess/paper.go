package assess

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// Slot is one question of a candidate's paper.
type Slot struct {
	Section int   `json:"section"` // index into the test's sections
	ItemID  int64 `json:"item_id"`
	// Choices are the item's choice ids in the order this candidate sees
	// them (choice, true/false and ordering items); Right the right-hand
	// ids of a matching item. Nil means the authored order.
	Choices []string `json:"choices,omitempty"`
	Right   []string `json:"right,omitempty"`
}

// Paper is what one candidate gets: every question in order.
type Paper struct {
	Slots []Slot `json:"slots"`
}

// PaperSeed derives a candidate's seed from an exam's secret and the
// candidate's id, so that papers are never stored but can always be
// worked out again, and cannot be guessed without the secret.
func PaperSeed(secret []byte, candidate int64) [32]byte {
	m := hmac.New(sha256.New, secret)
	var b [16]byte
	copy(b[:8], "paper/v1")
	binary.BigEndian.PutUint64(b[8:], uint64(candidate))
	m.Write(b[:])
	var seed [32]byte
	copy(seed[:], m.Sum(nil))
	return seed
}

// Paper works out the paper for seed: the fixed questions of each section
// and a draw from each pool, shuffled where the section says so, with
// choice orders shuffled where both section and item allow it. Ordering
// items' choices and matching items' right-hand lists are always shuffled,
// since the authored order gives the answer away. The same seed gives the
// same paper, on any machine and any release: the shuffles use ChaCha8
// (whose stream is fixed by its specification) and a bounded draw of our
// own rather than math/rand's, whose algorithms may change.
func (v *TestVersion) Paper(seed [32]byte) Paper {
	r := rand.NewChaCha8(seed)
	var slots []Slot
	for i, sec := range v.Test.Sections {
		ids := make([]int64, 0, len(sec.Questions))
		for _, q := range sec.Questions {
			ids = append(ids, q.ItemID)
		}
		if i < len(v.Pools) {
			for j, pool := range sec.Pools {
				if j >= len(v.Pools[i]) {
					break
				}
				from := slices.Clone(v.Pools[i][j])
				n := min(pool.Count, len(from))
				// A partial Fisher–Yates shuffle draws n without repeats.
				for k := 0; k < n; k++ {
					m := k + int(bounded(r, uint64(len(from)-k)))
					from[k], from[m] = from[m], from[k]
				}
				ids = append(ids, from[:n]...)
			}
		}
		if sec.Shuffle {
			shuffle(r, len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
		}
		for _, id := range ids {
			s := Slot{Section: i, ItemID: id}
			it := v.Items[id]
			if it != nil {
				switch {
				case it.Type == Ordering:
					s.Choices = shuffledChoices(r, it.Choices, false)
				case it.Type == Matching:
					s.Right = slices.Clone(it.Right)
					shuffle(r, len(s.Right), func(a, b int) { s.Right[a], s.Right[b] = s.Right[b], s.Right[a] })
				case it.Shuffle && sec.ShuffleChoices && len(it.Choices) > 1:
					s.Choices = shuffledChoices(r, it.Choices, true)
				}
			}
			slots = append(slots, s)
		}
	}
	return Paper{Slots: slots}
}

// shuffledChoices returns choice ids shuffled, keeping Fixed ones in place
// when keepFixed is set.
func shuffledChoices(r *rand.ChaCha8, choices []Choice, keepFixed bool) []string {
	out := make([]string, len(choices))
	var free []int
	for i, c := range choices {
		out[i] = c.ID
		if !keepFixed || !c.Fixed {
			free = append(free, i)
		}
	}
	shuffle(r, len(free), func(a, b int) {
		out[free[a]], out[free[b]] = out[free[b]], out[free[a]]
	})
	return out
}

// shuffle is Fisher–Yates over n elements.
func shuffle(r *rand.ChaCha8, n int, swap func(a, b int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, int(bounded(r, uint64(i+1))))
	}
}

// bounded returns a uniform number in [0, n) (Lemire's method, without
// bias).
func bounded(r *rand.ChaCha8, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}
