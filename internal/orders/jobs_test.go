package orders_test

import (
	"context"
	"testing"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/escalation"
	"onramp/ent/message"
	"onramp/ent/order"
	"onramp/ent/setuplink"
	"onramp/internal/gid"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/viewer"
)

// The order-life workers, each run as River runs it (Work with the job's
// arguments), twice where a retry must change nothing.

func placed(t *testing.T, s *orders.Service, externalID string) *ent.Order {
	t.Helper()
	o, err := s.Place(as(viewer.Integration, "P1"), input(externalID, "P1"))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func messages(t *testing.T, s *orders.Service, o *ent.Order, k message.Kind) []*ent.Message {
	t.Helper()
	ms, err := s.Store.Client.Message.Query().
		Where(message.OrderID(o.ID), message.KindEQ(k)).All(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func reread(t *testing.T, s *orders.Service, o *ent.Order) *ent.Order {
	t.Helper()
	o, err := s.Store.Client.Order.Get(store.System(context.Background()), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func sendSetupEmail(t *testing.T, s *orders.Service, o *ent.Order) {
	t.Helper()
	w := &orders.SetupEmailWorker{Orders: s}
	must(t, "setup email job", w.Work(context.Background(), &river.Job[orders.SetupEmailArgs]{Args: orders.SetupEmailArgs{OrderID: o.ID}}))
}

func TestSetupEmailWorkerSendsOneLinkAcrossRetries(t *testing.T) {
	s := service(t)
	o := placed(t, s, "J-1")
	sendSetupEmail(t, s, o)
	sendSetupEmail(t, s, o) // a retry after a crash past the commit
	ms := messages(t, s, o, message.KindSETUP_LINK)
	if len(ms) != 1 || ms[0].To != "setup@partner.example" {
		t.Fatalf("%d setup emails (%v), want one to the provisioning contact", len(ms), ms)
	}
	links, err := s.Store.Client.SetupLink.Query().Where(setuplink.OrderID(o.ID)).Count(store.System(context.Background()))
	must(t, "count links", err)
	if links != 1 {
		t.Errorf("%d setup links, want 1", links)
	}
}

func TestEscalateWorkerOpensOneEscalation(t *testing.T) {
	s := service(t)
	o := placed(t, s, "J-2")
	w := &orders.EscalateWorker{Orders: s}
	job := &river.Job[orders.EscalateArgs]{Args: orders.EscalateArgs{OrderID: o.ID}}
	must(t, "escalate", w.Work(context.Background(), job))
	must(t, "escalate again", w.Work(context.Background(), job))
	n, err := s.Store.Client.Escalation.Query().Where(escalation.OrderID(o.ID)).Count(store.System(context.Background()))
	must(t, "count escalations", err)
	if n != 1 {
		t.Fatalf("%d escalations, want 1", n)
	}

	// A cancelled order is not escalated: the table refuses, the job ends.
	c := placed(t, s, "J-3")
	_, err = s.Cancel(as(viewer.Integration, "P1"), c.ID, "no longer needed", nil)
	must(t, "cancel", err)
	must(t, "escalate a cancelled order", w.Work(context.Background(), &river.Job[orders.EscalateArgs]{Args: orders.EscalateArgs{OrderID: c.ID}}))
	n, err = s.Store.Client.Escalation.Query().Where(escalation.OrderID(c.ID)).Count(store.System(context.Background()))
	must(t, "count escalations", err)
	if n != 0 {
		t.Errorf("a cancelled order got %d escalations", n)
	}
}

func TestCloseWindowWorkerCancelsOnce(t *testing.T) {
	s := service(t)
	o := placed(t, s, "J-4")
	sendSetupEmail(t, s, o)
	w := &orders.CloseWindowWorker{Orders: s}
	job := &river.Job[orders.CloseWindowArgs]{Args: orders.CloseWindowArgs{OrderID: o.ID}}
	must(t, "close the window", w.Work(context.Background(), job))
	if got := reread(t, s, o).Status; got != order.StatusCANCELLED {
		t.Fatalf("status %s after the window closed, want CANCELLED", got)
	}
	must(t, "close it again", w.Work(context.Background(), job))
	if n := len(messages(t, s, o, message.KindWINDOW_CLOSED)); n != 1 {
		t.Errorf("%d window-closed notices, want 1", n)
	}
	// An order that is gone leaves the job nothing to do.
	gone := &river.Job[orders.CloseWindowArgs]{Args: orders.CloseWindowArgs{OrderID: gid.New(gid.Order)}}
	must(t, "close the window of no order", w.Work(context.Background(), gone))
}

func TestRemindLinkWorkerRemindsTheActiveLinkOnly(t *testing.T) {
	s := service(t)
	o := placed(t, s, "J-5")
	sendSetupEmail(t, s, o)
	ctx := store.System(context.Background())
	first, err := s.Store.Client.SetupLink.Query().Where(setuplink.OrderID(o.ID)).Only(ctx)
	must(t, "read the link", err)
	w := &orders.RemindLinkWorker{Orders: s}
	remind := func(link gid.ID) {
		t.Helper()
		must(t, "remind", w.Work(context.Background(), &river.Job[orders.RemindLinkArgs]{
			Args: orders.RemindLinkArgs{OrderID: o.ID, LinkID: link, Lead: "72h0m0s"}}))
	}
	remind(first.ID)
	if ms := messages(t, s, o, message.KindLINK_REMINDER); len(ms) != 1 || ms[0].To != first.Email {
		t.Fatalf("reminders %v, want one to %s", ms, first.Email)
	}
	// A resend replaces the link: the old link's reminder sends nothing.
	_, err = s.ResendSetupLink(as(viewer.Integration, "P1"), o.ID, nil, nil)
	must(t, "resend", err)
	remind(first.ID)
	if n := len(messages(t, s, o, message.KindLINK_REMINDER)); n != 1 {
		t.Errorf("%d reminders after the link was replaced, want still 1", n)
	}
}

func TestRemindWindowWorkerTellsOnlyWhoHasALink(t *testing.T) {
	s := service(t)
	o := placed(t, s, "J-6")
	w := &orders.RemindWindowWorker{Orders: s}
	job := &river.Job[orders.RemindWindowArgs]{Args: orders.RemindWindowArgs{OrderID: o.ID, Lead: "72h0m0s"}}
	must(t, "remind before any link", w.Work(context.Background(), job))
	if n := len(messages(t, s, o, message.KindWINDOW_REMINDER)); n != 0 {
		t.Fatalf("%d window reminders before anyone had a link, want none", n)
	}
	sendSetupEmail(t, s, o)
	must(t, "remind", w.Work(context.Background(), job))
	if ms := messages(t, s, o, message.KindWINDOW_REMINDER); len(ms) != 1 || ms[0].To != "setup@partner.example" {
		t.Errorf("window reminders %v, want one to the provisioning contact", ms)
	}
}
