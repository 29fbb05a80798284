package faults_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"

	"onramp/internal/mail/smtptest"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// shutdownTimeout is the servers' ONRAMP_SHUTDOWN_TIMEOUT here.
const shutdownTimeout = 4 * time.Second

// TestSIGTERMWithOpenSocketsAndRunningJobs sends SIGTERM while websockets
// are subscribed and a setup email is being delivered. The sockets get a
// close frame and the process exits cleanly within its deadline, twice: once
// when the delivery finishes during the shutdown (the email arrives once and
// is not sent again), once when the SMTP server holds it past the deadline
// (the job is cancelled, and the next process delivers it, once).
func TestSIGTERMWithOpenSocketsAndRunningJobs(t *testing.T) {
	dataDir, dbURL := storetest.Location(t)
	sink := smtptest.Start(t, "127.0.0.1:0")
	s := newServer(t, "onramp", dataDir, dbURL, "ONRAMP_SMTP_URL="+sink.URL(),
		"ONRAMP_SHUTDOWN_TIMEOUT="+shutdownTimeout.String())
	s.start()
	op := s.operator()

	// The delivery finishes during the shutdown.
	sink.Hold()
	id, err := s.place(op, orderInput("TERM-1", "acct-term-1", "first@term.example"))
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the setup email in flight", 30*time.Second, func() (bool, string) {
		return sink.Held() == 1, sink.Summary()
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sockets := make([]<-chan statusEvent, 3)
	for i := range sockets {
		if sockets[i], err = s.subscribe(ctx, op, id); err != nil {
			t.Fatal(err)
		}
		if st := nextStatus(t, sockets[i], 10*time.Second); st != "PLACED" {
			t.Fatalf("first event %s, want the current status PLACED", st)
		}
	}
	go func() {
		time.Sleep(time.Second)
		sink.Release(true)
	}()
	took := s.terminate(shutdownTimeout + 3*time.Second)
	if !s.state.Success() {
		t.Errorf("exit after SIGTERM: %v, want 0", s.state)
	}
	t.Logf("exited %s after SIGTERM, with a delivery that took a second", took.Round(time.Millisecond))
	for i, events := range sockets {
		wantCloseFrame(t, i, events)
	}
	if n := len(sink.To("first@term.example")); n != 1 {
		t.Fatalf("the delivery running at SIGTERM arrived %d times, want once", n)
	}

	// The next process does not send it again; now the SMTP server holds
	// a delivery past the shutdown deadline.
	s.start()
	sink.Hold()
	if _, err := s.place(op, orderInput("TERM-2", "acct-term-2", "second@term.example")); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the second setup email in flight", 30*time.Second, func() (bool, string) {
		return sink.Held() == 1, sink.Summary()
	})
	took = s.terminate(shutdownTimeout + 3*time.Second)
	if !s.state.Success() {
		t.Errorf("exit after SIGTERM: %v, want 0", s.state)
	}
	t.Logf("exited %s after SIGTERM, with a delivery held past the deadline", took.Round(time.Millisecond))
	sink.Release(false) // the connection is gone: the server drops the message
	s.start()
	testkit.Eventually(t, "the cut-short delivery retried by the next process", 60*time.Second, func() (bool, string) {
		return len(sink.To("second@term.example")) >= 1, sink.Summary()
	})
	time.Sleep(2 * time.Second) // time for a second copy, were one coming
	if n := len(sink.To("first@term.example")); n != 1 {
		t.Errorf("the first email arrived %d times after the restart, want once", n)
	}
	if n := len(sink.To("second@term.example")); n != 1 {
		t.Errorf("the cut-short email arrived %d times, want once", n)
	}
}

// wantCloseFrame drains a subscription until its socket ends and checks it
// ended with a close frame, not a dropped connection.
func wantCloseFrame(t *testing.T, i int, events <-chan statusEvent) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("socket %d: closed without a reason", i)
			}
			if e.Err == nil {
				continue // a last status
			}
			var ce websocket.CloseError
			if !errors.As(e.Err, &ce) {
				t.Fatalf("socket %d ended without a close frame: %v", i, e.Err)
			}
			if ce.Code != websocket.StatusNormalClosure && ce.Code != websocket.StatusGoingAway {
				t.Errorf("socket %d closed with %d %q, want 1000 or 1001", i, ce.Code, ce.Reason)
			}
			return
		case <-timeout:
			t.Fatalf("socket %d still open after the process exited", i)
		}
	}
}
