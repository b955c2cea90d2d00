package mail_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/database/dbtest"
	"github.com/vidya-edu/vidya/internal/platform/errs"
	"github.com/vidya-edu/vidya/internal/platform/mail"
)

// fakeSMTP is a tiny SMTP server that records what it receives. With
// reject set it refuses every recipient.
type fakeSMTP struct {
	ln     net.Listener
	mu     sync.Mutex // guards got
	got    []string
	reject bool
}

func newFakeSMTP(t *testing.T, reject bool) *fakeSMTP {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln, reject: reject}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(s string) { c.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	var data strings.Builder
	inData := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if inData {
			if line == ".\r\n" {
				inData = false
				f.mu.Lock()
				f.got = append(f.got, data.String())
				f.mu.Unlock()
				say("250 queued")
				continue
			}
			data.WriteString(line)
			continue
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 fake")
		case strings.HasPrefix(cmd, "MAIL"):
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT"):
			if f.reject {
				say("550 no such user")
			} else {
				say("250 ok")
			}
		case cmd == "DATA":
			inData = true
			say("354 go ahead")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (f *fakeSMTP) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func queue(t *testing.T, db *database.DB, o *mail.Outbox, to, subject, body string) error {
	return db.InTx(context.Background(), func(tx *database.Tx) error { return o.Queue(context.Background(), tx, to, subject, body) })
}

func TestOutbox(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		t.Run("without SMTP, mail stays in the outbox", func(t *testing.T) {
			o := mail.NewOutbox(db, mail.SMTPConfig{})
			notified := 0
			o.Notify = func(context.Context, *database.Tx, int64) error { notified++; return nil }
			if err := queue(t, db, o, "a@b.org", "Hello", "Body"); err != nil {
				t.Fatal(err)
			}
			msgs, err := o.List(ctx, 0, 10)
			if err != nil || len(msgs) != 1 || msgs[0].To != "a@b.org" || msgs[0].SentAt != nil {
				t.Fatalf("List = %+v, %v", msgs, err)
			}
			if notified != 0 {
				t.Fatal("delivery was scheduled without SMTP")
			}
			if err := o.Deliver(ctx, msgs[0].ID); !errs.Is(err, errs.Unavailable) {
				t.Fatalf("Deliver without SMTP = %v", err)
			}
		})
		t.Run("bad recipients and header injection are refused", func(t *testing.T) {
			o := mail.NewOutbox(db, mail.SMTPConfig{})
			before, _ := o.List(ctx, 0, 200)
			for _, tc := range [][2]string{{"not an address", "s"}, {"a@b.org\r\nBcc: x@y.org", "s"}, {"a@b.org", "s\r\nBcc: x@y.org"}} {
				if err := queue(t, db, o, tc[0], tc[1], "b"); !errs.Is(err, errs.Invalid) {
					t.Errorf("Queue(%q, %q) = %v", tc[0], tc[1], err)
				}
			}
			after, _ := o.List(ctx, 0, 200)
			if len(after) != len(before) {
				t.Fatal("refused mail was stored")
			}
		})
		t.Run("a rolled-back transaction sends nothing", func(t *testing.T) {
			o := mail.NewOutbox(db, mail.SMTPConfig{})
			before, _ := o.List(ctx, 0, 200)
			_ = db.InTx(ctx, func(tx *database.Tx) error {
				_ = o.Queue(ctx, tx, "c@d.org", "s", "b")
				return errs.E(errs.Invalid, "test", "roll back")
			})
			after, _ := o.List(ctx, 0, 200)
			if len(after) != len(before) {
				t.Fatal("mail of a rolled-back transaction was kept")
			}
		})
		t.Run("SMTP delivery marks the message sent, once", func(t *testing.T) {
			f := newFakeSMTP(t, false)
			o := mail.NewOutbox(db, mail.SMTPConfig{Host: "127.0.0.1", Port: f.port(), From: "Vidya <no-reply@vidya.test>", TLS: "none", Timeout: 5 * time.Second})
			var ids []int64
			o.Notify = func(_ context.Context, _ *database.Tx, id int64) error { ids = append(ids, id); return nil }
			if err := queue(t, db, o, "learner@x.org", "पासवर्ड रीसेट", "Line one\nLine two"); err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 {
				t.Fatalf("Notify called %d times", len(ids))
			}
			for range 2 {
				if err := o.Deliver(ctx, ids[0]); err != nil {
					t.Fatal(err)
				}
			}
			f.mu.Lock()
			got := f.got
			f.mu.Unlock()
			if len(got) != 1 {
				t.Fatalf("server got %d messages, want 1", len(got))
			}
			if !strings.Contains(got[0], "Line one\r\nLine two") || !strings.Contains(got[0], "Subject: =?utf-8?") {
				t.Fatalf("message: %q", got[0])
			}
			msgs, _ := o.List(ctx, 0, 1)
			if msgs[0].SentAt == nil {
				t.Fatal("not marked sent")
			}
		})
		t.Run("a refused delivery is recorded and returned for retry", func(t *testing.T) {
			f := newFakeSMTP(t, true)
			o := mail.NewOutbox(db, mail.SMTPConfig{Host: "127.0.0.1", Port: f.port(), From: "no-reply@vidya.test", TLS: "none", Timeout: 5 * time.Second})
			var id int64
			o.Notify = func(_ context.Context, _ *database.Tx, i int64) error { id = i; return nil }
			if err := queue(t, db, o, "gone@x.org", "s", "b"); err != nil {
				t.Fatal(err)
			}
			if err := o.Deliver(ctx, id); err == nil {
				t.Fatal("refused delivery reported success")
			}
			msgs, _ := o.List(ctx, 0, 1)
			if msgs[0].SentAt != nil || !strings.Contains(msgs[0].LastError, "550") {
				t.Fatalf("message after refusal: %+v", msgs[0])
			}
		})
		t.Run("STARTTLS is required unless switched off", func(t *testing.T) {
			f := newFakeSMTP(t, false)
			o := mail.NewOutbox(db, mail.SMTPConfig{Host: "127.0.0.1", Port: f.port(), From: "no-reply@vidya.test", Timeout: 5 * time.Second})
			var id int64
			o.Notify = func(_ context.Context, _ *database.Tx, i int64) error { id = i; return nil }
			_ = queue(t, db, o, "x@y.org", "s", "b")
			if err := o.Deliver(ctx, id); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
				t.Fatalf("Deliver over plain text = %v", err)
			}
		})
	})
}

func TestSMTPConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		c    mail.SMTPConfig
		want string
	}{
		{mail.SMTPConfig{}, ""},
		{mail.SMTPConfig{Host: "h", Port: 0, From: "a@b.org"}, "VIDYA_SMTP_PORT"},
		{mail.SMTPConfig{Host: "h", Port: 25, From: "x"}, "VIDYA_SMTP_FROM"},
		{mail.SMTPConfig{Host: "h", Port: 25, From: "a@b.org", TLS: "ssl"}, "VIDYA_SMTP_TLS"},
		{mail.SMTPConfig{Host: "h", Port: 465, From: "a@b.org", TLS: "tls"}, ""},
	} {
		err := tc.c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}
