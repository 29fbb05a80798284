package mail

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"onramp/internal/mail/kind"
)

// allKinds lists every kind of message; linked tells whether it carries the
// "Set up now" link.
var allKinds = []struct {
	kind   Kind
	linked bool
}{
	{kind.SetupLink, true},
	{kind.HandoffColleague, true},
	{kind.HandoffCustomer, true},
	{kind.Escalation, false},
	{kind.ServicesActive, false},
}

const testLink = "https://onramp.example/setup?token=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

func sampleData(linked bool) Data {
	d := Data{
		Product:          "A-WX",
		PartnerName:      "Telekom Partner",
		PartnerAccountID: "P-100",
		CustomerName:     "Acme d.o.o.",
		ExternalID:       "ORD-42",
		StartDate:        "2026-11-24",
		ContactEmail:     "provisioning@partner.example",
		HandedOffBy:      "ana@partner.example",
		LinkExpires:      "2026-12-24",
	}
	if linked {
		d.Link = testLink
	}
	return d
}

func TestRenderEveryKindAndLanguage(t *testing.T) {
	labels := map[string]string{"en": "Set up now", "sr": "Podesi sada"}
	if len(Languages) != 2 {
		t.Fatalf("Languages = %v; this test covers en and sr", Languages)
	}
	for _, k := range allKinds {
		for _, lang := range Languages {
			t.Run(string(k.kind)+"/"+lang, func(t *testing.T) {
				d := sampleData(k.linked)
				r, err := Render(k.kind, lang, d)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				if strings.TrimSpace(r.Subject) == "" || strings.TrimSpace(r.Text) == "" || strings.TrimSpace(r.HTML) == "" {
					t.Fatalf("empty part: subject %q, text %q, html %d bytes", r.Subject, r.Text, len(r.HTML))
				}
				if strings.Contains(r.Subject, "\n") {
					t.Errorf("subject spans lines: %q", r.Subject)
				}
				if !strings.Contains(r.Subject, "A-WX") && !strings.Contains(r.Subject, "ORD-42") {
					t.Errorf("subject %q names neither the product nor the order", r.Subject)
				}
				if !strings.Contains(r.HTML, `<html lang="`+lang+`">`) {
					t.Errorf("HTML is not marked lang=%q", lang)
				}
				for _, s := range []string{r.Subject, r.Text, r.HTML} {
					if strings.Contains(s, "<no value>") || strings.Contains(s, "{{") {
						t.Errorf("unfilled template field in %q", s)
					}
				}
				label := labels[lang]
				if !k.linked {
					if strings.Contains(r.Text, "/setup?token=") || strings.Contains(r.HTML, "/setup?token=") {
						t.Errorf("a %s message carries a setup link", k.kind)
					}
					return
				}
				// The text has the link on a line of its own, after the label.
				if !strings.Contains(r.Text, "\n"+label+": "+testLink+"\n") {
					t.Errorf("text lacks the line %q:\n%s", label+": "+testLink, r.Text)
				}
				// The HTML has the button: an anchor to the link, labelled.
				if !strings.Contains(r.HTML, `<a href="`+testLink+`"`) {
					t.Errorf("HTML has no button linking to %s:\n%s", testLink, r.HTML)
				}
				if !strings.Contains(r.HTML, ">"+label+"</a>") {
					t.Errorf("HTML button is not labelled %q:\n%s", label, r.HTML)
				}
				// The link line becomes the button: it is not also a paragraph.
				if strings.Contains(r.HTML, label+": ") {
					t.Errorf("HTML repeats the text's link line %q", label+": ")
				}
				if lang == "sr" && strings.Contains(r.Text, "Set up now") {
					t.Errorf("Serbian text contains English label:\n%s", r.Text)
				}
			})
		}
	}
}

func TestRenderSerbianIsSerbian(t *testing.T) {
	en, err := Render(kind.SetupLink, "en", sampleData(true))
	if err != nil {
		t.Fatal(err)
	}
	sr, err := Render(kind.SetupLink, "sr", sampleData(true))
	if err != nil {
		t.Fatal(err)
	}
	if en.Subject == sr.Subject || en.Text == sr.Text {
		t.Fatalf("en and sr render the same:\n%s\n%s", en.Text, sr.Text)
	}
	if want := "Podesite A-WX za Acme d.o.o."; sr.Subject != want {
		t.Errorf("sr subject = %q, want %q", sr.Subject, want)
	}
	if !strings.Contains(sr.Text, "porudžbina ORD-42") {
		t.Errorf("sr text lacks %q:\n%s", "porudžbina ORD-42", sr.Text)
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	d := sampleData(true)
	d.CustomerName = `<b>Acme & Co</b>`
	d.PartnerName = `Partner "<script>alert(1)</script>"`
	for _, lang := range Languages {
		r, err := Render(kind.SetupLink, lang, d)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.HTML, "<b>") || strings.Contains(r.HTML, "<script>") {
			t.Errorf("%s: HTML contains unescaped markup from data:\n%s", lang, r.HTML)
		}
		if !strings.Contains(r.HTML, "&lt;b&gt;Acme &amp; Co&lt;/b&gt;") {
			t.Errorf("%s: HTML lacks the escaped customer name:\n%s", lang, r.HTML)
		}
		// The plain text and the subject are not HTML: they keep the name.
		if !strings.Contains(r.Subject, `<b>Acme & Co</b>`) || !strings.Contains(r.Text, `<b>Acme & Co</b>`) {
			t.Errorf("%s: text or subject altered the name: %q / %q", lang, r.Subject, r.Text)
		}
	}
}

func TestRenderUnknownLanguageFallsBackToEnglish(t *testing.T) {
	en, err := Render(kind.SetupLink, "en", sampleData(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"de", "", "EN-us", "../sr"} {
		got, err := Render(kind.SetupLink, lang, sampleData(true))
		if err != nil {
			t.Fatalf("Render(%q): %v", lang, err)
		}
		if got != en {
			t.Errorf("Render(%q) differs from English:\n%+v", lang, got)
		}
	}
}

func TestRenderMissingLinkLineIsAnError(t *testing.T) {
	// A link the text has no "Set up now: <link>" line for cannot become the
	// button: Render refuses rather than sending an email without it.
	for _, k := range []Kind{kind.Escalation, kind.ServicesActive} {
		for _, lang := range Languages {
			if _, err := Render(k, lang, sampleData(true)); err == nil {
				t.Errorf("Render(%s, %s) with a link but no link line: no error", k, lang)
			}
		}
	}
	if _, err := Render(Kind("NO_SUCH_KIND"), "en", sampleData(false)); err == nil {
		t.Error("Render of an unknown kind: no error")
	}
}

func TestEncodeIsParseableMIME(t *testing.T) {
	d := sampleData(true)
	d.CustomerName = "Đorđević & sinovi d.o.o."
	r, err := Render(kind.SetupLink, "sr", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Subject, "Podesite") {
		t.Fatalf("subject %q", r.Subject)
	}
	date := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	env := Envelope{
		From:      "Onramp <onramp@onramp.example>",
		To:        "provisioning@partner.example",
		Subject:   r.Subject,
		Text:      r.Text,
		HTML:      r.HTML,
		MessageID: "<msg_01ABC@onramp.example>",
		Date:      date,
	}
	raw, err := Encode(env)
	if err != nil {
		t.Fatal(err)
	}
	// Headers travel as 7-bit ASCII; the UTF-8 subject is encoded.
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	for i, b := range head {
		if b >= 0x80 {
			t.Fatalf("non-ASCII byte %#x at %d in the header:\n%s", b, i, head)
		}
	}
	for line := range strings.SplitSeq(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line of %d characters (RFC 5322 allows 998)", len(line))
		}
	}

	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject %q: %v", msg.Header.Get("Subject"), err)
	}
	if subject != r.Subject {
		t.Errorf("subject decodes to %q, want %q", subject, r.Subject)
	}
	if got := msg.Header.Get("Message-ID"); got != env.MessageID {
		t.Errorf("Message-ID = %q, want %q", got, env.MessageID)
	}
	if got, err := msg.Header.Date(); err != nil || !got.Equal(date) {
		t.Errorf("Date = %v (%v), want %v", got, err, date)
	}
	from, err := mail.ParseAddress(msg.Header.Get("From"))
	if err != nil || from.Address != "onramp@onramp.example" || from.Name != "Onramp" {
		t.Errorf("From = %+v (%v)", from, err)
	}
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil || to.Address != env.To {
		t.Errorf("To = %+v (%v)", to, err)
	}
	if got := msg.Header.Get("MIME-Version"); got != "1.0" {
		t.Errorf("MIME-Version = %q", got)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" || params["boundary"] == "" {
		t.Fatalf("Content-Type = %q (%v)", msg.Header.Get("Content-Type"), err)
	}

	mr := multipart.NewReader(msg.Body, params["boundary"])
	var parts []string
	bodies := map[string]string{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		ct, cparams, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type %q: %v", p.Header.Get("Content-Type"), err)
		}
		if !strings.EqualFold(cparams["charset"], "utf-8") {
			t.Errorf("%s part charset = %q, want utf-8", ct, cparams["charset"])
		}
		// multipart.Reader decodes quoted-printable transparently.
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("read %s part: %v", ct, err)
		}
		parts = append(parts, ct)
		bodies[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if strings.Join(parts, ",") != "text/plain,text/html" {
		t.Fatalf("parts = %v, want text/plain then text/html (the preferred last)", parts)
	}
	if bodies["text/plain"] != r.Text {
		t.Errorf("text part round-trips to\n%q\nwant\n%q", bodies["text/plain"], r.Text)
	}
	if bodies["text/html"] != r.HTML {
		t.Errorf("HTML part does not round-trip:\n%s", bodies["text/html"])
	}
	if !strings.Contains(bodies["text/plain"], "porudžbina") || !strings.Contains(bodies["text/plain"], "Podesi sada: "+testLink) {
		t.Errorf("decoded text lacks the Serbian body or link:\n%s", bodies["text/plain"])
	}
}

func TestEncodeLongUTF8Subject(t *testing.T) {
	// The longest customer name an order accepts (200 characters), in a
	// script that takes two bytes a character: the encoded subject must still
	// parse and decode back unchanged.
	d := sampleData(false)
	d.CustomerName = strings.Repeat("Ж", 200)
	d.ExternalID = strings.Repeat("X", 64)
	r, err := Render(kind.Escalation, "sr", d)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Encode(Envelope{From: "Onramp <onramp@onramp.example>", To: "cs@onramp.example",
		Subject: r.Subject, Text: r.Text, HTML: r.HTML, MessageID: "<m@onramp.example>", Date: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != r.Subject {
		t.Errorf("subject decodes to %q (%v), want %q", subject, err, r.Subject)
	}
	for line := range strings.SplitSeq(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("header or body line of %d characters; RFC 5322 allows at most 998 (fold the header)", len(line))
		}
	}
}

// TestRenderConsentAndAccountMails: the consent and account emails render
// in both languages, with their own button labels (not "Set up now") over
// their own links, and nothing left unfilled.
func TestRenderConsentAndAccountMails(t *testing.T) {
	links := map[Kind]string{
		kind.AccessRequest:   "https://onramp.example/access?token=a.b.c",
		kind.AccessApproved:  "https://onramp.example/access?token=d.e.f",
		kind.PasswordReset:   "https://onramp.example/reset-password?token=g.h.i",
		kind.PasswordChanged: "",
	}
	for k, link := range links {
		for _, lang := range Languages {
			t.Run(string(k)+"/"+lang, func(t *testing.T) {
				d := sampleData(false)
				d.Link, d.AdminEmail = link, "it@acme.example"
				r, err := Render(k, lang, d)
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				for _, s := range []string{r.Subject, r.Text, r.HTML} {
					if strings.Contains(s, "<no value>") || strings.Contains(s, "{{") {
						t.Errorf("unfilled template field in %q", s)
					}
				}
				label := ButtonLabel(k, lang)
				if link == "" {
					if strings.Contains(r.HTML, "<a href=") {
						t.Errorf("%s has a button", k)
					}
					return
				}
				if label == ButtonLabel(kind.SetupLink, lang) {
					t.Errorf("%s/%s uses the setup button's label %q", k, lang, label)
				}
				if !strings.Contains(r.Text, "\n"+label+": "+link+"\n") {
					t.Errorf("text lacks the line %q:\n%s", label+": "+link, r.Text)
				}
				if !strings.Contains(r.HTML, `<a href="`+link+`"`) || !strings.Contains(r.HTML, ">"+label+"</a>") {
					t.Errorf("HTML has no button %q to %s:\n%s", label, link, r.HTML)
				}
				if lang == "sr" && strings.Contains(r.Text, ButtonLabel(k, "en")) {
					t.Errorf("Serbian text contains the English label:\n%s", r.Text)
				}
			})
		}
	}
	if _, err := Render(kind.AccessRequest, "en", sampleData(false)); err == nil {
		t.Errorf("an access request without its link rendered")
	}
}
