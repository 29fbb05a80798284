package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"onramp/ent/message"
	"onramp/internal/clock"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit/apptest"
)

const createKeyMutation = `mutation($name: String!, $account: String) { createIntegrationKey(name: $name, partnerAccountId: $account) {
  key { id name partnerAccountId createdBy revokedAt } token userErrors { field code message } } }`

type createKeyResult struct {
	CreateIntegrationKey struct {
		Key *struct {
			ID               string  `json:"id"`
			Name             string  `json:"name"`
			PartnerAccountID string  `json:"partnerAccountId"`
			RevokedAt        *string `json:"revokedAt"`
		} `json:"key"`
		Token      *string             `json:"token"`
		UserErrors []apptest.UserError `json:"userErrors"`
	} `json:"createIntegrationKey"`
}

const revokeKeyMutation = `mutation($id: ID!) { revokeIntegrationKey(id: $id) { key { id revokedAt } userErrors { code } } }`

type keysList struct {
	IntegrationKeys []struct {
		ID         string  `json:"id"`
		Name       string  `json:"name"`
		LastUsedAt *string `json:"lastUsedAt"`
		RevokedAt  *string `json:"revokedAt"`
	} `json:"integrationKeys"`
}

// TestIntegrationKeys: a partner administrator issues a named key whose
// token works as its partner's integration, sees its last use, and
// revokes it: the token is refused at once (REVOKED). Keys stay within
// their partner; integrations manage none.
func TestIntegrationKeys(t *testing.T) {
	t.Parallel()
	m := apptest.StartAt(t, apptest.NewLocation(t), clock.NewStub(apptest.MailEpoch), nil)
	admin := m.PartnerSession(t, "P1")

	var created createKeyResult
	m.GQL(t, admin, createKeyMutation, map[string]any{"name": "Ordering system"}).OK(t).Decode(t, &created)
	k := created.CreateIntegrationKey
	if k.Key == nil || k.Token == nil || k.Key.PartnerAccountID != "P1" || k.Key.Name != "Ordering system" || len(k.UserErrors) > 0 {
		t.Fatalf("createIntegrationKey: %+v", k)
	}
	token := *k.Token
	m.PlaceOrderFor(t, token, "KEY-1", "P1", apptest.MailToday, "ana@p1.example")
	m.GQL(t, token, apptest.PlaceOrderMutation, map[string]any{"input": apptest.OrderInput("KEY-2", "P2")}).WantError(t, "FORBIDDEN", "")

	var list keysList
	m.GQL(t, admin, `{ integrationKeys { id name lastUsedAt revokedAt } }`, nil).OK(t).Decode(t, &list)
	if len(list.IntegrationKeys) != 1 || list.IntegrationKeys[0].LastUsedAt == nil {
		t.Errorf("integrationKeys = %+v, want the key with its last use", list.IntegrationKeys)
	}

	t.Run("scope", func(t *testing.T) {
		other := m.PartnerSession(t, "P2")
		var theirs keysList
		m.GQL(t, other, `{ integrationKeys { id } }`, nil).OK(t).Decode(t, &theirs)
		if len(theirs.IntegrationKeys) != 0 {
			t.Errorf("P2's administrator lists P1's keys: %+v", theirs.IntegrationKeys)
		}
		m.GQL(t, other, revokeKeyMutation, map[string]any{"id": k.Key.ID}).WantError(t, "NOT_FOUND", "")
		m.GQL(t, other, createKeyMutation, map[string]any{"name": "x", "account": "P1"}).WantError(t, "FORBIDDEN", "")
		m.GQL(t, token, createKeyMutation, map[string]any{"name": "x"}).WantError(t, "FORBIDDEN", "")
		m.GQL(t, token, `{ integrationKeys { id } }`, nil).WantError(t, "FORBIDDEN", "")
		var op createKeyResult
		m.GQL(t, m.Operator(t), createKeyMutation, map[string]any{"name": "x"}).OK(t).Decode(t, &op)
		apptest.WantCode(t, "operator without an account", op.CreateIntegrationKey.UserErrors, "INVALID", "partnerAccountId")
		var blank createKeyResult
		m.GQL(t, admin, createKeyMutation, map[string]any{"name": " "}).OK(t).Decode(t, &blank)
		apptest.WantCode(t, "blank name", blank.CreateIntegrationKey.UserErrors, "INVALID", "name")
	})

	m.GQL(t, admin, revokeKeyMutation, map[string]any{"id": k.Key.ID}).OK(t)
	m.GQL(t, token, `{ viewer { kind } }`, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
	m.GQL(t, token, apptest.PlaceOrderMutation, map[string]any{"input": apptest.OrderInput("KEY-3", "P1")}).WantError(t, "UNAUTHENTICATED", "REVOKED")
	// Tokens of the command line keep working.
	m.GQL(t, m.Integration(t, "P1"), `{ viewer { kind } }`, nil).OK(t)
}

// TestRevokedKeyRefusedOnAnotherReplica: a key revoked through replica A is
// refused by replica B on its very next request (PostgreSQL).
func TestRevokedKeyRefusedOnAnotherReplica(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	a := startReplica(t, dbURL)
	b := startReplica(t, dbURL)
	var created createKeyResult
	a.GQL(t, a.Op, createKeyMutation, map[string]any{"name": "replicated", "account": "P1"}).OK(t).Decode(t, &created)
	if created.CreateIntegrationKey.Token == nil {
		t.Fatalf("createIntegrationKey: %+v", created.CreateIntegrationKey)
	}
	token := *created.CreateIntegrationKey.Token
	b.GQL(t, token, `{ viewer { kind } }`, nil).OK(t) // B has verified (and cached) its signature
	a.GQL(t, a.Op, revokeKeyMutation, map[string]any{"id": created.CreateIntegrationKey.Key.ID}).OK(t)
	b.GQL(t, token, `{ viewer { kind } }`, nil).WantError(t, "UNAUTHENTICATED", "REVOKED")
}

const resendOnceMutation = `mutation($id: ID!, $key: String) { resendSetupLink(orderId: $id, idempotencyKey: $key) {
  order { id status } userErrors { field code message } } }`

const cancelOnceMutation = `mutation($id: ID!, $key: String) { cancelOrder(orderId: $id, idempotencyKey: $key) {
  order { id status } userErrors { field code message } } }`

type onceResult struct {
	Order *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"order"`
	UserErrors []apptest.UserError `json:"userErrors"`
}

// TestIdempotentResendAndCancel: a retry under the same idempotency key
// answers the first result and sends nothing again; the key is its
// caller's, and one used for another order is refused.
func TestIdempotentResendAndCancel(t *testing.T) {
	t.Parallel()
	m := apptest.StartAt(t, apptest.NewLocation(t), clock.NewStub(apptest.MailEpoch), nil)
	integ := m.Integration(t, "P1")
	// Due in five days: no setup email of their own is sent meanwhile.
	o := m.PlaceOrderFor(t, integ, "IDEM-1", "P1", apptest.ISODate(apptest.MailDay(5, 0)), "ana@p1.example")
	o2 := m.PlaceOrderFor(t, integ, "IDEM-2", "P1", apptest.ISODate(apptest.MailDay(5, 0)), "bob@p1.example")
	links := func() int {
		n, err := m.App.Store.Client.Message.Query().Where(message.KindEQ(message.KindSETUP_LINK)).Count(store.System(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := links()
	for i := range 3 {
		var res struct {
			ResendSetupLink onceResult `json:"resendSetupLink"`
		}
		m.GQL(t, integ, resendOnceMutation, map[string]any{"id": o.ID, "key": "resend-1"}).OK(t).Decode(t, &res)
		if r := res.ResendSetupLink; r.Order == nil || r.Order.ID != o.ID || len(r.UserErrors) > 0 {
			t.Fatalf("resend %d: %+v", i, r)
		}
	}
	if n := links() - before; n != 1 {
		t.Errorf("three resends under one key queued %d setup emails, want 1", n)
	}
	var reused struct {
		ResendSetupLink onceResult `json:"resendSetupLink"`
	}
	m.GQL(t, integ, resendOnceMutation, map[string]any{"id": o2.ID, "key": "resend-1"}).OK(t).Decode(t, &reused)
	apptest.WantCode(t, "a key of another order", reused.ResendSetupLink.UserErrors, "IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
	// Another caller's key of the same name is its own.
	var op struct {
		ResendSetupLink onceResult `json:"resendSetupLink"`
	}
	m.GQL(t, m.Operator(t), resendOnceMutation, map[string]any{"id": o2.ID, "key": "resend-1"}).OK(t).Decode(t, &op)
	if len(op.ResendSetupLink.UserErrors) > 0 {
		t.Errorf("the operator's own key was refused: %+v", op.ResendSetupLink.UserErrors)
	}

	for i := range 2 {
		var res struct {
			CancelOrder onceResult `json:"cancelOrder"`
		}
		m.GQL(t, integ, cancelOnceMutation, map[string]any{"id": o.ID, "key": "cancel-1"}).OK(t).Decode(t, &res)
		if r := res.CancelOrder; r.Order == nil || r.Order.Status != "CANCELLED" || len(r.UserErrors) > 0 {
			t.Errorf("cancel %d under one key: %+v, want the cancelled order and no userErrors", i, r)
		}
	}
	var again struct {
		CancelOrder onceResult `json:"cancelOrder"`
	}
	m.GQL(t, integ, cancelOnceMutation, map[string]any{"id": o.ID, "key": "cancel-2"}).OK(t).Decode(t, &again)
	apptest.WantCode(t, "a new key on a cancelled order", again.CancelOrder.UserErrors, "ORDER_CANCELLED")
	var long struct {
		CancelOrder onceResult `json:"cancelOrder"`
	}
	m.GQL(t, integ, cancelOnceMutation, map[string]any{"id": o2.ID, "key": strings.Repeat("k", 201)}).OK(t).Decode(t, &long)
	apptest.WantCode(t, "an over-long key", long.CancelOrder.UserErrors, "INVALID", "idempotencyKey")
	if got := m.OrderStatus(t, o2.ID); got == "CANCELLED" {
		t.Errorf("a refused cancel cancelled the order")
	}
}

// TestIdempotencyKeyBindsItsArguments: a key reused with other arguments is
// refused (it used to replay the first answer as a success and send
// nothing); replays answer even when the resend throttle says wait, and do
// not count against it; a key's length counts characters.
func TestIdempotencyKeyBindsItsArguments(t *testing.T) {
	t.Parallel()
	m := apptest.StartAt(t, apptest.NewLocation(t), clock.NewStub(apptest.MailEpoch), nil)
	integ := m.Integration(t, "P1")
	due := apptest.ISODate(apptest.MailDay(5, 0))
	o := m.PlaceOrderFor(t, integ, "BIND-1", "P1", due, "ana@p1.example")
	resend := func(id, key string, email any) onceResult {
		t.Helper()
		var res struct {
			ResendSetupLink onceResult `json:"resendSetupLink"`
		}
		m.GQL(t, integ, `mutation($id: ID!, $key: String, $email: String) { resendSetupLink(orderId: $id, idempotencyKey: $key, email: $email) {
		  order { id status } userErrors { field code message } } }`, map[string]any{"id": id, "key": key, "email": email}).OK(t).Decode(t, &res)
		return res.ResendSetupLink
	}
	linksTo := func(to string) int {
		n, err := m.App.Store.Client.Message.Query().Where(message.KindEQ(message.KindSETUP_LINK), message.To(to)).Count(store.System(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if r := resend(o.ID, "k-email", "bea@p1.example"); r.Order == nil || len(r.UserErrors) > 0 {
		t.Fatalf("first resend: %+v", r)
	}
	r := resend(o.ID, "k-email", "eve@p1.example")
	apptest.WantCode(t, "the key again with another email", r.UserErrors, "IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
	if n := linksTo("eve@p1.example"); n != 0 {
		t.Errorf("the refused resend queued %d setup emails to the new address", n)
	}
	if r := resend(o.ID, "k-email", "bea@p1.example"); r.Order == nil || len(r.UserErrors) > 0 {
		t.Errorf("the key again with the same email: %+v, want the first answer", r)
	}
	if n := linksTo("bea@p1.example"); n != 1 {
		t.Errorf("%d setup emails to bea, want 1", n)
	}

	c := m.PlaceOrderFor(t, integ, "BIND-2", "P1", due, "cid@p1.example")
	cancel := func(key, reason string) onceResult {
		t.Helper()
		var res struct {
			CancelOrder onceResult `json:"cancelOrder"`
		}
		m.GQL(t, integ, `mutation($id: ID!, $key: String, $reason: String) { cancelOrder(orderId: $id, idempotencyKey: $key, reason: $reason) {
		  order { id status } userErrors { field code message } } }`, map[string]any{"id": c.ID, "key": key, "reason": reason}).OK(t).Decode(t, &res)
		return res.CancelOrder
	}
	if r := cancel("k-cancel", "Customer withdrew."); r.Order == nil || r.Order.Status != "CANCELLED" {
		t.Fatalf("cancel: %+v", r)
	}
	apptest.WantCode(t, "the cancel key with another reason", cancel("k-cancel", "Duplicate order.").UserErrors, "IDEMPOTENCY_KEY_REUSED", "idempotencyKey")

	// The resend throttle: five sent emails an hour per order. Replays
	// are answered, and not counted, before and after it is reached.
	th := m.PlaceOrderFor(t, integ, "BIND-3", "P1", due, "dan@p1.example")
	if r := resend(th.ID, "t-0", nil); r.Order == nil || len(r.UserErrors) > 0 {
		t.Fatalf("resend t-0: %+v", r)
	}
	for i := range 8 {
		if r := resend(th.ID, "t-0", nil); r.Order == nil || len(r.UserErrors) > 0 {
			t.Fatalf("replay %d of t-0 before the limit: %+v", i, r)
		}
	}
	for i := 1; i < 5; i++ {
		if r := resend(th.ID, fmt.Sprintf("t-%d", i), nil); r.Order == nil || len(r.UserErrors) > 0 {
			t.Fatalf("resend %d of 5 (replays counted against the throttle?): %+v", i+1, r)
		}
	}
	apptest.WantCode(t, "a sixth resend within the hour", resend(th.ID, "t-5", nil).UserErrors, "TOO_MANY_ATTEMPTS")
	if r := resend(th.ID, "t-0", nil); r.Order == nil || len(r.UserErrors) > 0 {
		t.Errorf("a replay once the limit is reached: %+v, want the first answer", r)
	}

	// Lengths are characters: 200 Cyrillic letters are 400 bytes.
	k := m.PlaceOrderFor(t, integ, "BIND-4", "P1", due, "kim@p1.example")
	if r := resend(k.ID, strings.Repeat("ж", 200), nil); r.Order == nil || len(r.UserErrors) > 0 {
		t.Errorf("a key of 200 × ж: %+v", r)
	}
	apptest.WantCode(t, "a key of 201 × ж", resend(k.ID, strings.Repeat("ж", 201), nil).UserErrors, "INVALID", "idempotencyKey")
}
