package app_test

// Tests of which token kinds may use the wizard.

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// --- token kinds ------------------------------------------------------------------------------------

func TestWizardTokenKinds(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	done := c.provisioned(t, "K-1", "P1", "admin@p1.example", "it@acme.example", "acme")
	partner := c.mustSignIn(t, done.partnerAdmin, wizPassword)
	integ, err := c.app.Auth.IssueIntegration("P1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id := c.place(t, "K-2", "P1", nil)
	link := c.link(t, id, "contact@p1.example")
	c.must(t, link, "startSetup", nil)

	vars := map[string]map[string]any{
		"startSetup":                     nil,
		"chooseRole":                     wizVars("role", "PARTNER"),
		"assignSetup":                    wizInput("assignee", "SELF"),
		"confirmPartnerOrg":              wizPartnerOrgVars("x"),
		"setCustomerAdmin":               wizVars("email", "x@acme.example"),
		"confirmCustomerOrg":             wizInput(),
		"reportUnrecognizedOrganization": wizInput("organization", "PARTNER"),
		"confirmOrgs":                    nil,
		"setPartnerPassword":             wizVars("password", wizPassword),
		"saveCallSettings":               wizCallSettingsVars(),
		"saveEnterpriseSettings":         wizVars("subdomain", "acme"),
	}
	type opCase struct {
		name, query string
		vars        map[string]any
	}
	var ops []opCase
	for op, v := range vars {
		ops = append(ops, opCase{op, wizMutations[op] + wizPayloadFragment, v})
	}
	ops = append(ops, opCase{"provision", wizProvisionMutation, nil}, opCase{"setup", wizSetupQuery, nil})
	slices.SortFunc(ops, func(a, b opCase) int { return strings.Compare(a.name, b.name) })

	for _, tc := range []struct{ name, token, code, reason string }{
		{"integration", integ, "FORBIDDEN", ""},
		{"operator", c.op, "FORBIDDEN", ""},
		{"partner session", partner, "FORBIDDEN", ""},
		{"no token", "", "UNAUTHENTICATED", "MISSING"},
		{"garbage token", "not-a-jwt", "UNAUTHENTICATED", "INVALID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.world(t, id, link)
			for _, op := range ops {
				r := c.gql(t, tc.token, op.query, op.vars)
				if len(r.Errors) != 1 || r.Errors[0].Extensions.Code != tc.code || r.Errors[0].Extensions.Reason != tc.reason {
					t.Errorf("%s: errors %+v, want one %s %s", op.name, r.Errors, tc.code, tc.reason)
					continue
				}
				assertNoLeak(t, r.Errors[0].Message)
				if r.hasData() {
					t.Errorf("%s: a refused call answered data %s", op.name, r.Data)
				}
			}
			if after := c.world(t, id, link); after != before {
				t.Errorf("refused calls changed something:\nbefore: %s\nafter:  %s", before, after)
			}
		})
	}

	t.Run("checkSubdomain", func(t *testing.T) {
		for _, tc := range []struct{ name, token string }{
			{"setup link", link}, {"partner session", partner}, {"operator", c.op},
		} {
			if ok, reason := c.checkSubdomain(t, tc.token, "acme"); ok || reason != "SUBDOMAIN_TAKEN" {
				t.Errorf("%s: checkSubdomain(acme) = %v %q, want SUBDOMAIN_TAKEN", tc.name, ok, reason)
			}
			if ok, _ := c.checkSubdomain(t, tc.token, "free-name"); !ok {
				t.Errorf("%s: checkSubdomain(free-name) not available", tc.name)
			}
		}
		q := map[string]any{"s": "acme"}
		c.gql(t, integ, wizCheckSubdomainQuery, q).wantError(t, "FORBIDDEN", "")
		c.gql(t, "", wizCheckSubdomainQuery, q).wantError(t, "UNAUTHENTICATED", "MISSING")
	})
}
