package apptest

// The order's operations and what follows them: orders placed for a date
// and a contact, their status, the mailed setup link, resend, cancel,
// escalations, delivery jobs and the test clock.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/internal/app"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit"
)

// MailToday and MailFuture are the start dates of orders that start on the
// stub clock's first day and two days later.
var (
	MailToday  = ISODate(MailDay(0, 0))
	MailFuture = ISODate(MailDay(2, 0))
)

// ContactEmail is the provisioning contact of the orders placed here;
// SuccessEmail is where the success notice goes.
const (
	ContactEmail = "provisioning@partner.example"
	SuccessEmail = "success@onramp.example"
)

// SetupToken returns the setup token of the "Set up now" link in a received
// message, checking the link starts with the public URL base and is the HTML
// button's target too.
func SetupToken(t testing.TB, p ParsedMail, base string) string {
	t.Helper()
	found := LinkPattern.FindAllStringSubmatch(p.Text, -1)
	if len(found) != 1 {
		t.Fatalf("want exactly one setup link in the text, found %d:\n%s", len(found), p.Text)
	}
	link, origin, token := found[0][0], found[0][1], found[0][2]
	if origin != base {
		t.Errorf("link %s does not start with the public URL %s", link, base)
	}
	if !strings.Contains(p.Text, "Set up now: "+link) && !strings.Contains(p.Text, "Podesi sada: "+link) {
		t.Errorf("text has no \"Set up now\" line for %s:\n%s", link, p.Text)
	}
	if !strings.Contains(p.HTML, `href="`+link+`"`) {
		t.Errorf("HTML has no button linking to %s:\n%s", link, p.HTML)
	}
	return token
}

// PartnerSession creates a partner organization for account with an
// administrator and returns the administrator's session token.
func (m *Server) PartnerSession(t testing.TB, account string) string {
	t.Helper()
	ctx := store.System(context.Background())
	c := m.App.Store.Client
	org, err := c.Organization.Create().SetKind(organization.KindPARTNER).
		SetName("Partner " + account).SetAccountID(account).SetCountry("RS").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.User.Create().SetEmail("admin@" + strings.ToLower(account) + ".example").
		SetOrganizationID(org.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.App.Auth.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// PlaceOrderFor places an order of account starting on start, mailed to
// contact, and returns it.
func (m *Server) PlaceOrderFor(t testing.TB, token, externalID, account, start, contact string) OrderView {
	t.Helper()
	in := OrderInput(externalID, account)
	in["requestedStartDate"] = start
	in["provisioningContactEmail"] = contact
	return m.PlaceOrder(t, token, in)
}

// OrderStatusQuery reads an order's status and contact.
const OrderStatusQuery = `query($id: ID!) { order(id: $id) { id status provisioningContactEmail } }`

// OrderStatus reads the order's status as an operator.
func (m *Server) OrderStatus(t testing.TB, id string) string {
	t.Helper()
	var res struct {
		Order *OrderView `json:"order"`
	}
	m.GQL(t, m.Operator(t), OrderStatusQuery, map[string]any{"id": id}).OK(t).Decode(t, &res)
	if res.Order == nil {
		t.Fatalf("order %s not found", id)
	}
	return res.Order.Status
}

// WaitOrderStatus waits until the order has status want.
func (m *Server) WaitOrderStatus(t testing.TB, id, want string) {
	t.Helper()
	testkit.Eventually(t, "order "+id+" "+want, MailWait, func() (bool, string) {
		got := m.OrderStatus(t, id)
		return got == want, "status " + got
	})
}

// LinkViewerQuery reads who a setup token is.
const LinkViewerQuery = `{ viewer { kind email order { id status } } }`

// LinkViewer is LinkViewerQuery's data.
type LinkViewer struct {
	Viewer struct {
		Kind  string  `json:"kind"`
		Email *string `json:"email"`
		Order *struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"order"`
	} `json:"viewer"`
}

// ViewLink asserts that a setup token works: it is a SETUP_LINK viewer of
// order orderID, for email.
func (m *Server) ViewLink(t testing.TB, token, orderID, email string) LinkViewer {
	t.Helper()
	var v LinkViewer
	m.GQL(t, token, LinkViewerQuery, nil).OK(t).Decode(t, &v)
	if v.Viewer.Kind != "SETUP_LINK" {
		t.Errorf("viewer.kind = %q, want SETUP_LINK", v.Viewer.Kind)
	}
	if got := Deref(v.Viewer.Email); got != email {
		t.Errorf("viewer.email = %q, want %q", got, email)
	}
	if v.Viewer.Order == nil || v.Viewer.Order.ID != orderID {
		t.Fatalf("viewer.order = %+v, want order %s", v.Viewer.Order, orderID)
	}
	return v
}

// DeliveryJobs lists the delivery jobs of an order's messages.
func DeliveryJobs(t testing.TB, a *app.App, orderID string) []*rivertype.JobRow {
	t.Helper()
	ids, err := a.Store.Client.Message.Query().Where(message.OrderID(gid.ID(orderID))).
		IDs(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		return nil
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return JobsOf(t, a, "deliver_message", s...)
}

// JobStates describes jobs for a failure message.
func JobStates(jobs []*rivertype.JobRow) string {
	s := make([]string, len(jobs))
	for i, j := range jobs {
		s[i] = fmt.Sprintf("%s#%d %s attempt %d (%d errors) at %s", j.Kind, j.ID, j.State, j.Attempt, len(j.Errors),
			j.ScheduledAt.UTC().Format(time.RFC3339))
	}
	return "[" + strings.Join(s, "; ") + "]"
}

// WaitJobsFinished waits until list returns at least n jobs, all finished
// (completed, or cancelled by the application).
func WaitJobsFinished(t testing.TB, what string, n int, list func() []*rivertype.JobRow) {
	t.Helper()
	testkit.Eventually(t, what, MailWait, func() (bool, string) {
		jobs := list()
		if len(jobs) < n {
			return false, fmt.Sprintf("%d of %d jobs exist: %s", len(jobs), n, JobStates(jobs))
		}
		for _, j := range jobs {
			if j.State != rivertype.JobStateCompleted && j.State != rivertype.JobStateCancelled {
				return false, JobStates(jobs)
			}
		}
		return true, ""
	})
}

// EscalationsQuery lists the escalations; ResolveMutation resolves one.
const (
	EscalationsQuery = `{ escalations { totalCount edges { node { id reason resolvedAt order { id } } } } }`
	ResolveMutation  = `mutation($id: ID!, $note: String) {
  resolveEscalation(id: $id, note: $note) {
    escalation { id resolvedAt resolvedBy note }
    userErrors { field message code }
  }
}`
)

// EscalationsResult is EscalationsQuery's data.
type EscalationsResult struct {
	Escalations struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Node struct {
				ID         string  `json:"id"`
				Reason     string  `json:"reason"`
				ResolvedAt *string `json:"resolvedAt"`
				Order      struct {
					ID string `json:"id"`
				} `json:"order"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"escalations"`
}

// ResolveResult is ResolveMutation's data.
type ResolveResult struct {
	ResolveEscalation struct {
		Escalation *struct {
			ID         string  `json:"id"`
			ResolvedAt *string `json:"resolvedAt"`
			ResolvedBy *string `json:"resolvedBy"`
			Note       *string `json:"note"`
		} `json:"escalation"`
		UserErrors []UserError `json:"userErrors"`
	} `json:"resolveEscalation"`
}

// CancelMutation cancels an order with a reason.
const CancelMutation = `mutation($id: ID!, $reason: String) {
  cancelOrder(orderId: $id, reason: $reason) {
    order { id status }
    userErrors { field message code }
  }
}`

// CancelResult is CancelMutation's data.
type CancelResult struct {
	CancelOrder struct {
		Order *struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"order"`
		UserErrors []UserError `json:"userErrors"`
	} `json:"cancelOrder"`
}

// ResendMutation resends the setup link, to another address when given.
const ResendMutation = `mutation($id: ID!, $email: String) {
  resendSetupLink(orderId: $id, email: $email) {
    order { id status provisioningContactEmail }
    userErrors { field message code }
  }
}`

// ResendResult is ResendMutation's data.
type ResendResult struct {
	ResendSetupLink struct {
		Order      *OrderView  `json:"order"`
		UserErrors []UserError `json:"userErrors"`
	} `json:"resendSetupLink"`
}

// AdvanceClockMutation moves the test clock (--test-clock).
const AdvanceClockMutation = `mutation($by: String!) { advanceClock(by: $by) { now userErrors { field message code } } }`

// AdvanceResult is AdvanceClockMutation's data.
type AdvanceResult struct {
	AdvanceClock struct {
		Now        *string     `json:"now"`
		UserErrors []UserError `json:"userErrors"`
	} `json:"advanceClock"`
}

// AdvanceClock moves the test clock by `by` with an operator token fresh on
// the clock (tokens expire on the test clock's time) and returns the new
// time.
func (s *Server) AdvanceClock(t testing.TB, by string) time.Time {
	t.Helper()
	return AdvanceClockAt(t, s.URL, s.Operator(t), by)
}

// AdvanceClockAt moves the test clock of the server at base with the
// operator token op.
func AdvanceClockAt(t testing.TB, base, op, by string) time.Time {
	t.Helper()
	var res AdvanceResult
	Post(t, base, op, AdvanceClockMutation, map[string]any{"by": by}).OK(t).Decode(t, &res)
	if len(res.AdvanceClock.UserErrors) != 0 || res.AdvanceClock.Now == nil {
		t.Fatalf("advanceClock(%s): %+v", by, res.AdvanceClock)
	}
	now, err := time.Parse(time.RFC3339, *res.AdvanceClock.Now)
	if err != nil {
		t.Fatalf("advanceClock.now %q: %v", *res.AdvanceClock.Now, err)
	}
	return now
}
