package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"onramp/ent/event"
	"onramp/internal/store"
)

// steadyRate and steadyFor are the gentle load of the delivery-latency
// case: an integration placing orders (one order.placed event each) at a
// steady 20 a second.
const (
	steadyRate = 20
	steadyFor  = 10 * time.Second
)

// latencyResult is the delay from an event's creation (in its change's
// transaction, a few milliseconds before its commit) to its first arrival
// at the receiver.
type latencyResult struct {
	p50, p99, max time.Duration
	events        int
}

// steadyLatency places orders of account at steadyRate for steadyFor,
// through the server of b (in dev mode, with rcv's endpoint subscribed to
// the account's events), and measures each event's delivery delay.
func (b *bench) steadyLatency(ctx context.Context, token, account string, rcv *hookReceiver) (latencyResult, error) {
	t0 := time.Now()
	tick := time.NewTicker(time.Second / steadyRate)
	defer tick.Stop()
	var wg sync.WaitGroup
	errs := make(chan error, steadyRate*int(steadyFor/time.Second)+1)
	for i := 0; time.Since(t0) < steadyFor; i++ {
		<-tick.C
		wg.Go(func() {
			if _, err := b.post(token, placeBody(fmt.Sprintf("STEADY-%d-%d", t0.UnixNano(), i), account)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return latencyResult{}, fmt.Errorf("placeOrder: %w", err)
	}
	sys := store.System(ctx)
	ids, err := b.st.Client.Event.Query().
		Where(event.PartnerAccountID(account), event.CreatedAtGTE(t0)).IDs(sys)
	if err != nil {
		return latencyResult{}, err
	}
	deadline := time.Now().Add(time.Minute)
	var lats []time.Duration
	for {
		lats = lats[:0]
		rcv.mu.Lock()
		for _, id := range ids {
			if d, ok := rcv.latency[string(id)]; ok {
				lats = append(lats, d)
			}
		}
		rcv.mu.Unlock()
		if len(lats) == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			return latencyResult{}, fmt.Errorf("%d of %d events not delivered a minute after the steady load", len(ids)-len(lats), len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(lats) == 0 {
		return latencyResult{}, errors.New("the steady load made no event")
	}
	slices.Sort(lats)
	return latencyResult{p50: lats[len(lats)/2], p99: lats[len(lats)*99/100], max: lats[len(lats)-1], events: len(lats)}, nil
}

// steadyLatencyOn measures steadyLatency against a server in dev mode on
// databaseURL ("" for SQLite in dataDir), with an endpoint of its own.
func (b *bench) steadyLatencyOn(ctx context.Context, dataDir, databaseURL string) (latencyResult, error) {
	rcv, err := startReceiver()
	if err != nil {
		return latencyResult{}, err
	}
	defer rcv.srv.Close()
	srv, err := startServer(ctx, b.c.bin, dataDir, databaseURL, "ONRAMP_DEV=true")
	if err != nil {
		return latencyResult{}, err
	}
	defer srv.stop()
	hb := &bench{c: b.c, client: b.client, base: srv.base, st: b.st, auth: b.auth, op: b.op}
	const account = "STEADY"
	integ, err := b.auth.IssueIntegration(account, time.Hour)
	if err != nil {
		return latencyResult{}, err
	}
	_, secret, err := hb.createEndpoint(integ, rcv.url)
	if err != nil {
		return latencyResult{}, err
	}
	rcv.secret.Store(secret)
	res, err := hb.steadyLatency(ctx, integ, account, rcv)
	if err != nil {
		return latencyResult{}, err
	}
	fmt.Fprintf(os.Stderr, "webhook latency at %d events/s (%s): p50 %s p99 %s max %s over %d events\n",
		steadyRate, dbName(databaseURL), ms(res.p50), ms(res.p99), ms(res.max), res.events)
	return res, nil
}

func dbName(databaseURL string) string {
	if databaseURL == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}
