package integration

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"oauth2cred/persist"
)

// kill -9 at random points while a refreshed token is written:
// the file is always complete (old or new), and a dead holder's lock never
// blocks the next call.
func TestKillDuringRefreshNeverTearsFile(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	l.idTokenSize = 512 << 10 // a large file widens the write window
	args := append([]string{"token", "--non-interactive"}, l.args("crash")...)
	if r := w.run(append([]string{"token", "--save"}, l.args("crash")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	dir := persist.Dir{Path: w.tokenDir, Shared: true}
	// Kill at random points across a whole call: time three first.
	var took []time.Duration
	for range 3 {
		w.age("crash")
		start := time.Now()
		if r := w.run(args...); r.code != 0 {
			t.Fatalf("refresh: %s", r.stderr)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	full := took[1]
	deadline := time.Now().Add(60 * time.Second)
	runs, killedMidway, completed, kept, replaced := 0, 0, 0, 0, 0
	for runs < 200 && time.Now().Before(deadline) {
		runs++
		w.age("crash")
		before := w.fileBytes("crash")
		cmd := w.command(context.Background(), cmdOpts{}, bin.oauth2cred, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(full) * 13 / 10)))
		cmd.Process.Kill()
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok && !ee.Exited() {
			killedMidway++
		} else {
			completed++
		}
		tok, lerr := dir.Load("crash")
		if lerr != nil {
			t.Fatalf("run %d: the token file is broken after kill -9: %v", runs, lerr)
		}
		switch after := w.fileBytes("crash"); {
		case bytes.Equal(after, before):
			kept++
		case strings.HasPrefix(tok.AccessToken, "ref-access-") && tok.RefreshToken != "" && len(tok.IDToken) == l.idTokenSize:
			replaced++
		default:
			t.Fatalf("run %d: the file changed to something that is neither the old nor a complete new token", runs)
		}
	}
	t.Logf("%d runs over a %v call: %d killed mid-call, %d finished; file kept %d, replaced %d", runs, full, killedMidway, completed, kept, replaced)
	if runs < 200 || killedMidway < 50 || kept == 0 || replaced == 0 {
		t.Fatalf("the kills did not cover the call: %d runs, %d killed, kept %d, replaced %d", runs, killedMidway, kept, replaced)
	}
	start := time.Now()
	r := w.run(args...)
	if r.code != 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("the call after the kills: exit %d after %v\n%s", r.code, time.Since(start), r.stderr)
	}
}

// --verbose shows every request, with secrets redacted.
func TestVerboseRedacts(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	r := w.run(append([]string{"token", "--save", "--verbose", "--method", "get"}, l.args("v")...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "oauth2cred: GET "+l.URL+"/token?") || !strings.Contains(r.stderr, "client_secret=REDACTED") || !strings.Contains(r.stderr, "code=REDACTED") {
		t.Fatalf("verbose login:\n%s", r.stderr)
	}
	w.age("v")
	r = w.run(append([]string{"token", "--verbose", "--method", "get"}, l.args("v")...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "refresh_token=REDACTED") || !strings.Contains(r.stderr, "-> 200") {
		t.Fatalf("verbose refresh:\n%s", r.stderr)
	}
	// And against the real provider (POST, discovery).
	r = w.run(append([]string{"token", "--save", "--verbose"}, w.service("vp")...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "oauth2cred: GET "+w.op.Issuer+"/.well-known/openid-configuration -> 200") || !strings.Contains(r.stderr, "oauth2cred: POST "+w.op.Issuer+"/oauth/token -> 200") {
		t.Fatalf("verbose against the provider:\n%s", r.stderr)
	}
	// checkSecrets (at cleanup) scans all of it for every issued secret.
}

// hostile and broken servers get a clear error, exit 1, file untouched.
func TestHostileServers(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	// The refresh grant goes to the token handler; a token is only refreshed
	// with the configuration that obtained it, so log in with the same one.
	if r := w.run(append([]string{"token", "--save"}, l.args("h", "--refresh-url", l.URL+"/token")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	w.age("h")
	saved := w.fileBytes("h")
	other := newLegacy(t, w)
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"500", func(rw http.ResponseWriter, r *http.Request) { http.Error(rw, "boom", 500) }, "500 Internal Server Error"},
		{"huge body", func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.Write([]byte(`{"access_token":"` + strings.Repeat("x", 5<<20) + `"}`))
		}, "not a JSON token response"},
		{"redirect to another host", func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/token", http.StatusTemporaryRedirect)
		}, "redirected to another host"},
		{"empty 200", func(rw http.ResponseWriter, r *http.Request) {}, "token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.token = tc.handler
			r := w.run(append([]string{"token"}, l.args("h", "--refresh-url", l.URL+"/token")...)...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if !bytes.Equal(w.fileBytes("h"), saved) {
				t.Fatal("the saved file changed")
			}
		})
	}
	if len(other.find("/token")) != 0 {
		t.Fatal("the redirect was followed to the other host")
	}
	// A token answer without expires_in is refused (its lifetime is unknown)
	// unless the service says its tokens never expire; then it is kept with
	// no expiry (GitHub OAuth apps) and the refresh token is not lost.
	l.token = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprint(rw, `{"access_token":"forever-token-abcdefgh","token_type":"bearer"}`)
	}
	w.addSecret("forever-token-abcdefgh")
	r := w.run(append([]string{"token"}, l.args("h", "--refresh-url", l.URL+"/token")...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "sent no expires_in") || !strings.Contains(r.stderr, "--allow-no-expiry") || !bytes.Equal(w.fileBytes("h"), saved) {
		t.Fatalf("no expires_in: exit %d\n%s", r.code, r.stderr)
	}
	r = w.run(append([]string{"token", "--allow-no-expiry"}, l.args("h", "--refresh-url", l.URL+"/token")...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "forever-token-abcdefgh" || !w.token("h").Expiry.IsZero() {
		t.Fatalf("--allow-no-expiry: exit %d\n%s", r.code, r.stderr)
	}
	if w.token("h").RefreshToken == "" {
		t.Fatal("the refresh token was lost when the server sent none")
	}
}

// the browser's answer with a wrong state or an error, and a
// discovery document naming another issuer.
func TestHostileAuthorizationAnswers(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	redirectWith := func(q func(state string) string) http.HandlerFunc {
		return func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, r.URL.Query().Get("redirect_uri")+"?"+q(r.URL.Query().Get("state")), http.StatusFound)
		}
	}
	for _, tc := range []struct {
		name string
		auth http.HandlerFunc
		want string
	}{
		// A forged answer is refused and the real one is still awaited.
		{"wrong state", redirectWith(func(string) string { return "code=c&state=forged" }), "gave up waiting for the browser sign-in"},
		{"access_denied", redirectWith(func(s string) string { return "error=access_denied&state=" + s }), "access_denied; the sign-in was declined"},
		{"iss mismatch", redirectWith(func(s string) string { return "code=c&iss=https%3A%2F%2Fevil.example.com&state=" + s }), "different issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.auth = tc.auth
			// A short cool-down: each case abandons a sign-in.
			r := w.run(append([]string{"token", "--save", "--login-timeout", "2s", "--cooldown", "1ms"}, l.args("a")...)...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if _, err := os.Stat(w.tokenDir + "/.a-token"); err == nil {
				t.Fatal("a token was saved")
			}
		})
	}
	l.discovery = `{"issuer":"https://evil.example.com","authorization_endpoint":"URL/auth","token_endpoint":"URL/token"}`
	r := w.run("token", "--service", "d", "--client-id", "c", "--issuer", l.URL)
	if r.code != 1 || !strings.Contains(r.stderr, `names issuer "https://evil.example.com"`) {
		t.Fatalf("discovery mismatch: exit %d\n%s", r.code, r.stderr)
	}
}

// TLS is verified by default; --ca-file trusts a private CA;
// --insecure-skip-tls-verify works and warns every time.
func TestTLSVerification(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := startLegacy(t, w, true)
	ca := filepath.Join(w.home, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.Certificate().Raw}), 0o600)
	args := []string{"token", "--service", "tls", "--flow", "client-credentials", "--client-id", "ci", "--client-secret", "legacy-secret-xyz",
		"--token-url", l.URL + "/token", "--non-interactive"}
	r := w.run(args...)
	if r.code != 1 || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("unverified TLS accepted: exit %d\n%s", r.code, r.stderr)
	}
	r = w.run(append(args, "--ca-file", ca)...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "tok-access-") {
		t.Fatalf("--ca-file: exit %d\n%s", r.code, r.stderr)
	}
	r = w.run(append(args, "--insecure-skip-tls-verify")...)
	if r.code != 0 || strings.Count(r.stderr, "TLS verification is off") != 1 {
		t.Fatalf("--insecure-skip-tls-verify: exit %d\n%s", r.code, r.stderr)
	}
	r = w.run(append(args, "--ca-file", filepath.Join(w.home, "nope.pem"))...)
	if r.code != 2 || !strings.Contains(r.stderr, "--ca-file") {
		t.Fatalf("missing CA file: exit %d\n%s", r.code, r.stderr)
	}
}

// Proxies are honoured for every request to a server.
func TestProxyHonoured(t *testing.T) {
	w := newWorld(t, 0)
	var proxied []string
	proxy := newLegacy(t, w)
	proxy.token = nil
	seen := make(chan string, 10)
	proxy.Config.Handler = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		seen <- r.URL.String()
		http.Error(rw, "proxy says no", http.StatusBadGateway)
	})
	r := w.runWith(cmdOpts{env: []string{"HTTPS_PROXY=" + proxy.URL, "HTTP_PROXY=" + proxy.URL, "NO_PROXY="}},
		"token", "--service", "p", "--flow", "client-credentials", "--client-id", "c", "--client-secret", "s",
		"--token-url", "https://login.example.com/oauth/token", "--non-interactive")
	close(seen)
	for s := range seen {
		proxied = append(proxied, s)
	}
	if r.code != 1 || len(proxied) == 0 {
		t.Fatalf("the proxy saw %v; exit %d\n%s", proxied, r.code, r.stderr)
	}
}
