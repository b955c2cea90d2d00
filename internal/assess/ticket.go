package assess

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// Ticket is what a candidate's device holds on exam day: signed by the
// server, checked with one HMAC and no database read, so that the save
// path stays cheap at 15,000 saves a second.
//
// Attempt is 0 until the candidate starts; Device is the attempt's device
// number the ticket was issued for: a start on another device takes the
// attempt over and the older device's saves are refused.
type Ticket struct {
	Candidate int64
	Exam      int64
	Attempt   int64
	Device    int32
	Expires   time.Time
	// TestID and Version name the paper of a practice attempt (a learner
	// taking a mock test), which has no exam: Exam and Candidate are 0.
	TestID  int64
	Version int32
}

// Practice reports whether the ticket is a learner's mock-test attempt.
func (t Ticket) Practice() bool { return t.Exam == 0 }

const (
	ticketLen    = 8 + 8 + 8 + 4 + 8 + 8 + 4
	ticketMACLen = 16
)

// sealTicket encodes t and signs it with key.
func sealTicket(key []byte, t Ticket) string {
	b := make([]byte, ticketLen, ticketLen+ticketMACLen)
	binary.BigEndian.PutUint64(b[0:], uint64(t.Candidate))
	binary.BigEndian.PutUint64(b[8:], uint64(t.Exam))
	binary.BigEndian.PutUint64(b[16:], uint64(t.Attempt))
	binary.BigEndian.PutUint32(b[24:], uint32(t.Device))
	binary.BigEndian.PutUint64(b[28:], uint64(t.Expires.Unix()))
	binary.BigEndian.PutUint64(b[36:], uint64(t.TestID))
	binary.BigEndian.PutUint32(b[44:], uint32(t.Version))
	b = append(b, ticketMAC(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// openTicket checks s's signature and expiry and decodes it.
func openTicket(key []byte, s string, now time.Time) (Ticket, bool) {
	if len(s) != base64.RawURLEncoding.EncodedLen(ticketLen+ticketMACLen) {
		return Ticket{}, false
	}
	var buf [ticketLen + ticketMACLen]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(s))
	if err != nil || n != len(buf) {
		return Ticket{}, false
	}
	b := buf[:]
	if !hmac.Equal(b[ticketLen:], ticketMAC(key, b[:ticketLen])) {
		return Ticket{}, false
	}
	t := Ticket{
		Candidate: int64(binary.BigEndian.Uint64(b[0:])),
		Exam:      int64(binary.BigEndian.Uint64(b[8:])),
		Attempt:   int64(binary.BigEndian.Uint64(b[16:])),
		Device:    int32(binary.BigEndian.Uint32(b[24:])),
		Expires:   time.Unix(int64(binary.BigEndian.Uint64(b[28:])), 0).UTC(),
		TestID:    int64(binary.BigEndian.Uint64(b[36:])),
		Version:   int32(binary.BigEndian.Uint32(b[44:])),
	}
	if !now.Before(t.Expires) {
		return Ticket{}, false
	}
	return t, true
}

func ticketMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("vidya exam ticket v2\x00"))
	m.Write(msg)
	return m.Sum(nil)[:ticketMACLen]
}
