package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"onramp/ent/organization"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit/apptest"
)

// TestRevocationReachesOpenSockets: a socket opened with an integration
// key, a partner session or a setup link is closed with 4403 once that
// credential is revoked (the key revoked, the session signed out, the link
// replaced), receives no change made after the revocation, and answers no
// subscription started after it. On one server, and across two replicas
// (the socket on one, the revocation on the other; PostgreSQL).
func TestRevocationReachesOpenSockets(t *testing.T) {
	t.Run("one server", func(t *testing.T) {
		s := apptest.Serve(t, nil)
		revocationCases(t, s, s, true)
	})
	t.Run("two replicas", func(t *testing.T) {
		_, dbURL := storetest.PostgresLocation(t)
		a := startReplica(t, dbURL)
		b := startReplica(t, dbURL)
		// Another replica hears of a revocation within a second; the
		// check of a new subscription is the in-memory lookup, so only the
		// changes after the revocation are asserted there (they travel
		// behind it, in commit order).
		revocationCases(t, a, b, false)
	})
}

// revocationCases opens each kind of socket on sockets and revokes its
// credential through via.
func revocationCases(t *testing.T, sockets, via *apptest.Server, newSubscription bool) {
	op, err := via.App.Auth.IssueOperator("op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		// open answers the credential of a socket that may read orderID,
		// and revoke revokes it through via.
		open func(t *testing.T, orderID string) (token string, revoke func())
	}{
		{"integration key", func(t *testing.T, _ string) (string, func()) {
			var created createKeyResult
			apptest.Post(t, via.URL, op, createKeyMutation, map[string]any{"name": "socket", "account": "P1"}).OK(t).Decode(t, &created)
			k := created.CreateIntegrationKey
			if k.Token == nil || k.Key == nil {
				t.Fatalf("createIntegrationKey: %+v", k)
			}
			return *k.Token, func() {
				apptest.Post(t, via.URL, op, revokeKeyMutation, map[string]any{"id": k.Key.ID}).OK(t)
			}
		}},
		{"partner session", func(t *testing.T, _ string) (string, func()) {
			token := revocationPartnerSession(t, via)
			return token, func() { apptest.Post(t, via.URL, token, `mutation { signOut { signedOut } }`, nil).OK(t) }
		}},
		{"setup link", func(t *testing.T, orderID string) (string, func()) {
			link, err := via.App.Auth.IssueSetupLink(store.System(context.Background()), gid.ID(orderID), "ana@p1.example")
			if err != nil {
				t.Fatal(err)
			}
			return link, func() {
				var res struct {
					ResendSetupLink struct {
						UserErrors []apptest.UserError `json:"userErrors"`
					} `json:"resendSetupLink"`
				}
				apptest.Post(t, via.URL, op, `mutation($id: ID!) { resendSetupLink(orderId: $id) { userErrors { field code message } } }`,
					map[string]any{"id": orderID}).OK(t).Decode(t, &res)
				if ue := res.ResendSetupLink.UserErrors; len(ue) > 0 {
					t.Fatalf("resendSetupLink: %+v", ue)
				}
			}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			orderID := placeAt(t, via, op, "REVOKE-"+string(rune('A'+i)))
			token, revoke := tc.open(t, orderID)
			c := initSocket(t, ctx, sockets, token)
			defer c.CloseNow()
			subscribeOn(t, ctx, c, "1", orderID)
			if m := readSocket(t, ctx, c); m.Type != "next" || m.ID != "1" {
				t.Fatalf("first message = %+v, want the order's current state", m)
			}

			revoke()
			if newSubscription {
				// The socket may already be closing: a failed write is fine,
				// an answer is not.
				q, _ := json.Marshal(map[string]any{"query": apptest.StatusSubscription, "variables": map[string]any{"id": orderID}})
				_ = wsjson.Write(ctx, c, apptest.WSMessage{ID: "2", Type: "subscribe", Payload: q})
			}
			// A change after the revocation must not reach the socket.
			var res apptest.CancelResult
			apptest.Post(t, via.URL, op, apptest.CancelMutation, map[string]any{"id": orderID, "reason": "Revocation test."}).OK(t).Decode(t, &res)
			if ue := res.CancelOrder.UserErrors; len(ue) > 0 {
				t.Fatalf("cancelOrder: %+v", ue)
			}

			rctx, rcancel := context.WithTimeout(ctx, 3*time.Second)
			defer rcancel()
			for {
				var m apptest.WSMessage
				err := wsjson.Read(rctx, c, &m)
				if err != nil {
					if got := websocket.CloseStatus(err); got != 4403 {
						t.Fatalf("socket ended with %d (%v), want close 4403 within a few seconds of the revocation", got, err)
					}
					return
				}
				switch m.Type {
				case "next":
					t.Fatalf("after the revocation the socket received %s", m.Payload)
				case "ping":
					_ = wsjson.Write(rctx, c, apptest.WSMessage{Type: "pong"})
				}
			}
		})
	}
}

// revocationPartnerSession signs in a new partner administrator of
// account P1 (written directly, as the replica tests do) and answers the
// session's token.
func revocationPartnerSession(t *testing.T, s *apptest.Server) string {
	t.Helper()
	ctx := store.System(context.Background())
	client := s.App.Store.Client
	org, err := client.Organization.Query().Where(organization.AccountID("P1")).Only(ctx)
	if err != nil {
		org, err = client.Organization.Create().SetKind(organization.KindPARTNER).
			SetName("P1 Partner").SetAccountID("P1").SetCountry("RS").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
	}
	u, err := client.User.Create().SetEmail(strings.ToLower(string(gid.New(gid.PartnerSession))) + "@p1.example").SetOrganizationID(org.ID).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	token, err := s.App.Auth.IssuePartnerSession(ctx, u, org)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// subscribeOn starts subscription id on an initialised socket: the status
// of orderID.
func subscribeOn(t *testing.T, ctx context.Context, c *websocket.Conn, id, orderID string) {
	t.Helper()
	q, _ := json.Marshal(map[string]any{"query": apptest.StatusSubscription, "variables": map[string]any{"id": orderID}})
	if err := wsjson.Write(ctx, c, apptest.WSMessage{ID: id, Type: "subscribe", Payload: q}); err != nil {
		t.Fatal(err)
	}
}

// readSocket reads the next message that is not a ping.
func readSocket(t *testing.T, ctx context.Context, c *websocket.Conn) apptest.WSMessage {
	t.Helper()
	for {
		var m apptest.WSMessage
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("read: %v", err)
		}
		if m.Type == "ping" {
			_ = wsjson.Write(ctx, c, apptest.WSMessage{Type: "pong"})
			continue
		}
		return m
	}
}
