package orders

import (
	"context"
	"strings"
	"time"

	"onramp/internal/mail/kind"

	"onramp/ent"
	"onramp/ent/auditevent"
	"onramp/ent/order"
	"onramp/ent/setuplink"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// RenewInterval is how often the holder of an expired link may ask for a
// new one (per order).
const RenewInterval = 10 * time.Minute

// renewAudit is the audit action of a renewal (its row's).
var renewAudit = mustRule(lifecycle.RenewLink).Audit

// Codes of renewSetupLink's userErrors.
const (
	CodeLinkActive   = "LINK_ACTIVE"
	CodeLinkReplaced = "LINK_REPLACED"
	CodeTooSoon      = "TOO_SOON"
)

// LinkOfToken reads a setup link from its token, whatever its expiry
// (auth.Authority.LinkOf).
type LinkOfToken func(ctx context.Context, raw string) (*ent.SetupLink, error)

// RenewSetupLink sends the holder of an expired link a new one, to the same
// address, at most one renewal per RenewInterval and order. A link replaced by a
// newer one, or of a cancelled order, gets none: its page says whom to ask.
// It answers the address, partly hidden.
func (s *Service) RenewSetupLink(ctx context.Context, linkOf LinkOfToken, token string) (string, error) {
	link, err := linkOf(ctx, token)
	if err != nil {
		return "", err
	}
	switch {
	case link.State == setuplink.StateREPLACED:
		return "", validate.Fail(CodeLinkReplaced, "", "A newer link was sent for this order: use that one, or ask your partner contact to resend it.")
	case link.State == setuplink.StateCANCELLED:
		return "", validate.Fail(CodeOrderCancelled, "", "This order was cancelled or its window closed: ask your partner contact about a new order.")
	case link.State == setuplink.StateACTIVE && link.ExpiresAt.After(s.now()):
		return "", validate.Fail(CodeLinkActive, "", "This link still works: open it to continue the setup.")
	}
	// Onramp acts here for the holder of an expired link, who has no
	// working token.
	ctx = store.System(viewer.NewContext(ctx, nil))
	_, err = s.Life.Apply(ctx, link.OrderID, lifecycle.Command{
		Action:  lifecycle.RenewLink,
		Changes: map[string]any{"to": link.Email},
		Authorize: func(ctx context.Context, o *ent.Order) error {
			// The audit trail's times are the wall clock's, as is this one.
			recent, err := ent.FromContext(ctx).AuditEvent.Query().
				Where(auditevent.OrderID(o.ID), auditevent.Action(renewAudit), auditevent.AtGT(time.Now().Add(-RenewInterval))).
				Exist(store.System(ctx))
			if err != nil {
				return err
			}
			if recent {
				return validate.Fail(CodeTooSoon, "", "A new link was sent for this order in the last %d minutes: check your inbox, or try again later.", int(RenewInterval.Minutes()))
			}
			return nil
		},
		Run: func(ctx context.Context, c *lifecycle.Change) error {
			if lifecycle.Drafting(c.Order.Status) {
				c.Step = order.StepROLE
			}
			return s.SendLink(ctx, c.Order, link.Email, kind.SetupLink, "")
		},
	})
	if err != nil {
		return "", err
	}
	return maskEmail(link.Email), nil
}

// maskEmail hides most of an address's local part: a…@partner.example.
func maskEmail(email string) string {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" {
		return "…"
	}
	return string([]rune(local)[:1]) + "…@" + domain
}
