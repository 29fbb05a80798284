package graph

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"onramp/internal/accounts"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"onramp/graph/model"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/orders"
	"onramp/internal/throttle"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// CodeTooManyAttempts answers an attempt made while its throttle says wait.
const CodeTooManyAttempts = "TOO_MANY_ATTEMPTS"

// codeTooManySignIns refuses a request that signs in more than once.
const codeTooManySignIns = "TOO_MANY_SIGN_INS"

// Throttles slow down the calls an attacker repeats: guessed passwords
// (per email and per client address), probed subdomains and resent setup
// emails; Hashing bounds the password hashing that runs at once (argon2id
// takes 19 MiB each).
type Throttles struct {
	SignInEmail  *throttle.Limiter
	SignInClient *throttle.Limiter
	Subdomain    *throttle.Limiter
	Resend       *throttle.Limiter
	ResetEmail   *throttle.Limiter
	ResetClient  *throttle.Limiter
	Hashing      *throttle.Pool
}

// NewThrottles returns the throttles with their policies; hashing is how
// many sign-ins may hash a password at once, and wait how long one waits
// for its turn before TOO_MANY_ATTEMPTS.
func NewThrottles(now func() time.Time, hashing int, wait time.Duration) *Throttles {
	return NewSharedThrottles(now, hashing, wait, nil)
}

// NewSharedThrottles is NewThrottles counting in shared (nil: in the
// process): replicas on PostgreSQL count every attempt together. The
// hashing pool stays the process's own (it bounds this process's memory).
func NewSharedThrottles(now func() time.Time, hashing int, wait time.Duration, shared throttle.Shared) *Throttles {
	t := &Throttles{
		// Five wrong passwords for one email, then 1 s, 2 s, 4 s … up to
		// 15 minutes between attempts; an address (many people behind one
		// NAT) gets twenty.
		SignInEmail:  throttle.New(throttle.Policy{Free: 5, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour}, now),
		SignInClient: throttle.New(throttle.Policy{Free: 20, Base: time.Second, Max: 15 * time.Minute, Forget: time.Hour}, now),
		// Thirty checks a minute per caller and per address.
		Subdomain: throttle.New(throttle.Policy{Free: 30, Base: time.Second, Max: time.Minute, Forget: time.Minute}, now),
		// Five emails an hour per order.
		Resend: throttle.New(throttle.Policy{Free: 5, Base: time.Minute, Max: time.Hour, Forget: time.Hour}, now),
		// Password-reset emails: three an hour per email, ten per address.
		ResetEmail:  throttle.New(throttle.Policy{Free: 3, Base: time.Minute, Max: time.Hour, Forget: time.Hour}, now),
		ResetClient: throttle.New(throttle.Policy{Free: 10, Base: time.Minute, Max: time.Hour, Forget: time.Hour}, now),
		Hashing:     throttle.NewPool(hashing, wait),
	}
	if shared != nil {
		for name, l := range map[string]*throttle.Limiter{
			"signin_email": t.SignInEmail, "signin_client": t.SignInClient, "subdomain": t.Subdomain,
			"resend": t.Resend, "reset_email": t.ResetEmail, "reset_client": t.ResetClient,
		} {
			l.Shared(name, shared)
		}
	}
	return t
}

// tooMany is the userError of an attempt that must wait.
func tooMany(wait time.Duration) []*validate.Problem {
	s := int(math.Ceil(wait.Seconds()))
	return []*validate.Problem{{
		Code:    CodeTooManyAttempts,
		Message: fmt.Sprintf("Too many attempts. Try again in %d seconds.", max(s, 1)),
	}}
}

// signIn runs fn under the sign-in throttles: refused while the email or
// the client address must wait, counted when the credentials are wrong,
// and within the bounded hashing pool.
func (t *Throttles) signIn(ctx context.Context, email string, fn func() (string, error)) (string, []*validate.Problem, error) {
	return t.passwordCheck(ctx, strings.ToLower(strings.TrimSpace(email)), fn)
}

// passwordCheck is signIn for any check of a password, counted under
// emailKey (a sign-in's email; "change:" and the user for a password
// change, so that guesses at the sign-in page do not lock a signed-in
// user out of changing the password, nor the reverse).
func (t *Throttles) passwordCheck(ctx context.Context, emailKey string, fn func() (string, error)) (string, []*validate.Problem, error) {
	clientKey := throttle.Client(ctx)
	// Both attempts are counted before the password is hashed, so a burst
	// of parallel guesses has at most the free allowance checked.
	byEmail, byClient, wait := reserveBoth(ctx, t.SignInEmail, emailKey, t.SignInClient, clientKey)
	if wait > 0 {
		return "", tooMany(wait), nil
	}
	release, ok := t.Hashing.Acquire(ctx)
	if !ok {
		byEmail.Cancel()
		byClient.Cancel()
		return "", tooMany(time.Second), nil
	}
	defer release()
	token, err := fn()
	var failure *validate.Failure
	switch {
	case err == nil:
		t.SignInEmail.Reset(ctx, emailKey)
		byClient.Cancel()
	case errors.As(err, &failure) && failure.Problems[0].Code == accounts.CodeInvalidCredentials:
		// A wrong password: both attempts stay counted.
	default:
		byEmail.Cancel()
		byClient.Cancel()
	}
	userErrors, err := payloadErrors(err)
	return token, userErrors, err
}

// reserveBoth reserves an attempt of key a on limiter la and of key b on
// lb; when either must wait, it reserves neither and answers the longer
// wait.
func reserveBoth(ctx context.Context, la *throttle.Limiter, a string, lb *throttle.Limiter, b string) (*throttle.Reservation, *throttle.Reservation, time.Duration) {
	waitA, ra := la.Reserve(ctx, a)
	if waitA > 0 {
		return nil, nil, max(waitA, lb.Wait(ctx, b))
	}
	waitB, rb := lb.Reserve(ctx, b)
	if waitB > 0 {
		ra.Cancel()
		return nil, nil, waitB
	}
	return ra, rb, 0
}

// throttleFields throttles the resolvers of checkSubdomain and
// saveEnterpriseSettings, which both tell whether a site name is taken (per
// caller and per client address, under one allowance). resendSetupLink's throttle is in its resolver,
// which knows its idempotency keys.
func (t *Throttles) throttleFields(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || fc.Field.Field == nil {
		return next(ctx)
	}
	switch fc.Field.Name {
	case "checkSubdomain", "saveEnterpriseSettings": // both tell whether a name is taken
		keys := []string{"client:" + throttle.Client(ctx)}
		if v := viewer.FromContext(ctx); v != nil {
			keys = append(keys, "token:"+v.TokenID)
		}
		var taken []*throttle.Reservation
		for _, k := range keys {
			wait, r := t.Subdomain.Reserve(ctx, k)
			if wait > 0 {
				for _, r := range taken {
					r.Cancel()
				}
				e := gqlerror.ErrorPathf(fc.Path(), "%s", tooMany(wait)[0].Message)
				e.Extensions = map[string]any{"code": CodeTooManyAttempts}
				return nil, e
			}
			taken = append(taken, r) // every check counts
		}
	}
	return next(ctx)
}

// OneSignIn refuses, before execution, a request that selects signIn more
// than once (aliases would otherwise try hundreds of passwords in one
// request).
type OneSignIn struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = OneSignIn{}

// ExtensionName implements graphql.HandlerExtension.
func (OneSignIn) ExtensionName() string { return "OneSignIn" }

// Validate implements graphql.HandlerExtension.
func (OneSignIn) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (OneSignIn) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	if countField(oc.Operation.SelectionSet, "signIn", 0) > 1 {
		e := gqlerror.Errorf("A request may call signIn once.")
		e.Extensions = map[string]any{"code": codeTooManySignIns}
		return e
	}
	return nil
}

// countField counts the root fields called name, through fragments.
func countField(set ast.SelectionSet, name string, depth int) int {
	if depth > 10 {
		return 0 // the depth limit refuses deeper fragment nesting
	}
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == name {
				n++
			}
		case *ast.InlineFragment:
			n += countField(s.SelectionSet, name, depth+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n += countField(s.Definition.SelectionSet, name, depth+1)
			}
		}
	}
	return n
}

// passwordReset runs fn (which queues a reset email) unless the email or
// the client address must wait; every request counts, whether or not the
// account exists, so the throttle tells nothing either.
func (t *Throttles) passwordReset(ctx context.Context, email string, fn func() error) ([]*validate.Problem, error) {
	emailKey := strings.ToLower(strings.TrimSpace(email))
	clientKey := throttle.Client(ctx)
	byEmail, byClient, wait := reserveBoth(ctx, t.ResetEmail, emailKey, t.ResetClient, clientKey)
	if wait > 0 {
		return tooMany(wait), nil
	}
	userErrors, err := payloadErrors(fn())
	if err != nil || len(userErrors) > 0 {
		byEmail.Cancel()
		byClient.Cancel()
	}
	return userErrors, err
}

// hashing runs fn (which hashes a password) within the bounded hashing
// pool only: a password-reset link is its own proof, and a reset must work
// while sign-ins of that email are throttled (it is how the owner gets
// back in).
func (t *Throttles) hashing(ctx context.Context, fn func() (string, error)) (string, []*validate.Problem, error) {
	release, ok := t.Hashing.Acquire(ctx)
	if !ok {
		return "", tooMany(time.Second), nil
	}
	defer release()
	token, err := fn()
	userErrors, err := payloadErrors(err)
	return token, userErrors, err
}

// resendThrottled resends a setup link under the resend throttle: five sent
// emails an hour per order. A key used before is a replay (or a refusal)
// that sends nothing: it is answered, uncounted, whatever the throttle
// says; so is a resend that turns out to be a concurrent replay.
func (r *Resolver) resendThrottled(ctx context.Context, orderID gid.ID, email, idempotencyKey *string) (*model.ResendSetupLinkPayload, error) {
	used, err := r.Orders.KeyUsed(ctx, lifecycle.ResendSetupLink, idempotencyKey)
	if err != nil {
		return nil, err
	}
	var attempt *throttle.Reservation
	if !used {
		wait, res := r.Throttles.Resend.Reserve(ctx, string(orderID))
		if wait > 0 {
			return &model.ResendSetupLinkPayload{UserErrors: tooMany(wait)}, nil
		}
		attempt = res
	}
	ctx, replayed := orders.NoteReplays(ctx)
	o, err := r.Orders.ResendSetupLink(ctx, orderID, email, idempotencyKey)
	userErrors, err := payloadErrors(err)
	if attempt != nil && (err != nil || o == nil || len(userErrors) > 0 || replayed.Load()) {
		attempt.Cancel() // only resends that sent an email count
	}
	if err != nil {
		return nil, err
	}
	return &model.ResendSetupLinkPayload{Order: o, UserErrors: userErrors}, nil
}
