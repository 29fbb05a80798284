package jobs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/riverqueue/river/rivertype"
)

func TestOutcomeLogAndQuieterQueue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m := &outcomeLog{log: log}
	job := &rivertype.JobRow{ID: 7, Kind: "setup_email", Attempt: 2, MaxAttempts: 25}
	ctx := context.Background()

	if err := m.Work(ctx, job, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("smtp: connection refused")
	if err := m.Work(ctx, job, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Work returned %v, want the job's error", err)
	}
	river := slog.New(quieter{log.Handler()}).With("component", "jobs")
	river.Info("producer: Producer job counts")
	river.Debug("maintenance.QueueCleaner: Run loop started")
	river.Warn("jobexecutor: job panicked")

	out := buf.String()
	for _, want := range []string{
		`level=INFO msg="job done" kind=setup_email job_id=7 attempt=2`,
		`level=WARN msg="job failed" kind=setup_email job_id=7 attempt=2`,
		`error="smtp: connection refused"`,
		`level=WARN msg="jobexecutor: job panicked" component=jobs`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"Producer job counts", "QueueCleaner"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("the queue's %q shows at INFO:\n%s", unwanted, out)
		}
	}

	buf.Reset()
	debug := slog.New(quieter{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})})
	debug.Info("producer: Producer job counts")
	if !strings.Contains(buf.String(), "level=DEBUG") {
		t.Errorf("at DEBUG the queue's INFO lines show as DEBUG: %q", buf.String())
	}
}
