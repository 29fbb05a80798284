package apptest

// Mail and jobs: the stub clock's epoch, a real SMTP server's messages
// decoded, and the app's River jobs.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"onramp/internal/app"
	"onramp/internal/clock"
	"onramp/internal/mail/smtptest"
	"onramp/internal/testkit"
)

// MailEpoch is "now" at the start of every test with a stub clock: 09:00 UTC on the day
// orders placed "today" start. It lies ahead of the wall clock (the next
// day's morning) on purpose: River's stuck-job rescuer and job cleaner
// compare the stubbed job times with the wall clock, so with a stub more than
// five minutes behind it a job that happens to be running when the rescuer
// runs is taken for stuck and retried.
var MailEpoch = func() time.Time {
	d := time.Now().UTC().AddDate(0, 0, 1)
	return time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, time.UTC)
}()

// MailDay returns the start (00:00 UTC) of the day n days after MailEpoch's,
// plus extra.
func MailDay(n int, extra time.Duration) time.Time {
	return time.Date(MailEpoch.Year(), MailEpoch.Month(), MailEpoch.Day()+n, 0, 0, 0, 0, time.UTC).Add(extra)
}

const (
	// MailWait bounds every wait for a job: River's scheduler moves a due
	// job to available within about five seconds.
	MailWait = 15 * time.Second
	// QuietPeriod is how long a test watches that nothing more happens.
	QuietPeriod = 1500 * time.Millisecond
)

// Holds checks that cond stays true for d (that nothing more happens).
func Holds(t testing.TB, what string, d time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if ok, detail := cond(); !ok {
			t.Fatalf("%s no longer Holds: %s", what, detail)
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// WaitTo waits until n messages were accepted for rcpt and returns them.
func WaitTo(t testing.TB, s *smtptest.Sink, rcpt string, n int) []smtptest.Message {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d message(s) to %s", n, rcpt), MailWait, func() (bool, string) {
		return len(s.To(rcpt)) >= n, s.Summary()
	})
	got := s.To(rcpt)
	if len(got) != n {
		t.Fatalf("want %d message(s) to %s, got %d", n, rcpt, len(got))
	}
	return got
}

// ParsedMail is a received message, decoded.
type ParsedMail struct {
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

// ParseMail decodes a multipart/alternative message as Onramp sends it.
func ParseMail(t testing.TB, m smtptest.Message) ParsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, m.Raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	out := ParsedMail{Header: msg.Header, Subject: subject}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("MIME part: %v", err)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("MIME part: %v", err)
		}
		body := strings.ReplaceAll(string(b), "\r\n", "\n")
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.Text = body
		case "text/html":
			out.HTML = body
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	if out.Text == "" || out.HTML == "" {
		t.Fatalf("message lacks a text or HTML part:\n%s", m.Raw)
	}
	return out
}

// JobsOf lists an app's jobs of kind whose arguments name one of ids (all
// of kind when ids is empty).
func JobsOf(t testing.TB, a *app.App, kind string, ids ...string) []*rivertype.JobRow {
	t.Helper()
	res, err := a.Jobs.Client().JobList(context.Background(), river.NewJobListParams().Kinds(kind).First(1000))
	if err != nil {
		t.Fatalf("list %s jobs: %v", kind, err)
	}
	var out []*rivertype.JobRow
	for _, j := range res.Jobs {
		if len(ids) == 0 || slices.ContainsFunc(ids, func(id string) bool {
			return bytes.Contains(j.EncodedArgs, []byte(`"`+id+`"`))
		}) {
			out = append(out, j)
		}
	}
	return out
}

// Subjects lists the Subjects of what rcpt received, in order.
func Subjects(t testing.TB, sink *smtptest.Sink, rcpt string) []string {
	t.Helper()
	var out []string
	for _, m := range sink.To(rcpt) {
		out = append(out, ParseMail(t, m).Subject)
	}
	return out
}

// WantSubjects waits until rcpt has received n messages, Holds that for a
// moment (nothing more arrives), and checks that each part is in the
// subject of one message, each message matched once (messages are
// delivered by separate jobs, so two queued together may arrive in either
// order).
func WantSubjects(t testing.TB, sink *smtptest.Sink, rcpt string, parts ...string) {
	t.Helper()
	if len(parts) > 0 {
		WaitTo(t, sink, rcpt, len(parts))
	}
	Holds(t, "no more mail to "+rcpt, QuietPeriod, func() (bool, string) {
		return len(sink.To(rcpt)) == len(parts), strings.Join(Subjects(t, sink, rcpt), " | ")
	})
	got := Subjects(t, sink, rcpt)
	used := make([]bool, len(got))
	for _, p := range parts {
		found := false
		for i, g := range got {
			if !used[i] && strings.Contains(g, p) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no message to %s contains %q: %s", rcpt, p, strings.Join(got, " | "))
		}
	}
}

// StartWithMail runs the app with the stub clock at MailEpoch and a real
// SMTP server that accepts everything it sends.
func StartWithMail(t testing.TB) (*Server, *smtptest.Sink, *clock.Stub) {
	t.Helper()
	sink := smtptest.Start(t, "127.0.0.1:0")
	clk := clock.NewStub(MailEpoch)
	s := Start(t, Options{Clock: clk, Configure: func(c *app.Config) { c.SMTPURL = sink.URL() }})
	return s, sink, clk
}
