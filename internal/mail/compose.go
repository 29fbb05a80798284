// Package mail renders Onramp's emails (English and Serbian), keeps them in
// an outbox in the transaction that causes them, delivers them by SMTP from
// a job, and in dev mode shows them in a mail viewer instead.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"

	"onramp/internal/mail/kind"
)

//go:embed templates
var templateFS embed.FS

// Kind is what a message is for; it names its templates. The kinds are
// declared once, in internal/mail/kind.
type Kind = kind.Kind

// Languages are the languages of the templates; en is the default.
var Languages = []string{"en", "sr"}

// Data fills the templates.
type Data struct {
	Product          string
	PartnerName      string
	PartnerAccountID string
	CustomerName     string
	ExternalID       string
	StartDate        string
	ContactEmail     string
	HandedOffBy      string
	// WebhookURL is the endpoint of a WEBHOOK_DISABLED notice.
	WebhookURL string
	// Services lists the purchased services, e.g. "Meetings × 25, Calling
	// × 10" (empty: not listed).
	Services string
	// HandedTo is whom a setup was handed to (HANDOFF_SENT).
	HandedTo string
	// WindowCloses is the day an unprovisioned order closes.
	WindowCloses string
	// AdminEmail is the customer administrator asked for consent.
	AdminEmail string
	// Link is the message's button ("Set up now", or its kind's); LinkExpires
	// when it stops working.
	Link        string
	LinkExpires string
}

// Rendered is a message ready for the outbox.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

var (
	textTemplates = map[string]*template.Template{}
	layout        = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/layout.html.tmpl"))
)

func init() {
	for _, lang := range Languages {
		textTemplates[lang] = template.Must(template.New(lang).Option("missingkey=error").
			ParseFS(templateFS, "templates/"+lang+".txt.tmpl"))
	}
}

// needsLink are the kinds that carry a "Set up now" link.
var needsLink = map[Kind]bool{kind.SetupLink: true, kind.HandoffColleague: true, kind.HandoffCustomer: true,
	kind.AccessRequest: true, kind.AccessApproved: true, kind.PasswordReset: true}

// buttonLabels are the labels of a message's button ("Set up now" unless
// its kind has its own): in the text body the link stands on a line of its
// own, "<label>: <link>".
var buttonLabels = map[Kind]map[string]string{
	"":                  {"en": "Set up now", "sr": "Podesi sada"},
	kind.AccessRequest:  {"en": "Review the request", "sr": "Pregledaj zahtev"},
	kind.AccessApproved: {"en": "Withdraw access", "sr": "Povuci pristup"},
	kind.PasswordReset:  {"en": "Choose a new password", "sr": "Izaberi novu lozinku"},
}

// ButtonLabel is the label of kind's button in lang.
func ButtonLabel(kind Kind, lang string) string {
	if l, ok := buttonLabels[kind]; ok {
		return l[lang]
	}
	return buttonLabels[""][lang]
}

// Render renders a message of kind in lang (en when lang is unknown). The
// HTML body is built from the text body's paragraphs, so the two never
// disagree: the link line becomes the button, the part after "--" the
// footer.
func Render(kind Kind, lang string, d Data) (Rendered, error) {
	t, ok := textTemplates[lang]
	if !ok {
		lang, t = "en", textTemplates["en"]
	}
	var subject, text bytes.Buffer
	if err := t.ExecuteTemplate(&subject, string(kind)+".subject", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	if err := t.ExecuteTemplate(&text, string(kind)+".text", d); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	r := Rendered{Subject: strings.TrimSpace(subject.String()), Text: strings.TrimSpace(text.String()) + "\n"}

	page := struct {
		Lang, Subject, Link, Button, Footer string
		Paragraphs, After                   []string
	}{Lang: lang, Subject: r.Subject, Button: ButtonLabel(kind, lang)}
	body, footer, _ := strings.Cut(r.Text, "\n--\n")
	page.Footer = strings.TrimSpace(footer)
	linkLine := page.Button + ": " + d.Link
	for p := range strings.SplitSeq(strings.TrimSpace(body), "\n\n") {
		switch {
		case d.Link != "" && strings.TrimSpace(p) == linkLine:
			page.Link = d.Link
		case page.Link != "":
			page.After = append(page.After, p)
		default:
			page.Paragraphs = append(page.Paragraphs, p)
		}
	}
	if needsLink[kind] && d.Link == "" {
		return Rendered{}, fmt.Errorf("render %s: the message needs its setup link", kind)
	}
	if d.Link != "" && page.Link == "" {
		return Rendered{}, fmt.Errorf("render %s: the %s text has no %q line", kind, lang, page.Button+": …")
	}
	var html bytes.Buffer
	if err := layout.ExecuteTemplate(&html, "layout", page); err != nil {
		return Rendered{}, err
	}
	r.HTML = html.String()
	return r, nil
}
