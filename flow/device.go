package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// DeviceCode is what the person needs to approve a device sign-in.
type DeviceCode struct {
	VerificationURI         string
	VerificationURIComplete string
	UserCode                string
	// Expires is how long the code lives (0: the server did not say).
	Expires time.Duration
}

// DevicePrompt shows a device code to the person; the flow calls it once,
// before it starts polling.
type DevicePrompt func(DeviceCode)

// Device runs the device authorization flow (RFC 8628): it asks for a code,
// shows it through prompt, and polls until the person approves, declines,
// or the code expires. ctx bounds the person's part.
func (c *Config) Device(ctx context.Context, prompt DevicePrompt) (*Token, error) {
	if c.Endpoints.DeviceURL == "" {
		return nil, fmt.Errorf("no device authorization endpoint; set --device-url or --issuer")
	}
	rctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	da, err := c.deviceAuth(rctx)
	cancel()
	if err != nil {
		return nil, c.scrub(err)
	}
	dc := DeviceCode{
		VerificationURI:         clean(da.VerificationURI),
		VerificationURIComplete: clean(da.VerificationURIComplete),
		UserCode:                clean(da.UserCode),
	}
	if !da.Expiry.IsZero() {
		dc.Expires = time.Until(da.Expiry).Round(time.Second)
	}
	if err := checkDeviceCode(describe("device authorization endpoint", c.Endpoints.DeviceURL), &dc); err != nil {
		return nil, err
	}
	prompt(dc)
	t, err := c.pollDevice(ctx, da)
	return t, c.scrub(err, da.DeviceCode)
}

// deviceAuth asks for a device code. The client authenticates here as at
// the token endpoint: a confidential client that does not (x/oauth2 sends
// only client_id) gets a code that Dex will never let it redeem.
func (c *Config) deviceAuth(ctx context.Context) (*oauth2.DeviceAuthResponse, error) {
	endpoint := describe("device authorization endpoint", c.Endpoints.DeviceURL)
	v := url.Values{}
	if len(c.Scopes) > 0 {
		v.Set("scope", strings.Join(c.Scopes, " "))
	}
	for k, val := range c.AuthParams {
		v.Set(k, val)
	}
	resp, body, err := c.send(ctx, endpoint, MethodPost, c.Endpoints.DeviceURL, v, true)
	if err != nil {
		return nil, c.scrub(err, secretValues(v)...)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, c.scrub(errorAnswer(endpoint, resp, body), secretValues(v)...)
	}
	var da oauth2.DeviceAuthResponse
	if err := json.Unmarshal(body, &da); err != nil {
		return nil, fmt.Errorf("%s answered with something that is not a device authorization (not JSON); check the endpoint URL", endpoint)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, fmt.Errorf("%s answered without a device code, user code or verification URI", endpoint)
	}
	return &da, nil
}

// pollDevice asks the token endpoint until the code is approved (RFC 8628
// §3.4-3.5): authorization_pending waits, slow_down adds 5 s for good, and
// any other answer (access_denied, expired_token, invalid_client…) ends the
// wait at once.
func (c *Config) pollDevice(ctx context.Context, da *oauth2.DeviceAuthResponse) (*Token, error) {
	if !da.Expiry.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, da.Expiry)
		defer cancel()
	}
	interval := time.Duration(da.Interval) * time.Second
	if da.Interval <= 0 || da.Interval > 600 {
		interval = 5 * time.Second // RFC 8628 §3.2's default
	}
	v := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.DeviceCode}}
	for {
		select {
		case <-ctx.Done():
			if !da.Expiry.IsZero() && time.Now().After(da.Expiry) {
				return nil, fmt.Errorf("the device code expired before it was approved; run the command again")
			}
			return nil, fmt.Errorf("gave up waiting for the device code to be approved: %w", ErrTimeout)
		case <-time.After(interval):
		}
		rctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
		t, err := c.tokenRequest(rctx, "token endpoint", c.Endpoints.TokenURL, cloneValues(v))
		cancel()
		var se *ServerError
		switch {
		case err == nil:
			return t, nil
		case errors.As(err, &se) && se.Code == "authorization_pending":
		case errors.As(err, &se) && se.Code == "slow_down":
			interval += 5 * time.Second
		case ctx.Err() != nil:
			continue // reported by the select above
		default:
			return nil, err
		}
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
