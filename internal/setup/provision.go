package setup

import (
	"context"
	"strings"
	"unicode/utf8"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/subscription"
	"onramp/internal/billing"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// ProvisionResult is what provision answers.
type ProvisionResult struct {
	Order        *ent.Order
	Subscription *ent.Subscription
}

// Provision activates the subscription and starts billing for every
// purchased service, once: the billing start is set by a conditional update
// that only one call can win; every call, repeated or concurrent, with or
// without an idempotency key, answers the same result.
func (s *Service) Provision(ctx context.Context, idempotencyKey *string, draftID *gid.ID) (*ProvisionResult, error) {
	changes := map[string]any{}
	if idempotencyKey != nil {
		if utf8.RuneCountInString(*idempotencyKey) > orders.KeyMax {
			return nil, validate.Fail(validate.CodeInvalid, "idempotencyKey", "An idempotency key may be at most %d characters.", orders.KeyMax)
		}
		changes["idempotencyKey"] = *idempotencyKey
	}
	call := Call{Action: lifecycle.Provision, Changes: changes, DraftID: draftID}
	_, err := s.run(ctx, call, func(ctx context.Context, st *state) error {
		if st.order.Status == order.StatusPROVISIONED {
			st.change.Noop = true
			return nil
		}
		missing, err := missingSettings(ctx, st.order)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			names := make([]string, len(missing))
			for i, k := range missing {
				names[i] = string(k)
			}
			return validate.Fail(CodeMissingSettings, "",
				"Save the settings of %s before provisioning.", strings.Join(names, " and "))
		}
		client := ent.FromContext(ctx)
		now := s.Orders.Now()
		n, err := client.Subscription.Update().
			Where(subscription.OrderID(st.order.ID), subscription.BillingStartedAtIsNil()).
			SetStatus(subscription.StatusACTIVE).SetActivatedAt(now).SetBillingStartedAt(now).
			Save(store.System(ctx))
		if err != nil {
			return err
		}
		if n == 0 { // billing started already: nothing more to do
			st.change.Noop = true
			return nil
		}
		if err := s.Orders.Queue.Enqueue(ctx, billing.StartArgs{OrderID: st.order.ID}, nil); err != nil {
			return err
		}
		if err := s.Orders.SendServicesActive(ctx, st.order, st.v.Email); err != nil {
			return err
		}
		st.change.Status = order.StatusPROVISIONED
		st.goTo(order.StepDONE)
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := viewer.FromContext(ctx)
	o, err := s.Store.Client.Order.Get(ctx, v.OrderID)
	if err != nil {
		return nil, err
	}
	sub, err := o.QuerySubscription().Only(ctx)
	if err != nil {
		return nil, err
	}
	return &ProvisionResult{Order: o, Subscription: sub}, nil
}
