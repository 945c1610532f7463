package integration

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oauth2cred/integration/op"
	"oauth2cred/persist"
)

// a token saved for provider A is never handed to git, refreshed
// at, or revoked at provider B when the service's settings change; nor with
// another client id or other scopes.
func TestTokenBoundToItsConfiguration(t *testing.T) {
	w := newWorld(t, 0)
	b, err := op.Start(0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	if r := w.run(append([]string{"login", "--save"}, w.service("bound")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	saved := w.token("bound")
	onB := []string{"--service", "bound", "--issuer", b.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access", "--non-interactive"}
	r := w.runWith(cmdOpts{stdin: "protocol=http\nhost=127.0.0.1:9\n\n"}, append([]string{"git", "get", "--host", "127.0.0.1:9"}, onB...)...)
	if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, `the settings of "bound" changed since its token was saved (another issuer)`) {
		t.Fatalf("git get for B: exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}
	w.age("bound")
	for _, args := range [][]string{onB,
		append(w.service("bound"), "--client-id", op.WebID, "--non-interactive"),
		{"--service", "bound", "--issuer", w.op.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access profile", "--non-interactive"},
	} {
		r := w.run(append([]string{"token"}, args...)...)
		if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "changed since its token was saved") {
			t.Fatalf("token %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	r = w.run(append([]string{"logout"}, onB...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "was issued for other settings") {
		t.Fatalf("logout for B: exit %d\n%s", r.code, r.stderr)
	}
	if n := b.Count("/oauth/token") + b.Count("/revoke"); n != 0 {
		t.Fatalf("provider B got %d token or revocation requests", n)
	}
	if w.op.Count("/oauth/token refresh_token") != 0 || !w.op.Valid(t.Context(), saved.AccessToken) {
		t.Fatal("provider A's token was refreshed or revoked through B's settings")
	}
}

// the keyring copy is bound the same way, and restored to the
// file only under the lock and only for its own configuration.
func TestKeyringCopyIsBound(t *testing.T) {
	w := newWorld(t, 0)
	w.env = append(w.env, startKeyring(t)...)
	svc := append(w.service("kb"), "--keyring")
	if r := w.run(append([]string{"token", "--save"}, svc...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	file := filepath.Join(w.tokenDir, ".kb-token")
	os.Remove(file)
	other := []string{"token", "--service", "kb", "--issuer", w.op.Issuer, "--client-id", op.NativeID, "--scope", "openid", "--keyring", "--non-interactive"}
	if r := w.run(other...); r.code != 3 {
		t.Fatalf("other scopes: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("a keyring copy of other settings was restored to the file")
	}
	if r := w.run(append([]string{"token"}, svc...)...); r.code != 0 {
		t.Fatalf("own settings: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal("the keyring copy was not restored for its own settings")
	}
}

// --verbose shows a redirect only as its origin; the path and
// query of the server's Location are not echoed.
func TestVerboseRedirectShowsOnlyOrigin(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	args := l.args("v", "--refresh-url", l.URL+"/token")
	if r := w.run(append([]string{"token", "--save"}, args...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	w.age("v")
	w.addSecret("carried-in-the-path-1234")
	l.token = func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "/refresh?code=carried-in-the-path-1234", http.StatusTemporaryRedirect)
	}
	r := w.run(append([]string{"token", "--verbose"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stderr, l.URL+"/… (redirected)") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// setup kubectl never writes a client secret into a kubeconfig.
func TestSetupKubectlRefusesSecret(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("kube-secret-value-1")
	r := w.run("setup", "kubectl", "--service", "k", "--issuer", w.op.Issuer, "--client-id", "c", "--client-secret", "kube-secret-value-1")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "pass --client-secret-file FILE") {
		t.Fatalf("exit %d %q\n%s", r.code, r.stdout, r.stderr)
	}
	r = w.run("setup", "kubectl", "--service", "k", "--issuer", w.op.Issuer, "--client-id", "c", "--client-secret-file", "/run/secrets/k")
	if r.code != 0 || !strings.Contains(r.stdout, "--client-secret-file") {
		t.Fatalf("with a file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// neither $BROWSER nor the desktop opener inherits our secret
// variables.
func TestBrowserGetsNoSecrets(t *testing.T) {
	w := newWorld(t, 0)
	dump := filepath.Join(w.home, "browser-env")
	script := filepath.Join(w.home, "browser")
	os.WriteFile(script, []byte("#!/bin/sh\nenv >> "+dump+"\nexec "+bin.browser+" \"$1\"\n"), 0o755)
	desktop := filepath.Join(w.home, "desktop")
	os.Mkdir(desktop, 0o755)
	os.Symlink(script, filepath.Join(desktop, "xdg-open"))
	for i, env := range [][]string{
		{"BROWSER=" + script},
		{"BROWSER=", "DISPLAY=:0", "PATH=" + desktop + ":" + bin.dir + ":" + os.Getenv("PATH")},
	} {
		// The secret only has to be in our environment; whether the
		// provider then takes it for this public client does not matter.
		env = append(env, "OAUTH2CRED_CLIENT_SECRET="+op.WebSecret)
		svc := fmt.Sprintf("web%d", i)
		w.runWith(cmdOpts{env: env}, "token", "--login-timeout", "20s", "--service", svc, "--issuer", w.op.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access")
	}
	b, err := os.ReadFile(dump)
	if err != nil || strings.Count(string(b), "OAUTH2CRED_TOKEN_DIR=") != 2 {
		t.Fatalf("the browser did not run twice: %v", err)
	}
	if strings.Contains(string(b), "OAUTH2CRED_CLIENT_SECRET") || strings.Contains(string(b), op.WebSecret) {
		t.Fatal("the browser inherited the client secret")
	}
}

// tokens with control characters are refused (they
// would inject a header through --format header), and server text reaches
// the terminal without escape sequences, in errors and in status.
func TestControlCharactersNeverPass(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	args := l.args("c", "--refresh-url", l.URL+"/token")
	if r := w.run(append([]string{"token", "--save"}, args...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	w.age("c")
	saved := w.fileBytes("c")
	for _, body := range []string{
		`{"access_token":"good\r\nX-Injected: 1","token_type":"Bearer","expires_in":3600}`,
		`{"access_token":"good","token_type":"Bearer","expires_in":3600,"id_token":"a.b\nc"}`,
	} {
		l.token = func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			fmt.Fprint(rw, body)
		}
		r := w.run(append([]string{"token", "--format", "header"}, args...)...)
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "control characters or a line break") {
			t.Fatalf("exit %d %q\n%s", r.code, r.stdout, r.stderr)
		}
		if string(w.fileBytes("c")) != string(saved) {
			t.Fatal("the refused token was saved")
		}
	}
	l.token = func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(400)
		fmt.Fprint(rw, `{"error":"invalid_grant","error_description":"gone\u001b]0;pwned\u0007\u001b[31m red\u009b2J"}`)
	}
	r := w.run(append([]string{"token", "--non-interactive"}, args...)...)
	if r.code != 3 || strings.ContainsAny(r.stderr, "\x1b\x07\u009b") {
		t.Fatalf("exit %d %q", r.code, r.stderr)
	}
	tok := w.token("c")
	tok.Scope = "repo \x1b]0;owned\x07\x1b[2Jread"
	persist.Dir{Path: w.tokenDir, Shared: true}.Save("c", tok)
	r = w.run("status")
	st, rj := w.status()
	if r.code != 0 || strings.ContainsAny(r.stdout+rj.stdout, "\x1b\x07") || !strings.Contains(r.stdout, " repo read ") || strings.Join(st["c/default"].Scopes, " ") != "repo read" {
		t.Fatalf("status: %q %q", r.stdout, rj.stdout)
	}
}

// logout of a token file refused as unsafe (readable by
// others) still revokes its tokens at the server, then deletes it.
func TestLogoutRevokesUnsafeFile(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"login", "--save"}, w.service("loose")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	tok := w.token("loose")
	file := filepath.Join(w.tokenDir, ".loose-token")
	os.Chmod(file, 0o644)
	stale := filepath.Join(w.tokenDir, ".loose-token.tmp123456")
	os.WriteFile(stale, []byte("{}"), 0o600)
	if r := w.run(append([]string{"token"}, w.service("loose")...)...); r.code != 1 || !strings.Contains(r.stderr, "chmod 600") {
		t.Fatalf("token: exit %d\n%s", r.code, r.stderr)
	}
	r := w.run(append([]string{"logout"}, w.service("loose")...)...)
	if r.code != 0 || w.op.Count("/revoke") != 1 {
		t.Fatalf("logout: exit %d, %d revocations\n%s", r.code, w.op.Count("/revoke"), r.stderr)
	}
	if w.op.Valid(t.Context(), tok.AccessToken) {
		t.Fatal("the leaked token still works")
	}
	for _, f := range []string{file, stale} {
		if _, err := os.Stat(f); err == nil {
			t.Fatalf("%s is left", f)
		}
	}
}

// a token directory inside a git work tree: the token files go
// to .git/info/exclude (one warning), so real git never offers to add them.
func TestTokenDirInsideWorkTree(t *testing.T) {
	w := newWorld(t, 0)
	repo := filepath.Join(w.home, "repo")
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	svc := append(w.service("wt"), "--token-dir", ".")
	r := w.runWith(cmdOpts{dir: repo}, append([]string{"token", "--save"}, svc...)...)
	if r.code != 0 || strings.Count(r.stderr, "inside the git work tree") != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	w.runWith(cmdOpts{dir: repo}, append([]string{"login"}, svc...)...)
	r = w.runWith(cmdOpts{dir: repo}, append([]string{"login"}, svc...)...)
	if r.code != 0 || strings.Contains(r.stderr, "inside the git work tree") {
		t.Fatalf("warned again: %s", r.stderr)
	}
	out, err := exec.Command("git", "-C", repo, "status", "--porcelain", "--untracked-files=all").Output()
	if err != nil || len(out) != 0 {
		t.Fatalf("git status shows %q (%v)", out, err)
	}
	if _, err := os.Stat(filepath.Join(repo, ".wt-token")); err != nil {
		t.Fatal("no token file in the work tree")
	}
}

// a broken or hostile discovery document is the server's
// failure (exit 1), not a usage error.
func TestBrokenDiscoveryIsServerFailure(t *testing.T) {
	w := newWorld(t, 0)
	l := newLegacy(t, w)
	for _, doc := range []string{
		`{"issuer":"URL","authorization_endpoint":"ftp://URL/auth","token_endpoint":"URL/token"}`,
		`{"issuer":"URL","authorization_endpoint":"URL/auth","token_endpoint":"http://203.0.113.9/token"}`,
		`not json at all`,
		`{"issuer":"URL","token_endpoint":["URL/token"]}`,
	} {
		l.discovery = doc
		r := w.run("token", "--service", "d", "--client-id", "c", "--issuer", l.URL, "--non-interactive", "--flow", "client-credentials", "--client-secret", "client-secret-1234")
		w.addSecret("client-secret-1234")
		if r.code != 1 || strings.Contains(r.stderr, "--help") {
			t.Errorf("%s: exit %d\n%s", doc, r.code, r.stderr)
		}
	}
}

// a lock held longer than --timeout by a process that is not
// signing in ends the wait with the lock file and the holder's pid.
func TestStuckLockNamesHolder(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"token", "--save"}, w.service("held")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	w.age("held")
	lock := filepath.Join(w.tokenDir, ".held-token.lock")
	holder := exec.Command("flock", "-o", lock, "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatalf("flock(1): %v", err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	r := w.run(append([]string{"token", "--timeout", "1s"}, w.service("held")...)...)
	took := time.Since(start)
	want := fmt.Sprintf("gave up waiting for the lock %s of \"held\", held by process %d", lock, holder.Process.Pid)
	if r.code != 1 || !strings.Contains(r.stderr, want) || took > 5*time.Second {
		t.Fatalf("exit %d after %v\n%s\nwant %q", r.code, took, r.stderr, want)
	}
	t.Logf("a stuck lock is reported after %v with --timeout 1s", took.Round(time.Millisecond))
}
