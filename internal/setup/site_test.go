package setup_test

import (
	"testing"

	"onramp/internal/testkit/apptest"
)

// TestLifeAdoptedSiteFollowsTheOrganization: a second order of a customer
// whose first order has saved (not provisioned) a subdomain uses the
// organization's site; when the first order changes the name, the second
// order's site is the new name, never the released one.
func TestLifeAdoptedSiteFollowsTheOrganization(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id1 := c.NewOrder(t, "AS-1", "P1", nil)
	l1 := c.Link(t, id1, "ana@p1.example")
	c.PartnerToConfirm(t, l1, "it@shared.example")
	c.ConfirmToServices(t, l1)
	c.SaveSettings(t, l1, "alpha1")

	id2 := c.NewOrder(t, "AS-2", "P1", nil)
	l2 := c.Link(t, id2, "ana@p1.example")
	c.PartnerToConfirm(t, l2, "it@shared.example")
	s2 := c.Must(t, l2, "confirmOrgs", nil)
	if apptest.Deref(s2.ExistingSite) != "alpha1" {
		t.Fatalf("second order: existingSite %q, want alpha1", apptest.Deref(s2.ExistingSite))
	}

	c.Must(t, l1, "saveEnterpriseSettings", apptest.Vars("subdomain", "beta1"))
	got := c.Session(t, l2)
	if apptest.Deref(got.ExistingSite) != "beta1" || got.CustomerOrg == nil || apptest.Deref(got.CustomerOrg.Subdomain) != "beta1" {
		t.Errorf("second order after the first renamed its site: existingSite %q, customer org %+v, want beta1",
			apptest.Deref(got.ExistingSite), got.CustomerOrg)
	}
	c.Must(t, l2, "saveCallSettings", apptest.CallSettingsVars())
	p := c.MustProvision(t, l2, nil)
	if apptest.Deref(p.Subscription.SiteSubdomain) != "beta1" {
		t.Errorf("second order provisioned with site %q, want beta1 (alpha1 was released)", apptest.Deref(p.Subscription.SiteSubdomain))
	}
	if ok, _ := c.CheckSubdomain(t, c.Op, "alpha1"); !ok {
		t.Errorf("alpha1 should be free again")
	}
}
