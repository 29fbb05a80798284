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

// After is where a page of the feed starts: after the event of a cursor.
type After struct {
	// ID is the cursor's event.
	ID gid.ID
	// Position is its position in the feed; nil in a cursor issued before
	// events had positions (an event id alone), which is mapped to the
	// position of that event (or of the last event before it, in id order,
	// that the caller may see: old events were numbered in id order).
	Position *int64
}

// Events reads n of the caller's events after the cursor, in feed order
// (the order they committed in, internal/feed): integrations and partner
// sessions their partner account's, operators all (the Event table's
// privacy rule); a setup link none (FORBIDDEN). Events not yet numbered
// (committed a moment ago) come on a later page.
func (s *Service) Events(ctx context.Context, after *After, n int, orderID *gid.ID, types []string) (*Page, error) {
	if _, err := auth.Require(ctx, viewer.Integration, viewer.Partner, viewer.Operator); err != nil {
		return nil, err
	}
	for _, t := range types {
		if !slices.Contains(lifecycle.EventTypes, t) {
			return nil, validate.BadInput("unknown event type %s: one of %s", strconv.Quote(t), strings.Join(lifecycle.EventTypes, ", "))
		}
	}
	q := s.Store.Client.Event.Query().Where(event.PositionNotNil())
	if after != nil {
		pos, err := s.position(ctx, after)
		if err != nil {
			return nil, err
		}
		q.Where(event.PositionGT(pos))
	}
	if orderID != nil {
		q.Where(event.OrderID(*orderID))
	}
	if len(types) > 0 {
		q.Where(event.TypeIn(types...))
	}
	evs, err := q.Order(ent.Asc(event.FieldPosition)).Limit(n + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	page := &Page{Events: evs}
	if len(evs) > n {
		page.Events, page.HasNext = evs[:n], true
	}
	return page, nil
}

// position is the feed position a cursor stands for.
func (s *Service) position(ctx context.Context, after *After) (int64, error) {
	if after.Position != nil {
		return *after.Position, nil
	}
	ev, err := s.Store.Client.Event.Query().
		Where(event.IDLTE(after.ID), event.PositionNotNil()).
		Order(ent.Desc(event.FieldID)).Select(event.FieldPosition).First(ctx)
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return *ev.Position, nil
}
