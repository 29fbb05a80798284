package lifecycle_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"onramp/ent"
	"onramp/ent/auditevent"
	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/internal/auth"
	"onramp/internal/date"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

var statuses = []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP,
	order.StatusON_HOLD, order.StatusORGS_CONFIRMED, order.StatusPROVISIONED, order.StatusCANCELLED}

// newOrder stores an order of account P1 with its subscription.
func newOrder(t *testing.T, st *store.Store, ext string) *ent.Order {
	t.Helper()
	ctx := store.System(context.Background())
	o, err := st.Client.Order.Create().
		SetExternalID(ext).SetProduct(order.ProductA_WX).SetRequestedStartDate(date.Date("2026-11-30")).
		SetProvisioningContactEmail("contact@p1.example").SetPartnerName("P1").SetPartnerAccountID("P1").
		SetCustomerName("Acme").SetCustomerCountry("RS").SetCustomerAddress(schematype.Address{Line1: "Knez Mihailova 1", City: "Beograd", PostalCode: "11000"}).
		SetInputDigest(ext).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Client.Subscription.Create().SetOrderID(o.ID).
		SetServices([]schematype.PurchasedService{{Kind: schematype.Meetings, Quantity: 1}}).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return o
}

// actorCtx is a context of a caller the rule lets act on o.
func actorCtx(r lifecycle.Rule, o *ent.Order) context.Context {
	ctx := context.Background()
	switch {
	case r.By&lifecycle.BySystem != 0:
		return store.System(ctx)
	case r.By&lifecycle.ByLink != 0:
		return viewer.NewContext(ctx, &viewer.Viewer{Kind: viewer.SetupLink, OrderID: o.ID, Email: "contact@p1.example"})
	case r.By&lifecycle.ByOperator != 0:
		return viewer.NewContext(ctx, &viewer.Viewer{Kind: viewer.Operator, Subject: "op"})
	case r.By&lifecycle.ByPartner != 0:
		return viewer.NewContext(ctx, &viewer.Viewer{Kind: viewer.Partner, PartnerAccountID: o.PartnerAccountID, Email: "admin@p1.example"})
	case r.By&lifecycle.ByCustomer != 0:
		// A customer administrator's token reads no order: its commands
		// run as Onramp for the caller they checked.
		return store.System(viewer.NewContext(ctx, &viewer.Viewer{Kind: viewer.PartnerAccess, Email: "admin@c1.example"}))
	}
	return viewer.NewContext(ctx, &viewer.Viewer{Kind: viewer.Integration, PartnerAccountID: o.PartnerAccountID})
}

// wantRefusal is the code the table must answer for an action it does not
// allow, said here independently of apply.go.
func wantRefusal(r lifecycle.Rule, s order.Status) string {
	switch {
	case s == order.StatusCANCELLED:
		return lifecycle.CodeOrderCancelled
	case slices.Contains(r.From, s):
		return lifecycle.CodeWrongStep
	case s == order.StatusPROVISIONED:
		return lifecycle.CodeAlreadyProvisioned
	case s == order.StatusON_HOLD:
		return lifecycle.CodeOnHold
	case r.Elsewhere != "":
		return r.Elsewhere
	}
	return lifecycle.CodeWrongStep
}

// TestEveryActionInEveryState is generated from the table itself: every
// (action, status, step) triple is either allowed, and the action leads to
// each status and step its row names, or refused with its code, and then
// nothing is written (status, step, audit trail).
func TestEveryActionInEveryState(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	sys := store.System(context.Background())
	engine := &lifecycle.Engine{Store: st, Now: time.Now}
	o := newOrder(t, st, "T-1")
	audits := func() int {
		n, err := st.Client.AuditEvent.Query().Where(auditevent.OrderID(o.ID)).Count(sys)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, r := range lifecycle.Table {
		// Each target the row names, and staying where it is.
		targets := []struct {
			status order.Status
			step   order.Step
		}{{"", ""}}
		for _, s := range r.Sets {
			targets = append(targets, struct {
				status order.Status
				step   order.Step
			}{s, ""})
		}
		for _, s := range r.To {
			targets = append(targets, struct {
				status order.Status
				step   order.Step
			}{"", s})
		}
		for _, status := range statuses {
			for _, step := range lifecycle.Steps {
				for _, target := range targets {
					if err := st.Client.Order.UpdateOneID(o.ID).SetStatus(status).SetStep(step).Exec(sys); err != nil {
						t.Fatal(err)
					}
					before := audits()
					got, err := engine.Apply(actorCtx(r, o), o.ID, lifecycle.Command{
						Action: r.Action,
						Run: func(_ context.Context, c *lifecycle.Change) error {
							if target.status != "" {
								c.Status = target.status
							}
							if target.step != "" {
								c.Step = target.step
							}
							return nil
						},
					})
					now, rerr := st.Client.Order.Get(sys, o.ID)
					if rerr != nil {
						t.Fatal(rerr)
					}
					name := string(r.Action) + " at " + string(status) + "/" + string(step)
					if !r.Allows(status, step) {
						var refused *lifecycle.Refused
						if !errors.As(err, &refused) || refused.Code() != wantRefusal(r, status) {
							t.Fatalf("%s: %v, want the refusal %s", name, err, wantRefusal(r, status))
						}
						if _, ok := errors.AsType[*validate.Failure](err); !ok {
							t.Errorf("%s: the refusal does not reach the caller as userErrors", name)
						}
						if now.Status != status || now.Step != step || audits() != before {
							t.Errorf("%s: a refusal wrote: %s/%s, %d audit events (was %d)", name, now.Status, now.Step, audits(), before)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%s → %s/%s: %v", name, target.status, target.step, err)
					}
					wantStatus, wantStep := status, step
					if r.Starts && (status == order.StatusPLACED || status == order.StatusLINK_SENT) {
						wantStatus = order.StatusIN_SETUP
					}
					if target.status != "" {
						wantStatus = target.status
					}
					if target.step != "" {
						wantStep = target.step
					}
					if got.Status != wantStatus || got.Step != wantStep || now.Status != wantStatus || now.Step != wantStep {
						t.Errorf("%s: answered %s/%s, stored %s/%s, want %s/%s", name, got.Status, got.Step, now.Status, now.Step, wantStatus, wantStep)
					}
					if audits() != before+1 {
						t.Errorf("%s: %d audit events written, want 1", name, audits()-before)
					}
				}
			}
		}
	}
}

// TestApplyRefusesWhatTheTableDoesNotName: a command that leads somewhere
// its row does not name fails and writes nothing.
func TestApplyRefusesWhatTheTableDoesNotName(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	sys := store.System(context.Background())
	engine := &lifecycle.Engine{Store: st, Now: time.Now}
	o := newOrder(t, st, "T-2")
	if err := st.Client.Order.UpdateOneID(o.ID).SetStatus(order.StatusIN_SETUP).SetStep(order.StepROLE).Exec(sys); err != nil {
		t.Fatal(err)
	}
	r, _ := lifecycle.RuleOf(lifecycle.ChooseRole)
	for _, tc := range []struct {
		name   string
		status order.Status
		step   order.Step
	}{
		{"a step it does not lead to", "", order.StepDONE},
		{"a status it does not set", order.StatusPROVISIONED, ""},
	} {
		_, err := engine.Apply(actorCtx(r, o), o.ID, lifecycle.Command{
			Action: lifecycle.ChooseRole,
			Run: func(_ context.Context, c *lifecycle.Change) error {
				if tc.status != "" {
					c.Status = tc.status
				}
				if tc.step != "" {
					c.Step = tc.step
				}
				return nil
			},
		})
		if err == nil || lifecycle.IsRefused(err) {
			t.Errorf("%s: %v, want an error of the program", tc.name, err)
		}
		now, _ := st.Client.Order.Get(sys, o.ID)
		if now.Status != order.StatusIN_SETUP || now.Step != order.StepROLE {
			t.Errorf("%s: wrote %s/%s", tc.name, now.Status, now.Step)
		}
	}
}

// TestWhoMayAct: an action's row names who may take it; anyone else is
// FORBIDDEN before anything is read.
func TestWhoMayAct(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	engine := &lifecycle.Engine{Store: st, Now: time.Now}
	o := newOrder(t, st, "T-3")
	link := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.SetupLink, OrderID: o.ID})
	integration := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.Integration, PartnerAccountID: "P1"})
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		action lifecycle.Action
	}{
		{"a setup link cancels", link, lifecycle.CancelOrder},
		{"an integration releases a hold", integration, lifecycle.ReleaseHold},
		{"an integration takes a wizard step", integration, lifecycle.ChooseRole},
		{"a setup link runs a job", link, lifecycle.CloseWindow},
	} {
		_, err := engine.Apply(tc.ctx, o.ID, lifecycle.Command{Action: tc.action})
		var ae *auth.Error
		if !errors.As(err, &ae) || ae.Code != auth.CodeForbidden {
			t.Errorf("%s: %v, want FORBIDDEN", tc.name, err)
		}
	}
	other := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.Integration, PartnerAccountID: "P2"})
	_, err := engine.Apply(other, o.ID, lifecycle.Command{Action: lifecycle.CancelOrder})
	var ae *auth.Error
	if !errors.As(err, &ae) || ae.Code != auth.CodeNotFound {
		t.Errorf("another partner's integration cancels: %v, want NOT_FOUND", err)
	}
	if _, err := engine.Apply(store.System(context.Background()), gid.ID("ord_missing"), lifecycle.Command{Action: lifecycle.CloseWindow}); !errors.As(err, &ae) || ae.Code != auth.CodeNotFound {
		t.Errorf("a missing order: %v, want NOT_FOUND", err)
	}
}

// TestNextAndSteps: the call the table names next at every step, and the
// steps of each path.
func TestNextAndSteps(t *testing.T) {
	t.Parallel()
	cases := []struct {
		step    order.Step
		missing []schematype.ServiceKind
		want    lifecycle.Action
	}{
		{order.StepROLE, nil, lifecycle.ChooseRole},
		{order.StepASSIGNMENT, nil, lifecycle.AssignSetup},
		{order.StepPARTNER_ORG, nil, lifecycle.ConfirmPartnerOrg},
		{order.StepCUSTOMER_ADMIN, nil, lifecycle.SetCustomerAdmin},
		{order.StepCUSTOMER_ORG, nil, lifecycle.ConfirmCustomerOrg},
		{order.StepCONFIRM, nil, lifecycle.ConfirmOrgs},
		{order.StepPASSWORD, nil, lifecycle.SetPartnerPassword},
		{order.StepSERVICES, []schematype.ServiceKind{schematype.Calling, schematype.Meetings}, lifecycle.SaveCallSettings},
		{order.StepSERVICES, []schematype.ServiceKind{schematype.Meetings}, lifecycle.SaveEnterpriseSettings},
		{order.StepSERVICES, nil, lifecycle.Provision},
		{order.StepPROVISION, nil, lifecycle.Provision},
		{order.StepDONE, nil, lifecycle.Provision},
	}
	for _, c := range cases {
		status := order.StatusIN_SETUP
		if slices.Index(lifecycle.Steps, c.step) > slices.Index(lifecycle.Steps, order.StepCONFIRM) {
			status = order.StatusORGS_CONFIRMED
		}
		got := lifecycle.Next(status, c.step, c.missing)
		if got != c.want {
			t.Errorf("Next at %s missing %v = %s, want %s", c.step, c.missing, got, c.want)
		}
		// What Next names is what the table allows there.
		r, ok := lifecycle.RuleOf(got)
		if c.step != order.StepDONE && (!ok || !r.Allows(status, c.step)) {
			t.Errorf("Next at %s names %s, which the table does not allow there", c.step, got)
		}
	}

	all := lifecycle.Steps
	without := func(drop ...order.Step) []order.Step {
		return slices.DeleteFunc(slices.Clone(all), func(s order.Step) bool { return slices.Contains(drop, s) })
	}
	for _, c := range []struct {
		name string
		path lifecycle.Path
		want []order.Step
	}{
		{"partner, new partner organization", lifecycle.Path{Role: order.RolePARTNER, NewPartnerOrg: true}, all},
		{"partner, existing partner organization", lifecycle.Path{Role: order.RolePARTNER}, without(order.StepPASSWORD)},
		{"not chosen yet, first order of the partner", lifecycle.Path{NewPartnerOrg: true}, all},
		{"customer", lifecycle.Path{Role: order.RoleCUSTOMER, NewPartnerOrg: true}, without(order.StepPARTNER_ORG, order.StepPASSWORD)},
		{"handed to the customer, role not chosen", lifecycle.Path{HandedToCustomer: true, NewPartnerOrg: true}, without(order.StepPARTNER_ORG, order.StepPASSWORD)},
	} {
		if got := lifecycle.StepsOf(c.path); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
