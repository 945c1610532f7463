package helper

import (
	"slices"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/persist"
)

// A saved token belongs to the configuration that obtained it: the client,
// the server (issuer, or token and refresh endpoints), and the scopes asked
// for. With any other configuration it is not refreshed, revoked or handed
// out, since that would send it to a server or client it was not issued to.

// mismatch names what differs between t's configuration and the
// service's, or returns "" when t belongs to this service.
func (s *Session) mismatch(t *persist.Token) string {
	if t.ClientID != s.svc.ClientID {
		return "client id"
	}
	if s.svc.Issuer != "" && trimSlash(t.Issuer) != trimSlash(s.svc.Issuer) {
		return "issuer"
	}
	if s.svc.TokenURL != "" && t.TokenURL != s.svc.TokenURL {
		return "token endpoint"
	}
	if s.svc.TokenURL != "" && t.Bound && orElse(t.RefreshURL, t.TokenURL) != orElse(s.svc.RefreshURL, s.svc.TokenURL) {
		return "refresh endpoint"
	}
	if t.Bound && !sameSet(t.RequestedScopes, splitList(s.svc.Scopes)) {
		return "scopes"
	}
	return ""
}

func trimSlash(s string) string { return strings.TrimSuffix(s, "/") }

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// usable reports whether t can be handed out as it is, without a refresh.
func (s *Session) usable(t *persist.Token) bool {
	if t == nil || s.mismatch(t) != "" {
		return false
	}
	value, expiry := s.wanted(t)
	return value != "" && (expiry.IsZero() || time.Until(expiry) > refreshMargin)
}

// alive reports whether the wanted value of t may still be handed out at
// all: not expired, however soon it will be.
func (s *Session) alive(t *persist.Token) bool {
	if t == nil || s.mismatch(t) != "" {
		return false
	}
	value, expiry := s.wanted(t)
	return value != "" && (expiry.IsZero() || time.Until(expiry) > 0)
}

// wanted is the token handed out (per --token-type) and when it expires.
func (s *Session) wanted(t *persist.Token) (string, time.Time) {
	if s.svc.TokenType == "id_token" {
		exp := jwtExpiry(t.IDToken)
		if exp.IsZero() || (!t.Expiry.IsZero() && t.Expiry.Before(exp)) {
			exp = t.Expiry
		}
		return t.IDToken, exp
	}
	return t.AccessToken, t.Expiry
}

// record makes the saved form of a new token, with the configuration that
// obtained it.
func (s *Session) record(cfg *flow.Config, ft *flow.Token) *persist.Token {
	issuer := cfg.Endpoints.Issuer
	if issuer == "" {
		issuer = ft.Issuer // RFC 9207 iss, when the server sent one
	}
	return &persist.Token{
		AccessToken:     ft.AccessToken,
		TokenType:       ft.TokenType,
		RefreshToken:    ft.RefreshToken,
		Expiry:          ft.Expiry.UTC().Truncate(time.Second),
		IDToken:         ft.IDToken,
		Scope:           ft.Scope,
		ClientID:        s.svc.ClientID,
		Issuer:          issuer,
		TokenURL:        cfg.Endpoints.TokenURL,
		RefreshURL:      s.svc.RefreshURL,
		AuthURL:         cfg.Endpoints.AuthURL,
		DeviceURL:       cfg.Endpoints.DeviceURL,
		RevokeURL:       cfg.Endpoints.RevokeURL,
		Method:          s.svc.Method,
		RequestedScopes: splitList(s.svc.Scopes),
		Bound:           true,
		Confidential:    cfg.ClientSecret != "" || cfg.Assertion != nil,
		Identity:        identity(ft.IDToken),
	}
}

// fromToken fills what the definition lacks from a saved token's record,
// so that `--service NAME` alone works once a token is saved.
func fromToken(d *Definition, t *persist.Token) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&d.ClientID, t.ClientID)
	if d.Issuer == "" && d.TokenURL == "" && d.AuthURL == "" {
		fill(&d.Issuer, t.Issuer)
		fill(&d.TokenURL, t.TokenURL)
		fill(&d.RefreshURL, t.RefreshURL)
		fill(&d.AuthURL, t.AuthURL)
		fill(&d.DeviceURL, t.DeviceURL)
		fill(&d.RevokeURL, t.RevokeURL)
		fill(&d.Method, t.Method)
	}
	if len(d.Scopes) == 0 && t.Bound {
		d.Scopes = t.RequestedScopes
	}
}
