package apptest

// Mailed links (consent, password reset) and the partner accounts'
// operations.

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"onramp/ent"
	"onramp/ent/message"
	"onramp/internal/mail/smtptest"
	"onramp/internal/store"
	"onramp/internal/testkit"
)

// AccessLinkPattern and ResetLinkPattern find the token of a mailed access
// or reset link.
var (
	AccessLinkPattern = regexp.MustCompile(`https?://[^\s"<>]+/access\?token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)`)
	ResetLinkPattern  = regexp.MustCompile(`https?://[^\s"<>]+/reset-password\?token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)`)
)

// MailedToken waits for the n-th message to rcpt whose subject contains
// subject and returns the token of its link of pattern, and the message.
func MailedToken(t testing.TB, sink *smtptest.Sink, rcpt, subject string, n int, pattern *regexp.Regexp) (string, ParsedMail) {
	t.Helper()
	var found []ParsedMail
	testkit.Eventually(t, fmt.Sprintf("%d message(s) %q to %s", n, subject, rcpt), MailWait, func() (bool, string) {
		found = found[:0]
		for _, m := range sink.To(rcpt) {
			if p := ParseMail(t, m); strings.Contains(p.Subject, subject) {
				found = append(found, p)
			}
		}
		return len(found) >= n, sink.Summary()
	})
	p := found[n-1]
	m := pattern.FindStringSubmatch(p.Text)
	if m == nil {
		t.Fatalf("message %q to %s has no link like %s:\n%s", p.Subject, rcpt, pattern, p.Text)
	}
	if !strings.Contains(p.HTML, `href="`+m[0]+`"`) {
		t.Errorf("the HTML of %q has no button linking to %s", p.Subject, m[0])
	}
	return m[1], p
}

// MailedSubject waits for a message to rcpt whose subject contains subject.
func MailedSubject(t testing.TB, sink *smtptest.Sink, rcpt, subject string) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("a message %q to %s", subject, rcpt), MailWait, func() (bool, string) {
		for _, s := range Subjects(t, sink, rcpt) {
			if strings.Contains(s, subject) {
				return true, ""
			}
		}
		return false, sink.Summary()
	})
}

// OutboxToken reads the token of the newest message of kind to rcpt in the
// outbox (the app under test has no mail system, so the body is still
// there).
func (c *Server) OutboxToken(t testing.TB, kind message.Kind, rcpt string, pattern *regexp.Regexp) string {
	t.Helper()
	m, err := c.App.Store.Client.Message.Query().
		Where(message.KindEQ(kind), message.To(rcpt)).
		Order(ent.Desc(message.FieldCreatedAt), ent.Desc(message.FieldID)).
		First(store.System(context.Background()))
	if err != nil {
		t.Fatalf("no %s message to %s: %v", kind, rcpt, err)
	}
	found := pattern.FindStringSubmatch(m.TextBody)
	if found == nil {
		t.Fatalf("the %s message to %s has no link like %s:\n%s", kind, rcpt, pattern, m.TextBody)
	}
	return found[1]
}

// WaitOutboxToken waits for the reset job to put its message in the
// outbox (it runs in the background) and reads its token.
func (c *Server) WaitOutboxToken(t testing.TB, kind message.Kind, rcpt string, pattern *regexp.Regexp) string {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("a %s message to %s", kind, rcpt), MailWait, func() (bool, string) {
		n, err := c.App.Store.Client.Message.Query().Where(message.KindEQ(kind), message.To(rcpt)).Count(store.System(context.Background()))
		return err == nil && n > 0, fmt.Sprint(n, err)
	})
	return c.OutboxToken(t, kind, rcpt, pattern)
}

// The partner accounts' operations.
const (
	ResetRequestMutation = `mutation($email: String!) { requestPasswordReset(email: $email) { requested userErrors { code message field } } }`
	ResetMutation        = `mutation($p: String!) { resetPassword(password: $p) { token userErrors { code message field } } }`
	ChangeMutation       = `mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) { token userErrors { code message field } } }`
	SignOutMutation      = `mutation { signOut { signedOut userErrors { code } } }`
	WhoAmIQuery          = `{ viewer { kind email } }`
)

// SessionPayload is what the account mutations answer: a session token or
// the userErrors.
type SessionPayload struct {
	Token      *string     `json:"token"`
	UserErrors []UserError `json:"userErrors"`
}

// SessionCall runs one account mutation q (op is its field) as token.
func (c *Server) SessionCall(t testing.TB, token, q, op string, vars map[string]any) SessionPayload {
	t.Helper()
	var data map[string]SessionPayload
	c.GQL(t, token, q, vars).OK(t).Decode(t, &data)
	return data[op]
}

// RequestReset asks for a password reset link for email.
func (c *Server) RequestReset(t testing.TB, email string) (bool, []UserError) {
	t.Helper()
	var data struct {
		RequestPasswordReset struct {
			Requested  bool        `json:"requested"`
			UserErrors []UserError `json:"userErrors"`
		} `json:"requestPasswordReset"`
	}
	c.GQL(t, "", ResetRequestMutation, map[string]any{"email": email}).OK(t).Decode(t, &data)
	return data.RequestPasswordReset.Requested, data.RequestPasswordReset.UserErrors
}
