// Package webhooks tells partner integrations what happened to their
// orders: endpoints a partner manages, each event POSTed to the endpoints
// that want it, signed, retried with backoff for three days, in order per
// order, every attempt recorded.
package webhooks

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/schema/schematype"
	"onramp/ent/webhookdelivery"
	"onramp/ent/webhookendpoint"
	"onramp/ent/webhookredelivery"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/jobs"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Service manages endpoints and queues deliveries.
type Service struct {
	Store *store.Store
	Queue *jobs.Queue
	// Dev allows http and addresses inside the network (local receivers).
	Dev bool
	Now func() time.Time
}

// Limits of what one partner account may ask for.
const (
	// MaxEndpoints is how many endpoints (deleted ones aside) an account
	// may have.
	MaxEndpoints = 10
	// MaxRedeliveries is how often one delivered event may be redelivered
	// to one endpoint.
	MaxRedeliveries = 5
	// MaxRedeliveriesPerHour is how many redeliveries an account may ask
	// for in an hour, over all its endpoints.
	MaxRedeliveriesPerHour = 60
	// MaxRetiredSecrets is how many retired secrets may sign beside the
	// current one: as many rotations within RotationOverlap.
	MaxRetiredSecrets = 5
)

// RedeliveryRetention is how long a redelivery is counted against its
// event's MaxRedeliveries.
const RedeliveryRetention = 30 * 24 * time.Hour

// PruneRedeliveries forgets the redeliveries older than
// RedeliveryRetention and answers how many.
func (s *Service) PruneRedeliveries(ctx context.Context) (int, error) {
	return s.Store.Client.WebhookRedelivery.Delete().
		Where(webhookredelivery.RequestedAtLT(s.Now().Add(-RedeliveryRetention))).
		Exec(store.System(ctx))
}

// Codes of the limits.
const (
	CodeTooManyEndpoints    = "TOO_MANY_ENDPOINTS"
	CodeTooManyRedeliveries = "TOO_MANY_REDELIVERIES"
	CodeTooManyRotations    = "TOO_MANY_ROTATIONS"
)

// RotationOverlap is how long the secret before a rotation keeps signing.
const RotationOverlap = 24 * time.Hour

// owner is the partner account whose endpoints the caller manages:
// integrations and partner sessions their own; operators the one they name.
func owner(ctx context.Context, account *string) (string, error) {
	v, err := auth.Require(ctx, viewer.Integration, viewer.Partner, viewer.Operator)
	if err != nil {
		return "", err
	}
	if v.Is(viewer.Operator) {
		if account == nil || strings.TrimSpace(*account) == "" {
			return "", validate.Fail(validate.CodeInvalid, "input.partnerAccountId", "Name the partner account whose endpoint this is.")
		}
		if !validate.Identifier(*account) {
			return "", validate.Fail(validate.CodeInvalid, "input.partnerAccountId", "Not a partner account id.")
		}
		return *account, nil
	}
	if account != nil && *account != v.PartnerAccountID {
		return "", auth.Forbidden("This token manages the endpoints of its own partner account only.")
	}
	return v.PartnerAccountID, nil
}

// CreateInput is createWebhookEndpoint's input.
type CreateInput struct {
	URL              string
	Events           []string
	PartnerAccountID *string
}

// Create adds an endpoint and returns it with its secret, shown this once.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.WebhookEndpoint, string, error) {
	account, err := owner(ctx, in.PartnerAccountID)
	if err != nil {
		return nil, "", err
	}
	var p validate.Problems
	url := strings.TrimSpace(in.URL)
	if msg := checkURL(url, s.Dev); msg != "" {
		p.Add(validate.CodeInvalid, "input.url", "%s", msg)
	}
	events := []string{}
	for i, e := range in.Events {
		if !slices.Contains(lifecycle.EventTypes, e) {
			p.Add(validate.CodeInvalid, "input.events."+strconv.Itoa(i), "Unknown event type %q: one of %s.", e, strings.Join(lifecycle.EventTypes, ", "))
		} else if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	if err := p.Err(); err != nil {
		return nil, "", err
	}
	secret := newSecret()
	var ep *ent.WebhookEndpoint
	// Stamped inside the transaction (on SQLite, under the one writer): an
	// event stamped after it commits after it and finds the endpoint,
	// which the deliveries' order per order relies on.
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		// Counted and created under the account's lock: concurrent creates
		// cannot pass the cap together.
		if err := s.Store.LockKey(ctx, "webhook-endpoints:"+account); err != nil {
			return err
		}
		n, err := ent.FromContext(ctx).WebhookEndpoint.Query().
			Where(webhookendpoint.PartnerAccountID(account), webhookendpoint.DeletedAtIsNil()).
			Count(store.System(ctx))
		if err != nil {
			return err
		}
		if n >= MaxEndpoints {
			return validate.Fail(CodeTooManyEndpoints, "",
				"This partner account has %d webhook endpoints, the most it may have: delete one first.", MaxEndpoints)
		}
		now := s.Now()
		ep, err = ent.FromContext(ctx).WebhookEndpoint.Create().
			SetPartnerAccountID(account).SetURL(url).SetEvents(events).SetSecret(secret).
			SetCreatedAt(now).SetUpdatedAt(now).
			Save(ctx)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return ep.Unwrap(), secret, nil
}

// endpoint reads an endpoint in the caller's scope.
func (s *Service) endpoint(ctx context.Context, id gid.ID) (*ent.WebhookEndpoint, error) {
	if _, err := auth.Require(ctx, viewer.Integration, viewer.Partner, viewer.Operator); err != nil {
		return nil, err
	}
	ep, err := s.Store.Client.WebhookEndpoint.Query().
		Where(webhookendpoint.ID(id), webhookendpoint.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, auth.NotFound("webhook endpoint")
	}
	return ep, err
}

// Endpoints lists the caller's endpoints, newest first.
func (s *Service) Endpoints(ctx context.Context) ([]*ent.WebhookEndpoint, error) {
	if _, err := auth.Require(ctx, viewer.Integration, viewer.Partner, viewer.Operator); err != nil {
		return nil, err
	}
	return s.Store.Client.WebhookEndpoint.Query().
		Where(webhookendpoint.DeletedAtIsNil()).
		Order(ent.Desc(webhookendpoint.FieldCreatedAt), ent.Desc(webhookendpoint.FieldID)).
		Limit(100).All(ctx)
}

// Delete removes an endpoint: nothing more is delivered to it.
func (s *Service) Delete(ctx context.Context, id gid.ID) (gid.ID, error) {
	ep, err := s.endpoint(ctx, id)
	if err != nil {
		return "", err
	}
	return ep.ID, s.Store.Client.WebhookEndpoint.UpdateOne(ep).SetDeletedAt(s.Now()).Exec(store.System(ctx))
}

// Rotate gives an endpoint a new secret, shown this once; the previous one
// keeps signing beside it for RotationOverlap.
func (s *Service) Rotate(ctx context.Context, id gid.ID) (*ent.WebhookEndpoint, string, error) {
	if _, err := s.endpoint(ctx, id); err != nil {
		return nil, "", err
	}
	secret := newSecret()
	var ep *ent.WebhookEndpoint
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		// Read and written under the endpoint's lock: two rotations at
		// once each retire the secret the other did not.
		if err := s.Store.LockKey(ctx, "webhook-endpoint:"+string(id)); err != nil {
			return err
		}
		client, sys, now := ent.FromContext(ctx), store.System(ctx), s.Now()
		cur, err := client.WebhookEndpoint.Get(sys, id)
		if err != nil {
			return err
		}
		retired := retiredSecrets(cur, now)
		if len(retired) >= MaxRetiredSecrets {
			return validate.Fail(CodeTooManyRotations, "",
				"This endpoint's secret was rotated %d times within %s; rotate again after %s, when the oldest retired secret stops signing.",
				MaxRetiredSecrets, RotationOverlap, retired[0].Until.UTC().Format(time.RFC3339))
		}
		retired = append(retired, schematype.RetiredSecret{Secret: cur.Secret, Until: now.Add(RotationOverlap)})
		ep, err = client.WebhookEndpoint.UpdateOne(cur).
			SetSecret(secret).SetRetiredSecrets(retired).ClearPreviousSecret().ClearPreviousSecretUntil().
			SetUpdatedAt(now).
			Save(sys)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return ep, secret, nil
}

// retiredSecrets lists the secrets rotations retired that still sign at
// now, oldest first (the one retired before the list existed included).
func retiredSecrets(ep *ent.WebhookEndpoint, now time.Time) []schematype.RetiredSecret {
	var out []schematype.RetiredSecret
	if ep.PreviousSecret != "" && ep.PreviousSecretUntil != nil && now.Before(*ep.PreviousSecretUntil) {
		out = append(out, schematype.RetiredSecret{Secret: ep.PreviousSecret, Until: *ep.PreviousSecretUntil})
	}
	for _, r := range ep.RetiredSecrets {
		if now.Before(r.Until) {
			out = append(out, r)
		}
	}
	return out
}

// Deliveries lists an endpoint's attempts, newest first.
func (s *Service) Deliveries(ctx context.Context, ep *ent.WebhookEndpoint, first int) ([]*ent.WebhookDelivery, error) {
	return s.Store.Client.WebhookDelivery.Query().
		Where(webhookdelivery.EndpointID(ep.ID)).
		Order(ent.Desc(webhookdelivery.FieldAt), ent.Desc(webhookdelivery.FieldID)).
		Limit(min(max(first, 1), 100)).All(ctx)
}

// Redeliver sends an attempt's event to its endpoint again.
func (s *Service) Redeliver(ctx context.Context, deliveryID gid.ID) (*ent.WebhookEndpoint, error) {
	if _, err := auth.Require(ctx, viewer.Integration, viewer.Partner, viewer.Operator); err != nil {
		return nil, err
	}
	d, err := s.Store.Client.WebhookDelivery.Get(ctx, deliveryID)
	if ent.IsNotFound(err) {
		return nil, auth.NotFound("webhook delivery")
	}
	if err != nil {
		return nil, err
	}
	ep, err := s.endpoint(ctx, d.EndpointID)
	if err != nil {
		return nil, err
	}
	if ep.DisabledAt != nil {
		return nil, validate.Fail("ENDPOINT_DISABLED", "", "This endpoint is disabled after three days of failures: create a new one.")
	}
	err = s.Store.InTx(ctx, func(ctx context.Context) error {
		// Counted and recorded under the account's lock, so that neither
		// aliases in one request nor parallel requests pass the limits.
		if err := s.Store.LockKey(ctx, "webhook-redeliveries:"+ep.PartnerAccountID); err != nil {
			return err
		}
		client, sys, now := ent.FromContext(ctx), store.System(ctx), s.Now()
		same, err := client.WebhookRedelivery.Query().
			Where(webhookredelivery.EndpointID(ep.ID), webhookredelivery.EventID(d.EventID)).Count(sys)
		if err != nil {
			return err
		}
		if same >= MaxRedeliveries {
			return validate.Fail(CodeTooManyRedeliveries, "deliveryId",
				"This event was redelivered to this endpoint %d times, the most it may be.", MaxRedeliveries)
		}
		recent, err := client.WebhookRedelivery.Query().
			Where(webhookredelivery.PartnerAccountID(ep.PartnerAccountID), webhookredelivery.RequestedAtGT(now.Add(-time.Hour))).
			Order(webhookredelivery.ByRequestedAt()).All(sys)
		if err != nil {
			return err
		}
		if len(recent) >= MaxRedeliveriesPerHour {
			wait := recent[len(recent)-MaxRedeliveriesPerHour].RequestedAt.Add(time.Hour).Sub(now)
			return validate.Fail(CodeTooManyRedeliveries, "",
				"This partner account asked for %d redeliveries within the hour, the most it may: try again in %d minutes.",
				MaxRedeliveriesPerHour, max(1, int(math.Ceil(wait.Minutes()))))
		}
		if err := client.WebhookRedelivery.Create().SetPartnerAccountID(ep.PartnerAccountID).
			SetEndpointID(ep.ID).SetEventID(d.EventID).SetRequestedAt(now).Exec(sys); err != nil {
			return err
		}
		return s.Queue.Enqueue(ctx, DeliverArgs{EndpointID: ep.ID, EventID: d.EventID, Redelivery: true}, &river.InsertOpts{Queue: jobs.WebhookQueue})
	})
	if err != nil {
		return nil, err
	}
	return ep, nil
}

// Enqueue queues the deliveries of an event, in its transaction, to every
// live endpoint of its partner account that wants it (lifecycle.OnEvent).
func (s *Service) Enqueue(ctx context.Context, ev *ent.Event) error {
	eps, err := ent.FromContext(ctx).WebhookEndpoint.Query().
		Where(webhookendpoint.PartnerAccountID(ev.PartnerAccountID),
			webhookendpoint.DeletedAtIsNil(), webhookendpoint.DisabledAtIsNil()).
		All(store.System(ctx))
	if err != nil {
		return err
	}
	for _, ep := range eps {
		if !wants(ep, ev.Type) {
			continue
		}
		if err := s.Queue.Enqueue(ctx, DeliverArgs{EndpointID: ep.ID, EventID: ev.ID}, &river.InsertOpts{MaxAttempts: maxAttempts, Queue: jobs.WebhookQueue}); err != nil {
			return err
		}
	}
	return nil
}

// wants reports whether an endpoint receives events of typ.
func wants(ep *ent.WebhookEndpoint, typ string) bool {
	return len(ep.Events) == 0 || slices.Contains(ep.Events, typ)
}
