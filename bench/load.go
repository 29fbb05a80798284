package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// httpCase is one kind of request, sent by concurrent clients in a closed
// loop (each sends its next request when the previous one is answered).
type httpCase struct {
	name string
	// get is the path of a GET (the plain handler); otherwise POST /graphql.
	get string
	// request returns worker w's i-th request: its token and body.
	request func(w, i int) (token string, body []byte)
	// check, when set, tells a good answer from a bad one (the default:
	// status 200 with no "errors").
	check func(body []byte) error
}

// result is one run's throughput and latency percentiles.
type result struct {
	rate     float64
	p50, p99 time.Duration
}

// load runs c for d with n concurrent clients.
func load(client *http.Client, base string, c httpCase, n int, d time.Duration) (result, error) {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		lats   []time.Duration
		failed atomic.Value
	)
	deadline := time.Now().Add(d)
	for w := range n {
		wg.Go(func() {
			local := make([]time.Duration, 0, 4096)
			for i := 0; time.Now().Before(deadline); i++ {
				var req *http.Request
				if c.get != "" {
					req, _ = http.NewRequest(http.MethodGet, base+c.get, nil)
				} else {
					tok, body := c.request(w, i)
					req, _ = http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Store(err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lat := time.Since(start)
				switch {
				case err != nil:
				case resp.StatusCode != http.StatusOK:
					err = fmt.Errorf("status %d: %s", resp.StatusCode, body)
				case c.check != nil:
					err = c.check(body)
				case bytes.Contains(body, []byte(`"errors"`)):
					err = fmt.Errorf("%s", body)
				}
				if err != nil {
					failed.Store(err)
					return
				}
				local = append(local, lat)
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return result{}, err
	}
	if len(lats) == 0 {
		return result{}, errors.New("no request completed")
	}
	return summarize(lats, d), nil
}

func summarize(lats []time.Duration, d time.Duration) result {
	slices.Sort(lats)
	return result{
		rate: float64(len(lats)) / d.Seconds(),
		p50:  lats[len(lats)/2],
		p99:  lats[len(lats)*99/100],
	}
}

// median takes each figure's median over the runs.
func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return result{
		rate: pick(func(r result) float64 { return r.rate }),
		p50:  time.Duration(pick(func(r result) float64 { return float64(r.p50) })),
		p99:  time.Duration(pick(func(r result) float64 { return float64(r.p99) })),
	}
}

// profile saves a CPU profile of the server over d into dir, named after
// the case, while the case runs.
func profile(client *http.Client, base, dir, name string, d time.Duration) func() error {
	done := make(chan error, 1)
	go func() {
		resp, err := client.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, max(1, int(d.Seconds()))))
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil {
			file := strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
					return r
				}
				return '-'
			}, strings.ToLower(name))
			err = os.WriteFile(filepath.Join(dir, file+".pprof"), b, 0o644)
		}
		done <- err
	}()
	return func() error { return <-done }
}

// saveProfile saves the server's profile name (heap, goroutine; heap?debug=1
// is the text form with the runtime's memory statistics) as it is now into
// dir, as fanout-NAME.pprof.
func saveProfile(client *http.Client, base, dir, name string) error {
	resp, err := client.Get(base + "/debug/pprof/" + name)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	file := strings.NewReplacer("?", "-", "=", "").Replace(name)
	return os.WriteFile(filepath.Join(dir, "fanout-"+file+".pprof"), b, 0o644)
}
