package mail

import (
	"context"
	"html/template"
	"net/http"
	"regexp"

	"onramp/ent"
	"onramp/ent/message"
	"onramp/internal/gid"
	"onramp/internal/store"
)

// DevMailbox is the sender of dev mode without SMTP: it delivers nowhere;
// the messages stay readable in the development mail viewer.
type DevMailbox struct{}

// Send implements Sender.
func (DevMailbox) Send(context.Context, Envelope) error { return nil }

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+/setup\?token=[A-Za-z0-9._-]+`)

var viewerPage = template.Must(template.New("viewer").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Onramp dev mail</title>
<link rel="icon" href="/favicon.ico">
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}a.button{background:#0b5cff;color:#fff;padding:.3rem .7rem;border-radius:4px;text-decoration:none}</style></head>
<body><main><h1>Development mail viewer</h1>
<p>Every message Onramp sent, newest first. This page exists only in dev mode.</p>
<table><thead><tr><th>When</th><th>To</th><th>Subject</th><th>Status</th><th>Link</th></tr></thead><tbody>
{{range .}}<tr><td>{{.When}}</td><td>{{.To}}</td><td><a href="/dev/mail/{{.ID}}">{{.Subject}}</a></td><td>{{.Status}}</td>
<td>{{if .Link}}<a class="button" href="{{.Link}}">Set up now</a>{{end}}</td></tr>
{{else}}<tr><td colspan="5">No messages yet.</td></tr>{{end}}
</tbody></table></main></body></html>`))

type viewerRow struct {
	ID, When, To, Subject, Status string
	Link                          template.URL
}

// Viewer is the development mail viewer: /dev/mail lists the messages with
// their "Set up now" links, /dev/mail/{id} shows one. Mount it in dev mode
// only.
func Viewer(st *store.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dev/mail", func(w http.ResponseWriter, r *http.Request) {
		msgs, err := st.Client.Message.Query().
			Order(ent.Desc(message.FieldCreatedAt)).Limit(200).
			All(store.System(r.Context()))
		if err != nil {
			http.Error(w, "cannot read the outbox", http.StatusInternalServerError)
			return
		}
		rows := make([]viewerRow, len(msgs))
		for i, m := range msgs {
			rows[i] = viewerRow{
				ID: string(m.ID), When: m.CreatedAt.Format("2006-01-02 15:04:05"), To: m.To,
				Subject: m.Subject, Status: string(m.Status),
				Link: template.URL(linkPattern.FindString(m.TextBody)), //nolint:gosec // linkPattern matches only http(s) setup links without quotes or brackets
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = viewerPage.Execute(w, rows)
	})
	mux.HandleFunc("GET /dev/mail/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, err := st.Client.Message.Get(store.System(r.Context()), gid.ID(r.PathValue("id")))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		_, _ = w.Write([]byte(m.HTMLBody)) //nolint:gosec // our own rendered template, served under a CSP that runs no script
	})
	return mux
}
