package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent/setuplink"
	"onramp/ent/signingkey"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// --- authorization matrix -----------------------------------------------------

const (
	viewerQuery = `{ viewer { kind partnerAccountId email order { id externalID } } }`
	orderQuery  = `query($id: ID!) { order(id: $id) { id externalID } }`
	nodeQuery   = `query($id: ID!) { node(id: $id) { id ... on Order { externalID } } }`
	ordersQuery = `{ orders { totalCount edges { node { id externalID } } } }`
)

// tokenCase is one kind of caller of the matrix. A token with deny set is
// refused on every operation with that code and reason.
type tokenCase struct {
	name   string
	token  string
	deny   string
	reason string

	kind         string // viewer.kind
	account      string // viewer.partnerAccountId
	viewerOrder  string // viewer.order.externalID
	seesA, seesB bool   // order A belongs to P1, order B to P2
	placeP1      string // "" = allowed, else the top-level code
	placeP2      string
}

// forgedTokens builds tokens that must never pass: alg none, a foreign key
// under a real kid, HS256 keyed with the real public key, and garbage.
func forgedTokens(t *testing.T, e *apptest.Server) (algNone, foreignKey, hsConfusion string) {
	t.Helper()
	_, payload, _ := apptest.JWTParts(t, e.Op)
	hdr, _ := json.Marshal(map[string]any{"alg": "none", "typ": "operator+jwt"})
	algNone = base64.RawURLEncoding.EncodeToString(hdr) + "." + payload + "."

	kid, _ := apptest.JWTHeader(t, e.Op)["kid"].(string)
	if kid == "" {
		t.Fatal("operator token has no kid")
	}
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": "onramp",
		"aud": []string{"onramp:operator"},
		"sub": "op",
		"jti": "0123456789abcdef0123456789abcdef",
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = kid
	tok.Header["typ"] = "operator+jwt"
	if foreignKey, err = tok.SignedString(priv); err != nil {
		t.Fatal(err)
	}

	key, err := e.App.Store.Client.SigningKey.Query().Where(signingkey.Kid(kid)).Only(store.System(context.Background()))
	if err != nil {
		t.Fatalf("read signing key: %v", err)
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hs.Header["kid"] = kid
	hs.Header["typ"] = "operator+jwt"
	if hsConfusion, err = hs.SignedString(key.PublicKey); err != nil {
		t.Fatal(err)
	}
	return algNone, foreignKey, hsConfusion
}

func TestAuthorizationMatrix(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	orderA := e.MustPlace(t, apptest.OrderInput("A-1", "P1"))
	orderB := e.MustPlace(t, apptest.OrderInput("B-1", "P2"))

	link := e.SetupLink(t, orderA.ID, "provisioning@partner.example")
	intP1 := e.Integration(t, "P1")
	intP2 := e.Integration(t, "P2")
	algNone, foreignKey, hsConfusion := forgedTokens(t, e)

	tokens := []tokenCase{
		{name: "no token", token: "", deny: "UNAUTHENTICATED", reason: "MISSING"},
		{name: "setup link for A", token: link, kind: "SETUP_LINK", viewerOrder: "A-1",
			seesA: true, placeP1: "FORBIDDEN", placeP2: "FORBIDDEN"},
		{name: "integration P1", token: intP1, kind: "INTEGRATION", account: "P1",
			seesA: true, placeP2: "FORBIDDEN"},
		{name: "integration P2", token: intP2, kind: "INTEGRATION", account: "P2",
			seesB: true, placeP1: "FORBIDDEN"},
		{name: "operator", token: e.Op, kind: "OPERATOR", seesA: true, seesB: true},
		{name: "tampered operator signature", token: apptest.Tamper(t, e.Op), deny: "UNAUTHENTICATED", reason: "INVALID"},
		{name: "tampered integration signature", token: apptest.Tamper(t, intP1), deny: "UNAUTHENTICATED", reason: "INVALID"},
		{name: "tampered setup link signature", token: apptest.Tamper(t, link), deny: "UNAUTHENTICATED", reason: "INVALID"},
		{name: "alg none", token: algNone, deny: "UNAUTHENTICATED", reason: "INVALID"},
		{name: "expired operator", token: e.OperatorToken(t, -time.Hour), deny: "UNAUTHENTICATED", reason: "EXPIRED"},
		{name: "foreign key under a real kid", token: foreignKey, deny: "UNAUTHENTICATED", reason: "INVALID"},
		{name: "HS256 keyed with the public key", token: hsConfusion, deny: "UNAUTHENTICATED", reason: "INVALID"},
		{name: "garbage", token: "not-a-jwt", deny: "UNAUTHENTICATED", reason: "INVALID"},
	}

	// visible returns the order a read must return for tc, or "" for null.
	visible := func(tc tokenCase, o apptest.OrderView) string {
		if (o.ID == orderA.ID && tc.seesA) || (o.ID == orderB.ID && tc.seesB) {
			return o.ExternalID
		}
		return ""
	}

	// Reads first, for every token; then writes, so that the orders placed
	// by the write rows do not change what the read rows see.
	type op struct {
		name  string
		check func(t *testing.T, tc tokenCase)
	}
	readByID := func(query, field string, o apptest.OrderView) func(t *testing.T, tc tokenCase) {
		return func(t *testing.T, tc tokenCase) {
			res := e.GQL(t, tc.token, query, map[string]any{"id": o.ID})
			if tc.deny != "" {
				res.WantError(t, tc.deny, tc.reason)
				return
			}
			var data map[string]*apptest.OrderView
			res.OK(t).Decode(t, &data)
			got := ""
			if n := data[field]; n != nil {
				got = n.ExternalID
				if n.ID != o.ID {
					t.Errorf("%s returned id %s, want %s", field, n.ID, o.ID)
				}
			}
			if want := visible(tc, o); got != want {
				t.Errorf("%s(%s) = %q, want %q (\"\" = null)", field, o.ExternalID, got, want)
			}
		}
	}
	reads := []op{
		{"viewer", func(t *testing.T, tc tokenCase) {
			res := e.GQL(t, tc.token, viewerQuery, nil)
			if tc.deny != "" {
				res.WantError(t, tc.deny, tc.reason)
				if res.HasData() {
					t.Errorf("refused viewer returned data %s", res.Data)
				}
				return
			}
			var data struct {
				Viewer struct {
					Kind             string             `json:"kind"`
					PartnerAccountID *string            `json:"partnerAccountId"`
					Order            *apptest.OrderView `json:"order"`
				} `json:"viewer"`
			}
			res.OK(t).Decode(t, &data)
			v := data.Viewer
			if v.Kind != tc.kind {
				t.Errorf("viewer.kind = %q, want %q", v.Kind, tc.kind)
			}
			if got := apptest.Deref(v.PartnerAccountID); got != tc.account {
				t.Errorf("viewer.partnerAccountId = %q, want %q", got, tc.account)
			}
			gotOrder := ""
			if v.Order != nil {
				gotOrder = v.Order.ExternalID
			}
			if gotOrder != tc.viewerOrder {
				t.Errorf("viewer.order = %q, want %q", gotOrder, tc.viewerOrder)
			}
		}},
		{"order(A of P1)", readByID(orderQuery, "order", orderA)},
		{"order(B of P2)", readByID(orderQuery, "order", orderB)},
		{"node(A of P1)", readByID(nodeQuery, "node", orderA)},
		{"node(B of P2)", readByID(nodeQuery, "node", orderB)},
		{"orders list", func(t *testing.T, tc tokenCase) {
			res := e.GQL(t, tc.token, ordersQuery, nil)
			if tc.deny != "" {
				res.WantError(t, tc.deny, tc.reason)
				return
			}
			var data struct {
				Orders struct {
					TotalCount int `json:"totalCount"`
					Edges      []struct {
						Node apptest.OrderView `json:"node"`
					} `json:"edges"`
				} `json:"orders"`
			}
			res.OK(t).Decode(t, &data)
			var got, want []string
			for _, ed := range data.Orders.Edges {
				got = append(got, ed.Node.ExternalID)
			}
			for _, o := range []apptest.OrderView{orderA, orderB} {
				if x := visible(tc, o); x != "" {
					want = append(want, x)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("orders = %v, want %v", got, want)
			}
			if data.Orders.TotalCount != len(want) {
				t.Errorf("orders.totalCount = %d, want %d (a count must not reveal other orders)", data.Orders.TotalCount, len(want))
			}
		}},
	}

	seq := 0
	placeFor := func(account string, want func(tokenCase) string) func(t *testing.T, tc tokenCase) {
		return func(t *testing.T, tc tokenCase) {
			seq++
			ext := fmt.Sprintf("M-%d", seq)
			before := e.StoredExternalIDs(t)
			res := e.Place(t, tc.token, apptest.OrderInput(ext, account))
			wantCode, wantReason := want(tc), ""
			if tc.deny != "" {
				wantCode, wantReason = tc.deny, tc.reason
			}
			after := e.StoredExternalIDs(t)
			if wantCode != "" {
				res.WantError(t, wantCode, wantReason)
				if !slices.Equal(before, after) {
					t.Errorf("refused placeOrder wrote: orders before %v, after %v", before, after)
				}
				return
			}
			var data apptest.PlaceResult
			res.OK(t).Decode(t, &data)
			if o := data.PlaceOrder.Order; o == nil || o.PartnerAccountID != account || o.ExternalID != ext {
				t.Errorf("placeOrder = %+v (userErrors %+v), want an order %s of %s", o, data.PlaceOrder.UserErrors, ext, account)
			}
			if len(after) != len(before)+1 || !slices.Contains(after, account+"/"+ext) {
				t.Errorf("placeOrder should store one order %s/%s: before %v, after %v", account, ext, before, after)
			}
		}
	}
	writes := []op{
		{"placeOrder for P1", placeFor("P1", func(tc tokenCase) string { return tc.placeP1 })},
		{"placeOrder for P2", placeFor("P2", func(tc tokenCase) string { return tc.placeP2 })},
	}

	for _, o := range append(reads, writes...) {
		for _, tc := range tokens {
			t.Run(o.name+"/"+tc.name, func(t *testing.T) { o.check(t, tc) })
		}
	}
}

// --- setup link life ------------------------------------------------------------

func TestSetupLinkStates(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	a := e.MustPlace(t, apptest.OrderInput("A-1", "P1"))
	b := e.MustPlace(t, apptest.OrderInput("B-1", "P1"))

	type viewerData struct {
		Viewer struct {
			Kind  string             `json:"kind"`
			Email *string            `json:"email"`
			Order *apptest.OrderView `json:"order"`
		} `json:"viewer"`
	}
	const q = `{ viewer { kind email order { id externalID } } }`

	t.Run("replaced link", func(t *testing.T) {
		first := e.SetupLink(t, a.ID, "first@partner.example")
		var v viewerData
		e.GQL(t, first, q, nil).OK(t).Decode(t, &v)
		if v.Viewer.Order == nil || v.Viewer.Order.ID != a.ID {
			t.Fatalf("first link before replacement: viewer.order = %+v, want %s", v.Viewer.Order, a.ID)
		}

		second := e.SetupLink(t, a.ID, "colleague@partner.example")
		e.GQL(t, first, q, nil).WantError(t, "UNAUTHENTICATED", "REPLACED")
		// The refusal holds for every operation, not only viewer.
		e.GQL(t, first, orderQuery, map[string]any{"id": a.ID}).WantError(t, "UNAUTHENTICATED", "REPLACED")

		v = viewerData{}
		e.GQL(t, second, q, nil).OK(t).Decode(t, &v)
		if v.Viewer.Kind != "SETUP_LINK" {
			t.Errorf("viewer.kind = %q, want SETUP_LINK", v.Viewer.Kind)
		}
		if v.Viewer.Order == nil || v.Viewer.Order.ID != a.ID || v.Viewer.Order.ExternalID != "A-1" {
			t.Errorf("viewer.order = %+v, want order %s (A-1)", v.Viewer.Order, a.ID)
		}
		if got := apptest.Deref(v.Viewer.Email); got != "colleague@partner.example" {
			t.Errorf("viewer.email = %q, want colleague@partner.example", got)
		}
	})

	t.Run("a link for another order does not replace this one", func(t *testing.T) {
		la := e.SetupLink(t, a.ID, "a@partner.example")
		_ = e.SetupLink(t, b.ID, "b@partner.example")
		var v viewerData
		e.GQL(t, la, q, nil).OK(t).Decode(t, &v)
		if v.Viewer.Order == nil || v.Viewer.Order.ID != a.ID {
			t.Errorf("viewer.order = %+v, want %s", v.Viewer.Order, a.ID)
		}
	})

	// The link's state is read from the database on every call (never from
	// the signature cache): a link that worked a moment ago is refused at
	// once when its row changes.
	ctx := store.System(context.Background())
	t.Run("cancelled link", func(t *testing.T) {
		l := e.SetupLink(t, b.ID, "c@partner.example")
		e.GQL(t, l, q, nil).OK(t)
		if err := e.App.Store.Client.SetupLink.Update().
			Where(setuplink.OrderID(gid.ID(b.ID)), setuplink.StateEQ(setuplink.StateACTIVE)).
			SetState(setuplink.StateCANCELLED).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		e.GQL(t, l, q, nil).WantError(t, "UNAUTHENTICATED", "CANCELLED")
	})
	t.Run("link past its stored expiry", func(t *testing.T) {
		l := e.SetupLink(t, b.ID, "d@partner.example")
		e.GQL(t, l, q, nil).OK(t)
		// expires_at is immutable in the schema: age the row with SQL.
		stmt := `UPDATE setup_links SET expires_at = ? WHERE order_id = ? AND state = 'ACTIVE'`
		if e.App.Store.Dialect == "postgres" {
			stmt = `UPDATE setup_links SET expires_at = $1 WHERE order_id = $2 AND state = 'ACTIVE'`
		}
		res, err := e.App.Store.DB.ExecContext(ctx, stmt, time.Now().Add(-time.Minute), b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("aged %d setup links, want 1", n)
		}
		e.GQL(t, l, q, nil).WantError(t, "UNAUTHENTICATED", "EXPIRED")
	})
}

// --- placeOrder input ---------------------------------------------------------------

func TestPlaceOrderInvalidInput(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	long := func(n int) string { return strings.Repeat("x", n) }

	type row struct {
		name   string
		mutate func(in map[string]any)
		field  []string
	}
	customer := func(in map[string]any) map[string]any { return in["customer"].(map[string]any) }
	address := func(in map[string]any) map[string]any { return customer(in)["address"].(map[string]any) }
	partner := func(in map[string]any) map[string]any { return in["partner"].(map[string]any) }
	set := func(get func(map[string]any) map[string]any, key string, v any) func(map[string]any) {
		return func(in map[string]any) { get(in)[key] = v }
	}
	top := func(in map[string]any) map[string]any { return in }
	services := func(s ...any) func(map[string]any) {
		if s == nil {
			s = []any{} // an empty list, not null
		}
		return func(in map[string]any) { in["services"] = s }
	}
	svc := func(kind string, q int) map[string]any { return map[string]any{"kind": kind, "quantity": q} }
	day := func(days int) string { return apptest.ISODate(apptest.Today().AddDate(0, 0, days)) }

	rows := []row{
		{"email without @", set(top, "provisioningContactEmail", "not-an-email"), []string{"input", "provisioningContactEmail"}},
		{"email without dot in domain", set(top, "provisioningContactEmail", "ops@localhost"), []string{"input", "provisioningContactEmail"}},
		{"email with display name", set(top, "provisioningContactEmail", "Ops <ops@partner.example>"), []string{"input", "provisioningContactEmail"}},
		{"empty email", set(top, "provisioningContactEmail", "  "), []string{"input", "provisioningContactEmail"}},
		{"empty externalId", set(top, "externalId", ""), []string{"input", "externalId"}},
		{"externalId of 65 characters", set(top, "externalId", long(65)), []string{"input", "externalId"}},
		{"externalId with a space", set(top, "externalId", "A 1"), []string{"input", "externalId"}},
		{"externalId with non-ASCII letters", set(top, "externalId", "Ž-1"), []string{"input", "externalId"}},
		{"unknown country XX", set(customer, "country", "XX"), []string{"input", "customer", "country"}},
		{"country of three letters", set(customer, "country", "SRB"), []string{"input", "customer", "country"}},
		{"empty country", set(customer, "country", ""), []string{"input", "customer", "country"}},
		{"empty address line1", set(address, "line1", ""), []string{"input", "customer", "address", "line1"}},
		{"blank address line1", set(address, "line1", "   "), []string{"input", "customer", "address", "line1"}},
		{"empty address city", set(address, "city", ""), []string{"input", "customer", "address", "city"}},
		{"empty address postalCode", set(address, "postalCode", ""), []string{"input", "customer", "address", "postalCode"}},
		{"postalCode of 21 characters", set(address, "postalCode", long(21)), []string{"input", "customer", "address", "postalCode"}},
		{"line2 of 201 characters", set(address, "line2", long(201)), []string{"input", "customer", "address", "line2"}},
		{"no services", services(), []string{"input", "services"}},
		{"zero quantity", services(svc("MEETINGS", 0)), []string{"input", "services", "0", "quantity"}},
		{"negative quantity", services(svc("MEETINGS", -1)), []string{"input", "services", "0", "quantity"}},
		{"quantity over the limit", services(svc("MEETINGS", 1), svc("CALLING", 100_001)), []string{"input", "services", "1", "quantity"}},
		{"duplicate service kind", services(svc("MEETINGS", 1), svc("CALLING", 1), svc("MEETINGS", 2)), []string{"input", "services", "2", "kind"}},
		{"start date 31 days in the past", set(top, "requestedStartDate", day(-31)), []string{"input", "requestedStartDate"}},
		{"start date 367 days ahead", set(top, "requestedStartDate", day(367)), []string{"input", "requestedStartDate"}},
		{"customer name of 201 characters", set(customer, "name", long(201)), []string{"input", "customer", "name"}},
		{"partner name of 201 characters", set(partner, "name", long(201)), []string{"input", "partner", "name"}},
		{"empty customer name", set(customer, "name", " "), []string{"input", "customer", "name"}},
		{"control character in customer name", set(customer, "name", "Acme\x00Corp"), []string{"input", "customer", "name"}},
		{"newline in customer name", set(customer, "name", "Acme\nCorp"), []string{"input", "customer", "name"}},
		{"bell in partner name", set(partner, "name", "Partner\aOne"), []string{"input", "partner", "name"}},
		{"control character in address city", set(address, "city", "Beo\u0085grad"), []string{"input", "customer", "address", "city"}},
		{"invalid partner accountId", set(partner, "accountId", "P 1"), []string{"input", "partner", "accountId"}},
	}
	for i, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			in := apptest.OrderInput(fmt.Sprintf("V-%d", i), "P1")
			r.mutate(in)
			var data apptest.PlaceResult
			e.Place(t, e.Op, in).OK(t).Decode(t, &data)
			if data.PlaceOrder.Order != nil {
				t.Errorf("placeOrder returned an order %+v for bad input", data.PlaceOrder.Order)
			}
			ue := data.PlaceOrder.UserErrors
			if len(ue) != 1 {
				t.Fatalf("want exactly one userError on %v, got %+v", r.field, ue)
			}
			if ue[0].Code != "INVALID" {
				t.Errorf("userError code = %q, want INVALID", ue[0].Code)
			}
			if !slices.Equal(ue[0].Field, r.field) {
				t.Errorf("userError field = %q, want %q", ue[0].Field, r.field)
			}
			if ue[0].Message == "" {
				t.Error("userError has no message")
			}
			if n := e.CountOrders(t); n != 0 {
				t.Errorf("%d orders stored after bad input, want 0", n)
			}
		})
	}

	t.Run("every problem is reported at once", func(t *testing.T) {
		in := apptest.OrderInput("", "P1")
		in["provisioningContactEmail"] = "nope"
		customer(in)["country"] = "XX"
		in["services"] = []any{}
		var data apptest.PlaceResult
		e.Place(t, e.Op, in).OK(t).Decode(t, &data)
		var fields []string
		for _, u := range data.PlaceOrder.UserErrors {
			fields = append(fields, strings.Join(u.Field, "."))
		}
		slices.Sort(fields)
		want := []string{"input.customer.country", "input.externalId", "input.provisioningContactEmail", "input.services"}
		if !slices.Equal(fields, want) {
			t.Errorf("userError fields = %v, want %v", fields, want)
		}
		if n := e.CountOrders(t); n != 0 {
			t.Errorf("%d orders stored, want 0", n)
		}
	})

	// Values at the limits are accepted (so the rows above fail for the
	// reason they name), and input is normalized before it is stored.
	t.Run("limits are inclusive", func(t *testing.T) {
		in := apptest.OrderInput(long(64), "P1")
		in["requestedStartDate"] = day(-29) // its 30-day window is still open
		customer(in)["name"] = long(200)
		in["services"] = []any{svc("MEETINGS", 100_000), svc("CALLING", 1), svc("MESSAGING", 1)}
		e.MustPlace(t, in)
		in = apptest.OrderInput("edge-future", "P1")
		in["requestedStartDate"] = day(366)
		e.MustPlace(t, in)
		if n := e.CountOrders(t); n != 2 {
			t.Errorf("%d orders stored, want 2", n)
		}
	})
}

func TestPlaceOrderNormalizesInput(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	in := apptest.OrderInput("N-1", "P1")
	in["provisioningContactEmail"] = "  Ops@Partner.Example "
	in["customer"].(map[string]any)["country"] = "rs"
	o := e.MustPlace(t, in)
	if o.ProvisioningContactEmail != "ops@partner.example" {
		t.Errorf("email stored as %q, want ops@partner.example", o.ProvisioningContactEmail)
	}
	// PRODUCT.md asks for ISO 3166-1 alpha-2 codes; a lower-case code is
	// normalized to upper case rather than refused.
	if o.CustomerCountry != "RS" {
		t.Errorf("country stored as %q, want RS", o.CustomerCountry)
	}
	// The same order written differently is a replay, not a conflict.
	in2 := apptest.OrderInput("N-1", "P1")
	in2["provisioningContactEmail"] = "ops@partner.example"
	in2["customer"].(map[string]any)["country"] = "RS"
	again := e.MustPlace(t, in2)
	if again.ID != o.ID {
		t.Errorf("normalized replay got order %s, want %s", again.ID, o.ID)
	}
	if n := e.CountOrders(t); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}
}

func TestPlaceOrderIdempotency(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	first := e.MustPlace(t, apptest.OrderInput("X-1", "P1"))
	if first.Status != "PLACED" && first.Status != "LINK_SENT" {
		t.Errorf("new order status = %q", first.Status)
	}
	if strings.TrimSpace(first.ID) == "" || !strings.HasPrefix(first.ID, "ord_") {
		t.Errorf("order id %q is not an opaque global id", first.ID)
	}

	t.Run("same input twice returns the first order", func(t *testing.T) {
		again := e.MustPlace(t, apptest.OrderInput("X-1", "P1"))
		if again.ID != first.ID {
			t.Errorf("replay returned order %s, want %s", again.ID, first.ID)
		}
		// The integration of the same partner replays it too.
		var data apptest.PlaceResult
		e.Place(t, e.Integration(t, "P1"), apptest.OrderInput("X-1", "P1")).OK(t).Decode(t, &data)
		if o := data.PlaceOrder.Order; o == nil || o.ID != first.ID {
			t.Errorf("integration replay returned %+v (userErrors %+v), want %s", o, data.PlaceOrder.UserErrors, first.ID)
		}
		if got := e.StoredExternalIDs(t); !slices.Equal(got, []string{"P1/X-1"}) {
			t.Errorf("stored orders = %v, want [P1/X-1]", got)
		}
	})

	t.Run("same externalId with different content conflicts", func(t *testing.T) {
		in := apptest.OrderInput("X-1", "P1")
		in["customer"].(map[string]any)["name"] = "Someone Else d.o.o."
		var data apptest.PlaceResult
		e.Place(t, e.Op, in).OK(t).Decode(t, &data)
		if data.PlaceOrder.Order != nil {
			t.Errorf("conflict returned an order %+v", data.PlaceOrder.Order)
		}
		ue := data.PlaceOrder.UserErrors
		if len(ue) != 1 || ue[0].Code != "EXTERNAL_ID_CONFLICT" || !slices.Equal(ue[0].Field, []string{"input", "externalId"}) {
			t.Errorf("userErrors = %+v, want one EXTERNAL_ID_CONFLICT on [input externalId]", ue)
		}
		if got := e.StoredExternalIDs(t); !slices.Equal(got, []string{"P1/X-1"}) {
			t.Errorf("stored orders = %v, want [P1/X-1]", got)
		}
	})

	t.Run("same externalId under another partner account is another order", func(t *testing.T) {
		other := e.MustPlace(t, apptest.OrderInput("X-1", "P2"))
		if other.ID == first.ID {
			t.Fatalf("P2's X-1 got P1's order id %s", first.ID)
		}
		if other.PartnerAccountID != "P2" {
			t.Errorf("partnerAccountID = %q, want P2", other.PartnerAccountID)
		}
		if got := e.StoredExternalIDs(t); !slices.Equal(got, []string{"P1/X-1", "P2/X-1"}) {
			t.Errorf("stored orders = %v, want [P1/X-1 P2/X-1]", got)
		}
		// Each partner's integration sees its own X-1 only.
		for _, tc := range []struct{ account, id string }{{"P1", first.ID}, {"P2", other.ID}} {
			var data struct {
				Orders struct {
					Edges []struct{ Node apptest.OrderView } `json:"edges"`
				} `json:"orders"`
			}
			e.GQL(t, e.Integration(t, tc.account), ordersQuery, nil).OK(t).Decode(t, &data)
			if len(data.Orders.Edges) != 1 || data.Orders.Edges[0].Node.ID != tc.id {
				t.Errorf("integration %s lists %+v, want only %s", tc.account, data.Orders.Edges, tc.id)
			}
		}
	})
}

func TestPlaceOrderMalformedDate(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	for _, bad := range []string{"2026-13-01", "2026-02-30", "24.11.2026", "2026-11-24T00:00:00Z", ""} {
		t.Run("variable "+bad, func(t *testing.T) {
			in := apptest.OrderInput("D-1", "P1")
			in["requestedStartDate"] = bad
			res := e.Place(t, e.Op, in)
			res.WantError(t, "BAD_USER_INPUT", "")
			if n := e.CountOrders(t); n != 0 {
				t.Errorf("%d orders stored, want 0", n)
			}
		})
	}
	t.Run("literal", func(t *testing.T) {
		q := `mutation { placeOrder(input: {
			externalId: "D-2", product: A_WX, requestedStartDate: "2026-13-01",
			provisioningContactEmail: "ops@partner.example",
			partner: {name: "P", accountId: "P1"},
			customer: {name: "C", country: "RS", address: {line1: "L", city: "C", postalCode: "1"}},
			services: [{kind: MEETINGS, quantity: 1}]
		}) { order { id } userErrors { code } } }`
		e.GQL(t, e.Op, q, nil).WantError(t, "BAD_USER_INPUT", "")
		if n := e.CountOrders(t); n != 0 {
			t.Errorf("%d orders stored, want 0", n)
		}
	})
}

// --- pagination ----------------------------------------------------------------------

type page struct {
	Orders struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Cursor string            `json:"cursor"`
			Node   apptest.OrderView `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage     bool    `json:"hasNextPage"`
			HasPreviousPage bool    `json:"hasPreviousPage"`
			StartCursor     *string `json:"startCursor"`
			EndCursor       *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"orders"`
}

const pageQuery = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor, $where: OrderWhereInput, $orderBy: OrderOrder) {
  orders(first: $first, after: $after, last: $last, before: $before, where: $where, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id externalID status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

func (p page) externalIDs() []string {
	out := make([]string, len(p.Orders.Edges))
	for i, ed := range p.Orders.Edges {
		out[i] = ed.Node.ExternalID
	}
	return out
}

func TestOrdersPagination(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	var placed []string
	for i := 1; i <= 5; i++ {
		o := e.MustPlace(t, apptest.OrderInput(fmt.Sprintf("P-%d", i), "P1"))
		placed = append(placed, o.ExternalID)
	}
	fetch := func(t *testing.T, vars map[string]any) page {
		t.Helper()
		var p page
		e.GQL(t, e.Op, pageQuery, vars).OK(t).Decode(t, &p)
		return p
	}
	walk := func(t *testing.T, vars map[string]any) []string {
		t.Helper()
		var all []string
		wantSizes := []int{2, 2, 1}
		for i, size := range wantSizes {
			p := fetch(t, vars)
			if got := len(p.Orders.Edges); got != size {
				t.Fatalf("page %d has %d edges, want %d", i+1, got, size)
			}
			if p.Orders.TotalCount != 5 {
				t.Errorf("page %d totalCount = %d, want 5", i+1, p.Orders.TotalCount)
			}
			if wantNext := i < len(wantSizes)-1; p.Orders.PageInfo.HasNextPage != wantNext {
				t.Errorf("page %d hasNextPage = %v, want %v", i+1, p.Orders.PageInfo.HasNextPage, wantNext)
			}
			end := p.Orders.PageInfo.EndCursor
			if end == nil || *end != p.Orders.Edges[size-1].Cursor {
				t.Fatalf("page %d endCursor = %v, want the last edge's cursor", i+1, end)
			}
			all = append(all, p.externalIDs()...)
			vars["after"] = *end
		}
		return all
	}

	t.Run("first 2 then after endCursor", func(t *testing.T) {
		got := walk(t, map[string]any{"first": 2})
		if !slices.Equal(got, placed) {
			t.Errorf("paged through %v, want %v", got, placed)
		}
	})

	t.Run("orderBy CREATED_AT DESC", func(t *testing.T) {
		got := walk(t, map[string]any{"first": 2, "orderBy": map[string]any{"field": "CREATED_AT", "direction": "DESC"}})
		want := slices.Clone(placed)
		slices.Reverse(want)
		if !slices.Equal(got, want) {
			t.Errorf("paged through %v, want %v", got, want)
		}
	})

	t.Run("orderBy EXTERNAL_ID DESC", func(t *testing.T) {
		got := walk(t, map[string]any{"first": 2, "orderBy": map[string]any{"field": "EXTERNAL_ID", "direction": "DESC"}})
		want := slices.Clone(placed)
		slices.Reverse(want)
		if !slices.Equal(got, want) {
			t.Errorf("paged through %v, want %v", got, want)
		}
	})

	t.Run("last 2 before startCursor", func(t *testing.T) {
		p := fetch(t, map[string]any{"last": 2})
		if got := p.externalIDs(); !slices.Equal(got, placed[3:]) {
			t.Fatalf("last 2 = %v, want %v", got, placed[3:])
		}
		if !p.Orders.PageInfo.HasPreviousPage {
			t.Error("last 2 of 5: hasPreviousPage = false, want true")
		}
		p = fetch(t, map[string]any{"last": 2, "before": *p.Orders.PageInfo.StartCursor})
		if got := p.externalIDs(); !slices.Equal(got, placed[1:3]) {
			t.Errorf("last 2 before = %v, want %v", got, placed[1:3])
		}
	})

	t.Run("where status", func(t *testing.T) {
		p := fetch(t, map[string]any{"where": map[string]any{"status": "PLACED"}})
		got := p.externalIDs()
		if !slices.Equal(got, placed) || p.Orders.TotalCount != 5 {
			t.Errorf("status PLACED = %v (totalCount %d), want %v", got, p.Orders.TotalCount, placed)
		}
		p = fetch(t, map[string]any{"where": map[string]any{"status": "PROVISIONED"}})
		if len(p.Orders.Edges) != 0 || p.Orders.TotalCount != 0 {
			t.Errorf("status PROVISIONED = %v (totalCount %d), want none", p.externalIDs(), p.Orders.TotalCount)
		}
		p = fetch(t, map[string]any{"where": map[string]any{"externalIDIn": []string{"P-2", "P-4"}}})
		if got := p.externalIDs(); !slices.Equal(got, []string{"P-2", "P-4"}) {
			t.Errorf("externalIDIn = %v, want [P-2 P-4]", got)
		}
	})

	t.Run("where cannot widen an integration's scope", func(t *testing.T) {
		e.MustPlace(t, apptest.OrderInput("Q-1", "P2"))
		var p page
		e.GQL(t, e.Integration(t, "P1"), pageQuery, map[string]any{
			"where": map[string]any{"or": []any{
				map[string]any{"partnerAccountID": "P2"},
				map[string]any{"externalID": "Q-1"},
			}},
		}).OK(t).Decode(t, &p)
		if len(p.Orders.Edges) != 0 || p.Orders.TotalCount != 0 {
			t.Errorf("P1 integration filtering for P2 got %v (totalCount %d), want none", p.externalIDs(), p.Orders.TotalCount)
		}
	})

	for _, tc := range []struct {
		name string
		vars map[string]any
	}{
		{"first 101", map[string]any{"first": 101}},
		{"last 101", map[string]any{"last": 101}},
		{"first -1", map[string]any{"first": -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.GQL(t, e.Op, pageQuery, tc.vars)
			res.WantError(t, "BAD_USER_INPUT", "")
		})
	}

	t.Run("first 100 is allowed", func(t *testing.T) {
		if p := fetch(t, map[string]any{"first": 100}); p.Orders.TotalCount != 6 || len(p.Orders.Edges) != 6 {
			t.Errorf("first 100 got %d edges (totalCount %d), want 6", len(p.Orders.Edges), p.Orders.TotalCount)
		}
	})
}

// --- error hygiene ---------------------------------------------------------------------

func TestMalformedCursor(t *testing.T) {
	e := apptest.Start(t, apptest.Options{HandlerOnly: true})
	e.MustPlace(t, apptest.OrderInput("C-1", "P1"))
	for _, tc := range []struct {
		name string
		vars map[string]any
	}{
		{"after bad", map[string]any{"first": 2, "after": "bad"}},
		{"before bad", map[string]any{"last": 2, "before": "bad"}},
		{"after not base64", map[string]any{"first": 2, "after": "!!!!"}},
		{"after base64 of junk", map[string]any{"first": 2, "after": base64.RawStdEncoding.EncodeToString([]byte("junk"))}},
		{"after empty", map[string]any{"first": 2, "after": ""}},
		{"after a number", map[string]any{"first": 2, "after": 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := len(e.Logs.String())
			defer func() {
				if strings.Contains(e.Logs.String()[mark:], "request failed") {
					t.Errorf("a malformed cursor was logged as an internal failure:\n%s", e.Logs.String()[mark:])
				}
			}()
			res := e.GQL(t, e.Op, pageQuery, tc.vars)
			res.WantError(t, "BAD_USER_INPUT", "")
		})
	}
	t.Run("malformed Time in where", func(t *testing.T) {
		for _, v := range []any{"yesterday", 5} {
			res := e.GQL(t, e.Op, pageQuery, map[string]any{"where": map[string]any{"createdAtGT": v}})
			res.WantError(t, "BAD_USER_INPUT", "")
		}
	})
	t.Run("literal after bad", func(t *testing.T) {
		e.GQL(t, e.Op, `{ orders(first: 2, after: "bad") { totalCount } }`, nil).WantError(t, "BAD_USER_INPUT", "")
	})
}
