package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"onramp/ent"
	"onramp/ent/idempotencykey"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// CodeIdempotencyKeyReused answers a key used before for another order.
const CodeIdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED"

// errReplayed ends a call whose idempotency key was used before: it
// answers the first result and does nothing again.
var errReplayed = errors.New("orders: replayed under its idempotency key")

// KeyMax is the most characters an idempotency key may have.
const KeyMax = 200

// KeyRetention is how long an idempotency key is remembered: a retry
// within it answers the first result; after it, the key is free again.
const KeyRetention = 30 * 24 * time.Hour

// PruneKeys forgets the idempotency keys older than KeyRetention (keys
// recorded before digests existed among them) and answers how many.
func (s *Service) PruneKeys(ctx context.Context) (int, error) {
	return s.Store.Client.IdempotencyKey.Delete().
		Where(idempotencykey.CreatedAtLT(s.Now().Add(-KeyRetention))).
		Exec(store.System(ctx))
}

// keyScope is whose keys the caller's are: its partner account's, or the
// operator's own.
func keyScope(ctx context.Context) string {
	v := viewer.FromContext(ctx)
	if v.Is(viewer.Operator) {
		return "operator:" + v.Subject
	}
	return "account:" + v.PartnerAccountID
}

// digest is the SHA-256 of a call's arguments, in order.
func digest(args ...string) string {
	h := sha256.New()
	for _, a := range args {
		// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
		fmt.Fprintf(h, "%d:%s;", len(a), a)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent makes cmd answer once per key: the key is looked up under the
// order's lock, before the table is consulted (a retried cancel of a now
// cancelled order answers the first result, not ORDER_CANCELLED), and
// recorded in the command's transaction with the digest of args, the
// call's other arguments: the same key with other arguments is refused. A
// key recorded before digests existed replays whatever the arguments. nil
// key: cmd as it is.
func idempotent(ctx context.Context, key *string, now func() time.Time, cmd lifecycle.Command, args ...string) (lifecycle.Command, error) {
	if key == nil {
		return cmd, nil
	}
	k := strings.TrimSpace(*key)
	if k == "" || utf8.RuneCountInString(k) > KeyMax {
		return cmd, validate.Fail(validate.CodeInvalid, "idempotencyKey", "An idempotency key is 1 to %d characters.", KeyMax)
	}
	scope := keyScope(ctx)
	op := string(cmd.Action)
	sum := digest(args...)
	authorize, run := cmd.Authorize, cmd.Run
	cmd.Authorize = func(ctx context.Context, o *ent.Order) error {
		prior, err := ent.FromContext(ctx).IdempotencyKey.Query().
			Where(idempotencykey.Scope(scope), idempotencykey.Operation(op), idempotencykey.Key(k)).
			Only(store.System(ctx))
		switch {
		case ent.IsNotFound(err):
		case err != nil:
			return err
		case prior.OrderID != o.ID:
			return validate.Fail(CodeIdempotencyKeyReused, "idempotencyKey", "This idempotency key was used for another order.")
		case prior.Digest != nil && *prior.Digest != sum:
			return validate.Fail(CodeIdempotencyKeyReused, "idempotencyKey",
				"This idempotency key was used with other arguments: use a new key for a new request.")
		default:
			noteReplay(ctx)
			return errReplayed
		}
		if authorize != nil {
			return authorize(ctx, o)
		}
		return nil
	}
	cmd.Run = func(ctx context.Context, c *lifecycle.Change) error {
		if err := ent.FromContext(ctx).IdempotencyKey.Create().
			SetScope(scope).SetOperation(op).SetKey(k).SetOrderID(c.Order.ID).SetDigest(sum).SetCreatedAt(now()).
			Exec(store.System(ctx)); err != nil {
			return err
		}
		return run(ctx, c)
	}
	return cmd, nil
}

// KeyUsed reports whether the caller has used key for action before (with
// whatever arguments, for whichever order): such a call is a replay or a
// refusal, and sends nothing, so throttles let it through uncounted.
func (s *Service) KeyUsed(ctx context.Context, action lifecycle.Action, key *string) (bool, error) {
	if key == nil || viewer.FromContext(ctx) == nil {
		return false, nil
	}
	return s.Store.Client.IdempotencyKey.Query().
		Where(idempotencykey.Scope(keyScope(ctx)), idempotencykey.Operation(string(action)),
			idempotencykey.Key(strings.TrimSpace(*key))).
		Exist(store.System(ctx))
}

// replayNoteKey carries the flag NoteReplays returns.
type replayNoteKey struct{}

// NoteReplays returns a context in which a call that answers a replay
// sets the returned flag (a throttle gives back its attempt then).
func NoteReplays(ctx context.Context) (context.Context, *atomic.Bool) {
	var replayed atomic.Bool
	return context.WithValue(ctx, replayNoteKey{}, &replayed), &replayed
}

func noteReplay(ctx context.Context) {
	if f, ok := ctx.Value(replayNoteKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}

// applyOnce applies cmd under an idempotency key (or none): a replay
// answers the order as it stands.
func (s *Service) applyOnce(ctx context.Context, id gid.ID, key *string, cmd lifecycle.Command, args ...string) (*ent.Order, error) {
	cmd, err := idempotent(ctx, key, s.Now, cmd, args...)
	if err != nil {
		return nil, err
	}
	o, err := s.Life.Apply(ctx, id, cmd)
	if errors.Is(err, errReplayed) {
		return s.Store.Client.Order.Get(ctx, id)
	}
	return o, err
}
