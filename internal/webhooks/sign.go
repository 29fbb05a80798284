package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// SignatureHeader carries a delivery's signatures.
const SignatureHeader = "Onramp-Signature"

// EventIDHeader carries the event's id, the same on every attempt.
const EventIDHeader = "Onramp-Event-Id"

// newSecret returns a fresh signing secret, shown to its owner once.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// Sign is the v1 signature of body sent at unix time t: the hex HMAC-SHA256
// of "<t>.<body>", keyed with the secret string's bytes exactly as shown.
func Sign(secret string, t int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(t, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Signature is the Onramp-Signature header of body sent at t: one v1 entry
// per secret (two during a rotation).
func Signature(secrets []string, t int64, body []byte) string {
	parts := []string{"t=" + strconv.FormatInt(t, 10)}
	for _, s := range secrets {
		parts = append(parts, "v1="+Sign(s, t, body))
	}
	return strings.Join(parts, ",")
}

// Verify checks an Onramp-Signature header against secret and body, as a
// receiver does (the README shows the same in a few lines).
func Verify(header, secret string, body []byte) bool {
	var t int64 = -1
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return false
			}
			t = n
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if t < 0 {
		return false
	}
	want := Sign(secret, t, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}
