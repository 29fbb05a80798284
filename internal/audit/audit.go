// Package audit writes the audit trail: who did what to which order, when,
// with which token, in the transaction of the change itself.
package audit

import (
	"context"

	"onramp/ent"
	"onramp/internal/gid"
	"onramp/internal/viewer"
)

// Record appends an event for orderID to the trail, through client (the
// transaction's). The actor is the viewer of ctx, or Onramp itself.
func Record(ctx context.Context, client *ent.Client, orderID gid.ID, action string, changes map[string]any) error {
	kind, actor, tokenID := "SYSTEM", "onramp", ""
	if v := viewer.FromContext(ctx); v != nil {
		kind, actor, tokenID = string(v.Kind), v.Subject, v.TokenID
		if v.Email != "" {
			actor = v.Email
		}
	}
	c := client.AuditEvent.Create().
		SetAction(action).
		SetActorKind(kind).
		SetActor(actor).
		SetTokenID(tokenID).
		SetChanges(changes)
	if orderID != "" {
		c.SetOrderID(orderID)
	}
	return c.Exec(ctx)
}
