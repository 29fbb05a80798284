package faults_test

// The harness: the onramp binary built once, servers run as child
// processes, a GraphQL client over HTTP and websockets, and the wizard
// driven step by step the way the browser drives it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"onramp/internal/mail/smtptest"
	"onramp/internal/testkit"
)

// binary is the onramp executable every test runs.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "onramp-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "onramp")
	build := exec.Command("go", "build", "-o", binary, "onramp")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "faults: these tests run the onramp binary, and building it failed: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// server is one `onramp serve` process; start may run it again after it
// ended, on the same address, data and database.
type server struct {
	t    *testing.T
	name string
	addr string
	base string
	env  []string
	logs *testkit.SyncBuffer

	cmd    *exec.Cmd
	exited chan struct{}
	state  *os.ProcessState
}

// newServer configures a server on dataDir (SQLite) or databaseURL
// (PostgreSQL when not empty); settings are more ONRAMP_* variables.
func newServer(t *testing.T, name, dataDir, databaseURL string, settings ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{t: t, name: name, addr: addr, base: "http://" + addr, logs: &testkit.SyncBuffer{}}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ONRAMP_") {
			s.env = append(s.env, kv)
		}
	}
	s.env = append(s.env,
		"ONRAMP_ADDR="+addr,
		"ONRAMP_PUBLIC_URL="+s.base,
		"ONRAMP_DATA_DIR="+dataDir,
		"ONRAMP_DATABASE_URL="+databaseURL,
		"ONRAMP_DEV=false",
		"ONRAMP_JOB_POLL_INTERVAL=200ms",
		"ONRAMP_JOB_RESCUE_AFTER=10s",
		"ONRAMP_SHUTDOWN_TIMEOUT=5s",
	)
	s.env = append(s.env, settings...)
	t.Cleanup(func() {
		if s.running() {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("log of %s (last 6000 bytes):\n%s", s.name, tail(s.logs.String(), 6000))
		}
	})
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// start runs `onramp serve` and waits until /readyz answers 200.
func (s *server) start() {
	s.t.Helper()
	if s.running() {
		s.t.Fatalf("%s is already running", s.name)
	}
	fmt.Fprintf(s.logs, "--- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(binary, "serve")
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.name, err)
	}
	s.cmd, s.exited, s.state = cmd, make(chan struct{}), nil
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		s.state = cmd.ProcessState
		close(exited)
	}(s.exited)
	s.waitReady(60 * time.Second)
}

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// waitReady waits until /readyz answers 200, failing if the process ends.
func (s *server) waitReady(timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if !s.running() {
			s.t.Fatalf("%s exited (%v) before it was ready", s.name, s.state)
		}
		code, body := s.get("/readyz")
		if code == http.StatusOK {
			return
		}
		last = fmt.Sprintf("%d %s", code, body)
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("%s not ready after %s (last /readyz: %s)", s.name, timeout, last)
}

// get fetches path; code 0 means no answer.
func (s *server) get(path string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(s.base + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (s *server) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatalf("kill %s: %v", s.name, err)
	}
	<-s.exited
	fmt.Fprintf(s.logs, "--- killed %s\n", time.Now().Format(time.RFC3339Nano))
}

// terminate sends SIGTERM and returns how long the process took to exit,
// failing if it has not exited within limit.
func (s *server) terminate(limit time.Duration) time.Duration {
	s.t.Helper()
	t0 := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM %s: %v", s.name, err)
	}
	select {
	case <-s.exited:
		return time.Since(t0)
	case <-time.After(limit):
		s.t.Fatalf("%s still runs %s after SIGTERM", s.name, limit)
		return 0
	}
}

// cli runs another onramp command with the server's settings and returns
// its output.
func (s *server) cli(args ...string) string {
	s.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("onramp %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// operator prints an operator token with the server's keys.
func (s *server) operator() string { return s.cli("token", "operator", "--ttl", "2h") }

// --- GraphQL over HTTP -----------------------------------------------------------------------

type gqlResponse = testkit.Response

// gql posts one operation through the tests' shared client; the error is a
// transport failure (no answer, or an answer that is not GraphQL).
func (s *server) gql(token, query string, vars map[string]any) (gqlResponse, error) {
	c := testkit.Client{URL: s.base, HTTP: &http.Client{Timeout: 20 * time.Second}}
	return c.Post(context.Background(), token, query, vars)
}

// must runs an operation that must succeed and decodes its data into out.
func (s *server) must(token, query string, vars map[string]any, out any) {
	s.t.Helper()
	r, err := s.gql(token, query, vars)
	if err != nil {
		s.t.Fatalf("%s: %v", firstLine(query), err)
	}
	if len(r.Errors) > 0 {
		s.t.Fatalf("%s: errors %+v", firstLine(query), r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			s.t.Fatalf("%s: decode %s: %v", firstLine(query), r.Data, err)
		}
	}
}

func firstLine(q string) string {
	q, _, _ = strings.Cut(strings.TrimSpace(q), "\n")
	return q
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

const placeOrderMutation = `mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id status } userErrors { field message code } } }`

// orderInput is an order of its own partner account, starting today, whose
// provisioning contact is contact.
func orderInput(externalID, account, contact string) map[string]any {
	return map[string]any{
		"externalId":               externalID,
		"product":                  "A_WX",
		"requestedStartDate":       time.Now().UTC().Format(time.DateOnly),
		"provisioningContactEmail": contact,
		"partner":                  map[string]any{"name": "Partner " + account, "accountId": account},
		"customer": map[string]any{
			"name": "Customer of " + account, "country": "RS",
			"address": map[string]any{"line1": "Bulevar 1", "city": "Beograd", "postalCode": "11000"},
		},
		"services": []any{
			map[string]any{"kind": "MEETINGS", "quantity": 10},
			map[string]any{"kind": "CALLING", "quantity": 5},
		},
	}
}

// place runs placeOrder; the error covers transport failures, top-level
// errors and userErrors alike.
func (s *server) place(token string, input map[string]any) (string, error) {
	r, err := s.gql(token, placeOrderMutation, map[string]any{"input": input})
	if err != nil {
		return "", err
	}
	if len(r.Errors) > 0 {
		return "", fmt.Errorf("placeOrder: %+v", r.Errors)
	}
	var d struct {
		PlaceOrder struct {
			Order      *struct{ ID string } `json:"order"`
			UserErrors []userError          `json:"userErrors"`
		} `json:"placeOrder"`
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return "", err
	}
	if len(d.PlaceOrder.UserErrors) > 0 || d.PlaceOrder.Order == nil {
		return "", fmt.Errorf("placeOrder: userErrors %+v", d.PlaceOrder.UserErrors)
	}
	return d.PlaceOrder.Order.ID, nil
}

// --- the wizard ------------------------------------------------------------------------------

// progress is where an order's setup stands, and what the server says
// comes next: the harness keeps no step order of its own.
type progress struct {
	Status          string   `json:"status"`
	Step            string   `json:"step"`
	Steps           []string `json:"steps"`
	Next            string   `json:"next"`
	MissingSettings []string `json:"missingSettings"`
}

// rank orders progress along the setup's own steps; a provisioned order
// ranks highest.
func (p progress) rank() int {
	if p.Status == "PROVISIONED" {
		return 100
	}
	if p.Status == "LINK_SENT" || p.Status == "PLACED" {
		return -1 // setup not started
	}
	return slices.Index(p.Steps, p.Step)
}

const sessionQuery = `{ setup { step steps next missingSettings order { status } } }`

const sessionFields = `setup { step steps next missingSettings order { status } } userErrors { field message code }`

var wizardCalls = map[string]string{
	"startSetup":             `mutation { startSetup { ` + sessionFields + ` } }`,
	"chooseRole":             `mutation($role: SetupRole!) { chooseRole(role: $role) { ` + sessionFields + ` } }`,
	"assignSetup":            `mutation($input: AssignSetupInput!) { assignSetup(input: $input) { ` + sessionFields + ` } }`,
	"confirmPartnerOrg":      `mutation($input: PartnerOrgInput!) { confirmPartnerOrg(input: $input) { ` + sessionFields + ` } }`,
	"setCustomerAdmin":       `mutation($email: String!) { setCustomerAdmin(email: $email) { ` + sessionFields + ` } }`,
	"confirmCustomerOrg":     `mutation($input: CustomerOrgInput!) { confirmCustomerOrg(input: $input) { ` + sessionFields + ` } }`,
	"confirmOrgs":            `mutation { confirmOrgs { ` + sessionFields + ` } }`,
	"setPartnerPassword":     `mutation($password: String!) { setPartnerPassword(password: $password) { ` + sessionFields + ` } }`,
	"saveCallSettings":       `mutation($input: CallSettingsInput!) { saveCallSettings(input: $input) { ` + sessionFields + ` } }`,
	"saveEnterpriseSettings": `mutation($subdomain: String!) { saveEnterpriseSettings(subdomain: $subdomain) { ` + sessionFields + ` } }`,
	"provision":              `mutation($key: String) { provision(idempotencyKey: $key) { order { status step } userErrors { field message code } } }`,
}

func address() map[string]any {
	return map[string]any{"line1": "Knez Mihailova 10", "city": "Beograd", "postalCode": "11000"}
}

// nextCall is the wizard's next mutation and its variables for an order
// whose setup stands at p; name makes the organization, admin and
// subdomain of this order unique.
func nextCall(p progress, name string) (string, map[string]any) {
	if p.Status == "LINK_SENT" || p.Status == "PLACED" {
		return "startSetup", nil
	}
	switch p.Next {
	case "chooseRole":
		return p.Next, map[string]any{"role": "PARTNER"}
	case "assignSetup":
		return p.Next, map[string]any{"input": map[string]any{"assignee": "SELF"}}
	case "confirmPartnerOrg":
		return p.Next, map[string]any{"input": map[string]any{"name": "Partner " + name, "country": "RS", "address": address()}}
	case "setCustomerAdmin":
		return p.Next, map[string]any{"email": "admin@" + name + ".customer.example"}
	case "confirmCustomerOrg":
		return p.Next, map[string]any{"input": map[string]any{}}
	case "confirmOrgs":
		return p.Next, nil
	case "setPartnerPassword":
		return p.Next, map[string]any{"password": "Tri-Kratka-Reci-2026!"}
	case "saveCallSettings":
		return p.Next, map[string]any{"input": map[string]any{
			"timeZone": "Europe/Belgrade", "announcementLanguage": "sr_RS", "emailLanguage": "en_US",
			"locationName": "Headquarters", "address": address(),
		}}
	case "saveEnterpriseSettings":
		return p.Next, map[string]any{"subdomain": name}
	case "provision":
		return p.Next, map[string]any{"key": "provision-" + name}
	}
	return "", nil
}

// wizardSession reads where the setup of link's order stands.
func (s *server) wizardSession(link string) (progress, error) {
	r, err := s.gql(link, sessionQuery, nil)
	if err != nil {
		return progress{}, err
	}
	if len(r.Errors) > 0 {
		return progress{}, fmt.Errorf("setup: %+v", r.Errors)
	}
	var d struct {
		Setup struct {
			progress
			Order struct{ Status string }
		} `json:"setup"`
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return progress{}, err
	}
	p := d.Setup.progress
	p.Status = d.Setup.Order.Status
	return p, nil
}

// wizardStep runs the next wizard call for an order at p and returns the
// progress it answered: committed, once this returns without error.
func (s *server) wizardStep(link string, p progress, name string) (progress, error) {
	op, vars := nextCall(p, name)
	if op == "" {
		return p, fmt.Errorf("no wizard call for %+v", p)
	}
	r, err := s.gql(link, wizardCalls[op], vars)
	if err != nil {
		return p, err
	}
	if len(r.Errors) > 0 {
		return p, fmt.Errorf("%s: %+v", op, r.Errors)
	}
	var d map[string]struct {
		Setup *struct {
			progress
			Order struct{ Status string }
		} `json:"setup"`
		Order *struct {
			Status string
			Step   string
		} `json:"order"`
		UserErrors []userError `json:"userErrors"`
	}
	if err := json.Unmarshal(r.Data, &d); err != nil {
		return p, err
	}
	res := d[op]
	if len(res.UserErrors) > 0 {
		return p, fmt.Errorf("%s: userErrors %+v", op, res.UserErrors)
	}
	switch {
	case res.Setup != nil:
		next := res.Setup.progress
		next.Status = res.Setup.Order.Status
		return next, nil
	case res.Order != nil:
		return progress{Status: res.Order.Status, Step: res.Order.Step, Steps: p.Steps}, nil
	}
	return p, fmt.Errorf("%s answered neither a session nor an order: %s", op, r.Data)
}

// finishSetup takes link's order to PROVISIONED from wherever it stands.
func (s *server) finishSetup(link, name string) error {
	p, err := s.wizardSession(link)
	if err != nil {
		return err
	}
	for range 20 {
		if p.Status == "PROVISIONED" {
			return nil
		}
		if p, err = s.wizardStep(link, p, name); err != nil {
			return err
		}
	}
	return fmt.Errorf("still %+v after 20 calls", p)
}

// --- mail --------------------------------------------------------------------------------------

var linkPattern = regexp.MustCompile(`/setup\?token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)`)

// received is a message as the SMTP server got it, decoded.
type received struct {
	MessageID string
	To        []string
	Text      string
}

func decode(m smtptest.Message) (received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	if err != nil {
		return received{}, err
	}
	r := received{MessageID: msg.Header.Get("Message-Id"), To: m.To}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return r, err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			b, err := io.ReadAll(part) // quoted-printable is decoded by the reader
			if err != nil {
				return r, err
			}
			r.Text = string(b)
		}
	}
}

// setupLinkFor waits until the sink has a message to rcpt with a setup link
// and returns the link's token.
func setupLinkFor(ctx context.Context, sink *smtptest.Sink, rcpt string) (string, error) {
	for {
		for _, m := range sink.To(rcpt) {
			r, err := decode(m)
			if err != nil {
				return "", err
			}
			if t := linkPattern.FindStringSubmatch(r.Text); t != nil {
				return t[1], nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no setup link to %s: %w (%s)", rcpt, ctx.Err(), sink.Summary())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// --- websockets ----------------------------------------------------------------------------

// statusEvent is one orderStatusChanged event, or how the socket ended.
type statusEvent struct {
	Status string
	Err    error
}

// subscribe opens a graphql-transport-ws socket with token and subscribes
// to the order's status; events arrive on the channel until the socket
// ends, whose error is the last event.
func (s *server) subscribe(ctx context.Context, token, orderID string) (<-chan statusEvent, error) {
	c := testkit.Client{URL: s.base}
	conn, in, err := c.Subscribe(ctx, token, `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status step } }`,
		map[string]any{"id": orderID})
	if err != nil {
		return nil, err
	}
	events := make(chan statusEvent, 64)
	go func() {
		defer close(events)
		defer conn.CloseNow()
		for e := range in {
			var p struct {
				OrderStatusChanged struct{ Status string } `json:"orderStatusChanged"`
			}
			switch {
			case e.Complete:
				events <- statusEvent{Err: errors.New("subscription complete")}
				return
			case e.Err != nil:
				events <- statusEvent{Err: e.Err}
				return
			case e.Decode(&p) == nil:
				events <- statusEvent{Status: p.OrderStatusChanged.Status}
			}
		}
	}()
	return events, nil
}

// nextStatus waits for the next event; a socket that ended is an error.
func nextStatus(t *testing.T, events <-chan statusEvent, timeout time.Duration) string {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the subscription ended")
		}
		if e.Err != nil {
			t.Fatalf("the subscription ended: %v", e.Err)
		}
		return e.Status
	case <-time.After(timeout):
		t.Fatalf("no status event within %s", timeout)
		return ""
	}
}
