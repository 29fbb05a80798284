package setup_test

// Tests of which token kinds may use the wizard.

import (
	"slices"
	"strings"
	"testing"
	"time"

	"onramp/internal/testkit/apptest"
)

// --- token kinds ------------------------------------------------------------------------------------

func TestWizardTokenKinds(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	done := c.Provisioned(t, "K-1", "P1", "admin@p1.example", "it@acme.example", "acme")
	partner := c.MustSignIn(t, done.PartnerAdmin, apptest.Password)
	integ, err := c.App.Auth.IssueIntegration("P1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id := c.NewOrder(t, "K-2", "P1", nil)
	link := c.Link(t, id, "contact@p1.example")
	c.Must(t, link, "startSetup", nil)

	vars := map[string]map[string]any{
		"startSetup":                     nil,
		"chooseRole":                     apptest.Vars("role", "PARTNER"),
		"assignSetup":                    apptest.Input("assignee", "SELF"),
		"confirmPartnerOrg":              apptest.PartnerOrgVars("x"),
		"setCustomerAdmin":               apptest.Vars("email", "x@acme.example"),
		"confirmCustomerOrg":             apptest.Input(),
		"reportUnrecognizedOrganization": apptest.Input("organization", "PARTNER"),
		"confirmOrgs":                    nil,
		"setPartnerPassword":             apptest.Vars("password", apptest.Password),
		"saveCallSettings":               apptest.CallSettingsVars(),
		"saveEnterpriseSettings":         apptest.Vars("subdomain", "acme"),
	}
	type opCase struct {
		name, query string
		vars        map[string]any
	}
	var ops []opCase
	for op, v := range vars {
		ops = append(ops, opCase{op, apptest.Mutations[op] + apptest.PayloadFragment, v})
	}
	ops = append(ops, opCase{"provision", apptest.ProvisionMutation, nil}, opCase{"setup", apptest.SetupQuery, nil})
	slices.SortFunc(ops, func(a, b opCase) int { return strings.Compare(a.name, b.name) })

	for _, tc := range []struct{ name, token, code, reason string }{
		{"integration", integ, "FORBIDDEN", ""},
		{"operator", c.Op, "FORBIDDEN", ""},
		{"partner session", partner, "FORBIDDEN", ""},
		{"no token", "", "UNAUTHENTICATED", "MISSING"},
		{"garbage token", "not-a-jwt", "UNAUTHENTICATED", "INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.World(t, id, link)
			for _, op := range ops {
				r := c.GQL(t, tc.token, op.query, op.vars)
				if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code || r.Errors[0].Extensions.Reason != tc.reason {
					t.Errorf("%s: errors %+v, want one %s %s", op.name, r.Errors, tc.code, tc.reason)
					continue
				}
				apptest.AssertNoLeak(t, r.Errors[0].Message)
				if r.HasData() {
					t.Errorf("%s: a refused call answered data %s", op.name, r.Data)
				}
			}
			if after := c.World(t, id, link); after != before {
				t.Errorf("refused calls changed something:\nbefore: %s\nafter:  %s", before, after)
			}
		})
	}

	t.Run("checkSubdomain", func(t *testing.T) {
		for _, tc := range []struct{ name, token string }{
			{"setup link", link}, {"partner session", partner}, {"operator", c.Op},
		} {
			if ok, reason := c.CheckSubdomain(t, tc.token, "acme"); ok || reason != "SUBDOMAIN_TAKEN" {
				t.Errorf("%s: checkSubdomain(acme) = %v %q, want SUBDOMAIN_TAKEN", tc.name, ok, reason)
			}
			if ok, _ := c.CheckSubdomain(t, tc.token, "free-name"); !ok {
				t.Errorf("%s: checkSubdomain(free-name) not available", tc.name)
			}
		}
		q := map[string]any{"s": "acme"}
		c.GQL(t, integ, apptest.CheckSubdomainQuery, q).WantError(t, "FORBIDDEN", "")
		c.GQL(t, "", apptest.CheckSubdomainQuery, q).WantError(t, "UNAUTHENTICATED", "MISSING")
	})
}
