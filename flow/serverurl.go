package flow

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Strings a server chose — a verification URI, a user code — reach a
// person's browser, opener and terminal only through these checks.

// Length caps for server-chosen strings: real ones are a few dozen bytes.
const (
	MaxServerURL = 2048
	MaxUserCode  = 128
)

// OpenableURL checks a URL before it is given to a browser or a desktop
// opener: an absolute https URL (http only for this machine), with no
// user info, no control characters or spaces, at most MaxServerURL long,
// and — when origins are given — on the origin of one of them. A string
// that fails is printed for the person, never opened: on a command line a
// leading '-' becomes an option, and file: or javascript: open anything.
func OpenableURL(raw string, origins ...string) error {
	if len(raw) > MaxServerURL {
		return fmt.Errorf("the address is %d bytes long", len(raw))
	}
	if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return fmt.Errorf("the address has spaces or control characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" || u.User != nil {
		return fmt.Errorf("it is not an absolute http(s) address")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && IsLoopback(u.Hostname()):
	default:
		return fmt.Errorf("it is not an https address")
	}
	if len(origins) == 0 {
		return nil
	}
	for _, o := range origins {
		if ou, err := url.Parse(o); err == nil && ou.Host != "" && sameOrigin(u, ou) {
			return nil
		}
	}
	return fmt.Errorf("it is not on the server's own origin")
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkDeviceCode caps what a device authorization answer shows the person:
// an over-long verification URI or user code is refused, an over-long or
// unopenable complete URI is dropped (the URI and code still work).
func checkDeviceCode(endpoint string, dc *DeviceCode) error {
	if len(dc.VerificationURI) > MaxServerURL || len(dc.UserCode) > MaxUserCode {
		return fmt.Errorf("%s answered with a verification URI of %d bytes or a user code of %d bytes; that is no real device authorization", endpoint, len(dc.VerificationURI), len(dc.UserCode))
	}
	if len(dc.VerificationURIComplete) > MaxServerURL {
		dc.VerificationURIComplete = ""
	}
	return nil
}
