package service

import (
	"net"
	"strings"
)

// servesGit reports whether a token may go to this protocol and host:
// https to a configured host, http only to this machine.
func (s *Service) ServesGit(proto, host string) bool {
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

// grant is the kind of grant the service's flow makes.
func (s *Service) Grant() string {
	switch s.Flow {
	case "client-credentials":
		return GrantClient
	case "token-exchange":
		return GrantExchange
	}
	return GrantPerson
}
