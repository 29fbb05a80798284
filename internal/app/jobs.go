package app

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"onramp/internal/accounts"
	"onramp/internal/auth"
	"onramp/internal/billing"
	"onramp/internal/feed"
	"onramp/internal/jobs"
	life "onramp/internal/lifecycle"
	"onramp/internal/mail"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/throttle"
	"onramp/internal/webhooks"
)

// wireJobs builds the order lifecycle, the outbox and the job queue, which
// refer to each other: the services queue jobs, the workers call the
// services.
func (a *App) wireJobs(ctx context.Context, pub *url.URL) error {
	cfg := a.Config
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", cfg.TimeZone, err)
	}
	now := cfg.Clock.Now
	// A stub clock also drives River's scheduling.
	jobTime, _ := cfg.Clock.(rivertype.TimeGenerator)
	outbox := &mail.Outbox{}
	a.Feed = feed.New(a.Store, a.Log.With("component", "feed"))
	a.Life = &life.Engine{Store: a.Store, Events: a.Events, Now: now, Recorded: a.Feed.Poke}
	a.Orders = &orders.Service{
		Store: a.Store, Outbox: outbox, Links: a.Auth, Life: a.Life, Clock: now,
		Settings: orders.Settings{
			PublicURL:            cfg.PublicURL,
			Location:             loc,
			Window:               cfg.OrderWindow,
			CustomerSuccessEmail: cfg.CustomerSuccessEmail,
		},
	}

	var sender mail.Sender
	switch {
	case cfg.SMTPURL != "":
		if sender, err = mail.NewSMTP(cfg.SMTPURL); err != nil {
			return err
		}
	case cfg.Dev:
		sender = mail.DevMailbox{}
		a.Log.Info("dev mode without SMTP: messages are shown at /dev/mail", "url", cfg.PublicURL+"/dev/mail")
	default:
		a.MailQueuedOnly = true
		a.Log.Warn("no SMTP server configured (ONRAMP_SMTP_URL): messages stay queued until one is")
	}
	from := cfg.MailFrom
	if from == "" {
		from = "Onramp <onramp@" + pub.Hostname() + ">"
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &mail.DeliverWorker{
		Store: a.Store, Sender: sender, From: from, Host: pub.Hostname(),
		RetainBodies: cfg.Dev, Delivered: a.Orders.Delivered, Now: now,
	})
	river.AddWorker(workers, &orders.SetupEmailWorker{Orders: a.Orders})
	river.AddWorker(workers, &orders.EscalateWorker{Orders: a.Orders})
	river.AddWorker(workers, &orders.CloseWindowWorker{Orders: a.Orders})
	river.AddWorker(workers, &orders.RemindLinkWorker{Orders: a.Orders})
	river.AddWorker(workers, &orders.RemindWindowWorker{Orders: a.Orders})
	a.Accounts = &accounts.Service{Store: a.Store, Orders: a.Orders, Auth: a.Auth}
	river.AddWorker(workers, &accounts.PasswordResetWorker{Accounts: a.Accounts})
	river.AddWorker(workers, &auth.PruneWorker{Auth: a.Auth, More: []func(context.Context) error{
		func(ctx context.Context) error { _, err := a.Orders.PruneKeys(ctx); return err },
		func(ctx context.Context) error { _, err := a.Webhooks.PruneRedeliveries(ctx); return err },
		func(ctx context.Context) error {
			// Every throttle forgets a quiet key within the hour.
			_, err := throttle.DB{Store: a.Store}.Prune(ctx, now().Add(-24*time.Hour))
			return err
		},
	}})
	river.AddWorker(workers, &billing.StartWorker{Store: a.Store, URL: cfg.BillingWebhookURL, Now: now})
	hooks := &webhooks.DeliverWorker{Store: a.Store, Dev: cfg.Dev, Now: now, Disabled: a.Orders.WebhookDisabled}
	river.AddWorker(workers, hooks)

	q, err := jobs.New(ctx, a.Store, workers, jobs.Config{
		SQLitePath:   store.SQLiteFile(cfg.DataDir),
		DatabaseURL:  cfg.DatabaseURL,
		Workers:      cfg.JobWorkers,
		PollInterval: cfg.JobPollInterval,
		RescueAfter:  cfg.JobRescueAfter,
		Time:         jobTime,
		Periodic:     []*river.PeriodicJob{auth.PrunePeriodically()},
	}, a.Log)
	if err != nil {
		return err
	}
	a.Jobs = q
	outbox.Queue = q
	hooks.Queue = q
	a.Orders.Queue = q
	a.Webhooks = &webhooks.Service{Store: a.Store, Queue: q, Dev: cfg.Dev, Now: now}
	a.Life.OnEvent = a.Webhooks.Enqueue
	a.Life.Notify = a.Orders.Notify
	return nil
}
