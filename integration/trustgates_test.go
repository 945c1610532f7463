package integration

// The trust gates (the token's origin, server-chosen addresses, proxies,
// secrets in messages), each through the real binary.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"oauth2cred/integration/op"
)

// --service alone works for an account whose file is the
// only one saved, and a sign-in leaves no .signin mark behind.
func TestAccountFileAloneDefinesService(t *testing.T) {
	w := newWorld(t, 0)
	r := w.runWith(cmdOpts{env: []string{"TESTBROWSER_USER=" + op.Alice}}, append([]string{"login", "--save", "--account", op.Alice}, w.service("svc")...)...)
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	marks, _ := filepath.Glob(filepath.Join(w.tokenDir, "*.signin"))
	if len(marks) != 0 {
		t.Fatalf("left behind after the sign-in: %v", marks)
	}
	r = w.run("token", "--service", "svc", "--account", op.Alice)
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("token --service svc --account alice: exit %d\n%s", r.code, r.stderr)
	}
}

// recorder is a server that must never be asked: it counts requests.
func recorder(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, `{"error":"invalid_grant"}`, 400)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// a token saved under --issuer A is neither refreshed at a
// later --refresh-url B nor revoked at a later --revoke-url B.
func TestOriginCoversRefreshAndRevocation(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"login", "--save"}, w.service("svc")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	b, asked := recorder(t)
	w.age("svc")
	r := w.run(append([]string{"token", "--non-interactive"}, w.service("svc", "--refresh-url", b.URL+"/token")...)...)
	if asked.Load() != 0 || r.code != 3 || !strings.Contains(r.stderr, "another refresh endpoint") {
		t.Fatalf("refresh at another endpoint: %d requests there, exit %d\n%s", asked.Load(), r.code, r.stderr)
	}
	r = w.run(append([]string{"logout"}, w.service("svc", "--revoke-url", b.URL+"/revoke")...)...)
	if asked.Load() != 0 || !strings.Contains(r.stderr, "another revocation endpoint") {
		t.Fatalf("revoke at another endpoint: %d requests there, exit %d\n%s", asked.Load(), r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(w.tokenDir, ".svc-token")); !os.IsNotExist(err) {
		t.Fatalf("the local token was kept: %v", err)
	}
}

// hostileDevice is a device authorization server that chooses its own
// verification_uri_complete, and denies every poll so the flow ends.
func hostileDevice(t *testing.T, complete func(base string) string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/device":
			b, _ := json.Marshal(map[string]any{"device_code": "dc-hostile", "user_code": "WXYZ-1234", "verification_uri": srv.URL + "/activate",
				"verification_uri_complete": complete(srv.URL), "expires_in": 60, "interval": 1})
			w.Write(b)
		default:
			w.WriteHeader(400)
			w.Write([]byte(`{"error":"access_denied"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// a server's verification_uri_complete reaches the
// browser only as an https (loopback http) address on its own origin; an
// option, a file: URL, another origin or a 4 KB address is printed, never
// opened, and a long one draws no QR code instead of crashing.
func TestDeviceAddressNeverOpenedUnchecked(t *testing.T) {
	w := newWorld(t, 0)
	for _, tc := range []struct {
		name     string
		complete func(base string) string
		opened   bool
	}{
		{"own origin", func(b string) string { return b + "/activate?user_code=WXYZ-1234" }, true},
		{"option", func(string) string { return "--renderer-cmd-prefix=touch /tmp/pwned" }, false},
		{"file", func(string) string { return "file:///etc/passwd" }, false},
		{"other origin", func(string) string { return "https://evil.example/activate" }, false},
		{"4 KB", func(b string) string { return b + "/activate?x=" + strings.Repeat("a", 4096) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := hostileDevice(t, tc.complete)
			log := filepath.Join(t.TempDir(), "opened")
			browser := filepath.Join(t.TempDir(), "browser")
			os.WriteFile(browser, []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" >> "+log+"\n"), 0o755)
			args := []string{"token", "--no-save", "--service", "dev", "--client-id", "c", "--flow", "device",
				"--device-url", srv.URL + "/device", "--token-url", srv.URL + "/token"}
			cmd, _, _, stderr, term := w.onTerminal(t, []string{"BROWSER=" + browser}, args...)
			err := cmd.Wait()
			time.Sleep(200 * time.Millisecond) // the opener runs in the background
			got, _ := os.ReadFile(log)
			all := stderr.String() + term.String()
			if strings.Contains(all, "panic") || cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("exit %v\n%s", err, all)
			}
			if opened := len(got) > 0; opened != tc.opened {
				t.Fatalf("opened %q (want opened=%v)\n%s", got, tc.opened, all)
			}
			if !tc.opened && !strings.Contains(all, "WXYZ-1234") {
				t.Fatalf("the code was not shown\n%s", all)
			}
		})
	}
}

// git's http.proxy yields to NO_PROXY and to loopback hosts, as
// curl (and so git) does: the proxy never sees the refresh token or the
// client secret of a host it must not carry.
func TestGitProxyHonoursNoProxy(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	proxy, seen := connectProxy(t)
	gitconfig := filepath.Join(w.home, "gitconfig")
	os.WriteFile(gitconfig, []byte("[http]\n\tproxy = http://"+proxy+"\n"), 0o644)
	fill := func(tokenURL string, env ...string) result {
		helper := "!oauth2cred git --service np --flow client-credentials --client-id ci --client-secret legacy-secret-xyz --token-url " + tokenURL + " --host git.example.com"
		return w.exec(cmdOpts{env: append([]string{"GIT_CONFIG_GLOBAL=" + gitconfig, "GIT_TERMINAL_PROMPT=0"}, env...), stdin: "protocol=https\nhost=git.example.com\n\n"},
			"git", "-c", "credential.helper=", "-c", "credential.helper="+helper, "credential", "fill")
	}
	// Loopback: straight to the provider.
	if r := fill(l.URL+"/token", "NO_PROXY="); r.code != 0 || !strings.Contains(r.stdout, "password=tok-access-") || len(seen()) != 0 {
		t.Fatalf("loopback through git's proxy: tunnelled %v; exit %d\n%s", seen(), r.code, r.stderr)
	}
	// NO_PROXY names the provider: the proxy is not asked, whatever follows.
	for _, np := range []string{"NO_PROXY=example.com", "no_proxy=.example.com"} {
		fill("https://login.example.com:1/token", np)
		if len(seen()) != 0 {
			t.Fatalf("%s: the proxy tunnelled %v", np, seen())
		}
	}
	// Without NO_PROXY the same request does go through git's proxy.
	fill("https://login.example.com:1/token", "NO_PROXY=")
	if len(seen()) == 0 {
		t.Fatal("git's http.proxy was not used at all")
	}
}

// --timeout bounds the request to GitHub Actions' ID-token
// endpoint like every other request (it used its own 30 s client).
func TestGitHubIDTokenRequestHonoursTimeout(t *testing.T) {
	w := newWorld(t, 0)
	hang := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(40 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)
	w.addSecret("gh-request-token-123")
	start := time.Now()
	r := w.runWith(cmdOpts{env: []string{"CI=true", "ACTIONS_ID_TOKEN_REQUEST_URL=" + hang.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN=gh-request-token-123"}},
		"token", "--service", "gh", "--issuer", w.op.Issuer, "--client-id", op.NativeID, "--flow", "token-exchange",
		"--subject-token-source", "github-actions", "--timeout", "2s")
	if took := time.Since(start); r.code != 1 || took > 10*time.Second || !strings.Contains(r.stderr, "ID-token endpoint") {
		t.Fatalf("exit %d after %v\n%s", r.code, took, r.stderr)
	}
}

// the variable named by --client-assertion-env carries a
// credential, so the browser does not inherit it either.
func TestBrowserGetsNoAssertionVariable(t *testing.T) {
	w := newWorld(t, 0)
	dump := filepath.Join(w.home, "browser-env")
	script := filepath.Join(w.home, "browser")
	os.WriteFile(script, []byte("#!/bin/sh\nenv >> "+dump+"\nexec "+bin.browser+" \"$1\"\n"), 0o755)
	const jwt = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaS1qb2IifQ.assertion-sig-xyz"
	w.addSecret(jwt)
	w.runWith(cmdOpts{env: []string{"BROWSER=" + script, "CI_JOB_JWT_V2=" + jwt}}, "token", "--login-timeout", "20s", "--service", "asr",
		"--issuer", w.op.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access",
		"--client-assertion-source", "env", "--client-assertion-env", "CI_JOB_JWT_V2")
	b, err := os.ReadFile(dump)
	if err != nil || !strings.Contains(string(b), "OAUTH2CRED_TOKEN_DIR=") {
		t.Fatalf("the browser did not run: %v", err)
	}
	if strings.Contains(string(b), "CI_JOB_JWT_V2") || strings.Contains(string(b), jwt) {
		t.Fatal("the browser inherited the client assertion")
	}
}

// secrets a person typed or configured are never echoed: in
// the "flags go after the command" correction, a TOML error, doctor's
// report of another helper, or a kubeconfig written with one-dash flags.
func TestSecretsNeverEchoed(t *testing.T) {
	w := newWorld(t, 0)
	const flagSecret, tomlSecret, ghp = "flag-secret-4242", "GxSecretValueOnlyLetters", "ghp_0123456789abcdefghijklmnop"
	for _, s := range []string{flagSecret, tomlSecret, ghp} {
		w.addSecret(s)
	}
	r := w.run("--service", "s", "--client-secret", flagSecret, "token")
	if r.code != 2 || !strings.Contains(r.stderr, "flags go after the command") || strings.Contains(r.stderr, flagSecret) {
		t.Errorf("flags before the command: exit %d\n%s", r.code, r.stderr)
	}
	cfg := filepath.Join(w.home, "config.toml")
	os.WriteFile(cfg, []byte("[services.s]\nclient_id = \"c\"\nclient_secret = "+tomlSecret+"\n"), 0o600)
	r = w.run("token", "--service", "s", "--config", cfg)
	if r.code != 2 || !strings.Contains(r.stderr, "line 3") || strings.Contains(r.stderr, tomlSecret) {
		t.Errorf("TOML error: exit %d\n%s", r.code, r.stderr)
	}
	r = w.run("doctor", "--service", "s", "--config", cfg)
	if strings.Contains(r.stdout+r.stderr, tomlSecret) {
		t.Errorf("doctor repeated the secret\n%s%s", r.stdout, r.stderr)
	}
	gitconfig := filepath.Join(w.home, "gitconfig")
	os.WriteFile(gitconfig, []byte("[credential]\n\thelper = \"!f() { echo password="+ghp+"; }; f\"\n"), 0o644)
	r = w.runWith(cmdOpts{env: []string{"GIT_CONFIG_GLOBAL=" + gitconfig}}, append([]string{"doctor"}, w.service("d", "--host", "git.example.com")...)...)
	if !strings.Contains(r.stdout, "shell-command helper") || strings.Contains(r.stdout+r.stderr, ghp) {
		t.Errorf("doctor and another helper\n%s%s", r.stdout, r.stderr)
	}
	for _, spelling := range [][]string{{"-client-secret", flagSecret}, {"-client-secret=" + flagSecret}, {"--client-secret=" + flagSecret}} {
		r = w.run(append([]string{"setup", "kubectl", "--service", "k", "--issuer", w.op.Issuer, "--client-id", "c"}, spelling...)...)
		if r.code != 2 || strings.Contains(r.stdout+r.stderr, flagSecret) {
			t.Errorf("setup kubectl %v: exit %d\n%s%s", spelling, r.code, r.stdout, r.stderr)
		}
	}
}

// a token directory inside another user's repository does not
// make a save write through that user's .git/info/exclude (here a link to
// a file of ours); the token is saved and a warning says why nothing was
// excluded. A token directory others can list is refused with
// the fix.
func TestOtherUsersRepositoryAndListableDirectory(t *testing.T) {
	u := newOtherUser(t)
	w := newWorld(t, 0)
	victim := filepath.Join(w.home, "victim.txt")
	os.WriteFile(victim, []byte("mine\n"), 0o600)
	repo := filepath.Join(w.home, "shared-repo")
	os.Mkdir(repo, 0o777)
	os.Chmod(repo, 0o777)
	u.canReach(w.home)
	u.as(t, "mkdir", "-p", filepath.Join(repo, ".git", "info"))
	u.as(t, "ln", "-s", victim, filepath.Join(repo, ".git", "info", "exclude"))
	tokens := filepath.Join(repo, "tokens")
	r := w.run(append([]string{"token", "--save", "--token-dir", tokens}, w.service("ex")...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "was not excluded") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "mine\n" {
		t.Fatalf("the save wrote through another user's exclude link: %q", b)
	}
	// A directory others can list: they see which services and accounts.
	os.Chmod(tokens, 0o755)
	u.as(t, "ls", tokens)
	r = w.run(append([]string{"token", "--token-dir", tokens}, w.service("ex")...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "is readable by others (mode 0755); run 'chmod go-r "+tokens+"'") {
		t.Fatalf("a listable token directory: exit %d\n%s", r.code, r.stderr)
	}
}

// Real git 2.39 and 2.47: setup git serves a loopback
// host on https too; unsetup git removes exactly what setup wrote and keeps
// the empty helper line the person wrote (else their global store helper
// would answer first again); a service name with a dot is written as a
// quoted table that the helper then reads.
func TestSetupGitExactly(t *testing.T) {
	for _, git := range []string{"git", newGit(t)} {
		t.Run(gitVersion(git), func(t *testing.T) {
			w := newWorld(t, 0)
			host := "127.0.0.1:" + strings.TrimPrefix(w.op.Issuer[strings.LastIndex(w.op.Issuer, ":"):], ":")
			gitconfig := filepath.Join(w.home, ".gitconfig")
			before := "[credential]\n\thelper = store\n[credential \"http://" + host + "\"]\n\thelper = \n"
			os.WriteFile(gitconfig, []byte(before), 0o644)
			env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig}
			cfg := filepath.Join(w.home, ".config", "oauth2cred", "config.toml")
			os.MkdirAll(filepath.Dir(cfg), 0o700)
			os.WriteFile(cfg, []byte("[services.work]\nissuer = \""+w.op.Issuer+"\"\nclient_id = \""+op.NativeID+"\"\nhosts = [\"work.example.com\"]\n"), 0o600)
			svc := append(w.service("work.gitlab"), "--host", host)
			if r := w.runWith(cmdOpts{env: env}, append([]string{"setup", "git"}, svc...)...); r.code != 0 {
				t.Fatalf("setup git: exit %d\n%s", r.code, r.stderr)
			}
			// Both schemes of the loopback host ask oauth2cred; git itself says so.
			for _, scheme := range []string{"http", "https"} {
				out := w.exec(cmdOpts{env: env}, git, "config", "--get-urlmatch", "credential.helper", scheme+"://"+host+"/repo.git")
				if !strings.Contains(out.stdout, "git --service work.gitlab") {
					t.Errorf("%s://%s is not served: %q", scheme, host, out.stdout)
				}
			}
			// The dotted service is one table, and its neighbour still works.
			if b := mustRead(cfg); !strings.Contains(b, `[services."work.gitlab"]`) {
				t.Errorf("config file:\n%s", b)
			}
			if r := w.run("login", "--save", "--service", "work.gitlab"); r.code != 0 {
				t.Fatalf("the dotted service from the config file: exit %d\n%s", r.code, r.stderr)
			}
			if r := w.run("token", "--service", "work", "--no-save", "--non-interactive"); strings.Contains(r.stderr, "unknown key") {
				t.Errorf("the neighbour service broke: %s", r.stderr)
			}
			// git on https to the loopback address gets the token.
			fill := w.exec(cmdOpts{env: env, stdin: "protocol=https\nhost=" + host + "\n\n"}, git, "credential", "fill")
			if fill.code != 0 || !strings.Contains(fill.stdout, "password="+w.token("work.gitlab").AccessToken) {
				t.Fatalf("https fill: exit %d\n%s%s", fill.code, fill.stdout, fill.stderr)
			}
			if r := w.runWith(cmdOpts{env: env}, "unsetup", "git", "--service", "work.gitlab"); r.code != 0 {
				t.Fatalf("unsetup git: exit %d\n%s", r.code, r.stderr)
			}
			if got := mustRead(gitconfig); got != before {
				t.Errorf("after unsetup:\n%q\nwant\n%q", got, before)
			}
		})
	}
}

// the person's own empty helper line (which keeps their
// global store helper away from this host) survives setup and unsetup.
func TestUnsetupKeepsPersonsEmptyLine(t *testing.T) {
	w := newWorld(t, 0)
	gitconfig := filepath.Join(w.home, ".gitconfig")
	before := "[credential]\n\thelper = store\n[credential \"https://git.example.com\"]\n\thelper = \n"
	os.WriteFile(gitconfig, []byte(before), 0o644)
	env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig}
	svc := append(w.service("forge"), "--host", "git.example.com")
	if r := w.runWith(cmdOpts{env: env}, append([]string{"setup", "git"}, svc...)...); r.code != 0 {
		t.Fatalf("setup git: exit %d\n%s", r.code, r.stderr)
	}
	if r := w.runWith(cmdOpts{env: env}, "unsetup", "git", "--service", "forge"); r.code != 0 {
		t.Fatalf("unsetup git: exit %d\n%s", r.code, r.stderr)
	}
	out := w.exec(cmdOpts{env: env}, "git", "config", "--get-urlmatch", "credential.helper", "https://git.example.com/r.git")
	if got := mustRead(gitconfig); got != before || strings.TrimSpace(out.stdout) != "" {
		t.Fatalf("after unsetup git answers with %q from:\n%s", out.stdout, got)
	}
}
