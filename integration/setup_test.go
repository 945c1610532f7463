package integration

import (
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"oauth2cred/integration/op"
)

// setup git in a fresh HOME where a storage helper, configured
// first, holds a dead password for the host (the trap that serves dead
// tokens for hours): git then clones through oauth2cred; unsetup git leaves
// the configuration byte for byte as it was. Real git 2.39 and 2.47.
func TestSetupGitThenClone(t *testing.T) {
	for _, git := range []string{"git", newGit(t)} {
		t.Run(gitVersion(git), func(t *testing.T) {
			g := newGitWorld(t)
			home := g.home
			store := filepath.Join(home, ".git-credentials")
			os.WriteFile(store, []byte("http://oauth2:dead-password@"+g.git.Host()+"\n"), 0o600)
			gitconfig := filepath.Join(home, ".gitconfig")
			before := "[user]\n\tname = t\n\temail = t@example.com\n[credential]\n\thelper = store\n"
			os.WriteFile(gitconfig, []byte(before), 0o644)
			env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig}
			svc := []string{"--service", "forge", "--issuer", g.op.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access", "--host", g.git.Host()}

			// Without oauth2cred, the stored dead password is what git sends.
			clone := func(dir string) result {
				return g.exec(cmdOpts{env: env}, git, "clone", "-q", g.git.URL+"/repo.git", filepath.Join(home, dir))
			}
			if r := clone("before"); r.code == 0 {
				t.Fatal("the dead stored password worked")
			}
			dry := g.runWith(cmdOpts{env: env}, append([]string{"setup", "git", "--dry-run"}, svc...)...)
			if dry.code != 0 || !strings.Contains(dry.stdout, "--add credential.http://"+g.git.Host()+".helper ''") || mustRead(gitconfig) != before {
				t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
			}
			if r := g.runWith(cmdOpts{env: env}, append([]string{"setup", "git"}, svc...)...); r.code != 0 {
				t.Fatalf("setup git: %s", r.stderr)
			}
			if r := g.runWith(cmdOpts{env: env}, append([]string{"setup", "git"}, svc...)...); r.code != 0 || !strings.Contains(r.stderr, "already asks oauth2cred") {
				t.Fatalf("setup git twice: %s", r.stderr)
			}
			// git reads it back: the service's name is all the line needs.
			out := g.exec(cmdOpts{env: env}, git, "config", "--get-all", "credential.http://"+g.git.Host()+".helper")
			if lines := strings.Split(strings.TrimSuffix(out.stdout, "\n"), "\n"); len(lines) != 2 || lines[0] != "" || !strings.HasSuffix(lines[1], " git --service forge") {
				t.Fatalf("helper lines: %q", out.stdout)
			}
			if r := clone("after"); r.code != 0 {
				t.Fatalf("clone after setup git: %s", r.stderr)
			}
			if r := g.runWith(cmdOpts{env: env}, "unsetup", "git", "--service", "forge"); r.code != 0 {
				t.Fatalf("unsetup git: %s", r.stderr)
			}
			if got := mustRead(gitconfig); got != before {
				t.Fatalf("after unsetup:\n%q\nwant\n%q", got, before)
			}
		})
	}
}

// connectProxy is a minimal HTTPS proxy (CONNECT tunnels), as corporate
// proxies are; it records the hosts tunnelled to.
func connectProxy(t *testing.T) (addr string, seen func() []string) {
	t.Helper()
	ln := listenLoopback(t)
	var mu sync.Mutex
	var hosts []string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		// The proxy's own DNS: example.com is the provider on this
		// machine (loopback addresses never go through a proxy).
		up, err := net.Dial("tcp", strings.Replace(r.Host, "example.com:", "127.0.0.1:", 1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			up.Close()
			return
		}
		go func() { io.Copy(up, buf); up.Close() }()
		io.Copy(conn, up)
		conn.Close()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), hosts...) }
}

// as git's helper, a refresh reaches a provider behind a
// private CA only through the proxy, because git's http.proxy and
// http.<url>.sslCAInfo say so; without them it fails. Real git.
func TestGitNetworkSettingsApply(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := startLegacy(t, w, true)
	caFile := filepath.Join(w.home, "private-ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.Certificate().Raw}), 0o644)
	// Client credentials: the same requests as a refresh or sign-in (the
	// stand-in's browser step cannot pass its own self-signed TLS).
	args := []string{"--service", "net", "--flow", "client-credentials", "--client-id", "ci", "--client-secret", "legacy-secret-xyz",
		"--token-url", l.URL + "/token", "--host", "git.example.com"}
	proxy, seen := connectProxy(t)
	gitconfig := filepath.Join(w.home, "gitconfig")
	env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig, "GIT_TERMINAL_PROMPT=0"}
	helper := "!oauth2cred git " + strings.Join(args, " ")
	fill := func() result {
		return w.exec(cmdOpts{env: env, stdin: "protocol=https\nhost=git.example.com\n\n"}, "git", "-c", "credential.helper=", "-c", "credential.helper="+helper, "credential", "fill")
	}
	os.WriteFile(gitconfig, nil, 0o644)
	if r := fill(); r.code == 0 || !strings.Contains(r.stderr, "certificate") {
		t.Fatalf("without git's settings the private CA must be unknown: exit %d\n%s", r.code, r.stderr)
	}
	// The provider by a name that is not loopback (which bypasses every
	// proxy, SPEC §6), reached only through the proxy.
	provider := strings.Replace(l.URL, "127.0.0.1", "example.com", 1)
	viaProxy := strings.Replace(strings.Replace(helper, l.URL, provider, 1), "--service net", "--service net-proxy", 1)
	os.WriteFile(gitconfig, []byte("[http]\n\tproxy = http://"+proxy+"\n[http \""+provider+"/\"]\n\tsslCAInfo = "+caFile+"\n"), 0o644)
	r := w.exec(cmdOpts{env: env, stdin: "protocol=https\nhost=git.example.com\n\n"}, "git", "-c", "credential.helper=", "-c", "credential.helper="+viaProxy, "credential", "fill")
	if r.code != 0 || !strings.Contains(r.stdout, "password=tok-access-") {
		t.Fatalf("with git's proxy and CA: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if hosts := seen(); len(hosts) == 0 || hosts[0] != strings.TrimPrefix(provider, "https://") {
		t.Fatalf("the proxy tunnelled %q", hosts)
	}
	// git's http.sslVerify=false reaches the private CA too, warned once per call.
	os.WriteFile(gitconfig, []byte("[http]\n\tsslVerify = false\n"), 0o644)
	helper = strings.Replace(helper, "--service net", "--service net-noverify", 1)
	r = fill()
	if r.code != 0 || !strings.Contains(r.stdout, "password=tok-access-") || strings.Count(r.stderr, "http.sslVerify=false applies") != 1 {
		t.Fatalf("sslVerify=false: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// a provider client registered with exactly one redirect URI,
// http://localhost:PORT/callback (zitadel compares a web client's URIs
// exactly), signs in with --redirect-url; another path does not.
func TestExactRedirectURL(t *testing.T) {
	w := newWorld(t, 0)
	ln := listenLoopback(t)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	exact := fmt.Sprintf("http://localhost:%d/callback", port)
	w.op.RegisterExactRedirect(exact)
	svc := []string{"--service", "exact", "--issuer", w.op.Issuer, "--client-id", op.ExactClientID, "--client-secret", op.ExactSecret, "--scope", "openid offline_access"}
	r := w.run(append([]string{"token", "--login-timeout", "5s", "--redirect-url", strings.Replace(exact, "/callback", "/other", 1)}, svc...)...)
	if r.code == 0 {
		t.Fatal("a redirect URI that was not registered worked")
	}
	r = w.run(append([]string{"token", "--save", "--cooldown", "1ms", "--redirect-url", exact}, svc...)...)
	if r.code != 0 || !w.op.Valid(t.Context(), strings.TrimSpace(r.stdout)) || !strings.Contains(r.stderr, url.QueryEscape(exact)) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
