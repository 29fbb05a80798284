package orders_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"onramp/internal/clock"
	"onramp/internal/mail/smtptest"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// noticeApp runs the app with a stub clock and a real SMTP server; the
// second server is the first, for the wizard's calls.
func noticeApp(t *testing.T) (*apptest.Server, *smtptest.Sink, *clock.Stub, *apptest.Server) {
	t.Helper()
	s, sink, clk := apptest.StartWithMail(t)
	return s, sink, clk, s
}

// TestNoticesOfTheWizard: the person who hands a setup off is told; the
// customer's new administrator is welcomed; the partner hears when the
// customer it handed the setup to has finished; each once.
func TestNoticesOfTheWizard(t *testing.T) {
	t.Parallel()
	m, sink, _, c := noticeApp(t)
	o := m.PlaceOrderFor(t, m.Integration(t, "P1"), "NT-1", "P1", apptest.ISODate(apptest.MailDay(5, 0)), "ana@p1.example")
	link := c.Link(t, o.ID, "ana@p1.example")
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Wiz(t, link, "assignSetup", apptest.Input("assignee", "CUSTOMER", "email", "it@nt-acme.example"))
	apptest.WantSubjects(t, sink, "ana@p1.example", "You handed the setup")

	customer := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, "it@nt-acme.example", 1)[0]), m.URL)
	c.Must(t, customer, "startSetup", nil)
	c.Must(t, customer, "chooseRole", apptest.Vars("role", "CUSTOMER"))
	c.Must(t, customer, "assignSetup", apptest.Input("assignee", "SELF"))
	c.Must(t, customer, "setCustomerAdmin", apptest.Vars("email", "it@nt-acme.example"))
	c.Must(t, customer, "confirmCustomerOrg", apptest.Input())
	c.Must(t, customer, "confirmOrgs", nil)
	c.SaveSettings(t, customer, "ntacme")
	c.MustProvision(t, customer, nil)
	// The customer: the hand-off's link, the welcome, the services active.
	apptest.WantSubjects(t, sink, "it@nt-acme.example", "Set up your", "Welcome", "services are active")
	// The partner's contact: its hand-off confirmation, then the finish.
	apptest.WantSubjects(t, sink, "ana@p1.example", "You handed the setup", "finished the setup")

	// A second order of the same customer: its organization exists, so no
	// second welcome; its administrator is asked whether the partner may
	// manage it (the first setup was the customer's own).
	o2 := m.PlaceOrderFor(t, m.Integration(t, "P1"), "NT-2", "P1", apptest.ISODate(apptest.MailDay(5, 0)), "bob@p1.example")
	l2 := c.Link(t, o2.ID, "bob@p1.example")
	c.PartnerToConfirm(t, l2, "it@nt-acme.example")
	c.Must(t, l2, "confirmOrgs", nil)
	apptest.WantSubjects(t, sink, "it@nt-acme.example", "Set up your", "Welcome", "services are active", "asks to manage Acme")
}

// TestNoticesOfHoldAndCancellation: the reporter of an unrecognized
// organization hears that the order is on hold and why, then that it may
// go on; a cancellation tells the link's holder, in the order's language.
func TestNoticesOfHoldAndCancellation(t *testing.T) {
	t.Parallel()
	m, sink, _, c := noticeApp(t)
	o := m.PlaceOrderFor(t, m.Integration(t, "P1"), "NH-1", "P1", apptest.ISODate(apptest.MailDay(5, 0)), "ana@p1.example")
	link := c.Link(t, o.ID, "ana@p1.example")
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	c.Must(t, link, "reportUnrecognizedOrganization", apptest.Input("organization", "PARTNER"))
	apptest.WantSubjects(t, sink, "ana@p1.example", "on hold (order NH-1)")
	if text := apptest.ParseMail(t, sink.To("ana@p1.example")[0]).Text; !strings.Contains(text, "NH-1") || !strings.Contains(text, "business day") {
		t.Errorf("the hold notice names no reference or next step:\n%s", text)
	}
	c.GQL(t, c.Op, apptest.ReleaseHoldMutation, map[string]any{"id": o.ID}).OK(t)
	apptest.WantSubjects(t, sink, "ana@p1.example", "on hold", "can go on")

	// Serbian, and cancelled by the partner's integration.
	in := apptest.OrderInput("NH-2", "P1")
	in["requestedStartDate"] = apptest.ISODate(apptest.MailDay(5, 0))
	in["provisioningContactEmail"] = "vesna@p1.example"
	in["language"] = "sr"
	var placed apptest.PlaceResult
	m.GQL(t, m.Integration(t, "P1"), apptest.PlaceOrderMutation, map[string]any{"input": in}).OK(t).Decode(t, &placed)
	id := placed.PlaceOrder.Order.ID
	c.Link(t, id, "vesna@p1.example")
	m.GQL(t, m.Integration(t, "P1"), apptest.CancelMutation, map[string]any{"id": id}).OK(t)
	apptest.WantSubjects(t, sink, "vesna@p1.example", "je otkazana")
}

// TestRemindersAndTheWindow: through the clock, the holder of an
// unfinished setup is reminded 7 days and 1 day before the link expires and
// before the window closes, then told the window closed; a provisioned
// order's holder is reminded of nothing.
func TestRemindersAndTheWindow(t *testing.T) {
	t.Parallel()
	m, sink, clk, c := noticeApp(t)
	integ := m.Integration(t, "P1")
	open := m.PlaceOrderFor(t, integ, "NR-1", "P1", apptest.MailToday, "ana@p1.example")
	done := m.PlaceOrderFor(t, integ, "NR-2", "P1", apptest.MailToday, "bob@p1.example")
	apptest.WaitTo(t, sink, "ana@p1.example", 1)
	apptest.WaitTo(t, sink, "bob@p1.example", 1)
	l2 := apptest.SetupToken(t, apptest.ParseMail(t, sink.To("bob@p1.example")[0]), m.URL)
	c.PartnerToConfirm(t, l2, "it@nr-acme.example")
	c.ConfirmToServices(t, l2)
	c.SaveSettings(t, l2, "nracme")
	c.MustProvision(t, l2, nil)
	apptest.WantSubjects(t, sink, "bob@p1.example", "Set up", "services are active")

	// The link (issued at day 0, 09:00, for 30 days) and the window (30
	// days from the start of day 0) end within hours of each other: their
	// 7-day reminders fall on day 23, the 1-day ones on day 29, and the
	// window closes at the start of day 30, before the link expires.
	for _, at := range []time.Time{apptest.MailDay(23, 10*time.Hour), apptest.MailDay(29, 10*time.Hour), apptest.MailDay(30, time.Hour)} {
		clk.Set(at)
		waitJobsQuiet(t, m, at)
	}
	apptest.WantSubjects(t, sink, "ana@p1.example",
		"Set up", "Reminder", "Reminder", "Reminder", "Reminder", "window")
	var links, windows int
	for _, s := range apptest.Subjects(t, sink, "ana@p1.example") {
		switch {
		case strings.Contains(s, "link") && strings.Contains(s, "expires"):
			links++
		case strings.Contains(s, "closes on"):
			windows++
		}
	}
	if links != 2 || windows != 2 {
		t.Errorf("reminders: %d of the link and %d of the window, want 2 and 2: %v", links, windows, apptest.Subjects(t, sink, "ana@p1.example"))
	}
	apptest.WantSubjects(t, sink, "bob@p1.example", "Set up", "services are active")
	if got := m.OrderStatus(t, open.ID); got != "CANCELLED" {
		t.Errorf("the unfinished order is %s after its window, want CANCELLED", got)
	}
	if got := m.OrderStatus(t, done.ID); got != "PROVISIONED" {
		t.Errorf("the provisioned order is %s, want PROVISIONED", got)
	}
}

// waitJobsQuiet waits until no job due at now is waiting or running.
func waitJobsQuiet(t *testing.T, m *apptest.Server, now time.Time) {
	t.Helper()
	testkit.Eventually(t, "the jobs due at "+now.Format(time.RFC3339), apptest.MailWait, func() (bool, string) {
		res, err := m.App.Jobs.Client().JobList(context.Background(), river.NewJobListParams().First(10000))
		if err != nil {
			return false, err.Error()
		}
		for _, j := range res.Jobs {
			switch j.State {
			case rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStatePending:
				return false, j.Kind + " " + string(j.State)
			case rivertype.JobStateScheduled, rivertype.JobStateRetryable:
				if !j.ScheduledAt.After(now) {
					return false, j.Kind + " due"
				}
			case rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded: // done
			}
		}
		return true, ""
	})
}
