package flow

import (
	"context"
	"net/url"
	"strings"
)

// Token types of RFC 8693 §3.
const (
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
)

// Exchange is what a token exchange (RFC 8693) trades and asks for.
type Exchange struct {
	SubjectToken       string
	SubjectTokenType   string // default TokenTypeJWT
	Audience           string
	Resource           string
	RequestedTokenType string // default TokenTypeAccessToken
}

// TokenExchange trades a subject token (a CI job's signed ID token, say)
// for a token of this server (RFC 8693 §2.1).
func (c *Config) TokenExchange(ctx context.Context, x Exchange) (*Token, error) {
	v := url.Values{
		"grant_type":           {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token":        {x.SubjectToken},
		"subject_token_type":   {orDefault(x.SubjectTokenType, TokenTypeJWT)},
		"requested_token_type": {orDefault(x.RequestedTokenType, TokenTypeAccessToken)},
	}
	if x.Audience != "" {
		v.Set("audience", x.Audience)
	}
	if x.Resource != "" {
		v.Set("resource", x.Resource)
	}
	if len(c.Scopes) > 0 {
		v.Set("scope", strings.Join(c.Scopes, " "))
	}
	t, err := c.tokenRequest(ctx, "token endpoint", c.Endpoints.TokenURL, v)
	return t, c.scrub(err, x.SubjectToken)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
