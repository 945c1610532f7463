package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"oauth2cred/integration/gitserver"
	"oauth2cred/persist"
)

// a refresh token that died because another machine logged in
// with the same client, answered as Gitea and Dex answer it. With no one
// to ask, git fails with the "session has ended" line (exit 3 of the
// helper); at a terminal the same fetch signs in again and succeeds.
// Real git 2.39 and 2.47.
func TestDeadRefreshTokenLikeForges(t *testing.T) {
	gits := []string{"git", newGit(t)}
	for _, tc := range []struct{ server, git string }{
		{"gitea", gits[0]}, {"gitea-unparseable", gits[0]}, {"dex", gits[0]},
		{"gitea", gits[1]}, {"dex", gits[1]},
	} {
		t.Run(tc.server+" "+filepath.Base(filepath.Dir(filepath.Dir(tc.git))), func(t *testing.T) {
			g := newGitWorld(t)
			helper, dir := g.cloned("git")
			g.op.DeadRefresh.Store(tc.server)
			old := g.token("git")
			if err := g.op.RefreshElsewhere(t.Context(), old.RefreshToken); err != nil {
				t.Fatal(err)
			}
			g.age("git")
			// In the background with nobody there: no terminal, no desktop.
			r := g.exec(cmdOpts{dir: dir, env: []string{"GIT_TERMINAL_PROMPT=0", "BROWSER=", "DISPLAY=", "WAYLAND_DISPLAY="}}, tc.git, "-c", "credential.helper=", "-c", "credential.helper="+helper, "fetch", "-q")
			if r.code == 0 || !strings.Contains(r.stderr, `oauth2cred: the saved session for "git" has ended (the server refused its refresh token) and no one can sign in here; run 'oauth2cred login --service git`) {
				t.Fatalf("background fetch: exit %d\n%s", r.code, r.stderr)
			}
			logins := g.op.Count("/oauth/token authorization_code")
			cmd, _, _, stderr, term := g.programOnTerminal(t, nil, tc.git, "-c", "credential.helper=", "-c", "credential.helper="+helper, "-C", dir, "fetch", "-q")
			if err := cmd.Wait(); err != nil {
				t.Fatalf("fetch at a terminal: %v\n%s\n%s", err, stderr, term)
			}
			if !strings.Contains(term.String(), "has ended (the server refused its refresh token); signing in again") {
				t.Fatalf("terminal:\n%s", term)
			}
			if g.op.Count("/oauth/token authorization_code") != logins+1 || g.token("git").RefreshToken == old.RefreshToken {
				t.Fatal("no new session was signed in and saved")
			}
		})
	}
}

// git >= 2.46 with authtype erases with credential=, not
// password=; the rejected token is dropped and the next get refreshes.
func TestGitBearerEraseThenRefresh(t *testing.T) {
	newer := newGit(t)
	w := newWorld(t, 0)
	srv, err := gitserver.StartBearerOnly(t.TempDir(), func(token string) bool { return w.op.Valid(context.Background(), token) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.NewRepo("repo")
	g := &gitWorld{world: w, git: srv}
	g.login("git")
	helper := "!oauth2cred git --git-bearer " + g.helperArgs("git")
	git := func(args ...string) result {
		return g.exec(cmdOpts{env: []string{"GIT_TERMINAL_PROMPT=0"}}, newer, append([]string{"-c", "credential.helper=", "-c", "credential.helper=" + helper}, args...)...)
	}
	dir := filepath.Join(g.home, "c")
	if r := git("clone", "-q", srv.URL+"/repo.git", dir); r.code != 0 {
		t.Fatalf("clone: %s", r.stderr)
	}
	old := g.token("git")
	if err := g.op.Revoke(t.Context(), old.AccessToken, "access_token"); err != nil {
		t.Fatal(err)
	}
	if r := git("-C", dir, "fetch", "-q"); r.code == 0 {
		t.Fatal("fetch with a revoked token succeeded")
	}
	if erased := g.token("git"); erased.AccessToken != "" || erased.RefreshToken != old.RefreshToken {
		t.Fatalf("erase with credential= did not drop the access token")
	}
	before := g.op.Count("/oauth/token refresh_token")
	if r := git("-C", dir, "fetch", "-q"); r.code != 0 {
		t.Fatalf("fetch after erase: %s", r.stderr)
	}
	if g.op.Count("/oauth/token refresh_token") != before+1 {
		t.Fatal("the next get did not refresh")
	}
}

// expiredJWT is an unsigned JWT whose exp has passed, standing in for an ID
// token saved an hour ago.
func expiredJWT() string {
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"sub": "id1", "exp": time.Now().Add(-time.Hour).Unix()})
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(claims) + ".c2ln"
}

// a refresh answer without an ID token (OpenID Connect Core
// §12.2 allows it) while the saved ID token has expired: never hand out
// the expired one. kubectl's plugin call without a terminal exits 3; at a
// terminal it signs in again.
func TestExpiredIDTokenNeverHandedOut(t *testing.T) {
	w := newWorld(t, 0)
	svc := append(w.service("k"), "--token-type", "id_token")
	if r := w.run(append([]string{"token", "--save"}, svc...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	tok := w.token("k")
	tok.IDToken = expiredJWT()
	tok.Expiry = time.Now().Add(-time.Minute)
	persist.Dir{Path: w.tokenDir, Shared: true}.Save("k", tok)
	w.op.NoRefreshIDToken.Store(true)
	r := w.runWith(cmdOpts{env: []string{`KUBERNETES_EXEC_INFO={"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`}}, append([]string{"kubectl"}, svc...)...)
	if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "the server sent no new ID token with the refreshed access token, and the saved one has expired (add the openid scope") {
		t.Fatalf("exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}
	if w.token("k").IDToken != tok.IDToken || w.token("k").RefreshToken == tok.RefreshToken {
		t.Fatal("the refreshed access and refresh tokens should be saved, with the old ID token")
	}
	cmd, _, stdout, _, term := w.onTerminal(t, nil, append([]string{"token"}, svc...)...)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, term)
	}
	if got := strings.TrimSpace(stdout.String()); got == tok.IDToken || strings.Count(got, ".") != 2 {
		t.Fatalf("handed out %q", got)
	}
}

// a refresh answer we refuse (here: no expires_in) still
// rotated the refresh token at the server; it is saved, and the next call
// uses it.
func TestRefusedRefreshAnswerKeepsRotatedToken(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	args := l.args("r", "--refresh-url", l.URL+"/token")
	if r := w.run(append([]string{"token", "--save"}, args...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	w.age("r")
	var mu sync.Mutex
	var seen []string
	l.token = func(rw http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		seen = append(seen, r.Form.Get("refresh_token"))
		n := len(seen)
		mu.Unlock()
		rw.Header().Set("Content-Type", "application/json")
		if n == 1 {
			fmt.Fprint(rw, `{"access_token":"refused-access-1","token_type":"Bearer","refresh_token":"rotated-refresh-1"}`)
			return
		}
		fmt.Fprint(rw, `{"access_token":"good-access-2","token_type":"Bearer","expires_in":3600,"refresh_token":"rotated-refresh-2"}`)
	}
	w.addSecret("rotated-refresh-1")
	r := w.run(append([]string{"token"}, args...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "sent no expires_in") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if got := w.token("r"); got.RefreshToken != "rotated-refresh-1" || got.AccessToken != "" {
		t.Fatalf("saved %q/%q, want the rotated refresh token and no access token", got.AccessToken, got.RefreshToken)
	}
	r = w.run(append([]string{"token"}, args...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "good-access-2" || seen[1] != "rotated-refresh-1" {
		t.Fatalf("exit %d %q, refresh sent %v\n%s", r.code, r.stdout, seen, r.stderr)
	}
}

// with an access token of 60 s or less, N parallel calls make
// one refresh: a call that waited on the lock uses the token saved while
// it waited. Sequential calls still refresh such a token every time.
func TestShortLivedTokenOneRefreshForParallelCalls(t *testing.T) {
	w := newWorld(t, 30*time.Second)
	svc := w.service("short")
	if r := w.run(append([]string{"token", "--save"}, svc...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	before := w.op.Count("/oauth/token refresh_token")
	// Calls that start within 50 ms of a save count as parallel with it
	// (process start times come in 10 ms ticks): leave a gap after the login.
	time.Sleep(200 * time.Millisecond)
	var wg sync.WaitGroup
	results := make([]result, 10)
	for i := range results {
		wg.Add(1)
		go func() { defer wg.Done(); results[i] = w.run(append([]string{"token", "--verbose"}, svc...)...) }()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 || r.stdout != results[0].stdout {
			t.Fatalf("call %d: exit %d, same token %v\n%s\ncall 0:\n%s", i, r.code, r.stdout == results[0].stdout, r.stderr, results[0].stderr)
		}
	}
	if n := w.op.Count("/oauth/token refresh_token") - before; n != 1 {
		t.Fatalf("10 parallel calls made %d refreshes, want 1", n)
	}
	time.Sleep(200 * time.Millisecond)
	if r := w.run(append([]string{"token"}, svc...)...); r.code != 0 || w.op.Count("/oauth/token refresh_token")-before != 2 {
		t.Fatalf("a later call should refresh the 30 s token again: exit %d, %d refreshes", r.code, w.op.Count("/oauth/token refresh_token")-before)
	}
}

// once a token is saved, --service NAME alone is enough for
// token, logout and the hints; a confidential client is told where to give
// its secret.
func TestServiceNameAloneAfterLogin(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"login", "--save"}, w.service("local")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	requests := w.op.Requests.Load()
	r := w.run("token", "--service", "local")
	if r.code != 0 || strings.TrimSpace(r.stdout) != w.token("local").AccessToken || w.op.Requests.Load() != requests {
		t.Fatalf("token --service local: exit %d\n%s", r.code, r.stderr)
	}
	w.age("local")
	if r := w.run("token", "--service", "local"); r.code != 0 {
		t.Fatalf("refresh with --service alone: exit %d\n%s", r.code, r.stderr)
	}
	// The session ends: the hint's command works exactly as printed.
	w.op.Revoke(t.Context(), w.token("local").RefreshToken, "refresh_token")
	w.age("local")
	r = w.run("token", "--service", "local", "--non-interactive")
	if r.code != 3 || !strings.Contains(r.stderr, "run 'oauth2cred login --service local' in a terminal") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if r := w.run("login", "--service", "local"); r.code != 0 {
		t.Fatalf("the hinted login: exit %d\n%s", r.code, r.stderr)
	}
	if r := w.run("logout", "--service", "local"); r.code != 0 || !strings.Contains(r.stderr, `Logged out of "local"`) {
		t.Fatalf("logout --service local: exit %d\n%s", r.code, r.stderr)
	}
	// A confidential client: its secret is not in the file, and the error says where to give it.
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	if r := w.run(append([]string{"token", "--save"}, l.args("conf")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if strings.Contains(string(w.fileBytes("conf")), "legacy-secret-xyz") {
		t.Fatal("the client secret was saved in the token file")
	}
	w.age("conf")
	r = w.run("token", "--service", "conf")
	if r.code != 2 || !strings.Contains(r.stderr, "its client is confidential: give its secret with --client-secret-file FILE or OAUTH2CRED_CLIENT_SECRET") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if r := w.runWith(cmdOpts{env: []string{"OAUTH2CRED_CLIENT_SECRET=legacy-secret-xyz"}}, "token", "--service", "conf"); r.code != 0 {
		t.Fatalf("with the secret: exit %d\n%s", r.code, r.stderr)
	}
}

// the gitea preset finds a self-hosted Gitea from its host
// through Gitea's discovery document (templates/user/auth/oidc_wellknown.tmpl:
// issuer with a trailing slash, no revocation endpoint, grant types
// authorization_code and refresh_token); logout says where to revoke, and
// no hint offers client credentials.
func TestGiteaPreset(t *testing.T) {
	w := newWorld(t, 0)
	gitea := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/openid-configuration" {
			http.NotFound(rw, r)
			return
		}
		base := "http://" + r.Host + "/"
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(rw, `{"issuer":%q,"authorization_endpoint":"%slogin/oauth/authorize","token_endpoint":"%slogin/oauth/access_token","userinfo_endpoint":"%slogin/oauth/userinfo","response_types_supported":["code","id_token"],"grant_types_supported":["authorization_code","refresh_token"],"code_challenge_methods_supported":["plain","S256"]}`, base, base, base, base)
	})}
	ln := listenLoopback(t)
	go gitea.Serve(ln)
	t.Cleanup(func() { gitea.Close() })
	host := ln.Addr().String()
	r := w.run("token", "--service", "forge", "--preset", "gitea", "--host", host, "--client-id", "app", "--client-secret", "s3cret-gitea", "--non-interactive")
	w.addSecret("s3cret-gitea")
	if r.code != 3 || strings.Contains(r.stderr, "client-credentials") || !strings.Contains(r.stderr, "--preset gitea") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// A saved token (as a sign-in would leave it) and logout.
	tok := &persist.Token{AccessToken: "gitea-access-123", RefreshToken: "gitea-refresh-123", TokenType: "Bearer", Expiry: time.Now().Add(time.Hour), ClientID: "app", Issuer: "http://" + host + "/", Bound: true}
	persist.Dir{Path: w.tokenDir, Shared: true}.Save("forge", tok)
	r = w.run("logout", "--service", "forge", "--preset", "gitea", "--host", host, "--client-id", "app")
	if r.code != 0 || !strings.Contains(r.stderr, "has no revocation endpoint: its refresh token stays valid there until it expires or you revoke it at the provider (http://"+host+"/user/settings/applications)") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(w.tokenDir, ".forge-token")); err == nil {
		t.Fatal("logout left the file")
	}
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}
