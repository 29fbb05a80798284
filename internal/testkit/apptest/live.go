package apptest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"

	"onramp/internal/testkit"
)

// StatusEvent is one message of an orderStatusChanged subscription: a
// status and step, its completion, or what went wrong.
type StatusEvent struct {
	Status, Step string
	Complete     bool
	Err          error
}

func (e StatusEvent) String() string {
	switch {
	case e.Err != nil:
		return "error: " + e.Err.Error()
	case e.Complete:
		return "complete"
	}
	return e.Status + "/" + e.Step
}

// StatusSubscription follows one order's status.
const StatusSubscription = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step at order { id } } }`

// SubscribeStatus opens a websocket with token, subscribes to the order's
// status and returns what arrives, in order, until the socket ends.
func (s *Server) SubscribeStatus(t testing.TB, ctx context.Context, token, orderID string) (*websocket.Conn, <-chan StatusEvent) {
	t.Helper()
	client := testkit.Client{URL: s.URL}
	conn, in, err := client.Subscribe(ctx, token, StatusSubscription, map[string]any{"id": orderID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	events := make(chan StatusEvent, 256)
	go func() {
		defer close(events)
		for e := range in {
			var p struct {
				OrderStatusChanged struct {
					Status string `json:"status"`
					Step   string `json:"step"`
					Order  struct {
						ID string `json:"id"`
					} `json:"order"`
				} `json:"orderStatusChanged"`
			}
			var ev StatusEvent
			switch {
			case e.Complete:
				ev = StatusEvent{Complete: true}
			case e.Err != nil:
				ev = StatusEvent{Err: e.Err}
			default:
				if err := e.Decode(&p); err != nil {
					ev = StatusEvent{Err: err}
				} else if got := p.OrderStatusChanged; got.Order.ID != orderID {
					ev = StatusEvent{Err: fmt.Errorf("event of order %s, want %s", got.Order.ID, orderID)}
				} else {
					ev = StatusEvent{Status: got.Status, Step: got.Step}
				}
			}
			select {
			case events <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return conn, events
}

// NextEvent waits for the next event.
func NextEvent(t testing.TB, events <-chan StatusEvent, d time.Duration) StatusEvent {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the subscription ended")
		}
		return e
	case <-time.After(d):
		t.Fatalf("no event within %s", d)
	}
	return StatusEvent{}
}

// CollectStatuses gathers status events until one equals last.
func CollectStatuses(t testing.TB, events <-chan StatusEvent, last string, d time.Duration) []string {
	t.Helper()
	var got []string
	deadline := time.After(d)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the subscription ended after %v", got)
			}
			if e.Err != nil || e.Complete {
				t.Fatalf("after %v: %s", got, e)
			}
			got = append(got, e.String())
			if e.String() == last {
				return got
			}
		case <-deadline:
			t.Fatalf("no %s within %s; got %v", last, d, got)
		}
	}
}
