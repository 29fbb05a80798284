package orders_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"onramp/ent/message"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"
)

// order.link_sent is told when SMTP accepts a setup link's email, once per
// email, also when the link was opened before (the order is then in setup
// and stays there) and for a resend's new link.
func TestLinkSentIsToldOncePerEmailEvenAfterTheLinkWasOpened(t *testing.T) {
	s := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := s.NewOrder(t, "LS-1", "P1", nil)
	link := s.Link(t, id, "ana@p1.example")
	s.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER")) // opened: IN_SETUP

	ctx := store.System(context.Background())
	delivered := func(to string) {
		t.Helper()
		m, err := s.App.Store.Client.Message.Create().SetKind(message.KindSETUP_LINK).SetTo(to).
			SetSubject("Set up now").SetTextBody("…").SetHTMLBody("…").SetOrderID(gid.ID(id)).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.App.Store.InTx(ctx, func(ctx context.Context) error { return s.App.Orders.Delivered(ctx, m) }); err != nil {
			t.Fatalf("delivered: %v", err)
		}
	}
	delivered("ana@p1.example")
	delivered("bob@p1.example") // a resend's email to another address

	type ev struct {
		Type     string `json:"type"`
		Sequence int    `json:"sequence"`
		Order    struct {
			Status string `json:"status"`
		} `json:"order"`
	}
	var evs []ev
	testkit.Eventually(t, "the events numbered in the feed", 10*time.Second, func() (bool, string) {
		var page struct {
			Events struct {
				Edges []struct{ Node ev } `json:"edges"`
			} `json:"events"`
		}
		s.GQL(t, s.Op, `query($id: ID) { events(orderId: $id) { edges { node { type sequence order { status } } } } }`,
			map[string]any{"id": id}).OK(t).Decode(t, &page)
		evs = evs[:0]
		for _, e := range page.Events.Edges {
			evs = append(evs, e.Node)
		}
		return len(evs) == 4, fmt.Sprintf("%+v", evs)
	})
	want := []string{lifecycle.EventPlaced, lifecycle.EventSetupStarted, lifecycle.EventLinkSent, lifecycle.EventLinkSent}
	for i, e := range evs {
		if e.Type != want[i] || e.Sequence != i+1 {
			t.Errorf("event %d: %s (sequence %d), want %s (%d)", i, e.Type, e.Sequence, want[i], i+1)
		}
		if i > 0 && e.Order.Status != "IN_SETUP" {
			t.Errorf("event %d: the order is %s, want it still IN_SETUP", i, e.Order.Status)
		}
	}
}
