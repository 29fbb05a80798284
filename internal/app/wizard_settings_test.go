package app_test

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
)

func TestWizardSubdomains(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	id1 := c.place(t, "S-1", "P1", nil)
	l1 := c.link(t, id1, "ana@p1.example")
	c.partnerToConfirm(t, l1, "it@one.example")
	c.confirmToServices(t, l1)

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
		if ok, reason := c.checkSubdomain(t, l1, tc.name); ok || reason != tc.code {
			t.Errorf("checkSubdomain(%q) = %v %q, want %s", tc.name, ok, reason, tc.code)
		}
		e := c.refuse(t, l1, id1, "saveEnterpriseSettings", wizVars("subdomain", tc.name), tc.code, "subdomain")
		if tc.code == "SUBDOMAIN_INVALID" && !strings.Contains(e[0].Message, "Invalid subdomain name") {
			t.Errorf("message %q, want \"Invalid subdomain name…\"", e[0].Message)
		}
		if tc.code == "SUBDOMAIN_RESERVED" && !strings.Contains(e[0].Message, "Not available") {
			t.Errorf("message %q, want \"Not available…\"", e[0].Message)
		}
	}

	// Provision before the settings names what is missing.
	e := c.refuse(t, l1, id1, "provision", nil, "MISSING_SETTINGS")
	if !strings.Contains(e[0].Message, "CALLING") || !strings.Contains(e[0].Message, "MEETINGS") {
		t.Errorf("MISSING_SETTINGS message %q should name CALLING and MEETINGS", e[0].Message)
	}
	s := c.must(t, l1, "saveEnterpriseSettings", wizVars("subdomain", " First-Site "))
	if s.Step != "SERVICES" || !slices.Equal(s.MissingSettings, []string{"CALLING"}) {
		t.Fatalf("saveEnterpriseSettings: step %s, missing %v", s.Step, s.MissingSettings)
	}
	e = c.refuse(t, l1, id1, "provision", wizVars("key", "k1"), "MISSING_SETTINGS")
	if !strings.Contains(e[0].Message, "CALLING") || strings.Contains(e[0].Message, "MEETINGS") {
		t.Errorf("MISSING_SETTINGS message %q should name only CALLING", e[0].Message)
	}
	// Saving the same name again is fine.
	c.must(t, l1, "saveEnterpriseSettings", wizVars("subdomain", "first-site"))

	t.Run("a name another organization holds is taken", func(t *testing.T) {
		id2 := c.place(t, "S-2", "P2", nil)
		l2 := c.link(t, id2, "bob@p2.example")
		c.partnerToConfirm(t, l2, "it@two.example")
		c.confirmToServices(t, l2)
		if ok, reason := c.checkSubdomain(t, l2, "FIRST-SITE"); ok || reason != "SUBDOMAIN_TAKEN" {
			t.Errorf("checkSubdomain(FIRST-SITE) = %v %q, want SUBDOMAIN_TAKEN", ok, reason)
		}
		e := c.refuse(t, l2, id2, "saveEnterpriseSettings", wizVars("subdomain", "FIRST-SITE"), "SUBDOMAIN_TAKEN", "subdomain")
		if !strings.Contains(e[0].Message, "Not available") {
			t.Errorf("message %q, want \"Not available…\"", e[0].Message)
		}
		c.must(t, l2, "saveEnterpriseSettings", wizVars("subdomain", "second-site"))
	})

	t.Run("settings of a service not purchased", func(t *testing.T) {
		id3 := c.place(t, "S-3", "P1", func(in map[string]any) {
			in["services"] = []any{map[string]any{"kind": "MEETINGS", "quantity": 3}}
		})
		l3 := c.link(t, id3, "ana@p1.example")
		c.partnerToConfirm(t, l3, "it@three.example")
		s := c.confirmToServices(t, l3)
		if !slices.Equal(s.MissingSettings, []string{"MEETINGS"}) {
			t.Errorf("missingSettings = %v, want [MEETINGS]", s.MissingSettings)
		}
		c.refuse(t, l3, id3, "saveCallSettings", wizCallSettingsVars(), "NOT_PURCHASED")
		s = c.must(t, l3, "saveEnterpriseSettings", wizVars("subdomain", "third-site"))
		if s.Step != "PROVISION" {
			t.Fatalf("step %s, want PROVISION (meetings was all it bought)", s.Step)
		}
		p := c.mustProvision(t, l3, nil)
		if p.Subscription.CallSettings != nil {
			t.Errorf("callSettings %+v for an order without calling", p.Subscription.CallSettings)
		}
	})

	if n, _ := c.app.Store.Client.Organization.Query().Where(organization.SubdomainNotNil()).Count(ctx); n != 3 {
		t.Errorf("%d organizations with a subdomain, want 3", n)
	}
}

func TestWizardProvisionTwiceAndAfterwards(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	ctx := store.System(context.Background())
	d := c.provisioned(t, "D-1", "P1", "ana@p1.example", "it@acme.example", "acme")

	for i, vars := range []map[string]any{nil, wizVars("key", "another-tab"), wizVars("key", "another-tab")} {
		p := c.mustProvision(t, d.link, vars)
		if got := deref(p.Subscription.BillingStartedAt); got != d.billingStartedAt {
			t.Errorf("provision #%d: billingStartedAt %s, want the first %s", i+2, got, d.billingStartedAt)
		}
	}
	if n, _ := c.app.Store.Client.AuditEvent.Query().
		Where(auditevent.OrderID(gid.ID(d.orderID)), auditevent.Action("provision")).Count(ctx); n != 1 {
		t.Errorf("%d provision audit events, want 1", n)
	}
	jobs, err := c.app.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds("billing_start"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Jobs) != 1 {
		t.Errorf("%d billing_start jobs, want 1", len(jobs.Jobs))
	}

	// Every other wizard mutation is refused, and changes nothing.
	for op, vars := range map[string]map[string]any{
		"chooseRole":                     wizVars("role", "PARTNER"),
		"assignSetup":                    wizInput("assignee", "SELF"),
		"confirmPartnerOrg":              wizPartnerOrgVars("x"),
		"setCustomerAdmin":               wizVars("email", "x@acme.example"),
		"confirmCustomerOrg":             wizInput(),
		"reportUnrecognizedOrganization": wizInput("organization", "CUSTOMER"),
		"confirmOrgs":                    nil,
		"setPartnerPassword":             wizVars("password", wizPassword),
		"saveCallSettings":               wizCallSettingsVars(),
		"saveEnterpriseSettings":         wizVars("subdomain", "acme"),
	} {
		c.refuse(t, d.link, d.orderID, op, vars, "ALREADY_PROVISIONED")
	}
	// Opening the link again (startSetup) changes nothing: it either shows
	// the finished order or is refused like the other mutations.
	if p := c.wiz(t, d.link, "startSetup", nil); len(p.UserErrors) > 0 {
		wizWantCode(t, "startSetup after provision", p.UserErrors, "ALREADY_PROVISIONED")
	} else if p.Setup == nil || p.Setup.Step != "DONE" || p.Setup.Order.Status != "PROVISIONED" || !p.Setup.ReadOnly {
		t.Errorf("startSetup after provision: %+v", p.Setup)
	}
	if o := c.order(t, c.op, d.orderID); o.Status != "PROVISIONED" || o.Step != "DONE" {
		t.Errorf("after startSetup: %s/%s, want PROVISIONED/DONE", o.Status, o.Step)
	}
	if o := c.order(t, d.link, d.orderID); o == nil || o.Status != "PROVISIONED" || o.Subscription == nil ||
		deref(o.Subscription.BillingStartedAt) != d.billingStartedAt {
		t.Errorf("the link reads its order: %+v", o)
	}
}
