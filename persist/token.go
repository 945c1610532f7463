// Package persist keeps tokens between calls: a JSON file per service written
// atomically with owner-only permissions, an exclusive lock per service, and an
// optional mirror in the OS keyring. It knows nothing of OAuth flows.
package persist

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/mailru/easyjson"
)

//go:generate go run github.com/mailru/easyjson/easyjson -no_std_marshalers token.go

// Token is what is saved for one service. Besides the token itself it records
// which client and token endpoint issued it, so that a token is never handed
// to a different client's configuration.
//
//easyjson:json
type Token struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	IDToken      string    `json:"id_token,omitempty"`
	Scope        string    `json:"scope,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`
	TokenURL     string    `json:"token_url,omitempty"`
	Issuer       string    `json:"issuer,omitempty"`
	SavedAt      time.Time `json:"saved_at,omitzero"`

	// The rest of the configuration that obtained the token. A token is
	// only used with the same configuration, and these fields define the
	// service when nothing else does (`--service NAME` alone).
	RefreshURL      string   `json:"refresh_url,omitempty"`
	AuthURL         string   `json:"auth_url,omitempty"`
	DeviceURL       string   `json:"device_url,omitempty"`
	RevokeURL       string   `json:"revoke_url,omitempty"`
	Method          string   `json:"method,omitempty"`
	RequestedScopes []string `json:"requested_scopes,omitempty"`
	// Bound is set by versions that record RequestedScopes, so that a file
	// of an older version (which did not) is not taken as "no scopes".
	Bound bool `json:"bound,omitempty"`
	// Confidential records that the client authenticated (a secret, a key or
	// an assertion): a refresh needs that again.
	Confidential bool `json:"confidential,omitempty"`
	// Identity is who signed in (ID token preferred_username, email or sub).
	Identity string `json:"identity,omitempty"`
	// Grant is how the token was obtained: "person" (browser, device or a
	// pasted code), "client_credentials" or "token_exchange"; with the
	// inputs of a token exchange. Empty in files of older versions.
	Grant              string `json:"grant,omitempty"`
	Audience           string `json:"audience,omitempty"`
	Resource           string `json:"resource,omitempty"`
	SubjectTokenType   string `json:"subject_token_type,omitempty"`
	RequestedTokenType string `json:"requested_token_type,omitempty"`
	// ClientAuth is how the client's secret was accepted ("basic" or
	// "post"): its refresh and revocation send it the same way.
	ClientAuth string `json:"client_auth,omitempty"`
}

// maxFileSize bounds what is read from a token file or keyring entry; a real
// token file is a few kilobytes.
const maxFileSize = 1 << 20

// Decode parses a saved token and checks that it is usable as one.
func Decode(data []byte) (*Token, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("token data is %d bytes, larger than the %d allowed", len(data), maxFileSize)
	}
	// Tokens are ASCII. encoding/json replaced bytes that are not UTF-8
	// and easyjson keeps them, so such a file is refused as damaged.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("token data is not valid JSON: it is not UTF-8 text")
	}
	// easyjson's generated decoder, not encoding/json: json's first use of
	// this 30-field type analyses it by reflection, which cost every cached
	// call 0.37 M instructions (a fifth of it); the generated code needs none.
	var t Token
	if err := easyjson.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("token data is not valid JSON: %v", err)
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, fmt.Errorf("token data holds neither an access token nor a refresh token")
	}
	return &t, nil
}

// Encode is the inverse of Decode.
func (t *Token) Encode() ([]byte, error) {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
