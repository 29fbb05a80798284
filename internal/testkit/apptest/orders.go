package apptest

import (
	"slices"
	"testing"
	"time"
)

// PlaceOrderMutation places the order in $input and answers it.
const PlaceOrderMutation = `mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id externalID partnerAccountID customerCountry provisioningContactEmail status }
    userErrors { field message code }
  }
}`

// OrderView is the order PlaceOrderMutation answers.
type OrderView struct {
	ID                       string `json:"id"`
	ExternalID               string `json:"externalID"`
	PartnerAccountID         string `json:"partnerAccountID"`
	CustomerCountry          string `json:"customerCountry"`
	ProvisioningContactEmail string `json:"provisioningContactEmail"`
	Status                   string `json:"status"`
}

// PlaceResult is PlaceOrderMutation's data.
type PlaceResult struct {
	PlaceOrder struct {
		Order      *OrderView  `json:"order"`
		UserErrors []UserError `json:"userErrors"`
	} `json:"placeOrder"`
}

// Today is the UTC date the server validates start dates against.
func Today() time.Time { return time.Now().UTC() }

// ISODate formats t's date as the API's Date.
func ISODate(t time.Time) string { return t.Format("2006-01-02") }

// OrderInput returns a valid placeOrder input for a partner account,
// starting in a week.
func OrderInput(externalID, account string) map[string]any {
	return map[string]any{
		"externalId":               externalID,
		"product":                  "A_WX",
		"requestedStartDate":       ISODate(Today().AddDate(0, 0, 7)),
		"provisioningContactEmail": "provisioning@partner.example",
		"partner":                  map[string]any{"name": "Partner " + account, "accountId": account},
		"customer": map[string]any{
			"name":    "Acme d.o.o.",
			"country": "RS",
			"address": map[string]any{
				"line1":      "Bulevar 1",
				"city":       "Beograd",
				"postalCode": "11000",
			},
		},
		"services": []any{
			map[string]any{"kind": "MEETINGS", "quantity": 10},
			map[string]any{"kind": "CALLING", "quantity": 5},
		},
	}
}

// Place runs placeOrder with token and returns the raw response.
func (s *Server) Place(t testing.TB, token string, input map[string]any) Response {
	t.Helper()
	return s.GQL(t, token, PlaceOrderMutation, map[string]any{"input": input})
}

// PlaceOrder places input with token, failing the test on any error, and
// returns the order.
func (s *Server) PlaceOrder(t testing.TB, token string, input map[string]any) OrderView {
	t.Helper()
	var res PlaceResult
	s.Place(t, token, input).OK(t).Decode(t, &res)
	if len(res.PlaceOrder.UserErrors) > 0 || res.PlaceOrder.Order == nil {
		t.Fatalf("placeOrder %v: userErrors %+v", input["externalId"], res.PlaceOrder.UserErrors)
	}
	return *res.PlaceOrder.Order
}

// MustPlace places input with the operator token and returns the order.
func (s *Server) MustPlace(t testing.TB, input map[string]any) OrderView {
	t.Helper()
	return s.PlaceOrder(t, s.Op, input)
}

// StoredExternalIDs lists every stored order as "account/externalId", read
// with the operator token.
func (s *Server) StoredExternalIDs(t testing.TB) []string {
	t.Helper()
	var res struct {
		Orders struct {
			TotalCount int `json:"totalCount"`
			Edges      []struct {
				Node OrderView `json:"node"`
			} `json:"edges"`
		} `json:"orders"`
	}
	s.GQL(t, s.Op, `{ orders(first: 100) { totalCount edges { node { externalID partnerAccountID } } } }`, nil).OK(t).Decode(t, &res)
	out := make([]string, 0, len(res.Orders.Edges))
	for _, ed := range res.Orders.Edges {
		out = append(out, ed.Node.PartnerAccountID+"/"+ed.Node.ExternalID)
	}
	if len(out) != res.Orders.TotalCount {
		t.Fatalf("orders: %d edges but totalCount %d", len(out), res.Orders.TotalCount)
	}
	slices.Sort(out)
	return out
}

// CountOrders returns how many orders are stored (operator's view).
func (s *Server) CountOrders(t testing.TB) int {
	t.Helper()
	return len(s.StoredExternalIDs(t))
}

// TotalOrders is orders.totalCount as token sees it.
func (s *Server) TotalOrders(t testing.TB, token string) int {
	t.Helper()
	var res struct {
		Orders struct {
			TotalCount int `json:"totalCount"`
		} `json:"orders"`
	}
	s.GQL(t, token, `{ orders { totalCount } }`, nil).OK(t).Decode(t, &res)
	return res.Orders.TotalCount
}
