package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// limitBody refuses request bodies over max bytes: at once when the length
// is declared, and while reading otherwise.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = w.Write([]byte(`{"errors":[{"message":"request body too large","extensions":{"code":"BODY_TOO_LARGE"}}]}`))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// bodyReads gives each request body a deadline to arrive by, and lets a
// shutdown cut the bodies still arriving: a client that stalls its body
// would otherwise hold a connection (and a graceful shutdown) for as long
// as it likes.
type bodyReads struct {
	mu      sync.Mutex
	reading map[*http.ResponseController]struct{}
	closing bool
}

func newBodyReads() *bodyReads {
	return &bodyReads{reading: map[*http.ResponseController]struct{}{}}
}

func (b *bodyReads) limit(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		if d > 0 {
			_ = rc.SetReadDeadline(time.Now().Add(d))
		}
		b.mu.Lock()
		if b.closing {
			_ = rc.SetReadDeadline(time.Now())
		}
		b.reading[rc] = struct{}{}
		b.mu.Unlock()
		body := &arrivingBody{ReadCloser: r.Body, done: func() {
			b.mu.Lock()
			delete(b.reading, rc)
			b.mu.Unlock()
		}}
		defer body.finish()
		r.Body = body
		next.ServeHTTP(w, r)
	})
}

// cut ends the reads of every body still arriving, now and from now on.
func (b *bodyReads) cut() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closing = true
	for rc := range b.reading {
		_ = rc.SetReadDeadline(time.Now())
	}
}

// arrivingBody tells its bodyReads when it has been read whole (or failed),
// so that a shutdown leaves a request that has its body to finish.
type arrivingBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (a *arrivingBody) Read(p []byte) (int, error) {
	n, err := a.ReadCloser.Read(p)
	if err != nil {
		a.finish()
	}
	return n, err
}

func (a *arrivingBody) finish() { a.once.Do(a.done) }

// deadline gives each request over HTTP at most d: its database statements
// are cancelled when it passes (pgx cancels the query on the server; SQLite
// is interrupted). A websocket lives as long as its token instead.
func deadline(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// permissionsPolicy turns off the browser features no page of Onramp uses.
const permissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), " +
	"microphone=(), payment=(), usb=(), interest-cohort=()"

// securityHeaders sets the headers every response carries; hsts (the
// public URL is https) adds Strict-Transport-Security. The HTML pages add
// their Content-Security-Policy (internal/web).
func securityHeaders(hsts bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", permissionsPolicy)
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (and websocket hijacking) reach the
// underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests writes one structured line a request.
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		// The wizard's static files (hashed assets, the favicon) would
		// bury the requests that matter: they are DEBUG.
		level := slog.LevelInfo
		if strings.HasPrefix(r.URL.Path, "/assets/") || r.URL.Path == "/favicon.ico" {
			level = slog.LevelDebug
		}
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		a.Log.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}
