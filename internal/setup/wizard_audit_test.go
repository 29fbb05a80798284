package setup_test

// Tests of the audit trail, and that a replaced link never writes.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"onramp/ent/auditevent"
	"onramp/ent/message"
	"onramp/internal/gid"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// --- audit trail ---------------------------------------------------------------------------------

func TestWizardAuditTrail(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "A-1", "P1", nil)
	const email = "ana@p1.example"
	link := c.Link(t, id, email)
	c.PartnerToConfirm(t, link, "it@acme.example")
	c.Must(t, link, "confirmOrgs", nil)
	c.Refuse(t, link, id, "setPartnerPassword", apptest.Vars("password", "short"), "WEAK_PASSWORD", "password")
	c.Must(t, link, "setPartnerPassword", apptest.Vars("password", apptest.Password))
	c.SaveSettings(t, link, "acme")
	c.MustProvision(t, link, nil)
	c.MustProvision(t, link, nil) // a repeat changes nothing, so it is not a step

	const q = `query($id: ID!) { order(id: $id) { auditEvents(first: 50) { totalCount
	  edges { node { action actorKind actor at tokenID changes } } } } }`
	type event struct {
		Action    string         `json:"action"`
		ActorKind string         `json:"actorKind"`
		Actor     string         `json:"actor"`
		At        time.Time      `json:"at"`
		TokenID   *string        `json:"tokenID"`
		Changes   map[string]any `json:"changes"`
	}
	read := func(t *testing.T, token string) (int, []event) {
		t.Helper()
		var data struct {
			Order *struct {
				AuditEvents struct {
					TotalCount int `json:"totalCount"`
					Edges      []struct {
						Node event `json:"node"`
					} `json:"edges"`
				} `json:"auditEvents"`
			} `json:"order"`
		}
		c.GQL(t, token, q, map[string]any{"id": id}).OK(t).Decode(t, &data)
		if data.Order == nil {
			t.Fatalf("order(%s) is null for this token", id)
		}
		var out []event
		for _, e := range data.Order.AuditEvents.Edges {
			out = append(out, e.Node)
		}
		return data.Order.AuditEvents.TotalCount, out
	}

	total, events := read(t, c.Op)
	if total != len(events) {
		t.Errorf("totalCount %d, %d edges", total, len(events))
	}
	var wizard []string
	for i, e := range events {
		if i > 0 && e.At.Before(events[i-1].At) {
			t.Errorf("event %d (%s at %s) comes before event %d (%s)", i, e.Action, e.At, i-1, events[i-1].Action)
		}
		if e.ActorKind != "SETUP_LINK" {
			continue
		}
		wizard = append(wizard, e.Action)
		if e.Actor != email || apptest.Deref(e.TokenID) == "" {
			t.Errorf("%s: actor %q token %q, want %s and the link's token id", e.Action, e.Actor, apptest.Deref(e.TokenID), email)
		}
		if b, _ := json.Marshal(e.Changes); strings.Contains(string(b), apptest.Password) || strings.Contains(string(b), "argon2") {
			t.Errorf("%s: the audit trail holds the password: %s", e.Action, b)
		}
		switch e.Action {
		case "chooseRole":
			if e.Changes["role"] != "PARTNER" || e.Changes["step"] != "ASSIGNMENT" {
				t.Errorf("chooseRole changes %v", e.Changes)
			}
		case "confirmOrgs":
			if e.Changes["status"] != "ORGS_CONFIRMED" || e.Changes["step"] != "PASSWORD" {
				t.Errorf("confirmOrgs changes %v", e.Changes)
			}
		case "provision":
			if e.Changes["status"] != "PROVISIONED" || e.Changes["step"] != "DONE" {
				t.Errorf("provision changes %v", e.Changes)
			}
		}
	}
	want := []string{"startSetup", "chooseRole", "assignSetup", "confirmPartnerOrg", "setCustomerAdmin",
		"confirmCustomerOrg", "confirmOrgs", "setPartnerPassword", "saveCallSettings", "saveEnterpriseSettings", "provision"}
	if !slices.Equal(wizard, want) {
		t.Errorf("the link's audit trail:\n got %v\nwant %v", wizard, want)
	}
	if len(events) == 0 || events[0].Action != "ORDER_PLACED" || events[0].ActorKind != "OPERATOR" {
		t.Errorf("the first event should be the operator's ORDER_PLACED: %+v", events)
	}

	for _, tc := range []struct{ name, token string }{
		{"setup link", link},
		{"integration", func() string { tok, _ := c.App.Auth.IssueIntegration("P1", time.Hour); return tok }()},
		{"partner session", c.MustSignIn(t, email, apptest.Password)},
	} {
		t.Run(tc.name+" reads an empty trail", func(t *testing.T) {
			total, events := read(t, tc.token)
			if total != 0 || len(events) != 0 {
				t.Errorf("%d events (totalCount %d), want none", len(events), total)
			}
		})
	}
}

// TestWizardReplacedLinkCannotWriteAfterHandOff races a hand-off against
// other calls of the same link (a second tab): once the hand-off has
// committed, no call of the old link may change the order, even one that
// was authenticated a moment before. A race, so a few rounds.
func TestWizardReplacedLinkCannotWriteAfterHandOff(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	ctx := store.System(context.Background())
	late, wrongStep := 0, 0
	for round := range 5 {
		id := c.NewOrder(t, fmt.Sprintf("RL-%d", round), "P1", nil)
		l1 := c.Link(t, id, "contact@p1.example")
		c.Must(t, l1, "startSetup", nil)
		c.Must(t, l1, "chooseRole", apptest.Vars("role", "PARTNER"))

		const n = 30
		results := make([]apptest.Response, n+1)
		errs := make([]error, n+1)
		wizRace(n+1, func(i int) {
			if i == n/2 {
				results[i], errs[i] = c.TryGQL(l1, apptest.Mutations["assignSetup"]+apptest.PayloadFragment,
					apptest.Input("assignee", "COLLEAGUE", "email", "colleague@p1.example"))
				return
			}
			results[i], errs[i] = c.TryGQL(l1, apptest.Mutations["chooseRole"]+apptest.PayloadFragment, apptest.Vars("role", "PARTNER"))
		})
		for i, r := range results {
			switch {
			case errs[i] != nil:
				t.Fatalf("round %d, call %d: %v", round, i, errs[i])
			case len(r.Errors) > 0 && (r.Errors[0].Extensions.Code != "UNAUTHENTICATED" || r.Errors[0].Extensions.Reason != "REPLACED"):
				t.Errorf("round %d, call %d: errors %+v, want none or UNAUTHENTICATED REPLACED", round, i, r.Errors)
			}
		}
		if len(results[n/2].Errors) > 0 {
			t.Fatalf("round %d: the hand-off failed: %+v", round, results[n/2].Errors)
		}

		events, err := c.App.Store.Client.AuditEvent.Query().
			Where(auditevent.OrderID(gid.ID(id))).Order(auditevent.ByID()).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		handedOff := false
		for _, e := range events {
			switch {
			case e.Action == "assignSetup":
				handedOff = true
			case handedOff && e.Actor == "contact@p1.example":
				late++
			}
		}
		o, err := c.App.Store.Client.Order.Get(ctx, gid.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		l2 := c.MailedLink(t, id, message.KindHANDOFF_COLLEAGUE, "colleague@p1.example")
		if s := c.Session(t, l2); o.Step != "ROLE" || s.Step != "ROLE" {
			wrongStep++
		}
	}
	if late > 0 {
		t.Errorf("the replaced link wrote %d audited changes after its hand-off had committed", late)
	}
	if wrongStep > 0 {
		t.Errorf("in %d of 5 rounds the colleague's new link did not start at ROLE: the old link moved the order on", wrongStep)
	}
}
