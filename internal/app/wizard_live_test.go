package app_test

// Tests of live status over a websocket.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"onramp/internal/testkit"
)

// --- live status over a websocket -------------------------------------------------------------

type wizEvent struct {
	status, step string
	complete     bool
	err          error
}

func (e wizEvent) String() string {
	switch {
	case e.err != nil:
		return "error: " + e.err.Error()
	case e.complete:
		return "complete"
	}
	return e.status + "/" + e.step
}

const wizStatusSubscription = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step at order { id } } }`

// wizSubscribe opens a websocket with token, subscribes to the order's
// status and returns what arrives, in order, until the socket ends.
func wizSubscribe(t *testing.T, ctx context.Context, s *serving, token, orderID string) (*websocket.Conn, <-chan wizEvent) {
	t.Helper()
	client := testkit.Client{URL: s.base}
	conn, in, err := client.Subscribe(ctx, token, wizStatusSubscription, map[string]any{"id": orderID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	events := make(chan wizEvent, 256)
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
			var ev wizEvent
			switch {
			case e.Complete:
				ev = wizEvent{complete: true}
			case e.Err != nil:
				ev = wizEvent{err: e.Err}
			default:
				if err := e.Decode(&p); err != nil {
					ev = wizEvent{err: err}
				} else if got := p.OrderStatusChanged; got.Order.ID != orderID {
					ev = wizEvent{err: fmt.Errorf("event of order %s, want %s", got.Order.ID, orderID)}
				} else {
					ev = wizEvent{status: got.Status, step: got.Step}
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

// wizNext waits for the next event.
func wizNext(t *testing.T, events <-chan wizEvent, d time.Duration) wizEvent {
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
	return wizEvent{}
}

// wizCollect gathers status events until one equals last.
func wizCollect(t *testing.T, events <-chan wizEvent, last string, d time.Duration) []string {
	t.Helper()
	var got []string
	deadline := time.After(d)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the subscription ended after %v", got)
			}
			if e.err != nil || e.complete {
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

var wizStatusRank = map[string]int{"PLACED": 0, "LINK_SENT": 0, "IN_SETUP": 1, "ORGS_CONFIRMED": 2, "PROVISIONED": 3}

func TestWizardLiveStatusOverWebsocket(t *testing.T) {
	t.Parallel()
	c, s := wizServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := c.place(t, "WS-1", "P1", nil)
	link := c.link(t, id, "ana@p1.example")

	_, events := wizSubscribe(t, ctx, s, link, id)
	first := wizNext(t, events, 10*time.Second)
	if first.String() != "PLACED/ROLE" {
		t.Fatalf("first event %s, want the current state PLACED/ROLE", first)
	}

	// Out of scope: another partner's integration gets no event.
	t.Run("another partner's integration cannot watch", func(t *testing.T) {
		integ, err := s.app.Auth.IssueIntegration("P2", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, other := wizSubscribe(t, ctx, s, integ, id)
		e := wizNext(t, other, 10*time.Second)
		if e.err == nil {
			t.Fatalf("an out-of-scope subscriber received %s", e)
		}
		if strings.Contains(e.err.Error(), "orderStatusChanged\":{") {
			t.Errorf("an out-of-scope subscriber received data: %v", e.err)
		}
		if !strings.Contains(e.err.Error(), `"code":"NOT_FOUND"`) {
			t.Errorf("out-of-scope subscriber: %v, want a NOT_FOUND error (as for an order that does not exist)", e.err)
		}
	})

	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P1 Org"))
	c.must(t, link, "setCustomerAdmin", wizVars("email", "it@acme.example"))
	c.must(t, link, "confirmCustomerOrg", wizInput())
	c.must(t, link, "confirmOrgs", nil)

	// An operator who starts watching now gets the current state first.
	_, opEvents := wizSubscribe(t, ctx, s, c.op, id)
	if e := wizNext(t, opEvents, 10*time.Second); e.String() != "ORGS_CONFIRMED/PASSWORD" {
		t.Fatalf("operator's first event %s, want ORGS_CONFIRMED/PASSWORD", e)
	}

	// A refused call is rolled back and publishes nothing.
	c.refuse(t, link, id, "setPartnerPassword", wizVars("password", "short"), "WEAK_PASSWORD", "password")
	c.must(t, link, "setPartnerPassword", wizVars("password", wizPassword))
	c.must(t, link, "saveCallSettings", wizCallSettingsVars()) // SERVICES → SERVICES: no change to tell
	c.must(t, link, "saveEnterpriseSettings", wizVars("subdomain", "acme"))
	c.mustProvision(t, link, nil)

	got := append([]string{first.String()}, wizCollect(t, events, "PROVISIONED/DONE", 20*time.Second)...)
	want := []string{
		"PLACED/ROLE",
		"IN_SETUP/ROLE",
		"IN_SETUP/ASSIGNMENT",
		"IN_SETUP/PARTNER_ORG",
		"IN_SETUP/CUSTOMER_ADMIN",
		"IN_SETUP/CUSTOMER_ORG",
		"IN_SETUP/CONFIRM",
		"ORGS_CONFIRMED/PASSWORD",
		"ORGS_CONFIRMED/SERVICES",
		"ORGS_CONFIRMED/PROVISION",
		"PROVISIONED/DONE",
	}
	// The statuses never go back, and every step reached is seen.
	rank := -1
	for _, g := range got {
		st, _, _ := strings.Cut(g, "/")
		r, ok := wizStatusRank[st]
		if !ok || r < rank {
			t.Errorf("status %s out of order in %v", st, got)
		}
		rank = r
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("the subscriber never saw %s: %v", w, got)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n got %v\nwant %v", got, want)
	}

	opGot := wizCollect(t, opEvents, "PROVISIONED/DONE", 20*time.Second)
	if want := []string{"ORGS_CONFIRMED/SERVICES", "ORGS_CONFIRMED/PROVISION", "PROVISIONED/DONE"}; !slices.Equal(opGot, want) {
		t.Errorf("operator's events after the first:\n got %v\nwant %v", opGot, want)
	}
}

func TestWizardHandOffClosesTheOldLinksSocket(t *testing.T) {
	t.Parallel()
	c, s := wizServe(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := c.place(t, "WSC-1", "P1", nil)
	l1 := c.link(t, id, "ana@p1.example")
	c.must(t, l1, "startSetup", nil)
	c.must(t, l1, "chooseRole", wizVars("role", "PARTNER"))

	_, events := wizSubscribe(t, ctx, s, l1, id)
	if e := wizNext(t, events, 10*time.Second); e.String() != "IN_SETUP/ASSIGNMENT" {
		t.Fatalf("first event %s, want IN_SETUP/ASSIGNMENT", e)
	}
	p := c.wiz(t, l1, "assignSetup", wizInput("assignee", "COLLEAGUE", "email", "colleague@p1.example"))
	if wizStrings(p.HandedOffTo) != "colleague@p1.example" {
		t.Fatalf("assignSetup COLLEAGUE: %+v", p)
	}
	handedOff := time.Now()
	const bound = 5 * time.Second
	deadline := time.After(bound)
	for closed := false; !closed; {
		select {
		case e, ok := <-events:
			switch {
			case !ok:
				t.Fatal("the event stream ended without the socket's error")
			case e.complete:
				// The subscription may end before the socket closes.
			case e.err != nil:
				if st := websocket.CloseStatus(e.err); st == -1 {
					t.Fatalf("the socket ended without a close frame: %v", e.err)
				}
				closed = true
			default:
				t.Errorf("the replaced link's subscriber received %s after the hand-off", e)
			}
		case <-deadline:
			t.Fatalf("the old link's socket is still open %s after the hand-off", bound)
		}
	}
	t.Logf("socket closed %s after the hand-off", time.Since(handedOff).Round(time.Millisecond))

	// A new socket with the old link is refused at connection_init.
	conn := dialGraphQLWS(t, ctx, s, "")
	defer conn.CloseNow()
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + l1})
	if err := wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	var m wsMessage
	if err := wsjson.Read(ctx, conn, &m); websocket.CloseStatus(err) != 4403 {
		t.Fatalf("the replaced link's connection_init: %+v %v, want close 4403", m, err)
	}
}
