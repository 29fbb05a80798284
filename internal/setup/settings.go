package setup

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"onramp/ent"
	"onramp/ent/schema/schematype"
	"onramp/ent/servicesetting"
	"onramp/internal/validate"
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

// SiteSubdomainOf reads the saved meetings site subdomain of a
// subscription, in the caller's scope.
func SiteSubdomainOf(ctx context.Context, sub *ent.Subscription) (*string, error) {
	var v struct {
		Subdomain string `json:"subdomain"`
	}
	ok, err := settingOf(ctx, sub, schematype.Meetings, &v)
	if err != nil || !ok {
		return nil, err
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
