// Package web serves the built frontend: the setup wizard at / (its routes
// /setup/…, /signin and /partner/… fall back to index.html, the single-page
// app) and the GraphQL IDE at /playground.
package web

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

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
		if p == "/playground" || strings.HasPrefix(p, "/playground/") {
			if !ide {
				http.NotFound(w, r)
				return
			}
			serveFile(w, r, dist, "playground.html", PlaygroundPolicy)
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
			serveFile(w, r, dist, "index.html", WizardPolicy)
			return
		}
		http.NotFound(w, r)
	})
}

// spaRoute reports whether p is a page of the wizard (the single-page app
// routes it); anything else that is not a file is not found.
func spaRoute(p string) bool {
	if p == "/" {
		return true
	}
	for _, prefix := range []string{"/setup", "/signin", "/partner"} {
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

func serveFile(w http.ResponseWriter, r *http.Request, dist fs.FS, name, policy string) {
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
