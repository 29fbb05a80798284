package graph

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzUTF8Stream checks that reading a body in chunks of any size finds it
// valid exactly when utf8.Valid does for the whole.
func FuzzUTF8Stream(f *testing.F) {
	for _, s := range []string{"", "plain", "Ж", "ć€𝄞", "\xff", "a\xe2\x82", "\xe2\x82\xac", "\xed\xa0\x80", "\xf0\x9d\x84", "\xef\xbf\xbd"} {
		f.Add([]byte(s), uint8(1))
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, body []byte, size uint8) {
		step := int(size%7) + 1
		var u utf8Stream
		ok := true
		for i := 0; ok && i < len(body); i += step {
			j := min(i+step, len(body))
			ok = u.check(body[i:j], j == len(body))
		}
		if len(body) == 0 {
			ok = u.check(nil, true)
		}
		if ok != utf8.Valid(body) {
			t.Fatalf("chunks of %d of %q: valid %v, utf8.Valid %v", step, body, ok, utf8.Valid(body))
		}
	})
}

func FuzzHasControl(f *testing.F) {
	for _, s := range []string{"", "a", "a\x00", "\t", "ok\u0085", "Ж\u009f", "\u00a0", "\x7f", "é\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Cc, r) }) >= 0
		if got := hasControl(s); got != want {
			t.Fatalf("hasControl(%q) = %v, want %v", s, got, want)
		}
	})
}
