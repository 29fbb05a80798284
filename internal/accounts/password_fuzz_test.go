package accounts

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzPasswordProblem: the password policy's promises. Plain `go test` runs
// the seeds; explore with `go test -fuzz FuzzPasswordProblem -fuzztime 30s ./internal/accounts`.
func FuzzPasswordProblem(f *testing.F) {
	for _, tc := range [][2]string{
		{"correct horse battery staple", "setup@partner.example"},
		{"short", "a@b.example"},
		{"password1234", "a@b.example"},
		{"aaaaaaaaaaaa", "a@b.example"},
		{"ššššššššššššš", "a@b.example"},
		{"my setup@partner.example", "setup@partner.example"},
		{"Xsetupx-long-enough", "setup@partner.example"},
		{strings.Repeat("x1", 64), "a@b.example"},
		{strings.Repeat("x1", 65), "a@b.example"},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4", "a@b.example"},
		{"", ""},
	} {
		f.Add(tc[0], tc[1])
	}
	f.Fuzz(func(t *testing.T, password, email string) {
		msg := PasswordProblem(password, email)
		n := utf8.RuneCountInString(password)
		if msg != "" {
			// A refusal says what to do, in a sentence.
			if !strings.HasSuffix(msg, ".") || len(msg) < 10 {
				t.Fatalf("PasswordProblem(%q) = %q: not a clear message", password, msg)
			}
			return
		}
		lower := strings.ToLower(password)
		local, _, _ := strings.Cut(email, "@")
		switch {
		case n < minPasswordLen || n > maxPasswordLen:
			t.Fatalf("accepted %q of %d characters", password, n)
		case commonPasswords[lower]:
			t.Fatalf("accepted the common password %q", password)
		case len(local) >= 4 && strings.Contains(lower, local):
			t.Fatalf("accepted %q containing the email's %q", password, local)
		case strings.Count(lower, string([]rune(lower)[:1])) == utf8.RuneCountInString(lower):
			t.Fatalf("accepted %q, one character repeated", password)
		}
	})
}
