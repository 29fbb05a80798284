package lifecycle

import (
	"context"
	"slices"

	"onramp/ent"
	"onramp/ent/event"
	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/ent/subscription"
	"onramp/internal/store"
)

// The types of the events partners hear of (the events query, webhooks).
const (
	EventPlaced        = "order.placed"
	EventLinkSent      = "order.link_sent"
	EventSetupStarted  = "order.setup_started"
	EventOnHold        = "order.on_hold"
	EventHoldReleased  = "order.hold_released"
	EventOrgsConfirmed = "order.orgs_confirmed"
	EventProvisioned   = "order.provisioned"
	EventCancelled     = "order.cancelled"
	EventEscalated     = "order.escalated"
	// EventAccessApproved and the two after it are the customer's answers
	// to the partner's request to manage its organization.
	EventAccessApproved = "order.customer_access_approved"
	EventAccessDenied   = "order.customer_access_denied"
	EventAccessRevoked  = "order.customer_access_revoked"
)

// EventTypes lists every event type, in the order of an order's life.
var EventTypes = []string{EventPlaced, EventLinkSent, EventSetupStarted, EventOnHold, EventHoldReleased,
	EventOrgsConfirmed, EventProvisioned, EventCancelled, EventEscalated,
	EventAccessApproved, EventAccessDenied, EventAccessRevoked}

// entering names the event of entering a status.
var entering = map[order.Status]string{
	order.StatusLINK_SENT:      EventLinkSent,
	order.StatusON_HOLD:        EventOnHold,
	order.StatusORGS_CONFIRMED: EventOrgsConfirmed,
	order.StatusPROVISIONED:    EventProvisioned,
	order.StatusCANCELLED:      EventCancelled,
}

// eventOf is the event of a change: its row's own (a released hold, an
// escalation), else the status it entered; "" for a change partners do not
// hear of (a step within the same status).
func eventOf(r Rule, was order.Status, o *ent.Order) string {
	if r.Event != "" {
		return r.Event
	}
	if o.Status == was {
		return ""
	}
	if o.Status == order.StatusIN_SETUP && slices.Contains(notStarted, was) {
		return EventSetupStarted
	}
	return entering[o.Status]
}

// Snapshot is an order's public fields, as its events tell them.
func Snapshot(o *ent.Order) schematype.OrderSnapshot {
	return schematype.OrderSnapshot{
		ID:                 o.ID,
		ExternalID:         o.ExternalID,
		PartnerAccountID:   o.PartnerAccountID,
		Product:            string(o.Product),
		Status:             string(o.Status),
		Step:               string(o.Step),
		RequestedStartDate: string(o.RequestedStartDate),
		CustomerName:       o.CustomerName,
		CustomerCountry:    o.CustomerCountry,
		Language:           string(o.Language),
		UpdatedAt:          o.UpdatedAt,
	}
}

// SubscriptionSnapshot is a subscription's state, as its order's events
// tell it.
func SubscriptionSnapshot(s *ent.Subscription) *schematype.SubscriptionSnapshot {
	services := s.Services
	if services == nil {
		services = []schematype.PurchasedService{}
	}
	return &schematype.SubscriptionSnapshot{Status: string(s.Status), Services: services}
}

// Emit records an event of o in the transaction of ctx, numbered next in
// the order's sequence, with the order's and its subscription's state, and
// hands it to OnEvent (the webhooks' deliveries, queued in the same
// transaction). The caller holds the order's row lock (Apply) or has just
// created it (placing), so the order's events are numbered in commit
// order. After commit the feed's sequencer is poked (Recorded).
func (e *Engine) Emit(ctx context.Context, o *ent.Order, typ string) error {
	client := ent.FromContext(ctx)
	sys := store.System(ctx)
	last, err := client.Event.Query().Where(event.OrderID(o.ID), event.SequenceNotNil()).
		Order(ent.Desc(event.FieldSequence)).Select(event.FieldSequence).First(sys)
	seq := 1
	switch {
	case err == nil:
		seq = *last.Sequence + 1
	case !ent.IsNotFound(err):
		return err
	}
	c := client.Event.Create().
		SetType(typ).SetCreatedAt(e.Now()).SetSequence(seq).
		SetOrderID(o.ID).SetPartnerAccountID(o.PartnerAccountID).SetExternalID(o.ExternalID).
		SetOrder(Snapshot(o))
	sub, err := client.Subscription.Query().Where(subscription.OrderID(o.ID)).Only(sys)
	switch {
	case err == nil:
		c.SetSubscription(SubscriptionSnapshot(sub))
	case !ent.IsNotFound(err):
		return err
	}
	ev, err := c.Save(sys)
	if err != nil {
		return err
	}
	if e.Recorded != nil {
		store.AfterCommit(ctx, e.Recorded)
	}
	if e.OnEvent == nil {
		return nil
	}
	return e.OnEvent(ctx, ev)
}
