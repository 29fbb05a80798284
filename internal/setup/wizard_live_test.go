package setup_test

// Tests of live status over a websocket.

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"onramp/internal/testkit/apptest"
)

var wizStatusRank = map[string]int{"PLACED": 0, "LINK_SENT": 0, "IN_SETUP": 1, "ORGS_CONFIRMED": 2, "PROVISIONED": 3}

func TestWizardLiveStatusOverWebsocket(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{})
	s := c
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id := c.NewOrder(t, "WS-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")

	_, events := s.SubscribeStatus(t, ctx, link, id)
	first := apptest.NextEvent(t, events, 10*time.Second)
	if first.String() != "PLACED/ROLE" {
		t.Fatalf("first event %s, want the current state PLACED/ROLE", first)
	}

	// Out of scope: another partner's integration gets no event.
	t.Run("another partner's integration cannot watch", func(t *testing.T) {
		integ, err := s.App.Auth.IssueIntegration("P2", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		_, other := s.SubscribeStatus(t, ctx, integ, id)
		e := apptest.NextEvent(t, other, 10*time.Second)
		if e.Err == nil {
			t.Fatalf("an out-of-scope subscriber received %s", e)
		}
		if strings.Contains(e.Err.Error(), "orderStatusChanged\":{") {
			t.Errorf("an out-of-scope subscriber received data: %v", e.Err)
		}
		if !strings.Contains(e.Err.Error(), `"code":"NOT_FOUND"`) {
			t.Errorf("out-of-scope subscriber: %v, want a NOT_FOUND error (as for an order that does not exist)", e.Err)
		}
	})

	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars("P1 Org"))
	c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "it@acme.example"))
	c.Must(t, link, "confirmCustomerOrg", apptest.Input())
	c.Must(t, link, "confirmOrgs", nil)

	// An operator who starts watching now gets the current state first.
	_, opEvents := s.SubscribeStatus(t, ctx, c.Op, id)
	if e := apptest.NextEvent(t, opEvents, 10*time.Second); e.String() != "ORGS_CONFIRMED/PASSWORD" {
		t.Fatalf("operator's first event %s, want ORGS_CONFIRMED/PASSWORD", e)
	}

	// A refused call is rolled back and publishes nothing.
	c.Refuse(t, link, id, "setPartnerPassword", apptest.Vars("password", "short"), "WEAK_PASSWORD", "password")
	c.Must(t, link, "setPartnerPassword", apptest.Vars("password", apptest.Password))
	c.Must(t, link, "saveCallSettings", apptest.CallSettingsVars()) // SERVICES → SERVICES: no change to tell
	c.Must(t, link, "saveEnterpriseSettings", apptest.Vars("subdomain", "acme"))
	c.MustProvision(t, link, nil)

	got := append([]string{first.String()}, apptest.CollectStatuses(t, events, "PROVISIONED/DONE", 20*time.Second)...)
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

	opGot := apptest.CollectStatuses(t, opEvents, "PROVISIONED/DONE", 20*time.Second)
	if want := []string{"ORGS_CONFIRMED/SERVICES", "ORGS_CONFIRMED/PROVISION", "PROVISIONED/DONE"}; !slices.Equal(opGot, want) {
		t.Errorf("operator's events after the first:\n got %v\nwant %v", opGot, want)
	}
}

func TestWizardHandOffClosesTheOldLinksSocket(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{})
	s := c
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := c.NewOrder(t, "WSC-1", "P1", nil)
	l1 := c.Link(t, id, "ana@p1.example")
	c.Must(t, l1, "startSetup", nil)
	c.Must(t, l1, "chooseRole", apptest.Vars("role", "PARTNER"))

	_, events := s.SubscribeStatus(t, ctx, l1, id)
	if e := apptest.NextEvent(t, events, 10*time.Second); e.String() != "IN_SETUP/ASSIGNMENT" {
		t.Fatalf("first event %s, want IN_SETUP/ASSIGNMENT", e)
	}
	p := c.Wiz(t, l1, "assignSetup", apptest.Input("assignee", "COLLEAGUE", "email", "colleague@p1.example"))
	if apptest.Deref(p.HandedOffTo) != "colleague@p1.example" {
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
			case e.Complete:
				// The subscription may end before the socket closes.
			case e.Err != nil:
				if st := websocket.CloseStatus(e.Err); st == -1 {
					t.Fatalf("the socket ended without a close frame: %v", e.Err)
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
	conn := s.DialWS(t, ctx, "")
	defer conn.CloseNow()
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + l1})
	if err := wsjson.Write(ctx, conn, apptest.WSMessage{Type: "connection_init", Payload: init}); err != nil {
		t.Fatal(err)
	}
	var m apptest.WSMessage
	if err := wsjson.Read(ctx, conn, &m); websocket.CloseStatus(err) != 4403 {
		t.Fatalf("the replaced link's connection_init: %+v %v, want close 4403", m, err)
	}
}
