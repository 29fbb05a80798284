package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Envelope is one message as it goes out.
type Envelope struct {
	From      string
	To        string
	Subject   string
	Text      string
	HTML      string
	MessageID string
	Date      time.Time
}

// Sender hands a message to a mail system.
type Sender interface {
	Send(ctx context.Context, e Envelope) error
}

// SMTP sends through an SMTP server: smtp://user:pass@host:port (STARTTLS
// when the server offers it; credentials are only sent over TLS or to
// localhost) or smtps://… (TLS from the start).
type SMTP struct {
	addr     string
	host     string
	implicit bool
	auth     smtp.Auth
	// TLSConfig overrides the TLS settings (tests).
	TLSConfig *tls.Config
}

// NewSMTP parses an SMTP URL.
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("SMTP URL must look like smtp://user:pass@host:port or smtps://…")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"smtp": "587", "smtps": "465"}[u.Scheme]
	}
	s := &SMTP{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname(), implicit: u.Scheme == "smtps"}
	if u.User != nil {
		pass, _ := u.User.Password()
		s.auth = smtp.PlainAuth("", u.User.Username(), pass, u.Hostname())
	}
	return s, nil
}

// Send delivers e, within ctx's deadline.
func (s *SMTP) Send(ctx context.Context, e Envelope) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	body, err := Encode(e)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("smtp: connect: %w", err)
	}
	if s.implicit {
		conn = tls.Client(conn, s.tlsConfig())
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// A cancelled ctx (a shutdown) cuts the exchange short at once; the
	// error then names the cancellation, so the job is retried later.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if err := s.exchange(conn, e.From, e.To, body); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("smtp: %w (%w)", context.Cause(ctx), err)
		}
		return err
	}
	return nil
}

func (s *SMTP) tlsConfig() *tls.Config {
	if s.TLSConfig != nil {
		return s.TLSConfig
	}
	return &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
}

// exchange runs the SMTP conversation on conn. The message counts as
// delivered once the server accepted its data: a failed QUIT afterwards is
// no reason to send it again.
func (s *SMTP) exchange(conn net.Conn, fromHeader, to string, body []byte) error {
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicit {
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	from, err := mail.ParseAddress(fromHeader)
	if err != nil {
		return fmt.Errorf("smtp: from address: %w", err)
	}
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	_ = c.Quit()
	return nil
}

// Encode writes e as a MIME message: multipart/alternative with a
// quoted-printable text and HTML part, UTF-8 headers encoded.
func Encode(e Envelope) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	header := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	header("From", e.From)
	header("To", e.To)
	// A long subject becomes several encoded words; fold between them so no
	// line passes RFC 5322's limit.
	header("Subject", strings.ReplaceAll(mime.QEncoding.Encode("utf-8", e.Subject), "?= =?", "?=\r\n =?"))
	header("Date", e.Date.Format(time.RFC1123Z))
	header("Message-ID", e.MessageID)
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{
		{"text/plain; charset=utf-8", e.Text},
		{"text/html; charset=utf-8", e.HTML},
	} {
		pw, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qw := quotedprintable.NewWriter(pw)
		if _, err := qw.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qw.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
