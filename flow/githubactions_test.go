package flow

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// GitHub's ID-token endpoint, as its docs describe it: the request URL
// already has a query (api-version), the audience is added to it, the
// request token is a bearer token, the answer is {"value": JWT}; without
// id-token: write the endpoint answers 403.
func TestGitHubIDToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "bearer req-token" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusForbidden)
			return
		}
		if r.URL.Query().Get("api-version") != "2.0" || r.URL.Query().Get("audience") != "api://x" {
			http.Error(w, "bad query "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		w.Write([]byte(`{"count":1,"value":"eyJ.jwt.sig"}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	if tok, err := GitHubIDToken(ctx, srv.Client(), srv.URL+"/?api-version=2.0", "req-token", "api://x"); err != nil || tok != "eyJ.jwt.sig" {
		t.Fatalf("token: %q %v", tok, err)
	}
	if _, err := GitHubIDToken(ctx, srv.Client(), srv.URL+"/?api-version=2.0", "wrong", "api://x"); err == nil || !strings.Contains(err.Error(), "answered 403") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("refused: %v", err)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	if _, err := GitHubIDToken(ctx, gone.Client(), gone.URL+"/?api-version=2.0&sig=q-secret", "t", ""); err == nil || !strings.Contains(err.Error(), "GitHub's ID-token endpoint") || strings.Contains(err.Error(), "q-secret") {
		t.Fatalf("no answer: %v", err)
	}
	if _, err := GitHubIDToken(ctx, srv.Client(), "http://[::1", "t", ""); !errors.Is(err, ErrNotURL) {
		t.Fatalf("not a URL: %v", err)
	}
}
