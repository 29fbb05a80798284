package orders_test

import (
	"strings"
	"testing"
	"time"

	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/mail/smtptest"
	"onramp/internal/testkit/apptest"
)

const renewMutation = `mutation($token: String!) { renewSetupLink(token: $token) { sentTo userErrors { field code message } } }`

type renewResult struct {
	RenewSetupLink struct {
		SentTo     *string             `json:"sentTo"`
		UserErrors []apptest.UserError `json:"userErrors"`
	} `json:"renewSetupLink"`
}

// TestRenewAnExpiredLink: the holder of an expired link asks for a new one
// from its page (no working token needed): it goes to the same address and
// works; the expired link gets no second one (a newer link exists); a link
// that still works, a forged token and a cancelled order's link get none.
func TestRenewAnExpiredLink(t *testing.T) {
	t.Parallel()
	sink := smtptest.Start(t, "127.0.0.1:0")
	clk := clock.NewStub(apptest.MailEpoch)
	m := apptest.StartAt(t, apptest.NewLocation(t), clk, func(c *app.Config) {
		c.SMTPURL = sink.URL()
		c.SetupLinkTTL = 48 * time.Hour
	})
	integ := m.Integration(t, "P1")
	o := m.PlaceOrderFor(t, integ, "RN-1", "P1", apptest.MailToday, "ana@p1.example")
	old := apptest.SetupToken(t, apptest.ParseMail(t, apptest.WaitTo(t, sink, "ana@p1.example", 1)[0]), m.URL)

	renew := func(token string) renewResult {
		t.Helper()
		var r renewResult
		m.GQL(t, "", renewMutation, map[string]any{"token": token}).OK(t).Decode(t, &r)
		return r
	}
	apptest.WantCode(t, "a link that still works", renew(old).RenewSetupLink.UserErrors, "LINK_ACTIVE")
	if n := len(sink.To("ana@p1.example")); n != 1 {
		t.Errorf("%d messages after a refused renewal, want 1", n)
	}
	m.GQL(t, "", renewMutation, map[string]any{"token": apptest.Tamper(t, old)}).WantError(t, "UNAUTHENTICATED", "INVALID")

	clk.Advance(49 * time.Hour)
	m.GQL(t, old, `{ viewer { kind } }`, nil).WantError(t, "UNAUTHENTICATED", "EXPIRED")
	r := renew(old)
	if r.RenewSetupLink.SentTo == nil || *r.RenewSetupLink.SentTo != "a…@p1.example" || len(r.RenewSetupLink.UserErrors) > 0 {
		t.Fatalf("renewSetupLink: %+v", r.RenewSetupLink)
	}
	msgs := apptest.WaitTo(t, sink, "ana@p1.example", 2)
	var fresh string
	for _, msg := range msgs {
		if p := apptest.ParseMail(t, msg); strings.HasPrefix(p.Subject, "Set up") {
			fresh = apptest.SetupToken(t, p, m.URL)
		}
	}
	if fresh == "" || fresh == old {
		t.Fatal("no new setup link arrived")
	}
	m.GQL(t, fresh, `{ viewer { kind } }`, nil).OK(t)
	apptest.WantCode(t, "the expired link again", renew(old).RenewSetupLink.UserErrors, "LINK_REPLACED")

	m.GQL(t, m.Integration(t, "P1"), apptest.CancelMutation, map[string]any{"id": o.ID}).OK(t) // a token of the moved clock
	clk.Advance(49 * time.Hour)
	apptest.WantCode(t, "a cancelled order's link", renew(fresh).RenewSetupLink.UserErrors, "ORDER_CANCELLED")
}
