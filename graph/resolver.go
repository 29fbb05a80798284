// Package graph holds the GraphQL resolvers. They stay thin: take the caller
// from the context, call the domain service, map the result.
package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"onramp/internal/access"
	"onramp/internal/accounts"

	"onramp/ent"
	"onramp/internal/auth"
	"onramp/internal/clock"
	"onramp/internal/events"
	"onramp/internal/orders"
	"onramp/internal/setup"
	"onramp/internal/validate"
	"onramp/internal/webhooks"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Client *ent.Client
	Orders *orders.Service
	Setup  *setup.Service
	// Access is the customer's consent; Accounts, partner sign-in and
	// passwords.
	Access   *access.Service
	Accounts *accounts.Service
	Auth     *auth.Authority
	Events   *events.Broker
	// Webhooks manages endpoints and reads the event feed.
	Webhooks *webhooks.Service
	// Clock is the test clock (--test-clock); nil when time is real.
	Clock *clock.Shared
	// Throttles slow down repeated sign-ins, subdomain checks and resends.
	Throttles *Throttles
	// SiteDomain is the domain of meetings sites (--site-domain).
	SiteDomain string
	// OrderCounts remembers unfiltered orders counts (SQLite only: see
	// OrderCounts); nil counts every time.
	OrderCounts *OrderCounts
}

// advanceClock moves the test clock forward by a Go duration.
func (r *Resolver) advanceClock(ctx context.Context, by string) (time.Time, error) {
	if r.Clock == nil {
		return time.Time{}, validate.Fail("TEST_CLOCK_OFF", "", "The test clock is off: start the server with --test-clock in dev mode.")
	}
	d, err := time.ParseDuration(strings.TrimSpace(by))
	if err != nil || d <= 0 || d > clock.MaxAdvance {
		return time.Time{}, validate.Fail(validate.CodeInvalid, "by",
			"Give a positive Go duration of at most %s, such as \"24h\" or \"90m\".", clock.MaxAdvance)
	}
	now, err := r.Clock.Advance(ctx, d)
	if errors.Is(err, clock.ErrTooFar) {
		return time.Time{}, validate.Fail(validate.CodeInvalid, "by",
			"The test clock may be at most 100 years ahead of the wall clock; it is %s ahead now.",
			time.Until(r.Clock.Now()).Round(time.Hour))
	}
	return now, err
}
