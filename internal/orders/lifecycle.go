package orders

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/auditevent"
	"onramp/ent/escalation"
	"onramp/ent/message"
	"onramp/ent/order"
	"onramp/ent/setuplink"
	"onramp/internal/audit"
	"onramp/internal/auth"
	"onramp/internal/date"
	"onramp/internal/gid"
	"onramp/internal/jobs"
	"onramp/internal/mail"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Codes of userErrors about an order's state.
const (
	CodeOrderCancelled     = "ORDER_CANCELLED"
	CodeAlreadyProvisioned = "ALREADY_PROVISIONED"
	CodeOrgsConfirmed      = "ORGS_CONFIRMED"
	CodeAlreadyResolved    = "ALREADY_RESOLVED"
)

// Lifecycle holds what an order's life needs besides the database: the job
// queue, the outbox, the link issuer and the schedule.
type Lifecycle struct {
	Queue  *jobs.Queue
	Outbox *mail.Outbox
	Links  LinkIssuer
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
	l := s.Lifecycle
	start := o.RequestedStartDate.Time(l.Location)
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
		{CloseWindowArgs{OrderID: o.ID}, start.Add(l.Window)},
	} {
		opts := &river.InsertOpts{UniqueOpts: jobs.Once()}
		if j.at.After(s.now()) {
			opts.ScheduledAt = j.at
		}
		if err := l.Queue.Enqueue(ctx, j.args, opts); err != nil {
			return err
		}
	}
	return nil
}

// mailData fills the templates for an order.
func mailData(o *ent.Order) mail.Data {
	return mail.Data{
		Product:          strings.ReplaceAll(string(o.Product), "_", "-"),
		PartnerName:      o.PartnerName,
		PartnerAccountID: o.PartnerAccountID,
		CustomerName:     o.CustomerName,
		ExternalID:       o.ExternalID,
		StartDate:        string(o.RequestedStartDate),
		ContactEmail:     o.ProvisioningContactEmail,
	}
}

// SendLink issues a new setup link for o to email (the order's other links
// become REPLACED) and queues the message of kind carrying it, in the
// transaction of ctx.
func (s *Service) SendLink(ctx context.Context, o *ent.Order, email string, kind mail.Kind, handedOffBy string) error {
	l := s.Lifecycle
	token, err := l.Links.IssueSetupLink(ctx, o.ID, email)
	if err != nil {
		return err
	}
	d := mailData(o)
	d.Link = strings.TrimRight(l.PublicURL, "/") + "/setup?token=" + token
	d.LinkExpires = date.Of(s.now().Add(l.Links.SetupLinkTTL()).In(l.Location)).String()
	d.HandedOffBy = handedOffBy
	_, err = l.Outbox.Send(ctx, mail.Draft{Kind: kind, To: email, Lang: string(o.Language), Data: d, OrderID: o.ID})
	return err
}

// SendServicesActive queues the "your services are active" email.
func (s *Service) SendServicesActive(ctx context.Context, o *ent.Order, to string) error {
	_, err := s.Lifecycle.Outbox.Send(ctx, mail.Draft{
		Kind: mail.ServicesActive, To: to, Lang: string(o.Language), Data: mailData(o), OrderID: o.ID,
	})
	return err
}

// Delivered runs when a message was handed to the mail system, in the
// transaction that marks it sent: the first setup email moves the order
// from PLACED to LINK_SENT.
func (s *Service) Delivered(ctx context.Context, m *ent.Message) error {
	if m.OrderID == "" {
		return nil
	}
	client := ent.FromContext(ctx)
	if m.Kind == message.KindSETUP_LINK {
		n, err := client.Order.Update().
			Where(order.ID(m.OrderID), order.StatusEQ(order.StatusPLACED)).
			SetStatus(order.StatusLINK_SENT).
			Save(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			o, err := client.Order.Get(ctx, m.OrderID)
			if err != nil {
				return err
			}
			s.Changed(ctx, o)
		}
	}
	return audit.Record(ctx, client, m.OrderID, "EMAIL_SENT", map[string]any{"kind": m.Kind, "to": m.To})
}

// setupEmailQueued is the audit action of the setup email's job.
const setupEmailQueued = "SETUP_EMAIL_QUEUED"

// SetupEmailWorker sends the setup email when the start date comes, unless
// the order has moved on (a resend already sent it, or it was cancelled).
type SetupEmailWorker struct {
	river.WorkerDefaults[SetupEmailArgs]
	Orders *Service
}

// Work implements river.Worker.
func (w *SetupEmailWorker) Work(ctx context.Context, job *river.Job[SetupEmailArgs]) error {
	s := w.Orders
	return s.whileIn(ctx, job.Args.OrderID, []order.Status{order.StatusPLACED}, func(ctx context.Context, o *ent.Order) error {
		// The order stays PLACED until the email is delivered, so a retry of
		// this job (its process died after this commit, before River
		// recorded the job done) must see from the record that it ran.
		done, err := ent.FromContext(ctx).AuditEvent.Query().
			Where(auditevent.OrderID(o.ID), auditevent.Action(setupEmailQueued)).Exist(ctx)
		if err != nil || done {
			return err
		}
		if err := s.SendLink(ctx, o, o.ProvisioningContactEmail, mail.SetupLink, ""); err != nil {
			return err
		}
		return audit.Record(ctx, ent.FromContext(ctx), o.ID, setupEmailQueued, map[string]any{"to": o.ProvisioningContactEmail})
	})
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
	notStarted := []order.Status{order.StatusPLACED, order.StatusLINK_SENT}
	return s.whileIn(ctx, job.Args.OrderID, notStarted, func(ctx context.Context, o *ent.Order) error {
		client := ent.FromContext(ctx)
		exists, err := client.Escalation.Query().Where(escalation.OrderID(o.ID)).Exist(ctx)
		if err != nil || exists {
			return err
		}
		esc, err := client.Escalation.Create().SetOrderID(o.ID).
			SetReason("Setup had not started one day after the requested start date.").
			Save(ctx)
		if err != nil {
			return err
		}
		if to := s.Lifecycle.CustomerSuccessEmail; to != "" {
			if _, err := s.Lifecycle.Outbox.Send(ctx, mail.Draft{
				Kind: mail.Escalation, To: to, Lang: "en", Data: mailData(o), OrderID: o.ID,
			}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, client, o.ID, "ESCALATION_OPENED", map[string]any{"escalation": esc.ID})
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
	s := w.Orders
	open := []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP,
		order.StatusON_HOLD, order.StatusORGS_CONFIRMED}
	return s.whileIn(ctx, job.Args.OrderID, open, func(ctx context.Context, o *ent.Order) error {
		return s.cancelTx(ctx, o, "WINDOW_CLOSED", "The order was not provisioned within its window.")
	})
}

// whileIn runs a job's work on its order, locked, in a transaction of
// Onramp's own, when the order is still in one of statuses: an order that
// has moved on, or is gone, leaves the job nothing to do.
func (s *Service) whileIn(ctx context.Context, id gid.ID, statuses []order.Status, fn func(ctx context.Context, o *ent.Order) error) error {
	return s.Store.InTx(store.System(ctx), func(ctx context.Context) error {
		o, err := Lock(ctx, id)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil || !slices.Contains(statuses, o.Status) {
			return err
		}
		return fn(ctx, o)
	})
}

// Lock locks an order's row for the transaction of ctx and reads it: calls
// that change one order (two tabs, a retry, a job) then run one after the
// other, on PostgreSQL as on SQLite. The row is locked by a write, which
// both databases order, rather than by SELECT … FOR UPDATE, which SQLite
// lacks.
func Lock(ctx context.Context, id gid.ID) (*ent.Order, error) {
	client := ent.FromContext(ctx)
	if err := client.Order.UpdateOneID(id).SetUpdatedAt(time.Now()).Exec(ctx); err != nil {
		return nil, err
	}
	return client.Order.Get(ctx, id)
}

// cancelTx ends an order: status CANCELLED, its links CANCELLED, its queued
// messages CANCELLED (its pending jobs find nothing left to do).
func (s *Service) cancelTx(ctx context.Context, o *ent.Order, action, reason string) error {
	client := ent.FromContext(ctx)
	sys := store.System(ctx)
	n, err := client.Order.Update().
		Where(order.ID(o.ID), order.StatusNotIn(order.StatusPROVISIONED, order.StatusCANCELLED)).
		SetStatus(order.StatusCANCELLED).
		SetCancelledAt(s.now()).
		Save(ctx)
	if err != nil || n == 0 {
		return err
	}
	if err := client.SetupLink.Update().
		Where(setuplink.OrderID(o.ID), setuplink.StateEQ(setuplink.StateACTIVE)).
		SetState(setuplink.StateCANCELLED).Exec(sys); err != nil {
		return err
	}
	if err := client.Message.Update().
		Where(message.OrderID(o.ID), message.StatusEQ(message.StatusQUEUED)).
		SetStatus(message.StatusCANCELLED).Exec(sys); err != nil {
		return err
	}
	o, err = client.Order.Get(ctx, o.ID)
	if err != nil {
		return err
	}
	s.Changed(ctx, o)
	return audit.Record(ctx, client, o.ID, action, map[string]any{"status": "CANCELLED", "reason": reason})
}

// Cancel cancels an order (operators).
func (s *Service) Cancel(ctx context.Context, id gid.ID, reason string) (*ent.Order, error) {
	if _, err := requireOperator(ctx); err != nil {
		return nil, err
	}
	reason, ok := validate.Text(reason, false, 500)
	if !ok {
		return nil, validate.Fail(validate.CodeInvalid, "reason", "Reason may be at most 500 characters, without control characters.")
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		o, err := s.orderInScope(ctx, id)
		if err != nil {
			return err
		}
		if err := stateAllows(o); err != nil {
			return err
		}
		return s.cancelTx(ctx, o, "ORDER_CANCELLED", reason)
	})
	if err != nil {
		return nil, err
	}
	return s.Store.Client.Order.Get(ctx, id)
}

// stateAllows refuses a change to an order that has ended.
func stateAllows(o *ent.Order) error {
	switch o.Status {
	case order.StatusCANCELLED:
		return validate.Fail(CodeOrderCancelled, "", "This order was cancelled.")
	case order.StatusPROVISIONED:
		return validate.Fail(CodeAlreadyProvisioned, "", "This order is already provisioned.")
	}
	return nil
}

// ResendSetupLink sends a fresh setup link; the previous one becomes
// REPLACED and the new one starts at the ROLE step. Until the organizations
// are confirmed it goes to the provisioning contact, who may be changed by
// passing email; afterwards to the person who confirmed them.
func (s *Service) ResendSetupLink(ctx context.Context, id gid.ID, email *string) (*ent.Order, error) {
	if _, err := requireResender(ctx); err != nil {
		return nil, err
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		o, err := s.orderInScope(ctx, id)
		if err != nil {
			return err
		}
		if err := stateAllows(o); err != nil {
			return err
		}
		client := ent.FromContext(ctx)
		to := o.ProvisioningContactEmail
		confirmed := o.Status == order.StatusORGS_CONFIRMED
		if email != nil {
			addr, ok := validate.Email(*email)
			switch {
			case !ok:
				return validate.Fail(validate.CodeInvalid, "email", "Not a valid email address.")
			case confirmed && addr != o.ConfirmedByEmail:
				return validate.Fail(CodeOrgsConfirmed, "email",
					"The organizations are confirmed; the link goes to the person who confirmed them.")
			}
			to = addr
		}
		upd := client.Order.UpdateOne(o)
		if confirmed {
			to = o.ConfirmedByEmail
		} else {
			upd.SetProvisioningContactEmail(to).SetStep(order.StepROLE)
		}
		if o, err = upd.Save(ctx); err != nil {
			return err
		}
		if err := s.SendLink(ctx, o, to, mail.SetupLink, ""); err != nil {
			return err
		}
		s.Changed(ctx, o)
		return audit.Record(ctx, client, o.ID, "SETUP_LINK_RESENT", map[string]any{"to": to})
	})
	if err != nil {
		return nil, err
	}
	return s.Store.Client.Order.Get(ctx, id)
}

// orderInScope reads an order as the caller: one outside the caller's scope
// is NOT_FOUND, like one that does not exist.
func (s *Service) orderInScope(ctx context.Context, id gid.ID) (*ent.Order, error) {
	// Check the caller's scope with a read first: the privacy rules scope
	// reads, not writes.
	if _, err := ent.FromContext(ctx).Order.Get(ctx, id); ent.IsNotFound(err) {
		return nil, notFound("order")
	} else if err != nil {
		return nil, err
	}
	return Lock(ctx, id)
}

// ResolveEscalation closes an escalation (operators).
func (s *Service) ResolveEscalation(ctx context.Context, id gid.ID, note string) (*ent.Escalation, error) {
	v, err := requireOperator(ctx)
	if err != nil {
		return nil, err
	}
	note, ok := validate.Text(note, false, 2000)
	if !ok {
		return nil, validate.Fail(validate.CodeInvalid, "note", "Note may be at most 2000 characters, without control characters.")
	}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		esc, err := client.Escalation.Get(ctx, id)
		if ent.IsNotFound(err) {
			return notFound("escalation")
		}
		if err != nil {
			return err
		}
		n, err := client.Escalation.Update().
			Where(escalation.ID(id), escalation.ResolvedAtIsNil()).
			SetResolvedAt(s.now()).SetResolvedBy(v.Subject).SetNote(note).
			Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return validate.Fail(CodeAlreadyResolved, "", "This escalation is already resolved.")
		}
		return audit.Record(ctx, client, esc.OrderID, "ESCALATION_RESOLVED", map[string]any{"escalation": id, "note": note})
	})
	if err != nil {
		return nil, err
	}
	return s.Store.Client.Escalation.Get(ctx, id)
}

func requireOperator(ctx context.Context) (*viewer.Viewer, error) {
	return auth.Require(ctx, viewer.Operator)
}

// requireResender lets operators, integrations and partner sessions resend
// (each within its scope); a setup link may not.
func requireResender(ctx context.Context) (*viewer.Viewer, error) {
	return auth.Require(ctx, viewer.Operator, viewer.Integration, viewer.Partner)
}

func notFound(what string) error { return auth.NotFound(what) }
