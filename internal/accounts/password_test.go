package accounts

import (
	"slices"
	"strings"
	"testing"
)

// --- passwords ----------------------------------------------------------------------

func TestPasswordProblem(t *testing.T) {
	const email = "jovana.petrovic@partner.example"
	rows := []struct {
		name, password, email string
		wantProblem           string // substring of the message; "" = accepted
	}{
		{"too short", "short", email, "at least 12"},
		{"eleven characters", "Xq7#mP2$kL9", email, "at least 12"},
		{"twelve characters", "Xq7#mP2$kL9!", email, ""},
		{"length counts characters, not bytes", "ђурђевданћж", email, "at least 12"}, // 11 runes, 22 bytes
		{"128 characters", strings.Repeat("Ab3$", 32), email, ""},
		{"too long", strings.Repeat("Ab3$", 32) + "x", email, "at most 128"},
		{"contains the email's local part", "My-Jovana.Petrovic-2026", email, "email"},
		{"contains the local part in another case", "xxJOVANA.PETROVICxx", email, "email"},
		{"is the email", "abc@partner.example", "abc@partner.example", "email"},
		{"short local part is not checked", "anaana-Vr8#kq", "ana@partner.example", ""},
		{"common password", "password1234", email, "common"},
		{"common password in another case", "Password1234", email, "common"},
		{"common long password", "correcthorsebatterystaple", email, "common"},
		{"all the same character", "zzzzzzzzzzzzzz", email, "common"},
		{"all the same character, another case", "ZzZzZzZzZzZzZz", email, "common"},
		{"all the same non-ASCII character", "éééééééééééé", email, "common"},
		{"a good one", "Correct-Horse-Battery-42", email, ""},
		{"a good passphrase with spaces", "vrlo dobra lozinka za partnera", email, ""},
		{"a NUL", "Dugacka-Lozinka\x00-2030", email, "control"},
		{"a tab", "Dugacka-Lozinka\t-2030", email, "control"},
		{"a C1 control", "Dugacka-Lozinka\u0085-2030", email, "control"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			got := PasswordProblem(r.password, r.email)
			switch {
			case r.wantProblem == "" && got != "":
				t.Errorf("PasswordProblem(%q) = %q, want accepted", r.password, got)
			case r.wantProblem != "" && got == "":
				t.Errorf("PasswordProblem(%q) accepted it, want a problem about %q", r.password, r.wantProblem)
			case r.wantProblem != "" && !strings.Contains(strings.ToLower(got), strings.ToLower(r.wantProblem)):
				t.Errorf("PasswordProblem(%q) = %q, want a message about %q", r.password, got, r.wantProblem)
			}
		})
	}
}

func TestHashPasswordRoundTrip(t *testing.T) {
	const pw = "Correct-Horse-Battery-42"
	h1, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string with the policy's parameters", h1)
	}
	if strings.Contains(h1, pw) {
		t.Errorf("hash %q contains the password", h1)
	}
	if !checkPassword(pw, h1) {
		t.Error("checkPassword(right password) = false")
	}
	for _, wrong := range []string{"", "correct-horse-battery-42", "Correct-Horse-Battery-43", pw + " ", pw[:len(pw)-1]} {
		if checkPassword(wrong, h1) {
			t.Errorf("checkPassword(%q) = true for the hash of %q", wrong, pw)
		}
	}
	h2, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("two hashes of one password are equal: no random salt")
	}
	if !checkPassword(pw, h2) {
		t.Error("checkPassword(right password, second hash) = false")
	}
	// The timing equalizer of signIn is a valid hash of something else.
	if dummyHash == "" || checkPassword(pw, dummyHash) {
		t.Errorf("dummyHash %q is unusable", dummyHash)
	}
}

// checkNoPanic runs checkPassword and turns a panic into a test failure.
func checkNoPanic(t *testing.T, password, hash string) (ok bool) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("checkPassword(%q, %q) panicked: %v", password, hash, p)
			ok = false
		}
	}()
	return checkPassword(password, hash)
}

func TestCheckPasswordMalformedHashes(t *testing.T) {
	good, err := HashPassword("Correct-Horse-Battery-42")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		p := slices.Clone(parts)
		p[i] = v
		return strings.Join(p, "$")
	}
	rows := map[string]string{
		"empty":                           "",
		"garbage":                         "not a hash",
		"bcrypt":                          "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":                         with(1, "argon2i"),
		"other version":                   with(2, "v=16"),
		"no parameters":                   with(3, ""),
		"zero time":                       with(3, "m=19456,t=0,p=1"),
		"zero parallelism":                with(3, "m=19456,t=2,p=0"),
		"zero memory":                     with(3, "m=0,t=2,p=1"),
		"negative time":                   with(3, "m=19456,t=-1,p=1"),
		"parallelism 256 wraps to 0":      with(3, "m=19456,t=2,p=256"),
		"time 2^32 wraps to 0":            with(3, "m=19456,t=4294967296,p=1"),
		"salt not base64":                 with(4, "!!!"),
		"key not base64":                  with(5, "!!!"),
		"empty key":                       with(5, ""),
		"too few fields":                  strings.Join(parts[:5], "$"),
		"too many fields":                 good + "$x",
		"the right hash with a wrong key": with(5, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
	}
	for name, h := range rows {
		t.Run(name, func(t *testing.T) {
			if checkNoPanic(t, "Correct-Horse-Battery-42", h) {
				t.Errorf("checkPassword accepted the malformed hash %q", h)
			}
		})
	}
}

// FuzzCheckPassword: checkPassword never panics, whatever is stored as the
// hash, and only an argon2id PHC string can match.
func FuzzCheckPassword(f *testing.F) {
	good, err := HashPassword("Correct-Horse-Battery-42")
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Correct-Horse-Battery-42", good)
	f.Add("x", good)
	f.Add("", "")
	f.Add("pw", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5")
	f.Add("pw", "$argon2id$v=19$m=,t=,p=$$")
	f.Add("pw", "$argon2id$$$$$")
	f.Add("pw", "$$$$$$$$$$$$")
	f.Add("pw", "$argon2id$v=19$m=8,t=1,p=1$$")
	f.Fuzz(func(t *testing.T, password, hash string) {
		ok := checkNoPanic(t, password, hash)
		if ok && !strings.HasPrefix(hash, "$argon2id$") {
			t.Errorf("checkPassword(%q, %q) = true for a hash that is not argon2id", password, hash)
		}
	})
}
