// Package mail sends e-mail through an outbox table: a message is written in
// the same transaction as the action that causes it, then delivered by SMTP
// when a server is configured. Without one, messages stay in the outbox,
// where platform administrators can read them in the web UI.
package mail

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/vidya-edu/vidya/internal/platform/database"
	"github.com/vidya-edu/vidya/internal/platform/errs"
)

// Message is one e-mail in the outbox.
type Message struct {
	ID        int64      `json:"id"`
	To        string     `json:"to"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	LastError string     `json:"last_error,omitempty"`
}

// SMTPConfig says how to reach an SMTP server. Empty Host: no SMTP.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	// TLS is "starttls" (default; upgrade a plain connection), "tls"
	// (implicit TLS, usually port 465) or "none" (local relays only).
	TLS     string
	Timeout time.Duration
}

// Enabled reports whether an SMTP server is configured.
func (c SMTPConfig) Enabled() bool { return c.Host != "" }

// Validate reports the first thing wrong with the settings, naming the
// environment variable to fix.
func (c SMTPConfig) Validate() error {
	if !c.Enabled() {
		return nil
	}
	if c.Port <= 0 || c.Port > 65535 {
		return fmt.Errorf("VIDYA_SMTP_PORT: %d is not a port number", c.Port)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("VIDYA_SMTP_FROM: %q is not an e-mail address", c.From)
	}
	switch c.TLS {
	case "", "starttls", "tls", "none":
	default:
		return fmt.Errorf("VIDYA_SMTP_TLS: %q is not one of starttls, tls, none", c.TLS)
	}
	return nil
}

// Outbox queues messages in the database and, with Deliver, sends them.
type Outbox struct {
	db   *database.DB
	smtp SMTPConfig
	// Notify, if set, is called inside the queuing transaction with the new
	// message's id, to schedule its delivery (a job).
	Notify func(ctx context.Context, tx *database.Tx, id int64) error
}

// NewOutbox returns an outbox over db that sends through cfg (if enabled).
func NewOutbox(db *database.DB, cfg SMTPConfig) *Outbox {
	return &Outbox{db: db, smtp: cfg}
}

// SMTPEnabled reports whether messages leave the outbox by SMTP.
func (o *Outbox) SMTPEnabled() bool { return o.smtp.Enabled() }

// Queue writes a message in tx.
func (o *Outbox) Queue(ctx context.Context, tx *database.Tx, to, subject, body string) error {
	if _, err := mail.ParseAddress(to); err != nil || strings.ContainsAny(to, "\r\n") || strings.ContainsAny(subject, "\r\n") {
		return errs.E(errs.Invalid, "mail: queue", "bad recipient or subject")
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO mail_outbox (to_addr, subject, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		to, subject, body, time.Now().UTC().Truncate(time.Microsecond)).Scan(&id); err != nil {
		return errs.Wrap("mail: queue", err)
	}
	if o.Notify != nil && o.smtp.Enabled() {
		return o.Notify(ctx, tx, id)
	}
	return nil
}

// List returns messages newest first, with ids below before (0: from the newest).
func (o *Outbox) List(ctx context.Context, before int64, limit int) ([]Message, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := o.db.Query(ctx, `SELECT id, to_addr, subject, body, created_at, sent_at, last_error FROM mail_outbox WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, limit)
	if err != nil {
		return nil, errs.Wrap("mail: list", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var sent sql.NullTime
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.CreatedAt, &sent, &m.LastError); err != nil {
			return nil, errs.Wrap("mail: list", err)
		}
		m.CreatedAt = m.CreatedAt.UTC()
		if sent.Valid {
			t := sent.Time.UTC()
			m.SentAt = &t
		}
		out = append(out, m)
	}
	return out, errs.Wrap("mail: list", rows.Err())
}

// Deliver sends message id by SMTP and marks it sent. A message already
// sent is not sent again. A failure is recorded on the message and
// returned, so the job running Deliver retries it.
func (o *Outbox) Deliver(ctx context.Context, id int64) error {
	if !o.smtp.Enabled() {
		return errs.E(errs.Unavailable, "mail: deliver", "no SMTP server is configured")
	}
	var m Message
	var sent sql.NullTime
	err := o.db.QueryRow(ctx, `SELECT id, to_addr, subject, body, sent_at FROM mail_outbox WHERE id = $1`, id).Scan(&m.ID, &m.To, &m.Subject, &m.Body, &sent)
	if errors.Is(err, database.ErrNoRows) {
		return nil // deleted; nothing to send
	}
	if err != nil {
		return errs.Wrap("mail: deliver", err)
	}
	if sent.Valid {
		return nil
	}
	if err := send(ctx, o.smtp, m); err != nil {
		msg := err.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		_, _ = o.db.Exec(ctx, `UPDATE mail_outbox SET last_error = $1 WHERE id = $2`, msg, id)
		return errs.Wrap("mail: deliver", err)
	}
	_, err = o.db.Exec(ctx, `UPDATE mail_outbox SET sent_at = $1, last_error = '' WHERE id = $2`, time.Now().UTC().Truncate(time.Microsecond), id)
	return errs.Wrap("mail: deliver", err)
}

// send speaks SMTP to the configured server.
func send(ctx context.Context, cfg SMTPConfig, m Message) error {
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	d := net.Dialer{Timeout: timeout}
	var conn net.Conn
	var err error
	tlsCfg := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp greeting: %w", err)
	}
	defer c.Close()
	if cfg.TLS == "" || cfg.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the SMTP server does not offer STARTTLS (set VIDYA_SMTP_TLS=none only for a trusted local relay)")
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("starttls: %w", err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(mustAddr(cfg.From)); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	if err := c.Rcpt(mustAddr(m.To)); err != nil {
		return fmt.Errorf("smtp RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	msg := "From: " + cfg.From + "\r\n" +
		"To: " + m.To + "\r\n" +
		"Subject: " + mime.QEncoding.Encode("utf-8", m.Subject) + "\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" +
		strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp end of data: %w", err)
	}
	return c.Quit()
}

func mustAddr(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return s
	}
	return a.Address
}
