package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// Client is the one GraphQL client of the API tests, the fault tests and
// the bench: operations POSTed over HTTP, subscriptions over
// graphql-transport-ws, as a browser or a partner's integration sends them.
type Client struct {
	// URL is the server's base URL (http://host:port); GraphQL is at
	// URL/graphql.
	URL string
	// HTTP sends the requests (default: a client with a one-minute
	// timeout).
	HTTP *http.Client
	// Header is added to every request (an X-Forwarded-For a load
	// balancer would add, say).
	Header http.Header
}

// Error is one entry of a GraphQL response's "errors".
type Error struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	} `json:"extensions"`
}

// Response is a GraphQL answer and its HTTP status.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// HasData reports whether data is present and not null.
func (r Response) HasData() bool { return len(r.Data) > 0 && string(r.Data) != "null" }

var defaultHTTP = &http.Client{Timeout: time.Minute}

// Post sends one operation; token "" sends no Authorization header. The
// error is a transport failure: no answer, or one that is not GraphQL.
func (c *Client) Post(ctx context.Context, token, query string, vars map[string]any) (Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return Response{}, err
	}
	out, _, err := c.PostBody(ctx, token, body)
	return out, err
}

// PostBody sends a request body prepared beforehand (the bench builds its
// bodies once) and answers the decoded response with its raw bytes.
func (c *Client) PostBody(ctx context.Context, token string, body []byte) (Response, []byte, error) {
	var out Response
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return out, nil, err
	}
	maps.Copy(req.Header, c.Header)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/graphql-response+json, application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	h := c.HTTP
	if h == nil {
		h = defaultHTTP
	}
	res, err := h.Do(req)
	if err != nil {
		return out, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return out, nil, err
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, raw, fmt.Errorf("HTTP %d, not GraphQL: %.300s", res.StatusCode, raw)
	}
	out.Status = res.StatusCode
	return out, raw, nil
}

// WSMessage is one message of the graphql-transport-ws protocol.
type WSMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Event is what a subscription delivers: the payload of a "next" message
// (an execution result), the end of the subscription ("complete"), or the
// error that ended the socket or came as an "error" message.
type Event struct {
	Payload  json.RawMessage
	Complete bool
	Err      error
	// At is when the message arrived (the bench measures delivery).
	At time.Time
}

// Decode unmarshals the event's execution result into v, failing on a
// result that carries errors.
func (e Event) Decode(v any) error {
	if e.Err != nil {
		return e.Err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []Error         `json:"errors"`
	}
	if err := json.Unmarshal(e.Payload, &r); err != nil {
		return err
	}
	if len(r.Errors) > 0 || len(r.Data) == 0 || string(r.Data) == "null" {
		return fmt.Errorf("next: %s", e.Payload)
	}
	return json.Unmarshal(r.Data, v)
}

// Subscribe opens a graphql-transport-ws socket with token, starts one
// subscription and delivers its events, in order, until the socket ends
// (its error is the last event) or ctx is done. Pings are answered.
func (c *Client) Subscribe(ctx context.Context, token, query string, vars map[string]any) (*websocket.Conn, <-chan Event, error) {
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.URL, "http")+"/graphql",
		&websocket.DialOptions{HTTPClient: c.HTTP, Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, nil, err
	}
	conn.SetReadLimit(1 << 20)
	fail := func(err error) (*websocket.Conn, <-chan Event, error) {
		conn.CloseNow()
		return nil, nil, err
	}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + token})
	if err := wsjson.Write(ctx, conn, WSMessage{Type: "connection_init", Payload: init}); err != nil {
		return fail(err)
	}
	var ack WSMessage
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		return fail(fmt.Errorf("want connection_ack, got %+v %w", ack, err))
	}
	sub, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err := wsjson.Write(ctx, conn, WSMessage{ID: "1", Type: "subscribe", Payload: sub}); err != nil {
		return fail(err)
	}
	events := make(chan Event, 64)
	emit := func(e Event) bool {
		select {
		case events <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		defer close(events)
		for {
			var m WSMessage
			err := wsjson.Read(ctx, conn, &m)
			at := time.Now()
			if err != nil {
				emit(Event{Err: err, At: at})
				return
			}
			switch m.Type {
			case "ping":
				_ = wsjson.Write(ctx, conn, WSMessage{Type: "pong"})
			case "next":
				if !emit(Event{Payload: m.Payload, At: at}) {
					return
				}
			case "error":
				if !emit(Event{Err: fmt.Errorf("error: %s", m.Payload), At: at}) {
					return
				}
			case "complete":
				if !emit(Event{Complete: true, At: at}) {
					return
				}
			}
		}
	}()
	return conn, events, nil
}
