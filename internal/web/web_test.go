package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRoutes(t *testing.T) {
	built := fstest.MapFS{
		"index.html":      {Data: []byte("<p>wizard</p>")},
		"playground.html": {Data: []byte("<p>ide</p>")},
		"assets/app.js":   {Data: []byte("js")},
		".gitkeep":        {Data: nil},
	}
	for _, tc := range []struct {
		name, method, path string
		ide                bool
		dist               fstest.MapFS
		status             int
		body               string
	}{
		{"wizard root", "GET", "/", false, built, 200, "wizard"},
		{"wizard step", "GET", "/setup/role", false, built, 200, "wizard"},
		{"sign in", "GET", "/signin", false, built, 200, "wizard"},
		{"partner views", "GET", "/partner/orders", false, built, 200, "wizard"},
		{"the access page", "GET", "/access", false, built, 200, "wizard"},
		{"the reset page", "GET", "/reset-password", false, built, 200, "wizard"},
		{"not a page", "GET", "/accessible", false, built, 404, ""},
		{"asset", "GET", "/assets/app.js", false, built, 200, "js"},
		{"unknown path", "GET", "/dev/mail", false, built, 404, `<html lang="en">`},
		{"unknown path, title", "GET", "/nowhere", false, built, 404, "<title>Page not found · Onramp</title>"},
		{"favicon", "GET", "/favicon.ico", false, built, 200, "\x00\x00\x01\x00"},
		{"favicon, wizard not built", "GET", "/favicon.ico", false, fstest.MapFS{".gitkeep": {}}, 200, "PNG"},
		{"dotfile", "GET", "/.gitkeep", false, built, 404, ""},
		{"traversal", "GET", "/assets/../../etc/passwd", false, built, 404, ""},
		{"ide off", "GET", "/playground", false, built, 404, ""},
		{"ide on", "GET", "/playground", true, built, 200, "ide"},
		{"post", "POST", "/", false, built, 405, ""},
		{"not built", "GET", "/setup", false, fstest.MapFS{".gitkeep": {}}, 503, "make frontend"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handler(tc.dist, tc.ide).ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.body) {
				t.Fatalf("%s %s: %d %q, want %d containing %q", tc.method, tc.path, rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			if tc.status == http.StatusOK && strings.HasSuffix(tc.body, "wizard") && rec.Header().Get("Cache-Control") != "no-cache" {
				t.Fatalf("the app page must not be cached")
			}
		})
	}
}

// TestPagePolicies: the wizard's pages allow no inline or foreign script
// or style; the IDE has a policy of its own (inline style elements and
// workers for its editor), still with scripts from its own origin only.
func TestPagePolicies(t *testing.T) {
	dist := fstest.MapFS{
		"index.html":      {Data: []byte("<html>wizard</html>")},
		"playground.html": {Data: []byte("<html>ide</html>")},
	}
	h := Handler(dist, true)
	for _, tc := range []struct {
		path, want string
		refuse     []string
	}{
		{"/setup", WizardPolicy, []string{"unsafe-inline", "unsafe-eval", "*"}},
		{"/playground", PlaygroundPolicy, []string{"script-src 'self' 'unsafe", "unsafe-eval", "*"}},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		csp := rec.Header().Get("Content-Security-Policy")
		if csp != tc.want || !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", tc.path, csp)
		}
		for _, bad := range tc.refuse {
			if strings.Contains(csp, bad) {
				t.Errorf("%s: CSP %q allows %q", tc.path, csp, bad)
			}
		}
	}
}

func TestNotFoundSpeaksTheBrowsersLanguage(t *testing.T) {
	for lang, want := range map[string]string{
		"":                    `<html lang="en">`,
		"de-DE,de;q=0.9":      "Page not found",
		"sr-Latn-RS,sr;q=0.9": `<html lang="sr-Latn">`,
		"sr,en;q=0.5":         "Stranica nije pronađena",
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/nowhere", nil)
		req.Header.Set("Accept-Language", lang)
		Handler(fstest.MapFS{}, false).ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), want) ||
			!strings.Contains(rec.Body.String(), `<link rel="icon" href="/favicon.ico">`) {
			t.Errorf("Accept-Language %q: %d, want 404 containing %q and the icon:\n%s", lang, rec.Code, want, rec.Body.String())
		}
	}
}
