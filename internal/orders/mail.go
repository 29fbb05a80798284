package orders

import (
	"context"
	"fmt"
	"strings"

	"onramp/internal/mail/kind"

	"onramp/ent"
	"onramp/ent/message"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/schema/schematype"
	"onramp/ent/subscription"
	"onramp/internal/audit"
	"onramp/internal/date"
	"onramp/internal/lifecycle"
	"onramp/internal/mail"
	"onramp/internal/store"
)

// mailData fills the templates for an order.
func mailData(o *ent.Order) mail.Data {
	return mail.Data{
		Product:          strings.ReplaceAll(string(o.Product), "_", "-"),
		PartnerName:      o.PartnerName,
		PartnerAccountID: o.PartnerAccountID,
		CustomerName:     o.CustomerName,
		ExternalID:       o.ExternalID,
		StartDate:        string(o.RequestedStartDate),
		ContactEmail:     o.ProvisioningContactEmail,
	}
}

// SendLink issues a new setup link for o to email (the order's other links
// become REPLACED) and queues the message of kind carrying it, in the
// transaction of ctx.
func (s *Service) SendLink(ctx context.Context, o *ent.Order, email string, kind mail.Kind, handedOffBy string) error {
	token, err := s.Links.IssueSetupLink(ctx, o.ID, email)
	if err != nil {
		return err
	}
	d := mailData(o)
	if d.Services, err = servicesOf(ctx, o); err != nil {
		return err
	}
	d.Link = s.Settings.LinkTo("/setup", token)
	d.LinkExpires = date.Of(s.now().Add(s.Links.SetupLinkTTL()).In(s.Settings.Location)).String()
	d.HandedOffBy = handedOffBy
	if _, err := s.Outbox.Send(ctx, mail.Draft{Kind: kind, To: email, Lang: string(o.Language), Data: d, OrderID: o.ID}); err != nil {
		return err
	}
	return s.scheduleLinkReminders(ctx, o)
}

// SendServicesActive queues the "your services are active" email.
func (s *Service) SendServicesActive(ctx context.Context, o *ent.Order, to string) error {
	_, err := s.Outbox.Send(ctx, mail.Draft{
		Kind: kind.ServicesActive, To: to, Lang: string(o.Language), Data: mailData(o), OrderID: o.ID,
	})
	return err
}

// Delivered runs when a message was handed to the mail system, in the
// transaction that marks it sent: the first setup email moves the order
// from PLACED to LINK_SENT.
func (s *Service) Delivered(ctx context.Context, m *ent.Message) error {
	if m.OrderID == "" {
		return nil
	}
	sent := map[string]any{"kind": m.Kind, "to": m.To}
	if m.Kind == message.KindSETUP_LINK {
		_, err := s.Life.Apply(store.System(ctx), m.OrderID, lifecycle.Command{
			Action:  lifecycle.LinkDelivered,
			Changes: sent,
			Run: func(ctx context.Context, c *lifecycle.Change) error {
				if c.Order.Status == order.StatusPLACED {
					c.Status = order.StatusLINK_SENT
				}
				return nil
			},
		})
		if err == nil || !lifecycle.IsRefused(err) {
			return err // recorded with the change
		}
	}
	return audit.Record(ctx, ent.FromContext(ctx), m.OrderID, "EMAIL_SENT", sent)
}

// WebhookDisabled tells a partner's administrators that one of its webhook
// endpoints was disabled after three days of failed deliveries, in the
// transaction that disables it. A partner without an organization yet has
// no one to tell; operators see disabledAt.
func (s *Service) WebhookDisabled(ctx context.Context, ep *ent.WebhookEndpoint) error {
	sys := store.System(ctx)
	org, err := ent.FromContext(ctx).Organization.Query().Where(organization.AccountID(ep.PartnerAccountID)).Only(sys)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	admins, err := org.QueryUsers().All(sys)
	if err != nil {
		return err
	}
	for _, u := range admins {
		if _, err := s.Outbox.Send(ctx, mail.Draft{
			Kind: kind.WebhookDisabled, To: u.Email, Lang: "en",
			Data: mail.Data{PartnerName: org.Name, PartnerAccountID: ep.PartnerAccountID, WebhookURL: ep.URL},
		}); err != nil {
			return err
		}
	}
	return nil
}

// serviceNames name the services in the emails.
var serviceNames = map[schematype.ServiceKind]string{
	schematype.Meetings: "Meetings", schematype.Calling: "Calling", schematype.Messaging: "Messaging",
}

// servicesOf lists an order's purchased services for its setup email.
func servicesOf(ctx context.Context, o *ent.Order) (string, error) {
	sub, err := ent.FromContext(ctx).Subscription.Query().Where(subscription.OrderID(o.ID)).Only(store.System(ctx))
	if ent.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	parts := make([]string, 0, len(sub.Services))
	for _, sv := range sub.Services {
		name := serviceNames[sv.Kind]
		if name == "" {
			name = string(sv.Kind)
		}
		parts = append(parts, fmt.Sprintf("%s × %d", name, sv.Quantity))
	}
	return strings.Join(parts, ", "), nil
}
