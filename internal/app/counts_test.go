package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/ent/subscription"
	"onramp/internal/auth"
	"onramp/internal/date"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// An unfiltered orders connection's totalCount may be remembered (on
// SQLite), but never past a write: every count below must be exact right
// after the write before it, in every scope, whichever way it was made.
func TestOrdersTotalCountFollowsWrites(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	n1, n2 := e.Integration(t, "N1"), e.Integration(t, "N2")
	count := func(token, args string) int {
		t.Helper()
		var res struct {
			Orders struct{ TotalCount int } `json:"orders"`
		}
		e.GQL(t, token, fmt.Sprintf(`{ orders(%s) { totalCount edges { node { id } } } }`, args), nil).OK(t).Decode(t, &res)
		return res.Orders.TotalCount
	}
	want := func(step string, op, a1, a2 int) {
		t.Helper()
		for range 2 { // the second read may come from memory
			if got := [3]int{count(e.Op, "first: 1"), count(n1, "first: 1"), count(n2, "first: 1")}; got != [3]int{op, a1, a2} {
				t.Fatalf("%s: operator, N1, N2 count %v, want %v", step, got, [3]int{op, a1, a2})
			}
		}
	}
	want("no orders", 0, 0, 0)
	e.MustPlace(t, apptest.OrderInput("C-1", "N1"))
	want("one order of N1", 1, 1, 0)
	e.MustPlace(t, apptest.OrderInput("C-2", "N2"))
	e.MustPlace(t, apptest.OrderInput("C-3", "N1"))
	want("three orders", 3, 2, 1)

	// A refused placeOrder writes nothing.
	bad := apptest.OrderInput("C-4", "N1")
	bad["product"] = "NOPE"
	_ = e.Place(t, e.Op, bad)
	want("after a refused order", 3, 2, 1)

	// Writes straight through the store's client, in a transaction and
	// outside one: the counts follow the commit, not the API.
	ctx := store.System(context.Background())
	client := e.App.Store.Client
	create := func(c *ent.Client, externalID string) *ent.OrderCreate {
		return c.Order.Create().SetExternalID(externalID).SetProduct(order.ProductA_WX).
			SetRequestedStartDate(date.Of(apptest.Today())).SetProvisioningContactEmail("p@partner.example").
			SetLanguage(order.LanguageEn).SetPartnerName("Partner N2").SetPartnerAccountID("N2").
			SetCustomerName("Acme").SetCustomerCountry("RS").SetInputDigest("test").
			SetCustomerAddress(schematype.Address{Line1: "Main 1", City: "Beograd", PostalCode: "11000"})
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := create(tx.Client(), "C-5").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	want("before the commit", 3, 2, 1)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want("after the commit", 4, 2, 2)
	if tx, err = client.Tx(ctx); err != nil {
		t.Fatal(err)
	}
	if err := create(tx.Client(), "C-6").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	want("after a rollback", 4, 2, 2)
	if _, err := client.Order.Delete().Where(order.ExternalID("C-5")).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	want("after a delete outside a transaction", 3, 2, 1)

	// A filter is counted as it is, beside the remembered whole.
	if got := count(e.Op, `first: 1, where: {externalID: "C-2"}`); got != 1 {
		t.Fatalf("filtered count %d, want 1", got)
	}
}

// The order a setup link reads may be remembered (on SQLite), but never
// past a write: the session answers each committed change at once, and a
// rolled-back one never.
func TestSetupSessionFollowsWrites(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	o := e.MustPlace(t, apptest.OrderInput("S-1", "N1"))
	link := e.SetupLink(t, o.ID, "setup@partner.example")
	const q = `{ setup { step order { status holdReason subscription { status } } } }`
	type session struct {
		Setup struct {
			Step  string
			Order struct {
				Status       string
				HoldReason   *string
				Subscription struct{ Status string }
			}
		}
	}
	want := func(step, holdReason, subscription string) {
		t.Helper()
		for range 2 { // the second read may come from memory
			var s session
			e.GQL(t, link, q, nil).OK(t).Decode(t, &s)
			got := [2]string{"", s.Setup.Order.Subscription.Status}
			if s.Setup.Order.HoldReason != nil {
				got[0] = *s.Setup.Order.HoldReason
			}
			if got != [2]string{holdReason, subscription} {
				t.Fatalf("%s: hold reason and subscription %q, want %q", step, got, [2]string{holdReason, subscription})
			}
		}
	}
	want("placed", "", "PENDING")

	ctx := store.System(context.Background())
	client := e.App.Store.Client
	tx, err := client.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Order.UpdateOneID(gid.ID(o.ID)).SetHoldReason("checking").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	want("before the commit", "", "PENDING")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want("after the commit", "checking", "PENDING")

	if tx, err = client.Tx(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Subscription.Update().Where(subscription.OrderID(gid.ID(o.ID))).SetStatus(subscription.StatusACTIVE).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	want("after a rollback", "checking", "PENDING")
	if err := client.Subscription.Update().Where(subscription.OrderID(gid.ID(o.ID))).SetStatus(subscription.StatusACTIVE).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	want("after an update outside a transaction", "checking", "ACTIVE")
}

// TestSetupSessionAfterTheCommandLineIssuesALink: `onramp token setup` is
// another process on the same SQLite file: its change of the order (back to
// ROLE) never reaches this process's write generation. The session of its
// new link is read afresh all the same: what the server remembers is kept
// per link as it was.
func TestSetupSessionAfterTheCommandLineIssuesALink(t *testing.T) {
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "CLI-1", "P1", nil)
	link := c.Link(t, id, "ana@p1.example")
	c.Must(t, link, "startSetup", nil)
	c.Must(t, link, "chooseRole", apptest.Vars("role", "PARTNER"))
	c.Must(t, link, "assignSetup", apptest.Input("assignee", "SELF"))
	for range 2 { // the second read may come from memory
		if s := c.Session(t, link); s.Step != "PARTNER_ORG" {
			t.Fatalf("step %s, want PARTNER_ORG", s.Step)
		}
	}

	// The command line, as `onramp token setup --order` runs it: its own
	// store, authority and order service on the same database.
	ctx := context.Background()
	cfg := c.App.Config
	st, err := store.Open(ctx, cfg.DataDir, cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := auth.New(ctx, st.Client, auth.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cli := &orders.Service{Store: st, Links: a, Life: &lifecycle.Engine{Store: st, Now: time.Now}, Clock: time.Now}
	fresh, err := cli.IssueLink(ctx, gid.ID(id), "")
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Session(t, fresh); s.Step != "ROLE" || s.Order.Step != "ROLE" {
		t.Errorf("the command line's link: step %s, order at %s; want ROLE (its change, not the remembered order)", s.Step, s.Order.Step)
	}
	c.GQL(t, link, `{ setup { step } }`, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
}
