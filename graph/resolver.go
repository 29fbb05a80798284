// Package graph holds the GraphQL resolvers. They stay thin: take the caller
// from the context, call the domain service, map the result.
package graph

import (
	"onramp/ent"
	"onramp/internal/auth"
	"onramp/internal/events"
	"onramp/internal/orders"
	"onramp/internal/setup"
)

// Resolver holds the resolvers' dependencies.
type Resolver struct {
	Client *ent.Client
	Orders *orders.Service
	Setup  *setup.Service
	Auth   *auth.Authority
	Events *events.Broker
	// Throttles slow down repeated sign-ins, subdomain checks and resends.
	Throttles *Throttles
}
