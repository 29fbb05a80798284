package mail

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/riverqueue/river"

	"onramp/ent"
	"onramp/ent/message"
	"onramp/internal/gid"
	"onramp/internal/jobs"
	"onramp/internal/store"
)

// Outbox keeps messages until they are delivered.
type Outbox struct {
	Queue *jobs.Queue
}

// Draft is a message to send.
type Draft struct {
	Kind    Kind
	To      string
	Lang    string
	Data    Data
	OrderID gid.ID
}

// deliveryAttempts bounds the retries of one message; with retries capped at
// five minutes apart this is over a month of trying.
const deliveryAttempts = 10_000

// Send renders d and puts it in the outbox with its delivery job, in the
// transaction of ctx: the message exists, and will be delivered, if and only
// if that transaction commits.
func (o *Outbox) Send(ctx context.Context, d Draft) (*ent.Message, error) {
	client := store.Tx(ctx)
	if client == nil {
		return nil, errors.New("mail: Send needs a transaction (store.InTx)")
	}
	r, err := Render(d.Kind, d.Lang, d.Data)
	if err != nil {
		return nil, err
	}
	sys := store.System(ctx)
	c := client.Message.Create().
		SetKind(message.Kind(d.Kind)).
		SetTo(d.To).
		SetSubject(r.Subject).
		SetTextBody(r.Text).
		SetHTMLBody(r.HTML)
	if d.OrderID != "" {
		c.SetOrderID(d.OrderID)
	}
	m, err := c.Save(sys)
	if err != nil {
		return nil, err
	}
	err = o.Queue.Enqueue(ctx, DeliverArgs{MessageID: m.ID}, &river.InsertOpts{
		MaxAttempts: deliveryAttempts,
		UniqueOpts:  jobs.Once(),
	})
	return m, err
}

// DeliverArgs is the job that delivers one message of the outbox.
type DeliverArgs struct {
	MessageID gid.ID `json:"message_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "deliver_message" }

// DeliverWorker delivers messages. A message is marked SENT only after the
// mail system accepted it; a crash in between sends it again, with the same
// Message-ID, so receivers can tell the duplicate.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Store *store.Store
	// Sender delivers; nil keeps every message queued (no SMTP configured
	// outside dev mode).
	Sender Sender
	From   string
	// Host names the Message-ID's domain (the public URL's host).
	Host string
	// RetainBodies keeps the bodies of sent messages (dev mode's viewer);
	// otherwise they are cleared once sent, since they may carry a link.
	RetainBodies bool
	// Delivered runs in the transaction that marks a message SENT.
	Delivered func(ctx context.Context, m *ent.Message) error
	Now       func() time.Time
}

// Work implements river.Worker.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	sys := store.System(ctx)
	m, err := w.Store.Client.Message.Get(sys, job.Args.MessageID)
	if ent.IsNotFound(err) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if m.Status != message.StatusQUEUED {
		return nil // sent before a crash, or cancelled with its order
	}
	if w.Sender == nil {
		return river.JobSnooze(time.Minute)
	}
	err = w.Sender.Send(ctx, Envelope{
		From: w.From, To: m.To, Subject: m.Subject, Text: m.TextBody, HTML: m.HTMLBody,
		MessageID: "<" + string(m.ID) + "@" + w.Host + ">", Date: m.CreatedAt,
	})
	if err != nil {
		return err
	}
	// The mail system has the message: record it even when the job is being
	// cancelled (a shutdown), or the message would be sent again.
	rec, cancel := context.WithTimeout(context.WithoutCancel(sys), 30*time.Second)
	defer cancel()
	return w.Store.InTx(rec, func(ctx context.Context) error {
		u := ent.FromContext(ctx).Message.Update().
			Where(message.ID(m.ID), message.StatusEQ(message.StatusQUEUED)).
			SetStatus(message.StatusSENT).
			SetSentAt(w.now())
		if !w.RetainBodies {
			u.SetTextBody("").SetHTMLBody("")
		}
		n, err := u.Save(ctx)
		if err != nil || n == 0 || w.Delivered == nil {
			return err
		}
		return w.Delivered(ctx, m)
	})
}

// NextRetry retries quickly at first, then every five minutes: an SMTP
// outage delays mail but never exhausts its attempts within a month.
func (w *DeliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	d := time.Duration(math.Min(math.Pow(2, float64(job.Attempt)), 300)) * time.Second
	return w.now().Add(d)
}

func (w *DeliverWorker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}
