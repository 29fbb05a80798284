// Package kind declares every kind of message Onramp sends, once. The mail
// composer names its templates by them, the order's life table names the
// notices it sends by them, and the messages table's enum is made from All.
// It imports nothing, so that the ent schema may import it.
package kind

// Kind is what a message is for; it names its templates.
type Kind string

// The kinds of message Onramp sends.
const (
	SetupLink        Kind = "SETUP_LINK"
	HandoffColleague Kind = "HANDOFF_COLLEAGUE"
	HandoffCustomer  Kind = "HANDOFF_CUSTOMER"
	Escalation       Kind = "ESCALATION"
	ServicesActive   Kind = "SERVICES_ACTIVE"
	WebhookDisabled  Kind = "WEBHOOK_DISABLED"
	// HandoffSent and the kinds after it, to WindowReminder, are the
	// notices of an order's life (the life table's Notice).
	HandoffSent     Kind = "HANDOFF_SENT"
	SetupFinished   Kind = "SETUP_FINISHED"
	CustomerWelcome Kind = "CUSTOMER_WELCOME"
	OnHold          Kind = "ON_HOLD"
	HoldReleased    Kind = "HOLD_RELEASED"
	OrderCancelled  Kind = "ORDER_CANCELLED"
	WindowClosed    Kind = "WINDOW_CLOSED"
	LinkReminder    Kind = "LINK_REMINDER"
	WindowReminder  Kind = "WINDOW_REMINDER"
	// AccessRequest and AccessApproved ask and confirm a customer
	// administrator's consent to a partner's access.
	AccessRequest  Kind = "ACCESS_REQUEST"
	AccessApproved Kind = "ACCESS_APPROVED"
	// PasswordReset and PasswordChanged are of a partner administrator's
	// account.
	PasswordReset   Kind = "PASSWORD_RESET"
	PasswordChanged Kind = "PASSWORD_CHANGED"
)

// All is every kind, in the order above (a test holds it to the
// constants).
var All = []Kind{
	SetupLink, HandoffColleague, HandoffCustomer, Escalation, ServicesActive, WebhookDisabled,
	HandoffSent, SetupFinished, CustomerWelcome, OnHold, HoldReleased, OrderCancelled,
	WindowClosed, LinkReminder, WindowReminder,
	AccessRequest, AccessApproved, PasswordReset, PasswordChanged,
}

// Values are All as strings, for the messages table's enum.
func Values() []string {
	out := make([]string, len(All))
	for i, k := range All {
		out[i] = string(k)
	}
	return out
}
