package flow

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Device runs the device authorization flow (RFC 8628): it shows the
// verification address and code on out and polls until the person approves,
// declines, or the code expires. x/oauth2 handles authorization_pending and
// slow_down (interval +5 s).
func (c *Config) Device(ctx context.Context, out io.Writer) (*Token, error) {
	if c.Endpoints.DeviceURL == "" {
		return nil, fmt.Errorf("no device authorization endpoint; set --device-url or --issuer")
	}
	oc := c.oauth2Config(c.Endpoints.TokenURL, "")
	endpoint := describe("device authorization endpoint", c.Endpoints.DeviceURL)
	rctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	da, err := oc.DeviceAuth(c.ctx(rctx), c.authParams()...)
	cancel()
	if err != nil {
		return nil, wrap(endpoint, err)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, fmt.Errorf("%s answered without a device code, user code or verification URI", endpoint)
	}
	fmt.Fprintf(out, "To sign in, open %s and enter the code %s\n", clean(da.VerificationURI), clean(da.UserCode))
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(out, "(or open %s)\n", clean(da.VerificationURIComplete))
	}
	t, err := oc.DeviceAccessToken(c.ctx(ctx), da)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, fmt.Errorf("gave up waiting for the device code to be approved: %w", ErrTimeout)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("the device code expired before it was approved; run the command again")
		}
		return nil, scrub(wrap(describe("token endpoint", c.Endpoints.TokenURL), err), da.DeviceCode, c.ClientSecret)
	}
	return c.fromOAuth2(describe("token endpoint", c.Endpoints.TokenURL), t)
}
