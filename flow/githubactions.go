package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// ErrNotURL says $ACTIONS_ID_TOKEN_REQUEST_URL is not a URL.
var ErrNotURL = errors.New("$ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")

// GitHubIDToken asks GitHub Actions for the job's ID token, as its docs
// describe: GET requestURL&audience=AUD with requestToken as a bearer
// token ($ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN); the answer is
// {"value": JWT}. client is the call's, with its timeout, CA and proxy.
func GitHubIDToken(ctx context.Context, client *http.Client, requestURL, requestToken, audience string) (string, error) {
	u, err := url.Parse(requestURL)
	if err != nil {
		return "", ErrNotURL
	}
	if audience != "" {
		q := u.Query()
		q.Set("audience", audience)
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", ErrNotURL
	}
	req.Header.Set("Authorization", "bearer "+requestToken)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", wrap(describe("GitHub's ID-token endpoint", requestURL), err)
	}
	defer resp.Body.Close()
	var body struct {
		Value string `json:"value"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body) != nil || body.Value == "" {
		return "", fmt.Errorf("GitHub's ID-token endpoint answered %d without a token; check the job's 'permissions: id-token: write'", resp.StatusCode)
	}
	return body.Value, nil
}
