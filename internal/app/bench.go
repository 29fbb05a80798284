package app

import (
	"bytes"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
)

// BenchRoutesEnv turns on the routes of `make bench` (bench/): never set it
// in production.
const BenchRoutesEnv = "ONRAMP_BENCH_ROUTES"

// benchSocketsPerToken lifts the sockets-per-token limit under the bench
// routes: the bench's fan-out case opens 10,000 sockets with one operator
// token.
func benchSocketsPerToken(n int) int {
	if os.Getenv(BenchRoutesEnv) == "1" {
		return 0
	}
	return n
}

// maxPlainBytes bounds the body of /bench/plain.
const maxPlainBytes = 1 << 20

// benchRoutes adds, only when ONRAMP_BENCH_ROUTES=1, what the benchmark
// needs of the process it measures: /bench/plain?bytes=N, a handler that
// answers a JSON body of N bytes and nothing else (the limit that the GraphQL
// figures are divided by), and the runtime profiles under /debug/pprof/.
func (a *App) benchRoutes(mux *http.ServeMux) {
	if os.Getenv(BenchRoutesEnv) != "1" {
		return
	}
	mux.HandleFunc("GET /bench/plain", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("bytes"))
		if err != nil || n < 2 || n > maxPlainBytes {
			http.Error(w, "bytes must be 2 to 1048576", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_, _ = w.Write(plainBody(n))
	})
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	a.Log.Warn("bench routes are on (/bench/plain, /debug/pprof/): " + BenchRoutesEnv + " is for benchmarks only")
}

// plainBody is a JSON string of n bytes.
func plainBody(n int) []byte {
	b := bytes.Repeat([]byte("x"), n)
	b[0], b[n-1] = '"', '"'
	return b
}
