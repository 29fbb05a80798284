package billing_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"onramp/ent/schema/schematype"
	"onramp/internal/app"
	"onramp/internal/billing"
	"onramp/internal/date"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/viewer"
)

func TestNoticeIsPostedWithTheOrderAsIdempotencyKeyUntilAccepted(t *testing.T) {
	cfg := app.Defaults()
	cfg.DataDir, cfg.DatabaseURL = storetest.Location(t)
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ctx := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.Operator, Subject: "test"})
	o, err := a.Orders.Place(ctx, orders.PlaceInput{
		ExternalID: "X-1", Product: "A_SPK", RequestedStartDate: date.Of(time.Now().UTC()),
		ProvisioningContactEmail: "a@b.example", Partner: orders.PartnerInput{Name: "P", AccountID: "P1"},
		Customer: orders.CustomerInput{Name: "C", Country: "RS", Address: schematype.Address{Line1: "a", City: "b", PostalCode: "1"}},
		Services: []schematype.PurchasedService{{Kind: schematype.Calling, Quantity: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	sys := store.System(context.Background())
	sub, err := o.QuerySubscription().Only(sys)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Update().SetBillingStartedAt(started).Exec(sys); err != nil {
		t.Fatal(err)
	}

	var (
		mu       sync.Mutex
		received []*http.Request
		bodies   []billing.Notice
		fail     = 2
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var n billing.Notice
		_ = json.NewDecoder(r.Body).Decode(&n)
		received, bodies = append(received, r), append(bodies, n)
		if fail > 0 {
			fail--
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	w := &billing.StartWorker{Store: a.Store, URL: srv.URL}
	job := &river.Job[billing.StartArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: billing.StartArgs{OrderID: o.ID}}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := w.Work(context.Background(), job); err == nil {
			t.Fatalf("attempt %d: a refused notice counted as delivered", attempt)
		}
	}
	if err := w.Work(context.Background(), job); err != nil {
		t.Fatalf("accepted notice: %v", err)
	}
	// Run again, as River does when the process died before it recorded
	// the job done: the accepted notice is not posted again.
	if err := w.Work(context.Background(), job); err != nil {
		t.Fatalf("the job run again: %v", err)
	}
	if len(received) != 3 {
		t.Fatalf("%d posts, want 3 (two refused, one accepted, none after it)", len(received))
	}
	for i, r := range received {
		if r.Header.Get("Idempotency-Key") != string(o.ID) {
			t.Fatalf("post %d: Idempotency-Key %q, want %q", i, r.Header.Get("Idempotency-Key"), o.ID)
		}
		if b := bodies[i]; b.OrderID != o.ID || b.ExternalID != "X-1" || !b.BillingStartedAt.Equal(started) {
			t.Fatalf("post %d: body %+v", i, b)
		}
	}
	if next := w.NextRetry(job); next.Before(time.Now()) || next.After(time.Now().Add(5*time.Minute+time.Second)) {
		t.Fatalf("next retry %v not within five minutes", next)
	}

	// With no webhook configured there is nothing to tell, and nothing fails.
	if err := (&billing.StartWorker{Store: a.Store}).Work(context.Background(), job); err != nil {
		t.Fatal(err)
	}
}
