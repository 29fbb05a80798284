package lifecycle

import (
	"context"
	"slices"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/schema/schematype"
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

// Emit records an event of o in the transaction of ctx and hands it to
// OnEvent (the webhooks' deliveries, queued in the same transaction).
func (e *Engine) Emit(ctx context.Context, o *ent.Order, typ string) error {
	ev, err := ent.FromContext(ctx).Event.Create().
		SetType(typ).SetCreatedAt(e.Now()).
		SetOrderID(o.ID).SetPartnerAccountID(o.PartnerAccountID).SetExternalID(o.ExternalID).
		SetOrder(Snapshot(o)).
		Save(store.System(ctx))
	if err != nil || e.OnEvent == nil {
		return err
	}
	return e.OnEvent(ctx, ev)
}
