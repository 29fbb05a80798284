package webhooks

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"onramp/ent"
	"onramp/ent/event"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Page is a page of events, oldest first.
type Page struct {
	Events  []*ent.Event
	HasNext bool
}

// Events reads n of the caller's events after the cursor event, oldest first:
// integrations and partner sessions their partner account's, operators all
// (the Event table's privacy rule); a setup link none (FORBIDDEN).
func (s *Service) Events(ctx context.Context, after *gid.ID, n int, orderID *gid.ID, types []string) (*Page, error) {
	if _, err := auth.Require(ctx, viewer.Integration, viewer.Partner, viewer.Operator); err != nil {
		return nil, err
	}
	for _, t := range types {
		if !slices.Contains(lifecycle.EventTypes, t) {
			return nil, validate.BadInput("unknown event type %s: one of %s", strconv.Quote(t), strings.Join(lifecycle.EventTypes, ", "))
		}
	}
	q := s.Store.Client.Event.Query()
	if after != nil {
		q.Where(event.IDGT(*after))
	}
	if orderID != nil {
		q.Where(event.OrderID(*orderID))
	}
	if len(types) > 0 {
		q.Where(event.TypeIn(types...))
	}
	evs, err := q.Order(ent.Asc(event.FieldID)).Limit(n + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	page := &Page{Events: evs}
	if len(evs) > n {
		page.Events, page.HasNext = evs[:n], true
	}
	return page, nil
}
