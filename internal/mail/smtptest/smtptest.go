// Package smtptest is a real SMTP server for tests: it listens on the
// loopback interface (github.com/emersion/go-smtp) and keeps every message it
// accepts, so a test sees what a mail system would have received.
package smtptest

import (
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	Raw  []byte
}

// Sink is an SMTP server that keeps every message it accepts.
type Sink struct {
	// Addr is host:port of the listener.
	Addr string

	mu   sync.Mutex
	msgs []Message
	// hold, while not nil, stalls every message's data until it is
	// closed; accept then says whether the stalled messages are kept.
	hold   chan struct{}
	accept bool
	held   int
}

// Start listens on addr ("127.0.0.1:0" for any port) until the test ends.
func Start(t testing.TB, addr string) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("SMTP server: listen on %s: %v", addr, err)
	}
	s := &Sink{Addr: ln.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{sink: s}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return s
}

// URL is the server's address as ONRAMP_SMTP_URL takes it.
func (s *Sink) URL() string { return "smtp://" + s.Addr }

// Hold stalls every message from now on after its data arrived, before
// the server answers it: a slow mail system, so the sender is mid-delivery
// when the test acts.
func (s *Sink) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil {
		s.hold = make(chan struct{})
	}
}

// Held is how many messages are stalled now.
func (s *Sink) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Release answers the stalled messages: accepted and kept, or refused with
// a temporary failure (451) and dropped.
func (s *Sink) Release(accept bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold != nil {
		s.accept = accept
		close(s.hold)
		s.hold = nil
	}
}

// To returns the messages accepted for rcpt.
func (s *Sink) To(rcpt string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		if slices.Contains(m.To, rcpt) {
			out = append(out, m)
		}
	}
	return out
}

// Messages returns every accepted message.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// Count is the number of accepted messages.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Summary lists the recipients of every accepted message.
func (s *Sink) Summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rcpts := make([]string, len(s.msgs))
	for i, m := range s.msgs {
		rcpts[i] = strings.Join(m.To, ",")
	}
	return fmt.Sprintf("%d message(s) received, to %v", len(s.msgs), rcpts)
}

type session struct {
	sink *Sink
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	k := s.sink
	k.mu.Lock()
	defer k.mu.Unlock()
	if hold := k.hold; hold != nil {
		k.held++
		k.mu.Unlock()
		<-hold
		k.mu.Lock()
		k.held--
		if !k.accept {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
		}
	}
	k.msgs = append(k.msgs, Message{From: s.from, To: slices.Clone(s.to), Raw: raw})
	return nil
}
