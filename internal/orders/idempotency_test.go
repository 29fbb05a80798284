package orders_test

import (
	"errors"
	"testing"
	"time"

	"onramp/internal/lifecycle"
	"onramp/internal/orders"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// reused reports whether err is the userError IDEMPOTENCY_KEY_REUSED.
func reused(err error) bool {
	var f *validate.Failure
	return errors.As(err, &f) && f.Problems[0].Code == orders.CodeIdempotencyKeyReused
}

func TestIdempotencyDigestBindsArguments(t *testing.T) {
	s := service(t)
	ctx := as(viewer.Integration, "P1")
	o, err := s.Place(ctx, input("IDEM-D-1", "P1"))
	if err != nil {
		t.Fatal(err)
	}
	key := "cancel-once"
	if _, err := s.Cancel(ctx, o.ID, "Customer withdrew.", &key); err != nil {
		t.Fatal(err)
	}
	// Whitespace around the reason is not another argument: it is trimmed.
	if _, err := s.Cancel(ctx, o.ID, "  Customer withdrew. ", &key); err != nil {
		t.Errorf("the same reason, padded: %v", err)
	}
	if _, err := s.Cancel(ctx, o.ID, "Another reason.", &key); !reused(err) {
		t.Errorf("another reason under the key: %v, want %s", err, orders.CodeIdempotencyKeyReused)
	}

	// A resend's email: absent, one address, and its other spelling.
	o2, err := s.Place(ctx, input("IDEM-D-2", "P1"))
	if err != nil {
		t.Fatal(err)
	}
	k2, addr, upper := "resend-once", "ana@p1.example", " Ana@P1.example"
	if _, err := s.ResendSetupLink(ctx, o2.ID, &addr, &k2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResendSetupLink(ctx, o2.ID, &upper, &k2); err != nil {
		t.Errorf("the same address, spelled differently: %v", err)
	}
	if _, err := s.ResendSetupLink(ctx, o2.ID, nil, &k2); !reused(err) {
		t.Errorf("no email under a key given one: %v, want %s", err, orders.CodeIdempotencyKeyReused)
	}
	if used, err := s.KeyUsed(ctx, lifecycle.ResendSetupLink, &k2); err != nil || !used {
		t.Errorf("KeyUsed(%q) = %v, %v", k2, used, err)
	}
	if used, err := s.KeyUsed(as(viewer.Integration, "P2"), lifecycle.ResendSetupLink, &k2); err != nil || used {
		t.Errorf("another account's KeyUsed(%q) = %v, %v: keys are per account", k2, used, err)
	}
}

// A key recorded before digests existed replays the first answer whatever
// the arguments, as it did then, until it ages out.
func TestIdempotencyKeyWithoutDigestReplays(t *testing.T) {
	s := service(t)
	ctx := as(viewer.Integration, "P1")
	o, err := s.Place(ctx, input("IDEM-L-1", "P1"))
	if err != nil {
		t.Fatal(err)
	}
	key := "legacy"
	if _, err := s.Cancel(ctx, o.ID, "First reason.", &key); err != nil {
		t.Fatal(err)
	}
	// As such a row stands: the column is immutable to ent.
	res, err := s.Store.DB.ExecContext(ctx, `UPDATE idempotency_keys SET digest = NULL WHERE key = 'legacy'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("cleared the digest of %d keys", n)
	}
	got, err := s.Cancel(ctx, o.ID, "Another reason.", &key)
	if err != nil || got.ID != o.ID {
		t.Fatalf("a key without a digest under other arguments: %v, %v; want the first answer", got, err)
	}
}

// Keys are remembered for KeyRetention: a retry within it answers the
// first result; after it the key is free, and a call under it acts again.
func TestIdempotencyKeysAgeOut(t *testing.T) {
	s, clk := serviceWithClock(t)
	ctx := as(viewer.Integration, "P1")
	o, err := s.Place(ctx, input("IDEM-A-1", "P1"))
	if err != nil {
		t.Fatal(err)
	}
	key := "resend-aging"
	if _, err := s.ResendSetupLink(ctx, o.ID, nil, &key); err != nil {
		t.Fatal(err)
	}
	clk.Advance(orders.KeyRetention - time.Hour)
	if n, err := s.PruneKeys(ctx); err != nil || n != 0 {
		t.Fatalf("PruneKeys before the retention: %d, %v", n, err)
	}
	clk.Advance(2 * time.Hour)
	if n, err := s.PruneKeys(ctx); err != nil || n != 1 {
		t.Fatalf("PruneKeys after the retention: %d, %v; want 1", n, err)
	}
	if used, err := s.KeyUsed(ctx, lifecycle.ResendSetupLink, &key); err != nil || used {
		t.Errorf("KeyUsed after the key aged out: %v, %v", used, err)
	}
}
