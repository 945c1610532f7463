// Package flow obtains OAuth 2.0 tokens: discovery, the browser flow with PKCE
// and a loopback redirect, the device flow, client credentials, refresh,
// revocation, and the legacy GET token method. It knows nothing of git,
// kubectl or where tokens are kept.
package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/oauth2"
)

// Endpoints are the server's URLs. RefreshURL defaults to TokenURL.
type Endpoints struct {
	Issuer     string
	AuthURL    string
	TokenURL   string
	RefreshURL string
	DeviceURL  string
	RevokeURL  string
	// IssParameter is true when the server promises an `iss` parameter on
	// every authorization response (RFC 9207); a missing one is then refused.
	IssParameter bool
}

// Method names how the token endpoint is called.
const (
	MethodPost = "post" // RFC 6749 form POST
	MethodGet  = "get"  // legacy servers: the same parameters in a GET query
)

// Config is one OAuth client talking to one server.
type Config struct {
	ClientID     string
	ClientSecret string
	Endpoints    Endpoints
	Scopes       []string
	Method       string
	// AuthParams are added to the authorization URL and the device request,
	// e.g. access_type=offline for Google.
	AuthParams map[string]string
	// Client makes every request; it carries the timeout, TLS and proxy
	// settings. nil means http.DefaultClient.
	Client *http.Client
	// AllowNoExpiry accepts tokens without expires_in (GitHub OAuth apps
	// issue tokens that never expire). Otherwise such an answer is refused:
	// a token of unknown lifetime cannot be refreshed before it dies.
	AllowNoExpiry bool
}

// Token is what a flow or a refresh produces.
type Token struct {
	AccessToken  string
	TokenType    string
	RefreshToken string
	IDToken      string
	Scope        string
	Expiry       time.Time // zero when the server did not say
}

func (c *Config) ctx(ctx context.Context) context.Context {
	if c.Client == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, c.Client)
}

func (c *Config) oauth2Config(tokenURL, redirect string) *oauth2.Config {
	// The auth style is set explicitly: x/oauth2's auto-detection retries
	// with the other style and hides the server's real error.
	style := oauth2.AuthStyleInParams
	if c.ClientSecret != "" {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  redirect,
		Scopes:       c.Scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:       c.Endpoints.AuthURL,
			TokenURL:      tokenURL,
			DeviceAuthURL: c.Endpoints.DeviceURL,
			AuthStyle:     style,
		},
	}
}

func (c *Config) refreshURL() string {
	if c.Endpoints.RefreshURL != "" {
		return c.Endpoints.RefreshURL
	}
	return c.Endpoints.TokenURL
}

func (c *Config) authParams() []oauth2.AuthCodeOption {
	var opts []oauth2.AuthCodeOption
	for k, v := range c.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return opts
}

// fromOAuth2 turns an x/oauth2 token into ours and checks it is a bearer token.
func (c *Config) fromOAuth2(endpoint string, t *oauth2.Token) (*Token, error) {
	tok := &Token{
		AccessToken:  t.AccessToken,
		TokenType:    t.TokenType,
		RefreshToken: t.RefreshToken,
		Expiry:       t.Expiry,
	}
	if s, ok := t.Extra("id_token").(string); ok {
		tok.IDToken = s
	}
	if s, ok := t.Extra("scope").(string); ok {
		tok.Scope = s
	}
	return c.check(endpoint, tok)
}

func (c *Config) check(endpoint string, t *Token) (*Token, error) {
	if t.AccessToken == "" {
		return nil, fmt.Errorf("%s answered without an access_token; check the endpoint URL", endpoint)
	}
	if t.TokenType != "" && !strings.EqualFold(t.TokenType, "bearer") {
		return nil, fmt.Errorf("%s issued a token of type %q; only Bearer tokens can be handed to git and kubectl", endpoint, clean(t.TokenType))
	}
	if t.TokenType == "" {
		t.TokenType = "Bearer"
	}
	if t.Expiry.IsZero() && !c.AllowNoExpiry {
		return nil, fmt.Errorf("%s sent no expires_in, so when the token dies is unknown; if this server's tokens never expire, pass --allow-no-expiry (config allow_no_expiry = true)", endpoint)
	}
	if t.Scope == "" {
		t.Scope = strings.Join(c.Scopes, " ")
	}
	return t, nil
}

// ServerError is an OAuth error answer (RFC 6749 §5.2) or an answer that is
// no OAuth at all. Its text never includes the body, which may be large or
// hostile; only the sanitised error code and description.
type ServerError struct {
	Endpoint    string // e.g. "token endpoint https://example.com/token"
	Status      int
	Code        string
	Description string
	HTML        bool
}

func (e *ServerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s answered", e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d %s", e.Status, http.StatusText(e.Status))
	}
	switch {
	case e.Code != "":
		fmt.Fprintf(&b, ": %s", e.Code)
		if e.Description != "" {
			fmt.Fprintf(&b, " (%s)", e.Description)
		}
		if hint := codeHints[e.Code]; hint != "" {
			fmt.Fprintf(&b, "; %s", hint)
		}
	case e.HTML:
		b.WriteString(" with an HTML page instead of an OAuth answer; check the endpoint URL")
	default:
		b.WriteString(" without an OAuth error; check the endpoint URL")
	}
	return b.String()
}

var codeHints = map[string]string{
	"invalid_client":         "check --client-id and --client-secret",
	"unauthorized_client":    "the client is not allowed this grant; check the client's settings at the provider",
	"invalid_scope":          "check --scope",
	"access_denied":          "the sign-in was declined",
	"expired_token":          "the code expired before it was approved; run the command again",
	"invalid_grant":          "the saved session is no longer valid; log in again",
	"unsupported_grant_type": "the server does not support this flow; try another --flow",
}

// IsInvalidGrant reports whether err means the refresh token (or code) is
// no longer valid, so only a new login helps.
func IsInvalidGrant(err error) bool {
	var se *ServerError
	return errors.As(err, &se) && se.Code == "invalid_grant"
}

// wrap turns errors from x/oauth2 and net/http into errors that name the
// endpoint and never carry a URL query (GET requests carry secrets there).
func wrap(endpoint string, err error) error {
	if err == nil {
		return nil
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		se := &ServerError{Endpoint: endpoint, Code: clean(re.ErrorCode), Description: clean(re.ErrorDescription)}
		if re.Response != nil {
			se.Status = re.Response.StatusCode
		}
		se.HTML = looksHTML(re.Body)
		return se
	}
	var se *ServerError
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s did not answer in time; check the network or raise --timeout", endpoint)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("request to %s was cancelled", endpoint)
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		// Its text repeats the URL, query (and so GET secrets) included;
		// the endpoint is already named.
		msg = ue.Err.Error()
	}
	msg = strings.TrimPrefix(msg, "oauth2: ")
	if strings.Contains(msg, "cannot parse json") || strings.Contains(msg, "invalid character") {
		return fmt.Errorf("%s answered with something that is not a JSON token response; check the endpoint URL", endpoint)
	}
	return fmt.Errorf("request to %s failed: %s; check the URL and the network (or HTTPS_PROXY)", endpoint, clean(msg))
}

// scrub removes secrets of the request from an error: a hostile or buggy
// server may echo them back in its error_description.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	replace := func(s string) string {
		for _, sec := range secrets {
			if len(sec) >= 4 {
				s = strings.ReplaceAll(s, sec, "[redacted]")
			}
		}
		return s
	}
	var se *ServerError
	if errors.As(err, &se) {
		c := *se
		c.Code, c.Description = replace(c.Code), replace(c.Description)
		return &c
	}
	if msg := replace(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

func looksHTML(body []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(body[:min(len(body), 512)])))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") || strings.HasPrefix(s, "<")
}

// clean makes server-supplied text safe for one terminal line.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strings.TrimSpace(s)
}

func describe(kind, rawURL string) string {
	if i := strings.IndexAny(rawURL, "?#"); i >= 0 {
		rawURL = rawURL[:i]
	}
	return kind + " " + rawURL
}
