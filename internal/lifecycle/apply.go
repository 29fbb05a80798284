package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"onramp/internal/mail/kind"

	"onramp/ent"
	"onramp/ent/escalation"
	"onramp/ent/message"
	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/ent/setuplink"
	"onramp/internal/audit"
	"onramp/internal/auth"
	"onramp/internal/events"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Engine applies actions to orders.
type Engine struct {
	Store *store.Store
	// Events hears of every change of an order's status or step (nil:
	// nobody listens).
	Events *events.Hub
	Now    func() time.Time
	// Missing lists the purchased services of an order still without
	// settings, so that a WRONG_STEP at SERVICES names the right call (nil:
	// the message names the step only by what the table knows).
	Missing func(ctx context.Context, o *ent.Order) ([]schematype.ServiceKind, error)
	// OnEvent runs for every event recorded, in its transaction (the
	// webhooks queue their deliveries); nil: nobody is told.
	OnEvent func(ctx context.Context, ev *ent.Event) error
	// Recorded runs after the commit of a transaction that recorded events
	// (the feed's sequencer numbers them); nil: nothing.
	Recorded func()
	// Notify sends a row's notice, in the change's transaction (nil: no
	// notices). It decides the recipients and whether the notice applies
	// to this change (a hand-off's confirmation only after a hand-off).
	Notify func(ctx context.Context, notice kind.Kind, was order.Status, o *ent.Order, c *Change) error
}

// Command is one action on one order: what the table does not know.
type Command struct {
	Action Action
	// Changes are recorded in the audit trail with the action.
	Changes map[string]any
	// Authorize, when set, checks the caller's right to act on the locked
	// order before the table is consulted (a setup link's state, a
	// caller's scope). Its error ends the call.
	Authorize func(ctx context.Context, o *ent.Order) error
	// Run makes the action's own writes through the transaction's client
	// (ent.FromContext(ctx)) and says where the order goes, in c.
	Run func(ctx context.Context, c *Change) error
}

// Change is what a command does to its order, in its transaction.
type Change struct {
	// Order is the order as locked, before the change.
	Order *ent.Order
	// Status and Step are where the order goes; they start where it is
	// (IN_SETUP for an action that starts the setup).
	Status order.Status
	Step   order.Step
	// Update carries the command's other changes to the order's row
	// (role, contact, hold reason, …), saved with the status and step.
	Update *ent.OrderUpdateOne
	// Noop: the command changed nothing (a repeated provision); nothing is
	// written or recorded.
	Noop bool
	// DraftID is the id of the link's draft after the change, told to the
	// order's subscribers (the wizard's other tabs).
	DraftID gid.ID
	// Audit adds to the audit record of the change.
	Audit map[string]any
}

// Refused is the table's refusal of an action: a userError for a caller,
// nothing to do for a job.
type Refused struct{ failure *validate.Failure }

func (r *Refused) Error() string { return r.failure.Error() }

// Unwrap lets the refusal reach the caller as userErrors.
func (r *Refused) Unwrap() error { return r.failure }

// Code is the refusal's userError code.
func (r *Refused) Code() string { return r.failure.Problems[0].Code }

// IsRefused reports whether err is the table's refusal.
func IsRefused(err error) bool {
	var r *Refused
	return errors.As(err, &r)
}

func refuse(code, format string, args ...any) error {
	var f *validate.Failure
	errors.As(validate.Fail(code, "", format, args...), &f)
	return &Refused{failure: f}
}

// Apply takes an action on an order, as the table allows, in one
// transaction (the caller's, when ctx has one): it locks the order, lets
// the command authorize the caller, checks the table, runs the command,
// writes the status and step once (with what entering a status implies),
// records the audit event, and publishes the change after commit. It
// answers the order as committed. An order that does not exist is
// NOT_FOUND; an action the table does not allow is *Refused and writes
// nothing.
func (e *Engine) Apply(ctx context.Context, id gid.ID, cmd Command) (*ent.Order, error) {
	rule, ok := RuleOf(cmd.Action)
	if !ok {
		return nil, fmt.Errorf("lifecycle: no rule for %q", cmd.Action)
	}
	if actorOf(viewer.FromContext(ctx))&rule.By == 0 {
		return nil, auth.Forbidden("This token may not %s.", cmd.Action)
	}
	joined := ent.TxFromContext(ctx) != nil
	var out *ent.Order
	err := e.Store.InTx(ctx, func(ctx context.Context) error {
		o, err := e.lock(ctx, id)
		if ent.IsNotFound(err) {
			return auth.NotFound("order")
		}
		if err != nil {
			return err
		}
		if cmd.Authorize != nil {
			if err := cmd.Authorize(ctx, o); err != nil {
				return err
			}
		}
		if err := e.check(ctx, rule, o); err != nil {
			return err
		}
		out, err = e.apply(ctx, rule, cmd, o)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !joined {
		// Read in the now committed transaction: its edges must load
		// through the client.
		out = out.Unwrap()
	}
	return out, nil
}

// check refuses an action the table does not allow on o, with the code
// that tells the caller why.
func (e *Engine) check(ctx context.Context, r Rule, o *ent.Order) error {
	if r.Allows(o.Status, o.Step) {
		return nil
	}
	switch {
	case o.Status == order.StatusCANCELLED:
		return refuse(CodeOrderCancelled, "This order was cancelled.")
	case o.Status == order.StatusPROVISIONED && !slices.Contains(r.From, o.Status):
		return refuse(CodeAlreadyProvisioned, "This order is already provisioned.")
	case o.Status == order.StatusON_HOLD && !slices.Contains(r.From, o.Status):
		return refuse(CodeOnHold, "This order is on hold until an operator reviews it.")
	case !slices.Contains(r.From, o.Status) && r.Elsewhere != "":
		return refuse(r.Elsewhere, "This order is %s: %s is not possible now.", o.Status, r.Action)
	}
	var missing []schematype.ServiceKind
	if o.Step == order.StepSERVICES && e.Missing != nil {
		var err error
		if missing, err = e.Missing(ctx, o); err != nil {
			return err
		}
	}
	return refuse(CodeWrongStep, "%s", WrongStep(o.Status, o.Step, missing))
}

func (e *Engine) apply(ctx context.Context, rule Rule, cmd Command, o *ent.Order) (*ent.Order, error) {
	client := ent.FromContext(ctx)
	c := &Change{Order: o, Status: o.Status, Step: o.Step, Update: client.Order.UpdateOneID(o.ID)}
	if rule.Starts && slices.Contains(notStarted, o.Status) {
		c.Status = order.StatusIN_SETUP
	}
	if cmd.Run != nil {
		if err := cmd.Run(ctx, c); err != nil {
			return nil, err
		}
	}
	if c.Noop {
		return o, nil
	}
	if !rule.Leads(o.Status, o.Step, c.Status, c.Step) {
		return nil, fmt.Errorf("lifecycle: %s may not lead from %s/%s to %s/%s", rule.Action, o.Status, o.Step, c.Status, c.Step)
	}
	if c.Status == order.StatusCANCELLED && o.Status != order.StatusCANCELLED {
		c.Update.SetCancelledAt(e.Now())
	}
	saved, err := c.Update.SetStatus(c.Status).SetStep(c.Step).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.entered(ctx, o.Status, saved); err != nil {
		return nil, err
	}
	if rule.Notice != "" && e.Notify != nil {
		if err := e.Notify(ctx, rule.Notice, o.Status, saved, c); err != nil {
			return nil, err
		}
	}
	changes := map[string]any{}
	maps.Copy(changes, cmd.Changes)
	maps.Copy(changes, c.Audit)
	if saved.Step != o.Step {
		changes["step"] = saved.Step
	}
	if saved.Status != o.Status {
		changes["status"] = saved.Status
	}
	if err := audit.Record(ctx, client, o.ID, rule.Audit, changes); err != nil {
		return nil, err
	}
	if typ := eventOf(rule, o.Status, saved); typ != "" {
		if err := e.Emit(ctx, saved, typ); err != nil {
			return nil, err
		}
	}
	if e.Events != nil {
		e.Events.Changed(ctx, events.Change{OrderID: saved.ID, Status: saved.Status, Step: saved.Step, DraftID: c.DraftID, At: e.Now()})
	}
	return saved, nil
}

// entered does what entering a status implies, whoever the action: a
// cancelled order's links and queued messages are cancelled (its pending
// jobs then find nothing to do); an open escalation closes when setup
// starts, the order is provisioned or cancelled.
func (e *Engine) entered(ctx context.Context, was order.Status, o *ent.Order) error {
	if o.Status == was {
		return nil
	}
	client := ent.FromContext(ctx)
	sys := store.System(ctx)
	if o.Status == order.StatusCANCELLED {
		cancelled, err := auth.LinkRevocations(ctx, client, o.ID)
		if err != nil {
			return err
		}
		if e.Events != nil {
			// Sockets opened with the order's links close on every replica.
			e.Events.Revoke(ctx, cancelled)
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
	}
	var why string
	switch {
	case o.Status == order.StatusCANCELLED:
		why = "cancelled"
	case o.Status == order.StatusPROVISIONED:
		why = "provisioned"
	case slices.Contains(notStarted, was) && !slices.Contains(notStarted, o.Status):
		why = "setup started"
	default:
		return nil
	}
	return e.closeEscalation(ctx, o.ID, why)
}

// closeEscalation resolves the order's open escalation, if any, saying why.
func (e *Engine) closeEscalation(ctx context.Context, id gid.ID, why string) error {
	client := ent.FromContext(ctx)
	esc, err := client.Escalation.Query().
		Where(escalation.OrderID(id), escalation.ResolvedAtIsNil()).Only(store.System(ctx))
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := client.Escalation.UpdateOne(esc).
		SetResolvedAt(e.Now()).SetResolvedBy(ResolvedBySystem + why).
		Exec(store.System(ctx)); err != nil {
		return err
	}
	return audit.Record(ctx, client, id, "ESCALATION_RESOLVED", map[string]any{"escalation": esc.ID, "resolvedBy": ResolvedBySystem + why})
}

// ResolvedBySystem starts the resolvedBy of an escalation that closed by
// itself; the reason follows.
const ResolvedBySystem = "onramp: "

// lock is Lock, but on SQLite a read: its write transactions begin
// IMMEDIATE (internal/store), so the transaction already holds the
// database's one write lock, and no other writer can change the order
// until it ends. One statement less in every call.
func (e *Engine) lock(ctx context.Context, id gid.ID) (*ent.Order, error) {
	if e.Store != nil && e.Store.Dialect == "sqlite3" {
		return ent.FromContext(ctx).Order.Get(ctx, id)
	}
	return Lock(ctx, id)
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
