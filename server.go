// Command onramp is the partner-order setup service.
//
//	onramp serve                                  run the service
//	onramp token operator                         print an operator token
//	onramp token integration --partner ACCOUNT_ID print an integration token
//	onramp token setup --order ID                 print a fresh setup link
//	onramp keys rotate                            retire the signing key, make a new one
//	onramp demo                                   place a sample order starting today
//
// Every flag has an ONRAMP_* environment variable (flag --data-dir is
// ONRAMP_DATA_DIR); a flag given on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"onramp/internal/app"
	"onramp/internal/auth"
	"onramp/internal/clock"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/throttle"
	"onramp/internal/validate"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "onramp:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  onramp serve [flags]
  onramp token operator [--subject NAME] [--ttl 24h]
  onramp token integration --partner ACCOUNT_ID [--ttl 2160h]
  onramp token setup --order ID [--email ADDRESS]
  onramp keys rotate
  onramp demo [--url http://localhost:8080]
run "onramp serve -h" for the flags`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "token":
		if len(args) < 2 {
			return errors.New(usage)
		}
		return token(ctx, args[1], args[2:], stdout, stderr)
	case "demo":
		return demo(ctx, args[1:], stdout, stderr)
	case "keys":
		if len(args) < 2 || args[1] != "rotate" {
			return errors.New(usage)
		}
		return rotate(ctx, args[2:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

// flags is a flag set whose defaults come from ONRAMP_* variables.
type flags struct{ *flag.FlagSet }

func newFlags(name string, stderr io.Writer) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return flags{fs}
}

func envName(flagName string) string {
	return "ONRAMP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f flags) str(p *string, name, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		*p = v
	}
	f.StringVar(p, name, *p, usage+" ($"+envName(name)+")")
}

func (f flags) boolean(p *bool, name, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		*p, _ = strconv.ParseBool(v)
	}
	f.BoolVar(p, name, *p, usage+" ($"+envName(name)+")")
}

func (f flags) duration(p *time.Duration, name, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if d, err := time.ParseDuration(v); err == nil {
			*p = d
		}
	}
	f.DurationVar(p, name, *p, usage+" ($"+envName(name)+")")
}

func (f flags) integer(p *int, name, usage string) {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if n, err := strconv.Atoi(v); err == nil {
			*p = n
		}
	}
	f.IntVar(p, name, *p, usage+" ($"+envName(name)+")")
}

// database adds the flags that choose the database.
func (f flags) database(cfg *app.Config) {
	f.str(&cfg.DataDir, "data-dir", "directory of the embedded SQLite database")
	f.str(&cfg.DatabaseURL, "database-url", "PostgreSQL URL (postgres://…); overrides the SQLite file")
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg := app.Defaults()
	f := newFlags("serve", stderr)
	f.str(&cfg.Addr, "addr", "listen address")
	f.database(&cfg)
	f.str(&cfg.PublicURL, "public-url", "public URL of this service, used in every link")
	f.str(&cfg.SMTPURL, "smtp-url", "SMTP server (smtp://user:pass@host:port); empty keeps mail queued (or in the dev mail viewer)")
	f.boolean(&cfg.Dev, "dev", "development mode: introspection, suggestions and text logs")
	logLevel := "info"
	f.str(&logLevel, "log-level", "least severe log lines written: debug, info, warn or error")
	f.boolean(&cfg.Introspection, "introspection", "allow introspection outside dev mode")
	f.boolean(&cfg.Playground, "playground", "serve the GraphQL IDE at /playground outside dev mode")
	f.boolean(&cfg.TestClock, "test-clock", "dev mode only: a clock operators move forward with advanceClock, shared by every replica")
	f.duration(&cfg.SetupLinkTTL, "setup-link-ttl", "lifetime of a setup link")
	f.duration(&cfg.MaxOperatorTTL, "max-operator-ttl", "longest lifetime of an operator token this server accepts")
	f.str(&cfg.SiteDomain, "site-domain", "domain of the customers' meetings sites (a site is SUBDOMAIN.DOMAIN)")
	f.str(&cfg.MailFrom, "mail-from", "From address of every email (default Onramp <onramp@PUBLIC_URL_HOST>)")
	f.str(&cfg.CustomerSuccessEmail, "customer-success-email", "who receives escalations by email (empty: operators see them in the API only)")
	f.str(&cfg.TimeZone, "timezone", "IANA time zone in which a requested start date begins")
	f.duration(&cfg.OrderWindow, "order-window", "how long after its start date an unprovisioned order closes")
	f.str(&cfg.BillingWebhookURL, "billing-webhook-url", "billing system webhook for billing-start notices (empty: none)")
	f.integer(&cfg.JobWorkers, "job-workers", "jobs run at once by this process")
	f.duration(&cfg.JobPollInterval, "job-poll-interval", "how often idle job workers look for due jobs")
	f.duration(&cfg.JobRescueAfter, "job-rescue-after", "how long a job may run before it is taken for a crashed process's job and retried")
	f.duration(&cfg.ShutdownTimeout, "shutdown-timeout", "how long a graceful shutdown may take")
	f.duration(&cfg.BodyReadTimeout, "body-read-timeout", "how long a request body may take to arrive")
	f.duration(&cfg.RequestTimeout, "request-timeout", "how long one GraphQL request over HTTP may run (also PostgreSQL's statement_timeout)")
	f.integer(&cfg.Limits.Complexity, "max-complexity", "GraphQL complexity limit")
	f.integer(&cfg.Limits.Depth, "max-depth", "GraphQL depth limit")
	f.integer(&cfg.Limits.Tokens, "max-tokens", "GraphQL parser token limit")
	f.integer(&cfg.Limits.FilterDepth, "max-filter-depth", "how deep the operators not, and, or may nest in a where argument")
	f.integer(&cfg.MaxSubscriptionsPerSocket, "max-subscriptions-per-socket", "subscriptions one websocket may run at once (0: no limit)")
	f.integer(&cfg.MaxSocketsPerToken, "max-sockets-per-token", "websockets one token may hold open (0: no limit)")
	f.integer(&cfg.HashingSlots, "sign-in-hashing", "sign-ins that may hash a password at once (argon2id, 19 MiB each)")
	maxBody := int(cfg.MaxBodyBytes)
	f.integer(&maxBody, "max-body-bytes", "request body limit")
	proxies := ""
	f.str(&proxies, "trusted-proxies", "load balancers whose X-Forwarded-For is believed, as CIDRs (10.0.0.0/8,192.0.2.7); empty: the connection's address counts")
	if err := f.Parse(args); err != nil {
		return err
	}
	cfg.MaxBodyBytes = int64(maxBody)
	var err error
	if cfg.TrustedProxies, err = throttle.ParseProxies(proxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
	}
	log := newLogger(cfg.Dev, level, stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", cfg.Addr)
	if err != nil {
		_ = a.Close()
		return err
	}
	return a.Run(ctx, ln)
}

// newLogger writes text lines in dev mode and JSON otherwise, from level up
// (INFO by default: requests, jobs' outcomes, warnings; DEBUG adds the
// static files' requests and the job queue's polling and maintenance).
func newLogger(dev bool, level slog.Level, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if dev {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openAuthority opens the database named by the flags and its signing keys,
// the same ones `serve` uses.
func openAuthority(ctx context.Context, cfg app.Config) (*store.Store, *auth.Authority, error) {
	st, err := store.Open(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	// Tokens are signed from the test clock's time when one was used here
	// (--test-clock), so a fresh token works after an advance.
	offset := clock.StoredOffset(ctx, st.DB)
	now := func() time.Time { return time.Now().Add(offset) }
	a, err := auth.New(ctx, st.Client, auth.Config{SetupLinkTTL: cfg.SetupLinkTTL, MaxOperatorTTL: cfg.MaxOperatorTTL, Now: now})
	if err != nil {
		_ = st.Close()
		return nil, nil, err
	}
	return st, a, nil
}

func token(ctx context.Context, kind string, args []string, stdout, stderr io.Writer) error {
	cfg := app.Defaults()
	f := newFlags("token "+kind, stderr)
	f.database(&cfg)
	f.duration(&cfg.SetupLinkTTL, "setup-link-ttl", "lifetime of a setup link")
	f.str(&cfg.SiteDomain, "site-domain", "domain of the customers' meetings sites (a site is SUBDOMAIN.DOMAIN)")
	var (
		subject, partner, orderID, email string
		ttl                              time.Duration
	)
	switch kind {
	case "operator":
		subject = "operator"
		ttl = 24 * time.Hour
		f.StringVar(&subject, "subject", subject, "who the operator is, for the audit trail")
		f.DurationVar(&ttl, "ttl", ttl, "lifetime (at most --max-operator-ttl)")
		f.duration(&cfg.MaxOperatorTTL, "max-operator-ttl", "longest lifetime of an operator token")
	case "integration":
		ttl = 90 * 24 * time.Hour
		f.StringVar(&partner, "partner", "", "partner ordering-system account id (required)")
		f.DurationVar(&ttl, "ttl", ttl, "lifetime")
	case "setup":
		f.StringVar(&orderID, "order", "", "order id (required)")
		f.StringVar(&email, "email", "", "who the link is for (default: the order's provisioning contact)")
	default:
		return fmt.Errorf("unknown token kind %q\n%s", kind, usage)
	}
	if err := f.Parse(args); err != nil {
		return err
	}
	st, a, err := openAuthority(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	var tok string
	switch kind {
	case "operator":
		tok, err = a.IssueOperator(subject, ttl)
	case "integration":
		if partner == "" {
			return errors.New("--partner is required")
		}
		tok, err = a.IssueIntegration(partner, ttl)
	case "setup":
		tok, err = setupLink(ctx, st, a, gid.ID(orderID), email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}

// setupLink issues a fresh link for an order through the order's life
// table (a cancelled order gets none); the previous one is REPLACED.
func setupLink(ctx context.Context, st *store.Store, a *auth.Authority, id gid.ID, email string) (string, error) {
	if id == "" {
		return "", errors.New("--order is required")
	}
	offset := clock.StoredOffset(ctx, st.DB)
	now := func() time.Time { return time.Now().Add(offset) }
	o := &orders.Service{
		Store: st,
		Links: a,
		Life:  &lifecycle.Engine{Store: st, Now: now},
		Clock: now,
	}
	tok, err := o.IssueLink(ctx, id, email)
	var refused *validate.Failure
	switch {
	case auth.IsNotFound(err):
		return "", fmt.Errorf("no order %s", id)
	case errors.As(err, &refused):
		return "", fmt.Errorf("order %s: %s", id, refused.Error())
	}
	return tok, err
}

func rotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := app.Defaults()
	f := newFlags("keys rotate", stderr)
	f.database(&cfg)
	if err := f.Parse(args); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	kid, err := auth.RotateKeys(ctx, st.Client)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "new signing key", kid)
	return nil
}
