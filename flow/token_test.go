package flow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseTokenBody(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		want              parsedToken
		expires           bool
		err               string
	}{
		{"json", "application/json", `{"access_token":"a","token_type":"bearer","expires_in":60,"refresh_token":"r","scope":"x y"}`, parsedToken{Token: Token{AccessToken: "a", TokenType: "bearer", RefreshToken: "r", Scope: "x y"}}, true, ""},
		{"expires_in as string", "application/json", `{"access_token":"a","expires_in":"60"}`, parsedToken{Token: Token{AccessToken: "a"}}, true, ""},
		{"no expires_in", "application/json", `{"access_token":"a"}`, parsedToken{Token: Token{AccessToken: "a"}}, false, ""},
		{"form", "application/x-www-form-urlencoded", `access_token=a&token_type=bearer&expires_in=60`, parsedToken{Token: Token{AccessToken: "a", TokenType: "bearer"}}, true, ""},
		{"error json", "application/json", `{"error":"invalid_grant","error_description":"gone"}`, parsedToken{errCode: "invalid_grant", errDesc: "gone"}, false, ""},
		{"html", "text/html", `<html>login</html>`, parsedToken{}, false, "HTML"},
		{"garbage", "application/json", `{{{`, parsedToken{}, false, "not JSON"},
		{"fractional expires_in", "application/json", `{"access_token":"a","expires_in":3599.5}`, parsedToken{Token: Token{AccessToken: "a"}}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := parseTokenBody(tc.ctype, []byte(tc.body), time.Now())
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.AccessToken != tc.want.AccessToken || p.RefreshToken != tc.want.RefreshToken || p.errCode != tc.want.errCode || p.Scope != tc.want.Scope {
				t.Fatalf("got %+v", p)
			}
			if tc.expires != !p.Expiry.IsZero() {
				t.Fatalf("expiry %v", p.Expiry)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	u, _ := url.Parse("https://user:pw@example.com/token?grant_type=refresh_token&refresh_token=SECRET1&client_secret=SECRET2&code=SECRET3&scope=a+b")
	got := Redact(u)
	for _, s := range []string{"SECRET", "pw", "user"} {
		if strings.Contains(got, s) {
			t.Fatalf("Redact left %q in %s", s, got)
		}
	}
	if !strings.Contains(got, "grant_type=refresh_token") || !strings.Contains(got, "scope=a+b") {
		t.Fatalf("Redact hid too much: %s", got)
	}
}

func TestServerErrorText(t *testing.T) {
	e := &ServerError{Endpoint: "token endpoint https://x/t", Status: 400, Code: "invalid_grant", Description: "expired"}
	if got := e.Error(); got != "token endpoint https://x/t answered 400 Bad Request: invalid_grant (expired); the saved session is no longer valid; log in again" {
		t.Fatal(got)
	}
	if !SessionEnded(fmt.Errorf("wrapped: %w", e)) {
		t.Fatal("SessionEnded")
	}
	if clean("a\nb\x1b[31mc") != "a bc" {
		t.Fatalf("clean: %q", clean("a\nb\x1b[31mc"))
	}
}

// A token endpoint that redirects to another host must not get our secret
// carried along.
func TestNoRedirectToOtherHost(t *testing.T) {
	var leaked bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { leaked = true }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/steal", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	client, err := NewClient(ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &Config{ClientID: "c", ClientSecret: "s", Endpoints: Endpoints{TokenURL: srv.URL + "/token"}, Client: client}
	for _, method := range []string{MethodPost, MethodGet} {
		cfg.Method = method
		_, err = cfg.Refresh(context.Background(), "rt")
		if err == nil || !strings.Contains(err.Error(), "another host") || leaked {
			t.Fatalf("%s: err %v, leaked %v", method, err, leaked)
		}
		if strings.Contains(err.Error(), "rt") && strings.Contains(err.Error(), "refresh_token=") {
			t.Fatalf("error carries the query: %v", err)
		}
	}
}

func TestHugeBodyIsCapped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"`))
		chunk := []byte(strings.Repeat("a", 1<<16))
		for range 200 { // 12.5 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	for _, method := range []string{MethodPost, MethodGet} {
		cfg := &Config{ClientID: "c", Method: method, Endpoints: Endpoints{TokenURL: srv.URL}}
		_, err := cfg.Refresh(context.Background(), "rt")
		if err == nil || !strings.Contains(err.Error(), "not") {
			t.Fatalf("%s: err %v", method, err)
		}
	}
}

func TestDiscoveryRefusesOtherIssuer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"issuer":"https://evil.example.com","authorization_endpoint":"https://evil.example.com/a","token_endpoint":"https://evil.example.com/t"}`)
	}))
	defer srv.Close()
	_, err := Discover(context.Background(), nil, srv.URL)
	if err == nil || !strings.Contains(err.Error(), `names issuer "https://evil.example.com"`) {
		t.Fatalf("err %v", err)
	}
}

func TestDiscoveryFallsBackToRFC8414(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/oauth-authorization-server/tenant" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"issuer":"%s/tenant","authorization_endpoint":"%[1]s/a","token_endpoint":"%[1]s/t","revocation_endpoint":"%[1]s/r","authorization_response_iss_parameter_supported":true}`, srv.URL)
	}))
	defer srv.Close()
	ep, err := Discover(context.Background(), nil, srv.URL+"/tenant")
	if err != nil {
		t.Fatal(err)
	}
	if ep.TokenURL != srv.URL+"/t" || ep.RevokeURL != srv.URL+"/r" || !ep.IssParameter {
		t.Fatalf("%+v", ep)
	}
}

func TestWrapNeverShowsQuery(t *testing.T) {
	err := wrap("token endpoint https://x/t", &url.Error{Op: "Get", URL: "https://x/t?client_secret=SECRET", Err: errors.New("connection refused")})
	if strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatal(err)
	}
}

// A server that echoes our secrets in its error text does not get them printed.
func TestErrorsNeverEchoSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"bad token %s with secret %s"}`, r.Form.Get("refresh_token"), r.Form.Get("client_secret"))
	}))
	defer srv.Close()
	for _, method := range []string{MethodPost, MethodGet} {
		cfg := &Config{ClientID: "c", ClientSecret: "s3cr3t-value", Method: method, Endpoints: Endpoints{TokenURL: srv.URL}}
		_, err := cfg.Refresh(context.Background(), "refresh-token-value")
		if err == nil || strings.Contains(err.Error(), "refresh-token-value") || strings.Contains(err.Error(), "s3cr3t-value") || !SessionEnded(err) {
			t.Fatalf("%s: %v", method, err)
		}
	}
}
