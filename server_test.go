package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"onramp/ent/schema/schematype"
	"onramp/ent/setuplink"
	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/date"
	"onramp/internal/gid"
	"onramp/internal/orders"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/viewer"
)

var (
	address  = schematype.Address{Line1: "Knez Mihailova 1", City: "Beograd", PostalCode: "11000"}
	services = []schematype.PurchasedService{{Kind: schematype.Meetings, Quantity: 5}}
)

// placed starts the app on a fresh database, places one order due in a
// week and returns the app (closed by the test) and the order's id.
func placed(t *testing.T, dir, dbURL string) (*app.App, string) {
	t.Helper()
	cfg := app.Defaults()
	cfg.DataDir, cfg.DatabaseURL = dir, dbURL
	a, err := app.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	op := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.Operator, Subject: "op"})
	o, err := a.Orders.Place(op, orders.PlaceInput{
		ExternalID: "CLI-1", Product: "A_WX", RequestedStartDate: date.Of(time.Now().AddDate(0, 0, 7)),
		ProvisioningContactEmail: "contact@p1.example",
		Partner:                  orders.PartnerInput{Name: "P1", AccountID: "P1"},
		Customer:                 orders.CustomerInput{Name: "Acme", Country: "RS", Address: address},
		Services:                 services,
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, string(o.ID)
}

// TestTokenSetupFollowsTheOrdersLife: the command line issues a link
// through the order's life table: the previous link is replaced, and a
// cancelled order gets none (a clear error, non-zero exit).
func TestTokenSetupFollowsTheOrdersLife(t *testing.T) {
	dir, dbURL := storetest.Location(t)
	a, id := placed(t, dir, dbURL)
	defer a.Close()
	args := []string{"token", "setup", "--order", id, "--data-dir", dir, "--database-url", dbURL}

	var out bytes.Buffer
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("token setup: %v", err)
	}
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatalf("token setup again: %v", err)
	}
	sys := store.System(context.Background())
	links, err := a.Store.Client.SetupLink.Query().All(sys)
	if err != nil {
		t.Fatal(err)
	}
	var active, replaced int
	for _, l := range links {
		switch l.State {
		case setuplink.StateACTIVE:
			active++
			if l.Email != "contact@p1.example" {
				t.Errorf("the link went to %s, want the provisioning contact", l.Email)
			}
		case setuplink.StateREPLACED:
			replaced++
		case setuplink.StateEXPIRED, setuplink.StateCANCELLED:
			t.Errorf("a %s link, want only the active one and the one it replaced", l.State)
		}
	}
	if active != 1 || replaced != 1 {
		t.Errorf("%d active and %d replaced links, want 1 and 1", active, replaced)
	}

	op := viewer.NewContext(context.Background(), &viewer.Viewer{Kind: viewer.Operator, Subject: "op"})
	if _, err := a.Orders.Cancel(op, gid.ID(id), "test", nil); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(context.Background(), args, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("token setup of a cancelled order: %v (printed %q), want an error saying it was cancelled", err, out.String())
	}
	if out.Len() != 0 {
		t.Errorf("a token was printed for a cancelled order: %q", out.String())
	}
	if n, _ := a.Store.Client.SetupLink.Query().Where(setuplink.StateEQ(setuplink.StateACTIVE)).Count(sys); n != 0 {
		t.Errorf("%d active links after cancelling and a refused token setup", n)
	}
}

// TestTokensSignFromTheTestClock: after an advance of the test clock, a
// token from the command line is issued at the test time, so the server
// (which verifies by the same clock) accepts it.
func TestTokensSignFromTheTestClock(t *testing.T) {
	dir, dbURL := storetest.Location(t)
	st, err := store.Open(context.Background(), dir, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := clock.OpenShared(context.Background(), st.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Advance(context.Background(), 72*time.Hour); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "operator", "--data-dir", dir, "--database-url", dbURL}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	claims := jwt.RegisteredClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(strings.TrimSpace(out.String()), &claims); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(claims.IssuedAt.Time); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("issued %s from now, want 72h (the test clock's time)", d.Round(time.Minute))
	}
}
