package setup_test

// Tests of the service settings (site subdomains) and of provisioning once.

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"onramp/ent/auditevent"
	"onramp/ent/organization"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

func TestWizardSubdomains(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	id1 := c.NewOrder(t, "S-1", "P1", nil)
	l1 := c.Link(t, id1, "ana@p1.example")
	c.PartnerToConfirm(t, l1, "it@one.example")
	c.ConfirmToServices(t, l1)

	for _, tc := range []struct{ name, code string }{
		{"-bad", "SUBDOMAIN_INVALID"},
		{"bad-", "SUBDOMAIN_INVALID"},
		{"ba_d", "SUBDOMAIN_INVALID"},
		{"café", "SUBDOMAIN_INVALID"},
		{strings.Repeat("a", 64), "SUBDOMAIN_INVALID"},
		{"", "SUBDOMAIN_INVALID"},
		{"www", "SUBDOMAIN_RESERVED"},
		{"Admin", "SUBDOMAIN_RESERVED"},
	} {
		if ok, reason := c.CheckSubdomain(t, l1, tc.name); ok || reason != tc.code {
			t.Errorf("checkSubdomain(%q) = %v %q, want %s", tc.name, ok, reason, tc.code)
		}
		e := c.Refuse(t, l1, id1, "saveEnterpriseSettings", apptest.Vars("subdomain", tc.name), tc.code, "subdomain")
		if tc.code == "SUBDOMAIN_INVALID" && !strings.Contains(e[0].Message, "Invalid subdomain name") {
			t.Errorf("message %q, want \"Invalid subdomain name…\"", e[0].Message)
		}
		if tc.code == "SUBDOMAIN_RESERVED" && !strings.Contains(e[0].Message, "Not available") {
			t.Errorf("message %q, want \"Not available…\"", e[0].Message)
		}
	}

	// Provision before the settings names what is missing.
	e := c.Refuse(t, l1, id1, "provision", nil, "MISSING_SETTINGS")
	if !strings.Contains(e[0].Message, "CALLING") || !strings.Contains(e[0].Message, "MEETINGS") {
		t.Errorf("MISSING_SETTINGS message %q should name CALLING and MEETINGS", e[0].Message)
	}
	s := c.Must(t, l1, "saveEnterpriseSettings", apptest.Vars("subdomain", " First-Site "))
	if s.Step != "SERVICES" || !slices.Equal(s.MissingSettings, []string{"CALLING"}) {
		t.Fatalf("saveEnterpriseSettings: step %s, missing %v", s.Step, s.MissingSettings)
	}
	e = c.Refuse(t, l1, id1, "provision", apptest.Vars("key", "k1"), "MISSING_SETTINGS")
	if !strings.Contains(e[0].Message, "CALLING") || strings.Contains(e[0].Message, "MEETINGS") {
		t.Errorf("MISSING_SETTINGS message %q should name only CALLING", e[0].Message)
	}
	// Saving the same name again is fine.
	c.Must(t, l1, "saveEnterpriseSettings", apptest.Vars("subdomain", "first-site"))

	t.Run("a name another organization holds is taken", func(t *testing.T) {
		id2 := c.NewOrder(t, "S-2", "P2", nil)
		l2 := c.Link(t, id2, "bob@p2.example")
		c.PartnerToConfirm(t, l2, "it@two.example")
		c.ConfirmToServices(t, l2)
		if ok, reason := c.CheckSubdomain(t, l2, "FIRST-SITE"); ok || reason != "SUBDOMAIN_TAKEN" {
			t.Errorf("checkSubdomain(FIRST-SITE) = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
		}
		e := c.Refuse(t, l2, id2, "saveEnterpriseSettings", apptest.Vars("subdomain", "FIRST-SITE"), "SUBDOMAIN_TAKEN", "subdomain")
		if !strings.Contains(e[0].Message, "Not available") {
			t.Errorf("message %q, want \"Not available…\"", e[0].Message)
		}
		c.Must(t, l2, "saveEnterpriseSettings", apptest.Vars("subdomain", "second-site"))
	})

	t.Run("settings of a service not purchased", func(t *testing.T) {
		id3 := c.NewOrder(t, "S-3", "P1", func(in map[string]any) {
			in["services"] = []any{map[string]any{"kind": "MEETINGS", "quantity": 3}}
		})
		l3 := c.Link(t, id3, "ana@p1.example")
		c.PartnerToConfirm(t, l3, "it@three.example")
		s := c.ConfirmToServices(t, l3)
		if !slices.Equal(s.MissingSettings, []string{"MEETINGS"}) {
			t.Errorf("missingSettings = %v, want [MEETINGS]", s.MissingSettings)
		}
		c.Refuse(t, l3, id3, "saveCallSettings", apptest.CallSettingsVars(), "NOT_PURCHASED")
		s = c.Must(t, l3, "saveEnterpriseSettings", apptest.Vars("subdomain", "third-site"))
		if s.Step != "PROVISION" {
			t.Fatalf("step %s, want PROVISION (meetings was all it bought)", s.Step)
		}
		p := c.MustProvision(t, l3, nil)
		if p.Subscription.CallSettings != nil {
			t.Errorf("callSettings %+v for an order without calling", p.Subscription.CallSettings)
		}
	})

	if n, _ := c.App.Store.Client.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx); n != 3 {
		t.Errorf("%d organizations with a subdomain, want 3", n)
	}
}

func TestWizardProvisionTwiceAndAfterwards(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	d := c.Provisioned(t, "D-1", "P1", "ana@p1.example", "it@acme.example", "acme")

	for i, vars := range []map[string]any{nil, apptest.Vars("key", "another-tab"), apptest.Vars("key", "another-tab")} {
		p := c.MustProvision(t, d.Link, vars)
		if got := apptest.Deref(p.Subscription.BillingStartedAt); got != d.BillingStartedAt {
			t.Errorf("provision #%d: billingStartedAt %s, want the first %s", i+2, got, d.BillingStartedAt)
		}
	}
	if n, _ := c.App.Store.Client.AuditEvent.Query().
		Where(auditevent.OrderID(gid.ID(d.OrderID)), auditevent.Action("provision")).Count(ctx); n != 1 {
		t.Errorf("%d provision audit events, want 1", n)
	}
	jobs, err := c.App.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds("billing_start"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Jobs) != 1 {
		t.Errorf("%d billing_start jobs, want 1", len(jobs.Jobs))
	}

	// Every other wizard mutation is refused, and changes nothing.
	for op, vars := range map[string]map[string]any{
		"chooseRole":                     apptest.Vars("role", "PARTNER"),
		"assignSetup":                    apptest.Input("assignee", "SELF"),
		"confirmPartnerOrg":              apptest.PartnerOrgVars("x"),
		"setCustomerAdmin":               apptest.Vars("email", "x@acme.example"),
		"confirmCustomerOrg":             apptest.Input(),
		"reportUnrecognizedOrganization": apptest.Input("organization", "CUSTOMER"),
		"confirmOrgs":                    nil,
		"setPartnerPassword":             apptest.Vars("password", apptest.Password),
		"saveCallSettings":               apptest.CallSettingsVars(),
		"saveEnterpriseSettings":         apptest.Vars("subdomain", "acme"),
	} {
		c.Refuse(t, d.Link, d.OrderID, op, vars, "ALREADY_PROVISIONED")
	}
	// Opening the link again (startSetup) changes nothing: it either shows
	// the finished order or is refused like the other mutations.
	if p := c.Wiz(t, d.Link, "startSetup", nil); len(p.UserErrors) > 0 {
		apptest.WantCode(t, "startSetup after provision", p.UserErrors, "ALREADY_PROVISIONED")
	} else if p.Setup == nil || p.Setup.Step != "DONE" || p.Setup.Order.Status != "PROVISIONED" || !p.Setup.ReadOnly {
		t.Errorf("startSetup after provision: %+v", p.Setup)
	}
	if o := c.Order(t, c.Op, d.OrderID); o.Status != "PROVISIONED" || o.Step != "DONE" {
		t.Errorf("after startSetup: %s/%s, want PROVISIONED/DONE", o.Status, o.Step)
	}
	if o := c.Order(t, d.Link, d.OrderID); o == nil || o.Status != "PROVISIONED" || o.Subscription == nil ||
		apptest.Deref(o.Subscription.BillingStartedAt) != d.BillingStartedAt {
		t.Errorf("the link reads its order: %+v", o)
	}
}
