package flow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// jsonAnswer writes an OAuth JSON answer as the servers below do.
func jsonAnswer(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// Refresh-grant answers of real servers whose refresh token is dead, and
// answers that are not about the session.
func TestSessionEndedAcrossServers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   map[string]any
		ended  bool
	}{
		// Gitea 1.26 routers/web/auth/oauth2_provider.go: a rotated-out refresh token.
		{"gitea reused", 400, map[string]any{"error": "unauthorized_client", "error_description": "token was already used"}, true},
		{"gitea unparseable", 400, map[string]any{"error": "unauthorized_client", "error_description": "unable to parse refresh token"}, true},
		// Dex server/refreshhandlers.go: claimed by another login, restart, expiry.
		{"dex", 400, map[string]any{"error": "invalid_request", "error_description": "Refresh token is invalid or has already been claimed by another client."}, true},
		// RFC 6749 §5.2, zitadel, Keycloak.
		{"rfc", 400, map[string]any{"error": "invalid_grant", "error_description": "refresh token invalid"}, true},
		{"bad client", 401, map[string]any{"error": "invalid_client"}, false},
		{"server down", 503, map[string]any{"error": "temporarily_unavailable"}, false},
		{"server bug", 500, map[string]any{"error": "server_error"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { jsonAnswer(w, tc.status, tc.body) }))
			defer srv.Close()
			cfg := &Config{ClientID: "c", ClientSecret: "secret", Endpoints: Endpoints{TokenURL: srv.URL}}
			_, err := cfg.Refresh(context.Background(), "old-refresh")
			if err == nil || SessionEnded(err) != tc.ended {
				t.Fatalf("SessionEnded(%v) = %v, want %v", err, SessionEnded(err), tc.ended)
			}
		})
	}
}

// A refresh answer we refuse still rotated the refresh token at the server;
// the new one must come back to the caller.
func TestRefusedRefreshAnswerKeepsRotatedToken(t *testing.T) {
	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"no expires_in", map[string]any{"access_token": "at", "token_type": "Bearer", "refresh_token": "rotated"}},
		{"mac token", map[string]any{"access_token": "at", "token_type": "mac", "expires_in": 3600, "refresh_token": "rotated"}},
		{"negative expires_in", map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": -5, "refresh_token": "rotated"}},
		{"text expires_in", map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": "soon", "refresh_token": "rotated"}},
		{"no access token", map[string]any{"token_type": "Bearer", "expires_in": 60, "refresh_token": "rotated"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { jsonAnswer(w, 200, tc.body) }))
			defer srv.Close()
			cfg := &Config{ClientID: "c", Endpoints: Endpoints{TokenURL: srv.URL}}
			_, err := cfg.Refresh(context.Background(), "old-refresh")
			var re *RejectedError
			if !errors.As(err, &re) || re.RefreshToken != "rotated" {
				t.Fatalf("err %v (%T), want a RejectedError carrying the rotated token", err, err)
			}
		})
	}
}

func TestExpiresInForms(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration // -1: refused; 0: unknown expiry
	}{
		{"3600", time.Hour}, {" 3600 ", time.Hour}, {"3599.9", 3599 * time.Second},
		{"0", 0}, {"0.2", 0}, {"-5", -1}, {"abc", -1}, {"NaN", -1}, {"1e400", -1},
		{"10000000000", maxLifetime}, {"9223372036854775807", maxLifetime},
	} {
		got, err := expiryFrom(tc.in, now)
		switch {
		case tc.want == -1 && err == nil:
			t.Errorf("%q: accepted as %v", tc.in, got)
		case tc.want == 0 && (err != nil || !got.IsZero()):
			t.Errorf("%q: %v %v, want unknown expiry", tc.in, got, err)
		case tc.want > 0 && (err != nil || got.Sub(now) != tc.want):
			t.Errorf("%q: %v %v, want +%v", tc.in, got, err, tc.want)
		}
	}
}

// The huge expires_in of the GET path once overflowed time.Duration and
// came out as an expiry in 1759.
func TestHugeExpiresInOnGetPath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jsonAnswer(w, 200, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 1e10})
	}))
	defer srv.Close()
	cfg := &Config{ClientID: "c", Method: MethodGet, Endpoints: Endpoints{TokenURL: srv.URL}}
	tok, err := cfg.Refresh(context.Background(), "rt")
	if err != nil || tok.Expiry.Before(time.Now().Add(365*24*time.Hour)) {
		t.Fatalf("%v %v", tok, err)
	}
}

// iss on the redirect without a configured issuer, as Keycloak 22+ and
// panva's oidc-provider send it for every authorization response.
func TestIssWithOnlyEndpoints(t *testing.T) {
	ts := tokenServer(t)
	for _, tc := range []struct{ iss, err string }{
		{"https://idp.example.com/realms/r", ""},
		{"https://idp.example.com:443/realms/r", ""},
		{"https://evil.example.com", "different issuer"},
		{"http://idp.example.com", "different issuer"},
		{"https://idp.example.com:8443", "different issuer"},
	} {
		cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/realms/r/authorize", TokenURL: ts.URL}}
		authURL, done := startFlowTok(t, cfg)
		q := url.Values{"code": {"abc"}, "iss": {tc.iss}, "state": {authURL.Query().Get("state")}}
		get(t, authURL.Query().Get("redirect_uri")+"?"+q.Encode())
		r := <-done
		if tc.err == "" && (r.err != nil || r.tok.Issuer != tc.iss) {
			t.Fatalf("%s: %v %+v", tc.iss, r.err, r.tok)
		}
		if tc.err != "" && (r.err == nil || !strings.Contains(r.err.Error(), tc.err)) {
			t.Fatalf("%s: err %v", tc.iss, r.err)
		}
		// The same rule for a pasted address.
		cb := &callback{state: "s", authURL: cfg.Endpoints.AuthURL}
		res := cb.pasted("http://127.0.0.1:1/?code=c&state=s&iss=" + url.QueryEscape(tc.iss))
		if (tc.err == "") != (res.err == nil) {
			t.Fatalf("pasted %s: %v", tc.iss, res.err)
		}
	}
}

type flowResult struct {
	tok *Token
	err error
}

func startFlowTok(t *testing.T, cfg *Config, b ...Browser) (*url.URL, <-chan flowResult) {
	t.Helper()
	out := &syncBuffer{}
	br := Browser{}
	if len(b) > 0 {
		br = b[0]
	}
	br.Out = out
	done := make(chan flowResult, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	go func() {
		tok, err := cfg.AuthCode(ctx, br)
		done <- flowResult{tok, err}
	}()
	for range 500 {
		for _, f := range strings.Fields(out.String()) {
			if strings.Contains(f, "redirect_uri=") {
				u, err := url.Parse(f)
				if err != nil {
					t.Fatal(err)
				}
				return u, done
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no authorization URL printed:\n%s", out.String())
	return nil, nil
}

// Requests that are not the answer (wrong state, another Host as in DNS
// rebinding, error= without the state) get 400 and do not end the wait,
// even 300 of them.
func TestListenerWithstandsBadRequests(t *testing.T) {
	ts := tokenServer(t)
	cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/authorize", TokenURL: ts.URL}}
	authURL, done := startFlowTok(t, cfg)
	redirect := authURL.Query().Get("redirect_uri")
	state := authURL.Query().Get("state")
	ru, _ := url.Parse(redirect)
	rebound := func(q string) *http.Request {
		req, _ := http.NewRequest("GET", redirect+"?"+q, nil)
		req.Host = "attacker.example:" + ru.Port()
		return req
	}
	start := time.Now()
	var bad atomic.Int32
	for i := range 300 {
		var req *http.Request
		switch i % 4 {
		case 0:
			req, _ = http.NewRequest("GET", redirect+"?code=x&state=wrong", nil)
		case 1:
			req, _ = http.NewRequest("GET", redirect+"?error=access_denied", nil)
		case 2:
			req = rebound("code=x&state=" + url.QueryEscape(state))
		case 3:
			req, _ = http.NewRequest("GET", strings.TrimSuffix(redirect, "/")+"/favicon.ico", nil)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 400 {
			bad.Add(1)
		}
	}
	select {
	case r := <-done:
		t.Fatalf("the flood ended the sign-in: %v", r.err)
	default:
	}
	if bad.Load() != 300 {
		t.Fatalf("%d of 300 bad requests got 400", bad.Load())
	}
	if code, _ := get(t, redirect+"?code=abc&state="+url.QueryEscape(state)); code != 200 {
		t.Fatalf("the real answer got %d", code)
	}
	if r := <-done; r.err != nil || r.tok.AccessToken != "at" {
		t.Fatalf("%v", r.err)
	}
	t.Logf("300 bad requests held off in %v", time.Since(start).Round(time.Millisecond))
}

// response_mode=form_post: the provider's page POSTs the answer.
func TestListenerAcceptsFormPost(t *testing.T) {
	ts := tokenServer(t)
	cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/authorize", TokenURL: ts.URL}}
	authURL, done := startFlowTok(t, cfg)
	resp, err := http.PostForm(authURL.Query().Get("redirect_uri"), url.Values{"code": {"abc"}, "state": {authURL.Query().Get("state")}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
}

// Exact registered redirect URIs: the first one whose port is taken is
// skipped, path and host are kept as registered.
func TestRedirectURLs(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	freePort := free.Addr().(*net.TCPAddr).Port
	free.Close()
	ts := tokenServer(t)
	cfg := &Config{ClientID: "c", Endpoints: Endpoints{AuthURL: "https://idp.example.com/authorize", TokenURL: ts.URL}}
	want := fmt.Sprintf("http://localhost:%d/callback", freePort)
	authURL, done := startFlowTok(t, cfg, Browser{RedirectURLs: []string{fmt.Sprintf("http://127.0.0.1:%d/cb", busy.Addr().(*net.TCPAddr).Port), want}})
	if got := authURL.Query().Get("redirect_uri"); got != want {
		t.Fatalf("redirect_uri %s, want %s", got, want)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/callback?code=abc&state=%s", freePort, url.QueryEscape(authURL.Query().Get("state"))), nil)
	req.Host = fmt.Sprintf("localhost:%d", freePort)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	if r := <-done; r.err != nil {
		t.Fatal(r.err)
	}
	for _, bad := range []string{"https://127.0.0.1:1/x", "http://example.com:1/x", "http://127.0.0.1/x", "http://127.0.0.1:1/x?a=b"} {
		if _, err := ParseRedirectURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// Dex (server/deviceflowhandlers.go) reads the client secret of a device
// request from the form body only; a confidential client that sends just
// client_id gets a code whose approval fails, and its polls stay pending.
func dexDevice(t *testing.T, tokenStatus int, tokenBody map[string]any) (*httptest.Server, *atomic.Int32) {
	var polls atomic.Int32
	var authed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/device/code", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		authed.Store(r.PostForm.Get("client_id") == "dex-client" && r.PostForm.Get("client_secret") == "dex-secret")
		jsonAnswer(w, 200, map[string]any{"device_code": "dc-123456", "user_code": "ABCD-EFGH", "verification_uri": "https://dex.example.com/device",
			"verification_uri_complete": "https://dex.example.com/device?user_code=ABCD-EFGH", "expires_in": 300, "interval": 1})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		n := polls.Add(1)
		switch {
		case tokenBody != nil:
			jsonAnswer(w, tokenStatus, tokenBody)
		case authed.Load() && n >= 2:
			jsonAnswer(w, 200, map[string]any{"access_token": "at", "token_type": "bearer", "expires_in": 3600, "refresh_token": "rt"})
		default:
			jsonAnswer(w, 400, map[string]any{"error": "authorization_pending"})
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &polls
}

func TestDeviceConfidentialClientLikeDex(t *testing.T) {
	srv, polls := dexDevice(t, 0, nil)
	cfg := &Config{ClientID: "dex-client", ClientSecret: "dex-secret", Endpoints: Endpoints{DeviceURL: srv.URL + "/device/code", TokenURL: srv.URL + "/token"}}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	var shown DeviceCode
	tok, err := cfg.Device(ctx, func(dc DeviceCode) { shown = dc })
	if err != nil || tok.AccessToken != "at" {
		t.Fatalf("%v after %d polls", err, polls.Load())
	}
	if shown.UserCode != "ABCD-EFGH" || !strings.Contains(shown.VerificationURIComplete, "user_code=") {
		t.Fatalf("shown %+v", shown)
	}
}

// Any answer other than pending or slow_down ends the wait at once.
func TestDevicePollEndsOnRefusal(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
	}{{401, "invalid_client"}, {400, "access_denied"}, {400, "expired_token"}} {
		srv, polls := dexDevice(t, tc.status, map[string]any{"error": tc.code})
		cfg := &Config{ClientID: "dex-client", ClientSecret: "dex-secret", Endpoints: Endpoints{DeviceURL: srv.URL + "/device/code", TokenURL: srv.URL + "/token"}}
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		_, err := cfg.Device(ctx, func(DeviceCode) {})
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.code) || polls.Load() != 1 {
			t.Fatalf("%s: %v after %d polls", tc.code, err, polls.Load())
		}
	}
}

// A server that echoes secrets back in any encoding, at the end of a long
// description where a cut would halve them, gets none of them printed.
func TestScrubEncodedSecrets(t *testing.T) {
	secret := "s3cr3t/v+lue=\"x\""
	rt := "refresh+token/value=="
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pw, _ := r.BasicAuth()
		desc := strings.Repeat("x", 190) + " " + r.Header.Get("Authorization") + " " + url.QueryEscape(rt) + " " + pw +
			" " + base64.StdEncoding.EncodeToString([]byte(rt)) + " " + url.PathEscape(secret)
		b, _ := json.Marshal(map[string]string{"error": "invalid_grant", "error_description": desc + " " + secret + " " + rt})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		w.Write(b)
	}))
	defer srv.Close()
	cfg := &Config{ClientID: "c", ClientSecret: secret, Endpoints: Endpoints{TokenURL: srv.URL}}
	_, err := cfg.Refresh(context.Background(), rt)
	var se *ServerError
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	full := se.Code + " " + se.Description
	basic := base64.StdEncoding.EncodeToString([]byte("c:" + url.QueryEscape(secret)))
	for _, form := range []string{secret, rt, url.QueryEscape(secret), url.QueryEscape(rt), basic[4 : len(basic)-4],
		base64.StdEncoding.EncodeToString([]byte(rt))[:8], url.PathEscape(secret), "s3cr3t"} {
		if strings.Contains(full, form) || strings.Contains(err.Error(), form) {
			t.Errorf("%q survived in %q", form, full)
		}
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"plain scope":                       "plain scope",
		"red\x1b[31mtext\x1b[0m":            "redtext",
		"title\x1b]0;pwned\x07after":        "titleafter",
		"title\x1b]0;pwned\x1b\\after":      "titleafter",
		"line\nbreak\r\tand\x00nul":         "line break  and nul",
		"c1\u009b31mcsi":                    "c1csi",
		"bidi\u202eevil":                    "bidi evil",
		"\x1b":                              "",
		"unterminated\x1b]0;forever no end": "unterminated",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}
