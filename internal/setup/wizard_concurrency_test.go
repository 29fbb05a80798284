package setup_test

// Tests of the wizard under concurrent calls: billing once, one winner of a claim.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"

	"onramp/ent/auditevent"
	"onramp/ent/message"
	"onramp/ent/organization"
	"onramp/ent/subscription"
	"onramp/ent/user"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// --- concurrency ------------------------------------------------------------------------------------

// wizRace runs f(i) for i < n at once (after a common start) and waits.
func wizRace(n int, f func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

func TestWizardConcurrentProvisionBillsOnce(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	id := c.NewOrder(t, "CP-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")
	c.PartnerToConfirm(t, link, "it@acme.example")
	c.ConfirmToServices(t, link)
	c.SaveSettings(t, link, "acme")

	const n = 50
	results := make([]apptest.ProvisionPayload, n)
	errs := make([]error, n)
	wizRace(n, func(i int) {
		var vars map[string]any
		if i%2 == 1 { // with and without an idempotency key, all different
			vars = apptest.Vars("key", fmt.Sprintf("tab-%d", i))
		}
		r, err := c.TryGQL(link, apptest.ProvisionMutation, vars)
		switch {
		case err != nil:
			errs[i] = err
		case len(r.Errors) > 0:
			errs[i] = fmt.Errorf("errors %+v", r.Errors)
		default:
			var data struct {
				Provision apptest.ProvisionPayload `json:"provision"`
			}
			errs[i] = json.Unmarshal(r.Data, &data)
			results[i] = data.Provision
		}
	})
	billing := map[string]int{}
	for i, p := range results {
		if errs[i] != nil {
			t.Errorf("call %d: %v", i, errs[i])
			continue
		}
		if len(p.UserErrors) > 0 || p.Order == nil || p.Order.Status != "PROVISIONED" || p.Order.Step != "DONE" ||
			p.Subscription == nil || p.Subscription.Status != "ACTIVE" || p.Subscription.BillingStartedAt == nil {
			t.Errorf("call %d: %+v", i, p)
			continue
		}
		billing[*p.Subscription.BillingStartedAt]++
	}
	if len(billing) != 1 {
		t.Errorf("billingStartedAt values across %d calls: %v, want one", n, billing)
	}

	jobs, err := c.App.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds("billing_start"))
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Jobs) != 1 {
		t.Errorf("%d billing_start jobs, want 1", len(jobs.Jobs))
	}
	if k, _ := c.App.Store.Client.AuditEvent.Query().
		Where(auditevent.OrderID(gid.ID(id)), auditevent.Action("provision")).Count(ctx); k != 1 {
		t.Errorf("%d provision audit events, want 1", k)
	}
	if k, _ := c.App.Store.Client.Message.Query().
		Where(message.OrderID(gid.ID(id)), message.KindEQ(message.KindSERVICES_ACTIVE)).Count(ctx); k != 1 {
		t.Errorf("%d \"services active\" emails, want 1", k)
	}
	if k, _ := c.App.Store.Client.Subscription.Query().Where(subscription.BillingStartedAtNotNil()).Count(ctx); k != 1 {
		t.Errorf("%d subscriptions billing, want 1", k)
	}
}

func TestWizardConcurrentConfirmOrgsOneWinner(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	for round := range 3 {
		shared := fmt.Sprintf("shared%d@newco.example", round)
		accounts := [2]string{fmt.Sprintf("RX%d", round), fmt.Sprintf("RY%d", round)}
		var ids, links [2]string
		for i := range 2 {
			ids[i] = c.NewOrder(t, fmt.Sprintf("R%d-%d", round, i), accounts[i], nil)
			links[i] = c.Link(t, ids[i], fmt.Sprintf("admin%d@%s.example", round, strings.ToLower(accounts[i])))
			c.PartnerToConfirm(t, links[i], shared)
		}
		var payloads [2]apptest.SetupPayload
		var errs [2]error
		wizRace(2, func(i int) {
			r, err := c.TryGQL(links[i], apptest.Mutations["confirmOrgs"]+apptest.PayloadFragment, nil)
			switch {
			case err != nil:
				errs[i] = err
			case len(r.Errors) > 0:
				errs[i] = fmt.Errorf("errors %+v", r.Errors)
			default:
				var data struct {
					ConfirmOrgs apptest.SetupPayload `json:"confirmOrgs"`
				}
				errs[i] = json.Unmarshal(r.Data, &data)
				payloads[i] = data.ConfirmOrgs
			}
		})
		winner := -1
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d, order %d: %v", round, i, errs[i])
			}
			if p := payloads[i]; len(p.UserErrors) == 0 && p.Setup != nil && p.Setup.Order.Status == "ORGS_CONFIRMED" {
				if winner >= 0 {
					t.Fatalf("round %d: both orders confirmed the same new administrator email", round)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no order won: %+v", round, payloads)
		}
		loser := 1 - winner
		lp := payloads[loser]
		if lp.Setup != nil || len(lp.UserErrors) != 1 ||
			(lp.UserErrors[0].Code != "ORG_TAKEN" && lp.UserErrors[0].Code != "EMAIL_IN_OTHER_ORG") {
			t.Fatalf("round %d: loser got %+v, want one userError ORG_TAKEN or EMAIL_IN_OTHER_ORG", round, lp)
		}
		if o := c.Order(t, c.Op, ids[loser]); o.Status != "IN_SETUP" || o.Step != "CONFIRM" || o.CustomerOrg != nil || o.PartnerOrg != nil {
			t.Errorf("round %d: loser's order %+v, want unconfirmed at CONFIRM", round, o)
		}
		if k, _ := c.App.Store.Client.Organization.Query().Where(organization.AccountID(accounts[loser])).Count(ctx); k != 0 {
			t.Errorf("round %d: the loser's partner org was written (%d)", round, k)
		}
		users, err := c.App.Store.Client.User.Query().Where(user.Email(shared)).All(ctx)
		if err != nil || len(users) != 1 {
			t.Fatalf("round %d: users with %s: %d (%v), want 1", round, shared, len(users), err)
		}
		winnerCustomer := c.Order(t, c.Op, ids[winner]).CustomerOrg
		if winnerCustomer == nil || string(users[0].OrganizationID) != winnerCustomer.ID {
			t.Errorf("round %d: %s belongs to %s, want the winner's customer org %+v", round, shared, users[0].OrganizationID, winnerCustomer)
		}
		// The loser goes on: the email now names an existing customer org.
		s := c.Must(t, links[loser], "setCustomerAdmin", apptest.Vars("email", shared))
		if s.CustomerOrg == nil || !s.CustomerOrg.Existing || apptest.Deref(s.CustomerOrg.ID) != winnerCustomer.ID {
			t.Fatalf("round %d: loser's setCustomerAdmin: %+v", round, s.CustomerOrg)
		}
		c.Must(t, links[loser], "confirmCustomerOrg", apptest.Input())
		if s := c.Must(t, links[loser], "confirmOrgs", nil); s.Order.Status != "ORGS_CONFIRMED" {
			t.Errorf("round %d: loser's second confirmOrgs: %s", round, s.Order.Status)
		}
	}
}

// TestWizardConcurrentFirstOrdersOfOnePartner races the first two orders of
// one partner account, each creating the partner organization: the unique
// account id lets one win; the other reviews the existing org afterwards.
func TestWizardConcurrentFirstOrdersOfOnePartner(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	var ids, links [2]string
	for i := range 2 {
		ids[i] = c.NewOrder(t, fmt.Sprintf("FP-%d", i), "PS", nil)
		links[i] = c.Link(t, ids[i], fmt.Sprintf("admin%d@ps.example", i))
		c.PartnerToConfirm(t, links[i], fmt.Sprintf("it%d@cust.example", i))
	}
	var payloads [2]apptest.SetupPayload
	var errs [2]error
	wizRace(2, func(i int) {
		r, err := c.TryGQL(links[i], apptest.Mutations["confirmOrgs"]+apptest.PayloadFragment, nil)
		switch {
		case err != nil:
			errs[i] = err
		case len(r.Errors) > 0:
			errs[i] = fmt.Errorf("errors %+v", r.Errors)
		default:
			var data struct {
				ConfirmOrgs apptest.SetupPayload `json:"confirmOrgs"`
			}
			errs[i] = json.Unmarshal(r.Data, &data)
			payloads[i] = data.ConfirmOrgs
		}
	})
	winner := -1
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("order %d: %v", i, errs[i])
		}
		if len(payloads[i].UserErrors) == 0 {
			if winner >= 0 {
				t.Fatal("both orders created the partner organization")
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("no order won: %+v", payloads)
	}
	loser := 1 - winner
	apptest.WantCode(t, "the loser's confirmOrgs", payloads[loser].UserErrors, "ORG_TAKEN")
	if k, _ := c.App.Store.Client.Organization.Query().Where(organization.AccountID("PS")).Count(ctx); k != 1 {
		t.Errorf("%d partner orgs of PS, want 1", k)
	}
	if k, _ := c.App.Store.Client.User.Query().Where(user.Email(fmt.Sprintf("it%d@cust.example", loser))).Count(ctx); k != 0 {
		t.Errorf("the loser's customer administrator was written")
	}
	// The loser goes back to the partner org step: now the existing one.
	s := c.Must(t, links[loser], "confirmPartnerOrg", apptest.Input())
	if s.PartnerOrg == nil || !s.PartnerOrg.Existing {
		t.Fatalf("the loser's partner org after the race: %+v", s.PartnerOrg)
	}
	c.Must(t, links[loser], "setCustomerAdmin", apptest.Vars("email", fmt.Sprintf("it%d@cust.example", loser)))
	c.Must(t, links[loser], "confirmCustomerOrg", apptest.Input())
	if s := c.Must(t, links[loser], "confirmOrgs", nil); s.Order.Status != "ORGS_CONFIRMED" || s.Step != "SERVICES" {
		t.Errorf("the loser's second confirmOrgs: %s/%s, want ORGS_CONFIRMED/SERVICES", s.Order.Status, s.Step)
	}
}

func TestWizardConcurrentSubdomainClaims(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	for round := range 3 {
		name := fmt.Sprintf("race-%d", round)
		var ids, links [2]string
		for i := range 2 {
			ids[i] = c.NewOrder(t, fmt.Sprintf("SR%d-%d", round, i), "P1", nil)
			links[i] = c.Link(t, ids[i], "ana@p1.example")
			c.PartnerToConfirm(t, links[i], fmt.Sprintf("it%d-%d@cust.example", round, i))
			c.ConfirmToServices(t, links[i])
		}
		var payloads [2]apptest.SetupPayload
		var errs [2]error
		wizRace(2, func(i int) {
			r, err := c.TryGQL(links[i], apptest.Mutations["saveEnterpriseSettings"]+apptest.PayloadFragment, apptest.Vars("subdomain", name))
			switch {
			case err != nil:
				errs[i] = err
			case len(r.Errors) > 0:
				errs[i] = fmt.Errorf("errors %+v", r.Errors)
			default:
				var data struct {
					SaveEnterpriseSettings apptest.SetupPayload `json:"saveEnterpriseSettings"`
				}
				errs[i] = json.Unmarshal(r.Data, &data)
				payloads[i] = data.SaveEnterpriseSettings
			}
		})
		winner := -1
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d, order %d: %v", round, i, errs[i])
			}
			if len(payloads[i].UserErrors) == 0 && payloads[i].Setup != nil {
				if winner >= 0 {
					t.Fatalf("round %d: both orders claimed %s", round, name)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no order claimed %s: %+v", round, name, payloads)
		}
		loser := 1 - winner
		lp := payloads[loser]
		if lp.Setup != nil || len(lp.UserErrors) != 1 || lp.UserErrors[0].Code != "SUBDOMAIN_TAKEN" ||
			!slices.Equal(lp.UserErrors[0].Field, []string{"subdomain"}) {
			t.Fatalf("round %d: loser got %+v, want SUBDOMAIN_TAKEN on subdomain", round, lp)
		}
		if k, _ := c.App.Store.Client.Organization.Query().Where(organization.Subdomain(name)).Count(ctx); k != 1 {
			t.Errorf("round %d: %d organizations hold %s", round, k, name)
		}
		if o := c.Order(t, c.Op, ids[loser]); o.CustomerOrg == nil || o.CustomerOrg.Subdomain != nil {
			t.Errorf("round %d: the loser's customer org %+v, want no subdomain", round, o.CustomerOrg)
		}
		if s := c.Session(t, links[loser]); !slices.Contains(s.MissingSettings, "MEETINGS") {
			t.Errorf("round %d: the loser's meeting settings were saved: missing %v", round, s.MissingSettings)
		}
		c.Must(t, links[loser], "saveEnterpriseSettings", apptest.Vars("subdomain", name+"-b"))
	}
}
