package feed_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"onramp/ent"
	"onramp/internal/feed"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
	"onramp/internal/testkit/apptest"
)

func TestOrderGivesAnOrdersSlotsInSequenceOrder(t *testing.T) {
	seq := func(n int) *int { return &n }
	// In id order; order X's events arrive with their sequences swapped
	// (ids made on two replicas' clocks).
	evs := []*ent.Event{
		{ID: "ev_1", OrderID: "ord_X", Sequence: seq(2)},
		{ID: "ev_2", OrderID: "ord_Y", Sequence: seq(1)},
		{ID: "ev_3", OrderID: "ord_X", Sequence: seq(1)},
		{ID: "ev_4", OrderID: "ord_Y", Sequence: seq(2)},
	}
	got := []gid.ID{}
	for _, ev := range feed.Order(evs) {
		got = append(got, ev.ID)
	}
	want := []gid.ID{"ev_3", "ev_2", "ev_1", "ev_4"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("positions go to %v, want %v", got, want)
	}
}

const eventsQuery = `query($after: Cursor, $orderId: ID) {
  events(after: $after, first: 100, orderId: $orderId) {
    edges { cursor node { id type orderId sequence subscription { status services { kind quantity } } } }
    pageInfo { hasNextPage endCursor }
  }
}`

type eventNode struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	OrderID      string `json:"orderId"`
	Sequence     int    `json:"sequence"`
	Subscription *struct {
		Status   string `json:"status"`
		Services []struct {
			Kind     string `json:"kind"`
			Quantity int    `json:"quantity"`
		} `json:"services"`
	} `json:"subscription"`
}

type eventsPage struct {
	Events struct {
		Edges []struct {
			Cursor string    `json:"cursor"`
			Node   eventNode `json:"node"`
		} `json:"edges"`
		PageInfo struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
	} `json:"events"`
}

// reader pages the feed as an integration that replays from the cursor of
// the last event it handled.
type reader struct {
	s     *apptest.Server
	token string
	after any
	seen  []eventNode
}

// read pages until the feed has nothing more now; it reports what it read.
func (r *reader) read() ([]eventNode, error) {
	var got []eventNode
	for {
		res, err := r.s.TryGQL(r.token, eventsQuery, map[string]any{"after": r.after})
		if err != nil {
			return got, err
		}
		if len(res.Errors) > 0 {
			return got, fmt.Errorf("events: %+v", res.Errors)
		}
		var page eventsPage
		if err := json.Unmarshal(res.Data, &page); err != nil {
			return got, err
		}
		for _, e := range page.Events.Edges {
			got = append(got, e.Node)
			r.after = e.Cursor
		}
		r.seen = append(r.seen, got[len(got)-len(page.Events.Edges):]...)
		if !page.Events.PageInfo.HasNextPage {
			return got, nil
		}
	}
}

// readUntil reads until cond holds of everything read so far.
func (r *reader) readUntil(t *testing.T, what string, cond func(seen []eventNode) bool) {
	t.Helper()
	testkit.Eventually(t, what, 30*time.Second, func() (bool, string) {
		if _, err := r.read(); err != nil {
			t.Fatalf("read the feed: %v", err)
		}
		return cond(r.seen), fmt.Sprintf("%d events read", len(r.seen))
	})
}

// The scenario the feed exists for, on PostgreSQL (on either test run:
// SQLite's one writer cannot commit out of order): an event whose
// transaction began first commits after a later one that a reader has
// already paged past. Ordered by id, the reader would never see it.
func TestFeedShowsAnEventThatCommittedLate(t *testing.T) {
	dir, dbURL := storetest.PostgresLocation(t)
	s := apptest.Start(t, apptest.Options{Location: &apptest.Location{Dir: dir, URL: dbURL}})
	a := s.MustPlace(t, apptest.OrderInput("LATE-A", "acct-late"))
	b := s.MustPlace(t, apptest.OrderInput("LATE-B", "acct-late"))
	r := &reader{s: s, token: s.Op}
	r.readUntil(t, "both orders placed in the feed", func(seen []eventNode) bool { return len(seen) >= 2 })

	ctx := context.Background()
	load := func(id string) *ent.Order {
		o, err := s.App.Store.Client.Order.Get(store.System(ctx), gid.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	emitted, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- s.App.Store.InTx(ctx, func(ctx context.Context) error {
			if err := s.App.Life.Emit(ctx, load(a.ID), lifecycle.EventEscalated); err != nil {
				return err
			}
			close(emitted)
			<-release
			return nil
		})
	}()
	<-emitted // A's event has its id (the smaller) and is not committed
	if err := s.App.Store.InTx(ctx, func(ctx context.Context) error {
		return s.App.Life.Emit(ctx, load(b.ID), lifecycle.EventEscalated)
	}); err != nil {
		t.Fatal(err)
	}
	r.readUntil(t, "B's later event in the feed", func(seen []eventNode) bool { return len(seen) >= 3 })
	if last := r.seen[len(r.seen)-1]; last.OrderID != b.ID || last.Sequence != 2 {
		t.Fatalf("the third event in the feed is %+v, want B's second", last)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	r.readUntil(t, "A's late event in the feed after B's", func(seen []eventNode) bool { return len(seen) >= 4 })
	if late := r.seen[3]; late.OrderID != a.ID || late.Sequence != 2 || late.Type != lifecycle.EventEscalated {
		t.Fatalf("the fourth event is %+v, want A's escalation (sequence 2)", late)
	}
}

// Sixteen writers place 400 orders and cancel each while a reader pages
// the feed with the cursor of its last event: it sees every event exactly
// once, each order's numbered 1, 2 in order, and the subscription's state
// with each.
func TestFeedUnderConcurrentWritersSkipsNothing(t *testing.T) {
	const writers, orders = 16, 400
	s := apptest.Start(t, apptest.Options{Quiet: true})
	token := s.Integration(t, "acct-feed")
	r := &reader{s: s, token: token}

	var wg sync.WaitGroup
	errs := make(chan error, orders)
	next := make(chan int, orders)
	for i := range orders {
		next <- i
	}
	close(next)
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				readErr <- nil
				return
			default:
			}
			if _, err := r.read(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	for range writers {
		wg.Go(func() {
			for i := range next {
				res, err := s.TryGQL(token, apptest.PlaceOrderMutation, map[string]any{"input": apptest.OrderInput(fmt.Sprintf("FEED-%03d", i), "acct-feed")})
				if err != nil || len(res.Errors) > 0 {
					errs <- fmt.Errorf("place %d: %w %+v", i, err, res.Errors)
					continue
				}
				var placed apptest.PlaceResult
				if err := json.Unmarshal(res.Data, &placed); err != nil || placed.PlaceOrder.Order == nil {
					errs <- fmt.Errorf("place %d: %w %+v", i, err, placed.PlaceOrder.UserErrors)
					continue
				}
				res, err = s.TryGQL(token, apptest.CancelMutation, map[string]any{"id": placed.PlaceOrder.Order.ID, "reason": "test"})
				if err != nil || len(res.Errors) > 0 {
					errs <- fmt.Errorf("cancel %d: %w %+v", i, err, res.Errors)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatalf("read the feed: %v", err)
	}
	r.readUntil(t, fmt.Sprintf("%d events", 2*orders), func(seen []eventNode) bool { return len(seen) >= 2*orders })

	byID := map[string]int{}
	perOrder := map[string][]eventNode{}
	for _, e := range r.seen {
		byID[e.ID]++
		perOrder[e.OrderID] = append(perOrder[e.OrderID], e)
	}
	for id, n := range byID {
		if n != 1 {
			t.Errorf("event %s seen %d times", id, n)
		}
	}
	if len(byID) != 2*orders || len(perOrder) != orders {
		t.Fatalf("saw %d distinct events of %d orders, want %d of %d", len(byID), len(perOrder), 2*orders, orders)
	}
	for id, evs := range perOrder {
		if len(evs) != 2 || evs[0].Type != lifecycle.EventPlaced || evs[0].Sequence != 1 ||
			evs[1].Type != lifecycle.EventCancelled || evs[1].Sequence != 2 {
			t.Errorf("order %s: events %+v, want placed (1) then cancelled (2)", id, evs)
			continue
		}
		sub := evs[1].Subscription
		if sub == nil || sub.Status != "PENDING" || len(sub.Services) != 2 || sub.Services[0].Kind != "MEETINGS" || sub.Services[0].Quantity != 10 {
			t.Errorf("order %s: subscription at its cancellation %+v, want PENDING with its two services", id, sub)
		}
	}
}

// Events recorded before events had sequences and positions (both null
// after the columns were added) are numbered at the next start: sequences
// per order in id order, positions in id order; a cursor of that time (an
// event id alone) keeps its place.
func TestStartNumbersEventsRecordedBeforeTheFeedHadPositions(t *testing.T) {
	loc := apptest.NewLocation(t)
	s := apptest.Start(t, apptest.Options{Location: &loc, Quiet: true})
	var ids []string
	for i := range 3 {
		o := s.MustPlace(t, apptest.OrderInput(fmt.Sprintf("OLD-%d", i), "acct-old"))
		s.GQL(t, s.Op, apptest.CancelMutation, map[string]any{"id": o.ID, "reason": "test"}).OK(t)
		ids = append(ids, o.ID)
	}
	s.Stop(t)
	st, err := store.Open(context.Background(), loc.Dir, loc.URL)
	if err != nil {
		t.Fatal(err)
	}
	// As the table was before this change: no sequence, no position.
	if _, err := st.DB.ExecContext(context.Background(), `UPDATE events SET sequence = NULL, position = NULL`); err != nil {
		t.Fatal(err)
	}
	evs, err := st.Client.Event.Query().Order(ent.Asc("id")).All(store.System(context.Background()))
	if err != nil || len(evs) != 6 {
		t.Fatalf("events before the restart: %d, %v", len(evs), err)
	}
	// The old cursor of the third event (in id order).
	old := ent.Cursor{ID: evs[2].ID}
	oldCursor, err := cursorString(old)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	s2 := apptest.Start(t, apptest.Options{Location: &loc, Quiet: true})
	r := &reader{s: s2, token: s2.Op}
	if _, err := r.read(); err != nil {
		t.Fatal(err)
	}
	if len(r.seen) != 6 {
		t.Fatalf("the feed after the restart has %d events, want 6", len(r.seen))
	}
	seqs := map[string][]int{}
	for i, e := range r.seen {
		if e.ID != string(evs[i].ID) {
			t.Errorf("position %d: event %s, want %s (id order)", i+1, e.ID, evs[i].ID)
		}
		seqs[e.OrderID] = append(seqs[e.OrderID], e.Sequence)
	}
	for _, id := range ids {
		if fmt.Sprint(seqs[id]) != "[1 2]" {
			t.Errorf("order %s: sequences %v, want [1 2]", id, seqs[id])
		}
	}
	after := &reader{s: s2, token: s2.Op, after: oldCursor}
	if _, err := after.read(); err != nil {
		t.Fatal(err)
	}
	if len(after.seen) != 3 || after.seen[0].ID != string(evs[3].ID) {
		t.Fatalf("after the old cursor of event 3: %d events, first %+v; want events 4 to 6", len(after.seen), after.seen)
	}
}

// cursorString is a cursor as the API writes it.
func cursorString(c ent.Cursor) (string, error) {
	var b strings.Builder
	c.MarshalGQL(&b)
	return strings.Trim(b.String(), `"`), nil
}
