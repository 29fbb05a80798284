package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"onramp/ent/event"
	"onramp/internal/store"
	"onramp/internal/webhooks"
)

// hookAccount is the partner account of the complete flows (bench.flow):
// the endpoint of the webhook case is this account's.
const hookAccount = "FLOWS"

// hookReceiver is a partner's webhook endpoint in the bench process: a plain
// net/http server that checks each delivery's signature and answers 204.
type hookReceiver struct {
	url    string
	srv    *http.Server
	secret atomic.Value // string: the live endpoint's secret

	mu      sync.Mutex
	first   map[string]time.Time // event id → its first arrival
	latency map[string]time.Duration
	posts   int
	badSigs int
}

func startReceiver() (*hookReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &hookReceiver{url: "http://" + ln.Addr().String() + "/onramp", first: map[string]time.Time{}, latency: map[string]time.Duration{}}
	r.secret.Store("")
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		at := time.Now()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var p struct {
			ID        string    `json:"id"`
			CreatedAt time.Time `json:"createdAt"`
		}
		ok := json.Unmarshal(body, &p) == nil && webhooks.Verify(req.Header.Get(webhooks.SignatureHeader), r.secret.Load().(string), body)
		r.mu.Lock()
		r.posts++
		if !ok {
			r.badSigs++
		}
		if _, seen := r.first[p.ID]; !seen && ok {
			r.first[p.ID] = at
			r.latency[p.ID] = at.Sub(p.CreatedAt)
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// hookResult is one run of flows with the endpoint: deliveries (first
// arrivals) and events made within the run's window, the delay from an
// event's creation to its arrival, and the run's events over the time from
// its start to the last one's arrival (the backlog left when the flows
// stopped included).
type hookResult struct {
	delivered, produced float64 // a second, within the window
	// pace is the run's events a second over the span of their arrivals,
	// divided by the same events a second over the span of their creation:
	// 1 when deliveries keep up with production, less when a backlog grows
	// (a window's count would also miss the last events' few milliseconds
	// of delay).
	pace          float64
	overall       float64 // a second, from the start to the last arrival
	p50, p99      time.Duration
	drain         time.Duration // from the flows' end to the last arrival
	posts, events int
}

// webhookFigures measures (j) complete flows without and with one endpoint
// subscribed to every event, in alternating runs on one server, and (k) the
// deliveries to that endpoint during the flows.
//
// The server of these rows runs in dev mode (ONRAMP_DEV=true): outside it,
// an endpoint must be https to a public address, and the delivery client
// refuses loopback after DNS resolution, so no receiver on this machine can
// be reached. The other rows keep a server outside dev mode, as in
// production, because dev mode changes what they measure: with no SMTP
// server it delivers the flows' emails to the dev mail viewer (a job for
// each, where production without SMTP keeps them queued), and it logs text
// instead of JSON. The dev server runs on the same SQLite file after the
// first server stopped, and both halves of the ratio run on it, so the ratio
// compares like with like; its flows/s are not (e)'s.
func (b *bench) webhookFigures(ctx context.Context, dataDir string) (without, with result, hooks hookResult, err error) {
	rcv, err := startReceiver()
	if err != nil {
		return
	}
	defer rcv.srv.Close()
	srv, err := startServer(ctx, b.c.bin, dataDir, "", "ONRAMP_DEV=true")
	if err != nil {
		return
	}
	defer srv.stop()
	hb := &bench{c: b.c, client: b.client, base: srv.base, st: b.st, auth: b.auth, op: b.op}
	integ, err := b.auth.IssueIntegration(hookAccount, 2*time.Hour)
	if err != nil {
		return
	}
	var wo, wi []result
	var hs []hookResult
	for r := range b.c.runs {
		res, err := hb.flows(b.c.flowWorkers, b.c.duration)
		if err != nil {
			return without, with, hooks, fmt.Errorf("flows without an endpoint: %w", err)
		}
		wo = append(wo, res)

		id, secret, err := hb.createEndpoint(integ, rcv.url)
		if err != nil {
			return without, with, hooks, err
		}
		rcv.secret.Store(secret)
		res, h, err := hb.flowsWithEndpoint(ctx, rcv)
		if err != nil {
			return without, with, hooks, err
		}
		if _, err := hb.post(integ, gqlBody(`mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { deletedId } }`, map[string]any{"id": id})); err != nil {
			return without, with, hooks, err
		}
		wi = append(wi, res)
		hs = append(hs, h)
		fmt.Fprintf(os.Stderr, "webhooks run %d: flows %.1f/s without, %.1f/s with; %.0f events/s delivered of %.0f/s made, pace %.3f, p50 %s p99 %s, %d events at %.0f/s from the run's start to the last arrival (%s after the flows)\n",
			r+1, wo[r].rate, res.rate, h.delivered, h.produced, h.pace, ms(h.p50), ms(h.p99), h.events, h.overall, h.drain.Round(time.Millisecond))
	}
	rcv.mu.Lock()
	bad := rcv.badSigs
	rcv.mu.Unlock()
	if bad > 0 {
		return without, with, hooks, fmt.Errorf("%d deliveries whose signature does not verify", bad)
	}
	return median(wo), median(wi), medianHooks(hs), nil
}

// createEndpoint adds an endpoint for every event of the token's partner
// and returns its id and secret.
func (b *bench) createEndpoint(token, url string) (string, string, error) {
	out, err := b.post(token, gqlBody(`mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) {
		endpoint { id } secret userErrors { code message } } }`, map[string]any{"in": map[string]any{"url": url}}))
	if err != nil {
		return "", "", err
	}
	var resp struct {
		Data struct {
			CreateWebhookEndpoint struct {
				Endpoint *struct{ ID string }
				Secret   string
			}
		}
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.Data.CreateWebhookEndpoint.Endpoint == nil {
		return "", "", fmt.Errorf("createWebhookEndpoint: %w %s", err, out)
	}
	return resp.Data.CreateWebhookEndpoint.Endpoint.ID, resp.Data.CreateWebhookEndpoint.Secret, nil
}

// flowsWithEndpoint runs one run of flows while the endpoint receives, then
// waits until every event the run made has arrived.
func (b *bench) flowsWithEndpoint(ctx context.Context, rcv *hookReceiver) (result, hookResult, error) {
	t0 := time.Now()
	end := t0.Add(b.c.duration)
	res, err := b.flows(b.c.flowWorkers, b.c.duration)
	if err != nil {
		return result{}, hookResult{}, fmt.Errorf("flows with an endpoint: %w", err)
	}
	stopped := time.Now()
	sys := store.System(ctx)
	// Every event of this run (the flows that ran past the window
	// included): created after t0, as the server's clock (this machine's)
	// tells.
	ids, err := b.st.Client.Event.Query().
		Where(event.PartnerAccountID(hookAccount), event.CreatedAtGTE(t0)).IDs(sys)
	if err != nil {
		return result{}, hookResult{}, err
	}
	deadline := stopped.Add(2 * time.Minute)
	for {
		rcv.mu.Lock()
		missing := 0
		for _, id := range ids {
			if _, ok := rcv.first[string(id)]; !ok {
				missing++
			}
		}
		rcv.mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			return result{}, hookResult{}, fmt.Errorf("%d of %d events not delivered 2 minutes after the flows stopped", missing, len(ids))
		}
		time.Sleep(20 * time.Millisecond)
	}
	h := hookResult{events: len(ids)}
	produced, err := b.st.Client.Event.Query().
		Where(event.PartnerAccountID(hookAccount), event.CreatedAtGTE(t0), event.CreatedAtLT(end)).Count(sys)
	if err != nil {
		return result{}, hookResult{}, err
	}
	var lats []time.Duration
	delivered := 0
	var last, firstArrival, firstMade, lastMade time.Time
	rcv.mu.Lock()
	for _, id := range ids {
		at := rcv.first[string(id)]
		if at.Before(end) {
			delivered++
		}
		if at.After(last) {
			last = at
		}
		if firstArrival.IsZero() || at.Before(firstArrival) {
			firstArrival = at
		}
		made := at.Add(-rcv.latency[string(id)])
		if firstMade.IsZero() || made.Before(firstMade) {
			firstMade = made
		}
		if made.After(lastMade) {
			lastMade = made
		}
		lats = append(lats, rcv.latency[string(id)])
	}
	if span := last.Sub(firstArrival); span > 0 {
		h.pace = lastMade.Sub(firstMade).Seconds() / span.Seconds()
	}
	h.posts = rcv.posts
	rcv.posts = 0
	rcv.mu.Unlock()
	if len(lats) == 0 {
		return result{}, hookResult{}, errors.New("the flows made no event")
	}
	slices.Sort(lats)
	h.p50, h.p99 = lats[len(lats)/2], lats[len(lats)*99/100]
	h.delivered = float64(delivered) / b.c.duration.Seconds()
	h.produced = float64(produced) / b.c.duration.Seconds()
	h.overall = float64(len(ids)) / last.Sub(t0).Seconds()
	h.drain = max(0, last.Sub(stopped))
	return res, h, nil
}

// medianHooks takes each figure's median over the runs.
func medianHooks(hs []hookResult) hookResult {
	pick := func(f func(hookResult) float64) float64 {
		v := make([]float64, len(hs))
		for i, h := range hs {
			v[i] = f(h)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return hookResult{
		delivered: pick(func(h hookResult) float64 { return h.delivered }),
		pace:      pick(func(h hookResult) float64 { return h.pace }),
		produced:  pick(func(h hookResult) float64 { return h.produced }),
		overall:   pick(func(h hookResult) float64 { return h.overall }),
		p50:       time.Duration(pick(func(h hookResult) float64 { return float64(h.p50) })),
		p99:       time.Duration(pick(func(h hookResult) float64 { return float64(h.p99) })),
		drain:     time.Duration(pick(func(h hookResult) float64 { return float64(h.drain) })),
		posts:     int(pick(func(h hookResult) float64 { return float64(h.posts) })),
		events:    int(pick(func(h hookResult) float64 { return float64(h.events) })),
	}
}
