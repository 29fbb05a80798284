// Package web serves the built frontend: the setup wizard at / (its routes
// /setup/…, /signin, /partner/…, /access and /reset-password fall back to
// index.html, the single-page app) and the GraphQL IDE at /playground.
package web

import (
	_ "embed"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"golang.org/x/text/language"
)

// favicon is Onramp's icon (16, 32 and 48 px PNGs in one ICO), served at
// /favicon.ico whether or not the wizard is built, so every page (the
// wizard, the IDE, the 404 page, the dev mail viewer) can link it.
//
//go:embed favicon.ico
var favicon []byte

// Handler serves dist. With ide false, /playground is not found.
func Handler(dist fs.FS, ide bool) http.Handler {
	files := http.FileServerFS(dist)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		h := w.Header()
		if p == "/favicon.ico" {
			h.Set("Content-Type", "image/x-icon")
			h.Set("Cache-Control", "public, max-age=86400")
			_, _ = w.Write(favicon)
			return
		}
		if p == "/playground" || strings.HasPrefix(p, "/playground/") {
			if !ide {
				NotFound(w, r)
				return
			}
			serveFile(w, dist, "playground.html", PlaygroundPolicy)
			return
		}
		if strings.HasPrefix(p, "/assets/") {
			// Vite names assets by content hash: they never change.
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
			files.ServeHTTP(w, r)
			return
		}
		if f, err := fs.Stat(dist, strings.TrimPrefix(p, "/")); err == nil && !f.IsDir() && !strings.HasPrefix(path.Base(p), ".") {
			files.ServeHTTP(w, r)
			return
		}
		if spaRoute(p) {
			serveFile(w, dist, "index.html", WizardPolicy)
			return
		}
		NotFound(w, r)
	})
}

// spaRoute reports whether p is a page of the wizard (the single-page app
// routes it); anything else that is not a file is not found.
func spaRoute(p string) bool {
	if p == "/" {
		return true
	}
	for _, prefix := range []string{"/setup", "/signin", "/partner", "/access", "/reset-password"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}

// Content-Security-Policy of the pages. The wizard's build has no inline
// script or style (Vite emits files), so it allows its own origin only. The
// GraphQL IDE (GraphiQL with Monaco) injects style elements and runs its
// editor in workers, so it gets a policy of its own, still without inline
// or foreign scripts.
const (
	WizardPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	PlaygroundPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; " +
		"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
		"form-action 'self'; frame-ancestors 'none'"
)

func serveFile(w http.ResponseWriter, dist fs.FS, name, policy string) {
	b, err := fs.ReadFile(dist, name)
	if err != nil {
		// A binary built before the frontend (go build on a fresh clone).
		http.Error(w, "The Onramp wizard has not been built into this binary: run `make frontend` (or `make run`).",
			http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", policy)
	_, _ = w.Write(b)
}

// notFoundLanguages are the languages of the 404 page, English first.
var notFoundLanguages = language.NewMatcher([]language.Tag{language.English, language.Serbian})

type notFoundText struct{ Lang, Title, Body, Home string }

var notFoundTexts = map[string]notFoundText{
	"en": {"en", "Page not found", "There is no page at this address. Check the link, or open the “Set up now” link from your email again.", "Go to Onramp"},
	"sr": {"sr-Latn", "Stranica nije pronađena", "Na ovoj adresi nema stranice. Proverite link ili ponovo otvorite link „Podesi sada“ iz imejla.", "Idi na Onramp"},
}

// notFoundPage is the wizard's look (its colors and type) without its
// script: a title, a language, one main landmark and one heading.
var notFoundPage = template.Must(template.New("404").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="/favicon.ico">
<title>{{.Title}} · Onramp</title>
<style>
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Liberation Sans",Arial,sans-serif;color:#1d1d1f;background:#f4f5f7;line-height:1.5}
body{margin:0;min-width:320px}
header{background:#fff;border-bottom:1px solid #d8dce3;padding:.75rem 1rem}
header a{font-weight:700;font-size:1.15rem;color:#1d1d1f;text-decoration:none}
main{max-width:40rem;margin:1.5rem auto;padding:1.25rem;background:#fff;border:1px solid #d8dce3;border-radius:10px}
h1{font-size:1.5rem;margin:0 0 .75rem}
a{color:#0846c4}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}
</style>
</head>
<body>
<header><a href="/">Onramp</a></header>
<main>
<h1>{{.Title}}</h1>
<p>{{.Body}}</p>
<p><a href="/">{{.Home}}</a></p>
</main>
</body>
</html>
`))

// NotFound answers 404 with a page in the wizard's style, in Serbian when
// the browser prefers it, English otherwise.
func NotFound(w http.ResponseWriter, r *http.Request) {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, _ := notFoundLanguages.Match(tags...)
	text := notFoundTexts["en"]
	if i == 1 {
		text = notFoundTexts["sr"]
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_ = notFoundPage.Execute(w, text)
}
