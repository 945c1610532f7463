package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds what is read of any server answer.
const maxBody = 1 << 20

// maxLifetime caps expires_in: a server that says 10^10 seconds means
// "long", and a time.Duration of that many seconds overflows.
const maxLifetime = 10 * 365 * 24 * time.Hour

// RejectedError is a token answer that our checks refused (no expires_in, a
// token type we cannot hand out, a malformed field). The server has issued
// it all the same, so a refresh token it carried has already replaced the
// old one: the caller must keep RefreshToken or the session is lost.
type RejectedError struct {
	Err          error
	RefreshToken string
}

func (e *RejectedError) Error() string { return e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// exchange trades an authorization code for a token.
func (c *Config) exchange(ctx context.Context, code, verifier, redirect string) (*Token, error) {
	v := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirect},
		"code_verifier": {verifier},
	}
	t, err := c.tokenRequest(ctx, "token endpoint", c.Endpoints.TokenURL, v)
	return t, c.scrub(err, code, verifier)
}

// Refresh trades a refresh token for a new token at the refresh endpoint.
// When the server sends no new refresh token the old one is kept.
func (c *Config) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	tok, err := c.tokenRequest(ctx, "refresh endpoint", c.refreshURL(), v)
	if err != nil {
		var re *RejectedError
		if errors.As(err, &re) && re.RefreshToken == "" {
			re.RefreshToken = refreshToken
		}
		return nil, c.scrub(err, refreshToken)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}

// ClientCredentials gets a token for the client itself (RFC 6749 §4.4), for CI.
func (c *Config) ClientCredentials(ctx context.Context) (*Token, error) {
	if !c.authenticates() {
		return nil, fmt.Errorf("the client-credentials flow needs client authentication; pass --client-secret-file, --client-key-file or --client-assertion-file")
	}
	v := url.Values{"grant_type": {"client_credentials"}}
	if len(c.Scopes) > 0 {
		v.Set("scope", strings.Join(c.Scopes, " "))
	}
	t, err := c.tokenRequest(ctx, "token endpoint", c.Endpoints.TokenURL, v)
	return t, c.scrub(err)
}

// Revoke asks the server to revoke token (RFC 7009); hint is
// "refresh_token" or "access_token".
func (c *Config) Revoke(ctx context.Context, token, hint string) error {
	return c.scrub(c.revoke(ctx, token, hint), token)
}

func (c *Config) revoke(ctx context.Context, token, hint string) (err error) {
	u := c.Endpoints.RevokeURL
	endpoint := describe("revocation endpoint", u)
	v := url.Values{"token": {token}, "token_type_hint": {hint}}
	defer func() { err = c.scrub(err, secretValues(v)...) }()
	resp, body, err := c.send(ctx, endpoint, MethodPost, u, v, false)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errorAnswer(endpoint, resp, body)
	}
	return nil
}

func (c *Config) client() *http.Client {
	if c.Client != nil {
		return c.Client
	}
	return http.DefaultClient
}

// tokenRequest sends one request of any grant to a token endpoint and reads
// its answer. It is written out rather than left to x/oauth2, which drops a
// rotated refresh token when it refuses an answer, cannot read a fractional
// expires_in, and cannot sign a fresh client assertion for every request.
func (c *Config) tokenRequest(ctx context.Context, kind, endpointURL string, v url.Values) (*Token, error) {
	t, err := c.tokenRequest1(ctx, kind, endpointURL, v)
	return t, c.scrub(err, secretValues(v)...)
}

// secretParams are the request parameters that carry secrets.
var secretParams = []string{"client_secret", "client_assertion", "code", "code_verifier", "refresh_token", "subject_token", "actor_token", "device_code", "token"}

// secretValues are the secrets a request carried, after authentication
// added its own: whatever a server echoes of them is scrubbed.
func secretValues(v url.Values) []string {
	var out []string
	for _, k := range secretParams {
		out = append(out, v[k]...)
	}
	return out
}

// send makes one authenticated request to an endpoint and reads at most
// maxBody of the answer. Errors name the endpoint, never its query.
// preferBody asks for the secret in the form where the server allows it.
// A secret the server refuses (invalid_client) is sent once more the other
// way while the flow has not settled how; the way that works is kept.
func (c *Config) send(ctx context.Context, endpoint, method, endpointURL string, v url.Values, device bool) (*http.Response, []byte, error) {
	how := c.authMethod(method, device)
	resp, body, err := c.send1(ctx, endpoint, method, endpointURL, v, how, device)
	if err == nil && refusedClient(resp, body, device) && c.mayTryOther(method) {
		how = otherAuth(how)
		resp, body, err = c.send1(ctx, endpoint, method, endpointURL, v, how, device)
	}
	if err == nil && !refusedClient(resp, body, device) {
		c.settle(how)
	}
	return resp, body, err
}

// refusedClient: an answer that refuses the client's authentication. At
// the device authorization endpoint any 401 counts: Authelia answers the
// method a client is not registered for with 401 and the body {}, no
// OAuth error at all.
func refusedClient(resp *http.Response, body []byte, device bool) bool {
	return clientRefused(resp, body) || (device && resp.StatusCode == http.StatusUnauthorized)
}

func (c *Config) send1(ctx context.Context, endpoint, method, endpointURL string, v url.Values, how string, device bool) (*http.Response, []byte, error) {
	req, err := c.newRequest(ctx, method, endpointURL, v, how, device)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, nil, wrap(endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, wrap(endpoint, err)
	}
	return resp, body, nil
}

func (c *Config) tokenRequest1(ctx context.Context, kind, endpointURL string, v url.Values) (*Token, error) {
	endpoint := describe(kind, endpointURL)
	resp, body, err := c.send(ctx, endpoint, c.Method, endpointURL, v, false)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := errorAnswer(endpoint, resp, body)
		err.Grant = v.Get("grant_type")
		return nil, err
	}
	tok, err := parseTokenBody(resp.Header.Get("Content-Type"), body, c.now())
	if err != nil {
		return nil, fmt.Errorf("%s answered with something that is not a JSON token response (%v); check the endpoint URL", endpoint, err)
	}
	if tok.errCode != "" {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.StatusCode, Code: clean(tok.errCode), Description: clean(tok.errDesc)}
	}
	if tok.expiresErr != nil {
		return nil, &RejectedError{Err: fmt.Errorf("%s answered with %v", endpoint, tok.expiresErr), RefreshToken: tok.RefreshToken}
	}
	t, err := c.check(endpoint, &tok.Token)
	if err != nil {
		return nil, &RejectedError{Err: err, RefreshToken: tok.RefreshToken}
	}
	return t, nil
}

// newRequest builds a request to a token, device or revocation endpoint
// with the client's authentication: POST with a form body (RFC 6749), or
// for legacy servers GET with the same parameters in the query. how is
// AuthBasic or AuthPost, for a client secret; device marks the device
// authorization endpoint.
func (c *Config) newRequest(ctx context.Context, method, endpointURL string, v url.Values, how string, device bool) (*http.Request, error) {
	u, err := url.Parse(endpointURL)
	if err != nil {
		return nil, fmt.Errorf("bad endpoint URL %q: %v", describe("", endpointURL), err)
	}
	basic, err := c.authenticate(ctx, v, endpointURL, how, device)
	if err != nil {
		return nil, err
	}
	var req *http.Request
	if method == MethodGet {
		q := u.Query()
		for k, vs := range v {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(v.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("bad endpoint URL %q: %v", describe("", endpointURL), err)
	}
	req.Header.Set("Accept", "application/json")
	if basic {
		// RFC 6749 §2.3.1: both parts form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	return req, nil
}

type parsedToken struct {
	Token
	errCode, errDesc string
	// expiresErr is a malformed expires_in; the rest of the answer is kept
	// so that a rotated refresh token is not lost with it.
	expiresErr error
}

// parseTokenBody reads a token answer as JSON or, as some legacy servers
// send it, form-encoded.
func parseTokenBody(contentType string, body []byte, now time.Time) (*parsedToken, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var p parsedToken
	var expiresIn string
	switch mt {
	case "application/x-www-form-urlencoded", "text/plain":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		p.AccessToken = vals.Get("access_token")
		p.TokenType = vals.Get("token_type")
		p.RefreshToken = vals.Get("refresh_token")
		p.IDToken = vals.Get("id_token")
		p.Scope = vals.Get("scope")
		p.errCode, p.errDesc = vals.Get("error"), vals.Get("error_description")
		expiresIn = vals.Get("expires_in")
	default:
		if looksHTML(body) {
			return nil, fmt.Errorf("an HTML page")
		}
		var j struct {
			AccessToken  jsonString      `json:"access_token"`
			TokenType    jsonString      `json:"token_type"`
			RefreshToken jsonString      `json:"refresh_token"`
			IDToken      jsonString      `json:"id_token"`
			Scope        jsonString      `json:"scope"`
			ExpiresIn    json.RawMessage `json:"expires_in"`
			Error        jsonString      `json:"error"`
			ErrorDesc    jsonString      `json:"error_description"`
		}
		if err := json.Unmarshal(body, &j); err != nil {
			return nil, fmt.Errorf("not JSON")
		}
		p.AccessToken, p.TokenType, p.RefreshToken = string(j.AccessToken), string(j.TokenType), string(j.RefreshToken)
		p.IDToken, p.Scope = string(j.IDToken), string(j.Scope)
		p.errCode, p.errDesc = string(j.Error), string(j.ErrorDesc)
		expiresIn = strings.Trim(string(j.ExpiresIn), `"`)
	}
	if expiresIn != "" && expiresIn != "null" {
		p.Expiry, p.expiresErr = expiryFrom(expiresIn, now)
	}
	return &p, nil
}

// expiryFrom turns expires_in (seconds, as an integer, a fraction or a
// string of either) into an expiry. Zero means the server did not say;
// a negative or non-numeric value is refused; a huge one is capped.
func expiryFrom(s string, now time.Time) (time.Time, error) {
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return time.Time{}, fmt.Errorf("an expires_in of %q, which is not a number of seconds", clean(s))
	}
	if n < 0 {
		return time.Time{}, fmt.Errorf("a negative expires_in (%s): the token is dead on arrival", clean(s))
	}
	if n < 1 {
		return time.Time{}, nil
	}
	d := maxLifetime
	if n < maxLifetime.Seconds() {
		d = time.Duration(n) * time.Second
	}
	return now.Add(d), nil
}

// jsonString accepts a JSON string or, as some servers send for
// scope or token_type, null; anything else (a number, an object) is read
// as empty rather than failing the whole answer.
type jsonString string

func (s *jsonString) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = jsonString(v)
	}
	return nil
}

// errorAnswer reads an OAuth error body of a failed request.
func errorAnswer(endpoint string, resp *http.Response, body []byte) *ServerError {
	se := &ServerError{Endpoint: endpoint, Status: resp.StatusCode, HTML: looksHTML(body)}
	if p, err := parseTokenBody(resp.Header.Get("Content-Type"), body, time.Time{}); err == nil {
		se.Code, se.Description = clean(p.errCode), clean(p.errDesc)
	}
	return se
}
