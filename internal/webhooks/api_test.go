package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/gid"
	"onramp/internal/mail/smtptest"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"
	"onramp/internal/webhooks"
)

// receiver is a partner's webhook endpoint: a real HTTP server that keeps
// what it receives and answers 500 to the first failFirst requests.
type receiver struct {
	srv       *httptest.Server
	failFirst atomic.Int32
	mu        sync.Mutex
	got       []delivered
}

type delivered struct {
	body      []byte
	eventID   string
	signature string
	answered  int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		code := http.StatusOK
		if r.failFirst.Add(-1) >= 0 {
			code = http.StatusInternalServerError
		}
		r.mu.Lock()
		r.got = append(r.got, delivered{body: body, eventID: req.Header.Get(webhooks.EventIDHeader),
			signature: req.Header.Get(webhooks.SignatureHeader), answered: code})
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// accepted lists the deliveries the receiver answered 2xx, in arrival order.
func (r *receiver) accepted() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivered
	for _, d := range r.got {
		if d.answered == http.StatusOK {
			out = append(out, d)
		}
	}
	return out
}

func (r *receiver) all() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// typeOf reads an event's type from a delivered body.
func typeOf(t *testing.T, body []byte) string {
	t.Helper()
	var p webhooks.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("delivered body %s: %v", body, err)
	}
	return p.Type
}

const createEndpointMutation = `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) {
  endpoint { id url events partnerAccountId } secret userErrors { field code message } } }`

type createEndpointResult struct {
	CreateWebhookEndpoint struct {
		Endpoint *struct {
			ID               string   `json:"id"`
			URL              string   `json:"url"`
			Events           []string `json:"events"`
			PartnerAccountID string   `json:"partnerAccountId"`
		} `json:"endpoint"`
		Secret     *string             `json:"secret"`
		UserErrors []apptest.UserError `json:"userErrors"`
	} `json:"createWebhookEndpoint"`
}

func createEndpoint(t *testing.T, m *apptest.Server, token string, in map[string]any) createEndpointResult {
	t.Helper()
	var res createEndpointResult
	m.GQL(t, token, createEndpointMutation, map[string]any{"in": in}).OK(t).Decode(t, &res)
	return res
}

const eventsQuery = `query($after: Cursor, $order: ID) { events(first: 50, after: $after, orderId: $order) {
  edges { cursor node { id type orderId externalId order { id status step } } } pageInfo { hasNextPage endCursor } } }`

type eventsResult struct {
	Events struct {
		Edges []struct {
			Cursor string `json:"cursor"`
			Node   struct {
				ID         string `json:"id"`
				Type       string `json:"type"`
				OrderID    string `json:"orderId"`
				ExternalID string `json:"externalId"`
				Order      struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"order"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"events"`
}

// tickUntil advances the stub clock a few seconds at a time (River's
// retries and snoozes fall due on it) until cond holds.
func tickUntil(t *testing.T, clk *clock.Stub, what string, cond func() (bool, string)) {
	t.Helper()
	testkit.Eventually(t, what, apptest.MailWait, func() (bool, string) {
		clk.Advance(3 * time.Second)
		return cond()
	})
}

// TestWebhooksDeliverAFlowsEventsSigned: an integration's endpoint hears
// a whole flow's events in order, each signed with its secret; the event
// feed replays exactly what was delivered; another partner hears and
// reads nothing; a setup link may not read the feed.
func TestWebhooksDeliverAFlowsEventsSigned(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) { c.Dev = true; c.SMTPURL = sink.URL() })
	rcv := newReceiver(t)
	integ := m.Integration(t, "P1")
	created := createEndpoint(t, m, integ, map[string]any{"url": rcv.srv.URL + "/onramp"})
	if ep := created.CreateWebhookEndpoint; ep.Endpoint == nil || ep.Secret == nil || !strings.HasPrefix(*ep.Secret, "whsec_") || len(ep.UserErrors) > 0 {
		t.Fatalf("createWebhookEndpoint: %+v", ep)
	}
	secret := *created.CreateWebhookEndpoint.Secret
	// Another partner's endpoint, to prove it hears nothing of P1.
	other := newReceiver(t)
	createEndpoint(t, m, m.Integration(t, "P2"), map[string]any{"url": other.srv.URL})

	o := m.PlaceOrderFor(t, integ, "WH-1", "P1", apptest.MailToday, "ana@p1.example")
	m.WaitOrderStatus(t, o.ID, "LINK_SENT")
	m.Op = m.Operator(t)
	c := m
	link := c.Link(t, o.ID, "ana@p1.example")
	c.PartnerToConfirm(t, link, "it@wh-acme.example")
	c.ConfirmToServices(t, link)
	c.SaveSettings(t, link, "whacme")
	c.MustProvision(t, link, nil)

	want := []string{"order.placed", "order.link_sent", "order.setup_started", "order.orgs_confirmed", "order.provisioned"}
	tickUntil(t, clk, "the flow's five events at the endpoint", func() (bool, string) {
		return len(rcv.accepted()) >= len(want), strings.Repeat("·", len(rcv.accepted()))
	})
	got := rcv.accepted()
	var types, ids []string
	for _, d := range got {
		types = append(types, typeOf(t, d.body))
		ids = append(ids, d.eventID)
		if !webhooks.Verify(d.signature, secret, d.body) {
			t.Errorf("%s: the signature %q does not verify with the endpoint's secret", d.eventID, d.signature)
		}
		tampered := bytes.Replace(d.body, []byte(`"WH-1"`), []byte(`"WH-2"`), 1)
		if webhooks.Verify(d.signature, secret, tampered) {
			t.Errorf("%s: a tampered body verifies", d.eventID)
		}
		if webhooks.Verify(d.signature, "whsec_wrong", d.body) {
			t.Errorf("%s: verifies with another secret", d.eventID)
		}
	}
	if !slices.Equal(types, want) {
		t.Errorf("delivered %v, want %v in that order", types, want)
	}
	// Each body numbers the order's events 1, 2, 3 … and carries the whole
	// state: the order and its subscription (active once provisioned).
	for i, d := range got {
		var p webhooks.Payload
		if err := json.Unmarshal(d.body, &p); err != nil {
			t.Fatal(err)
		}
		sub := p.Data.Subscription
		wantStatus := "PENDING"
		if p.Type == "order.provisioned" {
			wantStatus = "ACTIVE"
		}
		if p.Sequence != i+1 || sub == nil || sub.Status != wantStatus || len(sub.Services) != 2 || p.Data.Order.ID != gid.ID(o.ID) {
			t.Errorf("delivery %d (%s): sequence %d, subscription %+v, order %s; want sequence %d, a %s subscription of two services, order %s",
				i, p.Type, p.Sequence, sub, p.Data.Order.ID, i+1, wantStatus, o.ID)
		}
	}

	var feed eventsResult
	m.GQL(t, integ, eventsQuery, map[string]any{"order": o.ID}).OK(t).Decode(t, &feed)
	var fed []string
	for _, e := range feed.Events.Edges {
		fed = append(fed, e.Node.ID)
		if e.Node.OrderID != o.ID || e.Node.ExternalID != "WH-1" || e.Node.Order.ID != o.ID {
			t.Errorf("event %+v is not of order %s", e.Node, o.ID)
		}
	}
	if !slices.Equal(fed, ids) {
		t.Errorf("events feed %v, delivered %v: want the same, in the same order", fed, ids)
	}
	// Replay from the cursor of the second event: exactly the rest.
	if len(feed.Events.Edges) == len(want) {
		var rest eventsResult
		m.GQL(t, integ, eventsQuery, map[string]any{"after": feed.Events.Edges[1].Cursor}).OK(t).Decode(t, &rest)
		var replayed []string
		for _, e := range rest.Events.Edges {
			replayed = append(replayed, e.Node.ID)
		}
		if !slices.Equal(replayed, ids[2:]) {
			t.Errorf("replay after the second event: %v, want %v", replayed, ids[2:])
		}
	}

	t.Run("scope", func(t *testing.T) {
		if n := len(other.all()); n != 0 {
			t.Errorf("P2's endpoint received %d of P1's events", n)
		}
		var p2 eventsResult
		m.GQL(t, m.Integration(t, "P2"), eventsQuery, nil).OK(t).Decode(t, &p2)
		if len(p2.Events.Edges) != 0 {
			t.Errorf("P2's integration reads %d of P1's events", len(p2.Events.Edges))
		}
		var eps struct {
			WebhookEndpoints []struct{ URL string } `json:"webhookEndpoints"`
		}
		m.GQL(t, m.Integration(t, "P2"), `{ webhookEndpoints { url } }`, nil).OK(t).Decode(t, &eps)
		if len(eps.WebhookEndpoints) != 1 || eps.WebhookEndpoints[0].URL != other.srv.URL {
			t.Errorf("P2 lists endpoints %+v, want only its own", eps.WebhookEndpoints)
		}
		m.GQL(t, link, eventsQuery, nil).WantError(t, "FORBIDDEN", "")
		var all eventsResult
		m.GQL(t, m.Operator(t), eventsQuery, nil).OK(t).Decode(t, &all)
		if len(all.Events.Edges) < len(want) {
			t.Errorf("an operator reads %d events, want all", len(all.Events.Edges))
		}
	})
}

// TestWebhooksRetryAndRotate: a receiver answering 500 twice gets the event
// on the third attempt, every attempt is recorded, and after a rotation
// deliveries carry a signature of each secret.
func TestWebhooksRetryAndRotate(t *testing.T) {
	t.Parallel()
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) { c.Dev = true })
	rcv := newReceiver(t)
	rcv.failFirst.Store(2)
	op := m.Operator(t)
	created := createEndpoint(t, m, op, map[string]any{"url": rcv.srv.URL, "events": []string{"order.placed", "order.cancelled"}, "partnerAccountId": "P1"})
	ep := created.CreateWebhookEndpoint
	if ep.Endpoint == nil || ep.Endpoint.PartnerAccountID != "P1" || !slices.Equal(ep.Endpoint.Events, []string{"order.placed", "order.cancelled"}) {
		t.Fatalf("createWebhookEndpoint: %+v", ep)
	}
	first := *ep.Secret

	o := m.PlaceOrderFor(t, m.Integration(t, "P1"), "WR-1", "P1", apptest.ISODate(apptest.MailDay(5, 0)), "ana@p1.example")
	tickUntil(t, clk, "the third attempt", func() (bool, string) {
		return len(rcv.accepted()) == 1, strings.Repeat("·", len(rcv.all()))
	})
	if all := rcv.all(); len(all) != 3 || all[0].eventID != all[2].eventID || all[2].answered != 200 {
		t.Errorf("attempts %d, want 3 of the same event, the last accepted", len(all))
	}
	var res struct {
		WebhookEndpoints []struct {
			Deliveries []struct {
				Attempt    int    `json:"attempt"`
				Status     string `json:"status"`
				StatusCode *int   `json:"statusCode"`
				EventType  string `json:"eventType"`
			} `json:"deliveries"`
		} `json:"webhookEndpoints"`
	}
	// The attempt is recorded once the receiver has answered.
	testkit.Eventually(t, "three recorded attempts", apptest.MailWait, func() (bool, string) {
		m.GQL(t, m.Integration(t, "P1"), `{ webhookEndpoints { deliveries(first: 10) { attempt status statusCode eventType } } }`, nil).OK(t).Decode(t, &res)
		return len(res.WebhookEndpoints) == 1 && len(res.WebhookEndpoints[0].Deliveries) == 3, "not yet"
	})
	d := res.WebhookEndpoints[0].Deliveries // newest first
	if d[0].Status != "SUCCEEDED" || d[0].StatusCode == nil || *d[0].StatusCode != 200 || d[1].Status != "FAILED" || d[1].StatusCode == nil || *d[1].StatusCode != 500 || d[2].Attempt != 1 {
		t.Errorf("recorded deliveries %+v, want 500, 500, then 200", d)
	}

	var rot struct {
		RotateWebhookSecret struct {
			Secret *string `json:"secret"`
		} `json:"rotateWebhookSecret"`
	}
	m.GQL(t, op, `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret userErrors { code } } }`,
		map[string]any{"id": ep.Endpoint.ID}).OK(t).Decode(t, &rot)
	second := apptest.Deref(rot.RotateWebhookSecret.Secret)
	if second == "" || second == first {
		t.Fatalf("rotate answered secret %q", second)
	}
	m.GQL(t, op, `mutation($id: ID!) { cancelOrder(orderId: $id) { userErrors { code } } }`, map[string]any{"id": o.ID}).OK(t)
	tickUntil(t, clk, "the cancellation's delivery", func() (bool, string) { return len(rcv.accepted()) == 2, "" })
	last := rcv.accepted()[1]
	if typeOf(t, last.body) != "order.cancelled" {
		t.Errorf("second delivery is %s, want order.cancelled (the endpoint wants no other)", typeOf(t, last.body))
	}
	if strings.Count(last.signature, "v1=") != 2 || !webhooks.Verify(last.signature, first, last.body) || !webhooks.Verify(last.signature, second, last.body) {
		t.Errorf("during the rotation the signature %q should verify with both secrets", last.signature)
	}
}

// TestWebhookEndpointsRefuseUnsafeURLs: outside dev mode an endpoint must
// be https to a public host; bad input is a userError and stores nothing.
func TestWebhookEndpointsRefuseUnsafeURLs(t *testing.T) {
	t.Parallel()
	m := apptest.StartAt(t, apptest.NewLocation(t), clock.NewStub(apptest.MailEpoch), nil)
	integ := m.Integration(t, "P1")
	for _, tc := range []struct{ name, url, field string }{
		{"plain http", "http://hooks.partner.example/x", "url"},
		{"loopback", "https://127.0.0.1/x", "url"},
		{"loopback v6", "https://[::1]/x", "url"},
		{"private", "https://10.1.2.3/x", "url"},
		{"link-local (cloud metadata)", "https://169.254.169.254/latest", "url"},
		{"localhost", "https://localhost/x", "url"},
		{"credentials", "https://user:pw@hooks.partner.example/x", "url"},
		{"not a URL", "hooks", "url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := createEndpoint(t, m, integ, map[string]any{"url": tc.url})
			if r := res.CreateWebhookEndpoint; r.Endpoint != nil || r.Secret != nil {
				t.Errorf("created %+v", r.Endpoint)
			}
			apptest.WantCode(t, "createWebhookEndpoint", res.CreateWebhookEndpoint.UserErrors, "INVALID", "input", tc.field)
		})
	}
	res := createEndpoint(t, m, integ, map[string]any{"url": "https://hooks.partner.example/x", "events": []string{"order.shipped"}})
	apptest.WantCode(t, "unknown event type", res.CreateWebhookEndpoint.UserErrors, "INVALID", "input", "events", "0")
	m.GQL(t, integ, createEndpointMutation, map[string]any{"in": map[string]any{"url": "https://hooks.partner.example/x", "partnerAccountId": "P2"}}).
		WantError(t, "FORBIDDEN", "")
	var eps struct {
		WebhookEndpoints []struct{ ID string } `json:"webhookEndpoints"`
	}
	m.GQL(t, integ, `{ webhookEndpoints { id } }`, nil).OK(t).Decode(t, &eps)
	if len(eps.WebhookEndpoints) != 0 {
		t.Errorf("refused endpoints were stored: %+v", eps.WebhookEndpoints)
	}
	ok := createEndpoint(t, m, integ, map[string]any{"url": "https://hooks.partner.example/x"})
	if ok.CreateWebhookEndpoint.Endpoint == nil {
		t.Errorf("a public https endpoint was refused: %+v", ok.CreateWebhookEndpoint.UserErrors)
	}
}

// TestWebhookLimits: at most 10 endpoints per account; redeliverWebhook at
// most 5 times per delivered event and endpoint and 60 times per account
// an hour, however the calls are batched (one request of 60 aliases used
// to become 60 POSTs to a URL of the caller's choice).
func TestWebhookLimits(t *testing.T) {
	t.Parallel()
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) { c.Dev = true })
	rcv := newReceiver(t)
	integ := m.Integration(t, "P1")

	var ids []string
	for i := range 10 {
		r := createEndpoint(t, m, integ, map[string]any{"url": rcv.srv.URL + fmt.Sprintf("/hook-%d", i), "events": []string{"order.cancelled"}})
		if r.CreateWebhookEndpoint.Endpoint == nil {
			t.Fatalf("endpoint %d of 10: %+v", i+1, r.CreateWebhookEndpoint.UserErrors)
		}
		ids = append(ids, r.CreateWebhookEndpoint.Endpoint.ID)
	}
	over := createEndpoint(t, m, integ, map[string]any{"url": rcv.srv.URL + "/hook-11"})
	apptest.WantCode(t, "an 11th endpoint", over.CreateWebhookEndpoint.UserErrors, "TOO_MANY_ENDPOINTS")
	if over.CreateWebhookEndpoint.Endpoint != nil {
		t.Fatalf("the 11th endpoint was created")
	}
	m.GQL(t, integ, `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { userErrors { code } } }`, map[string]any{"id": ids[9]}).OK(t)
	if again := createEndpoint(t, m, integ, map[string]any{"url": rcv.srv.URL + "/hook-10", "events": []string{"order.placed"}}); again.CreateWebhookEndpoint.Endpoint == nil {
		t.Fatalf("after a deletion, a tenth endpoint: %+v", again.CreateWebhookEndpoint.UserErrors)
	}

	// Another account, one endpoint, 13 delivered events.
	p2 := m.Integration(t, "P2")
	hook := createEndpoint(t, m, p2, map[string]any{"url": rcv.srv.URL + "/p2", "events": []string{"order.placed"}})
	if hook.CreateWebhookEndpoint.Endpoint == nil {
		t.Fatal(hook.CreateWebhookEndpoint.UserErrors)
	}
	toP2 := func() int {
		n := 0
		for _, d := range rcv.all() {
			if typeOf(t, d.body) == "order.placed" && strings.Contains(string(d.body), "LIM-") {
				n++
			}
		}
		return n
	}
	for i := range 13 {
		m.PlaceOrderFor(t, p2, fmt.Sprintf("LIM-%d", i), "P2", apptest.ISODate(apptest.MailDay(5, 0)), "ana@p2.example")
	}
	var deliveries []string
	tickUntil(t, clk, "13 deliveries recorded", func() (bool, string) {
		var res struct {
			WebhookEndpoints []struct {
				Deliveries []struct{ ID string } `json:"deliveries"`
			} `json:"webhookEndpoints"`
		}
		m.GQL(t, p2, `{ webhookEndpoints { deliveries(first: 50) { id } } }`, nil).OK(t).Decode(t, &res)
		deliveries = nil
		for _, d := range res.WebhookEndpoints[0].Deliveries {
			deliveries = append(deliveries, d.ID)
		}
		return len(deliveries) == 13, fmt.Sprintf("%d recorded", len(deliveries))
	})
	before := toP2()

	// One request of 60 aliases for one delivery: 5 are queued.
	redeliver := func(ids ...string) (queued int, refused []string) {
		t.Helper()
		var q strings.Builder
		q.WriteString("mutation {")
		for i, id := range ids {
			fmt.Fprintf(&q, " r%d: redeliverWebhook(deliveryId: %q) { endpoint { id } userErrors { code } }", i, id)
		}
		q.WriteString(" }")
		var out map[string]struct {
			Endpoint   *struct{ ID string } `json:"endpoint"`
			UserErrors []apptest.UserError  `json:"userErrors"`
		}
		m.GQL(t, p2, q.String(), nil).OK(t).Decode(t, &out)
		for _, r := range out {
			switch {
			case r.Endpoint != nil && len(r.UserErrors) == 0:
				queued++
			case len(r.UserErrors) == 1:
				refused = append(refused, r.UserErrors[0].Code)
			default:
				t.Fatalf("a redelivery answered %+v", r)
			}
		}
		return queued, refused
	}
	sixty := make([]string, 60)
	for i := range sixty {
		sixty[i] = deliveries[0]
	}
	queued, refused := redeliver(sixty...)
	if queued != 5 || len(refused) != 55 || refused[0] != "TOO_MANY_REDELIVERIES" {
		t.Fatalf("60 redeliveries of one delivery: %d queued, refused %v; want 5 and 55 × TOO_MANY_REDELIVERIES", queued, refused)
	}
	tickUntil(t, clk, "the 5 redeliveries", func() (bool, string) { return toP2()-before >= 5, strconv.Itoa(toP2() - before) })
	for range 5 {
		clk.Advance(3 * time.Second)
	}
	if n := toP2() - before; n != 5 {
		t.Fatalf("%d redeliveries reached the endpoint, want 5", n)
	}

	// Per account: 60 an hour in all (5 used above).
	var batch []string
	for _, d := range deliveries[1:12] { // 11 deliveries × 5 = 55
		for range 5 {
			batch = append(batch, d)
		}
	}
	if queued, refused := redeliver(batch[:30]...); queued != 30 || len(refused) != 0 {
		t.Fatalf("30 redeliveries of 6 deliveries: %d queued, refused %v", queued, refused)
	}
	if queued, refused := redeliver(batch[30:]...); queued != 25 || len(refused) != 0 {
		t.Fatalf("25 more: %d queued, refused %v", queued, refused)
	}
	if queued, refused := redeliver(deliveries[12]); queued != 0 || len(refused) != 1 || refused[0] != "TOO_MANY_REDELIVERIES" {
		t.Fatalf("the 61st redelivery of the hour: %d queued, refused %v", queued, refused)
	}
	clk.Advance(61 * time.Minute)
	p2 = m.Integration(t, "P2") // the first one lived an hour
	if queued, _ := redeliver(deliveries[12]); queued != 1 {
		t.Fatalf("an hour later the account's allowance was not back")
	}
	// Ten parallel requests for the delivery redelivered once: four more.
	var wg sync.WaitGroup
	var total atomic.Int32
	for range 10 {
		wg.Go(func() {
			c := testkit.Client{URL: m.URL}
			r, err := c.Post(context.Background(), p2, fmt.Sprintf(`mutation { redeliverWebhook(deliveryId: %q) { endpoint { id } userErrors { code } } }`, deliveries[12]), nil)
			if err == nil && len(r.Errors) == 0 && strings.Contains(string(r.Data), `"endpoint":{`) {
				total.Add(1)
			}
		})
	}
	wg.Wait()
	if n := total.Load(); n != 4 {
		t.Fatalf("10 parallel redeliveries of a delivery redelivered once: %d queued, want 4", n)
	}
	// After the retention the records are pruned: the counts start over.
	clk.Advance(webhooks.RedeliveryRetention + time.Minute)
	if n, err := m.App.Webhooks.PruneRedeliveries(context.Background()); err != nil || n != 5+55+1+4 {
		t.Fatalf("PruneRedeliveries after the retention: %d, %v; want all 65", n, err)
	}
}

// TestWebhookSecretsOverlapEveryRotation: each secret a rotation retires
// keeps signing for its 24 hours, however many rotations follow (a second
// rotation used to drop the original secret at once).
func TestWebhookSecretsOverlapEveryRotation(t *testing.T) {
	t.Parallel()
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) { c.Dev = true })
	rcv := newReceiver(t)
	integ := m.Integration(t, "P1")
	created := createEndpoint(t, m, integ, map[string]any{"url": rcv.srv.URL, "events": []string{"order.placed"}})
	if created.CreateWebhookEndpoint.Endpoint == nil {
		t.Fatal(created.CreateWebhookEndpoint.UserErrors)
	}
	id := created.CreateWebhookEndpoint.Endpoint.ID
	rotate := func() string {
		t.Helper()
		var rot struct {
			RotateWebhookSecret struct {
				Secret     *string             `json:"secret"`
				UserErrors []apptest.UserError `json:"userErrors"`
			} `json:"rotateWebhookSecret"`
		}
		m.GQL(t, integ, `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret userErrors { code message } } }`,
			map[string]any{"id": id}).OK(t).Decode(t, &rot)
		if rot.RotateWebhookSecret.Secret == nil {
			t.Fatalf("rotate: %+v", rot.RotateWebhookSecret.UserErrors)
		}
		return *rot.RotateWebhookSecret.Secret
	}
	secrets := []string{*created.CreateWebhookEndpoint.Secret}
	secrets = append(secrets, rotate())
	clk.Advance(time.Hour)
	secrets = append(secrets, rotate())
	m.PlaceOrderFor(t, integ, "ROT-1", "P1", apptest.ISODate(apptest.MailDay(5, 0)), "ana@p1.example")
	tickUntil(t, clk, "the delivery", func() (bool, string) { return len(rcv.accepted()) == 1, "" })
	d := rcv.accepted()[0]
	for i, s := range secrets {
		if !webhooks.Verify(d.signature, s, d.body) {
			t.Errorf("secret %d of 3 does not verify a delivery an hour after two rotations (header %q)", i, d.signature)
		}
	}
	// A day after the first rotation the original secret is gone, the
	// second (retired an hour later) still signs.
	clk.Advance(23*time.Hour + time.Minute)
	integ = m.Integration(t, "P1")
	m.PlaceOrderFor(t, integ, "ROT-2", "P1", apptest.ISODate(apptest.MailDay(6, 0)), "ana@p1.example")
	tickUntil(t, clk, "the second delivery", func() (bool, string) { return len(rcv.accepted()) == 2, "" })
	d = rcv.accepted()[1]
	if webhooks.Verify(d.signature, secrets[0], d.body) {
		t.Errorf("the original secret still signs a day after it was retired")
	}
	if !webhooks.Verify(d.signature, secrets[1], d.body) || !webhooks.Verify(d.signature, secrets[2], d.body) {
		t.Errorf("the secrets retired within the day stopped signing (header %q)", d.signature)
	}
	// One retired secret signs now (the second); four more rotations make
	// five, the most; another within the day is refused.
	for range 4 {
		rotate()
	}
	var refused struct {
		RotateWebhookSecret struct {
			Secret     *string             `json:"secret"`
			UserErrors []apptest.UserError `json:"userErrors"`
		} `json:"rotateWebhookSecret"`
	}
	m.GQL(t, integ, `mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret userErrors { field code message } } }`,
		map[string]any{"id": id}).OK(t).Decode(t, &refused)
	apptest.WantCode(t, "a sixth retired secret within a day", refused.RotateWebhookSecret.UserErrors, "TOO_MANY_ROTATIONS")
	if refused.RotateWebhookSecret.Secret != nil {
		t.Errorf("the refused rotation answered a secret")
	}
}

// TestTestClockKeepsSignaturesRealAndItsOffsetBounded: with --test-clock,
// a delivery's signature carries the wall clock's time (a receiver checks
// it against its own clock, which no test moves), and the offset is
// bounded: an advance past it is a userError, never an overflow that
// keeps the server from starting again.
func TestTestClockKeepsSignaturesRealAndItsOffsetBounded(t *testing.T) {
	t.Parallel()
	s := apptest.Serve(t, func(cfg *app.Config) {
		cfg.Dev = true
		cfg.TestClock = true
		cfg.JobPollInterval = 50 * time.Millisecond
	})
	rcv := newReceiver(t)
	s.AdvanceClock(t, "48h")
	integ, err := s.App.Auth.IssueIntegration("P1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var created createEndpointResult
	apptest.Post(t, s.URL, integ, createEndpointMutation, map[string]any{"in": map[string]any{"url": rcv.srv.URL, "events": []string{"order.placed"}}}).OK(t).Decode(t, &created)
	if created.CreateWebhookEndpoint.Endpoint == nil {
		t.Fatal(created.CreateWebhookEndpoint.UserErrors)
	}
	in := apptest.OrderInput("TCS-1", "P1")
	in["requestedStartDate"] = apptest.ISODate(time.Now().AddDate(0, 0, 10))
	apptest.Post(t, s.URL, integ, apptest.PlaceOrderMutation, map[string]any{"in": in, "input": in}).OK(t)
	testkit.Eventually(t, "the delivery", apptest.MailWait, func() (bool, string) { return len(rcv.accepted()) == 1, "" })
	sig := rcv.accepted()[0].signature
	ts, _, _ := strings.Cut(strings.TrimPrefix(sig, "t="), ",")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Fatalf("signature %q: %v", sig, err)
	}
	if skew := time.Since(time.Unix(sec, 0)); skew > time.Minute || skew < -time.Minute {
		t.Errorf("the signature's t= is %s from the wall clock, want the wall clock's time", skew.Round(time.Second))
	}

	// Advances of 400 days until the clock refuses one.
	refused := false
	for i := 0; i < 400 && !refused; i++ {
		var res apptest.AdvanceResult
		r := apptest.Post(t, s.URL, s.Operator(t), apptest.AdvanceClockMutation, map[string]any{"by": "9600h"})
		r.OK(t).Decode(t, &res)
		if len(res.AdvanceClock.UserErrors) > 0 {
			apptest.WantCode(t, "an advance past the bound", res.AdvanceClock.UserErrors, "INVALID", "by")
			refused = true
		}
	}
	if !refused {
		t.Fatal("400 advances of 400 days were all accepted")
	}
	if _, err := clock.OpenShared(context.Background(), s.App.Store.DB); err != nil {
		t.Fatalf("a server starting now with --test-clock would fail: %v", err)
	}
}

// TestWebhookHangingEndpointsDelayNoOneElse: one partner's endpoints that
// never answer hold at most that partner's share of the delivery workers,
// so another partner's delivery goes out while they still hang (it used to
// wait for their 10 s timeouts: 8 hanging endpoints filled all 5 workers).
func TestWebhookHangingEndpointsDelayNoOneElse(t *testing.T) {
	t.Parallel()
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) { c.Dev = true })
	var open, ended atomic.Int32
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		open.Add(1)
		defer ended.Add(1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hang.Close() })
	fast := newReceiver(t)

	p1, p2 := m.Integration(t, "P1"), m.Integration(t, "P2")
	for i := range 8 {
		if r := createEndpoint(t, m, p1, map[string]any{"url": fmt.Sprintf("%s/hang-%d", hang.URL, i), "events": []string{"order.placed"}}); r.CreateWebhookEndpoint.Endpoint == nil {
			t.Fatal(r.CreateWebhookEndpoint.UserErrors)
		}
	}
	if r := createEndpoint(t, m, p2, map[string]any{"url": fast.srv.URL, "events": []string{"order.placed"}}); r.CreateWebhookEndpoint.Endpoint == nil {
		t.Fatal(r.CreateWebhookEndpoint.UserErrors)
	}
	for i := range 3 {
		m.PlaceOrderFor(t, p1, fmt.Sprintf("HANG-%d", i), "P1", apptest.ISODate(apptest.MailDay(5, 0)), "ana@p1.example")
	}
	testkit.Eventually(t, "P1's deliveries hanging", apptest.MailWait, func() (bool, string) {
		return open.Load() >= 4, fmt.Sprintf("%d open", open.Load())
	})
	m.PlaceOrderFor(t, p2, "FAST-1", "P2", apptest.ISODate(apptest.MailDay(5, 0)), "bob@p2.example")
	testkit.Eventually(t, "P2's delivery", apptest.MailWait, func() (bool, string) {
		return len(fast.accepted()) == 1, fmt.Sprintf("%d hanging requests ended", ended.Load())
	})
	if n := ended.Load(); n > 0 {
		t.Fatalf("P2's delivery waited until %d of P1's hanging requests timed out", n)
	}
	if n := open.Load(); n > 4 {
		t.Errorf("%d of P1's deliveries hung at once, want at most its share of 4", n)
	}
}
