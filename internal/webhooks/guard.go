package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// errUnsafeAddress refuses a delivery to an address inside the network.
var errUnsafeAddress = errors.New("the address is loopback, link-local or private")

// unsafe reports whether ip is not a public address: loopback, private,
// link-local, unspecified, multicast, reserved, or an IPv6 form that
// carries an IPv4 address (mapped, compatible, NAT64, 6to4) which is one
// of those.
func unsafe(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip): // 64:ff9b::a.b.c.d
			return unsafe(netip.AddrFrom4([4]byte(b[12:16])))
		case sixToFour.Contains(ip): // 2002:aabb:ccdd::
			return unsafe(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return false
}

// reserved are the ranges no public endpoint lives in, besides those
// netip names.
var reserved = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",      // "this network"
		"100.64.0.0/10",  // carrier-grade NAT
		"192.0.0.0/24",   // IETF protocol assignments
		"198.18.0.0/15",  // benchmarking
		"240.0.0.0/4",    // reserved, and the broadcast address
		"::/96",          // IPv4-compatible (deprecated)
		"100::/64",       // discard
		"64:ff9b:1::/48", // local-use NAT64
		"2001::/32",      // Teredo
		"2001:db8::/32",  // documentation
		"fec0::/10",      // site-local (deprecated)
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// numericLabel matches a label that resolvers may read as a number (the
// inet_aton forms: 2130706433, 0x7f000001, 0177, 127.1).
var numericLabel = regexp.MustCompile(`^(0x[0-9a-f]*|[0-9]+)$`)

// checkURL says what is wrong with an endpoint URL ("" when nothing):
// absolute http(s), https outside dev mode, no credentials, and no host
// that is an address inside the network (outside dev mode).
func checkURL(raw string, dev bool) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || !u.IsAbs():
		return "Enter an absolute URL such as https://orders.partner.example/onramp."
	case u.Scheme != "https" && (!dev || u.Scheme != "http"):
		return "The URL must use https."
	case u.User != nil:
		return "The URL must not carry a user name or password."
	case len(raw) > 2048:
		return "The URL may be at most 2048 characters."
	}
	if dev {
		return ""
	}
	// A trailing dot names the same host ("localhost." is localhost).
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".")
	labels := strings.Split(host, ".")
	if _, err := netip.ParseAddr(host); err != nil && numericLabel.MatchString(labels[len(labels)-1]) {
		// No top-level domain is a number: this is an address in one of
		// the spellings resolvers accept besides a.b.c.d.
		return "Write an IPv4 address as four decimal numbers (a.b.c.d), or use the host's name."
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".internal") || strings.HasSuffix(host, ".local") {
		return "The URL must name a public host."
	}
	if ip, err := netip.ParseAddr(host); err == nil && unsafe(ip) {
		return "The URL must name a public address: loopback, link-local and private addresses are refused."
	}
	return ""
}

// deliveryClient is the HTTP client of deliveries: a 10 s limit, no
// redirects, and (outside dev mode) a dialer that refuses any address
// inside the network after DNS resolution, so a name that resolves to one
// cannot be used to reach it.
func deliveryClient(dev bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !dev {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || unsafe(ip) {
				return fmt.Errorf("%w: %s", errUnsafeAddress, host)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         d.DialContext,
			Proxy:               nil,
			TLSHandshakeTimeout: timeout,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
