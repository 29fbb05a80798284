// Package schematype holds the value types stored in JSON columns.
package schematype

import (
	"io"
	"slices"
	"strconv"
	"time"

	"onramp/internal/gid"
	"onramp/internal/validate"
)

// Address is a postal address.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city"`
	PostalCode string `json:"postalCode"`
	Region     string `json:"region,omitempty"`
}

// Normalize trims a and adds a problem to p for each field that is missing
// or too long; field is the input path of the address.
func (a Address) Normalize(p *validate.Problems, field string) Address {
	for _, f := range []struct {
		v        *string
		name     string
		required bool
		max      int
	}{
		{&a.Line1, "line1", true, 200},
		{&a.Line2, "line2", false, 200},
		{&a.City, "city", true, 100},
		{&a.PostalCode, "postalCode", true, 20},
		{&a.Region, "region", false, 100},
	} {
		var ok bool
		if *f.v, ok = validate.Text(*f.v, f.required, f.max); !ok {
			req := ""
			if f.required {
				req = "is required, "
			}
			p.Add(validate.CodeInvalid, field+"."+f.name, "Address %s %sat most %d characters.", f.name, req, f.max)
		}
	}
	return a
}

// ServiceKind is a purchasable service.
type ServiceKind string

// The services of an order.
const (
	Messaging ServiceKind = "MESSAGING"
	Meetings  ServiceKind = "MEETINGS"
	Calling   ServiceKind = "CALLING"
)

// ServiceKinds lists every valid ServiceKind.
var ServiceKinds = []ServiceKind{Messaging, Meetings, Calling}

// PurchasedService is one line of an order: a service and how many licences.
type PurchasedService struct {
	Kind     ServiceKind `json:"kind"`
	Quantity int         `json:"quantity"`
}

// Values lets ent use ServiceKind as an enum column.
func (ServiceKind) Values() []string {
	out := make([]string, len(ServiceKinds))
	for i, k := range ServiceKinds {
		out[i] = string(k)
	}
	return out
}

// Valid reports whether k is a known service.
func (k ServiceKind) Valid() bool { return slices.Contains(ServiceKinds, k) }

// MarshalGQL writes the enum value.
func (k ServiceKind) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(k))) }

// UnmarshalGQL reads the enum value.
func (k *ServiceKind) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !ServiceKind(s).Valid() {
		return validate.BadInput("%v is not a valid ServiceKind", v)
	}
	*k = ServiceKind(s)
	return nil
}

// Draft is the setup wizard's answers before confirmOrgs, bound to one
// setup link: a new link starts with an empty one.
type Draft struct {
	// ID names this draft: each startSetup begins a new one, and a call
	// naming another draft (a second tab's) is refused.
	ID                 string    `json:"id,omitempty"`
	Role               string    `json:"role,omitempty"`
	Assignee           string    `json:"assignee,omitempty"`
	PartnerOrg         *OrgDraft `json:"partnerOrg,omitempty"`
	CustomerAdminEmail string    `json:"customerAdminEmail,omitempty"`
	CustomerOrg        *OrgDraft `json:"customerOrg,omitempty"`
}

// OrgDraft is an organization as the wizard will confirm it: an existing one
// (ExistingID) to review, or the details of a new one.
type OrgDraft struct {
	ExistingID string  `json:"existingId,omitempty"`
	Name       string  `json:"name,omitempty"`
	Country    string  `json:"country,omitempty"`
	Address    Address `json:"address"`
}

// CallSettings are the calling settings of the default location.
type CallSettings struct {
	Country              string  `json:"country"`
	TimeZone             string  `json:"timeZone"`
	AnnouncementLanguage string  `json:"announcementLanguage"`
	EmailLanguage        string  `json:"emailLanguage"`
	LocationName         string  `json:"locationName"`
	Address              Address `json:"address"`
}

// OrderSnapshot is an order's public fields as an event tells them (the
// GraphQL EventOrder, and a webhook's data.order).
type OrderSnapshot struct {
	ID                 gid.ID    `json:"id"`
	ExternalID         string    `json:"externalId"`
	PartnerAccountID   string    `json:"partnerAccountId"`
	Product            string    `json:"product"`
	Status             string    `json:"status"`
	Step               string    `json:"step"`
	RequestedStartDate string    `json:"requestedStartDate"`
	CustomerName       string    `json:"customerName"`
	CustomerCountry    string    `json:"customerCountry"`
	Language           string    `json:"language"`
	UpdatedAt          time.Time `json:"updatedAt"`
}

// SubscriptionSnapshot is an order's subscription as an event tells it
// (the GraphQL EventSubscription, and a webhook's data.subscription): the
// whole state, so that a receiver needs no call back to learn it.
type SubscriptionSnapshot struct {
	Status   string             `json:"status"`
	Services []PurchasedService `json:"services"`
}

// RetiredSecret is a webhook secret a rotation replaced: it keeps signing
// beside the current one until Until.
type RetiredSecret struct {
	Secret string    `json:"secret"`
	Until  time.Time `json:"until"`
}
