package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// errUnsafeAddress refuses a delivery to an address inside the network.
var errUnsafeAddress = errors.New("the address is loopback, link-local or private")

// unsafe reports whether ip is not a public address: loopback, private,
// link-local, unspecified, multicast or otherwise reserved.
func unsafe(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || cgnat.Contains(ip)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// checkURL says what is wrong with an endpoint URL ("" when nothing):
// absolute http(s), https outside dev mode, no credentials, and no host
// that is an address inside the network (outside dev mode).
func checkURL(raw string, dev bool) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || !u.IsAbs():
		return "Enter an absolute URL such as https://orders.partner.example/onramp."
	case u.Scheme != "https" && !(dev && u.Scheme == "http"):
		return "The URL must use https."
	case u.User != nil:
		return "The URL must not carry a user name or password."
	case len(raw) > 2048:
		return "The URL may be at most 2048 characters."
	}
	if dev {
		return ""
	}
	host := strings.ToLower(u.Hostname())
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
