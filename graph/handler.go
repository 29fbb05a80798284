package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"onramp/ent"
	"onramp/graph/generated"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/viewer"
)

// Limits of one GraphQL request.
type Limits struct {
	Complexity int
	Depth      int
	Tokens     int
	// FilterDepth bounds how deep `not`, `and` and `or` nest in a where
	// argument.
	FilterDepth int
}

// HandlerConfig configures the GraphQL endpoint.
type HandlerConfig struct {
	Resolver *Resolver
	Auth     *auth.Authority
	Log      *slog.Logger
	Limits   Limits
	// Dev turns on introspection and "did you mean" suggestions.
	Dev bool
	// Introspection may be turned on outside dev mode.
	Introspection bool
	// OriginPatterns are the hosts (of the public URL) allowed to open
	// websockets from a browser.
	OriginPatterns []string
	// Shutdown is cancelled when the server stops: open websockets are
	// then closed with a close frame.
	Shutdown context.Context
	// OnSocket counts open websockets (+1 on accept, -1 on close).
	OnSocket func(delta int)
	// MaxSubscriptionsPerSocket bounds the subscriptions one websocket
	// runs at once; MaxSocketsPerToken the websockets one token holds
	// open. Zero is no limit.
	MaxSubscriptionsPerSocket int
	MaxSocketsPerToken        int
}

// NewHandler returns the GraphQL handler: POST, GET (queries only) and
// websocket (graphql-transport-ws) transports, a parsed-query cache, and the
// complexity, depth and token limits.
func NewHandler(cfg HandlerConfig) *handler.Server {
	if cfg.Resolver.Throttles == nil {
		cfg.Resolver.Throttles = NewThrottles(time.Now, runtime.NumCPU(), 2*time.Second)
	}
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  cfg.Resolver,
		Directives: generated.DirectiveRoot{Disclosed: cfg.Resolver.disclosed},
		Complexity: complexity(),
	}))
	sockets := &socketCounts{max: cfg.MaxSocketsPerToken, open: map[string]int{}}
	srv.AddTransport(socketTransport{transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: cfg.OriginPatterns},
		},
		InitFunc: socketInit(cfg, sockets),
		CloseFunc: func(ctx context.Context, _ int) {
			if s, ok := ctx.Value(socketKey{}).(*socketState); ok {
				s.unwatch()
				s.cancel()
				sockets.release(s.tokenID)
				count(cfg.OnSocket, -1)
			}
		},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
		PingPongInterval:      20 * time.Second,
	}})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{Transport: transport.GET{}, tokens: cfg.Limits.Tokens})
	srv.AddTransport(httpTransport{Transport: transport.POST{}})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(cfg.Limits.Tokens)
	srv.SetDisableSuggestion(!cfg.Dev)
	introspection := cfg.Dev || cfg.Introspection
	if introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(cfg.Limits.Complexity))
	srv.Use(DepthLimit{Max: cfg.Limits.Depth, Introspection: introspection})
	srv.Use(NoIntrospection{})
	srv.Use(&StrictNumbers{})
	srv.Use(FilterDepth{Max: cfg.Limits.FilterDepth})
	srv.Use(OneSignIn{})
	srv.AroundFields(refuseControlCharacters)
	srv.AroundFields(cfg.Resolver.Throttles.throttleFields)
	srv.AroundOperations(refuseRevokedOperations(cfg.Auth))
	srv.AroundResponses(refuseRevokedResponses(cfg.Auth))
	srv.AroundOperations(limitSubscriptions(cfg.MaxSubscriptionsPerSocket))
	srv.AroundOperations(rememberDisclosures)
	srv.SetErrorPresenter(ErrorPresenter(cfg.Log, cfg.Dev))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		cfg.Log.ErrorContext(ctx, "resolver panicked", "panic", fmt.Sprint(p), "path", graphql.GetPath(ctx).String(),
			"stack", string(debug.Stack()))
		// Already the generic INTERNAL error: a panic outside a field (a
		// subscription's stream over a websocket) is sent as it is, without
		// the error presenter; inside a field the presenter adds the path.
		e := gqlerror.Errorf("%s", internalMessage)
		e.Err = errPanicked
		e.Extensions = map[string]any{"code": CodeInternal}
		return e
	})
	return srv
}

// errPanicked is what a recovered panic is logged as, once its value and
// stack are logged.
var errPanicked = errors.New("a resolver panicked")

// socketTransport is gqlgen's websocket transport, plus one guarantee: a
// socket never stays open without a successful connection_init. gqlgen
// returns without closing when the connection_init payload is not a JSON
// object; such a socket is closed here with 4403, as a missing token is.
type socketTransport struct{ transport.Websocket }

// Do implements graphql.Transport.
func (t socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	accepted := &acceptRecorder{inner: t.Implementation}
	t.Implementation = accepted
	// InitFunc finds the connection here, to close it with 4403 when its
	// credential is revoked.
	r = r.WithContext(context.WithValue(r.Context(), acceptedKey{}, accepted))
	initCalled := false
	init := t.InitFunc
	t.InitFunc = func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		initCalled = true
		return init(ctx, p)
	}
	t.Websocket.Do(w, r, exec)
	if !initCalled && accepted.conn != nil {
		// gqlgen has closed every other socket that fails before
		// InitFunc; for those these calls do nothing.
		_ = accepted.conn.WriteClose(4403, "connection_init payload must be an object")
		_ = accepted.conn.Close()
	}
}

type acceptedKey struct{}

// acceptRecorder keeps the connection a websocket transport accepted.
type acceptRecorder struct {
	inner transport.WebsocketImplementation
	conn  transport.WebsocketConn
}

func (a *acceptRecorder) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := a.inner.Accept(w, r, o)
	a.conn = c
	return c, err
}

// complexity prices the paginated lists. gqlgen's default prices a field at
// one plus its selection, whatever the page size, so a page of a hundred
// orders each with a hundred audit events, each with its order's hundred
// audit events (a million rows, well within the depth limit), would cost a
// few dozen. Here a page costs its selection once per ten rows it may
// return (first or last, else the default page, at most the largest page):
// flat pages stay cheap, pages nested in pages multiply. A filter adds one
// per predicate and per listed value.
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	c.Query.Orders = func(child int, _ *entgql.Cursor[gid.ID], first *int, _ *entgql.Cursor[gid.ID], last *int,
		_ *ent.OrderOrder, where *ent.OrderWhereInput) int {
		return pageCost(child, first, last) + filterCost(where)
	}
	c.Query.Escalations = func(child int, _ *entgql.Cursor[gid.ID], first *int, _ *entgql.Cursor[gid.ID], last *int,
		_ *ent.EscalationOrder, where *ent.EscalationWhereInput) int {
		return pageCost(child, first, last) + filterCost(where)
	}
	// nodes resolves each id on its own: its selection costs once per id.
	c.Query.Nodes = func(child int, ids []gid.ID) int {
		return 1 + child*max(len(ids), 1)
	}
	c.Order.AuditEvents = func(child int, _ *entgql.Cursor[gid.ID], first *int, _ *entgql.Cursor[gid.ID], last *int,
		_ *ent.AuditEventOrder) int {
		return pageCost(child, first, last)
	}
	return c
}

// rowsPerCost is how many rows of a page cost its selection once.
const rowsPerCost = 10

func pageCost(child int, first, last *int) int {
	n := defaultPage
	switch {
	case first != nil:
		n = *first
	case last != nil:
		n = *last
	}
	n = min(max(n, 1), maxPage)
	return 1 + child*((n+rowsPerCost-1)/rowsPerCost)
}

// Close codes of websockets refused for a limit.
const (
	closeTooManySockets = 4429
	codeTooManySubs     = "TOO_MANY_SUBSCRIPTIONS"
)

// socketCounts counts the open websockets of each token.
type socketCounts struct {
	max  int
	mu   sync.Mutex
	open map[string]int
}

// take counts one more socket of tokenID, unless it already has max.
func (c *socketCounts) take(tokenID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.open[tokenID] >= c.max {
		return false
	}
	c.open[tokenID]++
	return true
}

func (c *socketCounts) release(tokenID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[tokenID]--; c.open[tokenID] <= 0 {
		delete(c.open, tokenID)
	}
}

// socketState is what a connection that passed connection_init carries:
// closing it calls cancel; subs counts its running subscriptions.
type socketState struct {
	cancel  context.CancelFunc
	tokenID string
	subs    atomic.Int64
	// revoked closes the socket with 4403 (its credential was revoked);
	// unwatch stops listening for that.
	revoked, unwatch func()
}

// closeRevoked is the close frame of a socket whose credential was revoked:
// graphql-transport-ws's forbidden, which clients do not retry.
const closeRevoked = 4403

// refuseRevokedOperations answers nothing to an operation started on a
// socket whose credential was revoked (a lookup: the revocations every
// replica hears, see auth.Authority.Revoked), and closes the socket.
func refuseRevokedOperations(a *auth.Authority) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if s, ok := ctx.Value(socketKey{}).(*socketState); ok && a.Revoked(viewer.FromContext(ctx)) {
			s.revoked()
			return func(context.Context) *graphql.Response { return nil }
		}
		return next(ctx)
	}
}

// refuseRevokedResponses checks a socket's credential before it computes
// each message and again before it sends it: a revoked one ends the stream
// and closes the socket, so nothing is sent after a revocation is heard.
func refuseRevokedResponses(a *auth.Authority) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		s, ok := ctx.Value(socketKey{}).(*socketState)
		if !ok {
			return next(ctx)
		}
		v := viewer.FromContext(ctx)
		if a.Revoked(v) {
			s.revoked()
			return nil
		}
		resp := next(ctx)
		if resp != nil && a.Revoked(v) {
			s.revoked()
			return nil
		}
		return resp
	}
}

type socketKey struct{}

// limitSubscriptions refuses a websocket's subscription past max running
// at once on that socket (each holds a goroutine, buffers and a share of
// every change of its order), with a TOO_MANY_SUBSCRIPTIONS error for that
// subscription; the socket and its other subscriptions go on.
func limitSubscriptions(max int) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		s, ok := ctx.Value(socketKey{}).(*socketState)
		oc := graphql.GetOperationContext(ctx)
		if !ok || max <= 0 || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
			return next(ctx)
		}
		if s.subs.Add(1) > int64(max) {
			s.subs.Add(-1)
			e := gqlerror.Errorf("This connection already runs %d subscriptions, the most one connection may; complete one first or open another connection.", max)
			e.Extensions = map[string]any{"code": codeTooManySubs}
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{e}})
		}
		// The operation's context ends with the subscription (complete,
		// its stream's end, the socket's close).
		context.AfterFunc(ctx, func() { s.subs.Add(-1) })
		return next(ctx)
	}
}

// socketInit authenticates a websocket's connection_init with the same
// verification as HTTP. A missing or bad token closes the socket with 4403;
// a token that already holds the most sockets allowed, with 4429.
func socketInit(cfg HandlerConfig, sockets *socketCounts) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		ctx = cfg.Auth.Authenticate(ctx, auth.TokenFromInitPayload(p))
		if _, err := auth.Require(ctx); err != nil {
			return transport.WithWebsocketCloseCode(ctx, 4403), nil, err
		}
		v := viewer.FromContext(ctx)
		if !sockets.take(v.TokenID) {
			return transport.WithWebsocketCloseCode(ctx, closeTooManySockets), nil,
				fmt.Errorf("this token already holds %d open connections, the most one token may", sockets.max)
		}
		// The socket closes when its token expires, when the server shuts
		// down, and with 4403 as soon as its credential is revoked (a key,
		// a session, a link), on whichever replica that happens.
		ctx, cancel := context.WithDeadline(ctx, v.ExpiresAt)
		if cfg.Shutdown != nil {
			context.AfterFunc(cfg.Shutdown, cancel)
		}
		accepted, _ := ctx.Value(acceptedKey{}).(*acceptRecorder)
		s := &socketState{cancel: cancel, tokenID: v.TokenID}
		s.revoked = func() {
			if accepted != nil && accepted.conn != nil {
				// Written before the cancel: gqlgen's own close (1000)
				// then finds the close handshake started.
				_ = accepted.conn.WriteClose(closeRevoked, "the token was revoked")
			}
			cancel()
		}
		// Registered after the verification, and called at once when the
		// revocation was heard in between.
		s.unwatch = cfg.Auth.WatchRevocation(v, s.revoked)
		count(cfg.OnSocket, +1)
		return context.WithValue(ctx, socketKey{}, s), nil, nil
	}
}

func count(f func(int), d int) {
	if f != nil {
		f(d)
	}
}

// Limit errors are request errors, as parse and validation errors are:
// nothing ran. With application/graphql-response+json they answer 400.
func init() {
	errcode.RegisterErrorType(codeDepthLimit, errcode.KindProtocol)
	errcode.RegisterErrorType(codeComplexityLimit, errcode.KindProtocol)
	errcode.RegisterErrorType(codeTooManySignIns, errcode.KindProtocol)
	errcode.RegisterErrorType(codeFilterTooDeep, errcode.KindProtocol)
	errcode.RegisterErrorType(codeIntrospectionDisabled, errcode.KindProtocol)
}

// codeComplexityLimit is gqlgen's code for its complexity limit.
const codeComplexityLimit = "COMPLEXITY_LIMIT_EXCEEDED"

// httpTransport is gqlgen's GET or POST transport with its answers to
// request errors (nothing was executed) brought in line with the
// GraphQL-over-HTTP spec: with application/json such an answer is 200, not
// 422; with application/graphql-response+json it has no "data" entry; a
// mutation over GET is 405 with "Allow: POST"; and a body over the size
// limit (sent without a length) is 413, as one announced too large is.
type httpTransport struct {
	graphql.Transport
	// tokens is the parser's token limit.
	tokens int
}

// Do implements graphql.Transport.
func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.Method == http.MethodGet && !queryOnly(r, t.tokens) {
		// Before validation: a GET never runs a mutation, valid or not.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Allow", "POST")
		w.WriteHeader(http.StatusMethodNotAllowed)
		_, _ = w.Write([]byte(getOnlyQueries))
		return
	}
	if r.Method == http.MethodGet && !validQuery(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(notUTF8))
		return
	}
	cw := &conformingWriter{ResponseWriter: w, ctx: r.Context()}
	if r.Body != nil {
		body := &limitedBody{ReadCloser: r.Body}
		cw.body = body
		r.Body = body
	}
	t.Transport.Do(cw, r, exec)
	cw.flush()
}

const getOnlyQueries = `{"errors":[{"message":"GET requests only allow query operations; send mutations and subscriptions with POST","extensions":{"code":"METHOD_NOT_ALLOWED"}}]}`

// queryOnly reports whether a GET request's operation is not a mutation or
// a subscription (an operation that does not parse, or names no single
// operation, is left to gqlgen to refuse).
func queryOnly(r *http.Request, tokens int) bool {
	q := r.URL.Query()
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q.Get("query")}, tokens)
	if err != nil {
		return true
	}
	op := doc.Operations.ForName(q.Get("operationName"))
	return op == nil || op.Operation == ast.Query
}

// limitedBody notices a request body cut off by http.MaxBytesReader or by
// its read deadline.
// It also refuses a body that is not UTF-8 (see utf8Stream).
type limitedBody struct {
	io.ReadCloser
	tooLarge, late, notUTF8 bool
	text                    utf8Stream
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.notUTF8 {
		return 0, errInvalidUTF8
	}
	n, err := b.ReadCloser.Read(p)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		b.tooLarge = true
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		b.late = true
	}
	if !b.text.check(p[:n], err == io.EOF) {
		b.notUTF8 = true
		return 0, errInvalidUTF8
	}
	return n, err
}

// bodyLate is the answer to a request body that did not arrive in time.
const bodyLate = `{"errors":[{"message":"request body not received in time","extensions":{"code":"BODY_TIMEOUT"}}]}`

// requestTimedOut is the answer to a request stopped at its deadline
// before it ran.
const requestTimedOut = `{"errors":[{"message":"The request took too long and was stopped. Ask for less: a narrower filter or fewer rows.","extensions":{"code":"REQUEST_TIMEOUT"}}]}`

// bodyTooLarge is the answer to a request body over the limit.
const bodyTooLarge = `{"errors":[{"message":"request body too large","extensions":{"code":"BODY_TOO_LARGE"}}]}`

type conformingWriter struct {
	http.ResponseWriter
	ctx  context.Context
	body *limitedBody
	// pending is the status gqlgen asked for; it is written with the body,
	// once the body tells what kind of answer this is.
	pending     int
	wroteHeader bool
}

func (w *conformingWriter) mediaType() string {
	mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
	return mt
}

func (w *conformingWriter) WriteHeader(code int) {
	if w.pending == 0 {
		w.pending = code
	}
}

// flush writes the pending status (200 when none was asked for).
func (w *conformingWriter) flush() {
	if w.wroteHeader {
		return
	}
	if w.pending == 0 {
		w.pending = http.StatusOK
	}
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(w.pending)
}

func (w *conformingWriter) Write(b []byte) (int, error) {
	if w.wroteHeader {
		return w.ResponseWriter.Write(b)
	}
	if w.body != nil && w.body.late {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Connection", "close")
		w.pending = http.StatusRequestTimeout
		w.flush()
		_, err := w.ResponseWriter.Write([]byte(bodyLate))
		return len(b), err
	}
	if w.body != nil && w.body.notUTF8 {
		w.Header().Set("Content-Type", "application/json")
		w.pending = http.StatusBadRequest
		w.flush()
		_, err := w.ResponseWriter.Write([]byte(notUTF8))
		return len(b), err
	}
	if w.body != nil && w.body.tooLarge {
		w.Header().Set("Content-Type", "application/json")
		w.pending = http.StatusRequestEntityTooLarge
		w.flush()
		_, err := w.ResponseWriter.Write([]byte(bodyTooLarge))
		return len(b), err
	}
	if string(b) == "null" && errors.Is(w.ctx.Err(), context.DeadlineExceeded) {
		// gqlgen answers null when the request's deadline passed before
		// execution began (a slow body, a long wait for the database).
		w.Header().Set("Content-Type", "application/json")
		w.flush()
		_, err := w.ResponseWriter.Write([]byte(requestTimedOut))
		return len(b), err
	}
	var answer struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Data json.RawMessage `json:"data"`
	}
	requestError := w.pending >= 400 && json.Unmarshal(b, &answer) == nil && len(answer.Errors) > 0
	switch {
	case w.pending == http.StatusNotAcceptable: // gqlgen's answer to a mutation over GET
		w.Header().Set("Allow", "POST")
		w.pending = http.StatusMethodNotAllowed
	case requestError && answer.Errors[0].Message == "no operation provided":
		// No query at all: not a well-formed GraphQL-over-HTTP request.
		w.pending = http.StatusBadRequest
	case w.pending == http.StatusUnprocessableEntity && w.mediaType() == "application/json":
		w.pending = http.StatusOK
	}
	if requestError && w.mediaType() == "application/graphql-response+json" && string(answer.Data) == "null" {
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil {
			delete(m, "data")
			if out, err := json.Marshal(m); err == nil {
				w.flush()
				_, err = w.ResponseWriter.Write(out)
				return len(b), err
			}
		}
	}
	w.flush()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *conformingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
