package flow

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe to read while the flow writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// tokenServer answers every token request with a fixed token.
func tokenServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt"})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startFlow runs AuthCode in the background and returns the authorization
// URL it printed and the flow's error.
func startFlow(t *testing.T, cfg *Config) (*url.URL, <-chan error) {
	t.Helper()
	u, results := startFlowTok(t, cfg)
	done := make(chan error, 1)
	go func() { done <- (<-results).err }()
	return u, done
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoopbackAcceptsOneValidCallback(t *testing.T) {
	ts := tokenServer(t)
	cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/authorize", TokenURL: ts.URL}}
	authURL, done := startFlow(t, cfg)
	q := authURL.Query()
	redirect, _ := url.Parse(q.Get("redirect_uri"))
	host, _, _ := net.SplitHostPort(redirect.Host)
	if redirect.Scheme != "http" || host != "127.0.0.1" || redirect.Path != "/" {
		t.Fatalf("redirect_uri %q is not the 127.0.0.1 loopback", redirect)
	}
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 32 {
		t.Fatalf("PKCE or state missing: %v", q)
	}
	// Other paths and methods are refused without ending the flow.
	if code, _ := get(t, redirect.String()+"favicon.ico"); code != http.StatusBadRequest {
		t.Fatalf("other path: %d", code)
	}
	if code, body := get(t, redirect.String()+"?code=abc&state="+url.QueryEscape(q.Get("state"))); code != http.StatusOK || !strings.Contains(body, "Signed in") {
		t.Fatalf("valid callback: %d %s", code, body)
	}
	if err := <-done; err != nil {
		t.Fatalf("flow: %v", err)
	}
	// After the one valid callback the listener is gone.
	if code, _ := get(t, redirect.String()+"?code=abc&state="+url.QueryEscape(q.Get("state"))); code == http.StatusOK {
		t.Fatalf("a second callback was accepted")
	}
}

func TestLoopbackRejects(t *testing.T) {
	for _, tc := range []struct {
		name, query, want string
		issuer            string
		issRequired       bool
	}{
		{"error answer", "error=access_denied&error_description=User+said+no&state=STATE", "access_denied (User said no); the sign-in was declined", "", false},
		{"no code", "state=STATE", "no code", "", false},
		{"iss mismatch", "code=abc&state=STATE&iss=https%3A%2F%2Fevil.example.com", "different issuer", "https://idp.example.com", false},
		{"iss missing when promised", "code=abc&state=STATE", "different issuer", "https://idp.example.com", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := tokenServer(t)
			cfg := &Config{ClientID: "c", Endpoints: Endpoints{Issuer: tc.issuer, IssParameter: tc.issRequired, AuthURL: "https://idp.example.com/authorize", TokenURL: ts.URL}}
			authURL, done := startFlow(t, cfg)
			redirect := authURL.Query().Get("redirect_uri")
			query := strings.ReplaceAll(tc.query, "STATE", url.QueryEscape(authURL.Query().Get("state")))
			if code, _ := get(t, redirect+"?"+query); code != http.StatusBadRequest {
				t.Fatalf("callback answered %d, want 400", code)
			}
			err := <-done
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoopbackIssMatches(t *testing.T) {
	ts := tokenServer(t)
	cfg := &Config{ClientID: "c", Endpoints: Endpoints{Issuer: "https://idp.example.com", IssParameter: true, AuthURL: "https://idp.example.com/authorize", TokenURL: ts.URL}}
	authURL, done := startFlow(t, cfg)
	cb := authURL.Query().Get("redirect_uri") + "?code=abc&iss=" + url.QueryEscape("https://idp.example.com") + "&state=" + url.QueryEscape(authURL.Query().Get("state"))
	if code, _ := get(t, cb); code != http.StatusOK {
		t.Fatalf("callback %d", code)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPastedAnswers(t *testing.T) {
	cb := &callback{state: "s1"}
	for _, tc := range []struct{ in, code, err string }{
		{"http://127.0.0.1:5555/?code=c1&state=s1", "c1", ""},
		{"http://127.0.0.1:5555/?code=c1&state=s2", "", "wrong state"},
		{"bare-code_123", "bare-code_123", ""},
		{"not a code", "", "neither"},
	} {
		r := cb.pasted(tc.in)
		if r.code != tc.code || (tc.err == "") != (r.err == nil) || (r.err != nil && !strings.Contains(r.err.Error(), tc.err)) {
			t.Fatalf("%q: %+v", tc.in, r)
		}
	}
}

func TestTimeout(t *testing.T) {
	cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/authorize", TokenURL: "https://idp.example.com/token"}}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := cfg.AuthCode(ctx, Browser{Out: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "gave up waiting") {
		t.Fatalf("err = %v", err)
	}
}
