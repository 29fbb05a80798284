// Package setup is the setup wizard: a transition table of steps and a
// Service that checks each call against it and writes inside the caller's
// transaction. Before confirmOrgs the answers are a draft bound to the setup
// link; confirmOrgs writes the organizations, users and the management
// relation at once; then the service settings, and provision, once.
package setup

import (
	"fmt"
	"slices"

	"onramp/ent/order"
)

// Action is a wizard mutation.
type Action string

// The wizard's mutations, named as in the GraphQL API.
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

// steps is the order of the wizard's steps.
var steps = []order.Step{
	order.StepROLE, order.StepASSIGNMENT, order.StepPARTNER_ORG, order.StepCUSTOMER_ADMIN,
	order.StepCUSTOMER_ORG, order.StepCONFIRM, order.StepPASSWORD, order.StepSERVICES,
	order.StepPROVISION, order.StepDONE,
}

func index(s order.Step) int { return slices.Index(steps, s) }

// home is the step each action belongs to.
var home = map[Action]order.Step{
	ChooseRole:             order.StepROLE,
	AssignSetup:            order.StepASSIGNMENT,
	ConfirmPartnerOrg:      order.StepPARTNER_ORG,
	SetCustomerAdmin:       order.StepCUSTOMER_ADMIN,
	ConfirmCustomerOrg:     order.StepCUSTOMER_ORG,
	ConfirmOrgs:            order.StepCONFIRM,
	SetPartnerPassword:     order.StepPASSWORD,
	SaveCallSettings:       order.StepSERVICES,
	SaveEnterpriseSettings: order.StepSERVICES,
	Provision:              order.StepSERVICES,
}

// next names what to call at each step, for the WRONG_STEP message.
var next = map[order.Step]Action{
	order.StepROLE:           ChooseRole,
	order.StepASSIGNMENT:     AssignSetup,
	order.StepPARTNER_ORG:    ConfirmPartnerOrg,
	order.StepCUSTOMER_ADMIN: SetCustomerAdmin,
	order.StepCUSTOMER_ORG:   ConfirmCustomerOrg,
	order.StepCONFIRM:        ConfirmOrgs,
	order.StepPASSWORD:       SetPartnerPassword,
	order.StepSERVICES:       SaveCallSettings,
	order.StepPROVISION:      Provision,
	order.StepDONE:           Provision,
}

// allowed reports whether action may be called at step current. Until the
// organizations are confirmed, a step already passed may be answered again
// (the wizard's "back"): the answers after it are dropped. After that the
// steps only move forward; the service settings may be saved again until
// provisioning.
func allowed(action Action, current order.Step) bool {
	switch action {
	case StartSetup:
		return true // at any step: it decides for itself where the wizard resumes
	case ReportUnrecognized:
		return current == order.StepPARTNER_ORG || current == order.StepCUSTOMER_ORG
	case SaveCallSettings, SaveEnterpriseSettings:
		return current == order.StepSERVICES || current == order.StepPROVISION
	case Provision:
		return index(current) >= index(order.StepSERVICES)
	}
	h, ok := home[action]
	if !ok {
		return false
	}
	if index(h) <= index(order.StepCONFIRM) {
		return index(current) <= index(order.StepCONFIRM) && index(h) <= index(current)
	}
	return h == current
}

// wrongStep explains which step comes next.
func wrongStep(current order.Step) string {
	return fmt.Sprintf("This step is not available now. Next step: %s (%s).", current, next[current])
}
