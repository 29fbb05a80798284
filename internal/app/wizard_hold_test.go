package app_test

// Tests of an order on hold: the wizard reads but does not write, until an operator releases it.

import (
	"strings"
	"testing"
	"time"
)

func TestWizardOnHold(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id := c.place(t, "H-1", "P1", nil)
	if o := c.order(t, c.op, id); o.HoldReason != nil {
		t.Fatalf("an order never on hold has holdReason %q, want null", *o.HoldReason)
	}
	link := c.link(t, id, "ana@p1.example")
	c.must(t, link, "startSetup", nil)
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	s := c.must(t, link, "reportUnrecognizedOrganization", wizInput("organization", "PARTNER", "note", "Never heard of them"))
	if s.Order.Status != "ON_HOLD" {
		t.Fatalf("reportUnrecognizedOrganization: status %s, want ON_HOLD", s.Order.Status)
	}
	o := c.order(t, c.op, id)
	if o.Status != "ON_HOLD" || !strings.Contains(wizStrings(o.HoldReason), "Never heard of them") ||
		!strings.Contains(wizStrings(o.HoldReason), "ana@p1.example") {
		t.Errorf("operator sees %s, hold reason %q", o.Status, wizStrings(o.HoldReason))
	}
	// The link still reads.
	if got := c.session(t, link); got.Order.Status != "ON_HOLD" {
		t.Errorf("setup while on hold: %+v", got)
	}
	for op, vars := range map[string]map[string]any{
		"startSetup":                     nil,
		"chooseRole":                     wizVars("role", "PARTNER"),
		"confirmPartnerOrg":              wizPartnerOrgVars("x"),
		"reportUnrecognizedOrganization": wizInput("organization", "PARTNER"),
		"confirmOrgs":                    nil,
		"saveCallSettings":               wizCallSettingsVars(),
		"provision":                      nil,
	} {
		c.refuse(t, link, id, op, vars, "ON_HOLD")
	}

	release := func(t *testing.T, token string) response {
		t.Helper()
		return c.gql(t, token, wizReleaseHoldMutation, map[string]any{"id": id, "note": "checked with the partner"})
	}
	t.Run("only operators release a hold", func(t *testing.T) {
		other := c.provisioned(t, "H-0", "P1", "admin@p1.example", "it@other.example", "other")
		partner := c.mustSignIn(t, other.partnerAdmin, wizPassword)
		before := c.world(t, id, link)
		release(t, link).wantError(t, "FORBIDDEN", "")
		release(t, partner).wantError(t, "FORBIDDEN", "")
		integ, err := c.app.Auth.IssueIntegration("P1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		release(t, integ).wantError(t, "FORBIDDEN", "")
		release(t, "").wantError(t, "UNAUTHENTICATED", "MISSING")
		if after := c.world(t, id, link); after != before {
			t.Errorf("a refused releaseHold changed something:\nbefore: %s\nafter:  %s", before, after)
		}
	})

	var data struct {
		ReleaseHold struct {
			Order      *wizOrderView `json:"order"`
			UserErrors []userError   `json:"userErrors"`
		} `json:"releaseHold"`
	}
	release(t, c.op).ok(t).decode(t, &data)
	if r := data.ReleaseHold; len(r.UserErrors) > 0 || r.Order == nil || r.Order.Status != "IN_SETUP" ||
		r.Order.Step != "ROLE" || r.Order.HoldReason != nil {
		t.Fatalf("releaseHold: %+v (order %+v), want IN_SETUP at ROLE with no hold reason (null)", r, r.Order)
	}
	data.ReleaseHold.UserErrors = nil
	release(t, c.op).ok(t).decode(t, &data)
	wizWantCode(t, "releaseHold again", data.ReleaseHold.UserErrors, "NOT_ON_HOLD")

	// The link goes on from ROLE with an empty draft.
	if got := c.session(t, link); got.Step != "ROLE" || got.Role != nil || got.Order.Status != "IN_SETUP" {
		t.Fatalf("setup after release: %+v", got)
	}
	c.must(t, link, "chooseRole", wizVars("role", "PARTNER"))
	c.must(t, link, "assignSetup", wizInput("assignee", "SELF"))
	c.must(t, link, "confirmPartnerOrg", wizPartnerOrgVars("P1 Org"))
	c.must(t, link, "setCustomerAdmin", wizVars("email", "it@acme.example"))

	// The customer org can be reported too.
	s = c.must(t, link, "reportUnrecognizedOrganization", wizInput("organization", "CUSTOMER"))
	if s.Order.Status != "ON_HOLD" {
		t.Fatalf("report at CUSTOMER_ORG: status %s", s.Order.Status)
	}
	c.refuse(t, link, id, "confirmCustomerOrg", wizInput(), "ON_HOLD")
}
