package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"onramp/ent"
	"onramp/internal/viewer"
)

type errKey struct{}

// Middleware verifies the request's bearer token once and puts the viewer
// (or, for a bad token, the reason) into the request context. It refuses
// nothing itself: calls that need no token (signIn) still work, and the
// resolvers decide with Require.
func (a *Authority) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := bearer(r.Header.Get("Authorization"))
		if raw == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, link := a.authenticate(r.Context(), raw)
		if link != nil {
			ctx = context.WithValue(ctx, requestLinkKey{}, link)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type requestLinkKey struct{}

// RequestLink is the setup link's row as the HTTP request's authentication
// read it (nil for other tokens and on websockets, whose connection outlives
// any one read): a read-only call may answer from it instead of reading the
// link again. Calls that change the wizard read the link again under the
// order's lock.
func RequestLink(ctx context.Context) *ent.SetupLink {
	link, _ := ctx.Value(requestLinkKey{}).(*ent.SetupLink)
	return link
}

// Authenticate verifies raw and returns ctx with its viewer, or with the
// reason it was refused. HTTP requests and websocket connection_init share it.
func (a *Authority) Authenticate(ctx context.Context, raw string) context.Context {
	ctx, _ = a.authenticate(ctx, raw)
	return ctx
}

func (a *Authority) authenticate(ctx context.Context, raw string) (context.Context, *ent.SetupLink) {
	v, link, err := a.verify(ctx, raw)
	if err != nil {
		return context.WithValue(ctx, errKey{}, err), nil
	}
	return viewer.NewContext(ctx, v), link
}

// bearer returns the token of an "Authorization: Bearer …" header value.
func bearer(h string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(h) // a bad header still counts as a (bad) token
	}
	return strings.TrimSpace(token)
}

// Require returns the caller when it is of one of the allowed kinds (any
// kind when none is given). Otherwise it returns why not: UNAUTHENTICATED
// with a reason when no valid token came, FORBIDDEN when this kind of token
// may never make the call.
func Require(ctx context.Context, allowed ...viewer.Kind) (*viewer.Viewer, error) {
	v := viewer.FromContext(ctx)
	if v == nil {
		if err, ok := ctx.Value(errKey{}).(error); ok {
			return nil, err
		}
		return nil, errMissing
	}
	if len(allowed) > 0 && !slices.Contains(allowed, v.Kind) {
		kind := strings.ToLower(strings.ReplaceAll(string(v.Kind), "_", " "))
		article := "A"
		if strings.ContainsAny(kind[:1], "aeiou") {
			article = "An"
		}
		return nil, Forbidden("%s %s token may not make this call.", article, kind)
	}
	return v, nil
}

// TokenFromInitPayload reads the token of a websocket connection_init
// payload: {"Authorization": "Bearer …"} or {"token": "…"}.
func TokenFromInitPayload(p map[string]any) string {
	for _, k := range []string{"Authorization", "authorization", "token"} {
		if s, ok := p[k].(string); ok && s != "" {
			return bearer(s)
		}
	}
	return ""
}
