package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// legacy is a small server of ours for what the example provider cannot do:
// the GET token method, a separate refresh endpoint, slow_down, and broken
// answers. Its /auth approves at once and redirects back.
type legacy struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request // copies with URL and form
	forms    []url.Values
	n        int
	// token, when set, replaces the /token handler.
	token http.HandlerFunc
	// auth, when set, replaces the /auth handler.
	auth http.HandlerFunc
	// discovery, when set, is served at /.well-known/openid-configuration.
	discovery string
	// idTokenSize, when set, adds an id_token of that many bytes to answers.
	idTokenSize int
	polls       []time.Time
	pending     int // device polls answered authorization_pending first
	slow        int // then slow_down
}

func newLegacy(t *testing.T, w *world) *legacy { return startLegacy(t, w, false) }

func startLegacy(t *testing.T, w *world, useTLS bool) *legacy {
	l := &legacy{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(rw http.ResponseWriter, r *http.Request) {
		if l.discovery == "" {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprint(rw, strings.ReplaceAll(l.discovery, "URL", l.URL))
	})
	mux.HandleFunc("/auth", func(rw http.ResponseWriter, r *http.Request) {
		l.record(r)
		if l.auth != nil {
			l.auth(rw, r)
			return
		}
		q := r.URL.Query()
		u, _ := url.Parse(q.Get("redirect_uri"))
		u.RawQuery = url.Values{"code": {"legacy-code-" + q.Get("state")[:8]}, "state": {q.Get("state")}}.Encode()
		http.Redirect(rw, r, u.String(), http.StatusFound)
	})
	issue := func(rw http.ResponseWriter, prefix string) {
		l.mu.Lock()
		l.n++
		n := l.n
		l.mu.Unlock()
		at, rt := fmt.Sprintf("%s-access-%d-abcdefgh", prefix, n), fmt.Sprintf("%s-refresh-%d-abcdefgh", prefix, n)
		w.addSecret(at)
		w.addSecret(rt)
		answer := map[string]any{"access_token": at, "token_type": "bearer", "expires_in": 3600, "refresh_token": rt}
		if l.idTokenSize > 0 {
			answer["id_token"] = strings.Repeat("i", l.idTokenSize)
		}
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(answer)
	}
	mux.HandleFunc("/token", func(rw http.ResponseWriter, r *http.Request) {
		l.record(r)
		if l.token != nil {
			l.token(rw, r)
			return
		}
		if r.Form.Get("grant_type") == "urn:ietf:params:oauth:grant-type:device_code" {
			l.mu.Lock()
			l.polls = append(l.polls, time.Now())
			var code string
			switch {
			case l.pending > 0:
				l.pending--
				code = "authorization_pending"
			case l.slow > 0:
				l.slow--
				code = "slow_down"
			}
			l.mu.Unlock()
			if code != "" {
				rw.Header().Set("Content-Type", "application/json")
				rw.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(rw, `{"error":%q}`, code)
				return
			}
		}
		issue(rw, "tok")
	})
	mux.HandleFunc("/refresh", func(rw http.ResponseWriter, r *http.Request) {
		l.record(r)
		issue(rw, "ref")
	})
	mux.HandleFunc("/device", func(rw http.ResponseWriter, r *http.Request) {
		l.record(r)
		w.addSecret("legacy-device-code-123")
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprint(rw, `{"device_code":"legacy-device-code-123","user_code":"WDJB-MJHT","verification_uri":"https://example.com/device","expires_in":120,"interval":1}`)
	})
	if useTLS {
		l.Server = httptest.NewTLSServer(mux)
	} else {
		l.Server = httptest.NewServer(mux)
	}
	t.Cleanup(l.Close)
	return l
}

func (l *legacy) record(r *http.Request) {
	r.ParseForm()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, r)
	l.forms = append(l.forms, r.Form)
}

// find returns the recorded requests to path.
func (l *legacy) find(path string) []*http.Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*http.Request
	for _, r := range l.requests {
		if r.URL.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func (l *legacy) args(service string, extra ...string) []string {
	return append([]string{"--service", service, "--client-id", "legacy-client", "--client-secret", "legacy-secret-xyz",
		"--auth-url", l.URL + "/auth", "--token-url", l.URL + "/token", "--refresh-url", l.URL + "/refresh",
		"--device-url", l.URL + "/device", "--scope", "s1,s2"}, extra...)
}

// the seed library's method=get, refresh_url and additionalParams.
func TestLegacyGetMethodRefreshURLAndParams(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	r := w.run(append([]string{"token", "--save", "--method", "get", "--param", "access_type=offline", "--token-dir", "."}, l.args("MyService")...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	auth := l.find("/auth")
	if len(auth) != 1 || auth[0].URL.Query().Get("access_type") != "offline" || auth[0].URL.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("authorization URL lacks access_type=offline or PKCE: %v", auth)
	}
	if got := auth[0].URL.Query().Get("scope"); got != "s1 s2" {
		t.Fatalf("scope %q", got)
	}
	tok := l.find("/token")
	if len(tok) != 1 || tok[0].Method != http.MethodGet {
		t.Fatalf("token request was not a GET: %v", tok)
	}
	q := tok[0].URL.Query()
	if q.Get("grant_type") != "authorization_code" || q.Get("code") == "" || q.Get("code_verifier") == "" || q.Get("client_secret") != "legacy-secret-xyz" {
		t.Fatalf("GET token request lacks its parameters: %v", q.Encode() != "")
	}
	// --token-dir . is the seed's behaviour: the file in the current directory.
	if _, err := os.Stat(w.home + "/.MyService-token"); err != nil {
		t.Fatalf("no .MyService-token in the current directory: %v", err)
	}
	// Age the token, then the refresh goes to --refresh-url, not --token-url.
	w.tokenDir = w.home
	w.age("MyService")
	r = w.run(append([]string{"token", "--method", "get", "--token-dir", "."}, l.args("MyService")...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "ref-access-2-abcdefgh" {
		t.Fatalf("refresh: exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}
	ref := l.find("/refresh")
	if len(ref) != 1 || len(l.find("/token")) != 1 || ref[0].Method != http.MethodGet || ref[0].URL.Query().Get("refresh_token") != "tok-refresh-1-abcdefgh" {
		t.Fatalf("refresh did not go to --refresh-url as a GET")
	}
	if w.token("MyService").RefreshToken != "ref-refresh-2-abcdefgh" {
		t.Fatalf("rotated refresh token not saved")
	}
}

// POST is the default and also honours --refresh-url.
func TestPostRefreshURL(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	if r := w.run(append([]string{"token", "--save"}, l.args("post")...)...); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if tok := l.find("/token"); len(tok) != 1 || tok[0].Method != http.MethodPost || tok[0].URL.RawQuery != "" {
		t.Fatalf("token request was not a plain POST")
	}
	w.age("post")
	if r := w.run(append([]string{"token"}, l.args("post")...)...); r.code != 0 {
		t.Fatalf("refresh exit %d\n%s", r.code, r.stderr)
	}
	if ref := l.find("/refresh"); len(ref) != 1 || ref[0].Method != http.MethodPost || ref[0].PostForm.Get("grant_type") != "refresh_token" {
		t.Fatalf("refresh did not POST to --refresh-url")
	}
}

// authorization_pending and slow_down (+5 s) are honoured.
func TestDevicePendingAndSlowDown(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	l.pending, l.slow = 1, 1
	r := w.run(append([]string{"token", "--flow", "device", "--param", "audience=api"}, l.args("dev")...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "https://example.com/device") || !strings.Contains(r.stderr, "WDJB-MJHT") {
		t.Fatalf("verification URI and code not shown:\n%s", r.stderr)
	}
	if d := l.find("/device"); len(d) != 1 || d[0].PostForm.Get("audience") != "api" {
		t.Fatalf("--param not sent with the device request")
	}
	if len(l.polls) != 3 {
		t.Fatalf("polls: %d, want 3 (pending, slow_down, success)", len(l.polls))
	}
	if gap := l.polls[1].Sub(l.polls[0]); gap < 900*time.Millisecond {
		t.Fatalf("polled again after %v, interval is 1 s", gap)
	}
	if gap := l.polls[2].Sub(l.polls[1]); gap < 5900*time.Millisecond {
		t.Fatalf("after slow_down polled again after %v, want >= 6 s", gap)
	}
}
