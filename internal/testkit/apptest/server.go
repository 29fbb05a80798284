// Package apptest is the one harness of the tests that need a running
// Onramp: it starts the app on a fresh database (a SQLite file, or a
// PostgreSQL database with ONRAMP_TEST_DATABASE=postgres) behind a real
// loopback listener, speaks GraphQL to it over HTTP and
// graphql-transport-ws, and holds the fixtures and assertions the tests of
// every package share (orders, the wizard's operations and flows, user
// errors).
//
// It may import the app and everything below it; nothing but tests import
// it.
package apptest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// Location is where an app keeps its data; two apps on one location are
// the same service before and after a restart.
type Location struct{ Dir, URL string }

// NewLocation is a fresh data directory and, on the PostgreSQL run, a fresh
// database; both go when the test ends.
func NewLocation(t testing.TB) Location {
	t.Helper()
	dir, url := storetest.Location(t)
	return Location{dir, url}
}

// Options say how Start runs the app. The zero value is a fresh location,
// the wall clock, production mode and the app's whole Run loop (jobs
// included).
type Options struct {
	// Location is the app's data (nil: a fresh one).
	Location *Location
	// Clock replaces the wall clock (with a job poll interval of 50 ms, so
	// that jobs made due by an advance run soon).
	Clock *clock.Stub
	// Configure changes the configuration last.
	Configure func(*app.Config)
	// HandlerOnly serves the app's handler without its Run loop: no job
	// runs, so what the app queued stays queued for the test to read.
	HandlerOnly bool
	// Quiet discards the app's log instead of showing it when the test
	// fails.
	Quiet bool
	// AnyEnd accepts whatever the app's shutdown ends with, for tests
	// whose question is not the shutdown. Known: a shutdown that starts
	// in the app's first moments, before River's start-up job has run, can
	// wait out the whole deadline and end in "context deadline exceeded"
	// (about 1 in 30 in TestAttackSignInLimits/hashing; see "Known problems"
	// in the README).
	AnyEnd bool
}

// Server is one running app.
type Server struct {
	App *app.App
	// URL is the base URL (http://127.0.0.1:port), the app's public URL.
	URL string
	// Clock is Options.Clock.
	Clock *clock.Stub
	// Logs holds what the app logged.
	Logs *testkit.SyncBuffer
	// Op is an operator token issued at the start, valid for an hour of
	// the app's clock (a test that moves the clock further issues its own).
	Op string

	shutdown func()
	once     sync.Once
	ended    chan struct{}
	runErr   error
	stopped  bool // Stop has reported
	anyEnd   bool
}

// Start runs the app until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	loc := o.Location
	if loc == nil {
		l := NewLocation(t)
		loc = &l
	}
	cfg := app.Defaults()
	cfg.DataDir, cfg.DatabaseURL = loc.Dir, loc.URL
	cfg.ShutdownTimeout = 5 * time.Second
	// make test runs five suites at once on two cores, and the race
	// detector makes password hashing (argon2id) many times slower: a
	// sign-in there has taken over 15 s, the production limit. A test
	// server allows a minute; what a test asserts is behaviour, and the
	// request-timeout tests set their own.
	cfg.RequestTimeout = time.Minute
	if o.Clock != nil {
		cfg.Clock = o.Clock
		cfg.JobPollInterval = 50 * time.Millisecond
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicURL = "http://" + ln.Addr().String()
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	logs := &testkit.SyncBuffer{}
	handler := slog.Handler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if o.Quiet {
		handler = slog.DiscardHandler
	}
	a, err := app.New(context.Background(), cfg, slog.New(handler))
	if err != nil {
		_ = ln.Close()
		t.Fatalf("app.New: %v", err)
	}
	s := &Server{App: a, URL: cfg.PublicURL, Clock: o.Clock, Logs: logs, ended: make(chan struct{}), anyEnd: o.AnyEnd}
	if o.HandlerOnly {
		srv := httptest.NewUnstartedServer(a.Handler())
		_ = srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		s.shutdown = func() {
			srv.Close()
			s.runErr = a.Close()
			close(s.ended)
		}
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			s.runErr = a.Run(ctx, ln)
			close(s.ended)
		}()
		s.shutdown = cancel
	}
	s.Op = s.OperatorToken(t, time.Hour)
	t.Cleanup(func() {
		s.Stop(t)
		if t.Failed() && !o.Quiet {
			t.Logf("log of the app at %s:\n%s", s.URL, logs.String())
		}
	})
	return s
}

// Shutdown begins the shutdown SIGTERM begins and returns at once; Ended
// is closed when it is over. Later calls do nothing.
func (s *Server) Shutdown() { s.once.Do(s.shutdown) }

// Ended is closed when the app has shut down; RunError then says how.
func (s *Server) Ended() <-chan struct{} { return s.ended }

// RunError is what the app's Run returned (nil before it has).
func (s *Server) RunError() error {
	select {
	case <-s.ended:
		return s.runErr
	default:
		return nil
	}
}

// Serve runs the app with its Run loop on a fresh location, accepting any
// end of its shutdown (AnyEnd); configure (may be nil) changes its
// configuration.
func Serve(t testing.TB, configure func(*app.Config)) *Server {
	t.Helper()
	return Start(t, Options{Configure: configure, AnyEnd: true})
}

// StartAt runs the app on loc with the stub clock clk; configure (may be
// nil) changes its configuration.
func StartAt(t testing.TB, loc Location, clk *clock.Stub, configure func(*app.Config)) *Server {
	t.Helper()
	return Start(t, Options{Location: &loc, Clock: clk, Configure: configure})
}

// Stop shuts the app down as SIGTERM would and waits until it has, failing
// the test when that takes longer than 20 s or ends in an error.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.Shutdown()
	if s.stopped {
		return
	}
	s.stopped = true
	select {
	case <-s.ended:
		if s.runErr != nil && !s.anyEnd {
			t.Errorf("the app ended with %v", s.runErr)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("the app did not end within 20s of its shutdown")
	}
}

// WaitReady polls /readyz, as a load balancer does, until it answers 200
// (on PostgreSQL the listener connects in the background after the start),
// and returns what it said; the test fails when that takes over 15 s.
func (s *Server) WaitReady(t testing.TB) string {
	t.Helper()
	var body string
	testkit.Eventually(t, "/readyz to answer 200", 15*time.Second, func() (bool, string) {
		resp, err := http.Get(s.URL + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		body = string(b)
		return resp.StatusCode == http.StatusOK, fmt.Sprintf("%d %q", resp.StatusCode, body)
	})
	return body
}

// WSURL is the app's GraphQL websocket endpoint.
func (s *Server) WSURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/graphql" }

// Operator is a fresh operator token valid for an hour of the app's clock.
func (s *Server) Operator(t testing.TB) string {
	t.Helper()
	return s.OperatorToken(t, time.Hour)
}

// OperatorToken is a fresh operator token valid for ttl.
func (s *Server) OperatorToken(t testing.TB, ttl time.Duration) string {
	t.Helper()
	tok, err := s.App.Auth.IssueOperator("op", ttl)
	if err != nil {
		t.Fatalf("IssueOperator: %v", err)
	}
	return tok
}

// Integration is a fresh integration token of account, valid for an hour.
func (s *Server) Integration(t testing.TB, account string) string {
	t.Helper()
	tok, err := s.App.Auth.IssueIntegration(account, time.Hour)
	if err != nil {
		t.Fatalf("IssueIntegration(%q): %v", account, err)
	}
	return tok
}

// SetupLink issues a setup link of the order for email (the order's other
// links become REPLACED).
func (s *Server) SetupLink(t testing.TB, orderID, email string) string {
	t.Helper()
	tok, err := s.App.Auth.IssueSetupLink(store.System(context.Background()), gid.ID(orderID), email)
	if err != nil {
		t.Fatalf("IssueSetupLink(%s): %v", orderID, err)
	}
	return tok
}

// GQL POSTs a GraphQL request; token "" sends no Authorization header.
func (s *Server) GQL(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	return Post(t, s.URL, token, query, vars)
}

// TryGQL is GQL for goroutines other than the test's: it returns the
// transport failure instead of failing the test.
func (s *Server) TryGQL(token, query string, vars map[string]any) (Response, error) {
	return TryPost(s.URL, nil, token, query, vars)
}
