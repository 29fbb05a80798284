package events

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"onramp/internal/gid"
	"onramp/internal/store"
)

// Channel is the PostgreSQL notification channel of order changes.
const Channel = "onramp_order_changed"

// Hub publishes order changes to every subscriber of the service. With one
// process (SQLite) it hands a change to the local broker after commit. With
// PostgreSQL it also sends NOTIFY in the change's own transaction, which
// PostgreSQL delivers to every replica's listener only when the transaction
// commits (and never when it rolls back), so a change committed just before
// a crash still reaches the other replicas; each listener hands it to its
// local subscribers.
type Hub struct {
	*Broker
	db  *sql.DB // PostgreSQL; nil when this process is the whole service
	log *slog.Logger

	// origin tags this hub's notifications, so that its listener skips
	// their copies: its subscribers heard them at once.
	origin string

	listening atomic.Bool

	onRevoked func([]Revocation)
	onCatchUp func(context.Context) error
}

// NewLocalHub returns the hub of a single process.
func NewLocalHub() *Hub { return &Hub{Broker: NewBroker()} }

// NewPostgresHub returns a hub that shares changes through db's NOTIFY;
// Listen must run for this process to hear them.
func NewPostgresHub(db *sql.DB, log *slog.Logger) *Hub {
	return &Hub{Broker: NewBroker(), db: db, log: log, origin: rand.Text()}
}

// Changed publishes c once the transaction of ctx commits (at once outside
// one). With PostgreSQL this process's subscribers hear it at once too,
// without waiting for the notification's round trip, and the listener
// skips the copy that comes back (published again, a late copy would step
// the order back after a later change).
func (h *Hub) Changed(ctx context.Context, c Change) {
	store.AfterCommit(ctx, func() { h.Publish(c) })
	if h.db == nil {
		return
	}
	c.Origin = h.origin
	payload, _ := json.Marshal(c) //nolint:errchkjson // a Change (strings and a time) always marshals
	h.notify(ctx, Channel, string(payload))
}

// notify sends a notification in the transaction of ctx (on its own
// outside one).
func (h *Hub) notify(ctx context.Context, channel, payload string) {
	const notify = "SELECT pg_notify($1, $2)"
	var err error
	if tx, txErr := store.SQLTx(ctx); txErr == nil {
		_, err = tx.ExecContext(ctx, notify, channel, payload)
	} else {
		_, err = h.db.ExecContext(ctx, notify, channel, payload)
	}
	if err != nil {
		// Inside a transaction the failed statement aborts it, so its
		// commit fails and the caller sees the error; outside one only
		// the live view is late, until the next change or reconnect.
		h.log.ErrorContext(ctx, "notify other replicas", "channel", channel, "error", err)
	}
}

// Listening reports whether this process hears other replicas' changes
// (always true for a single process).
func (h *Hub) Listening() bool { return h.db == nil || h.listening.Load() }

// Current reads the committed state of orders, to catch subscribers up
// after the listener was disconnected.
type Current func(ctx context.Context, ids []gid.ID) ([]Change, error)

// Listen receives the service's order changes from PostgreSQL until ctx
// ends, reconnecting after a lost connection. Notifications sent while it
// was disconnected are gone, so after every (re)connection it reads the
// current state of each order that has subscribers here and publishes it;
// subscribers skip a state they already have.
func (h *Hub) Listen(ctx context.Context, databaseURL string, current Current) {
	if h.db == nil {
		return
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := h.listenOnce(ctx, databaseURL, current)
		h.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("order change listener disconnected; reconnecting", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// keepalive is how long the listener waits for a notification before it
// checks that its connection is still alive.
const keepalive = 15 * time.Second

func (h *Hub) listenOnce(ctx context.Context, databaseURL string, current Current) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{Channel, RevokedChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return err
		}
	}
	h.listening.Store(true)
	if err := h.catchUp(ctx, current); err != nil {
		return fmt.Errorf("catch subscribers up: %w", err)
	}
	for {
		wait, cancel := context.WithTimeout(ctx, keepalive)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil && n.Channel == RevokedChannel:
			var rs []Revocation
			if err := json.Unmarshal([]byte(n.Payload), &rs); err != nil {
				h.log.Error("undecodable revocation notification", "payload", n.Payload, "error", err)
				continue
			}
			h.hearRevoked(rs)
		case err == nil:
			var c Change
			if err := json.Unmarshal([]byte(n.Payload), &c); err != nil {
				h.log.Error("undecodable order change notification", "payload", n.Payload, "error", err)
				continue
			}
			if c.Origin == h.origin {
				continue // published here at commit
			}
			c.Origin = ""
			h.Publish(c)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			if err := conn.Ping(ctx); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

func (h *Hub) catchUp(ctx context.Context, current Current) error {
	if h.onCatchUp != nil {
		if err := h.onCatchUp(ctx); err != nil {
			return err
		}
	}
	ids := h.Orders()
	if len(ids) == 0 || current == nil {
		return nil
	}
	changes, err := current(ctx, ids)
	if err != nil {
		return err
	}
	for _, c := range changes {
		h.Publish(c)
	}
	return nil
}
