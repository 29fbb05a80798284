package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"onramp/graph/generated"
	"onramp/internal/auth"
	"onramp/internal/viewer"
)

// Limits of one GraphQL request.
type Limits struct {
	Complexity int
	Depth      int
	Tokens     int
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
}

// NewHandler returns the GraphQL handler: POST, GET (queries only) and
// websocket (graphql-transport-ws) transports, a parsed-query cache, and the
// complexity, depth and token limits.
func NewHandler(cfg HandlerConfig) *handler.Server {
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: cfg.Resolver}))
	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: cfg.OriginPatterns},
		},
		InitFunc: socketInit(cfg),
		CloseFunc: func(ctx context.Context, _ int) {
			if cancel, ok := ctx.Value(socketCancel{}).(context.CancelFunc); ok {
				cancel()
				count(cfg.OnSocket, -1)
			}
		},
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
		PingPongInterval:      20 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(cfg.Limits.Tokens)
	srv.SetDisableSuggestion(!cfg.Dev)
	if cfg.Dev || cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(cfg.Limits.Complexity))
	srv.Use(DepthLimit{Max: cfg.Limits.Depth})
	srv.SetErrorPresenter(ErrorPresenter(cfg.Log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		cfg.Log.ErrorContext(ctx, "resolver panicked", "panic", fmt.Sprint(p), "path", graphql.GetPath(ctx).String())
		return errors.New("internal error")
	})
	return srv
}

// socketInit authenticates a websocket's connection_init with the same
// verification as HTTP. A missing or bad token closes the socket with 4403.
func socketInit(cfg HandlerConfig) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		ctx = cfg.Auth.Authenticate(ctx, auth.TokenFromInitPayload(p))
		if _, err := auth.Require(ctx); err != nil {
			return transport.WithWebsocketCloseCode(ctx, 4403), nil, err
		}
		v := viewer.FromContext(ctx)
		// The socket closes when its token expires, when the server shuts
		// down, and (setup links) as soon as the link stops working.
		ctx, cancel := context.WithDeadline(ctx, v.ExpiresAt)
		if cfg.Shutdown != nil {
			context.AfterFunc(cfg.Shutdown, cancel)
		}
		if v.Is(viewer.SetupLink) {
			go closeWhenRevoked(ctx, cancel, cfg, v)
		}
		count(cfg.OnSocket, +1)
		return context.WithValue(ctx, socketCancel{}, cancel), nil, nil
	}
}

// closeWhenRevoked cancels a setup link's socket once the link stops
// working: every change of the order (a hand-off, a resend, a cancellation)
// makes it look again.
func closeWhenRevoked(ctx context.Context, cancel context.CancelFunc, cfg HandlerConfig, v *viewer.Viewer) {
	sub, stop := cfg.Resolver.Events.Subscribe(v.OrderID)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.C:
			if cfg.Auth.LinkActive(ctx, v) != nil {
				cancel()
				return
			}
		}
	}
}

// socketCancel holds the cancel function of a connection that passed
// connection_init; closing the connection calls it.
type socketCancel struct{}

func count(f func(int), d int) {
	if f != nil {
		f(d)
	}
}
