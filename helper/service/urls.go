package service

import (
	"fmt"
	"net/url"

	"oauth2cred/flow"
)

// The rule for the endpoint URLs a service names.

// CheckURL refuses what flag names unless it is an http(s) URL without
// user info, plain http only to this machine.
func CheckURL(flag, raw string) error {
	if err := URLProblem(flag, raw); err != nil {
		return &SettingError{err}
	}
	return nil
}

// URLProblem is what is wrong with the endpoint URL raw, named by what,
// or nil: CheckURL's rule for a URL a server chose (a discovery document's
// endpoints), where the fault is the server's, not the settings'.
func URLProblem(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s %q is not an http(s) URL", what, raw)
	}
	if u.User != nil {
		return fmt.Errorf("%s must not carry a user name or password", what)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return fmt.Errorf("%s %q uses plain http to a host that is not this machine; use https", what, raw)
	}
	return nil
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool { return flow.IsLoopback(host) }
