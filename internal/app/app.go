// Package app wires Onramp together: database, tokens, domain services and
// the HTTP routes (GraphQL, health, readiness, metrics), and runs the server
// with a graceful shutdown.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"onramp/internal/access"
	"onramp/internal/accounts"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"onramp/ent/order"
	"onramp/frontend"
	"onramp/graph"
	"onramp/internal/auth"
	"onramp/internal/clock"
	"onramp/internal/events"
	"onramp/internal/feed"
	"onramp/internal/gid"
	"onramp/internal/jobs"
	"onramp/internal/lifecycle"
	"onramp/internal/mail"
	"onramp/internal/orders"
	"onramp/internal/setup"
	"onramp/internal/store"
	"onramp/internal/throttle"
	"onramp/internal/web"
	"onramp/internal/webhooks"
)

// Config is the service's configuration; server.go fills it from flags and
// ONRAMP_* environment variables.
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string
	PublicURL     string
	SMTPURL       string
	Dev           bool
	Introspection bool
	// Playground serves the GraphQL IDE at /playground (default: Dev).
	Playground   bool
	SetupLinkTTL time.Duration
	// MaxOperatorTTL caps an operator token's lifetime (issued and
	// accepted).
	MaxOperatorTTL time.Duration
	MaxBodyBytes   int64
	// BodyReadTimeout is how long a request's body may take to arrive
	// (408 BODY_TIMEOUT after it).
	BodyReadTimeout time.Duration
	// RequestTimeout bounds one GraphQL request over HTTP (its database
	// statements are cancelled at the deadline: PostgreSQL's
	// statement_timeout, SQLite's interrupt).
	RequestTimeout  time.Duration
	Limits          graph.Limits
	ShutdownTimeout time.Duration

	// MailFrom is the From of every email (default "Onramp <onramp@HOST>"
	// with the public URL's host).
	MailFrom string
	// CustomerSuccessEmail receives escalations.
	CustomerSuccessEmail string
	// TimeZone is where a requested start date begins (IANA name).
	TimeZone string
	// OrderWindow is how long after its start date an unprovisioned order
	// closes.
	OrderWindow time.Duration
	// BillingWebhookURL receives the billing-start notices.
	BillingWebhookURL string
	// JobWorkers is how many jobs run at once in this process.
	JobWorkers int
	// JobPollInterval is how often idle workers look for due jobs.
	JobPollInterval time.Duration
	// JobRescueAfter is how long a job may run before it is taken for the
	// job of a crashed process and retried.
	JobRescueAfter time.Duration

	// MaxSubscriptionsPerSocket bounds the subscriptions one websocket runs
	// at once (more get TOO_MANY_SUBSCRIPTIONS); MaxSocketsPerToken the
	// websockets one token holds open (more are closed with 4429). Zero is
	// no limit.
	MaxSubscriptionsPerSocket int
	MaxSocketsPerToken        int

	// HashingSlots is how many password hashes (argon2id, 19 MiB each)
	// may run at once for sign-ins; more wait up to HashingWait, then get
	// TOO_MANY_ATTEMPTS.
	HashingSlots int
	HashingWait  time.Duration
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client address the throttles count (none: the connection's).
	TrustedProxies throttle.Proxies

	// Clock replaces the wall clock in tests (services, job scheduling and
	// token expiry); nil is the wall clock.
	Clock clock.Clock
	// TestClock (dev mode only) makes the clock one that operators move
	// forward with advanceClock, shared through the database.
	TestClock bool
	// SiteDomain is the domain of customers' meetings sites: the wizard
	// shows a site's address as subdomain.SiteDomain.
	SiteDomain string
}

// Defaults returns the embedded defaults.
func Defaults() Config {
	return Config{
		Addr:            ":8080",
		DataDir:         "./data",
		PublicURL:       "http://localhost:8080",
		SetupLinkTTL:    30 * 24 * time.Hour,
		MaxOperatorTTL:  auth.DefaultMaxOperatorTTL,
		MaxBodyBytes:    1 << 20,
		RequestTimeout:  15 * time.Second,
		BodyReadTimeout: 10 * time.Second,
		Limits:          graph.Limits{Complexity: 500, Depth: 12, Tokens: 5000, FilterDepth: 8},
		ShutdownTimeout: 20 * time.Second,
		TimeZone:        "UTC",
		OrderWindow:     30 * 24 * time.Hour,
		JobWorkers:      10,
		JobPollInterval: time.Second,
		JobRescueAfter:  5 * time.Minute,
		HashingSlots:    max(2, runtime.NumCPU()),
		HashingWait:     2 * time.Second,

		MaxSubscriptionsPerSocket: 100,
		MaxSocketsPerToken:        50,
		SiteDomain:                "webex.example",
	}
}

// domainSyntax is a host name of at least two DNS labels.
var domainSyntax = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// App is a configured Onramp instance.
type App struct {
	Config Config
	Log    *slog.Logger
	Store  *store.Store
	Auth   *auth.Authority
	Jobs   *jobs.Queue
	Orders *orders.Service
	Setup  *setup.Service
	// Access is the customer's consent; Accounts, the partner accounts.
	Access   *access.Service
	Accounts *accounts.Service
	// Life applies every change of an order's status or step.
	Life *lifecycle.Engine
	// Feed numbers the events in commit order (the events query's order).
	Feed *feed.Sequencer
	// Webhooks tells partner integrations of their orders' events.
	Webhooks *webhooks.Service
	Events   *events.Hub
	// MailQueuedOnly is true when no mail system is configured: messages
	// stay in the outbox until one is.
	MailQueuedOnly bool

	handler  http.Handler
	bodies   *bodyReads
	shutdown context.CancelFunc
	sockets  atomic.Int64
	closing  atomic.Bool
}

// New opens the database (migrating it), loads the signing keys and builds
// the routes.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	pub, err := url.Parse(cfg.PublicURL)
	if err != nil || (pub.Scheme != "http" && pub.Scheme != "https") || pub.Host == "" {
		return nil, fmt.Errorf("public URL %q must be an absolute http(s) URL", cfg.PublicURL)
	}
	cfg.SiteDomain = strings.ToLower(strings.Trim(cfg.SiteDomain, ". "))
	if !domainSyntax.MatchString(cfg.SiteDomain) || len(cfg.SiteDomain) > 190 {
		return nil, fmt.Errorf("site domain %q must be a domain name such as webex.example", cfg.SiteDomain)
	}
	// The migration lock stays held through the start-up work below that
	// must not race other replicas starting at once (the first signing
	// key, the job queue's migrations).
	st, err := store.OpenWith(ctx, cfg.DataDir, cfg.DatabaseURL, store.Options{
		StatementTimeout: cfg.RequestTimeout, KeepMigrationLock: true,
	})
	if err != nil {
		return nil, err
	}
	var testClock *clock.Shared
	switch {
	case cfg.TestClock && !cfg.Dev:
		_ = st.Close()
		return nil, errors.New("--test-clock needs dev mode (--dev): it lets operators move time")
	case cfg.TestClock:
		if testClock, err = clock.OpenShared(ctx, st.DB); err != nil {
			_ = st.Close()
			return nil, err
		}
		cfg.Clock = testClock
		log.Warn("test clock on: operators may move time forward with advanceClock", "offset", time.Since(testClock.Now()).Abs().Round(time.Second).String())
	case cfg.Clock == nil:
		clock.ResetStored(ctx, st.DB) // a test clock used here before ends
		cfg.Clock = clock.Wall{}
	}
	authority, err := auth.New(ctx, st.Client, auth.Config{SetupLinkTTL: cfg.SetupLinkTTL, MaxOperatorTTL: cfg.MaxOperatorTTL, Now: cfg.Clock.Now})
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	a := &App{Config: cfg, Log: log, Store: st, Auth: authority, Events: events.NewLocalHub(), bodies: newBodyReads()}
	if st.Dialect == "postgres" {
		a.Events = events.NewPostgresHub(st.DB, log.With("component", "events"))
	}
	authority.UseRevocations(a.Events)
	if err := a.wireJobs(ctx, pub); err != nil {
		_ = st.Close()
		return nil, err
	}
	st.MigrationDone()
	// Events recorded before this start (or before events had positions)
	// are numbered before the first request: a cursor issued then maps to
	// its event's position.
	if _, err := a.Feed.Drain(ctx); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("number the events feed: %w", err)
	}
	a.Access = &access.Service{Store: st, Orders: a.Orders, Life: a.Life, Auth: authority}
	a.Setup = &setup.Service{Store: st, Orders: a.Orders, Life: a.Life, Auth: authority, Access: a.Access}
	a.Life.Missing = setup.MissingSettings
	shutdownCtx, cancel := context.WithCancel(context.Background())
	a.shutdown = cancel
	// Other replicas' order changes (PostgreSQL only; a no-op on SQLite),
	// until Close.
	go a.Events.Listen(shutdownCtx, cfg.DatabaseURL, a.currentOrders)
	go a.Feed.Run(shutdownCtx)
	if testClock != nil {
		// Another replica's advance reaches this one within a second.
		go testClock.Refresh(shutdownCtx, time.Second)
	}

	// Replicas on PostgreSQL count every throttled attempt together; a
	// single process on SQLite counts in memory.
	var sharedThrottles throttle.Shared
	if st.Dialect == "postgres" {
		sharedThrottles = throttle.DB{Store: st}
	}

	// SQLite's one process sees every write, so it may remember counts
	// until the next one; replicas on PostgreSQL count every time.
	var counts *graph.OrderCounts
	if st.Writes != nil {
		counts = graph.NewOrderCounts(st.Writes)
	}

	gql := graph.NewHandler(graph.HandlerConfig{
		Resolver: &graph.Resolver{
			Client:     st.Client,
			Orders:     a.Orders,
			Setup:      a.Setup,
			Access:     a.Access,
			Accounts:   a.Accounts,
			Auth:       authority,
			Events:     a.Events.Broker,
			Clock:      testClock,
			Webhooks:   a.Webhooks,
			Throttles:  graph.NewSharedThrottles(cfg.Clock.Now, cfg.HashingSlots, cfg.HashingWait, sharedThrottles),
			SiteDomain: cfg.SiteDomain,

			OrderCounts: counts,
		},
		Auth:           authority,
		Log:            log,
		Limits:         cfg.Limits,
		Dev:            cfg.Dev,
		Introspection:  cfg.Introspection,
		OriginPatterns: []string{pub.Host},
		Shutdown:       shutdownCtx,
		OnSocket:       func(d int) { a.sockets.Add(int64(d)) },

		MaxSubscriptionsPerSocket: cfg.MaxSubscriptionsPerSocket,
		MaxSocketsPerToken:        benchSocketsPerToken(cfg.MaxSocketsPerToken),
	})
	a.handler = a.routes(gql)
	return a, nil
}

// Handler returns the HTTP handler of every route.
func (a *App) Handler() http.Handler { return a.handler }

func (a *App) routes(gql http.Handler) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "onramp_http_requests_total", Help: "HTTP requests by route, method and status code.",
	}, []string{"route", "method", "code"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "onramp_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	sockets := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "onramp_websockets_open", Help: "Open GraphQL websocket connections.",
	}, func() float64 { return float64(a.sockets.Load()) })
	reg.MustRegister(requests, duration, sockets)
	instrument := func(route string, h http.Handler) http.Handler {
		return promhttp.InstrumentHandlerCounter(requests.MustCurryWith(prometheus.Labels{"route": route}),
			promhttp.InstrumentHandlerDuration(duration.MustCurryWith(prometheus.Labels{"route": route}), h))
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", instrument("graphql", a.bodies.limit(a.Config.BodyReadTimeout, throttle.Middleware(a.Config.TrustedProxies, a.Auth.Middleware(limitBody(a.Config.MaxBodyBytes, deadline(a.Config.RequestTimeout, gql)))))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", a.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	a.benchRoutes(mux) // only with ONRAMP_BENCH_ROUTES=1 (bench.go)
	if a.Config.Dev {
		mux.Handle("GET /dev/mail", mail.Viewer(a.Store))
		mux.Handle("GET /dev/mail/{id}", mail.Viewer(a.Store))
	}
	dist, err := fs.Sub(frontend.Dist, "dist")
	if err != nil {
		panic(err) // the embedded folder always exists
	}
	mux.Handle("/", web.Handler(dist, a.Config.Playground || a.Config.Dev))
	return a.logRequests(securityHeaders(strings.HasPrefix(a.Config.PublicURL, "https://"), mux))
}

// ready reports whether this instance should get traffic: not while it shuts
// down, and not while the database does not answer.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.closing.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := a.Store.DB.PingContext(ctx); err != nil {
		a.Log.WarnContext(ctx, "readiness: database unreachable", "error", err)
		http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		return
	}
	if !a.Events.Listening() {
		http.Error(w, "not hearing other replicas' order changes", http.StatusServiceUnavailable)
		return
	}
	if a.MailQueuedOnly {
		_, _ = w.Write([]byte("ready\nmail: no SMTP server configured; messages stay queued\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Run serves until ctx is cancelled, then shuts down gracefully: readiness
// turns false, the listener closes, in-flight requests finish, open
// websockets get a close frame, and only then the database closes.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	// Jobs stop in the shutdown below, not when ctx ends: River cancels
	// running jobs at once when the context given to Start is cancelled.
	if err := a.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
		_ = a.Close()
		return fmt.Errorf("start jobs: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("onramp serving", "addr", ln.Addr().String(), "public_url", a.Config.PublicURL,
		"dev", a.Config.Dev, "database", a.Store.Dialect)

	select {
	case err := <-errc:
		_ = a.Close()
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	a.closing.Store(true)
	deadline, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	// Websockets are hijacked connections that Shutdown does not wait for:
	// cancel them (a close frame goes out) and wait for them to go.
	a.shutdown()
	// Requests still receiving their body are cut (they get 408); those
	// that have it finish.
	a.bodies.cut()
	err := srv.Shutdown(deadline)
	for a.sockets.Load() > 0 && deadline.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	// Running jobs may finish until the deadline; those cut short are
	// retried by a later process.
	if jerr := a.Jobs.Stop(deadline); jerr != nil {
		err = errors.Join(err, jerr)
	}
	if cerr := a.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.Log.Info("stopped")
	return err
}

// Close stops the jobs (if they run) and releases the database.
func (a *App) Close() error {
	a.shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	return errors.Join(a.Jobs.Stop(ctx), a.Store.Close())
}

// currentOrders reads the committed state of orders for the events
// listener, to catch up subscribers after a reconnection.
func (a *App) currentOrders(ctx context.Context, ids []gid.ID) ([]events.Change, error) {
	list, err := a.Store.Client.Order.Query().Where(order.IDIn(ids...)).All(store.System(ctx))
	if err != nil {
		return nil, err
	}
	changes := make([]events.Change, len(list))
	for i, o := range list {
		changes[i] = events.Change{OrderID: o.ID, Status: o.Status, Step: o.Step, At: o.UpdatedAt}
	}
	return changes, nil
}
