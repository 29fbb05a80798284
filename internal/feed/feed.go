// Package feed numbers the events of every order in commit order: the
// position that the events query pages by.
//
// An event's id is made before its transaction commits, and concurrent
// transactions commit out of id order, so a reader paging by id could pass
// an event that committed late and never see it. Instead, each event is
// written without a position, and the Sequencer numbers the committed ones
// afterwards, one pass at a time: on PostgreSQL a pass holds an advisory
// lock until it commits (every replica runs a sequencer; they take turns),
// on SQLite the single writer. A pass sees every event committed before it
// began and numbers them after the last pass's, so the numbered events are
// always a prefix of the feed: a reader that saw position p has seen every
// position below it, and every event that commits later gets a position
// above every one it has seen. (The alternatives, and why this one, are in
// the README's "Events" section.)
//
// It owns the events' position column and imports only the store and ent.
package feed

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"onramp/ent"
	"onramp/ent/event"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// lockKey names the sequencer's PostgreSQL advisory lock.
const lockKey = "onramp.feed.sequencer"

// Batch bounds the events one pass numbers.
const Batch = 1000

// Sweep is how often a sequencer looks for events without a poke (an
// event committed by a process that crashed before its poke, or by a
// replica whose own sequencer is down).
const Sweep = time.Second

// Sequencer gives committed events their positions.
type Sequencer struct {
	Store *store.Store
	Log   *slog.Logger
	// Numbered runs after each pass that numbered events (the webhooks'
	// deliveries wait for nothing else; tests wait on it). Nil: nothing.
	Numbered func(n int)

	poke chan struct{}
}

// New returns a sequencer of st's events.
func New(st *store.Store, log *slog.Logger) *Sequencer {
	return &Sequencer{Store: st, Log: log, poke: make(chan struct{}, 1)}
}

// Poke asks for a pass soon: after the commit of a transaction that
// recorded events. It never blocks; pokes while a pass is due coalesce.
func (s *Sequencer) Poke() {
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

// Run numbers events until ctx ends: at each poke and every Sweep.
func (s *Sequencer) Run(ctx context.Context) {
	t := time.NewTicker(Sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.poke:
		case <-t.C:
		}
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("number the feed's events", "err", err)
		}
	}
}

// Drain runs passes until no committed event is left without a position,
// and reports how many it numbered.
func (s *Sequencer) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.Pass(ctx)
		total += n
		if err != nil || n < Batch {
			return total, err
		}
	}
}

// Pass numbers up to Batch committed events without a position, after the
// highest position given, and reports how many.
//
// Within a pass the events take the next positions in id order, except
// that the events of one order take theirs in their sequence order (ids
// made on two replicas' clocks may disagree with the order's lock).
func (s *Sequencer) Pass(ctx context.Context) (int, error) {
	var n int
	err := s.Store.InTx(store.System(ctx), func(ctx context.Context) error {
		if err := s.Store.LockKey(ctx, lockKey); err != nil {
			return err
		}
		client := ent.FromContext(ctx)
		pending, err := client.Event.Query().Where(event.PositionIsNil()).
			Order(ent.Asc(event.FieldID)).Limit(Batch).
			Select(event.FieldID, event.FieldOrderID, event.FieldSequence).All(ctx)
		if err != nil || len(pending) == 0 {
			return err
		}
		last, err := client.Event.Query().Where(event.PositionNotNil()).
			Order(ent.Desc(event.FieldPosition)).Select(event.FieldPosition).First(ctx)
		var base int64
		switch {
		case err == nil:
			base = *last.Position
		case !ent.IsNotFound(err):
			return err
		}
		for i, ev := range Order(pending) {
			if err := client.Event.Update().Where(event.ID(ev.ID)).
				SetPosition(base + int64(i) + 1).Exec(ctx); err != nil {
				return err
			}
		}
		n = len(pending)
		return nil
	})
	if err == nil && n > 0 && s.Numbered != nil {
		s.Numbered(n)
	}
	return n, err
}

// Order arranges a pass's events (in id order) for their positions: the
// slots of one order's events go to them in sequence order.
func Order(evs []*ent.Event) []*ent.Event {
	byOrder := map[gid.ID][]*ent.Event{}
	for _, ev := range evs {
		byOrder[ev.OrderID] = append(byOrder[ev.OrderID], ev)
	}
	for _, list := range byOrder {
		slices.SortStableFunc(list, func(a, b *ent.Event) int { return seq(a) - seq(b) })
	}
	out := make([]*ent.Event, len(evs))
	next := map[gid.ID]int{}
	for i, ev := range evs {
		out[i] = byOrder[ev.OrderID][next[ev.OrderID]]
		next[ev.OrderID]++
	}
	return out
}

func seq(ev *ent.Event) int {
	if ev.Sequence == nil {
		return 0
	}
	return *ev.Sequence
}
