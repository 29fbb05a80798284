package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/riverqueue/river"

	"onramp/internal/auth"
)

// The prune job prunes the tokens, then each other domain's rows in turn;
// a failing prune fails the job (River retries it) and stops the rest.
func TestPruneWorkerRunsEveryPruneInTurn(t *testing.T) {
	_, a := open(t)
	var ran []string
	step := func(name string, err error) func(context.Context) error {
		return func(context.Context) error { ran = append(ran, name); return err }
	}
	job := &river.Job[auth.PruneArgs]{}
	w := &auth.PruneWorker{Auth: a, More: []func(context.Context) error{step("keys", nil), step("redeliveries", nil)}}
	if err := w.Work(context.Background(), job); err != nil {
		t.Fatalf("prune job: %v", err)
	}
	if !slices.Equal(ran, []string{"keys", "redeliveries"}) {
		t.Fatalf("ran %v, want keys then redeliveries", ran)
	}

	ran = nil
	failed := errors.New("the database went away")
	w.More = []func(context.Context) error{step("keys", failed), step("redeliveries", nil)}
	if err := w.Work(context.Background(), job); !errors.Is(err, failed) {
		t.Fatalf("prune job with a failing prune = %v, want its error", err)
	}
	if !slices.Equal(ran, []string{"keys"}) {
		t.Errorf("ran %v after a failure, want only keys", ran)
	}
}
