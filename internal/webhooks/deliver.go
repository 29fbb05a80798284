package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/event"
	"onramp/ent/schema/schematype"
	"onramp/ent/webhookdelivery"
	"onramp/ent/webhookendpoint"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// DeliverArgs delivers one event to one endpoint.
type DeliverArgs struct {
	EndpointID gid.ID `json:"endpoint_id"`
	EventID    gid.ID `json:"event_id"`
	// Redelivery: asked for by the owner; it does not wait for the order's
	// earlier events.
	Redelivery bool `json:"redelivery,omitempty"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

const (
	// Timeout bounds one attempt.
	Timeout = 10 * time.Second
	// FailingTimeout bounds one attempt to an endpoint that is failing:
	// a receiver that hangs holds a worker for less.
	FailingTimeout = 3 * time.Second
	// MaxInFlightPerEndpoint and MaxInFlightPerAccount bound the attempts
	// one endpoint and one partner account have under way at once in a
	// process: a slow or hanging receiver holds at most that share of the
	// delivery workers; its further jobs wait (snoozed) for their turn.
	MaxInFlightPerEndpoint = 2
	MaxInFlightPerAccount  = 4
	// RetryFor is how long an event is retried, and how long an endpoint
	// may fail before it is disabled.
	RetryFor = 72 * time.Hour
	// maxAttempts is River's bound; RetryFor ends the retries first.
	maxAttempts = 1000
	// maxBackoff caps the wait between attempts.
	maxBackoff = time.Hour
)

// Payload is what an endpoint receives: the event, its place in its
// order's sequence (1, 2, 3 …: a receiver tells a gap or a duplicate by
// it), and the whole state after the change, so that a receiver needs no
// call back.
type Payload struct {
	ID        gid.ID    `json:"id"`
	Type      string    `json:"type"`
	Sequence  int       `json:"sequence"`
	CreatedAt time.Time `json:"createdAt"`
	Data      struct {
		Order schematype.OrderSnapshot `json:"order"`
		// Subscription is null only on events recorded before it was told.
		Subscription *schematype.SubscriptionSnapshot `json:"subscription"`
	} `json:"data"`
}

// Body is the JSON an event is delivered as: the same bytes on every
// attempt.
func Body(ev *ent.Event) []byte {
	p := Payload{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt.UTC()}
	if ev.Sequence != nil {
		p.Sequence = *ev.Sequence
	}
	p.Data.Order = ev.Order
	p.Data.Subscription = ev.Subscription
	b, _ := json.Marshal(p) //nolint:errchkjson // a Payload (strings, a time, an order map read from JSON) always marshals
	return b
}

// DeliverWorker POSTs events to endpoints.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Store *store.Store
	Dev   bool
	Now   func() time.Time
	// Disabled runs, in its transaction, when an endpoint is disabled after
	// failing for RetryFor (its owner is told).
	Disabled func(ctx context.Context, ep *ent.WebhookEndpoint) error

	clientOnce sync.Once
	client     *http.Client

	fairMu     sync.Mutex
	byEndpoint map[gid.ID]int
	byAccount  map[string]int
}

// take reserves an in-flight slot for a delivery to ep, or reports that its
// endpoint or account has its share under way; give returns the slot.
func (w *DeliverWorker) take(ep *ent.WebhookEndpoint) bool {
	w.fairMu.Lock()
	defer w.fairMu.Unlock()
	if w.byEndpoint == nil {
		w.byEndpoint, w.byAccount = map[gid.ID]int{}, map[string]int{}
	}
	if w.byEndpoint[ep.ID] >= MaxInFlightPerEndpoint || w.byAccount[ep.PartnerAccountID] >= MaxInFlightPerAccount {
		return false
	}
	w.byEndpoint[ep.ID]++
	w.byAccount[ep.PartnerAccountID]++
	return true
}

func (w *DeliverWorker) give(ep *ent.WebhookEndpoint) {
	w.fairMu.Lock()
	defer w.fairMu.Unlock()
	if w.byEndpoint[ep.ID]--; w.byEndpoint[ep.ID] <= 0 {
		delete(w.byEndpoint, ep.ID)
	}
	if w.byAccount[ep.PartnerAccountID]--; w.byAccount[ep.PartnerAccountID] <= 0 {
		delete(w.byAccount, ep.PartnerAccountID)
	}
}

// NextRetry implements river.Worker: exponential from 10 s, capped at an
// hour, so a receiver that answers 500 for three days costs about 80
// attempts.
func (w *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	d := 10 * time.Second << min(max(job.Attempt-1, 0), 12)
	return w.Now().Add(min(d, maxBackoff))
}

// Work implements river.Worker.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	sys := store.System(ctx)
	client := w.Store.Client
	ep, err := client.WebhookEndpoint.Get(sys, job.Args.EndpointID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ep.DeletedAt != nil || ep.DisabledAt != nil {
		return nil // nothing more goes there
	}
	ev, err := client.Event.Get(sys, job.Args.EventID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	now := w.Now()
	if now.Sub(ev.CreatedAt) > RetryFor && !job.Args.Redelivery {
		return river.JobCancel(fmt.Errorf("event %s not delivered within %s", ev.ID, RetryFor))
	}
	if !job.Args.Redelivery {
		waiting, err := w.earlierPending(sys, ep, ev, now)
		if err != nil {
			return err
		}
		if waiting {
			// The order's earlier event goes first.
			return river.JobSnooze(2 * time.Second)
		}
	}
	if !w.take(ep) {
		// Its share of the workers is busy (a slow receiver): the worker
		// goes to someone else's delivery, this one comes back shortly.
		return river.JobSnooze(time.Second)
	}
	a := w.post(ctx, ep, ev, now)
	w.give(ep)
	// Recorded even when the job is being cancelled (a shutdown).
	if err := w.record(context.WithoutCancel(sys), ep, ev, job, a, now); err != nil {
		return err
	}
	return a.err
}

// earlierPending reports whether an earlier event of the same order that
// this endpoint wants is still undelivered (and still being retried).
func (w *DeliverWorker) earlierPending(ctx context.Context, ep *ent.WebhookEndpoint, ev *ent.Event, now time.Time) (bool, error) {
	// The endpoint's creation time is taken inside its insert's
	// transaction (Create), so an event stamped after it was queued for it.
	q := w.Store.Client.Event.Query().Where(
		event.OrderID(ev.OrderID), event.SequenceLT(seqOf(ev)),
		event.CreatedAtGTE(ep.CreatedAt), event.CreatedAtGT(now.Add(-RetryFor)))
	if len(ep.Events) > 0 {
		q.Where(event.TypeIn(ep.Events...))
	}
	earlier, err := q.IDs(ctx)
	if err != nil || len(earlier) == 0 {
		return false, err
	}
	delivered, err := w.Store.Client.WebhookDelivery.Query().Where(
		webhookdelivery.EndpointID(ep.ID), webhookdelivery.EventIDIn(earlier...),
		webhookdelivery.StatusEQ(webhookdelivery.StatusSUCCEEDED)).Count(ctx)
	if err != nil {
		return false, err
	}
	return delivered < len(earlier), nil
}

func seqOf(ev *ent.Event) int {
	if ev.Sequence == nil {
		return 0
	}
	return *ev.Sequence
}

// attempt is how one delivery attempt went.
type attempt struct {
	status webhookdelivery.Status
	code   *int
	err    error // nil when it succeeded
	took   time.Duration
}

// post makes one attempt.
func (w *DeliverWorker) post(ctx context.Context, ep *ent.WebhookEndpoint, ev *ent.Event, now time.Time) attempt {
	w.clientOnce.Do(func() { w.client = deliveryClient(w.Dev, Timeout) })
	body := Body(ev)
	secrets := []string{ep.Secret}
	for _, r := range retiredSecrets(ep, now) {
		secrets = append(secrets, r.Secret)
	}
	timeout := Timeout
	if ep.FailingSince != nil {
		timeout = FailingTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return attempt{status: webhookdelivery.StatusFAILED, err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Onramp-Webhooks/1")
	req.Header.Set(EventIDHeader, string(ev.ID))
	// The wall clock's time, whatever the test clock says: a receiver
	// checks t= against its own clock, which no test moves.
	req.Header.Set(SignatureHeader, Signature(secrets, time.Now().Unix(), body))
	start := time.Now()
	res, err := w.client.Do(req)
	took := time.Since(start)
	if err != nil {
		return attempt{status: webhookdelivery.StatusFAILED, err: err, took: took}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	code := res.StatusCode
	if code < 200 || code > 299 {
		return attempt{status: webhookdelivery.StatusFAILED, code: &code, err: fmt.Errorf("the endpoint answered %d", code), took: took}
	}
	return attempt{status: webhookdelivery.StatusSUCCEEDED, code: &code, took: took}
}

// record writes the attempt and the endpoint's health: a success ends a
// failing spell; a spell longer than RetryFor disables the endpoint.
func (w *DeliverWorker) record(ctx context.Context, ep *ent.WebhookEndpoint, ev *ent.Event, job *river.Job[DeliverArgs], a attempt, now time.Time) error {
	return w.Store.InTx(ctx, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		c := client.WebhookDelivery.Create().
			SetEndpointID(ep.ID).SetPartnerAccountID(ep.PartnerAccountID).
			SetEventID(ev.ID).SetEventType(ev.Type).SetAttempt(job.Attempt).SetRedelivery(job.Args.Redelivery).
			SetStatus(a.status).SetNillableStatusCode(a.code).SetAt(now).SetDurationMs(int(a.took.Milliseconds()))
		if a.err != nil {
			msg := a.err.Error()
			if errors.Is(a.err, errUnsafeAddress) {
				msg = "refused: " + errUnsafeAddress.Error()
			}
			c.SetError(truncate(msg, 500))
		}
		if err := c.Exec(ctx); err != nil {
			return err
		}
		upd := client.WebhookEndpoint.Update().Where(webhookendpoint.ID(ep.ID))
		switch {
		case a.status == webhookdelivery.StatusSUCCEEDED:
			return upd.ClearFailingSince().Exec(ctx)
		case ep.FailingSince == nil:
			return upd.SetFailingSince(now).Exec(ctx)
		case now.Sub(*ep.FailingSince) >= RetryFor:
			n, err := upd.Where(webhookendpoint.DisabledAtIsNil()).SetDisabledAt(now).Save(ctx)
			if err != nil || n == 0 || w.Disabled == nil {
				return err
			}
			return w.Disabled(ctx, ep)
		}
		return nil
	})
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
