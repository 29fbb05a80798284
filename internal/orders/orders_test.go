package orders_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"onramp/ent/schema/schematype"
	"onramp/internal/app"
	"onramp/internal/auth"
	"onramp/internal/clock"
	"onramp/internal/date"
	"onramp/internal/orders"
	"onramp/internal/store/storetest"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

var today = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// service is the orders service of a full instance (jobs not started) on a
// fresh database, at a fixed time.
func service(t *testing.T) *orders.Service {
	t.Helper()
	s, _ := serviceWithClock(t)
	return s
}

// serviceWithClock is service with the stub clock it runs on.
func serviceWithClock(t *testing.T) (*orders.Service, *clock.Stub) {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir, cfg.DatabaseURL = storetest.Location(t)
	clk := clock.NewStub(today)
	cfg.Clock = clk
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a.Orders, clk
}

func as(kind viewer.Kind, account string) context.Context {
	return viewer.NewContext(context.Background(), &viewer.Viewer{Kind: kind, Subject: "test", PartnerAccountID: account})
}

func input(externalID, account string) orders.PlaceInput {
	return orders.PlaceInput{
		ExternalID:               externalID,
		Product:                  "A_WX",
		RequestedStartDate:       date.Date("2026-11-30"),
		ProvisioningContactEmail: " Setup@Partner.Example ",
		Partner:                  orders.PartnerInput{Name: "Partner", AccountID: account},
		Customer: orders.CustomerInput{Name: "Acme", Country: "rs",
			Address: schematype.Address{Line1: "Main 1", City: "Beograd", PostalCode: "11000"}},
		Services: []schematype.PurchasedService{{Kind: schematype.Meetings, Quantity: 10}},
	}
}

func TestPlaceNormalizesAndCreatesSubscription(t *testing.T) {
	s := service(t)
	ctx := as(viewer.Integration, "P1")
	o, err := s.Place(ctx, input("X-1", "P1"))
	if err != nil {
		t.Fatal(err)
	}
	if o.ProvisioningContactEmail != "setup@partner.example" || o.CustomerCountry != "RS" || o.Language != "en" || o.Status != "PLACED" {
		t.Fatalf("not normalized: %+v", o)
	}
	sub, err := o.QuerySubscription().Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sub.Services) != 1 || sub.Services[0].Quantity != 10 || sub.Status != "PENDING" || sub.BillingStartedAt != nil {
		t.Fatalf("subscription: %+v", sub)
	}
	events, err := s.Store.Client.AuditEvent.Query().All(as(viewer.Operator, ""))
	if err != nil || len(events) != 1 || events[0].Action != "ORDER_PLACED" || events[0].ActorKind != "INTEGRATION" {
		t.Fatalf("audit trail: %v %+v", err, events)
	}
}

func TestPlaceRefusesOtherPartnerAccountsAndOtherKinds(t *testing.T) {
	s := service(t)
	for _, tc := range []struct {
		name string
		ctx  context.Context
		code string
	}{
		{"integration for another account", as(viewer.Integration, "P2"), auth.CodeForbidden},
		{"setup link", as(viewer.SetupLink, ""), auth.CodeForbidden},
		{"partner session", as(viewer.Partner, "P1"), auth.CodeForbidden},
		{"no caller", context.Background(), auth.CodeUnauthenticated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Place(tc.ctx, input("X-1", "P1"))
			var ae *auth.Error
			if !errors.As(err, &ae) || ae.Code != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	if n := s.Store.Client.Order.Query().CountX(as(viewer.Operator, "")); n != 0 {
		t.Fatalf("%d orders stored by refused calls", n)
	}
}

// TestConcurrentReplaysPlaceOnce fires the same order many times at once:
// one order is stored and every call gets it back.
func TestConcurrentReplaysPlaceOnce(t *testing.T) {
	s := service(t)
	ctx := as(viewer.Integration, "P1")
	const n = 20
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			o, err := s.Place(ctx, input("X-1", "P1"))
			if err != nil {
				t.Error(err)
				return
			}
			ids <- string(o.ID)
		})
	}
	wg.Wait()
	close(ids)
	first := ""
	for id := range ids {
		if first == "" {
			first = id
		}
		if id != first {
			t.Fatalf("replays returned different orders: %s and %s", first, id)
		}
	}
	if c := s.Store.Client.Order.Query().CountX(as(viewer.Operator, "")); c != 1 {
		t.Fatalf("%d orders stored, want 1", c)
	}
	if c := s.Store.Client.Subscription.Query().CountX(as(viewer.Operator, "")); c != 1 {
		t.Fatalf("%d subscriptions stored, want 1", c)
	}
}

func TestConflictingReuseOfExternalID(t *testing.T) {
	s := service(t)
	ctx := as(viewer.Operator, "")
	if _, err := s.Place(ctx, input("X-1", "P1")); err != nil {
		t.Fatal(err)
	}
	changed := input("X-1", "P1")
	changed.Services[0].Quantity = 11
	_, err := s.Place(ctx, changed)
	var f *validate.Failure
	if !errors.As(err, &f) || f.Problems[0].Code != validate.CodeExternalIDConflict {
		t.Fatalf("err = %v, want EXTERNAL_ID_CONFLICT", err)
	}
	// The same external id under another partner account is another order.
	if _, err := s.Place(ctx, input("X-1", "P2")); err != nil {
		t.Fatalf("same external id, other account: %v", err)
	}
	if c := s.Store.Client.Order.Query().CountX(ctx); c != 2 {
		t.Fatalf("%d orders, want 2", c)
	}
}
