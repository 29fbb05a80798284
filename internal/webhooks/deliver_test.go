package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"onramp/ent"
	"onramp/ent/schema/schematype"
	"onramp/ent/webhookdelivery"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/webhooks"
)

// recorder is a real HTTP endpoint that records what it is sent and
// answers status.
type recorder struct {
	mu     sync.Mutex
	status int
	got    []recorded
}

type recorded struct {
	body      []byte
	signature string
	eventID   string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, recorded{body, req.Header.Get(webhooks.SignatureHeader), req.Header.Get(webhooks.EventIDHeader)})
	w.WriteHeader(r.status)
}

func (r *recorder) recorded() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.got...)
}

type fixture struct {
	st  *store.Store
	w   *webhooks.DeliverWorker
	rcv *recorder
	ep  *ent.WebhookEndpoint
	ev  *ent.Event
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := storetest.Open(t)
	rcv := &recorder{status: http.StatusNoContent}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	ctx := store.System(context.Background())
	// Dev mode lets the guard allow the loopback recorder.
	ep := st.Client.WebhookEndpoint.Create().SetPartnerAccountID("P1").SetURL(srv.URL + "/hooks").
		SetSecret("whsec_test").SaveX(ctx)
	now := time.Now() // after the endpoint's creation, as an event it hears of
	orderID := gid.New(gid.Order)
	ev := st.Client.Event.Create().SetType("order.placed").SetOrderID(orderID).SetPartnerAccountID("P1").
		SetExternalID("X-1").SetCreatedAt(now).SetSequence(1).
		SetOrder(schematype.OrderSnapshot{ID: orderID, ExternalID: "X-1", PartnerAccountID: "P1", Status: "PLACED"}).
		SaveX(ctx)
	// As the worker reads it (PostgreSQL keeps microseconds).
	ev = st.Client.Event.GetX(ctx, ev.ID)
	w := &webhooks.DeliverWorker{Store: st, Dev: true, Now: time.Now}
	return &fixture{st: st, w: w, rcv: rcv, ep: ep, ev: ev}
}

func (f *fixture) deliver(t *testing.T, attempt int) error {
	t.Helper()
	job := &river.Job[webhooks.DeliverArgs]{
		JobRow: &rivertype.JobRow{Attempt: attempt},
		Args:   webhooks.DeliverArgs{EndpointID: f.ep.ID, EventID: f.ev.ID},
	}
	return f.w.Work(context.Background(), job)
}

func (f *fixture) deliveries(t *testing.T) []*ent.WebhookDelivery {
	t.Helper()
	ds, err := f.st.Client.WebhookDelivery.Query().Where(webhookdelivery.EndpointID(f.ep.ID)).
		Order(ent.Asc(webhookdelivery.FieldAttempt)).All(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// One attempt POSTs the event's body, signed with the endpoint's secret,
// and records a success.
func TestDeliverWorkerPostsTheSignedEvent(t *testing.T) {
	f := newFixture(t)
	if err := f.deliver(t, 1); err != nil {
		t.Fatalf("delivery: %v", err)
	}
	got := f.rcv.recorded()
	if len(got) != 1 {
		t.Fatalf("the recorder got %d requests, want 1", len(got))
	}
	if !bytes.Equal(got[0].body, webhooks.Body(f.ev)) {
		t.Errorf("body %s, want the event's %s", got[0].body, webhooks.Body(f.ev))
	}
	if !webhooks.Verify(got[0].signature, "whsec_test", got[0].body) {
		t.Errorf("signature %q does not verify with the endpoint's secret", got[0].signature)
	}
	if webhooks.Verify(got[0].signature, "whsec_other", got[0].body) {
		t.Error("the signature verifies with another secret too")
	}
	if got[0].eventID != string(f.ev.ID) {
		t.Errorf("event id header %q, want %s", got[0].eventID, f.ev.ID)
	}
	ds := f.deliveries(t)
	if len(ds) != 1 || ds[0].Status != webhookdelivery.StatusSUCCEEDED || ds[0].StatusCode == nil || *ds[0].StatusCode != http.StatusNoContent {
		t.Fatalf("recorded %+v, want one SUCCEEDED with 204", ds)
	}
}

// A recorder that fails makes the job fail (River retries it), recorded
// with its status; the endpoint is marked failing.
func TestDeliverWorkerFailsAndRecordsARefusal(t *testing.T) {
	f := newFixture(t)
	f.rcv.status = http.StatusInternalServerError
	if err := f.deliver(t, 1); err == nil {
		t.Fatal("a delivery answered 500 succeeded")
	}
	ds := f.deliveries(t)
	if len(ds) != 1 || ds[0].Status != webhookdelivery.StatusFAILED || ds[0].StatusCode == nil || *ds[0].StatusCode != 500 {
		t.Fatalf("recorded %+v, want one FAILED with 500", ds)
	}
	ep, err := f.st.Client.WebhookEndpoint.Get(store.System(context.Background()), f.ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ep.FailingSince == nil {
		t.Error("the endpoint is not marked failing after a failed delivery")
	}
	f.rcv.status = http.StatusOK
	if err := f.deliver(t, 2); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if ep, _ = f.st.Client.WebhookEndpoint.Get(store.System(context.Background()), f.ep.ID); ep.FailingSince != nil {
		t.Error("a success did not end the endpoint's failing spell")
	}
}

// A deleted endpoint, or an event that is gone, leaves the job nothing to
// do: no request, no error.
func TestDeliverWorkerSkipsWhatIsGone(t *testing.T) {
	f := newFixture(t)
	ctx := store.System(context.Background())
	f.st.Client.WebhookEndpoint.UpdateOne(f.ep).SetDeletedAt(time.Now()).ExecX(ctx)
	if err := f.deliver(t, 1); err != nil {
		t.Fatalf("delivery to a deleted endpoint: %v", err)
	}
	job := &river.Job[webhooks.DeliverArgs]{
		JobRow: &rivertype.JobRow{Attempt: 1},
		Args:   webhooks.DeliverArgs{EndpointID: gid.New(gid.Webhook), EventID: f.ev.ID},
	}
	if err := f.w.Work(context.Background(), job); err != nil {
		t.Fatalf("delivery to no endpoint: %v", err)
	}
	if n := len(f.rcv.recorded()); n != 0 {
		t.Errorf("the recorder got %d requests, want none", n)
	}
}

// Retries back off exponentially from 10 s, capped at an hour.
func TestDeliverWorkerBacksOff(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	w := &webhooks.DeliverWorker{Now: func() time.Time { return now }}
	for attempt, want := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 4: 80 * time.Second, 30: time.Hour} {
		job := &river.Job[webhooks.DeliverArgs]{JobRow: &rivertype.JobRow{Attempt: attempt}}
		if got := w.NextRetry(job).Sub(now); got != want {
			t.Errorf("attempt %d: next retry in %s, want %s", attempt, got, want)
		}
	}
}

// second records the order's next event after the fixture's.
func (f *fixture) second(t *testing.T) *ent.Event {
	t.Helper()
	ctx := store.System(context.Background())
	ev := f.st.Client.Event.Create().SetType("order.cancelled").SetOrderID(f.ev.OrderID).SetPartnerAccountID("P1").
		SetExternalID("X-1").SetCreatedAt(time.Now()).SetSequence(2).
		SetOrder(schematype.OrderSnapshot{ID: f.ev.OrderID, ExternalID: "X-1", PartnerAccountID: "P1", Status: "CANCELLED"}).
		SaveX(ctx)
	return f.st.Client.Event.GetX(ctx, ev.ID)
}

func (f *fixture) deliverEvent(t *testing.T, ev *ent.Event) error {
	t.Helper()
	job := &river.Job[webhooks.DeliverArgs]{
		JobRow: &rivertype.JobRow{Attempt: 1},
		Args:   webhooks.DeliverArgs{EndpointID: f.ep.ID, EventID: ev.ID},
	}
	return f.w.Work(context.Background(), job)
}

// A later event's job that runs before the earlier event's delivers the
// earlier one first, then its own, without waiting; the earlier event's
// job then finds it delivered and posts nothing.
func TestDeliverWorkerDeliversAnEarlierEventFirst(t *testing.T) {
	f := newFixture(t)
	later := f.second(t)
	if err := f.deliverEvent(t, later); err != nil {
		t.Fatalf("the later event's job: %v", err)
	}
	got := f.rcv.recorded()
	if len(got) != 2 || got[0].eventID != string(f.ev.ID) || got[1].eventID != string(later.ID) {
		t.Fatalf("the recorder got %d requests (%+v), want the earlier event then the later", len(got), got)
	}
	if err := f.deliver(t, 1); err != nil {
		t.Fatalf("the earlier event's own job: %v", err)
	}
	if n := len(f.rcv.recorded()); n != 2 {
		t.Fatalf("the earlier event's own job posted again: %d requests", n)
	}
}

// An earlier event that failed is left to its own retry (the backoff
// holds): the later event's job waits, posting nothing; once the retry
// succeeds it delivers the later one too.
func TestDeliverWorkerWaitsBehindAFailedEarlierEvent(t *testing.T) {
	f := newFixture(t)
	f.rcv.status = http.StatusInternalServerError
	if err := f.deliver(t, 1); err == nil {
		t.Fatal("a delivery answered 500 succeeded")
	}
	f.rcv.status = http.StatusNoContent
	later := f.second(t)
	err := f.deliverEvent(t, later)
	if _, ok := errors.AsType[*river.JobSnoozeError](err); !ok {
		t.Fatalf("the later event's job: %v, want it snoozed behind the failed one", err)
	}
	if n := len(f.rcv.recorded()); n != 1 {
		t.Fatalf("%d requests, want only the failed attempt", n)
	}
	if err := f.deliver(t, 2); err != nil {
		t.Fatalf("the earlier event's retry: %v", err)
	}
	got := f.rcv.recorded()
	if len(got) != 3 || got[1].eventID != string(f.ev.ID) || got[2].eventID != string(later.ID) {
		t.Fatalf("after the retry: %d requests (%+v), want the earlier event again, then the later", len(got), got)
	}
}
