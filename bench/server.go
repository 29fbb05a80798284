package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/oklog/ulid/v2"

	"onramp/ent/order"
	"onramp/ent/schema/schematype"
	"onramp/ent/subscription"
	"onramp/internal/app"
	"onramp/internal/gid"
)

// child is `onramp serve` running as a child process on the bench's data
// directory and a free loopback port.
type child struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	log  string
}

// startServer runs bin serve on dataDir (or the PostgreSQL database at
// databaseURL, when not empty) with the bench routes on, and waits until it
// is ready. env adds or overrides ONRAMP_* settings (the webhook rows run
// it in dev mode).
func startServer(ctx context.Context, bin, dataDir, databaseURL string, env ...string) (*child, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	logPath := filepath.Join(dataDir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir, "--public-url", "http://"+addr)
	// Outside dev mode (as in production) unless env says otherwise; no SMTP server, so mail stays
	// queued. The Go runtime raises the child's open-file limit to the hard
	// limit by itself, enough for the fan-out's sockets.
	cmd.Env = append(os.Environ(), app.BenchRoutesEnv+"=1", "ONRAMP_DEV=false", "ONRAMP_DATABASE_URL="+databaseURL,
		// The bench is the load balancer: each caller's forwarded address
		// counts (see forwardedFor).
		"ONRAMP_TRUSTED_PROXIES=127.0.0.1/32")
	cmd.Env = append(cmd.Env, env...) // the last value of a key wins
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &child{cmd: cmd, base: "http://" + addr, log: logPath}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(c.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return c, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.stop()
			return nil, fmt.Errorf("server not ready after 60 s (log: %s)", logPath)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop shuts the server down gracefully (SIGTERM) and waits for it.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// rss is the child's resident set size (VmRSS of /proc/PID/status).
func (c *child) rss() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "123456 kB"
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", c.cmd.Process.Pid)
}

// seedOrders writes n orders (with their subscriptions) straight into the
// database in one transaction with prepared statements: far faster than
// placing them through the API, and the server under test reads them as its
// own. They spread over 100 partner accounts and one creation a second up
// to now, with ids in creation order, as placed orders have.
func seedOrders(ctx context.Context, db *sql.DB, n int) error {
	addr, _ := json.Marshal(schematype.Address{Line1: "Main 1", City: "Beograd", PostalCode: "11000"})
	services, _ := json.Marshal([]schematype.PurchasedService{{Kind: schematype.Meetings, Quantity: 10}, {Kind: schematype.Calling, Quantity: 5}})
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	orderCols := []string{
		order.FieldID, order.FieldCreatedAt, order.FieldUpdatedAt, order.FieldExternalID, order.FieldProduct,
		order.FieldRequestedStartDate, order.FieldProvisioningContactEmail, order.FieldLanguage,
		order.FieldPartnerName, order.FieldPartnerAccountID, order.FieldCustomerName, order.FieldCustomerCountry,
		order.FieldCustomerAddress, order.FieldStatus, order.FieldStep, order.FieldInputDigest,
		order.FieldHandedToCustomer, order.FieldCreatedPartnerOrg,
	}
	subCols := []string{
		subscription.FieldID, subscription.FieldCreatedAt, subscription.FieldUpdatedAt,
		subscription.FieldServices, subscription.FieldStatus, subscription.FieldOrderID,
	}
	insOrder, err := tx.PrepareContext(ctx, insertSQL(order.Table, orderCols))
	if err != nil {
		return err
	}
	insSub, err := tx.PrepareContext(ctx, insertSQL(subscription.Table, subCols))
	if err != nil {
		return err
	}
	statuses := []order.Status{order.StatusPLACED, order.StatusLINK_SENT, order.StatusIN_SETUP}
	entropy := rand.NewChaCha8([32]byte{1})
	first := time.Now().Add(-time.Duration(n) * time.Second)
	for i := range n {
		at := first.Add(time.Duration(i) * time.Second)
		id := gid.ID(gid.Order + "_" + strings.ToLower(ulid.MustNew(ulid.Timestamp(at), entropy).String()))
		sid := gid.ID(gid.Subscription + "_" + strings.ToLower(ulid.MustNew(ulid.Timestamp(at), entropy).String()))
		account := fmt.Sprintf("S%02d", i%100)
		if _, err := insOrder.ExecContext(ctx, id, at, at, fmt.Sprintf("SEED-%07d", i), order.ProductA_WX,
			at.UTC().Format("2006-01-02"), "setup@partner.example", order.LanguageEn,
			"Seed Partner "+account, account, fmt.Sprintf("Customer %d", i), "RS", addr,
			statuses[i%len(statuses)], order.StepROLE, "seed", false, false); err != nil {
			return fmt.Errorf("seed order %d: %w", i, err)
		}
		if _, err := insSub.ExecContext(ctx, sid, at, at, services, subscription.StatusPENDING, id); err != nil {
			return fmt.Errorf("seed subscription %d: %w", i, err)
		}
	}
	return tx.Commit()
}

func insertSQL(table string, cols []string) string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	return fmt.Sprintf("INSERT INTO %q (%s) VALUES (%s)", table, strings.Join(cols, ", "), marks)
}
