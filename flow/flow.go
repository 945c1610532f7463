// Package flow obtains OAuth 2.0 tokens: discovery, the browser flow with PKCE
// and a loopback redirect, the device flow, client credentials, refresh,
// revocation, and the legacy GET token method. It knows nothing of git,
// kubectl or where tokens are kept: when its caller has no terminal to ask
// on, the sign-in page can put the caller's keep question (Browser.AskKeep)
// and hand the answer back (Token.Keep); what is kept, and where, is the
// caller's.
package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

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
	// AuthMethods and GrantTypes are the server's
	// token_endpoint_auth_methods_supported and grant_types_supported;
	// empty when it did not say.
	AuthMethods []string
	GrantTypes  []string
	// UserinfoURL is the OpenID Connect userinfo endpoint, from discovery.
	UserinfoURL string
}

// Supports reports whether the server may accept grant: it listed it, or
// it listed nothing.
func (e Endpoints) Supports(grant string) bool {
	if len(e.GrantTypes) == 0 {
		return true
	}
	for _, g := range e.GrantTypes {
		if g == grant {
			return true
		}
	}
	return false
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
	// Assertion, when set, authenticates the client with a JWT (RFC 7523)
	// instead of a secret.
	Assertion Assertion
	// AllowNoExpiry accepts tokens without expires_in (GitHub OAuth apps
	// issue tokens that never expire). Otherwise such an answer is refused:
	// a token of unknown lifetime cannot be refreshed before it dies.
	AllowNoExpiry bool
	// ClientAuth is how a client secret is sent, AuthBasic or AuthPost, for
	// every request of a flow; "" lets the first request find out.
	ClientAuth string
	// Now is the clock that turns expires_in into an expiry; nil is the
	// system's (x/oauth2's timeNow, as a field).
	Now func() time.Time
	// settled is the way the server accepted in this flow; copies of a
	// Config made for one flow share it.
	settled *string
}

// now is the time by c's clock.
func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Token is what a flow or a refresh produces.
type Token struct {
	// Keep is the person's answer in the browser to whether the sign-in is
	// kept (KeepYes, KeepNo), or "" when not asked or silent.
	Keep         string
	AccessToken  string
	TokenType    string
	RefreshToken string
	IDToken      string
	Scope        string
	Expiry       time.Time // zero when the server did not say
	// Issuer is the RFC 9207 iss the authorization answer carried, when no
	// issuer was configured: the server's own word on who issued the token.
	Issuer string
}

// authCodeURL builds the authorization URL with x/oauth2 (PKCE S256, state,
// the extra parameters).
func (c *Config) authCodeURL(redirect, state, verifier string) string {
	oc := &oauth2.Config{
		ClientID:    c.ClientID,
		RedirectURL: redirect,
		Scopes:      c.Scopes,
		Endpoint:    oauth2.Endpoint{AuthURL: c.Endpoints.AuthURL},
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, v := range c.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return oc.AuthCodeURL(state, opts...)
}

func (c *Config) refreshURL() string {
	if c.Endpoints.RefreshURL != "" {
		return c.Endpoints.RefreshURL
	}
	return c.Endpoints.TokenURL
}

func (c *Config) check(endpoint string, t *Token) (*Token, error) {
	if t.AccessToken == "" {
		return nil, fmt.Errorf("%s answered without an access_token; check the endpoint URL", endpoint)
	}
	for _, v := range []string{t.AccessToken, t.RefreshToken, t.IDToken} {
		if HasControl(v) {
			// In a header (curl -H "$(oauth2cred token --format header)") a
			// line break would add a header of the server's choosing.
			return nil, fmt.Errorf("%s issued a token with control characters or a line break; refusing it", endpoint)
		}
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

// HasControl reports whether a token holds control characters or a line
// break, which no token may: handed on, it would inject a header or break
// git's line protocol.
func HasControl(token string) bool {
	return strings.IndexFunc(token, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0
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
	// Grant is the grant_type of the request, when it was a token request:
	// what a code means depends on it.
	Grant string
}

func (e *ServerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s answered", e.Endpoint)
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d %s", e.Status, http.StatusText(e.Status))
	}
	switch {
	case e.Code != "":
		fmt.Fprintf(&b, ": %s", short(e.Code))
		if e.Description != "" {
			fmt.Fprintf(&b, " (%s)", short(e.Description))
		}
		hint := grantHints[e.Grant+" "+e.Code]
		if hint == "" {
			hint = codeHints[e.Code]
		}
		if hint != "" {
			fmt.Fprintf(&b, "; %s", hint)
		}
	case e.HTML:
		b.WriteString(" with an HTML page instead of an OAuth answer; check the endpoint URL")
	default:
		b.WriteString(" without an OAuth error; check the endpoint URL")
	}
	return b.String()
}

// grantHints override codeHints for grants where a code means something else.
var grantHints = map[string]string{
	"urn:ietf:params:oauth:grant-type:token-exchange invalid_grant":   "the server refused the token to exchange or the client's assertion; check the token's issuer and audience, and the client's registered key",
	"urn:ietf:params:oauth:grant-type:token-exchange invalid_request": "check --subject-token-type, --audience, --resource and --requested-token-type",
	"client_credentials invalid_grant":                                "the server refused the client's credentials or assertion; check the client's registration",
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

// SessionEnded reports whether err, the answer to a refresh grant, means
// the refresh token is dead and only a new sign-in helps. Servers disagree
// on the code: invalid_grant (RFC 6749, zitadel, Keycloak), 400
// unauthorized_client (Gitea: "token was already used"), 400
// invalid_request (Dex: "Refresh token is invalid or has already been
// claimed by another client"). invalid_client (a 401 about the client) and
// 5xx are not about the session.
func SessionEnded(err error) bool {
	var se *ServerError
	if !errors.As(err, &se) || se.Status == http.StatusUnauthorized || se.Status >= 500 {
		return false
	}
	switch se.Code {
	case "invalid_grant", "invalid_request", "unauthorized_client":
		return true
	}
	return false
}

// wrap turns net/http errors into errors that name the
// endpoint and never carry a URL query (GET requests carry secrets there).
func wrap(endpoint string, err error) error {
	if err == nil {
		return nil
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
	return fmt.Errorf("request to %s failed: %s; check the URL and the network (or HTTPS_PROXY)", endpoint, clean(msg))
}

func looksHTML(body []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(body[:min(len(body), 512)])))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") || strings.HasPrefix(s, "<")
}

func describe(kind, rawURL string) string {
	if i := strings.IndexAny(rawURL, "?#"); i >= 0 {
		rawURL = rawURL[:i]
	}
	return kind + " " + rawURL
}
