package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"onramp/ent"
	"onramp/ent/organization"
	"onramp/graph"
	"onramp/internal/app"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit/apptest"
)

// countingEnv is the base URL of e's GraphQL endpoint with the resolvers
// reading through a driver that counts statements, on the same database.
func countingEnv(t *testing.T, e *apptest.Server) (string, *atomic.Int64) {
	t.Helper()
	n := &atomic.Int64{}
	a := e.App
	client := ent.NewClient(ent.Driver(storetest.CountingDriver{Driver: entsql.OpenDB(a.Store.Dialect, a.Store.DB), N: n}))
	gql := graph.NewHandler(graph.HandlerConfig{
		Resolver: &graph.Resolver{Client: client, Orders: a.Orders, Setup: a.Setup, Auth: a.Auth, Events: a.Events.Broker},
		Auth:     a.Auth,
		Log:      slog.New(slog.DiscardHandler),
		Limits:   app.Defaults().Limits,
		Shutdown: context.Background(),
	})
	srv := httptest.NewServer(a.Auth.Middleware(gql))
	t.Cleanup(srv.Close)
	return srv.URL, n
}

// confirmedOrders places n orders of account and gives each the partner
// organization of the account and a customer organization of its own, which
// the partner manages (as confirmOrgs would).
func confirmedOrders(t *testing.T, e *apptest.Server, partner *ent.Organization, account string, from, to int) {
	t.Helper()
	ctx := store.System(context.Background())
	client := e.App.Store.Client
	for i := from; i < to; i++ {
		o := e.MustPlace(t, apptest.OrderInput(fmt.Sprintf("N1-%03d", i), account))
		customer, err := client.Organization.Create().SetKind(organization.KindCUSTOMER).
			SetName(fmt.Sprintf("Customer %d", i)).SetCountry("RS").AddManagers(partner).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := client.Order.UpdateOneID(gid.ID(o.ID)).SetPartnerOrgID(partner.ID).
			SetCustomerOrgID(customer.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// Listing a page of orders with their organizations and subscription costs
// the same number of statements for 5 orders as for 50: edges are loaded
// for the whole page at once, never once per order (no N+1).
func TestOrdersPageQueryCount(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ce, n := countingEnv(t, e)
	partner, err := e.App.Store.Client.Organization.Create().SetKind(organization.KindPARTNER).
		SetName("Partner N1").SetAccountID("N1").SetCountry("RS").Save(store.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	integ := e.Integration(t, "N1")
	const page = `{ orders(first: 100) { %s edges { cursor node { id externalID status
		partnerOrg { id name kind } customerOrg { id name kind }
		subscription { id status services { kind quantity } } } } pageInfo { hasNextPage endCursor } } }`
	withCount := fmt.Sprintf(page, "totalCount")
	withoutCount := fmt.Sprintf(page, "")

	type pageResult struct {
		Orders struct {
			Edges []struct {
				Node struct {
					PartnerOrg   *struct{ ID string }
					CustomerOrg  *struct{ ID string }
					Subscription *struct{ ID string }
				}
			}
		}
	}
	measure := func(t *testing.T, token, query string, want int) int64 {
		t.Helper()
		before := n.Load()
		var res pageResult
		apptest.Post(t, ce, token, query, nil).OK(t).Decode(t, &res)
		if got := len(res.Orders.Edges); got != want {
			t.Fatalf("page has %d orders, want %d", got, want)
		}
		for i, edge := range res.Orders.Edges {
			if edge.Node.PartnerOrg == nil || edge.Node.CustomerOrg == nil || edge.Node.Subscription == nil {
				t.Fatalf("order %d lacks its organizations or subscription: %+v", i, edge.Node)
			}
		}
		return n.Load() - before
	}

	cases := []struct {
		name, token, query string
	}{
		{"operator, with totalCount", e.Op, withCount},
		{"operator, without totalCount", e.Op, withoutCount},
		{"integration, with totalCount", integ, withCount},
		{"integration, without totalCount", integ, withoutCount},
	}
	counts := map[string][2]int64{}
	confirmedOrders(t, e, partner, "N1", 0, 5)
	for _, c := range cases {
		counts[c.name] = [2]int64{measure(t, c.token, c.query, 5)}
	}
	confirmedOrders(t, e, partner, "N1", 5, 50)
	for _, c := range cases {
		got := counts[c.name]
		got[1] = measure(t, c.token, c.query, 50)
		counts[c.name] = got
	}
	for _, c := range cases {
		got := counts[c.name]
		t.Logf("%s: %d statements for 5 orders, %d for 50", c.name, got[0], got[1])
		if got[0] != got[1] {
			t.Errorf("%s: %d statements for 5 orders but %d for 50: a query per order (N+1)", c.name, got[0], got[1])
		}
		// The page, its partner and customer organizations, the
		// subscriptions, and the count when totalCount is asked for.
		if max := int64(5); got[1] > max {
			t.Errorf("%s: %d statements, want at most %d", c.name, got[1], max)
		}
	}
	if with, without := counts[cases[0].name][1], counts[cases[1].name][1]; without != with-1 {
		t.Errorf("without totalCount: %d statements, want %d (no count of the whole table)", without, with-1)
	}
}
