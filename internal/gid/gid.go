// Package gid implements Onramp's opaque global ids: a short type prefix and
// a ULID, e.g. "ord_01JD3Q7Z5W8M2K4T6V9X0Y1Z2A". The prefix lets `node(id:)`
// find the table without a lookup; the ULID keeps ids unguessable and never
// exposes database row numbers.
package gid

import (
	"crypto/rand"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"onramp/internal/validate"
)

// ID is a prefixed ULID. It is the primary key of every entity and the
// GraphQL ID scalar.
type ID string

// Prefixes of the entity kinds, with the table each one lives in.
const (
	Order          = "ord"
	Organization   = "org"
	User           = "usr"
	Subscription   = "sub"
	ServiceSetting = "set"
	SetupLink      = "lnk"
	AuditEvent     = "aud"
	SigningKey     = "key"
	Message        = "msg"
	Escalation     = "esc"
	Event          = "evt"
	Webhook        = "whe"
	Delivery       = "whd"
	IntegrationKey = "api"
	Idempotency    = "idm"
	PartnerAccess  = "pac"
	Ticket         = "tkt"
	PartnerSession = "ses"
	Redelivery     = "rdl"
	Throttle       = "thr"
	// Draft names a setup link's unsaved answers (SetupSession.draftId):
	// an id, but not a row of its own.
	Draft = "drf"
)

// rowless are the prefixes of ids that name no table.
var rowless = map[string]bool{Draft: true}

var tables = map[string]string{
	Order:          "orders",
	Organization:   "organizations",
	User:           "users",
	Subscription:   "subscriptions",
	ServiceSetting: "service_settings",
	SetupLink:      "setup_links",
	AuditEvent:     "audit_events",
	SigningKey:     "signing_keys",
	Message:        "messages",
	Escalation:     "escalations",
	Event:          "events",
	Webhook:        "webhook_endpoints",
	Delivery:       "webhook_deliveries",
	IntegrationKey: "integration_keys",
	Idempotency:    "idempotency_keys",
	PartnerAccess:  "partner_accesses",
	Ticket:         "tickets",
	PartnerSession: "partner_sessions",
	Redelivery:     "webhook_redeliveries",
	Throttle:       "throttle_entries",
}

// ErrMalformed is returned for a string that is not an Onramp id.
var ErrMalformed = errors.New("malformed id")

var (
	entropyMu sync.Mutex
	entropy   io.Reader = ulid.Monotonic(rand.Reader, 0)
)

// New returns a fresh id with the given prefix.
func New(prefix string) ID {
	entropyMu.Lock()
	u := ulid.MustNew(ulid.Timestamp(time.Now()), entropy)
	entropyMu.Unlock()
	return ID(prefix + "_" + strings.ToLower(u.String()))
}

// Prefix returns the type prefix of id, or "" when id is malformed.
func (id ID) Prefix() string {
	p, rest, ok := strings.Cut(string(id), "_")
	if !ok || len(rest) != ulid.EncodedSize {
		return ""
	}
	if _, err := ulid.ParseStrict(strings.ToUpper(rest)); err != nil {
		return ""
	}
	return p
}

// Table returns the table an id belongs to.
func Table(id ID) (string, error) {
	t, ok := tables[id.Prefix()]
	if !ok {
		return "", ErrMalformed
	}
	return t, nil
}

// Tables lists every table that holds prefixed ids, for consistency tests.
func Tables() map[string]string {
	out := make(map[string]string, len(tables))
	maps.Copy(out, tables)
	return out
}

// MarshalGQL writes the id as a GraphQL string.
func (id ID) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(id)))
}

// UnmarshalGQL reads an id from a GraphQL value, strictly: a known prefix,
// an underscore and a ULID in lower-case Crockford base32. Anything else is
// refused before any query (the format is public; which ids exist is not:
// a well-formed id that names nothing still answers "not found").
func (id *ID) UnmarshalGQL(v any) error {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case ID: // the generated node resolver passes ids on as they are
		s = string(x)
	default:
		return validate.BadInput("an id must be a string")
	}
	p := ID(s).Prefix()
	if _, ok := tables[p]; (!ok && !rowless[p]) || strings.ToLower(s) != s {
		return validate.BadInput("malformed id: Onramp ids look like ord_01jd3q7z5w8m2k4t6v9x0y1z2a")
	}
	*id = ID(s)
	return nil
}

// Scan implements sql.Scanner.
func (id *ID) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*id = ID(v)
	case []byte:
		*id = ID(v)
	case nil:
		*id = ""
	default:
		return fmt.Errorf("gid: cannot scan %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (id ID) Value() (driver.Value, error) { return string(id), nil }
