// Command twin is the bench's static twin of `onramp serve`: a gqlgen
// server of the same gqlgen version and settings (query cache, parser token
// and complexity limits, no suggestions) whose resolvers return data held in
// memory, read at start from a JSON file the bench writes from the real
// server's answers. It answers the bench's `setup` and `orders` documents
// byte for byte as the real server does, so the ratio of the two is what
// the database, authorization and the real resolvers cost over gqlgen.
//
// It also serves a raw websocket broadcast: /ws accepts coder/websocket
// connections and POST /broadcast writes its body to every one of them,
// the floor under the real server's fan-out.
//
//	go run ./bench/twin -addr 127.0.0.1:8081 -data answers.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"onramp/bench/twin/generated"
	"onramp/bench/twin/model"
)

// The real server's limits (internal/app).
const (
	complexityLimit = 500
	tokenLimit      = 5000
)

// Answers is what the twin serves: the data of the real server's answers
// to the bench's widest `setup` and `orders` selections.
type Answers struct {
	Setup  *model.SetupSession    `json:"setup"`
	Orders *model.OrderConnection `json:"orders"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	data := flag.String("data", "", "JSON file with the answers to serve (written by the bench)")
	flag.Parse()
	b, err := os.ReadFile(*data)
	if err != nil {
		log.Fatal(err)
	}
	var a Answers
	if err := json.Unmarshal(b, &a); err != nil {
		log.Fatalf("%s: %v", *data, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", newHandler(&resolver{answers: a}))
	hub := &hub{conns: map[*socket]struct{}{}}
	mux.HandleFunc("/ws", hub.accept)
	mux.HandleFunc("POST /broadcast", hub.broadcast)
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newHandler is graph.NewHandler's gqlgen set-up without what needs the
// real schema (its own extensions, throttles and websocket rules).
func newHandler(r *resolver) *handler.Server {
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: r}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(tokenLimit)
	srv.SetDisableSuggestion(true)
	srv.Use(extension.FixedComplexityLimit(complexityLimit))
	return srv
}

// hub holds the raw websockets.
type hub struct {
	mu    sync.Mutex
	conns map[*socket]struct{}
}

// socket is one raw websocket with its writer: a goroutine per connection,
// as gqlgen's transport has, fed through a channel.
type socket struct {
	conn *websocket.Conn
	out  chan []byte
}

func (h *hub) accept(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	s := &socket{conn: c, out: make(chan []byte, 1)}
	ctx := c.CloseRead(context.Background()) // answers control frames
	h.mu.Lock()
	h.conns[s] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.conns, s)
		h.mu.Unlock()
		c.CloseNow()
	}()
	for {
		select {
		case msg := <-s.out:
			if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// broadcast writes the request's body to every socket and answers how many.
func (h *hub) broadcast(w http.ResponseWriter, r *http.Request) {
	msg, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	n := 0
	for s := range h.conns {
		select {
		case s.out <- msg:
			n++
		default: // the previous message is still queued
		}
	}
	h.mu.Unlock()
	fmt.Fprintln(w, n)
}
