package flow

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// Identity asks the server's userinfo endpoint (OpenID Connect Core §5.3)
// who accessToken belongs to: preferred_username, else email, else sub. It
// returns "" when the server has no such endpoint or does not say; the
// identity only names the account, it is never trusted for anything.
func (c *Config) Identity(ctx context.Context, accessToken string) string {
	if c.Endpoints.UserinfoURL == "" || accessToken == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoints.UserinfoURL, nil)
	if err != nil {
		return ""
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client().Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var info struct {
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		Sub               string `json:"sub"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&info) != nil {
		return ""
	}
	for _, v := range []string{info.PreferredUsername, info.Email, info.Sub} {
		if v != "" {
			return short(Sanitize(v))
		}
	}
	return ""
}
