package mail_test

import (
	"context"
	"testing"

	"github.com/riverqueue/river"

	"onramp/ent/message"
	"onramp/internal/mail"
	"onramp/internal/store"
	"onramp/internal/store/storetest"
)

// acceptThenCancel is a mail system that accepts the message, after which
// the job is cancelled (a shutdown at that very moment).
type acceptThenCancel struct {
	cancel context.CancelFunc
	sent   int
}

func (s *acceptThenCancel) Send(context.Context, mail.Envelope) error {
	s.sent++
	s.cancel()
	return nil
}

// A message the mail system accepted is recorded as sent even when the job
// is cancelled right after: otherwise its retry would send it again.
func TestAcceptedMessageIsRecordedWhenTheJobIsCancelled(t *testing.T) {
	st := storetest.Open(t)
	sys := store.System(context.Background())
	m, err := st.Client.Message.Create().SetKind(message.KindESCALATION).SetTo("cs@onramp.example").
		SetSubject("Subject").SetTextBody("Text").SetHTMLBody("<p>Text</p>").Save(sys)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sender := &acceptThenCancel{cancel: cancel}
	w := &mail.DeliverWorker{Store: st, Sender: sender, From: "Onramp <onramp@onramp.example>", Host: "onramp.example"}
	job := &river.Job[mail.DeliverArgs]{Args: mail.DeliverArgs{MessageID: m.ID}}
	if err := w.Work(ctx, job); err != nil {
		t.Fatalf("Work: %v", err)
	}
	if err := w.Work(context.Background(), job); err != nil { // River's retry
		t.Fatalf("Work again: %v", err)
	}
	got, err := st.Client.Message.Get(sys, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != message.StatusSENT || sender.sent != 1 {
		t.Fatalf("status %s after %d sends, want SENT after 1", got.Status, sender.sent)
	}
}
