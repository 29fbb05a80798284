package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// outcomeLog writes one line for each job worked: its kind, id, attempt and
// duration, at INFO when it succeeded and at WARN (with the error) when it
// failed and will be retried or discarded. River's own lines about polling
// and maintenance stay at DEBUG.
type outcomeLog struct {
	river.MiddlewareDefaults
	log *slog.Logger
}

// Work implements rivertype.WorkerMiddleware.
func (m *outcomeLog) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	attrs := []any{"kind", job.Kind, "job_id", job.ID, "attempt", job.Attempt,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		m.log.WarnContext(ctx, "job failed", append(attrs, "error", err.Error(), "max_attempts", job.MaxAttempts)...)
		return err
	}
	m.log.InfoContext(ctx, "job done", attrs...)
	return nil
}

// quieter passes the job queue's own log lines on one level down when they
// are INFO (a client started, a producer's job counts changed): at the
// default level a person sees each job's outcome once, from outcomeLog, and
// River's warnings and errors as they are.
type quieter struct{ slog.Handler }

func (q quieter) level(l slog.Level) slog.Level {
	if l == slog.LevelInfo {
		return slog.LevelDebug
	}
	return l
}

// Enabled implements slog.Handler.
func (q quieter) Enabled(ctx context.Context, l slog.Level) bool {
	return q.Handler.Enabled(ctx, q.level(l))
}

// Handle implements slog.Handler.
func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	r.Level = q.level(r.Level)
	return q.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (q quieter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quieter{q.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (q quieter) WithGroup(name string) slog.Handler { return quieter{q.Handler.WithGroup(name)} }
