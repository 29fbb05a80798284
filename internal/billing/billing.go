// Package billing tells the billing system that an order's billing started:
// a POST to its webhook, with the order id as idempotency key, retried until
// it is accepted.
package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/subscription"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// StartArgs is the job that sends the billing-start notice of an order.
type StartArgs struct {
	OrderID gid.ID `json:"order_id"`
}

// Kind implements river.JobArgs.
func (StartArgs) Kind() string { return "billing_start" }

// InsertOpts makes the notice unique per order and keeps retrying it for
// weeks: billing must hear of every start, once.
func (StartArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10_000, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Notice is the webhook's body.
type Notice struct {
	OrderID          gid.ID    `json:"orderId"`
	ExternalID       string    `json:"externalId"`
	PartnerAccountID string    `json:"partnerAccountId"`
	Product          string    `json:"product"`
	Services         any       `json:"services"`
	BillingStartedAt time.Time `json:"billingStartedAt"`
}

// StartWorker posts the notice.
type StartWorker struct {
	river.WorkerDefaults[StartArgs]
	Store *store.Store
	// URL is the billing webhook; empty: there is no billing system to tell.
	URL    string
	Client *http.Client
	Now    func() time.Time
}

// Work implements river.Worker.
func (w *StartWorker) Work(ctx context.Context, job *river.Job[StartArgs]) error {
	if w.URL == "" {
		return nil
	}
	sys := store.System(ctx)
	o, err := w.Store.Client.Order.Get(sys, job.Args.OrderID)
	if err != nil {
		return err
	}
	sub, err := o.QuerySubscription().Only(sys)
	if err != nil {
		return err
	}
	if sub.BillingStartedAt == nil {
		return river.JobCancel(fmt.Errorf("billing of order %s has not started", o.ID))
	}
	if sub.BillingNotifiedAt != nil {
		return nil // accepted before: River had not recorded this job done
	}
	if err := w.post(ctx, notice(o, sub)); err != nil {
		return err
	}
	// Only a crash between the billing system's answer and this update
	// sends the notice again (with the same Idempotency-Key); a cancelled
	// job (a shutdown) still records it.
	rec, cancel := context.WithTimeout(context.WithoutCancel(sys), 30*time.Second)
	defer cancel()
	return w.Store.Client.Subscription.Update().
		Where(subscription.ID(sub.ID), subscription.BillingNotifiedAtIsNil()).
		SetBillingNotifiedAt(w.now()).Exec(rec)
}

func notice(o *ent.Order, sub *ent.Subscription) Notice {
	return Notice{
		OrderID: o.ID, ExternalID: o.ExternalID, PartnerAccountID: o.PartnerAccountID,
		Product: string(o.Product), Services: sub.Services, BillingStartedAt: *sub.BillingStartedAt,
	}
}

func (w *StartWorker) post(ctx context.Context, n Notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", string(n.OrderID))
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("billing webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("billing webhook answered %s", resp.Status)
	}
	return nil
}

// NextRetry retries quickly at first, then every five minutes.
func (w *StartWorker) NextRetry(job *river.Job[StartArgs]) time.Time {
	return w.now().Add(time.Duration(math.Min(math.Pow(2, float64(job.Attempt)), 300)) * time.Second)
}

func (w *StartWorker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}
