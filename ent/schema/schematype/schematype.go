// Package schematype holds the value types stored in JSON columns.
package schematype

import (
	"io"
	"slices"
	"strconv"

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
