package startup

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"onramp/internal/store/storetest"
	"onramp/internal/testkit"
)

// TestThreeReplicasStartAtOnce starts three replicas at the same moment on
// a fresh PostgreSQL database: each must become ready (none may exit with
// a catalog collision such as pg_type_typname_nsp_index), and all must
// share one signing key (a token of one works on the others).
func TestThreeReplicasStartAtOnce(t *testing.T) {
	_, dbURL := storetest.PostgresLocation(t)
	bin := filepath.Join(t.TempDir(), "onramp")
	if out, err := exec.Command("go", "build", "-o", bin, "onramp").CombinedOutput(); err != nil {
		t.Fatalf("build onramp: %v\n%s", err, out)
	}
	type replica struct {
		cmd    *exec.Cmd
		base   string
		logs   *testkit.SyncBuffer
		exited chan error
	}
	var replicas []*replica
	var wg sync.WaitGroup
	for i := range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		r := &replica{base: "http://" + addr, logs: &testkit.SyncBuffer{}, exited: make(chan error, 1)}
		r.cmd = exec.Command(bin, "serve")
		r.cmd.Env = append(os.Environ(), "ONRAMP_ADDR="+addr, "ONRAMP_DATABASE_URL="+dbURL,
			"ONRAMP_PUBLIC_URL="+r.base, "ONRAMP_DATA_DIR="+filepath.Join(t.TempDir(), strconv.Itoa(i)),
			"ONRAMP_DEV=false", "ONRAMP_SHUTDOWN_TIMEOUT=3s")
		r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
		replicas = append(replicas, r)
	}
	// Started back to back, within milliseconds: each is still connecting
	// when the others begin to migrate.
	for _, r := range replicas {
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			r.exited <- r.cmd.Wait()
		})
	}
	t.Cleanup(func() {
		for _, r := range replicas {
			if r.cmd.Process != nil {
				_ = r.cmd.Process.Signal(syscall.SIGTERM)
			}
		}
		wg.Wait()
	})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, r := range replicas {
		for {
			select {
			case err := <-r.exited:
				t.Fatalf("replica %d exited during start: %v\n%s", i, err, r.logs)
			case <-ctx.Done():
				t.Fatalf("replica %d not ready within a minute\n%s", i, r.logs)
			case <-time.After(50 * time.Millisecond):
			}
			resp, err := http.Get(r.base + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
	}
	// One signing key for all: the operator token printed by the command
	// line (the keys in the database) works on each replica.
	out, err := exec.Command(bin, "token", "operator", "--database-url", dbURL).Output()
	if err != nil {
		t.Fatalf("token operator: %v", err)
	}
	token := string(bytes.TrimSpace(out))
	for i, r := range replicas {
		req, _ := http.NewRequest(http.MethodPost, r.base+"/graphql", bytes.NewReader([]byte(`{"query":"{ viewer { kind } }"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if !bytes.Contains(body.Bytes(), []byte(`"OPERATOR"`)) {
			t.Errorf("replica %d answered %s", i, body.String())
		}
	}
}
