package webhooks

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDeliveriesNeverReachInsideTheNetwork: outside dev mode the delivery
// client refuses every address inside the network after DNS resolution,
// so a public-looking name that resolves to one (here "localhost") cannot
// be used to reach it; in dev mode local receivers work.
func TestDeliveriesNeverReachInsideTheNetwork(t *testing.T) {
	reached := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, u := range []string{srv.URL, "http://localhost" + port, "http://[::ffff:127.0.0.1]" + port, "http://0.0.0.0" + port, "http://[::]" + port} {
		_, err := deliveryClient(false, 2*time.Second).Post(u, "application/json", strings.NewReader("{}"))
		if !errors.Is(err, errUnsafeAddress) {
			t.Errorf("POST %s outside dev mode: %v, want the unsafe-address refusal", u, err)
		}
	}
	if reached {
		t.Fatal("the receiver inside the network was reached")
	}
	res, err := deliveryClient(true, 2*time.Second).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil || !reached {
		t.Fatalf("dev mode: %v (reached %v), want the local receiver reached", err, reached)
	}
	res.Body.Close()
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		dev bool
		ok  bool
	}{
		{"https://hooks.partner.example/onramp", false, true},
		{"https://203.0.113.7/x", false, true},
		{"http://hooks.partner.example/onramp", false, false},
		{"http://127.0.0.1:8080/x", true, true},
		{"https://127.0.0.1/x", false, false},
		{"https://10.0.0.1/x", false, false},
		{"https://172.16.5.4/x", false, false},
		{"https://192.168.1.1/x", false, false},
		{"https://169.254.169.254/x", false, false},
		{"https://100.64.0.1/x", false, false},
		{"https://[fe80::1]/x", false, false},
		{"https://[fc00::1]/x", false, false},
		{"https://metadata.internal/x", false, false},
		{"https://a@hooks.partner.example/x", false, false},
		{"ftp://hooks.partner.example/x", true, false},
		{"/relative", true, false},
		// Spellings of inside addresses (security review, finding 12).
		{"https://localhost./x", false, false},
		{"https://LOCALHOST/x", false, false},
		{"https://api.localhost./x", false, false},
		{"https://2130706433/x", false, false},        // decimal 127.0.0.1
		{"https://0x7f000001/x", false, false},        // hex
		{"https://0x7f.0.0.1/x", false, false},        // hex part
		{"https://0177.0.0.1/x", false, false},        // octal part
		{"https://127.1/x", false, false},             // short form
		{"https://017700000001/x", false, false},      // octal whole
		{"https://[64:ff9b::7f00:1]/x", false, false}, // NAT64 of 127.0.0.1
		{"https://[64:ff9b:1::a00:1]/x", false, false},
		{"https://[2002:7f00:1::]/x", false, false}, // 6to4 of 127.0.0.1
		{"https://[::127.0.0.1]/x", false, false},   // IPv4-compatible
		{"https://0.0.0.0/x", false, false},
		{"https://0.1.2.3/x", false, false},
		{"https://198.18.0.1/x", false, false},
		{"https://240.0.0.1/x", false, false},
		{"https://255.255.255.255/x", false, false},
		{"https://192.0.0.1/x", false, false},
		{"https://[2001:db8::1]/x", false, false},
		{"https://[100::1]/x", false, false},
		{"https://1.1.1.1/x", false, true},
		{"https://[2606:4700:4700::1111]/x", false, true},
		{"https://hooks-2130706433.partner.example/x", false, true},
	} {
		if got := checkURL(tc.url, tc.dev) == ""; got != tc.ok {
			t.Errorf("checkURL(%q, dev %v) accepted = %v, want %v", tc.url, tc.dev, got, tc.ok)
		}
	}
}

// TestSignature: the v1 signature is the HMAC-SHA256 of "<t>.<body>" keyed
// with the secret's bytes, as a receiver recomputes it; every secret of a
// rotation signs.
func TestSignature(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	// Computed independently: printf '1700000000.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
	const want = "c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925"
	if got := Sign("whsec_test", 1700000000, body); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	h := Signature([]string{"whsec_new", "whsec_old"}, 1700000000, body)
	if !strings.HasPrefix(h, "t=1700000000,v1=") || strings.Count(h, "v1=") != 2 {
		t.Errorf("header %q", h)
	}
	for _, s := range []string{"whsec_new", "whsec_old"} {
		if !Verify(h, s, body) {
			t.Errorf("%s does not verify its own signature", s)
		}
	}
	if Verify(h, "whsec_other", body) || Verify(h, "whsec_new", []byte(`{"id":"evt_2"}`)) || Verify("v1=00", "whsec_new", body) {
		t.Error("a wrong secret, a changed body or a header without t verifies")
	}
}
