package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"onramp/internal/mail/smtptest"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
	"onramp/internal/webhooks"
)

// holdingReceiver is a partner's webhook endpoint that holds every request
// until it is released: deliveries stay in flight (or queued behind them)
// for as long as the test wants. It keeps every request it got, in arrival
// order, and whether it answered it.
type holdingReceiver struct {
	srv      *httptest.Server
	release  chan struct{}
	released sync.Once

	mu   sync.Mutex
	got  []arrival
	held int // requests being held now
}

type arrival struct {
	seq       int
	eventID   string
	signature string
	body      []byte
	// answered: the receiver answered 204 to a connected client. A request
	// whose client went away while held (killed, or its 10 s timeout) was
	// never answered.
	answered bool
}

func newHoldingReceiver(t *testing.T) *holdingReceiver {
	r := &holdingReceiver{release: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return // the client went away mid-body: not an arrival
		}
		r.mu.Lock()
		i := len(r.got)
		r.got = append(r.got, arrival{seq: i, eventID: req.Header.Get(webhooks.EventIDHeader),
			signature: req.Header.Get(webhooks.SignatureHeader), body: body})
		r.held++
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			r.held--
			r.mu.Unlock()
		}()
		select {
		case <-r.release:
		case <-req.Context().Done():
			return
		}
		w.WriteHeader(http.StatusNoContent)
		if req.Context().Err() == nil {
			r.mu.Lock()
			r.got[i].answered = true
			r.mu.Unlock()
		}
	}))
	t.Cleanup(r.srv.Close)
	t.Cleanup(r.open) // runs first: Close waits for the held handlers
	return r
}

// open answers every held and future request at once.
func (r *holdingReceiver) open() { r.released.Do(func() { close(r.release) }) }

func (r *holdingReceiver) snapshot() (got []arrival, held int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got), r.held
}

// feedEvent is one event of the events feed.
type feedEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	OrderID string `json:"orderId"`
}

// orderEvents reads the events feed of one order, oldest first.
func (s *server) orderEvents(token, orderID string) []feedEvent {
	s.t.Helper()
	var d struct {
		Events struct {
			Edges []struct{ Node feedEvent } `json:"edges"`
		} `json:"events"`
	}
	s.must(token, `query($order: ID) { events(first: 100, orderId: $order) { edges { node { id type orderId } } } }`,
		map[string]any{"order": orderID}, &d)
	out := make([]feedEvent, len(d.Events.Edges))
	for i, e := range d.Events.Edges {
		out[i] = e.Node
	}
	return out
}

// TestKillBetweenCommitAndWebhookDelivery kills the server with SIGKILL
// while an integration's webhook endpoint holds every delivery (some in
// flight, the rest queued behind them or snoozed behind their order's
// earlier event), starts it again on the same database and releases the
// endpoint. Every event of the feed reaches the endpoint at least once,
// under its own event id and with a signature that verifies, and for each
// order the first arrival of its events follows the feed's order.
func TestKillBetweenCommitAndWebhookDelivery(t *testing.T) {
	dataDir, dbURL := storetest.Location(t)
	sink := smtptest.Start(t, "127.0.0.1:0")
	rcv := newHoldingReceiver(t)
	// Dev mode lets the endpoint be a loopback http URL (the receiver in
	// this test); nothing else here depends on it.
	s := newServer(t, "onramp", dataDir, dbURL, "ONRAMP_SMTP_URL="+sink.URL(), "ONRAMP_DEV=true")
	s.start()
	integ := s.cli("token", "integration", "--partner", "P1", "--ttl", "2h")

	var created struct {
		CreateWebhookEndpoint struct {
			Endpoint   *struct{ ID string } `json:"endpoint"`
			Secret     *string              `json:"secret"`
			UserErrors []userError          `json:"userErrors"`
		} `json:"createWebhookEndpoint"`
	}
	s.must(integ, `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) {
		endpoint { id } secret userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"url": rcv.srv.URL + "/onramp"}}, &created)
	if c := created.CreateWebhookEndpoint; c.Endpoint == nil || c.Secret == nil || len(c.UserErrors) > 0 {
		t.Fatalf("createWebhookEndpoint: %+v", c)
	}
	secret := *created.CreateWebhookEndpoint.Secret

	// Four orders of P1, due today, each with a life of its own: one set up
	// to PROVISIONED (it creates P1's partner organization, the only one to
	// do so), one started and cancelled, one cancelled once its link went
	// out, one left at LINK_SENT.
	type placed struct{ name, id, contact, link string }
	orders := make([]*placed, 4)
	for i := range orders {
		name := fmt.Sprintf("hook%d", i)
		o := &placed{name: name, contact: "contact@" + name + ".partner.example"}
		id, err := s.place(integ, orderInput("EXT-"+name, "P1", o.contact))
		if err != nil {
			t.Fatal(err)
		}
		o.id = id
		orders[i] = o
	}
	for _, o := range orders {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		link, err := setupLinkFor(ctx, sink, o.contact)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		o.link = link
	}
	if err := s.finishSetup(orders[0].link, orders[0].name); err != nil {
		t.Fatalf("%s: %v", orders[0].name, err)
	}
	if _, err := s.wizardStep(orders[1].link, progress{Status: "LINK_SENT"}, orders[1].name); err != nil {
		t.Fatalf("%s: startSetup: %v", orders[1].name, err)
	}
	for _, o := range orders[1:3] {
		var res struct {
			CancelOrder struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"cancelOrder"`
		}
		s.must(integ, `mutation($id: ID!) { cancelOrder(orderId: $id) { userErrors { field message code } } }`,
			map[string]any{"id": o.id}, &res)
		if len(res.CancelOrder.UserErrors) > 0 {
			t.Fatalf("cancel %s: %+v", o.name, res.CancelOrder.UserErrors)
		}
	}

	// Every change is committed; their deliveries are held at the endpoint
	// or queued. Kill while at least one is in flight.
	testkit.Eventually(t, "a delivery in flight", 60*time.Second, func() (bool, string) {
		got, held := rcv.snapshot()
		return held > 0, fmt.Sprintf("%d arrived, %d held", len(got), held)
	})
	before, heldAtKill := rcv.snapshot()
	s.kill()
	t.Logf("killed with %d deliveries held at the endpoint (%d requests arrived, none answered)", heldAtKill, len(before))
	for _, a := range before {
		if a.answered {
			t.Fatalf("the endpoint answered %s before it was released", a.eventID)
		}
	}

	s.start()
	rcv.open()

	feed := map[string][]feedEvent{}
	var all []feedEvent
	for _, o := range orders {
		evs := s.orderEvents(integ, o.id)
		if len(evs) < 2 {
			t.Fatalf("%s: the feed has %v, want at least order.placed and order.link_sent", o.name, evs)
		}
		feed[o.id] = evs
		all = append(all, evs...)
	}
	// River retries the killed process's running deliveries once they have
	// run for --job-rescue-after (10 s here) and its rescuer looks (every
	// 30 s), then after the first retry's backoff; the order's later events
	// wait for them.
	testkit.Eventually(t, "every event of the feed accepted by the endpoint", 4*time.Minute, func() (bool, string) {
		got, _ := rcv.snapshot()
		accepted := map[string]bool{}
		for _, a := range got {
			if a.answered {
				accepted[a.eventID] = true
			}
		}
		var missing []string
		for _, e := range all {
			if !accepted[e.ID] {
				missing = append(missing, e.Type)
			}
		}
		return len(missing) == 0, fmt.Sprintf("%d of %d accepted; missing %v", len(all)-len(missing), len(all), missing)
	})

	got, _ := rcv.snapshot()
	known := map[string]feedEvent{}
	for _, e := range all {
		known[e.ID] = e
	}
	first := map[string]int{} // event id → its first arrival
	for _, a := range got {
		e, ok := known[a.eventID]
		if !ok {
			t.Errorf("arrival %d: Onramp-Event-Id %q is no event of the feed", a.seq, a.eventID)
			continue
		}
		if !webhooks.Verify(a.signature, secret, a.body) {
			t.Errorf("arrival %d (%s): the signature %q does not verify", a.seq, e.Type, a.signature)
		}
		var p webhooks.Payload
		if err := json.Unmarshal(a.body, &p); err != nil {
			t.Errorf("arrival %d: body %s: %v", a.seq, a.body, err)
			continue
		}
		if string(p.ID) != e.ID || p.Type != e.Type || string(p.Data.Order.ID) != e.OrderID {
			t.Errorf("arrival %d: body says %s %s of %s, the feed %s %s of %s", a.seq, p.ID, p.Type, p.Data.Order.ID, e.ID, e.Type, e.OrderID)
		}
		if _, seen := first[a.eventID]; !seen {
			first[a.eventID] = a.seq
		}
	}
	for _, o := range orders {
		evs := feed[o.id]
		var types []string
		for i, e := range evs {
			types = append(types, e.Type)
			if i > 0 && first[evs[i-1].ID] > first[e.ID] {
				t.Errorf("%s: %s first arrived (#%d) before the earlier %s (#%d)", o.name, e.Type, first[e.ID], evs[i-1].Type, first[evs[i-1].ID])
			}
		}
		t.Logf("%s: %s", o.name, strings.Join(types, ", "))
	}
	answered := 0
	for _, a := range got {
		if a.answered {
			answered++
		}
	}
	// A duplicate is a second accepted copy of an event: possible only when
	// a process dies after the endpoint answered and before the attempt was
	// recorded. Arrivals cut short (the kill, a 10 s timeout) are retried.
	t.Logf("%d events; %d arrivals: %d accepted (%d duplicates), %d cut short by the kill or a timeout and retried",
		len(all), len(got), answered, answered-len(all), len(got)-answered)
}
