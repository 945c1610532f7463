package service

import (
	"net"
	"net/url"
	"strings"
)

// ServesHost reports whether a token may go to this protocol and host, for
// git and container registries alike:
// https to a configured host, http only to this machine.
func (s *Service) ServesHost(proto, host string) bool {
	if host == "" {
		return false
	}
	hostname, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		hostname, port = h, p
	}
	switch proto {
	case "https":
	case "http":
		if !IsLoopback(hostname) {
			return false
		}
	default:
		return false
	}
	for _, want := range s.Hosts {
		wh, wp := want, ""
		if h, p, err := net.SplitHostPort(want); err == nil {
			wh, wp = h, p
		}
		if !strings.EqualFold(wh, hostname) {
			continue
		}
		if wp == "" || wp == port || (port == "" && ((proto == "https" && wp == "443") || (proto == "http" && wp == "80"))) {
			return true
		}
	}
	return false
}

// Grant kinds: how a service gets its tokens (the origin record keeps it).
const (
	GrantPerson   = "person"
	GrantClient   = "client_credentials"
	GrantExchange = "token_exchange"
)

// Grant is the kind of grant the service's flow makes.
func (s *Service) Grant() string {
	switch s.Flow {
	case "client-credentials":
		return GrantClient
	case "token-exchange":
		return GrantExchange
	}
	return GrantPerson
}

// hosts are the hosts a service answers for: its own, else the host of
// its authorization endpoint, issuer or token endpoint.
func hosts(d Definition) []string {
	if len(d.Hosts) > 0 {
		return d.Hosts
	}
	for _, u := range []string{d.AuthURL, d.Issuer, d.TokenURL} {
		if pu, err := url.Parse(u); err == nil && pu.Host != "" {
			return []string{pu.Host}
		}
	}
	return nil
}

// Matches reports whether the service d defines answers git for proto
// and host, without the checks a call makes: for routing one helper line
// to the service of a host.
func Matches(d Definition, proto, host string) bool {
	s := &Service{Definition: d}
	if withPreset(&s.Definition) != nil || forgeIssuer(s) != nil {
		return false
	}
	s.Hosts = hosts(s.Definition)
	return s.ServesHost(proto, host)
}
