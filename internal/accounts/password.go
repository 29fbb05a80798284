package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// CodeWeakPassword refuses a password the policy does not accept.
const CodeWeakPassword = "WEAK_PASSWORD"

// Password policy: NIST-style length over composition rules.
const (
	minPasswordLen = 12
	maxPasswordLen = 128
)

//go:embed common-passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for p := range strings.FieldsSeq(commonPasswordList) {
		m[p] = true
	}
	return m
}()

// PasswordProblem returns why password is refused for email, or "".
func PasswordProblem(password, email string) string {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(email, "@")
	switch {
	case n < minPasswordLen:
		return fmt.Sprintf("Use at least %d characters.", minPasswordLen)
	case n > maxPasswordLen:
		return fmt.Sprintf("Use at most %d characters.", maxPasswordLen)
	case strings.ContainsFunc(password, unicode.IsControl):
		return "Do not use control characters (such as NUL, tab or a line break)."
	case lower == email || (len(local) >= 4 && strings.Contains(lower, local)):
		return "Do not use your email address in the password."
	case commonPasswords[lower] || strings.Trim(lower, string([]rune(lower)[:1])) == "":
		return "This password is too common. Choose another."
	}
	return ""
}

// argon2id parameters (RFC 9106's second recommendation, lighter memory).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// argonSlots bounds the argon2id computations that run at once in this
// process, whatever calls them (sign-in, setting a password): each takes
// argonMemory, so memory stays bounded under any load. The GraphQL layer
// refuses sign-ins it cannot start soon (TOO_MANY_ATTEMPTS).
var argonSlots = make(chan struct{}, max(2, runtime.NumCPU()))

func argonKey(password string, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey([]byte(password), salt, t, m, p, n)
}

// HashPassword returns a salted argon2id hash in PHC string form.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argonKey(password, salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword reports whether password matches the PHC hash.
func checkPassword(password, hash string) bool {
	var (
		version, t, p int
		m             uint32
		salt64, key64 string
	)
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	// Bounded, so a stored hash can neither crash argon2 nor make a check
	// cost minutes.
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil ||
		t < 1 || t > 10 || p < 1 || p > 16 || m < 8*1024 || m > 256*1024 {
		return false
	}
	salt64, key64 = parts[4], parts[5]
	salt, err1 := base64.RawStdEncoding.DecodeString(salt64)
	key, err2 := base64.RawStdEncoding.DecodeString(key64)
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argonKey(password, salt, uint32(t), m, uint8(p), uint32(len(key))) //nolint:gosec // t and p are bounded above; a key is a stored hash's few bytes
	return subtle.ConstantTimeCompare(got, key) == 1
}
