package orders

import (
	"context"
	"errors"
	"strings"

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

// idempotent makes cmd answer once per key: the key is looked up under the
// order's lock, before the table is consulted (a retried cancel of a now
// cancelled order answers the first result, not ORDER_CANCELLED), and
// recorded in the command's transaction. nil key: cmd as it is.
func idempotent(ctx context.Context, key *string, cmd lifecycle.Command) (lifecycle.Command, error) {
	if key == nil {
		return cmd, nil
	}
	k := strings.TrimSpace(*key)
	if k == "" || len(k) > 200 {
		return cmd, validate.Fail(validate.CodeInvalid, "idempotencyKey", "An idempotency key is 1 to 200 characters.")
	}
	v := viewer.FromContext(ctx)
	scope := "account:" + v.PartnerAccountID
	if v.Is(viewer.Operator) {
		scope = "operator:" + v.Subject
	}
	op := string(cmd.Action)
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
		default:
			return errReplayed
		}
		if authorize != nil {
			return authorize(ctx, o)
		}
		return nil
	}
	cmd.Run = func(ctx context.Context, c *lifecycle.Change) error {
		if err := ent.FromContext(ctx).IdempotencyKey.Create().
			SetScope(scope).SetOperation(op).SetKey(k).SetOrderID(c.Order.ID).SetCreatedAt(c.Order.UpdatedAt).
			Exec(store.System(ctx)); err != nil {
			return err
		}
		return run(ctx, c)
	}
	return cmd, nil
}

// applyOnce applies cmd under an idempotency key (or none): a replay
// answers the order as it stands.
func (s *Service) applyOnce(ctx context.Context, id gid.ID, key *string, cmd lifecycle.Command) (*ent.Order, error) {
	cmd, err := idempotent(ctx, key, cmd)
	if err != nil {
		return nil, err
	}
	o, err := s.Life.Apply(ctx, id, cmd)
	if errors.Is(err, errReplayed) {
		return s.Store.Client.Order.Get(ctx, id)
	}
	return o, err
}
