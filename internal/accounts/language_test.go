package accounts_test

import (
	"context"
	"testing"

	"onramp/ent"
	"onramp/ent/message"
	"onramp/internal/store"
	"onramp/internal/testkit/apptest"
)

// A partner administrator created by a Serbian order gets the notices of
// their account in Serbian; after setLanguage(en), in English.
func TestAccountMailUsesThePersonsLanguage(t *testing.T) {
	t.Parallel()
	c := apptest.Start(t, apptest.Options{HandlerOnly: true})
	id := c.NewOrder(t, "LANG-1", "P1", func(in map[string]any) { in["language"] = "sr" })
	link := c.Link(t, id, "ana@lang-p1.example")
	c.PartnerToConfirm(t, link, "it@lang-acme.example")
	c.ConfirmToServices(t, link)
	session := c.MustSignIn(t, "ana@lang-p1.example", apptest.Password)

	var v struct {
		Viewer struct {
			Language *string `json:"language"`
		} `json:"viewer"`
	}
	c.GQL(t, session, `{ viewer { language } }`, nil).OK(t).Decode(t, &v)
	if v.Viewer.Language == nil || *v.Viewer.Language != "sr" {
		t.Fatalf("viewer.language = %v, want sr (the order's that created the account)", apptest.Deref(v.Viewer.Language))
	}
	changedSubjects := func() []string {
		t.Helper()
		ms, err := c.App.Store.Client.Message.Query().Where(message.KindEQ(message.KindPASSWORD_CHANGED), message.To("ana@lang-p1.example")).
			Order(ent.Asc(message.FieldCreatedAt)).All(store.System(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Subject)
		}
		return out
	}
	changed := c.SessionCall(t, session, apptest.ChangeMutation, "changePassword", map[string]any{"c": apptest.Password, "n": "Novi-Dugacak-Pass-2027"})
	if len(changed.UserErrors) > 0 || changed.Token == nil {
		t.Fatalf("changePassword: %+v", changed)
	}
	if got := changedSubjects(); len(got) != 1 || got[0] != "Lozinka za Onramp je promenjena" {
		t.Fatalf("the notice of the change: %q, want it in Serbian", got)
	}

	var set struct {
		SetLanguage struct {
			Language   *string             `json:"language"`
			UserErrors []apptest.UserError `json:"userErrors"`
		} `json:"setLanguage"`
	}
	c.GQL(t, *changed.Token, `mutation { setLanguage(language: en) { language userErrors { code message } } }`, nil).OK(t).Decode(t, &set)
	if len(set.SetLanguage.UserErrors) > 0 || apptest.Deref(set.SetLanguage.Language) != "en" {
		t.Fatalf("setLanguage: %+v", set.SetLanguage)
	}
	again := c.SessionCall(t, *changed.Token, apptest.ChangeMutation, "changePassword", map[string]any{"c": "Novi-Dugacak-Pass-2027", "n": "Treci-Dugacak-Pass-2029"})
	if len(again.UserErrors) > 0 {
		t.Fatalf("changePassword again: %+v", again)
	}
	if got := changedSubjects(); len(got) != 2 || got[1] != "Your Onramp password was changed" {
		t.Fatalf("the notices: %q, want the second in English", got)
	}
	// Other tokens have no person whose language to set.
	c.GQL(t, c.Integration(t, "P1"), `mutation { setLanguage(language: en) { language } }`, nil).WantError(t, "FORBIDDEN", "")
}
