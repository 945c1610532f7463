package flow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
)

// Client authentication methods of RFC 8414 token_endpoint_auth_methods_supported.
const (
	AuthSecretBasic = "client_secret_basic"
	AuthSecretPost  = "client_secret_post"
)

// How a client secret travels (Config.ClientAuth, --client-auth).
const (
	AuthBasic = "basic" // HTTP Basic, RFC 6749 §2.3.1
	AuthPost  = "post"  // client_id and client_secret in the form body
)

// AssertionType is RFC 7523 §2.2's client_assertion_type.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Assertion makes a client assertion (a signed JWT) for a request to the
// endpoint aud. It is called for every request: a key signs a fresh one,
// a projected token file is read anew.
type Assertion func(ctx context.Context, aud string) (string, error)

// authenticates reports whether the client can prove who it is, as the
// client-credentials grant requires.
func (c *Config) authenticates() bool { return c.ClientSecret != "" || c.Assertion != nil }

// SettledAuth is the way of sending the secret that the server accepted in
// this flow (AuthBasic or AuthPost), or "" when none was needed yet. It is
// recorded with the token, so that its refresh and revocation use it too.
func (c *Config) SettledAuth() string {
	if c.ClientAuth != "" {
		return c.ClientAuth
	}
	if c.settled == nil {
		return ""
	}
	return *c.settled
}

// authMethod is how a secret goes with the next request: the configured
// way, else the one this flow settled on, else what discovery allows —
// Basic first (RFC 6749's default), the form first where the endpoint
// reads only the form (Dex's device endpoint).
func (c *Config) authMethod(httpMethod string, preferBody bool) string {
	if httpMethod == MethodGet {
		return AuthPost // a legacy GET carries everything in its query
	}
	if m := c.SettledAuth(); m != "" {
		return m
	}
	methods := c.Endpoints.AuthMethods
	basicOK := len(methods) == 0 || slices.Contains(methods, AuthSecretBasic)
	postOK := len(methods) == 0 || slices.Contains(methods, AuthSecretPost)
	if (preferBody && postOK) || !basicOK && postOK {
		return AuthPost
	}
	return AuthBasic
}

// mayTryOther reports whether a refused secret may be sent once more the
// other way: only while nothing settled the method, and only for a secret.
// Ory Hydra registers exactly one method per client and refuses the other
// at every endpoint with 401 invalid_client, although its discovery lists
// both; Dex's device endpoint ignores a Basic header.
func (c *Config) mayTryOther(httpMethod string) bool {
	return httpMethod != MethodGet && c.ClientSecret != "" && c.Assertion == nil && c.SettledAuth() == ""
}

// settle keeps the method a server accepted for the rest of the flow.
func (c *Config) settle(m string) {
	if c.ClientSecret == "" || c.Assertion != nil || c.ClientAuth != "" {
		return
	}
	if c.settled == nil {
		c.settled = new(string)
	}
	*c.settled = m
}

func otherAuth(m string) string {
	if m == AuthBasic {
		return AuthPost
	}
	return AuthBasic
}

// clientRefused reports whether an answer refuses the client's
// authentication (RFC 6749 §5.2 invalid_client).
func clientRefused(resp *http.Response, body []byte) bool {
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest {
		return false
	}
	var e struct {
		Error string `json:"error"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error == "invalid_client"
}

// authenticate adds the client's identity to the parameters of a request to
// aud, and reports whether the secret goes in a Basic header instead. At
// the device authorization endpoint (device) client_id stays in the body
// with Basic too: Ory Hydra compares the authenticated client with the
// form's client_id there ("Provided client_id mismatch"), as RFC 8628
// §3.1 allows.
func (c *Config) authenticate(ctx context.Context, v url.Values, aud, how string, device bool) (basic bool, err error) {
	v.Del("client_secret")
	if c.Assertion != nil {
		a, err := c.Assertion(ctx, aud)
		if err != nil {
			return false, err
		}
		v.Set("client_id", c.ClientID)
		v.Set("client_assertion_type", AssertionType)
		v.Set("client_assertion", a)
		return false, nil
	}
	if c.ClientSecret == "" {
		v.Set("client_id", c.ClientID)
		return false, nil
	}
	if how == AuthPost {
		v.Set("client_id", c.ClientID)
		v.Set("client_secret", c.ClientSecret)
		return false, nil
	}
	if device {
		v.Set("client_id", c.ClientID)
	} else {
		v.Del("client_id")
	}
	return true, nil
}

// scrub removes the request's secrets, and the client's own, from err.
func (c *Config) scrub(err error, secrets ...string) error {
	return scrub(err, append(secrets, c.ClientSecret)...)
}
