package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"onramp/internal/testkit"

	"github.com/coder/websocket"
)

// subscriber is one graphql-transport-ws connection (the tests' shared
// client, testkit.Client) subscribed to an order's orderStatusChanged.
type subscriber struct {
	conn *websocket.Conn
	// events receives every event after the first (the current state),
	// stamped with its arrival.
	events <-chan testkit.Event
}

// subscribe opens one connection: connection_init with the token, then
// subscribe; it returns once the current state has arrived.
func subscribe(ctx context.Context, client *http.Client, base, token, query, orderID string) (*subscriber, error) {
	c := testkit.Client{URL: base, HTTP: client}
	conn, events, err := c.Subscribe(ctx, token, query, map[string]any{"id": orderID})
	if err != nil {
		return nil, err
	}
	first, ok := <-events
	switch {
	case !ok:
		err = errors.New("subscription ended before its first event")
	case first.Err != nil:
		err = first.Err
	case first.Complete, strings.Contains(string(first.Payload), `"errors"`):
		err = fmt.Errorf("subscription: %s", first.Payload)
	}
	if err != nil {
		conn.CloseNow()
		return nil, err
	}
	return &subscriber{conn: conn, events: events}, nil
}

// fanoutResult is one published change as its subscribers saw it.
type fanoutResult struct {
	// last is the time from sending the mutation to the last delivery.
	last     time.Duration
	p50, p99 time.Duration
}

// connectAll opens n subscribers, at most 128 handshakes at a time.
func connectAll(ctx context.Context, client *http.Client, base, token, query, orderID string, n int) ([]*subscriber, error) {
	subs := make([]*subscriber, n)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	gate := make(chan struct{}, 128)
	for i := range subs {
		wg.Add(1)
		gate <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-gate }()
			s, err := subscribe(ctx, client, base, token, query, orderID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("subscriber %d: %w", i, err)
			}
			subs[i] = s
		}()
	}
	wg.Wait()
	if first != nil {
		closeAll(subs)
		return nil, first
	}
	return subs, nil
}

func closeAll(subs []*subscriber) {
	for _, s := range subs {
		if s != nil {
			_ = s.conn.Close(websocket.StatusNormalClosure, "")
		}
	}
}

// deliver makes one change with mutate and waits until every subscriber has
// it (or timeout). It returns the delivery figures and the first
// subscriber's payload.
func deliver(subs []*subscriber, mutate func() error, timeout time.Duration) (fanoutResult, json.RawMessage, error) {
	start := time.Now()
	if err := mutate(); err != nil {
		return fanoutResult{}, nil, err
	}
	var payload json.RawMessage
	lats := make([]time.Duration, len(subs))
	deadline := time.After(timeout)
	for i, s := range subs {
		select {
		case e, ok := <-s.events:
			if !ok || e.Err != nil || e.Complete {
				return fanoutResult{}, nil, fmt.Errorf("subscriber %d: connection closed (%w)", i, e.Err)
			}
			if i == 0 {
				payload = e.Payload
			}
			lats[i] = e.At.Sub(start)
		case <-deadline:
			return fanoutResult{}, nil, fmt.Errorf("only %d of %d subscribers got the change within %s", i, len(subs), timeout)
		}
	}
	slices.Sort(lats)
	return fanoutResult{last: lats[len(lats)-1], p50: lats[len(lats)/2], p99: lats[len(lats)*99/100]}, payload, nil
}

// medianFanout is the median of each figure over rounds of deliveries.
func medianFanout(rs []fanoutResult) fanoutResult {
	pick := func(f func(fanoutResult) time.Duration) time.Duration {
		v := make([]time.Duration, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return fanoutResult{
		last: pick(func(r fanoutResult) time.Duration { return r.last }),
		p50:  pick(func(r fanoutResult) time.Duration { return r.p50 }),
		p99:  pick(func(r fanoutResult) time.Duration { return r.p99 }),
	}
}
