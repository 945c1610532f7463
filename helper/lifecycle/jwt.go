package lifecycle

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"oauth2cred/flow"
)

// jwtExpiry reads the exp claim of a JWT without verifying it: it is only
// used to know when to come back for a new one, never to trust the token.
func jwtExpiry(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}
	}
	n, err := claims.Exp.Int64()
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// identity is who an ID token says signed in: preferred_username, else
// email, else sub. Unverified, like jwtExpiry: it names, it does not trust.
func identity(idToken string) string {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		PreferredUsername string `json:"preferred_username"`
		Email             string `json:"email"`
		Sub               string `json:"sub"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return ""
	}
	for _, v := range []string{c.PreferredUsername, c.Email, c.Sub} {
		if v != "" {
			return flow.Sanitize(v)
		}
	}
	return ""
}
