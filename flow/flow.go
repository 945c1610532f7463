// Package flow obtains OAuth 2.0 tokens: discovery, the browser flow with PKCE
// and a loopback redirect, the device flow, client credentials, refresh,
// revocation, and the legacy GET token method. It knows nothing of git,
// kubectl or where tokens are kept.
package flow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
}

// Token is what a flow or a refresh produces.
type Token struct {
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

func (c *Config) ctx(ctx context.Context) context.Context {
	if c.Client == nil {
		return ctx
	}
	return context.WithValue(ctx, oauth2.HTTPClient, c.Client)
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
		if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
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
// server may echo them back in its error_description, in any encoding. It
// runs on the whole text, before anything is shortened for display, so a
// secret cut in half at the end cannot slip through.
func scrub(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var forms []string
	for _, sec := range secrets {
		forms = append(forms, encodings(sec)...)
	}
	if len(forms) == 0 {
		return err
	}
	replace := func(s string) string {
		for _, f := range forms {
			s = strings.ReplaceAll(s, f, "[redacted]")
		}
		return s
	}
	var se *ServerError
	if errors.As(err, &se) {
		c := *se
		c.Code, c.Description = replace(c.Code), replace(c.Description)
		return &c
	}
	var re *RejectedError
	if errors.As(err, &re) {
		return &RejectedError{Err: errors.New(replace(re.Err.Error())), RefreshToken: re.RefreshToken}
	}
	if msg := replace(err.Error()); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// encodings lists the forms a secret can take on the way back: as sent,
// URL-encoded (query and path), JSON-escaped, and base64 (Basic auth
// carries it so, with or without the client id before it).
func encodings(sec string) []string {
	if len(sec) < 4 {
		return nil
	}
	j, _ := json.Marshal(sec)
	forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec), strings.Trim(string(j), `"`)}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b := enc.EncodeToString([]byte(sec))
		// A base64 run aligned anywhere else differs at its ends; its
		// middle is stable, and long enough to be unmistakable.
		if len(b) > 8 {
			forms = append(forms, b[:len(b)-4])
		}
		for _, prefix := range []string{":", "x:"} {
			b := enc.EncodeToString([]byte(prefix + url.QueryEscape(sec)))
			if len(b) > 12 {
				forms = append(forms, b[4:len(b)-4])
			}
		}
	}
	// Longest first, so a form that contains another goes whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(forms)
}

func looksHTML(body []byte) bool {
	s := strings.ToLower(strings.TrimSpace(string(body[:min(len(body), 512)])))
	return strings.HasPrefix(s, "<!doctype html") || strings.HasPrefix(s, "<html") || strings.HasPrefix(s, "<")
}

// clean makes server-supplied text safe for one terminal line: terminal
// escape sequences go whole, other control characters become spaces. It
// does not shorten (see short), so secrets can still be scrubbed from it.
func clean(s string) string { return Sanitize(s) }

// short cuts cleaned text for display.
func short(s string) string {
	if len(s) > 200 {
		cut := 200
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// Sanitize strips terminal escape sequences (CSI, OSC and the rest of
// ECMA-48's) and control characters from server-supplied text, so that an
// error_description or a scope cannot repaint or retitle a terminal.
func Sanitize(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b || r == 0x9b || r == 0x9d:
			i += escapeLen(s[i:])
			continue
		case r == utf8.RuneError && n == 1:
			b.WriteByte('?')
		case unicode.IsControl(r) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Bidi_Control, r):
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return strings.TrimSpace(b.String())
}

// escapeLen is the length of the escape sequence at the start of s.
func escapeLen(s string) int {
	r, n := utf8.DecodeRuneInString(s)
	kind := r
	if r == 0x1b && len(s) > 1 {
		kind = rune(s[1])
		n++
		switch kind {
		case '[':
			kind = 0x9b
		case ']', 'P', '_', '^', 'X':
			kind = 0x9d
		default:
			return n // a two-byte escape
		}
	}
	for i := n; i < len(s); i++ {
		c := s[i]
		if kind == 0x9b && c >= 0x40 && c <= 0x7e {
			return i + 1 // CSI ends at its final byte
		}
		if kind == 0x9d && (c == 0x07 || (c == 0x1b && i+1 < len(s) && s[i+1] == '\\')) {
			if c == 0x1b {
				return i + 2
			}
			return i + 1 // OSC and strings end at BEL or ST
		}
	}
	return len(s)
}

func describe(kind, rawURL string) string {
	if i := strings.IndexAny(rawURL, "?#"); i >= 0 {
		rawURL = rawURL[:i]
	}
	return kind + " " + rawURL
}
