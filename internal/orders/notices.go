package orders

import (
	"context"
	"time"

	"onramp/internal/mail/kind"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/setuplink"
	"onramp/internal/date"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/mail"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// ReminderLeads are how long before a link expires, and before an order's
// window closes, its holder is reminded.
var ReminderLeads = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}

// The reminder jobs, each unique per order, link or window and lead.
type (
	// RemindLinkArgs reminds a link's holder before it expires.
	RemindLinkArgs struct {
		OrderID gid.ID `json:"order_id"`
		LinkID  gid.ID `json:"link_id"`
		Lead    string `json:"lead"`
	}
	// RemindWindowArgs reminds the setup's holder before the window closes.
	RemindWindowArgs struct {
		OrderID gid.ID `json:"order_id"`
		Lead    string `json:"lead"`
	}
)

// Kind implements river.JobArgs.
func (RemindLinkArgs) Kind() string { return "remind_link" }

// Kind implements river.JobArgs.
func (RemindWindowArgs) Kind() string { return "remind_window" }

// Notify sends the notice of a change (lifecycle.Engine.Notify): who gets
// it, and whether this change calls for it.
func (s *Service) Notify(ctx context.Context, notice kind.Kind, was order.Status, o *ent.Order, c *lifecycle.Change) error {
	d := mailData(o)
	var to string
	switch notice {
	case kind.HandoffSent:
		handedTo, ok := c.Audit["to"].(string)
		if !ok {
			return nil // SELF: no hand-off
		}
		d.HandedTo, to = handedTo, viewer.FromContext(ctx).Email
	case kind.CustomerWelcome:
		if c.Audit["newCustomerOrg"] == nil || o.CustomerAdminEmail == nil {
			return nil // an existing organization: its administrator knows it
		}
		to = *o.CustomerAdminEmail
	case kind.SetupFinished:
		if o.Role == nil || *o.Role != order.RoleCUSTOMER {
			return nil // the partner finished it itself
		}
		to = o.ProvisioningContactEmail
	case kind.OnHold:
		to = viewer.FromContext(ctx).Email
	case kind.LinkReminder:
		to, _ = c.Audit["to"].(string)
		d.LinkExpires, _ = c.Audit["expires"].(string)
	case kind.WindowReminder, kind.HoldReleased, kind.OrderCancelled, kind.WindowClosed:
		h, linked, err := holder(ctx, o)
		if err != nil || !linked {
			return err // no one was ever sent a link: no one to tell
		}
		to = h
		d.WindowCloses = s.windowCloses(o)
	default:
		return nil
	}
	if to == "" {
		return nil
	}
	_, err := s.Outbox.Send(ctx, mail.Draft{Kind: notice, To: to, Lang: string(o.Language), Data: d, OrderID: o.ID})
	return err
}

// windowCloses is the day an order's window closes.
func (s *Service) windowCloses(o *ent.Order) string {
	loc := s.Settings.Location
	return date.Of(o.RequestedStartDate.Time(loc).Add(s.Settings.Window).In(loc)).String()
}

// scheduleLinkReminders queues the reminders of the order's newest link,
// in the transaction that issued it.
func (s *Service) scheduleLinkReminders(ctx context.Context, o *ent.Order) error {
	link, err := ent.FromContext(ctx).SetupLink.Query().
		Where(setuplink.OrderID(o.ID), setuplink.StateEQ(setuplink.StateACTIVE)).
		Only(store.System(ctx))
	if err != nil {
		return err
	}
	for _, lead := range ReminderLeads {
		at := link.ExpiresAt.Add(-lead)
		if !at.After(s.now()) {
			continue
		}
		args := RemindLinkArgs{OrderID: o.ID, LinkID: link.ID, Lead: lead.String()}
		if err := s.Queue.Enqueue(ctx, args, &river.InsertOpts{ScheduledAt: at}); err != nil {
			return err
		}
	}
	return nil
}

// scheduleWindowReminders queues the reminders before a new order's window
// closes.
func (s *Service) scheduleWindowReminders(ctx context.Context, o *ent.Order) error {
	closes := o.RequestedStartDate.Time(s.Settings.Location).Add(s.Settings.Window)
	for _, lead := range ReminderLeads {
		at := closes.Add(-lead)
		if !at.After(s.now()) {
			continue
		}
		args := RemindWindowArgs{OrderID: o.ID, Lead: lead.String()}
		if err := s.Queue.Enqueue(ctx, args, &river.InsertOpts{ScheduledAt: at}); err != nil {
			return err
		}
	}
	return nil
}

// RemindLinkWorker reminds a link's holder before the link expires, unless
// the link was replaced or the order moved on (provisioned, cancelled, on
// hold: the table refuses).
type RemindLinkWorker struct {
	river.WorkerDefaults[RemindLinkArgs]
	Orders *Service
}

// Work implements river.Worker.
func (w *RemindLinkWorker) Work(ctx context.Context, job *river.Job[RemindLinkArgs]) error {
	s := w.Orders
	return s.job(ctx, job.Args.OrderID, lifecycle.Command{
		Action: lifecycle.RemindLink,
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			link, err := ent.FromContext(ctx).SetupLink.Get(store.System(ctx), job.Args.LinkID)
			if ent.IsNotFound(err) || err == nil && (link.State != setuplink.StateACTIVE || !link.ExpiresAt.After(s.now())) {
				c.Noop = true
				return nil
			}
			if err != nil {
				return err
			}
			c.Audit = map[string]any{"to": link.Email, "lead": job.Args.Lead,
				"expires": date.Of(link.ExpiresAt.In(s.Settings.Location)).String()}
			return nil
		},
	})
}

// RemindWindowWorker reminds the setup's holder before the order's window
// closes, unless it was provisioned, cancelled or is on hold.
type RemindWindowWorker struct {
	river.WorkerDefaults[RemindWindowArgs]
	Orders *Service
}

// Work implements river.Worker.
func (w *RemindWindowWorker) Work(ctx context.Context, job *river.Job[RemindWindowArgs]) error {
	return w.Orders.job(ctx, job.Args.OrderID, lifecycle.Command{
		Action:  lifecycle.RemindWindow,
		Changes: map[string]any{"lead": job.Args.Lead},
	})
}
