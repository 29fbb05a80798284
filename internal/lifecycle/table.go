// Package lifecycle owns an order's life. The table below says, for every
// action that may happen to an order (each wizard call, each partner,
// integration and operator action, each job, the command line), who may
// take it, in which statuses and steps, and which steps and statuses it may
// lead to. Apply (apply.go) is the one entry point that checks the table and
// writes an order's status and step; no other code writes them.
package lifecycle

import (
	"slices"

	"onramp/internal/mail/kind"

	"onramp/ent/order"
	"onramp/internal/viewer"
)

// Action is something that may happen to an order. Wizard and API actions
// are named as their GraphQL mutations.
type Action string

// The wizard's calls, through a setup link.
const (
	StartSetup             Action = "startSetup"
	ChooseRole             Action = "chooseRole"
	AssignSetup            Action = "assignSetup"
	ConfirmPartnerOrg      Action = "confirmPartnerOrg"
	SetCustomerAdmin       Action = "setCustomerAdmin"
	ConfirmCustomerOrg     Action = "confirmCustomerOrg"
	ReportUnrecognized     Action = "reportUnrecognizedOrganization"
	ConfirmOrgs            Action = "confirmOrgs"
	SetPartnerPassword     Action = "setPartnerPassword"
	SaveCallSettings       Action = "saveCallSettings"
	SaveEnterpriseSettings Action = "saveEnterpriseSettings"
	Provision              Action = "provision"
)

// Actions of partners, integrations and operators.
const (
	ResendSetupLink   Action = "resendSetupLink"
	CancelOrder       Action = "cancelOrder"
	ReleaseHold       Action = "releaseHold"
	ResolveEscalation Action = "resolveEscalation"
	// ContinueSetup issues a signed-in partner administrator a setup link
	// of its own for an order it manages, to finish the setup in the wizard.
	ContinueSetup Action = "continueSetup"
)

// The customer administrator's answers to a partner's request to manage
// its organization (a partner-access token), and their withdrawal (that
// token, or an operator). They change the management relation, not the
// order's status or step; the order is where they are recorded and heard.
const (
	ApprovePartnerAccess Action = "approvePartnerAccess"
	DenyPartnerAccess    Action = "denyPartnerAccess"
	RevokePartnerAccess  Action = "revokePartnerAccess"
)

// Onramp's own actions: the jobs and the command line.
const (
	SendSetupEmail Action = "job:setupEmail"
	RemindLink     Action = "job:remindLink"
	RemindWindow   Action = "job:remindWindow"
	LinkDelivered  Action = "job:linkDelivered"
	Escalate       Action = "job:escalate"
	CloseWindow    Action = "job:closeWindow"
	IssueLink      Action = "cli:tokenSetup"
	// RenewLink sends the holder of an expired link a new one, asked for
	// from the expired link's page.
	RenewLink Action = "renewSetupLink"
)

// Actor is who may take an action (a set of them, or-ed).
type Actor uint8

// The actors: the token kinds, and Onramp itself (jobs and the command
// line, with no token).
const (
	ByLink Actor = 1 << iota
	ByPartner
	ByIntegration
	ByOperator
	BySystem
	// ByCustomer is a customer administrator with a partner-access token.
	ByCustomer
)

// actorOf is the actor of a viewer; nil is Onramp itself.
func actorOf(v *viewer.Viewer) Actor {
	if v == nil {
		return BySystem
	}
	switch v.Kind {
	case viewer.SetupLink:
		return ByLink
	case viewer.Partner:
		return ByPartner
	case viewer.Integration:
		return ByIntegration
	case viewer.Operator:
		return ByOperator
	case viewer.PartnerAccess:
		return ByCustomer
	case viewer.PasswordReset: // a reset token takes no action of an order's life
	}
	return 0
}

// Rule is one row of the table.
type Rule struct {
	Action Action
	By     Actor
	// From lists the statuses in which the action is allowed.
	From []order.Status
	// Steps lists the steps in which it is allowed; nil: any step.
	Steps []order.Step
	// Home is the wizard step the action answers (the step at which it is
	// the next call).
	Home order.Step
	// To lists the steps the action may lead to; the step may also stay.
	To []order.Step
	// Sets lists the statuses the action may set; the status may also stay.
	Sets []order.Status
	// Starts: taken on an order whose setup has not started (PLACED or
	// LINK_SENT), the action starts it (IN_SETUP).
	Starts bool
	// Audit names the action in the audit trail.
	Audit string
	// Event is the event partners hear of this action by, when it is not
	// the one of the status it enters (feed.go).
	Event string
	// Notice is the email this action sends (its kind; the recipients and
	// whether it applies are the Engine's Notify's to decide).
	Notice kind.Kind
	// Elsewhere is the userError code when the order's status is not in
	// From and the order has not ended or is not on hold (those have codes
	// of their own); default WRONG_STEP.
	Elsewhere string
}

// Statuses by stage.
var (
	notStarted = []order.Status{order.StatusPLACED, order.StatusLINK_SENT}
	drafting   = []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP}
	open       = []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP,
		order.StatusON_HOLD, order.StatusORGS_CONFIRMED}
	settable = []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP,
		order.StatusORGS_CONFIRMED}
	everyStatus = []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP,
		order.StatusON_HOLD, order.StatusORGS_CONFIRMED, order.StatusPROVISIONED, order.StatusCANCELLED}
)

// Steps is the order of the wizard's steps.
var Steps = []order.Step{
	order.StepROLE, order.StepASSIGNMENT, order.StepPARTNER_ORG, order.StepCUSTOMER_ADMIN,
	order.StepCUSTOMER_ORG, order.StepCONFIRM, order.StepPASSWORD, order.StepSERVICES,
	order.StepPROVISION, order.StepDONE,
}

// from returns the draft's steps from s to CONFIRM: until the
// organizations are confirmed, a step already passed may be answered again
// (the wizard's "back"), which drops the answers after it.
func from(s order.Step) []order.Step {
	i, j := slices.Index(Steps, s), slices.Index(Steps, order.StepCONFIRM)
	return slices.Clone(Steps[i : j+1])
}

var (
	settings = []order.Step{order.StepSERVICES, order.StepPROVISION}
	wizard   = ByLink
	apiUsers = ByPartner | ByIntegration | ByOperator
)

// Table is the order's life: every action, who may take it, where it is
// allowed and where it leads. README's architecture section shows it.
var Table = []Rule{
	// The wizard, before the organizations are confirmed: a draft bound to
	// the link.
	{Action: StartSetup, By: wizard, From: settable, Starts: true,
		To: []order.Step{order.StepROLE}, Audit: string(StartSetup)},
	{Action: ChooseRole, By: wizard, From: drafting, Steps: from(order.StepROLE), Home: order.StepROLE, Starts: true,
		To: []order.Step{order.StepASSIGNMENT}, Audit: string(ChooseRole)},
	{Action: AssignSetup, By: wizard, From: drafting, Steps: from(order.StepASSIGNMENT), Home: order.StepASSIGNMENT, Starts: true,
		To: []order.Step{order.StepPARTNER_ORG, order.StepCUSTOMER_ADMIN, order.StepROLE}, Audit: string(AssignSetup),
		Notice: kind.HandoffSent},
	{Action: ConfirmPartnerOrg, By: wizard, From: drafting, Steps: from(order.StepPARTNER_ORG), Home: order.StepPARTNER_ORG, Starts: true,
		To: []order.Step{order.StepCUSTOMER_ADMIN}, Audit: string(ConfirmPartnerOrg)},
	{Action: SetCustomerAdmin, By: wizard, From: drafting, Steps: from(order.StepCUSTOMER_ADMIN), Home: order.StepCUSTOMER_ADMIN, Starts: true,
		To: []order.Step{order.StepCUSTOMER_ORG}, Audit: string(SetCustomerAdmin)},
	{Action: ConfirmCustomerOrg, By: wizard, From: drafting, Steps: from(order.StepCUSTOMER_ORG), Home: order.StepCUSTOMER_ORG, Starts: true,
		To: []order.Step{order.StepCONFIRM}, Audit: string(ConfirmCustomerOrg)},
	{Action: ReportUnrecognized, By: wizard, From: drafting, Steps: []order.Step{order.StepPARTNER_ORG, order.StepCUSTOMER_ORG},
		Sets: []order.Status{order.StatusON_HOLD}, Audit: string(ReportUnrecognized), Notice: kind.OnHold},
	{Action: ConfirmOrgs, By: wizard, From: drafting, Steps: []order.Step{order.StepCONFIRM}, Home: order.StepCONFIRM, Starts: true,
		To: []order.Step{order.StepPASSWORD, order.StepSERVICES}, Sets: []order.Status{order.StatusORGS_CONFIRMED}, Audit: string(ConfirmOrgs),
		Notice: kind.CustomerWelcome},

	// The wizard after the organizations are confirmed: the service
	// settings, then provisioning, once.
	{Action: SetPartnerPassword, By: wizard, From: []order.Status{order.StatusORGS_CONFIRMED}, Steps: []order.Step{order.StepPASSWORD},
		Home: order.StepPASSWORD, To: []order.Step{order.StepSERVICES}, Audit: string(SetPartnerPassword)},
	{Action: SaveCallSettings, By: wizard, From: []order.Status{order.StatusORGS_CONFIRMED}, Steps: settings,
		To: settings, Audit: string(SaveCallSettings)},
	{Action: SaveEnterpriseSettings, By: wizard, From: []order.Status{order.StatusORGS_CONFIRMED}, Steps: settings,
		To: settings, Audit: string(SaveEnterpriseSettings)},
	{Action: Provision, By: wizard, From: []order.Status{order.StatusORGS_CONFIRMED, order.StatusPROVISIONED},
		Steps: []order.Step{order.StepSERVICES, order.StepPROVISION, order.StepDONE}, Home: order.StepPROVISION,
		To: []order.Step{order.StepDONE}, Sets: []order.Status{order.StatusPROVISIONED}, Audit: string(Provision),
		Notice: kind.SetupFinished},

	// Partners, integrations and operators.
	{Action: ResendSetupLink, By: apiUsers, From: settable,
		To: []order.Step{order.StepROLE}, Audit: "SETUP_LINK_RESENT"},
	{Action: CancelOrder, By: apiUsers, From: open,
		Sets: []order.Status{order.StatusCANCELLED}, Audit: "ORDER_CANCELLED", Notice: kind.OrderCancelled},
	{Action: ReleaseHold, By: ByOperator, From: []order.Status{order.StatusON_HOLD},
		To: []order.Step{order.StepROLE}, Sets: []order.Status{order.StatusIN_SETUP}, Audit: "HOLD_RELEASED", Elsewhere: CodeNotOnHold,
		Event: EventHoldReleased, Notice: kind.HoldReleased},
	{Action: ResolveEscalation, By: ByOperator, From: everyStatus, Audit: "ESCALATION_RESOLVED"},
	// A new link for the signed-in administrator: before the confirmation
	// it starts at ROLE (a new draft), afterwards where the order stands.
	{Action: ContinueSetup, By: ByPartner, From: settable, To: []order.Step{order.StepROLE}, Audit: "SETUP_CONTINUED"},

	// The customer's consent to a partner's access, whatever the order's
	// state: the order may be provisioned meanwhile.
	{Action: ApprovePartnerAccess, By: ByCustomer, From: everyStatus, Audit: "PARTNER_ACCESS_APPROVED",
		Event: EventAccessApproved},
	{Action: DenyPartnerAccess, By: ByCustomer, From: everyStatus, Audit: "PARTNER_ACCESS_DENIED", Event: EventAccessDenied},
	{Action: RevokePartnerAccess, By: ByCustomer | ByOperator, From: everyStatus, Audit: "PARTNER_ACCESS_REVOKED",
		Event: EventAccessRevoked},

	// Onramp itself.
	{Action: SendSetupEmail, By: BySystem, From: []order.Status{order.StatusPLACED}, Audit: "SETUP_EMAIL_QUEUED"},
	// A setup link's email reached SMTP: LINK_SENT from PLACED; in any
	// later open status (the link was opened before its email went, or a
	// resend's new link) the order stays, and the event is told either way,
	// once per link's email.
	{Action: LinkDelivered, By: BySystem, From: []order.Status{order.StatusPLACED, order.StatusLINK_SENT,
		order.StatusIN_SETUP, order.StatusON_HOLD, order.StatusORGS_CONFIRMED, order.StatusPROVISIONED},
		Sets: []order.Status{order.StatusLINK_SENT}, Audit: "EMAIL_SENT", Event: EventLinkSent},
	{Action: Escalate, By: BySystem, From: notStarted, Audit: "ESCALATION_OPENED", Event: EventEscalated},
	{Action: CloseWindow, By: BySystem, From: open, Sets: []order.Status{order.StatusCANCELLED}, Audit: "WINDOW_CLOSED",
		Notice: kind.WindowClosed},
	{Action: RemindLink, By: BySystem, From: settable, Audit: "LINK_REMINDER_SENT", Notice: kind.LinkReminder},
	{Action: RemindWindow, By: BySystem, From: settable, Audit: "WINDOW_REMINDER_SENT", Notice: kind.WindowReminder},
	{Action: IssueLink, By: BySystem, From: []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP,
		order.StatusON_HOLD, order.StatusORGS_CONFIRMED, order.StatusPROVISIONED},
		To: []order.Step{order.StepROLE}, Audit: "SETUP_LINK_ISSUED"},
	{Action: RenewLink, By: BySystem, From: settable, To: []order.Step{order.StepROLE}, Audit: "SETUP_LINK_RENEWED"},
}

// RuleOf returns the table's row of an action.
func RuleOf(a Action) (Rule, bool) {
	i := slices.IndexFunc(Table, func(r Rule) bool { return r.Action == a })
	if i < 0 {
		return Rule{}, false
	}
	return Table[i], true
}

// Allows reports whether the row allows its action on an order in status
// and step.
func (r Rule) Allows(status order.Status, step order.Step) bool {
	return slices.Contains(r.From, status) && (r.Steps == nil || slices.Contains(r.Steps, step))
}

// Leads reports whether the row lets its action move an order from status
// and step to the given ones.
func (r Rule) Leads(from order.Status, fromStep order.Step, status order.Status, step order.Step) bool {
	stepOK := step == fromStep || slices.Contains(r.To, step)
	statusOK := status == from || slices.Contains(r.Sets, status) ||
		r.Starts && status == order.StatusIN_SETUP && slices.Contains(notStarted, from)
	return stepOK && statusOK
}

// Confirmed reports whether an order's organizations are confirmed (it
// is set up, or provisioned).
func Confirmed(s order.Status) bool {
	return s == order.StatusORGS_CONFIRMED || s == order.StatusPROVISIONED
}

// Drafting reports whether an order is before the confirmation of its
// organizations and open for the wizard.
func Drafting(s order.Status) bool { return slices.Contains(drafting, s) }

// InProgress reports whether an order's setup can go on: it is neither on
// hold, provisioned nor cancelled.
func InProgress(s order.Status) bool { return slices.Contains(settable, s) }
