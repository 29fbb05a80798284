package events_test

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"onramp/ent/order"
	"onramp/internal/events"
	"onramp/internal/gid"
	"onramp/internal/store/storetest"
)

// TestListenerCatchesUpAfterLosingItsConnection cuts the listener's
// connection (as a database restart does): while it is away, a change is
// committed that its NOTIFY never brings; after it reconnects, the
// subscriber gets the current state anyway, and later notifications flow
// again.
func TestListenerCatchesUpAfterLosingItsConnection(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hub := events.NewPostgresHub(db, slog.New(slog.DiscardHandler))
	const id = gid.ID("ord_replica")
	var committed atomic.Value // the order's state "in the database"
	committed.Store(order.StatusLINK_SENT)
	current := func(context.Context, []gid.ID) ([]events.Change, error) {
		return []events.Change{{OrderID: id, Status: committed.Load().(order.Status)}}, nil
	}
	sub, cancelSub := hub.Subscribe(id)
	defer cancelSub()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go hub.Listen(ctx, dbURL, current)
	waitFor(t, ctx, hub.Listening)
	expect(t, ctx, sub, order.StatusLINK_SENT) // the catch-up of the first connection

	hub.Changed(ctx, events.Change{OrderID: id, Status: order.StatusIN_SETUP})
	expect(t, ctx, sub, order.StatusIN_SETUP) // published here at once, not again through NOTIFY

	committed.Store(order.StatusCANCELLED)
	if _, err := db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, sub, order.StatusCANCELLED)
	waitFor(t, ctx, hub.Listening)

	// Another replica's change (NOTIFY only) arrives over the new connection.
	if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, events.Channel,
		`{"OrderID":"ord_replica","Status":"PROVISIONED","Step":"DONE"}`); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, sub, order.StatusPROVISIONED)
}

// TestOwnChangesArriveOnce: a replica publishes its own changes at once and
// skips their copies that come back through NOTIFY. Were the copies
// published, a subscriber would hear an order step back when a copy arrived
// after a later change (seen under load: ROLE, ASSIGNMENT, ROLE,
// ASSIGNMENT). Notifications arrive in the order sent, so another
// replica's change sent last arrives after any copy would have.
func TestOwnChangesArriveOnce(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hub := events.NewPostgresHub(db, slog.New(slog.DiscardHandler))
	const id = gid.ID("ord_once")
	current := func(context.Context, []gid.ID) ([]events.Change, error) { return nil, nil }
	sub, cancelSub := hub.Subscribe(id)
	defer cancelSub()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go hub.Listen(ctx, dbURL, current)
	waitFor(t, ctx, hub.Listening)

	hub.Changed(ctx, events.Change{OrderID: id, Status: order.StatusIN_SETUP, Step: order.StepROLE})
	hub.Changed(ctx, events.Change{OrderID: id, Status: order.StatusIN_SETUP, Step: order.StepASSIGNMENT})
	if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, events.Channel,
		`{"OrderID":"ord_once","Status":"ORGS_CONFIRMED","Step":"PASSWORD"}`); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, sub, order.StatusIN_SETUP)
	expect(t, ctx, sub, order.StatusIN_SETUP)
	expect(t, ctx, sub, order.StatusORGS_CONFIRMED)
}

func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatal("the listener never connected")
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func expect(t *testing.T, ctx context.Context, sub *events.Subscription, want order.Status) {
	t.Helper()
	select {
	case c := <-sub.C:
		if c.Status != want {
			t.Fatalf("got %s, want %s", c.Status, want)
		}
	case <-ctx.Done():
		t.Fatalf("no change arrived; want %s", want)
	}
}
