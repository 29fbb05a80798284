package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"onramp/internal/testkit"
)

// startTwin builds the static twin (bench/twin) into dir and runs it on a
// free loopback port, serving the data of answers (the real server's
// answers to the bench's widest selections).
func startTwin(ctx context.Context, dir string, answers map[string]json.RawMessage) (*child, error) {
	data, err := json.Marshal(answers)
	if err != nil {
		return nil, err
	}
	dataPath := filepath.Join(dir, "twin.json")
	if err := os.WriteFile(dataPath, data, 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "twin")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/twin").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build the twin (run the bench from the repository's root): %w\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	logPath := filepath.Join(dir, "twin.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "-addr", addr, "-data", dataPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, base: "http://" + addr, log: logPath}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(c.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("twin not ready after 30 s (log: %s)", logPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dataOf returns the one field of an answer's data object ({"data":{"setup":…}}).
func dataOf(answer []byte, field string) (json.RawMessage, error) {
	var r struct{ Data map[string]json.RawMessage }
	if err := json.Unmarshal(answer, &r); err != nil {
		return nil, err
	}
	v, ok := r.Data[field]
	if !ok {
		return nil, fmt.Errorf("no data.%s in %s", field, answer)
	}
	return v, nil
}

// sameAnswers fails unless the twin answers each body as the real server
// does, byte for byte.
func sameAnswers(client *http.Client, realBase, twinBase string, reqs []twinCheck) error {
	for _, r := range reqs {
		real, err := postOnce(client, realBase, r.token, r.body)
		if err != nil {
			return err
		}
		twin, err := postOnce(client, twinBase, r.token, r.body)
		if err != nil {
			return err
		}
		if !bytes.Equal(real, twin) {
			return fmt.Errorf("the twin answers %s differently:\nreal %s\ntwin %s", r.name, real, twin)
		}
	}
	return nil
}

type twinCheck struct {
	name  string
	token string
	body  []byte
}

func postOnce(client *http.Client, base, token string, body []byte) ([]byte, error) {
	c := testkit.Client{URL: base, HTTP: client}
	r, out, err := c.PostBody(context.Background(), token, body)
	if err == nil && (r.Status != http.StatusOK || len(r.Errors) > 0) {
		err = fmt.Errorf("%s: status %d: %s", base, r.Status, out)
	}
	return out, err
}

// rawSubscribe opens one plain websocket to the twin's broadcast and reads
// its messages as the GraphQL subscribers read theirs (testkit.Subscribe):
// each a JSON message, decoded, stamped with its arrival.
func rawSubscribe(ctx context.Context, client *http.Client, base string) (*subscriber, error) {
	conn, _, err := websocket.Dial(ctx, "ws"+base[len("http"):]+"/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	events := make(chan testkit.Event, 64)
	go func() {
		defer close(events)
		for {
			var m testkit.WSMessage
			err := wsjson.Read(ctx, conn, &m)
			at := time.Now()
			if err != nil {
				select {
				case events <- testkit.Event{Err: err, At: at}:
				case <-ctx.Done():
				}
				return
			}
			select {
			case events <- testkit.Event{Payload: m.Payload, At: at}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return &subscriber{conn: conn, events: events}, nil
}

// rawFanout opens n raw websockets to the twin and broadcasts msg (the
// real server's event message, byte for byte) c.runs times; it returns the
// median delivery figures.
func (b *bench) rawFanout(twin *child, msg []byte, n int) (fanoutResult, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wsClient := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext}}
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
			s, err := rawSubscribe(ctx, wsClient, twin.base)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			subs[i] = s
		}()
	}
	wg.Wait()
	defer closeAll(subs)
	if first != nil {
		return fanoutResult{}, first
	}
	// Every socket registered with the hub before the first broadcast.
	time.Sleep(500 * time.Millisecond)
	var rs []fanoutResult
	for r := range b.c.runs {
		time.Sleep(500 * time.Millisecond)
		res, _, err := deliver(subs, func() error {
			resp, err := b.client.Post(twin.base+"/broadcast", "application/json", bytes.NewReader(msg))
			if err != nil {
				return err
			}
			var sent int
			_, _ = fmt.Fscan(resp.Body, &sent)
			resp.Body.Close()
			if sent != n {
				return fmt.Errorf("broadcast reached %d of %d sockets", sent, n)
			}
			return nil
		}, 60*time.Second)
		if err != nil {
			return fanoutResult{}, err
		}
		rs = append(rs, res)
		fmt.Fprintf(os.Stderr, "raw broadcast round %d: last %s p50 %s p99 %s\n", r+1, ms(res.last), ms(res.p50), ms(res.p99))
	}
	return medianFanout(rs), nil
}
