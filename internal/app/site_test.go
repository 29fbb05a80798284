package app_test

import (
	"testing"
)

// TestLifeAdoptedSiteFollowsTheOrganization: a second order of a customer
// whose first order has saved (not provisioned) a subdomain uses the
// organization's site; when the first order changes the name, the second
// order's site is the new name, never the released one.
func TestLifeAdoptedSiteFollowsTheOrganization(t *testing.T) {
	t.Parallel()
	c := wizEnv(t)
	id1 := c.place(t, "AS-1", "P1", nil)
	l1 := c.link(t, id1, "ana@p1.example")
	c.partnerToConfirm(t, l1, "it@shared.example")
	c.confirmToServices(t, l1)
	c.saveSettings(t, l1, "alpha1")

	id2 := c.place(t, "AS-2", "P1", nil)
	l2 := c.link(t, id2, "ana@p1.example")
	c.partnerToConfirm(t, l2, "it@shared.example")
	s2 := c.lifeMust(t, l2, "confirmOrgs", nil)
	if deref(s2.ExistingSite) != "alpha1" {
		t.Fatalf("second order: existingSite %q, want alpha1", deref(s2.ExistingSite))
	}

	c.lifeMust(t, l1, "saveEnterpriseSettings", wizVars("subdomain", "beta1"))
	got := c.lifeSession(t, l2)
	if deref(got.ExistingSite) != "beta1" || got.CustomerOrg == nil || deref(got.CustomerOrg.Subdomain) != "beta1" {
		t.Errorf("second order after the first renamed its site: existingSite %q, customer org %+v, want beta1",
			deref(got.ExistingSite), got.CustomerOrg)
	}
	c.must(t, l2, "saveCallSettings", wizCallSettingsVars())
	p := c.mustProvision(t, l2, nil)
	if deref(p.Subscription.SiteSubdomain) != "beta1" {
		t.Errorf("second order provisioned with site %q, want beta1 (alpha1 was released)", deref(p.Subscription.SiteSubdomain))
	}
	if ok, _ := c.checkSubdomain(t, c.op, "alpha1"); !ok {
		t.Errorf("alpha1 should be free again")
	}
}
