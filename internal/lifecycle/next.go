package lifecycle

import (
	"fmt"
	"slices"

	"onramp/ent/order"
	"onramp/ent/schema/schematype"
)

// Codes of the table's refusals (userErrors).
const (
	CodeWrongStep          = "WRONG_STEP"
	CodeOnHold             = "ON_HOLD"
	CodeAlreadyProvisioned = "ALREADY_PROVISIONED"
	CodeOrderCancelled     = "ORDER_CANCELLED"
	CodeNotOnHold          = "NOT_ON_HOLD"
	CodeDraftRestarted     = "DRAFT_RESTARTED"
)

// settingsAction is the wizard call that saves a service's settings.
var settingsAction = map[schematype.ServiceKind]Action{
	schematype.Calling:  SaveCallSettings,
	schematype.Meetings: SaveEnterpriseSettings,
}

// Next is the wizard call the table allows next for an order at step,
// given the purchased services still without settings (in the order
// they are asked for).
func Next(status order.Status, step order.Step, missing []schematype.ServiceKind) Action {
	switch {
	case status == order.StatusPROVISIONED, step == order.StepDONE, step == order.StepPROVISION:
		return Provision
	case step == order.StepSERVICES:
		for _, k := range missing {
			if a, ok := settingsAction[k]; ok {
				return a
			}
		}
		return Provision
	}
	for _, r := range Table {
		if r.Home == step && r.By&ByLink != 0 {
			return r.Action
		}
	}
	return StartSetup
}

// WrongStep explains which call comes next.
func WrongStep(status order.Status, step order.Step, missing []schematype.ServiceKind) string {
	return fmt.Sprintf("This step is not available now. Next step: %s (%s).", step, Next(status, step, missing))
}

// Path is what decides the wizard's steps for one setup, as far as the
// answers so far tell.
type Path struct {
	// Role is the role chosen (empty: not yet).
	Role order.Role
	// HandedToCustomer: the setup was handed to the customer, whose path has
	// no partner organization.
	HandedToCustomer bool
	// NewPartnerOrg: confirming creates the partner organization, whose new
	// administrator then sets a password.
	NewPartnerOrg bool
}

// StepsOf lists the wizard's steps of a setup in order: the customer's
// path has no partner organization step, and the password step exists only
// for a new partner organization.
func StepsOf(p Path) []order.Step {
	customer := p.Role == order.RoleCUSTOMER || p.Role == "" && p.HandedToCustomer
	return slices.DeleteFunc(slices.Clone(Steps), func(s order.Step) bool {
		switch s {
		case order.StepPARTNER_ORG:
			return customer
		case order.StepPASSWORD:
			return customer || !p.NewPartnerOrg
		default: // every other step is everyone's
			return false
		}
	})
}
