package orders_test

// Tests of the order's life over real HTTP with a real SMTP server: the setup
// email on the start date, its delivery across an SMTP outage and a restart,
// the escalation, cancellation, resends, the order window and the dev mail
// viewer. Time is a stub clock that also drives River's scheduling; the tests
// never sleep for a schedule, they move the clock and wait (bounded) for the
// outcome.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"onramp/ent/message"
	"onramp/ent/order"
	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/gid"
	"onramp/internal/mail/smtptest"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"
)

// --- the app under test -----------------------------------------------------------

// --- jobs ---------------------------------------------------------------------------

// exactlyOnce waits for every delivery of the order to finish, then checks
// that rcpt has exactly want messages and that no more arrive.
func exactlyOnce(t *testing.T, m *apptest.Server, sink *smtptest.Sink, orderID, rcpt string, want int) {
	t.Helper()
	apptest.WaitJobsFinished(t, "the deliveries of order "+orderID, 1, func() []*rivertype.JobRow {
		return apptest.DeliveryJobs(t, m.App, orderID)
	})
	apptest.Holds(t, fmt.Sprintf("exactly %d message(s) to %s", want, rcpt), apptest.QuietPeriod, func() (bool, string) {
		return len(sink.To(rcpt)) == want, sink.Summary()
	})
}

// --- 2. the setup email through SMTP ------------------------------------------------

func TestSetupEmailIsDeliveredBySMTPAndItsLinkWorks(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	m := apptest.StartAt(t, apptest.NewLocation(t), clock.NewStub(apptest.MailEpoch), func(c *app.Config) { c.SMTPURL = sink.URL() })

	// With SMTP configured, readiness does not warn about queued mail.
	if body := m.WaitReady(t); strings.Contains(body, "queued") {
		t.Errorf("/readyz = %q, want 200 without a queued-mail warning", body)
	}

	o := m.PlaceOrderFor(t, m.Integration(t, "P1"), "MAIL-1", "P1", apptest.MailToday, apptest.ContactEmail)

	msgs := apptest.WaitTo(t, sink, apptest.ContactEmail, 1)
	if got := msgs[0].To; len(got) != 1 || got[0] != apptest.ContactEmail {
		t.Errorf("envelope recipients = %v, want [%s]", got, apptest.ContactEmail)
	}
	if msgs[0].From != "onramp@127.0.0.1" {
		t.Errorf("envelope sender = %q, want onramp@127.0.0.1 (the default From, on the public URL's host)", msgs[0].From)
	}
	p := apptest.ParseMail(t, msgs[0])
	if id := p.Header.Get("Message-ID"); !regexp.MustCompile(`^<[^<>@\s]+@127\.0\.0\.1>$`).MatchString(id) {
		t.Errorf("Message-ID = %q, want <id@127.0.0.1>", id)
	}
	if to := p.Header.Get("To"); to != apptest.ContactEmail {
		t.Errorf("To = %q, want %s", to, apptest.ContactEmail)
	}
	if want := "Set up A-WX for Acme d.o.o."; p.Subject != want {
		t.Errorf("Subject = %q, want %q", p.Subject, want)
	}
	if !strings.Contains(p.Text, "MAIL-1") || !strings.Contains(p.Text, "Partner P1") {
		t.Errorf("text does not describe the order:\n%s", p.Text)
	}
	token := apptest.SetupToken(t, p, m.URL)

	m.WaitOrderStatus(t, o.ID, "LINK_SENT")
	v := m.ViewLink(t, token, o.ID, apptest.ContactEmail)
	if v.Viewer.Order.Status != "LINK_SENT" {
		t.Errorf("the link sees status %q, want LINK_SENT", v.Viewer.Order.Status)
	}
	exactlyOnce(t, m, sink, o.ID, apptest.ContactEmail, 1)
	if n := sink.Count(); n != 1 {
		t.Errorf("the SMTP server received %d messages, want 1: %s", n, sink.Summary())
	}
}

// --- 3. SMTP down, then back -------------------------------------------------------

func TestSetupEmailSurvivesAnSMTPOutage(t *testing.T) {
	t.Parallel()
	// Reserve a port, then leave it closed: the SMTP server is down.
	reserve, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := reserve.Addr().String()
	if err := reserve.Close(); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) { c.SMTPURL = "smtp://" + addr })

	o := m.PlaceOrderFor(t, m.Operator(t), "DOWN-1", "P1", apptest.MailToday, apptest.ContactEmail)

	// The delivery is attempted, fails, and is kept for a retry.
	testkit.Eventually(t, "a failed delivery attempt", apptest.MailWait, func() (bool, string) {
		jobs := apptest.DeliveryJobs(t, m.App, o.ID)
		return len(jobs) == 1 && len(jobs[0].Errors) >= 1, apptest.JobStates(jobs)
	})
	jobs := apptest.DeliveryJobs(t, m.App, o.ID)
	if st := jobs[0].State; st != rivertype.JobStateAvailable && st != rivertype.JobStateRetryable {
		t.Fatalf("after a failed attempt the delivery is %s, want it waiting for a retry", st)
	}
	if got := m.OrderStatus(t, o.ID); got != "PLACED" {
		t.Fatalf("status = %s with SMTP down, want PLACED (LINK_SENT only once SMTP took the email)", got)
	}

	sink := smtptest.Start(t, addr)
	// The retry is due on the stubbed clock (backoff 2^attempt seconds):
	// nothing goes out before the clock moves.
	apptest.Holds(t, "no delivery before the retry is due", 300*time.Millisecond, func() (bool, string) {
		return sink.Count() == 0, sink.Summary()
	})
	clk.Advance(10 * time.Minute)

	msgs := apptest.WaitTo(t, sink, apptest.ContactEmail, 1)
	token := apptest.SetupToken(t, apptest.ParseMail(t, msgs[0]), m.URL)
	m.WaitOrderStatus(t, o.ID, "LINK_SENT")
	m.ViewLink(t, token, o.ID, apptest.ContactEmail)

	// Any later retry would be due by now: still exactly one message.
	clk.Advance(10 * time.Minute)
	exactlyOnce(t, m, sink, o.ID, apptest.ContactEmail, 1)
	jobs = apptest.DeliveryJobs(t, m.App, o.ID)
	if len(jobs) != 1 || jobs[0].Attempt < 2 {
		t.Errorf("want one delivery job that took at least two attempts: %s", apptest.JobStates(jobs))
	}
}

// TestSetupEmailJobRetriedAfterItsCommit runs the setup email's job twice
// for one order, as River does when the process died after the job's
// transaction committed and before River recorded it done (the order stays
// PLACED until the email is delivered): the second run queues nothing.
func TestSetupEmailJobRetriedAfterItsCommit(t *testing.T) {
	m := apptest.StartAt(t, apptest.NewLocation(t), clock.NewStub(apptest.MailEpoch), nil)
	o := m.PlaceOrderFor(t, m.Operator(t), "RETRY-1", "P1", apptest.ISODate(apptest.MailDay(3, 0)), apptest.ContactEmail)
	w := &orders.SetupEmailWorker{Orders: m.App.Orders}
	job := &river.Job[orders.SetupEmailArgs]{Args: orders.SetupEmailArgs{OrderID: gid.ID(o.ID)}}
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		if err := w.Work(ctx, job); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	n, err := m.App.Store.Client.Message.Query().
		Where(message.OrderID(gid.ID(o.ID)), message.KindEQ(message.KindSETUP_LINK)).Count(store.System(ctx))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("two runs of the setup email's job queued %d setup emails, want 1", n)
	}
}

// --- 4. a future email across a restart -----------------------------------------------

func TestFutureSetupEmailSurvivesARestart(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	loc := apptest.NewLocation(t)
	smtpURL := func(c *app.Config) { c.SMTPURL = sink.URL() }

	first := apptest.StartAt(t, loc, clock.NewStub(apptest.MailEpoch), smtpURL)
	o := first.PlaceOrderFor(t, first.Operator(t), "FUT-1", "P1", apptest.MailFuture, apptest.ContactEmail)
	if o.Status != "PLACED" {
		t.Errorf("status = %s, want PLACED", o.Status)
	}
	// The email waits for the start of its start date (UTC by default).
	setup := apptest.JobsOf(t, first.App, "setup_email", o.ID)
	if len(setup) != 1 || setup[0].State != rivertype.JobStateScheduled ||
		!setup[0].ScheduledAt.Equal(apptest.MailDay(2, 0)) {
		t.Fatalf("want one setup_email job scheduled at %s: %s", apptest.MailDay(2, 0).Format(time.RFC3339), apptest.JobStates(setup))
	}
	apptest.Holds(t, "nothing sent before the start date", apptest.QuietPeriod, func() (bool, string) {
		return sink.Count() == 0 && len(apptest.DeliveryJobs(t, first.App, o.ID)) == 0, sink.Summary()
	})
	first.Stop(t)

	second := apptest.StartAt(t, loc, clock.NewStub(apptest.MailDay(2, time.Second)), smtpURL)
	msgs := apptest.WaitTo(t, sink, apptest.ContactEmail, 1)
	// The link is built from the running server's public URL.
	token := apptest.SetupToken(t, apptest.ParseMail(t, msgs[0]), second.URL)
	second.WaitOrderStatus(t, o.ID, "LINK_SENT")
	second.ViewLink(t, token, o.ID, apptest.ContactEmail)
	apptest.WaitJobsFinished(t, "the setup_email job", 1, func() []*rivertype.JobRow {
		return apptest.JobsOf(t, second.App, "setup_email", o.ID)
	})
	exactlyOnce(t, second, sink, o.ID, apptest.ContactEmail, 1)
	if n := sink.Count(); n != 1 {
		t.Errorf("the SMTP server received %d messages, want 1: %s", n, sink.Summary())
	}
}

// --- 5. escalation --------------------------------------------------------------------------

func TestEscalationForANeverStartedOrder(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) {
		c.SMTPURL = sink.URL()
		c.CustomerSuccessEmail = apptest.SuccessEmail
	})
	op := m.Operator(t)
	idle := m.PlaceOrderFor(t, op, "ESC-IDLE", "P1", apptest.MailToday, "idle@partner.example")
	started := m.PlaceOrderFor(t, op, "ESC-STARTED", "P1", apptest.MailToday, "started@partner.example")
	idleToken := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, "idle@partner.example", 1)[0]), m.URL)
	apptest.WaitTo(t, sink, "started@partner.example", 1)
	m.WaitOrderStatus(t, idle.ID, "LINK_SENT")
	m.WaitOrderStatus(t, started.ID, "LINK_SENT")

	// Setup started on one of them.
	if err := m.App.Store.Client.Order.UpdateOneID(gid.ID(started.ID)).SetStatus(order.StatusIN_SETUP).
		Exec(store.System(context.Background())); err != nil {
		t.Fatal(err)
	}
	// Before the day has passed there is no escalation.
	var list apptest.EscalationsResult
	m.GQL(t, m.Operator(t), apptest.EscalationsQuery, nil).OK(t).Decode(t, &list)
	if list.Escalations.TotalCount != 0 {
		t.Fatalf("escalations before start + 1 day: %+v", list.Escalations)
	}

	clk.Set(apptest.MailDay(1, time.Second))
	apptest.WaitJobsFinished(t, "both escalate jobs", 2, func() []*rivertype.JobRow {
		return apptest.JobsOf(t, m.App, "escalate", idle.ID, started.ID)
	})

	op = m.Operator(t)
	list = apptest.EscalationsResult{}
	m.GQL(t, op, apptest.EscalationsQuery, nil).OK(t).Decode(t, &list)
	if list.Escalations.TotalCount != 1 || len(list.Escalations.Edges) != 1 {
		t.Fatalf("want exactly one escalation (the idle order's), got %+v", list.Escalations)
	}
	esc := list.Escalations.Edges[0].Node
	if esc.Order.ID != idle.ID {
		t.Errorf("escalation for order %s, want the never-started %s", esc.Order.ID, idle.ID)
	}
	if esc.Reason == "" || esc.ResolvedAt != nil {
		t.Errorf("escalation = %+v, want a reason and not resolved", esc)
	}

	// Customer success is mailed about it, once.
	cs := apptest.ParseMail(t, apptest.WaitTo(t, sink, apptest.SuccessEmail, 1)[0])
	if !strings.Contains(cs.Subject, "ESC-IDLE") || !strings.Contains(cs.Text, "idle@partner.example") {
		t.Errorf("escalation mail does not name the order and contact: %q\n%s", cs.Subject, cs.Text)
	}
	if strings.Contains(cs.Text, "ESC-STARTED") {
		t.Errorf("escalation mail mentions the started order:\n%s", cs.Text)
	}
	if apptest.LinkPattern.MatchString(cs.Text) || apptest.LinkPattern.MatchString(cs.HTML) {
		t.Errorf("escalation mail carries a setup link:\n%s", cs.Text)
	}
	exactlyOnce(t, m, sink, idle.ID, apptest.SuccessEmail, 1)

	// Only operators list and resolve escalations.
	for _, c := range []struct{ name, token string }{
		{"integration", m.Integration(t, "P1")},
		{"partner session", m.PartnerSession(t, "P1")},
		{"setup link", idleToken},
	} {
		t.Run(c.name+" is forbidden", func(t *testing.T) {
			m.GQL(t, c.token, apptest.EscalationsQuery, nil).WantError(t, "FORBIDDEN", "")
			m.GQL(t, c.token, apptest.ResolveMutation, map[string]any{"id": esc.ID, "note": "mine"}).WantError(t, "FORBIDDEN", "")
		})
	}

	var res apptest.ResolveResult
	m.GQL(t, op, apptest.ResolveMutation, map[string]any{"id": esc.ID, "note": "Called the partner."}).OK(t).Decode(t, &res)
	r := res.ResolveEscalation
	if len(r.UserErrors) != 0 || r.Escalation == nil {
		t.Fatalf("resolveEscalation: %+v", r.UserErrors)
	}
	if r.Escalation.ID != esc.ID || r.Escalation.ResolvedAt == nil || apptest.Deref(r.Escalation.ResolvedBy) != "op" ||
		apptest.Deref(r.Escalation.Note) != "Called the partner." {
		t.Errorf("resolved escalation = %+v", *r.Escalation)
	}
	if at, err := time.Parse(time.RFC3339, apptest.Deref(r.Escalation.ResolvedAt)); err != nil || !at.Equal(clk.Now()) {
		t.Errorf("resolvedAt = %v (%v), want the stubbed now %v", at, err, clk.Now())
	}

	res = apptest.ResolveResult{}
	m.GQL(t, op, apptest.ResolveMutation, map[string]any{"id": esc.ID, "note": "again"}).OK(t).Decode(t, &res)
	if ue := res.ResolveEscalation.UserErrors; len(ue) != 1 || ue[0].Code != "ALREADY_RESOLVED" {
		t.Errorf("second resolve: userErrors %+v, want ALREADY_RESOLVED", ue)
	}
	list = apptest.EscalationsResult{}
	m.GQL(t, op, apptest.EscalationsQuery, nil).OK(t).Decode(t, &list)
	if n := list.Escalations.Edges; len(n) != 1 || n[0].Node.ResolvedAt == nil {
		t.Errorf("after resolving: %+v", list.Escalations)
	}
	if got := len(sink.To(apptest.SuccessEmail)); got != 1 {
		t.Errorf("customer success received %d escalation mails, want 1", got)
	}
}

// --- 6. cancel --------------------------------------------------------------------------------

func TestCancelledOrderSendsNothingMore(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) {
		c.SMTPURL = sink.URL()
		c.CustomerSuccessEmail = apptest.SuccessEmail
	})
	op := m.Operator(t)
	now := m.PlaceOrderFor(t, op, "CAN-NOW", "P1", apptest.MailToday, "now@partner.example")
	later := m.PlaceOrderFor(t, op, "CAN-LATER", "P1", apptest.MailFuture, "later@partner.example")
	token := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, "now@partner.example", 1)[0]), m.URL)
	m.WaitOrderStatus(t, now.ID, "LINK_SENT")

	// Integrations and partner sessions cancel their own partner's orders
	// only; a setup link never.
	for _, c := range []struct{ name, token, code string }{
		{"another partner's integration", m.Integration(t, "P2"), "NOT_FOUND"},
		{"setup link", token, "FORBIDDEN"},
	} {
		t.Run(c.name+" may not cancel", func(t *testing.T) {
			m.GQL(t, c.token, apptest.CancelMutation, map[string]any{"id": now.ID}).WantError(t, c.code, "")
		})
	}
	if got := m.OrderStatus(t, now.ID); got != "LINK_SENT" {
		t.Fatalf("after refused cancels, status = %s", got)
	}
	m.ViewLink(t, token, now.ID, "now@partner.example")

	cancel := func(id string) apptest.CancelResult {
		t.Helper()
		var res apptest.CancelResult
		m.GQL(t, op, apptest.CancelMutation, map[string]any{"id": id, "reason": "Customer withdrew."}).OK(t).Decode(t, &res)
		return res
	}
	res := cancel(now.ID)
	if ue := res.CancelOrder.UserErrors; len(ue) != 0 {
		t.Fatalf("cancelOrder: userErrors %+v", ue)
	}
	if o := res.CancelOrder.Order; o == nil || o.ID != now.ID || o.Status != "CANCELLED" {
		t.Fatalf("cancelOrder returned %+v, want %s CANCELLED", o, now.ID)
	}
	if got := m.OrderStatus(t, now.ID); got != "CANCELLED" {
		t.Errorf("stored status = %s, want CANCELLED", got)
	}
	m.GQL(t, token, apptest.LinkViewerQuery, nil).WantError(t, "UNAUTHENTICATED", "CANCELLED")

	res = cancel(now.ID)
	if ue := res.CancelOrder.UserErrors; len(ue) != 1 || ue[0].Code != "ORDER_CANCELLED" {
		t.Errorf("second cancel: userErrors %+v, want ORDER_CANCELLED", ue)
	}

	// The future order is cancelled before its email is due: when the day
	// comes, and the escalation day after it, nothing is sent.
	if res := cancel(later.ID); len(res.CancelOrder.UserErrors) != 0 || res.CancelOrder.Order.Status != "CANCELLED" {
		t.Fatalf("cancel the future order: %+v", res.CancelOrder)
	}
	clk.Set(apptest.MailDay(3, time.Second))
	apptest.WaitJobsFinished(t, "the future order's setup_email job", 1, func() []*rivertype.JobRow {
		return apptest.JobsOf(t, m.App, "setup_email", later.ID)
	})
	apptest.WaitJobsFinished(t, "both escalate jobs", 2, func() []*rivertype.JobRow {
		return apptest.JobsOf(t, m.App, "escalate", now.ID, later.ID)
	})
	// The holder of the cancelled order's link hears of the cancellation,
	// once; the future order's contact, never mailed, hears nothing.
	apptest.WaitTo(t, sink, "now@partner.example", 2)
	apptest.Holds(t, "nothing more sent", apptest.QuietPeriod, func() (bool, string) {
		return len(sink.To("later@partner.example")) == 0 && len(sink.To(apptest.SuccessEmail)) == 0 &&
			len(sink.To("now@partner.example")) == 2 && len(apptest.DeliveryJobs(t, m.App, later.ID)) == 0, sink.Summary()
	})
	if got := apptest.ParseMail(t, sink.To("now@partner.example")[1]); !strings.Contains(got.Subject, "was cancelled") {
		t.Errorf("second message to the holder: %q, want the cancellation notice", got.Subject)
	}
	var list apptest.EscalationsResult
	m.GQL(t, m.Operator(t), apptest.EscalationsQuery, nil).OK(t).Decode(t, &list)
	if list.Escalations.TotalCount != 0 {
		t.Errorf("cancelled orders were escalated: %+v", list.Escalations)
	}
	if got := m.OrderStatus(t, later.ID); got != "CANCELLED" {
		t.Errorf("future order status = %s, want CANCELLED", got)
	}
}

// --- 7. resend -------------------------------------------------------------------------------------

func TestResendSetupLink(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	m := apptest.StartAt(t, apptest.NewLocation(t), clock.NewStub(apptest.MailEpoch), func(c *app.Config) { c.SMTPURL = sink.URL() })
	o := m.PlaceOrderFor(t, m.Operator(t), "RES-1", "P1", apptest.MailToday, apptest.ContactEmail)
	first := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, apptest.ContactEmail, 1)[0]), m.URL)
	m.WaitOrderStatus(t, o.ID, "LINK_SENT")

	resend := func(t *testing.T, token string, email any) apptest.ResendResult {
		t.Helper()
		var res apptest.ResendResult
		m.GQL(t, token, apptest.ResendMutation, map[string]any{"id": o.ID, "email": email}).OK(t).Decode(t, &res)
		return res
	}
	// current is the one link that must work at each point.
	current := first

	t.Run("operator, to a new contact", func(t *testing.T) {
		res := resend(t, m.Operator(t), "new@partner.example")
		if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
			t.Fatalf("userErrors %+v", ue)
		}
		if got := res.ResendSetupLink.Order; got == nil || got.ProvisioningContactEmail != "new@partner.example" {
			t.Errorf("order after resend = %+v, want contact new@partner.example", got)
		}
		p := apptest.ParseMail(t, apptest.WaitTo(t, sink, "new@partner.example", 1)[0])
		next := apptest.SetupToken(t, p, m.URL)
		if next == current {
			t.Fatal("the resent link is the old one")
		}
		m.GQL(t, current, apptest.LinkViewerQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
		m.ViewLink(t, next, o.ID, "new@partner.example")
		current = next
	})

	t.Run("integration of the order's partner", func(t *testing.T) {
		res := resend(t, m.Integration(t, "P1"), "second@partner.example")
		if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
			t.Fatalf("userErrors %+v", ue)
		}
		next := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, "second@partner.example", 1)[0]), m.URL)
		m.GQL(t, current, apptest.LinkViewerQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
		m.ViewLink(t, next, o.ID, "second@partner.example")
		current = next
	})

	t.Run("integration of another partner gets NOT_FOUND", func(t *testing.T) {
		m.GQL(t, m.Integration(t, "P2"), apptest.ResendMutation, map[string]any{"id": o.ID, "email": "x@p2.example"}).
			WantError(t, "NOT_FOUND", "")
		m.ViewLink(t, current, o.ID, "second@partner.example")
	})

	t.Run("a setup link is forbidden", func(t *testing.T) {
		m.GQL(t, current, apptest.ResendMutation, map[string]any{"id": o.ID, "email": "self@partner.example"}).
			WantError(t, "FORBIDDEN", "")
		m.ViewLink(t, current, o.ID, "second@partner.example")
	})

	t.Run("an invalid email is a userError", func(t *testing.T) {
		res := resend(t, m.Operator(t), "not an email")
		ue := res.ResendSetupLink.UserErrors
		if len(ue) != 1 || ue[0].Code != "INVALID" || !slices.Equal(ue[0].Field, []string{"email"}) {
			t.Fatalf("userErrors %+v, want INVALID on [email]", ue)
		}
		// Nothing changed: the contact and the link stay.
		var got struct {
			Order *apptest.OrderView `json:"order"`
		}
		m.GQL(t, m.Operator(t), apptest.OrderStatusQuery, map[string]any{"id": o.ID}).OK(t).Decode(t, &got)
		if got.Order.ProvisioningContactEmail != "second@partner.example" {
			t.Errorf("contact = %q after a refused resend", got.Order.ProvisioningContactEmail)
		}
		m.ViewLink(t, current, o.ID, "second@partner.example")
	})

	t.Run("without an email it goes to the current contact", func(t *testing.T) {
		res := resend(t, m.Operator(t), nil)
		if ue := res.ResendSetupLink.UserErrors; len(ue) != 0 {
			t.Fatalf("userErrors %+v", ue)
		}
		msgs := apptest.WaitTo(t, sink, "second@partner.example", 2)
		next := apptest.SetupToken(t, apptest.ParseMail(t, msgs[1]), m.URL)
		m.GQL(t, current, apptest.LinkViewerQuery, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
		m.ViewLink(t, next, o.ID, "second@partner.example")
	})

	exactlyOnce(t, m, sink, o.ID, "second@partner.example", 2)
	for rcpt, want := range map[string]int{apptest.ContactEmail: 1, "new@partner.example": 1, "x@p2.example": 0, "self@partner.example": 0} {
		if got := len(sink.To(rcpt)); got != want {
			t.Errorf("%s received %d messages, want %d", rcpt, got, want)
		}
	}
	if got := m.OrderStatus(t, o.ID); got != "LINK_SENT" {
		t.Errorf("status after resends = %s, want LINK_SENT", got)
	}
}

// --- 8. the order window ---------------------------------------------------------------------------

func TestOrderWindowCloses(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) { c.SMTPURL = sink.URL() })
	o := m.PlaceOrderFor(t, m.Operator(t), "WIN-1", "P1", apptest.MailToday, apptest.ContactEmail)
	token := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, apptest.ContactEmail, 1)[0]), m.URL)
	m.WaitOrderStatus(t, o.ID, "LINK_SENT")
	exactlyOnce(t, m, sink, o.ID, apptest.ContactEmail, 1)

	// A second before the window's end the order is still open; its
	// holder has been reminded 7 days and 1 day before the link expires and
	// before the window closes.
	clk.Set(apptest.MailDay(30, -time.Second))
	apptest.WaitTo(t, sink, apptest.ContactEmail, 5)
	if got := m.OrderStatus(t, o.ID); got != "LINK_SENT" {
		t.Fatalf("status before the window's end = %s", got)
	}
	m.ViewLink(t, token, o.ID, apptest.ContactEmail)

	// The window is 30 days from the start of the start date.
	clk.Set(apptest.MailDay(30, time.Second))
	m.WaitOrderStatus(t, o.ID, "CANCELLED")
	// The link is still within its own lifetime, but its order has closed.
	m.GQL(t, token, apptest.LinkViewerQuery, nil).WantError(t, "UNAUTHENTICATED", "CANCELLED")

	var res apptest.ResendResult
	m.GQL(t, m.Operator(t), apptest.ResendMutation, map[string]any{"id": o.ID}).OK(t).Decode(t, &res)
	if ue := res.ResendSetupLink.UserErrors; len(ue) != 1 || ue[0].Code != "ORDER_CANCELLED" {
		t.Errorf("resend after the window: userErrors %+v, want ORDER_CANCELLED", ue)
	}
	// The holder is told the window closed, once; nothing more is sent.
	apptest.WaitTo(t, sink, apptest.ContactEmail, 6)
	apptest.Holds(t, "nothing more sent", apptest.QuietPeriod, func() (bool, string) {
		return sink.Count() == 6, sink.Summary()
	})
	if last := apptest.ParseMail(t, sink.To(apptest.ContactEmail)[5]); !strings.Contains(last.Subject, "window") {
		t.Errorf("the last message is %q, want the window's closing notice", last.Subject)
	}
}

// --- 9. dev mail viewer and queued mail --------------------------------------------------------------

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: apptest.MailWait}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestDevMailViewerShowsTheSetupEmail(t *testing.T) {
	t.Parallel()
	s := apptest.Serve(t, func(c *app.Config) {
		c.Dev = true
		c.Clock = clock.NewStub(apptest.MailEpoch)
		c.JobPollInterval = 50 * time.Millisecond
	})
	op, err := s.App.Auth.IssueOperator("op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	in := apptest.OrderInput("DEV-1", "P1")
	in["requestedStartDate"] = apptest.MailToday
	var placed apptest.PlaceResult
	apptest.Post(t, s.URL, op, apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &placed)
	if placed.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder: %+v", placed.PlaceOrder.UserErrors)
	}
	orderID := placed.PlaceOrder.Order.ID

	button := regexp.MustCompile(`<a class="button" href="([^"]+)">`)
	var page string
	testkit.Eventually(t, "the setup email in /dev/mail", apptest.MailWait, func() (bool, string) {
		code, body := httpGet(t, s.URL+"/dev/mail")
		page = body
		return code == http.StatusOK && button.MatchString(body) && strings.Contains(body, "SENT"),
			fmt.Sprintf("HTTP %d", code)
	})
	if !strings.Contains(page, "provisioning@partner.example") || !strings.Contains(page, "Set up A-WX for Acme d.o.o.") {
		t.Errorf("/dev/mail does not list the message's recipient and subject:\n%s", page)
	}
	links := button.FindAllStringSubmatch(page, -1)
	if len(links) != 1 {
		t.Fatalf("want one link in /dev/mail, got %d", len(links))
	}
	link := links[0][1]
	prefix := s.URL + "/setup?token="
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("link %q does not start with %q", link, prefix)
	}
	token := strings.TrimPrefix(link, prefix)
	var v apptest.LinkViewer
	apptest.Post(t, s.URL, token, apptest.LinkViewerQuery, nil).OK(t).Decode(t, &v)
	if v.Viewer.Kind != "SETUP_LINK" || v.Viewer.Order == nil || v.Viewer.Order.ID != orderID ||
		v.Viewer.Order.Status != "LINK_SENT" {
		t.Errorf("the dev link's viewer = %+v, want SETUP_LINK of %s in LINK_SENT", v.Viewer, orderID)
	}

	// The message page shows the HTML email with its button.
	id := regexp.MustCompile(`href="/dev/mail/([^"]+)"`).FindStringSubmatch(page)
	if id == nil {
		t.Fatalf("no message page linked from /dev/mail:\n%s", page)
	}
	code, body := httpGet(t, s.URL+"/dev/mail/"+id[1])
	if code != http.StatusOK || !strings.Contains(body, `href="`+link+`"`) || !strings.Contains(body, ">Set up now</a>") {
		t.Errorf("/dev/mail/%s: HTTP %d without the button:\n%s", id[1], code, body)
	}
	if code, _ := httpGet(t, s.URL+"/dev/mail/msg_nosuchmessage"); code != http.StatusNotFound {
		t.Errorf("/dev/mail of an unknown message: HTTP %d, want 404", code)
	}
}

func TestWithoutSMTPOutsideDevModeMailStaysQueued(t *testing.T) {
	t.Parallel()
	s := apptest.Serve(t, func(c *app.Config) {
		c.Clock = clock.NewStub(apptest.MailEpoch)
		c.JobPollInterval = 50 * time.Millisecond
	})
	if code, _ := httpGet(t, s.URL+"/dev/mail"); code != http.StatusNotFound {
		t.Errorf("/dev/mail outside dev mode: HTTP %d, want 404", code)
	}
	if code, _ := httpGet(t, s.URL+"/dev/mail/msg_x"); code != http.StatusNotFound {
		t.Errorf("/dev/mail/{id} outside dev mode: HTTP %d, want 404", code)
	}
	if body := s.WaitReady(t); !strings.Contains(body, "ready") || !strings.Contains(body, "messages stay queued") {
		t.Errorf("/readyz = %q, want ready with a note that messages stay queued", body)
	}

	op, err := s.App.Auth.IssueOperator("op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	in := apptest.OrderInput("Q-1", "P1")
	in["requestedStartDate"] = apptest.MailToday
	var placed apptest.PlaceResult
	apptest.Post(t, s.URL, op, apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &placed)
	if placed.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder: %+v", placed.PlaceOrder.UserErrors)
	}
	orderID := placed.PlaceOrder.Order.ID

	// The delivery job runs, finds no mail system and waits, without failing.
	testkit.Eventually(t, "the delivery to wait for a mail system", apptest.MailWait, func() (bool, string) {
		jobs := apptest.DeliveryJobs(t, s.App, orderID)
		return len(jobs) == 1 && jobs[0].State == rivertype.JobStateScheduled && jobs[0].AttemptedAt != nil, apptest.JobStates(jobs)
	})
	if jobs := apptest.DeliveryJobs(t, s.App, orderID); len(jobs[0].Errors) != 0 {
		t.Errorf("a queued message counts as a failure: %s", apptest.JobStates(jobs))
	}
	msgs, err := s.App.Store.Client.Message.Query().Where(message.OrderID(gid.ID(orderID))).
		All(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Status != message.StatusQUEUED || !strings.Contains(msgs[0].TextBody, "/setup?token=") {
		t.Errorf("want the setup email kept QUEUED with its body, got %+v", msgs)
	}
	var got struct {
		Order *apptest.OrderView `json:"order"`
	}
	apptest.Post(t, s.URL, op, apptest.OrderStatusQuery, map[string]any{"id": orderID}).OK(t).Decode(t, &got)
	if got.Order == nil || got.Order.Status != "PLACED" {
		t.Errorf("order = %+v, want PLACED while its email is queued", got.Order)
	}
}
