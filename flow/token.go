package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// maxBody bounds what is read of any server answer.
const maxBody = 1 << 20

// exchange trades an authorization code for a token.
func (c *Config) exchange(ctx context.Context, code, verifier, redirect string) (*Token, error) {
	t, err := c.exchange1(ctx, code, verifier, redirect)
	return t, scrub(err, code, verifier, c.ClientSecret)
}

func (c *Config) exchange1(ctx context.Context, code, verifier, redirect string) (*Token, error) {
	endpoint := describe("token endpoint", c.Endpoints.TokenURL)
	if c.Method == MethodGet {
		return c.getToken(ctx, c.Endpoints.TokenURL, url.Values{
			"grant_type":    {"authorization_code"},
			"code":          {code},
			"redirect_uri":  {redirect},
			"code_verifier": {verifier},
		})
	}
	t, err := c.oauth2Config(c.Endpoints.TokenURL, redirect).Exchange(c.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, wrap(endpoint, err)
	}
	return c.fromOAuth2(endpoint, t)
}

// Refresh trades a refresh token for a new token at the refresh endpoint.
// When the server sends no new refresh token the old one is kept.
func (c *Config) Refresh(ctx context.Context, refreshToken string) (*Token, error) {
	t, err := c.refresh(ctx, refreshToken)
	return t, scrub(err, refreshToken, c.ClientSecret)
}

func (c *Config) refresh(ctx context.Context, refreshToken string) (*Token, error) {
	u := c.refreshURL()
	endpoint := describe("refresh endpoint", u)
	var tok *Token
	var err error
	if c.Method == MethodGet {
		tok, err = c.getToken(ctx, u, url.Values{
			"grant_type":    {"refresh_token"},
			"refresh_token": {refreshToken},
		})
	} else {
		var t *oauth2.Token
		t, err = c.oauth2Config(u, "").TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
		if err == nil {
			tok, err = c.fromOAuth2(endpoint, t)
		} else {
			err = wrap(endpoint, err)
		}
	}
	if err != nil {
		return nil, err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}

// ClientCredentials gets a token for the client itself (RFC 6749 §4.4), for CI.
func (c *Config) ClientCredentials(ctx context.Context) (*Token, error) {
	t, err := c.clientCredentials(ctx)
	return t, scrub(err, c.ClientSecret)
}

func (c *Config) clientCredentials(ctx context.Context) (*Token, error) {
	endpoint := describe("token endpoint", c.Endpoints.TokenURL)
	if c.ClientSecret == "" {
		return nil, fmt.Errorf("the client-credentials flow needs a client secret; pass --client-secret-file or set OAUTH2CRED_CLIENT_SECRET")
	}
	if c.Method == MethodGet {
		v := url.Values{"grant_type": {"client_credentials"}}
		if len(c.Scopes) > 0 {
			v.Set("scope", strings.Join(c.Scopes, " "))
		}
		return c.getToken(ctx, c.Endpoints.TokenURL, v)
	}
	cc := clientcredentials.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		TokenURL:     c.Endpoints.TokenURL,
		Scopes:       c.Scopes,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	t, err := cc.Token(c.ctx(ctx))
	if err != nil {
		return nil, wrap(endpoint, err)
	}
	return c.fromOAuth2(endpoint, t)
}

// Revoke asks the server to revoke token (RFC 7009); hint is
// "refresh_token" or "access_token".
func (c *Config) Revoke(ctx context.Context, token, hint string) error {
	return scrub(c.revoke(ctx, token, hint), token, c.ClientSecret)
}

func (c *Config) revoke(ctx context.Context, token, hint string) error {
	u := c.Endpoints.RevokeURL
	endpoint := describe("revocation endpoint", u)
	v := url.Values{"token": {token}, "token_type_hint": {hint}}
	if c.ClientSecret == "" {
		v.Set("client_id", c.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(v.Encode()))
	if err != nil {
		return fmt.Errorf("bad revocation URL: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := c.client().Do(req)
	if err != nil {
		return wrap(endpoint, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
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

// getToken is the legacy token method: the form parameters, client
// credentials included, in the query string of a GET. x/oauth2 only POSTs.
func (c *Config) getToken(ctx context.Context, tokenURL string, v url.Values) (*Token, error) {
	endpoint := describe("token endpoint", tokenURL)
	u, err := url.Parse(tokenURL)
	if err != nil {
		return nil, fmt.Errorf("bad token URL: %v", err)
	}
	q := u.Query()
	for k, vs := range v {
		q[k] = vs
	}
	q.Set("client_id", c.ClientID)
	if c.ClientSecret != "" {
		q.Set("client_secret", c.ClientSecret)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("bad token URL: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client().Do(req)
	if err != nil {
		return nil, wrap(endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, wrap(endpoint, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, errorAnswer(endpoint, resp, body)
	}
	tok, err := parseTokenBody(resp.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, fmt.Errorf("%s answered with something that is not a token response (%v); check the endpoint URL", endpoint, err)
	}
	if tok.errCode != "" {
		return nil, &ServerError{Endpoint: endpoint, Status: resp.StatusCode, Code: clean(tok.errCode), Description: clean(tok.errDesc)}
	}
	return c.check(endpoint, &tok.Token)
}

type parsedToken struct {
	Token
	errCode, errDesc string
}

// parseTokenBody reads a token answer as JSON or, as some legacy servers
// send it, form-encoded.
func parseTokenBody(contentType string, body []byte) (*parsedToken, error) {
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
			AccessToken  string          `json:"access_token"`
			TokenType    string          `json:"token_type"`
			RefreshToken string          `json:"refresh_token"`
			IDToken      string          `json:"id_token"`
			Scope        string          `json:"scope"`
			ExpiresIn    json.RawMessage `json:"expires_in"`
			Error        string          `json:"error"`
			ErrorDesc    string          `json:"error_description"`
		}
		if err := json.Unmarshal(body, &j); err != nil {
			return nil, fmt.Errorf("not JSON")
		}
		p.AccessToken, p.TokenType, p.RefreshToken = j.AccessToken, j.TokenType, j.RefreshToken
		p.IDToken, p.Scope = j.IDToken, j.Scope
		p.errCode, p.errDesc = j.Error, j.ErrorDesc
		expiresIn = strings.Trim(string(j.ExpiresIn), `"`)
	}
	if expiresIn != "" && expiresIn != "null" {
		n, err := strconv.ParseInt(expiresIn, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("expires_in %q is not a number of seconds", clean(expiresIn))
		}
		if n > 0 {
			p.Expiry = time.Now().Add(time.Duration(n) * time.Second)
		}
	}
	return &p, nil
}

// errorAnswer reads an OAuth error body of a failed request.
func errorAnswer(endpoint string, resp *http.Response, body []byte) error {
	se := &ServerError{Endpoint: endpoint, Status: resp.StatusCode, HTML: looksHTML(body)}
	if p, err := parseTokenBody(resp.Header.Get("Content-Type"), body); err == nil {
		se.Code, se.Description = clean(p.errCode), clean(p.errDesc)
	}
	return se
}
