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
	"onramp/ent/predicate"
	"onramp/ent/schema/schematype"
	"onramp/ent/webhookdelivery"
	"onramp/ent/webhookendpoint"
	"onramp/internal/gid"
	"onramp/internal/jobs"
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
	// Queue queues a fresh delivery when a worker that was delivering an
	// order's events one after the other must stop (nil: the waiting
	// deliveries' own jobs come back after waitSnooze).
	Queue *jobs.Queue

	clientOnce sync.Once
	client     *http.Client

	fairMu     sync.Mutex
	byEndpoint map[gid.ID]int
	byAccount  map[string]int
	// streams are the (endpoint, order) streams a worker of this process
	// holds; true when another delivery asked for one meanwhile.
	streams map[stream]bool
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
	if job.Args.Redelivery {
		// Asked for by the owner: it waits for nothing of its order.
		return w.deliver(sys, ep, ev, job.Attempt, true, now).err
	}
	key := stream{endpoint: ep.ID, order: ev.OrderID}
	if !w.enter(key) {
		// A worker of this process is delivering this order's events to
		// this endpoint: it delivers this one too before it leaves.
		return river.JobSnooze(waitSnooze)
	}
	return w.drain(sys, ep, ev, key)
}

// waitSnooze is how long a delivery waits for the order's earlier event
// when nobody wakes it: the worker that delivers the earlier one delivers
// it at once, so this is the safety net of a crash or of another replica.
const waitSnooze = 30 * time.Second

// slotWait is how long a delivery waits for a slot of its endpoint's or
// account's share before giving the worker back (snoozed): long enough
// for a fast receiver's attempt to end, short enough that a hanging
// receiver's deliveries do not hold workers.
const slotWait = 250 * time.Millisecond

// stream is one endpoint's deliveries of one order's events: one worker of
// a process delivers them at a time, in sequence order.
type stream struct {
	endpoint gid.ID
	order    gid.ID
}

// enter takes the stream, or marks it asked for (its holder looks again
// before leaving) and reports false.
func (w *DeliverWorker) enter(k stream) bool {
	w.fairMu.Lock()
	defer w.fairMu.Unlock()
	if w.streams == nil {
		w.streams = map[stream]bool{}
	}
	if _, busy := w.streams[k]; busy {
		w.streams[k] = true
		return false
	}
	w.streams[k] = false
	return true
}

// leave gives the stream back.
func (w *DeliverWorker) leave(k stream) {
	w.fairMu.Lock()
	defer w.fairMu.Unlock()
	delete(w.streams, k)
}

// leaveIfQuiet gives the stream back unless a delivery asked for it while
// it was held (its event may have committed after the holder looked): then
// it clears the mark and reports false, and the holder looks again.
func (w *DeliverWorker) leaveIfQuiet(k stream) bool {
	w.fairMu.Lock()
	defer w.fairMu.Unlock()
	if w.streams[k] {
		w.streams[k] = false
		return false
	}
	delete(w.streams, k)
	return true
}

// deliver makes one attempt within the endpoint's and account's shares
// and records it (even when ctx is being cancelled: a shutdown).
func (w *DeliverWorker) deliver(ctx context.Context, ep *ent.WebhookEndpoint, ev *ent.Event, attemptNo int, redelivery bool, now time.Time) attempt {
	if !w.takeWithin(ctx, ep, slotWait) {
		// Its share of the workers is busy (a slow receiver): the worker
		// goes to someone else's delivery, this one comes back shortly.
		return attempt{err: river.JobSnooze(time.Second)}
	}
	a := w.post(ctx, ep, ev, now)
	w.give(ep)
	if err := w.record(context.WithoutCancel(ctx), ep, ev, attemptNo, redelivery, a, now); err != nil {
		return attempt{err: err}
	}
	return a
}

// takeWithin is take, waiting up to d for a slot.
func (w *DeliverWorker) takeWithin(ctx context.Context, ep *ent.WebhookEndpoint, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if w.take(ep) {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// maxDrain bounds the events one job delivers.
const maxDrain = 100

// drain delivers, while it holds the stream, the order's events that the
// endpoint wants and has not received, in sequence order from the
// earliest, until none is left: own's (the job's event) among them. This
// is what keeps one order's deliveries both in order and fast: a job that
// runs before an earlier event's job delivers that one first, a later
// event's job that finds the stream busy is delivered by the holder, and
// the jobs whose events were delivered so find them delivered.
//
// An earlier event that was attempted and failed is left to its own retry
// (its job is scheduled with the backoff): own waits (snoozed) until that
// retry succeeds and drains the stream. own's own failure is the job's
// error (River retries it with the backoff); another event's failure
// queues a fresh delivery of it at its first retry's time.
func (w *DeliverWorker) drain(ctx context.Context, ep *ent.WebhookEndpoint, own *ent.Event, key stream) error {
	after := 0
	ownDone := false
	for range maxDrain {
		next, err := w.nextUndelivered(ctx, ep, own, after)
		if err != nil {
			w.leave(key)
			return err
		}
		if next == nil {
			if w.leaveIfQuiet(key) {
				return nil
			}
			continue // a delivery asked for the stream meanwhile: look again
		}
		attempts, err := w.Store.Client.WebhookDelivery.Query().Where(
			webhookdelivery.EndpointID(ep.ID), webhookdelivery.EventID(next.ID)).Count(ctx)
		if err != nil {
			w.leave(key)
			return err
		}
		if next.ID != own.ID && attempts > 0 {
			// Failed before: its own retry is scheduled and drains the
			// stream when it succeeds.
			w.leave(key)
			if ownDone {
				return nil
			}
			return river.JobSnooze(waitSnooze)
		}
		a := w.deliver(ctx, ep, next, attempts+1, false, w.Now())
		if a.err != nil {
			w.leave(key)
			if next.ID == own.ID {
				return a.err
			}
			at := w.Now()
			if a.status == webhookdelivery.StatusFAILED {
				at = at.Add(10 * time.Second)
			}
			w.requeue(ctx, ep, next, at)
			if ownDone {
				return nil
			}
			return river.JobSnooze(waitSnooze)
		}
		if next.ID == own.ID {
			ownDone = true
		}
		after = seqOf(next)
	}
	// maxDrain deliveries: the rest go through their own jobs.
	w.leave(key)
	if ownDone {
		return nil
	}
	return river.JobSnooze(time.Second)
}

// requeue queues a delivery of ev to ep at at, beside the event's own job
// (whichever runs first delivers it; the other finds it delivered).
func (w *DeliverWorker) requeue(ctx context.Context, ep *ent.WebhookEndpoint, ev *ent.Event, at time.Time) {
	if w.Queue == nil {
		return
	}
	_ = w.Store.InTx(context.WithoutCancel(ctx), func(ctx context.Context) error {
		return w.Queue.Enqueue(ctx, DeliverArgs{EndpointID: ep.ID, EventID: ev.ID},
			&river.InsertOpts{MaxAttempts: maxAttempts, Queue: jobs.WebhookQueue, ScheduledAt: at})
	})
}

// nextUndelivered is the order's first event after sequence after that
// the endpoint wants and has not received; nil when none. own, the job's
// event, was queued for the endpoint, so it counts whatever its time; the
// others count when the endpoint wants their type, they came after it
// (the endpoint's creation time is taken inside its insert's transaction,
// so an event stamped after it was queued for it), and they are still
// being retried.
func (w *DeliverWorker) nextUndelivered(ctx context.Context, ep *ent.WebhookEndpoint, own *ent.Event, after int) (*ent.Event, error) {
	wanted := []predicate.Event{event.CreatedAtGTE(ep.CreatedAt), event.CreatedAtGT(w.Now().Add(-RetryFor))}
	if len(ep.Events) > 0 {
		wanted = append(wanted, event.TypeIn(ep.Events...))
	}
	q := w.Store.Client.Event.Query().Where(
		event.OrderID(own.OrderID), event.SequenceGT(after),
		event.Or(event.ID(own.ID), event.And(wanted...)))
	evs, err := q.Order(ent.Asc(event.FieldSequence)).Limit(20).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		done, err := w.delivered(ctx, ep, ev)
		if err != nil {
			return nil, err
		}
		if !done {
			return ev, nil
		}
	}
	return nil, nil
}

// delivered reports whether ev reached ep already.
func (w *DeliverWorker) delivered(ctx context.Context, ep *ent.WebhookEndpoint, ev *ent.Event) (bool, error) {
	return w.Store.Client.WebhookDelivery.Query().Where(
		webhookdelivery.EndpointID(ep.ID), webhookdelivery.EventID(ev.ID),
		webhookdelivery.StatusEQ(webhookdelivery.StatusSUCCEEDED)).Exist(ctx)
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
func (w *DeliverWorker) record(ctx context.Context, ep *ent.WebhookEndpoint, ev *ent.Event, attemptNo int, redelivery bool, a attempt, now time.Time) error {
	return w.Store.InTx(ctx, func(ctx context.Context) error {
		client := ent.FromContext(ctx)
		c := client.WebhookDelivery.Create().
			SetEndpointID(ep.ID).SetPartnerAccountID(ep.PartnerAccountID).
			SetEventID(ev.ID).SetEventType(ev.Type).SetAttempt(attemptNo).SetRedelivery(redelivery).
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
