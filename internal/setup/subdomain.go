package setup

import (
	"regexp"
	"strings"
)

// Codes of subdomain problems; checkSubdomain's reason is one of them.
const (
	CodeSubdomainInvalid  = "SUBDOMAIN_INVALID"
	CodeSubdomainReserved = "SUBDOMAIN_RESERVED"
	CodeSubdomainTaken    = "SUBDOMAIN_TAKEN"
)

// subdomainSyntax: letters and digits, inner hyphens, 1 to 63 characters
// (a DNS label), compared lower-case.
var subdomainSyntax = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// reserved are names no customer site may take.
var reserved = map[string]bool{}

func init() {
	for w := range strings.FieldsSeq(`www www1 www2 api app apps admin administrator root mail email smtp imap pop ftp
		webmail login signin signup logout auth oauth sso id account accounts billing pay payment support help
		status docs doc blog news cdn static assets media files download downloads upload dev test staging prod
		demo sandbox internal intranet vpn dns ns ns1 ns2 mx localhost onramp webex cisco meet meeting meetings
		calling call messaging partner partners customer customers security abuse postmaster hostmaster
		webmaster noreply no-reply`) {
		reserved[w] = true
	}
}

// NormalizeSubdomain lower-cases and trims s and returns the problem code
// of its form ("" when it is a valid, unreserved name). Only ASCII letters
// are lower-cased: Unicode folding would turn the Kelvin sign into "k" and
// a dotted capital I into "i", accepting a name other than the one typed.
func NormalizeSubdomain(s string) (string, string) {
	s = strings.Map(asciiLower, strings.TrimSpace(s))
	switch {
	case !subdomainSyntax.MatchString(s):
		return s, CodeSubdomainInvalid
	case len(s) >= 4 && s[2:4] == "--":
		// Hyphens in the third and fourth places are reserved for
		// encodings (RFC 5891): "xn--psilonvault-nkj" is the punycode of
		// a look-alike of "epsilonvault" with a Cyrillic letter.
		return s, CodeSubdomainInvalid
	case reserved[s]:
		return s, CodeSubdomainReserved
	}
	return s, ""
}

func asciiLower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

var subdomainMessages = map[string]string{
	CodeSubdomainInvalid:  "Invalid subdomain name. Use 1 to 63 letters, digits and inner hyphens.",
	CodeSubdomainReserved: "Not available. Please try another name.",
	CodeSubdomainTaken:    "Not available. Please try another name.",
}
