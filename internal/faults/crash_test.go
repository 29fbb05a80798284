package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onramp/ent"
	"onramp/ent/message"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/subscription"
	"onramp/internal/gid"
	"onramp/internal/mail/smtptest"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// flow is one order of the load and what the server acknowledged for it.
type flow struct {
	name, orderID, link string
	acked               progress // the last answer the server gave
	steps               int      // acknowledged wizard calls
}

// TestKillDuringWizardLoad kills the server with SIGKILL while six clients
// place orders that start today and walk their wizards, then starts it
// again on the same database. Every step the server acknowledged is still
// there, every setup finishes from where it stood, no organization is half
// written, and every email of the outbox reaches the SMTP server under its
// one Message-ID; every provisioned order is billed from its one billing
// start.
func TestKillDuringWizardLoad(t *testing.T) {
	dataDir, dbURL := storetest.Location(t)
	sink := smtptest.Start(t, "127.0.0.1:0")
	billing := startBillingSink(t)
	s := newServer(t, "onramp", dataDir, dbURL, "ONRAMP_SMTP_URL="+sink.URL(),
		"ONRAMP_BILLING_WEBHOOK_URL="+billing.url)
	s.start()
	op := s.operator()

	var (
		mu       sync.Mutex
		flows    []*flow
		failures []string
		killed   atomic.Bool
		acked    atomic.Int64
		seq      atomic.Int64
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fail := func(err error) {
		if killed.Load() {
			return // the server is gone: no answer is expected
		}
		mu.Lock()
		failures = append(failures, err.Error())
		mu.Unlock()
	}
	client := func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("kill%03d", seq.Add(1))
			contact := "contact@" + name + ".partner.example"
			id, err := s.place(op, orderInput("EXT-"+name, "acct-"+name, contact))
			if err != nil {
				fail(err)
				return
			}
			f := &flow{name: name, orderID: id, acked: progress{Status: "PLACED"}}
			mu.Lock()
			flows = append(flows, f)
			mu.Unlock()
			linkCtx, linkCancel := context.WithTimeout(ctx, 30*time.Second)
			link, err := setupLinkFor(linkCtx, sink, contact)
			linkCancel()
			if err != nil {
				fail(err)
				return
			}
			p, err := s.wizardSession(link)
			if err != nil {
				fail(err)
				return
			}
			mu.Lock()
			f.link, f.acked = link, p
			mu.Unlock()
			for p.Status != "PROVISIONED" {
				if p, err = s.wizardStep(link, p, name); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				f.acked = p
				f.steps++
				mu.Unlock()
				acked.Add(1)
			}
		}
	}
	const clients = 6
	for range clients {
		wg.Add(1)
		go client()
	}
	testkit.Eventually(t, "60 acknowledged wizard steps", 90*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return acked.Load() >= 60 || len(failures) > 0, fmt.Sprintf("%d steps", acked.Load())
	})
	killed.Store(true)
	s.kill()
	close(stop)
	cancel()
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("before the kill, the load failed: %s", strings.Join(failures, "\n"))
	}
	t.Logf("killed after %d acknowledged steps of %d orders", acked.Load(), len(flows))

	s.start()

	// Every acknowledged step is still there.
	for _, f := range flows {
		if f.link == "" {
			continue // its email had not come yet; checked with the mail below
		}
		now, err := s.wizardSession(f.link)
		if err != nil {
			t.Fatalf("%s after the restart: %v", f.name, err)
		}
		if now.rank() < f.acked.rank() {
			t.Errorf("%s: the server acknowledged %+v before the kill, and stands at %+v after it", f.name, f.acked, now)
		}
	}
	// Every setup finishes from where it stood, those whose email came
	// only after the restart included.
	for _, f := range flows {
		if f.link == "" {
			linkCtx, linkCancel := context.WithTimeout(context.Background(), 60*time.Second)
			link, err := setupLinkFor(linkCtx, sink, "contact@"+f.name+".partner.example")
			linkCancel()
			if err != nil {
				t.Fatalf("%s: %v", f.name, err)
			}
			f.link = link
		}
		if err := s.finishSetup(f.link, f.name); err != nil {
			t.Fatalf("%s: finishing its setup after the restart: %v", f.name, err)
		}
	}

	st, err := store.Open(context.Background(), dataDir, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkNothingHalfWritten(t, st.Client)
	checkMailSentOnce(t, st.Client, sink, hostOf(t, s.base))
	checkBilledOnce(t, st.Client, billing)
}

// billingSink is a billing system's webhook: it keeps every notice.
type billingSink struct {
	url     string
	mu      sync.Mutex
	notices []billingNotice
}

type billingNotice struct {
	key              string
	OrderID          string    `json:"orderId"`
	BillingStartedAt time.Time `json:"billingStartedAt"`
}

func startBillingSink(t *testing.T) *billingSink {
	b := &billingSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n billingNotice
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n.key = r.Header.Get("Idempotency-Key")
		b.mu.Lock()
		b.notices = append(b.notices, n)
		b.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	b.url = srv.URL
	return b
}

// checkBilledOnce waits until the billing system heard of every provisioned
// order, and checks that it heard of each under one idempotency key with
// the one billing start the order has: billing starts once.
func checkBilledOnce(t *testing.T, c *ent.Client, b *billingSink) {
	t.Helper()
	ctx := store.System(context.Background())
	provisioned, err := c.Order.Query().Where(order.StatusEQ(order.StatusPROVISIONED)).WithSubscription().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	heard := func() map[string][]billingNotice {
		b.mu.Lock()
		defer b.mu.Unlock()
		m := map[string][]billingNotice{}
		for _, n := range b.notices {
			m[n.OrderID] = append(m[n.OrderID], n)
		}
		return m
	}
	testkit.Eventually(t, "a billing notice for every provisioned order", 90*time.Second, func() (bool, string) {
		h := heard()
		return len(h) >= len(provisioned), fmt.Sprintf("%d of %d orders", len(h), len(provisioned))
	})
	h := heard()
	copies := 0
	for _, o := range provisioned {
		ns := h[string(o.ID)]
		started := o.Edges.Subscription.BillingStartedAt
		for _, n := range ns {
			if n.key != string(o.ID) || started == nil || !n.BillingStartedAt.Equal(*started) {
				t.Errorf("order %s: notice %+v, want key %s and the billing start %v", o.ID, n, o.ID, started)
			}
		}
		copies += len(ns) - 1
		delete(h, string(o.ID))
	}
	if len(h) > 0 {
		t.Errorf("billing notices for orders that are not provisioned: %v", h)
	}
	t.Logf("%d orders billed; %d repeated notices under the same idempotency key", len(provisioned), copies)
}

func hostOf(t *testing.T, base string) string {
	host, _, err := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return host
}

// checkNothingHalfWritten checks what every transaction leaves behind
// together: an organization has its users and its order; an order past the
// organizations step has both organizations; a provisioned order has an
// active, billed subscription.
func checkNothingHalfWritten(t *testing.T, c *ent.Client) {
	t.Helper()
	ctx := store.System(context.Background())
	none := func(what string) func([]gid.ID, error) {
		return func(ids []gid.ID, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) > 0 {
				t.Errorf("%d %s: %v", len(ids), what, ids)
			}
		}
	}
	none("organizations without users")(c.Organization.Query().Where(organization.Not(organization.HasUsers())).IDs(ctx))
	none("organizations of no order")(c.Organization.Query().Where(
		organization.Not(organization.HasPartnerOrders()), organization.Not(organization.HasCustomerOrders())).IDs(ctx))
	none("customer organizations no partner manages")(c.Organization.Query().Where(
		organization.KindEQ(organization.KindCUSTOMER), organization.Not(organization.HasManagers())).IDs(ctx))
	none("orders past the organizations without them")(c.Order.Query().Where(
		order.StatusIn(order.StatusORGS_CONFIRMED, order.StatusPROVISIONED),
		order.Or(order.Not(order.HasPartnerOrg()), order.Not(order.HasCustomerOrg()))).IDs(ctx))
	none("provisioned orders without an active, billed subscription")(c.Order.Query().Where(
		order.StatusEQ(order.StatusPROVISIONED),
		order.Not(order.HasSubscriptionWith(subscription.StatusEQ(subscription.StatusACTIVE), subscription.BillingStartedAtNotNil()))).IDs(ctx))
}

// checkMailSentOnce waits until the outbox has sent everything, then checks
// that the SMTP server got every message under its own Message-ID, and
// nothing else. A copy under the same Message-ID is possible only when the
// process died after the server accepted a message and before the outbox
// recorded it; the test logs how many there were.
func checkMailSentOnce(t *testing.T, c *ent.Client, sink *smtptest.Sink, host string) {
	t.Helper()
	ctx := store.System(context.Background())
	testkit.Eventually(t, "every message of the outbox sent", 90*time.Second, func() (bool, string) {
		n, err := c.Message.Query().Where(message.StatusNEQ(message.StatusSENT)).Count(ctx)
		return err == nil && n == 0, fmt.Sprintf("%d not sent, %v", n, err)
	})
	msgs, err := c.Message.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range sink.Messages() {
		r, err := decode(m)
		if err != nil {
			t.Fatalf("a message the SMTP server got does not parse: %v", err)
		}
		got[r.MessageID]++
	}
	copies := 0
	perOrder := map[string]int{}
	for _, m := range msgs {
		id := "<" + string(m.ID) + "@" + host + ">"
		switch n := got[id]; {
		case n == 0:
			t.Errorf("message %s (%s to %s) is marked sent, and the SMTP server never got it", m.ID, m.Kind, m.To)
		case n > 1:
			copies += n - 1
		}
		delete(got, id)
		if m.Kind == message.KindSETUP_LINK {
			perOrder[string(m.OrderID)]++
		}
	}
	var extra []string
	for id := range got {
		extra = append(extra, id)
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("the SMTP server got messages the outbox does not have: %v", extra)
	}
	orders, err := c.Order.Query().IDs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range orders {
		if n := perOrder[string(id)]; n != 1 {
			t.Errorf("order %s has %d setup emails, want 1", id, n)
		}
	}
	t.Logf("%d messages sent for %d orders; %d second copies under the same Message-ID", len(msgs), len(orders), copies)
}
