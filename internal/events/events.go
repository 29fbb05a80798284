// Package events tells the subscribers of an order that its status or step
// changed. A change is published after its transaction commits, so no one
// sees a change that was rolled back.
package events

import (
	"sync"
	"time"

	"onramp/ent/order"
	"onramp/internal/gid"
)

// Change is the state of an order after a committed change (the GraphQL
// OrderStatusEvent).
//
// Its JSON (between replicas) keeps the field names, so that replicas of
// two versions understand each other during a rolling upgrade.
type Change struct {
	OrderID gid.ID       `json:"OrderID"`
	Status  order.Status `json:"Status"`
	Step    order.Step   `json:"Step"`
	// DraftID is the setup draft's id after the change, when a wizard call
	// made it: a wizard tab compares it with its own to learn that the link
	// was opened elsewhere.
	DraftID gid.ID    `json:"DraftID,omitempty"`
	At      time.Time `json:"At"`
	// Origin names the replica that sent it through NOTIFY (empty in a
	// process); an older replica's notification has none.
	Origin string `json:"Origin,omitempty"`
}

// Broker fans order changes out to the subscribers of this process.
type Broker struct {
	mu   sync.Mutex
	subs map[gid.ID]map[*Subscription]struct{}
}

// Subscription receives the changes of one order on C, in commit order.
type Subscription struct {
	C chan Change
}

// buffer is how many changes a subscriber may lag behind; past it the
// oldest pending ones are dropped (the subscriber still gets the latest).
// Sixteen hold an order's whole forward life (10 steps, 7 statuses, most
// changing together); each slot is a Change (~90 bytes) per subscriber,
// and 64 of them were 5.5 KiB of the ~80 KiB a subscriber cost.
const buffer = 16

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{subs: map[gid.ID]map[*Subscription]struct{}{}}
}

// Subscribe starts receiving the changes of an order; cancel stops.
func (b *Broker) Subscribe(orderID gid.ID) (*Subscription, func()) {
	s := &Subscription{C: make(chan Change, buffer)}
	b.mu.Lock()
	if b.subs[orderID] == nil {
		b.subs[orderID] = map[*Subscription]struct{}{}
	}
	b.subs[orderID][s] = struct{}{}
	b.mu.Unlock()
	return s, func() {
		b.mu.Lock()
		delete(b.subs[orderID], s)
		if len(b.subs[orderID]) == 0 {
			delete(b.subs, orderID)
		}
		b.mu.Unlock()
	}
}

// Publish hands c to every subscriber of its order. It never blocks.
func (b *Broker) Publish(c Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs[c.OrderID] {
		for {
			select {
			case s.C <- c:
			default:
				select { // full: drop the oldest pending change
				case <-s.C:
				default:
				}
				continue
			}
			break
		}
	}
}

// Subscribers counts the subscriptions of an order.
func (b *Broker) Subscribers(orderID gid.ID) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[orderID])
}

// Orders lists the orders that have subscribers in this process.
func (b *Broker) Orders() []gid.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	ids := make([]gid.ID, 0, len(b.subs))
	for id := range b.subs {
		ids = append(ids, id)
	}
	return ids
}
