// Package orders takes orders from the ordering system: validation,
// idempotency by external id, and the order's subscription.
package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/internal/audit"
	"onramp/internal/auth"
	"onramp/internal/date"
	"onramp/internal/jobs"
	"onramp/internal/lifecycle"
	"onramp/internal/mail"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// PlaceInput is placeOrder's input (bound to the GraphQL PlaceOrderInput).
type PlaceInput struct {
	ExternalID               string
	Product                  order.Product
	RequestedStartDate       date.Date
	ProvisioningContactEmail string
	Partner                  PartnerInput
	Customer                 CustomerInput
	Services                 []schematype.PurchasedService
	Language                 *order.Language
}

// PartnerInput names the ordering partner.
type PartnerInput struct {
	Name      string
	AccountID string
}

// CustomerInput describes the customer.
type CustomerInput struct {
	Name    string
	Country string
	Address schematype.Address
}

// Limits of an order's input.
const (
	MaxQuantity = 100_000
	// FutureDays is how far ahead a start date may lie.
	FutureDays = 366
)

// Service places orders and runs their life: the setup email, the
// escalation, the window, resends and cancellation.
type Service struct {
	Store *store.Store
	// Queue holds the order's jobs, Outbox its emails; Links issues its
	// setup links.
	Queue    *jobs.Queue
	Outbox   *mail.Outbox
	Links    LinkIssuer
	Settings Settings
	// Life applies every change of an order's status or step.
	Life  *lifecycle.Engine
	Clock func() time.Time
}

// Place validates in and stores the order with its subscription, or returns
// the order already placed under the same external id. It returns a
// *validate.Failure for input the caller must fix and an *auth.Error when the
// caller may not place orders for this partner account; in both cases nothing
// is written.
func (s *Service) Place(ctx context.Context, in PlaceInput) (*ent.Order, error) {
	v, err := auth.Require(ctx, viewer.Operator, viewer.Integration)
	if err != nil {
		return nil, err
	}
	// The caller's right comes first: an integration learns nothing about
	// another account's orders, not even through validation.
	if v.Kind == viewer.Integration && in.Partner.AccountID != v.PartnerAccountID {
		return nil, auth.Forbidden("An integration token places orders for its own partner account only.")
	}
	in, err = s.normalize(in, s.Settings.Location, s.Settings.Window)
	if err != nil {
		return nil, err
	}
	var placed *ent.Order
	place := func(ctx context.Context) (err error) {
		placed, err = s.placeTx(ctx, in)
		return err
	}
	err = s.Store.InTx(ctx, place)
	if ent.IsConstraintError(err) {
		// Another request placed the same external id between our read and
		// our insert (PostgreSQL; SQLite's single writer cannot race):
		// read theirs and answer as a replay or a conflict.
		err = s.Store.InTx(ctx, place)
	}
	if err != nil {
		return nil, err
	}
	// Read it again outside the finished transaction, so that edges
	// resolved later (subscription, organizations) load normally.
	return s.Store.Client.Order.Get(ctx, placed.ID)
}

func (s *Service) placeTx(ctx context.Context, in PlaceInput) (*ent.Order, error) {
	client := ent.FromContext(ctx)
	digest := digestOf(in)
	existing, err := client.Order.Query().
		Where(order.PartnerAccountID(in.Partner.AccountID), order.ExternalID(in.ExternalID)).
		Only(ctx)
	switch {
	case err == nil && existing.InputDigest == digest:
		return existing, nil
	case err == nil:
		return nil, validate.Fail(validate.CodeExternalIDConflict, "input.externalId",
			"An order with external id %q was already placed for this partner account with different content.", in.ExternalID)
	case !ent.IsNotFound(err):
		return nil, err
	}
	o, err := client.Order.Create().
		SetExternalID(in.ExternalID).
		SetProduct(in.Product).
		SetRequestedStartDate(in.RequestedStartDate).
		SetProvisioningContactEmail(in.ProvisioningContactEmail).
		SetLanguage(*in.Language).
		SetPartnerName(in.Partner.Name).
		SetPartnerAccountID(in.Partner.AccountID).
		SetCustomerName(in.Customer.Name).
		SetCustomerCountry(in.Customer.Country).
		SetCustomerAddress(in.Customer.Address).
		SetInputDigest(digest).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := client.Subscription.Create().SetOrderID(o.ID).SetServices(in.Services).Exec(ctx); err != nil {
		return nil, err
	}
	if err := s.schedule(ctx, o); err != nil {
		return nil, err
	}
	err = audit.Record(ctx, client, o.ID, "ORDER_PLACED", map[string]any{
		"externalId": in.ExternalID, "product": in.Product, "requestedStartDate": in.RequestedStartDate,
		"partnerAccountId": in.Partner.AccountID, "services": in.Services,
	})
	if err != nil {
		return nil, err
	}
	return o, s.Life.Emit(ctx, o, lifecycle.EventPlaced)
}

// normalize trims and checks every field, collecting all problems at once.
func (s *Service) normalize(in PlaceInput, loc *time.Location, window time.Duration) (PlaceInput, error) {
	var p validate.Problems
	if !validate.Identifier(in.ExternalID) {
		p.Add(validate.CodeInvalid, "input.externalId",
			"External id must be 1 to 64 letters, digits or . _ : / -.")
	}
	if order.ProductValidator(in.Product) != nil {
		p.Add(validate.CodeInvalid, "input.product", "Product must be A_WX or A_SPK.")
	}
	now := s.now()
	today := date.Of(now.In(loc))
	switch d := in.RequestedStartDate; {
	case d == "":
		p.Add(validate.CodeInvalid, "input.requestedStartDate", "Requested start date is required.")
	case !d.Time(loc).Add(window).After(now):
		p.Add(validate.CodeInvalid, "input.requestedStartDate",
			"The order's setup window (%s from the start date) has already closed for %s; the start date may lie at most %s in the past.",
			windowText(window), d, windowText(window))
	case today.AddDays(FutureDays).Before(d):
		p.Add(validate.CodeInvalid, "input.requestedStartDate",
			"Requested start date may be at most %d days ahead.", FutureDays)
	}
	var ok bool
	if in.ProvisioningContactEmail, ok = validate.Email(in.ProvisioningContactEmail); !ok {
		p.Add(validate.CodeInvalid, "input.provisioningContactEmail", "Provisioning contact email is not a valid email address.")
	}
	if in.Partner.Name, ok = validate.Text(in.Partner.Name, true, validate.NameMax); !ok {
		p.Add(validate.CodeInvalid, "input.partner.name", "Partner name is required, at most %d characters.", validate.NameMax)
	}
	if !validate.Identifier(in.Partner.AccountID) {
		p.Add(validate.CodeInvalid, "input.partner.accountId",
			"Partner account id must be 1 to 64 letters, digits or . _ : / -.")
	}
	if in.Customer.Name, ok = validate.Text(in.Customer.Name, true, validate.NameMax); !ok {
		p.Add(validate.CodeInvalid, "input.customer.name", "Customer name is required, at most %d characters.", validate.NameMax)
	}
	if in.Customer.Country, ok = validate.Country(in.Customer.Country); !ok {
		p.Add(validate.CodeInvalid, "input.customer.country", "Country must be an ISO 3166-1 alpha-2 code such as RS or US.")
	}
	in.Customer.Address = in.Customer.Address.Normalize(&p, "input.customer.address")
	if len(in.Services) == 0 {
		p.Add(validate.CodeInvalid, "input.services", "An order needs at least one service.")
	}
	seen := map[schematype.ServiceKind]bool{}
	for i, sv := range in.Services {
		field := fmt.Sprintf("input.services.%d", i)
		if !sv.Kind.Valid() {
			p.Add(validate.CodeInvalid, field+".kind", "Unknown service %q.", sv.Kind)
		} else if seen[sv.Kind] {
			p.Add(validate.CodeInvalid, field+".kind", "Service %s is listed twice.", sv.Kind)
		}
		seen[sv.Kind] = true
		if sv.Quantity < 1 || sv.Quantity > MaxQuantity {
			p.Add(validate.CodeInvalid, field+".quantity", "Quantity must be between 1 and %d.", MaxQuantity)
		}
	}
	if in.Language == nil {
		en := order.LanguageEn
		in.Language = &en
	} else if order.LanguageValidator(*in.Language) != nil {
		p.Add(validate.CodeInvalid, "input.language", "Language must be en or sr.")
	}
	return in, p.Err()
}

// Now is the service's clock.
func (s *Service) Now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

func (s *Service) now() time.Time { return s.Now() }

// digestOf fingerprints the normalized input, to tell a replay of an order
// from a different order reusing its external id.
func digestOf(in PlaceInput) string {
	b, _ := json.Marshal(in) //nolint:errchkjson,musttag // always marshals; it hashes the Go field names, as every stored digest did
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// windowText says a window's length in days when it is whole days.
func windowText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}
