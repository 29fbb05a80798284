// Package validate checks input and collects the problems a person can fix,
// each with the input path of its field and a stable code.
package validate

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Codes of userErrors.
const (
	CodeInvalid            = "INVALID"
	CodeExternalIDConflict = "EXTERNAL_ID_CONFLICT"
)

// Lengths of stored text: the one definition of each, used by the input
// checks here and by the ent schema's validators and column sizes. Text
// lengths count characters (Text, and ent's MaxRuneLen: a name of 200
// Cyrillic letters is 400 bytes and fits); emails and identifiers are
// ASCII-bounded and count bytes, as RFC 5321 does.
const (
	// NameMax bounds partner, customer and organization names.
	NameMax = 200
	// NoteMax bounds a note a person writes (a hold report, an
	// escalation's resolution).
	NoteMax = 2000
	// HoldReasonMax bounds an order's hold reason: a note of NoteMax and
	// the sentence Onramp puts before it (who reported, which
	// organization, an email of EmailMax).
	HoldReasonMax = NoteMax + 500
	// ReasonMax bounds an operator's cancellation reason.
	ReasonMax = 500
	// EmailMax bounds an email address, in bytes.
	EmailMax = 254
	// DomainMax bounds an email domain, in bytes.
	DomainMax = 253
	// IdentifierMax bounds an ordering-system id, in bytes.
	IdentifierMax = 64
)

// Problem is one userError.
type Problem struct {
	Field   []string
	Message string
	Code    string
}

// Problems collects the problems of one input.
type Problems []Problem

// Add records a problem with field (the input path, e.g. input.customer.country).
func (p *Problems) Add(code, field, format string, args ...any) { //nolint:goprintffuncname // the name every validator reads; vet checks its format
	var path []string
	if field != "" {
		path = strings.Split(field, ".")
	}
	*p = append(*p, Problem{Field: path, Message: fmt.Sprintf(format, args...), Code: code})
}

// Err returns the problems as an error, or nil when there are none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &Failure{Problems: p}
}

// Failure is an input the person must fix; the transaction that met it
// rolls back and the problems come back as userErrors.
type Failure struct{ Problems Problems }

func (f *Failure) Error() string {
	msgs := make([]string, len(f.Problems))
	for i, p := range f.Problems {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, "; ")
}

// Fail returns a Failure of one problem.
func Fail(code, field, format string, args ...any) error {
	var p Problems
	p.Add(code, field, format, args...)
	return p.Err()
}

// Email normalizes an email address (trimmed, lower-case) and reports
// whether it is a plain address: local@domain, with no display name, at most
// 254 characters, and a domain with a dot.
func Email(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > EmailMax || !utf8.ValidString(s) || hasInvisible(s) || strings.ContainsFunc(s, unicode.IsSpace) {
		return s, false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return s, false
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.ContainsAny(s, " \"<>()[]\\,;:") {
		return s, false
	}
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") {
		return s, false
	}
	return s, true
}

var countries = func() map[string]bool {
	m := map[string]bool{}
	for c := range strings.FieldsSeq(countryCodes) {
		m[c] = true
	}
	return m
}()

// Country normalizes an ISO 3166-1 alpha-2 code (upper-case) and reports
// whether it names a country.
func Country(s string) (string, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	return s, countries[s]
}

// Text trims s and reports whether it is valid UTF-8 without invisible or
// direction characters, non-empty when required, and at most max
// characters.
func Text(s string, required bool, max int) (string, bool) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max || (required && s == "") {
		return s, false
	}
	if hasInvisible(s) {
		return s, false
	}
	return s, true
}

// hasInvisible reports whether s holds a character a reader cannot see or
// that changes how the text around it reads: control characters (Cc),
// format characters such as U+200B zero width space, U+202E
// right-to-left override and U+FEFF (Cf), and the line and paragraph
// separators U+2028 and U+2029 (Zl, Zp). Such text reaches emails' To:
// lines and subjects and the operators' views.
func hasInvisible(s string) bool {
	for _, r := range s {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return true
		}
	}
	return false
}

// Identifier reports whether s is a ordering-system id: 1 to 64 characters
// of letters, digits and . _ : / -, no spaces.
func Identifier(s string) bool {
	if s == "" || len(s) > IdentifierMax {
		return false
	}
	for _, r := range s {
		if r >= utf8.RuneSelf || !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._:/-", r) {
			return false
		}
	}
	return true
}

// InputError is a value the GraphQL layer could not read (a malformed id,
// date or enum). Its message is meant for the caller.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// BadInput returns an InputError.
func BadInput(format string, args ...any) error {
	return &InputError{Message: fmt.Sprintf(format, args...)}
}
