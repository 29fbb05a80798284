package setup_test

// Tests of an order on hold: the wizard reads but does not write, until an operator releases it.

import (
	"strings"
	"testing"
	"time"

	"onramp/internal/testkit/apptest"
)

func TestWizardOnHold(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "H-1", "P1", nil)
	if o := c.Order(t, c.Op, id); o.HoldReason != nil {
		t.Fatalf("an order never on hold has holdReason %q, want null", *o.HoldReason)
	}
	link := c.Link(t, id, "ana@p1.example")
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	s := c.Must(t, link, "reportUnrecognizedOrganization", apptest.Input("organization", "PARTNER", "note", "Never heard of them"))
	if s.Order.Status != "ON_HOLD" {
		t.Fatalf("reportUnrecognizedOrganization: status %s, want ON_HOLD", s.Order.Status)
	}
	o := c.Order(t, c.Op, id)
	if o.Status != "ON_HOLD" || !strings.Contains(apptest.Deref(o.HoldReason), "Never heard of them") ||
		!strings.Contains(apptest.Deref(o.HoldReason), "ana@p1.example") {
		t.Errorf("operator sees %s, hold reason %q", o.Status, apptest.Deref(o.HoldReason))
	}
	// The link still reads.
	if got := c.Session(t, link); got.Order.Status != "ON_HOLD" {
		t.Errorf("setup while on hold: %+v", got)
	}
	for op, vars := range map[string]map[string]any{
		"startSetup":                     nil,
		"chooseRole":                     apptest.Vars("role", "PARTNER"),
		"confirmPartnerOrg":              apptest.PartnerOrgVars("x"),
		"reportUnrecognizedOrganization": apptest.Input("organization", "PARTNER"),
		"confirmOrgs":                    nil,
		"saveCallSettings":               apptest.CallSettingsVars(),
		"provision":                      nil,
	} {
		c.Refuse(t, link, id, op, vars, "ON_HOLD")
	}

	release := func(t *testing.T, token string) apptest.Response {
		t.Helper()
		return c.GQL(t, token, apptest.ReleaseHoldMutation, map[string]any{"id": id, "note": "checked with the partner"})
	}
	t.Run("only operators release a hold", func(t *testing.T) {
		other := c.Provisioned(t, "H-0", "P1", "admin@p1.example", "it@other.example", "other")
		partner := c.MustSignIn(t, other.PartnerAdmin, apptest.Password)
		before := c.World(t, id, link)
		release(t, link).WantError(t, "FORBIDDEN", "")
		release(t, partner).WantError(t, "FORBIDDEN", "")
		integ, err := c.App.Auth.IssueIntegration("P1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		release(t, integ).WantError(t, "FORBIDDEN", "")
		release(t, "").WantError(t, "UNAUTHENTICATED", "MISSING")
		if after := c.World(t, id, link); after != before {
			t.Errorf("a refused releaseHold changed something:\nbefore: %s\nafter:  %s", before, after)
		}
	})

	var data struct {
		ReleaseHold struct {
			Order      *apptest.WizardOrder `json:"order"`
			UserErrors []apptest.UserError  `json:"userErrors"`
		} `json:"releaseHold"`
	}
	release(t, c.Op).OK(t).Decode(t, &data)
	if r := data.ReleaseHold; len(r.UserErrors) > 0 || r.Order == nil || r.Order.Status != "IN_SETUP" ||
		r.Order.Step != "ROLE" || r.Order.HoldReason != nil {
		t.Fatalf("releaseHold: %+v (order %+v), want IN_SETUP at ROLE with no hold reason (null)", r, r.Order)
	}
	data.ReleaseHold.UserErrors = nil
	release(t, c.Op).OK(t).Decode(t, &data)
	apptest.WantCode(t, "releaseHold again", data.ReleaseHold.UserErrors, "NOT_ON_HOLD")

	// The link goes on from ROLE with an empty draft.
	if got := c.Session(t, link); got.Step != "ROLE" || got.Role != nil || got.Order.Status != "IN_SETUP" {
		t.Fatalf("setup after release: %+v", got)
	}
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	c.Must(t, link, "confirmPartnerOrg", apptest.PartnerOrgVars("P1 Org"))
	c.Must(t, link, "setCustomerAdmin", apptest.Vars("email", "it@acme.example"))

	// The customer org can be reported too.
	s = c.Must(t, link, "reportUnrecognizedOrganization", apptest.Input("organization", "CUSTOMER"))
	if s.Order.Status != "ON_HOLD" {
		t.Fatalf("report at CUSTOMER_ORG: status %s", s.Order.Status)
	}
	c.Refuse(t, link, id, "confirmCustomerOrg", apptest.Input(), "ON_HOLD")
}
