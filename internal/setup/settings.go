package setup

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"onramp/ent"
	"onramp/ent/order"
	"onramp/ent/organization"
	"onramp/ent/schema/schematype"
	"onramp/ent/servicesetting"
	"onramp/ent/subscription"
	"onramp/internal/access"
	"onramp/internal/auth"
	"onramp/internal/gid"
	"onramp/internal/lifecycle"
	"onramp/internal/store"
	"onramp/internal/validate"
	"onramp/internal/viewer"
)

// Languages the calling announcements and emails can use.
var callLanguages = []string{
	"en_US", "en_GB", "sr_RS", "hr_HR", "sl_SI", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL",
	"pt_BR", "pt_PT", "pl_PL", "cs_CZ", "hu_HU", "ro_RO", "bg_BG", "el_GR", "tr_TR", "sv_SE",
	"da_DK", "nb_NO", "fi_FI", "ru_RU", "uk_UA", "ja_JP", "ko_KR", "zh_CN", "zh_TW",
}

// CallSettingsInput is saveCallSettings' input. The default location's
// country is the order's customer country and cannot be chosen.
type CallSettingsInput struct {
	TimeZone             string
	AnnouncementLanguage string
	EmailLanguage        string
	LocationName         string
	Address              schematype.Address
}

func validateCallSettings(in CallSettingsInput, country string) (schematype.CallSettings, error) {
	var p validate.Problems
	out := schematype.CallSettings{
		Country:              country,
		TimeZone:             strings.TrimSpace(in.TimeZone),
		AnnouncementLanguage: strings.TrimSpace(in.AnnouncementLanguage),
		EmailLanguage:        strings.TrimSpace(in.EmailLanguage),
	}
	if out.TimeZone == "" || out.TimeZone == "Local" || !strings.Contains(out.TimeZone, "/") && out.TimeZone != "UTC" {
		p.Add(validate.CodeInvalid, "input.timeZone", "Choose an IANA time zone such as Europe/Belgrade.")
	} else if _, err := time.LoadLocation(out.TimeZone); err != nil {
		p.Add(validate.CodeInvalid, "input.timeZone", "Unknown time zone %q.", out.TimeZone)
	}
	if !slices.Contains(callLanguages, out.AnnouncementLanguage) {
		p.Add(validate.CodeInvalid, "input.announcementLanguage", "Choose one of the offered languages.")
	}
	if !slices.Contains(callLanguages, out.EmailLanguage) {
		p.Add(validate.CodeInvalid, "input.emailLanguage", "Choose one of the offered languages.")
	}
	var ok bool
	if out.LocationName, ok = validate.Text(in.LocationName, true, 100); !ok {
		p.Add(validate.CodeInvalid, "input.locationName", "Location name is required, at most 100 characters.")
	}
	out.Address = in.Address.Normalize(&p, "input.address")
	return out, p.Err()
}

// CallSettingsOf reads the saved calling settings of a subscription, in the
// caller's scope.
func CallSettingsOf(ctx context.Context, sub *ent.Subscription) (*schematype.CallSettings, error) {
	var cs schematype.CallSettings
	ok, err := settingOf(ctx, sub, schematype.Calling, &cs)
	if err != nil || !ok {
		return nil, err
	}
	return &cs, nil
}

// purchased reports which services the order bought.
func purchased(ctx context.Context, o *ent.Order) (map[schematype.ServiceKind]bool, *ent.Subscription, error) {
	sub, err := ent.FromContext(ctx).Subscription.Query().Where(subscription.OrderID(o.ID)).Only(store.System(ctx))
	if err != nil {
		return nil, nil, err
	}
	m := map[schematype.ServiceKind]bool{}
	for _, l := range sub.Services {
		m[l.Kind] = true
	}
	return m, sub, nil
}

// saveSetting stores the settings of one service, replacing earlier ones.
func saveSetting(ctx context.Context, sub *ent.Subscription, kind schematype.ServiceKind, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ent.FromContext(ctx).ServiceSetting.Create().
		SetSubscriptionID(sub.ID).SetKind(kind).SetValues(b).
		OnConflictColumns(servicesetting.FieldSubscriptionID, servicesetting.FieldKind).
		UpdateValues().UpdateUpdatedAt().
		Exec(store.System(ctx))
}

// SaveCallSettings saves the calling settings of the default location.
func (s *Service) SaveCallSettings(ctx context.Context, in CallSettingsInput, draftID *gid.ID) (*Session, error) {
	call := Call{Action: lifecycle.SaveCallSettings, Changes: map[string]any{"timeZone": in.TimeZone}, DraftID: draftID}
	return s.do(ctx, call, func(ctx context.Context, st *state) error {
		bought, sub, err := purchased(ctx, st.order)
		if err != nil {
			return err
		}
		if !bought[schematype.Calling] {
			return validate.Fail(CodeNotPurchased, "", "This order did not purchase calling.")
		}
		cs, err := validateCallSettings(in, st.order.CustomerCountry)
		if err != nil {
			return err
		}
		if err := saveSetting(ctx, sub, schematype.Calling, cs); err != nil {
			return err
		}
		return advanceServices(ctx, st)
	})
}

// advanceServices moves SERVICES to PROVISION once every purchased service
// has its settings.
func advanceServices(ctx context.Context, st *state) error {
	missing, err := missingSettings(ctx, st.order)
	if err != nil {
		return err
	}
	if len(missing) == 0 {
		st.goTo(order.StepPROVISION)
	} else {
		st.goTo(order.StepSERVICES)
	}
	return nil
}

// MissingSettings lists the purchased services of an order still without
// settings, in the order the wizard asks for them (for lifecycle.Engine).
func MissingSettings(ctx context.Context, o *ent.Order) ([]schematype.ServiceKind, error) {
	return missingSettings(ctx, o)
}

// missingSettings lists the purchased services still without settings, in
// the order the wizard asks for them.
func missingSettings(ctx context.Context, o *ent.Order) ([]schematype.ServiceKind, error) {
	missing, _, err := settingsState(ctx, o)
	return missing, err
}

// settingsState reads the order's settings: the purchased services still
// without them, and the meetings site (nil: none saved).
func settingsState(ctx context.Context, o *ent.Order) ([]schematype.ServiceKind, *site, error) {
	bought, sub, err := purchased(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	have, err := sub.QuerySettings().All(store.System(ctx))
	if err != nil {
		return nil, nil, err
	}
	done := map[schematype.ServiceKind]bool{}
	var meetings *site
	for _, h := range have {
		done[h.Kind] = true
		if h.Kind == schematype.Meetings {
			meetings = &site{}
			if err := json.Unmarshal(h.Values, meetings); err != nil {
				return nil, nil, err
			}
		}
	}
	missing := []schematype.ServiceKind{}
	for _, k := range []schematype.ServiceKind{schematype.Calling, schematype.Meetings} {
		if bought[k] && !done[k] {
			missing = append(missing, k)
		}
	}
	return missing, meetings, nil
}

// CheckSubdomain says whether a site subdomain can be taken now. The answer
// is advice: only saving claims the name.
func (s *Service) CheckSubdomain(ctx context.Context, name string) (bool, string, error) {
	v, err := auth.Require(ctx, viewer.SetupLink, viewer.Partner, viewer.Operator)
	if err != nil {
		return false, "", err
	}
	name, code := NormalizeSubdomain(name)
	if code != "" {
		return false, code, nil
	}
	holder, err := s.Store.Client.Organization.Query().Where(organization.Subdomain(name)).Only(store.System(ctx))
	switch {
	case ent.IsNotFound(err):
		return true, "", nil
	case err != nil:
		return false, "", err
	}
	if v.Is(viewer.SetupLink) {
		// The name the link's own customer organization holds is its to keep.
		o, err := s.Store.Client.Order.Get(ctx, v.OrderID)
		if err != nil && !ent.IsNotFound(err) {
			return false, "", err
		}
		if o != nil && o.CustomerOrgID == holder.ID {
			// Unless the caller may not see that site (a partner waiting
			// for the customer's consent): then it is taken, as for anyone,
			// so probing names cannot find it.
			ok, err := access.DisclosedIn(ctx, s.Store.Client, holder, o)
			if err != nil {
				return false, "", err
			}
			if ok {
				return true, "", nil
			}
		}
	}
	return false, CodeSubdomainTaken, nil
}

// site is the meetings setting of an order: the site's subdomain, and
// whether it is the customer organization's site from before this order
// (which the order uses as it is).
type site struct {
	Subdomain string `json:"subdomain"`
	Existing  bool   `json:"existing,omitempty"`
}

// siteOf reads the order's meetings setting, if saved.
func siteOf(ctx context.Context, sub *ent.Subscription) (*site, error) {
	var v site
	ok, err := settingOf(store.System(ctx), sub, schematype.Meetings, &v)
	if err != nil || !ok {
		return nil, err
	}
	return &v, nil
}

// adoptExistingSite makes an existing customer organization's meetings site
// the meeting settings of an order that bought meetings: the organization
// has one site, so there is nothing to choose.
func adoptExistingSite(ctx context.Context, o *ent.Order, customer *ent.Organization) error {
	if customer.Subdomain == nil {
		return nil
	}
	bought, sub, err := purchased(ctx, o)
	if err != nil || !bought[schematype.Meetings] {
		return err
	}
	return saveSetting(ctx, sub, schematype.Meetings, site{Subdomain: *customer.Subdomain, Existing: true})
}

// SaveEnterpriseSettings claims the meetings site subdomain for the
// customer organization. Until provisioning another name may be saved: the
// organization's name changes from the first to the second in one write,
// which releases the first. The unique index decides between concurrent
// claims; the loser gets SUBDOMAIN_TAKEN. An organization that had its site
// before this order keeps it (SITE_EXISTS for another name).
func (s *Service) SaveEnterpriseSettings(ctx context.Context, subdomain string, draftID *gid.ID) (*Session, error) {
	call := Call{Action: lifecycle.SaveEnterpriseSettings, Changes: map[string]any{"subdomain": subdomain}, DraftID: draftID}
	return s.do(ctx, call, func(ctx context.Context, st *state) error {
		bought, sub, err := purchased(ctx, st.order)
		if err != nil {
			return err
		}
		if !bought[schematype.Meetings] {
			return validate.Fail(CodeNotPurchased, "", "This order did not purchase meetings.")
		}
		name, code := NormalizeSubdomain(subdomain)
		if code != "" {
			return validate.Fail(code, "subdomain", "%s", subdomainMessages[code])
		}
		client := ent.FromContext(ctx)
		sys := store.System(ctx)
		org, err := client.Organization.Get(sys, st.order.CustomerOrgID)
		if err != nil {
			return err
		}
		saved, err := siteOf(ctx, sub)
		if err != nil {
			return err
		}
		ours := saved != nil && !saved.Existing && org.Subdomain != nil && *org.Subdomain == saved.Subdomain
		switch {
		case org.Subdomain != nil && !ours:
			// The organization had its site before this order. A caller it
			// is not disclosed to gets the same answer for every name, its
			// real one too, so a save cannot confirm a guess.
			if ok, err := access.Disclosed(ctx, s.Store.Client, org); err != nil || !ok {
				if err != nil {
					return err
				}
				return validate.Fail(CodeSiteExists, "subdomain",
					"The customer organization already has a meetings site, which this order uses.")
			}
			if *org.Subdomain != name {
				return validate.Fail(CodeSiteExists, "subdomain",
					"The customer organization already has the meetings site %q, which this order uses.", *org.Subdomain)
			}
		case org.Subdomain != nil && *org.Subdomain == name:
		default:
			taken, err := client.Organization.Query().Where(organization.Subdomain(name)).Exist(sys)
			if err != nil {
				return err
			}
			if taken {
				return validate.Fail(CodeSubdomainTaken, "subdomain", "%s", subdomainMessages[CodeSubdomainTaken])
			}
			// One write: the first name (when this order had claimed one)
			// is free as the second is taken.
			err = client.Organization.UpdateOne(org).SetSubdomain(name).Exec(sys)
			if ent.IsConstraintError(err) {
				return validate.Fail(CodeSubdomainTaken, "subdomain", "%s", subdomainMessages[CodeSubdomainTaken])
			}
			if err != nil {
				return err
			}
		}
		if err := saveSetting(ctx, sub, schematype.Meetings, site{Subdomain: name, Existing: saved != nil && saved.Existing}); err != nil {
			return err
		}
		return advanceServices(ctx, st)
	})
}

// SiteSubdomainOf reads the saved meetings site subdomain of a
// subscription, in the caller's scope.
func SiteSubdomainOf(ctx context.Context, client *ent.Client, sub *ent.Subscription) (*string, error) {
	var v site
	ok, err := settingOf(ctx, sub, schematype.Meetings, &v)
	if err != nil || !ok {
		return nil, err
	}
	if v.Existing {
		// The organization's one site, whatever its name is now.
		org, err := sub.QueryOrder().QueryCustomerOrg().Only(ctx)
		if ent.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		// Not told to a partner still waiting for the customer's consent.
		if ok, err := access.Disclosed(ctx, client, org); err != nil || !ok {
			return nil, err
		}
		return org.Subdomain, nil
	}
	return &v.Subdomain, nil
}

func settingOf(ctx context.Context, sub *ent.Subscription, kind schematype.ServiceKind, v any) (bool, error) {
	set, err := sub.QuerySettings().Where(servicesetting.KindEQ(kind)).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(set.Values, v)
}
