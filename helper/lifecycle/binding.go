package lifecycle

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// The origin record: a saved token belongs to the configuration that
// obtained it — the client, the server (issuer, token, refresh and
// revocation endpoints), the scopes, the kind of grant and a token
// exchange's inputs. With any other configuration it is not refreshed,
// revoked or handed out (SPEC §6), since that would send it to a server or
// client it was not issued to. record writes the origin; mismatch is the one
// comparison that every hand-out (usable, alive), refresh (Token), keyring
// restore (load) and revocation (revoke) goes through.

// Mismatch names what differs between t's origin and the service's
// configuration, or returns "" when t belongs to this service.
func (s *Session) Mismatch(t *persist.Token) string {
	svc := s.svc
	switch {
	case t.ClientID != svc.ClientID:
		return "client id"
	case svc.Issuer != "" && trimSlash(t.Issuer) != trimSlash(svc.Issuer):
		return "issuer"
	case svc.TokenURL != "" && t.TokenURL != svc.TokenURL:
		return "token endpoint"
	case t.Bound && refreshTarget(svc.RefreshURL, svc.TokenURL, t.TokenURL) != cmp.Or(t.RefreshURL, t.TokenURL):
		return "refresh endpoint"
	case svc.RevokeURL != "" && t.RevokeURL != svc.RevokeURL:
		return "revocation endpoint"
	case t.Bound && !sameSet(t.RequestedScopes, service.SplitList(svc.Scopes)):
		return "scopes"
	}
	return s.grantMismatch(t)
}

// grantMismatch compares the kind of grant and a token exchange's inputs.
// A file of an older version records no grant: it was a person's sign-in,
// or an unattended token that is cheap to get again.
func (s *Session) grantMismatch(t *persist.Token) string {
	want := s.svc.Grant()
	if t.Grant == "" {
		if want != service.GrantPerson {
			return "kind of grant (the token was saved by an older version)"
		}
		return ""
	}
	if t.Grant != want {
		return "kind of grant"
	}
	if want != service.GrantExchange {
		return ""
	}
	for _, f := range []struct{ name, saved, now string }{
		{"audience", t.Audience, s.svc.Audience},
		{"resource", t.Resource, s.svc.Resource},
		{"subject token type", t.SubjectTokenType, s.svc.SubjectTokenType},
		{"requested token type", t.RequestedTokenType, s.svc.RequestedTokenType},
	} {
		if f.saved != f.now {
			return f.name
		}
	}
	return ""
}

// refreshTarget is where a refresh would go now: the refresh endpoint, else
// the token endpoint configured, else (an issuer's discovery) the token
// endpoint recorded, which the issuer check has vouched for.
func refreshTarget(refreshURL, tokenURL, savedTokenURL string) string {
	return cmp.Or(refreshURL, cmp.Or(tokenURL, savedTokenURL))
}

func trimSlash(s string) string { return strings.TrimSuffix(s, "/") }

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// usable reports whether t can be handed out as it is, without a refresh.
func (s *Session) usable(t *persist.Token) bool {
	if t == nil || s.Mismatch(t) != "" {
		return false
	}
	value, expiry := s.wanted(t)
	return value != "" && (expiry.IsZero() || expiry.Sub(s.set.Now()) > refreshMargin)
}

// alive reports whether the wanted value of t may still be handed out at
// all: not expired, however soon it will be.
func (s *Session) alive(t *persist.Token) bool {
	if t == nil || s.Mismatch(t) != "" {
		return false
	}
	value, expiry := s.wanted(t)
	return value != "" && (expiry.IsZero() || expiry.After(s.set.Now()))
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

// IDTokenToShow is the token's ID token when it may be handed out beside
// the access token (token --format json): not within refreshMargin of its
// expiry, and "" when it has none or cannot be read: an expired token is
// never handed out.
func (s *Session) IDTokenToShow(t *persist.Token) string {
	exp := jwtExpiry(t.IDToken)
	if t.IDToken == "" || exp.IsZero() || exp.Sub(s.set.Now()) <= refreshMargin {
		return ""
	}
	return t.IDToken
}

// record makes the saved form of a new token, with its whole origin.
func (s *Session) record(cfg *flow.Config, ft *flow.Token) *persist.Token {
	issuer := cfg.Endpoints.Issuer
	if issuer == "" {
		issuer = ft.Issuer // RFC 9207 iss, when the server sent one
	}
	t := &persist.Token{
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
		RequestedScopes: service.SplitList(s.svc.Scopes),
		Bound:           true,
		Confidential:    cfg.ClientSecret != "" || cfg.Assertion != nil,
		Identity:        identity(ft.IDToken),
		Grant:           s.svc.Grant(),
		ClientAuth:      cfg.SettledAuth(),
	}
	s.learn(t)
	if t.Grant == service.GrantExchange {
		t.Audience, t.Resource = s.svc.Audience, s.svc.Resource
		t.SubjectTokenType, t.RequestedTokenType = s.svc.SubjectTokenType, s.svc.RequestedTokenType
	}
	return t
}

// fromToken fills what the definition lacks from a saved token's record,
// so that `--service NAME` alone works once a token is saved.
func fromToken(d *service.Definition, t *persist.Token) {
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
	d.FromRecord = true
	switch t.Grant {
	case service.GrantClient:
		fill(&d.Flow, "client-credentials")
	case service.GrantExchange:
		fill(&d.Flow, "token-exchange")
		fill(&d.Audience, t.Audience)
		fill(&d.Resource, t.Resource)
		fill(&d.SubjectTokenType, t.SubjectTokenType)
		fill(&d.RequestedTokenType, t.RequestedTokenType)
	}
	fill(&d.ClientAuth, t.ClientAuth)
}
