package orders

import (
	"context"
	"strings"
	"time"

	"onramp/internal/mail/kind"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/auditevent"
	"onramp/ent/escalation"
	"onramp/ent/order"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/jobs"
	"onramp/internal/lifecycle"
	"onramp/internal/mail"
	"onramp/internal/store"
)

// Settings are the service's settings an order's life reads: where links
// point, the time zone of start dates, the window and who hears of
// escalations.
type Settings struct {
	// PublicURL starts every link.
	PublicURL string
	// Location is the time zone in which a start date begins.
	Location *time.Location
	// Window is how long after its start date an unprovisioned order
	// closes.
	Window time.Duration
	// CustomerSuccessEmail receives escalations; empty: operators only
	// see them in the API.
	CustomerSuccessEmail string
}

// LinkTo is the address of a page of the wizard's app carrying token,
// e.g. LinkTo("/setup", t): every mailed or answered link starts with the
// public URL, never with a request's Host.
func (l *Settings) LinkTo(page, token string) string {
	return strings.TrimRight(l.PublicURL, "/") + page + "?token=" + token
}

// LinkExpiry is when a mailed link stops working, as its email says it:
// minute and zone of the service's time zone.
func (l *Settings) LinkExpiry(t time.Time) string {
	return t.In(l.Location).Format("2006-01-02 15:04 MST")
}

// LinkIssuer issues setup links (internal/auth).
type LinkIssuer interface {
	IssueSetupLink(ctx context.Context, orderID gid.ID, email string) (string, error)
	SetupLinkTTL() time.Duration
}

// The jobs of an order's life, each unique per order.
type (
	// SetupEmailArgs sends the setup email on the requested start date.
	SetupEmailArgs struct {
		OrderID gid.ID `json:"order_id"`
	}
	// EscalateArgs opens an escalation when setup has not started a day
	// after the start date.
	EscalateArgs struct {
		OrderID gid.ID `json:"order_id"`
	}
	// CloseWindowArgs closes an order not provisioned within its window.
	CloseWindowArgs struct {
		OrderID gid.ID `json:"order_id"`
	}
)

// Kind implements river.JobArgs.
func (SetupEmailArgs) Kind() string { return "setup_email" }

// Kind implements river.JobArgs.
func (EscalateArgs) Kind() string { return "escalate" }

// Kind implements river.JobArgs.
func (CloseWindowArgs) Kind() string { return "close_window" }

// schedule queues the jobs of a new order, in its transaction: the setup
// email at the start of the start date (at once when that has passed), the
// escalation a day later (a day from now when that has passed too), the
// window's end after Window.
func (s *Service) schedule(ctx context.Context, o *ent.Order) error {
	start := o.RequestedStartDate.Time(s.Settings.Location)
	// An order placed a day or more after its start date is mailed at
	// once; it escalates a day after that, not at once.
	escalate := start.AddDate(0, 0, 1)
	if escalate.Before(s.now()) {
		escalate = s.now().AddDate(0, 0, 1)
	}
	for _, j := range []struct {
		args river.JobArgs
		at   time.Time
	}{
		{SetupEmailArgs{OrderID: o.ID}, start},
		{EscalateArgs{OrderID: o.ID}, escalate},
		{CloseWindowArgs{OrderID: o.ID}, start.Add(s.Settings.Window)},
	} {
		opts := &river.InsertOpts{UniqueOpts: jobs.Once()}
		if j.at.After(s.now()) {
			opts.ScheduledAt = j.at
		}
		if err := s.Queue.Enqueue(ctx, j.args, opts); err != nil {
			return err
		}
	}
	return s.scheduleWindowReminders(ctx, o)
}

// SetupEmailWorker sends the setup email when the start date comes, unless
// the order has moved on (a resend already sent it, or it was cancelled).
type SetupEmailWorker struct {
	river.WorkerDefaults[SetupEmailArgs]
	Orders *Service
}

// Work implements river.Worker.
func (w *SetupEmailWorker) Work(ctx context.Context, job *river.Job[SetupEmailArgs]) error {
	s := w.Orders
	return s.job(ctx, job.Args.OrderID, lifecycle.Command{
		Action: lifecycle.SendSetupEmail,
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			o := c.Order
			// The order stays PLACED until the email is delivered, so a
			// retry of this job (its process died after this commit, before
			// River recorded the job done) must see from the record that it
			// ran.
			done, err := ent.FromContext(ctx).AuditEvent.Query().
				Where(auditevent.OrderID(o.ID), auditevent.Action(setupEmailQueued)).Exist(ctx)
			if err != nil || done {
				c.Noop = true
				return err
			}
			c.Audit = map[string]any{"to": o.ProvisioningContactEmail}
			return s.SendLink(ctx, o, o.ProvisioningContactEmail, kind.SetupLink, "")
		},
	})
}

// setupEmailQueued is the audit action of the setup email's job.
var setupEmailQueued = mustRule(lifecycle.SendSetupEmail).Audit

func mustRule(a lifecycle.Action) lifecycle.Rule {
	r, ok := lifecycle.RuleOf(a)
	if !ok {
		panic("orders: no rule for " + string(a))
	}
	return r
}

// EscalateWorker opens an escalation for an order whose setup has not
// started a day after its start date, and mails customer success.
type EscalateWorker struct {
	river.WorkerDefaults[EscalateArgs]
	Orders *Service
}

// Work implements river.Worker.
func (w *EscalateWorker) Work(ctx context.Context, job *river.Job[EscalateArgs]) error {
	s := w.Orders
	return s.job(ctx, job.Args.OrderID, lifecycle.Command{
		Action: lifecycle.Escalate,
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			o := c.Order
			client := ent.FromContext(ctx)
			exists, err := client.Escalation.Query().Where(escalation.OrderID(o.ID)).Exist(ctx)
			if err != nil || exists {
				c.Noop = true
				return err
			}
			esc, err := client.Escalation.Create().SetOrderID(o.ID).
				SetReason("Setup had not started one day after the requested start date.").
				Save(ctx)
			if err != nil {
				return err
			}
			c.Audit = map[string]any{"escalation": esc.ID}
			if to := s.Settings.CustomerSuccessEmail; to != "" {
				_, err := s.Outbox.Send(ctx, mail.Draft{
					Kind: kind.Escalation, To: to, Lang: "en", Data: mailData(o), OrderID: o.ID,
				})
				return err
			}
			return nil
		},
	})
}

// CloseWindowWorker closes an order that was not provisioned within its
// window.
type CloseWindowWorker struct {
	river.WorkerDefaults[CloseWindowArgs]
	Orders *Service
}

// Work implements river.Worker.
func (w *CloseWindowWorker) Work(ctx context.Context, job *river.Job[CloseWindowArgs]) error {
	return w.Orders.job(ctx, job.Args.OrderID, lifecycle.Command{
		Action:  lifecycle.CloseWindow,
		Changes: map[string]any{"reason": "The order was not provisioned within its window."},
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			c.Status = order.StatusCANCELLED
			return nil
		},
	})
}

// job runs a job's command on its order, in a transaction of Onramp's own:
// an order that is gone, or that the table no longer lets the job act on
// (it has moved on), leaves the job nothing to do.
func (s *Service) job(ctx context.Context, id gid.ID, cmd lifecycle.Command) error {
	_, err := s.Life.Apply(store.System(ctx), id, cmd)
	if lifecycle.IsRefused(err) || auth.IsNotFound(err) {
		return nil
	}
	return err
}
