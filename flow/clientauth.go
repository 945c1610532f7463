package flow

import (
	"context"
	"net/url"
	"slices"
)

// Client authentication methods of RFC 8414 token_endpoint_auth_methods_supported.
const (
	AuthSecretBasic = "client_secret_basic"
	AuthSecretPost  = "client_secret_post"
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

// authenticate adds the client's identity to the parameters of a request to
// aud, and reports whether the secret goes in a Basic header instead.
// inBody asks for the secret in the parameters where the server allows it.
func (c *Config) authenticate(ctx context.Context, v url.Values, aud string, inBody bool) (basic bool, err error) {
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
	if c.secretInBody(inBody) {
		v.Set("client_id", c.ClientID)
		v.Set("client_secret", c.ClientSecret)
		return false, nil
	}
	return true, nil
}

// secretInBody chooses between Basic (RFC 6749's default, which every
// server must support) and the form body, from what discovery listed.
func (c *Config) secretInBody(preferBody bool) bool {
	methods := c.Endpoints.AuthMethods
	basicOK := len(methods) == 0 || slices.Contains(methods, AuthSecretBasic)
	postOK := len(methods) == 0 || slices.Contains(methods, AuthSecretPost)
	if preferBody {
		return postOK || !basicOK
	}
	return !basicOK && postOK
}

// scrub removes the request's secrets, and the client's own, from err.
func (c *Config) scrub(err error, secrets ...string) error {
	return scrub(err, append(secrets, c.ClientSecret)...)
}
