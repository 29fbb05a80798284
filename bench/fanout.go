package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// subscriber is one graphql-transport-ws connection subscribed to an
// order's orderStatusChanged; it stamps when each event arrives.
type subscriber struct {
	conn *websocket.Conn
	// events receives the arrival time of every "next" message after the
	// first (the current state).
	events chan time.Time
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribe opens one connection: connection_init with the token, then
// subscribe; it returns once the current state has arrived.
func subscribe(ctx context.Context, client *http.Client, wsURL, token, query, orderID string) (*subscriber, error) {
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPClient: client, Subprotocols: []string{"graphql-transport-ws"},
	})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	write := func(m wsMessage) error {
		b, _ := json.Marshal(m)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	read := func() (wsMessage, error) {
		var m wsMessage
		_, b, err := conn.Read(ctx)
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		return m, err
	}
	fail := func(err error) (*subscriber, error) {
		conn.CloseNow()
		return nil, err
	}
	initPayload, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := write(wsMessage{Type: "connection_init", Payload: initPayload}); err != nil {
		return fail(err)
	}
	if m, err := read(); err != nil || m.Type != "connection_ack" {
		return fail(fmt.Errorf("connection_init: %v %s %s", err, m.Type, m.Payload))
	}
	sub, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]string{"id": orderID}})
	if err := write(wsMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		return fail(err)
	}
	for {
		m, err := read()
		if err != nil {
			return fail(err)
		}
		switch m.Type {
		case "ping":
			if err := write(wsMessage{Type: "pong"}); err != nil {
				return fail(err)
			}
			continue
		case "next":
			if strings.Contains(string(m.Payload), `"errors"`) {
				return fail(fmt.Errorf("subscription: %s", m.Payload))
			}
		default:
			return fail(fmt.Errorf("subscription: %s %s", m.Type, m.Payload))
		}
		break
	}
	s := &subscriber{conn: conn, events: make(chan time.Time, 16)}
	go s.readLoop(ctx, write)
	return s, nil
}

// readLoop stamps each event's arrival and answers the server's pings.
func (s *subscriber) readLoop(ctx context.Context, write func(wsMessage) error) {
	defer close(s.events)
	for {
		_, b, err := s.conn.Read(ctx)
		if err != nil {
			return
		}
		at := time.Now()
		var m wsMessage
		if json.Unmarshal(b, &m) != nil {
			return
		}
		switch m.Type {
		case "next":
			s.events <- at
		case "ping":
			_ = write(wsMessage{Type: "pong"})
		default:
			return
		}
	}
}

// fanoutResult is one published change as its subscribers saw it.
type fanoutResult struct {
	// last is the time from sending the mutation to the last delivery.
	last     time.Duration
	p50, p99 time.Duration
}

// connectAll opens n subscribers, at most 128 handshakes at a time.
func connectAll(ctx context.Context, client *http.Client, wsURL, token, query, orderID string, n int) ([]*subscriber, error) {
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
			s, err := subscribe(ctx, client, wsURL, token, query, orderID)
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
// it (or timeout).
func deliver(subs []*subscriber, mutate func() error, timeout time.Duration) (fanoutResult, error) {
	start := time.Now()
	if err := mutate(); err != nil {
		return fanoutResult{}, err
	}
	lats := make([]time.Duration, len(subs))
	deadline := time.After(timeout)
	for i, s := range subs {
		select {
		case at, ok := <-s.events:
			if !ok {
				return fanoutResult{}, fmt.Errorf("subscriber %d: connection closed", i)
			}
			lats[i] = at.Sub(start)
		case <-deadline:
			return fanoutResult{}, fmt.Errorf("only %d of %d subscribers got the change within %s", i, len(subs), timeout)
		}
	}
	slices.Sort(lats)
	return fanoutResult{last: lats[len(lats)-1], p50: lats[len(lats)/2], p99: lats[len(lats)*99/100]}, nil
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
