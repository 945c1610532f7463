package integration

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"oauth2cred/integration/op"
	"oauth2cred/persist"
)

// The Windows build under Wine (Debian's wine64), driven by real Linux git
// and kubectl against the example OpenID Provider: SPEC §7's proof on this
// machine. One Wine prefix serves every test of the run (its first start
// takes a few seconds); tests keep apart by service names.

const wine64 = "/usr/lib/wine/wine64"

var wineOnce struct {
	sync.Once
	exe, prefix, err string
}

// windowsBuild builds oauth2cred.exe and a Wine prefix that runs it (the
// ProcessPrng shim of .ci/wine), once per run.
func windowsBuild(t *testing.T) (exe, prefix string) {
	t.Helper()
	wineOnce.Do(func() {
		for _, tool := range []string{wine64, "x86_64-w64-mingw32-gcc"} {
			if _, err := exec.LookPath(tool); err != nil {
				wineOnce.err = tool + " is not installed; .ci/run installs it (apt-get install wine64 gcc-mingw-w64-x86-64-win32)"
				return
			}
		}
		dir := filepath.Join(bin.dir, "windows")
		os.MkdirAll(dir, 0o700)
		exe, prefix := filepath.Join(dir, "oauth2cred.exe"), filepath.Join(dir, "prefix")
		steps := []*exec.Cmd{
			exec.Command("go", "build", "-o", exe, "oauth2cred"),
			exec.Command("x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", filepath.Join(dir, "bcryptprimitives.dll"), "../.ci/wine/processprng.c", "-ladvapi32"),
			exec.Command("sh", "-c", "umask 077 && "+wine64+" wineboot -i"),
		}
		steps[0].Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
		steps[2].Env = append(os.Environ(), "WINEPREFIX="+prefix, "WINEDEBUG=-all")
		for _, c := range steps {
			if out, err := c.CombinedOutput(); err != nil {
				wineOnce.err = fmt.Sprintf("%v: %v\n%s", c.Args, err, out)
				return
			}
		}
		dll, _ := os.ReadFile(filepath.Join(dir, "bcryptprimitives.dll"))
		if err := os.WriteFile(filepath.Join(prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll"), dll, 0o600); err != nil {
			wineOnce.err = err.Error()
			return
		}
		wineOnce.exe, wineOnce.prefix = exe, prefix
	})
	if wineOnce.err != "" {
		t.Fatal(wineOnce.err)
	}
	return wineOnce.exe, wineOnce.prefix
}

// winWorld is a world whose oauth2cred is the Windows build under Wine.
type winWorld struct {
	*world
	exe, prefix string
	env         []string // what a Windows process gets: no Linux XDG or token directory
}

func newWinWorld(t *testing.T, accessTTL time.Duration) *winWorld {
	exe, prefix := windowsBuild(t)
	w := newWorld(t, accessTTL)
	ww := &winWorld{world: w, exe: exe, prefix: prefix}
	// The person's browser: Wine's winebrowser runs xdg-open from the
	// Linux PATH, which plays the person with the test browser.
	dir := filepath.Join(w.home, "wine-bin")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\necho \"$1\" >> "+filepath.Join(w.home, "opened")+"\nexec "+bin.browser+" \"$1\"\n"), 0o755)
	ww.env = []string{"WINEPREFIX=" + prefix, "WINEDEBUG=-all", "PATH=" + dir + ":" + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=", "XDG_STATE_HOME=", "OAUTH2CRED_TOKEN_DIR=", "BROWSER=", "DISPLAY=:0"}
	return ww
}

// run runs the Windows build with a private umask (its files then show an
// owner-only access list under Wine).
func (w *winWorld) run(args ...string) result {
	w.t.Helper()
	return w.exec(cmdOpts{env: w.env}, "sh", append([]string{"-c", `umask 077; exec "$@"`, "sh", wine64, w.exe}, args...)...)
}

// tokenDir is %LOCALAPPDATA%\oauth2cred as the Linux side sees it.
func (w *winWorld) tokenDir() string {
	u, err := user.Current()
	if err != nil {
		w.t.Fatal(err)
	}
	return filepath.Join(w.prefix, "drive_c", "users", u.Username, "AppData", "Local", "oauth2cred")
}

func (w *winWorld) service(name string, extra ...string) []string {
	return append([]string{"--service", name, "--issuer", w.op.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access"}, extra...)
}

// Client credentials saved in %LOCALAPPDATA%\oauth2cred, and the saved
// token handed out by the next call without a request.
func TestWindowsDefaultDirAndCachedCall(t *testing.T) {
	w := newWinWorld(t, 0)
	secret := filepath.Join(w.home, "secret")
	os.WriteFile(secret, []byte(op.ServiceKey), 0o600)
	svc := []string{"token", "--service", "win-ci", "--issuer", w.op.Issuer, "--flow", "client-credentials", "--client-id", op.ServiceID, "--client-secret-file", secret}
	first := w.run(append(svc, "--save")...)
	if first.code != 0 || !w.op.Issued(strings.TrimSpace(first.stdout)) {
		t.Fatalf("client credentials on Windows: exit %d\n%s%s", first.code, first.stdout, first.stderr)
	}
	if _, err := os.Stat(filepath.Join(w.tokenDir(), ".win-ci-token")); err != nil {
		t.Fatalf("not saved in %%LOCALAPPDATA%%\\oauth2cred: %v", err)
	}
	requests := w.op.Requests.Load()
	if second := w.run(svc...); second.code != 0 || second.stdout != first.stdout || w.op.Requests.Load() != requests {
		t.Fatalf("second call: exit %d, same token %v, %d requests\n%s", second.code, second.stdout == first.stdout, w.op.Requests.Load()-requests, second.stderr)
	}
}

// A sign-in through the Windows opener (rundll32 → winebrowser → the
// person's browser), then real Linux git and kubectl get the token from the
// Windows build; an expired token is refreshed once by six parallel calls.
func TestWindowsLifecycleWithGitAndKubectl(t *testing.T) {
	w := newWinWorld(t, 0)
	name := fmt.Sprintf("win-%d", time.Now().UnixNano())
	if r := w.run(append([]string{"login", "--save"}, w.service(name)...)...); r.code != 0 || !strings.Contains(mustRead(filepath.Join(w.home, "opened")), "/auth?") {
		t.Fatalf("login through the Windows opener: exit %d\n%s", r.code, r.stderr)
	}
	dir := persist.Dir{Path: w.tokenDir()}
	saved, err := dir.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	// Linux git with the Windows build as its helper.
	srv := newGitServerFor(t, w.world)
	helper := "!" + wine64 + " " + w.exe + " git " + strings.Join(quoteAll(w.service(name, "--host", srv.Host())), " ")
	r := w.exec(cmdOpts{env: append(w.env, "GIT_TERMINAL_PROMPT=0")}, "git", "-c", "credential.helper=", "-c", "credential.helper="+helper, "clone", "-q", srv.URL+"/repo.git", filepath.Join(w.home, "clone"))
	if r.code != 0 {
		t.Fatalf("git clone with the Windows helper: exit %d\n%s", r.code, r.stderr)
	}
	// kubectl with the Windows build as its exec plugin.
	api := newAPIStub(t, w.home, func(tok string) bool { return tok == saved.AccessToken })
	args := append([]string{w.exe, "kubectl"}, w.service(name)...)
	kc := filepath.Join(w.home, "kubeconfig")
	os.WriteFile(kc, []byte(fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster:\n    server: %s\n    certificate-authority-data: %s\nusers:\n- name: win\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      interactiveMode: Never\n      command: %s\n      args: %s\n      env: [{name: WINEPREFIX, value: %s}, {name: WINEDEBUG, value: -all}]\ncontexts:\n- name: stub\n  context: {cluster: stub, user: win}\ncurrent-context: stub\n",
		api.URL, base64.StdEncoding.EncodeToString([]byte(mustRead(api.caFile))), wine64, jsonList(args), w.prefix)), 0o600)
	if r := w.exec(cmdOpts{env: w.env}, kubectlBinary(t), "--kubeconfig", kc, "--cache-dir", filepath.Join(w.home, "kcache"), "get", "--raw", "/version"); r.code != 0 {
		t.Fatalf("kubectl with the Windows plugin: exit %d\n%s", r.code, r.stderr)
	}
	// Six parallel calls on an expired token make one refresh.
	saved.Expiry = time.Now().Add(-time.Minute).UTC()
	if err := dir.Save(name, saved); err != nil {
		t.Fatal(err)
	}
	refreshes := w.op.Count("/oauth/token refresh_token")
	var wg sync.WaitGroup
	outs := make([]result, 6)
	for i := range outs {
		wg.Add(1)
		go func() { defer wg.Done(); outs[i] = w.run(append([]string{"token"}, w.service(name)...)...) }()
	}
	wg.Wait()
	for i, o := range outs {
		if o.code != 0 || o.stdout != outs[0].stdout {
			t.Fatalf("parallel call %d: exit %d\n%s", i, o.code, o.stderr)
		}
	}
	if n := w.op.Count("/oauth/token refresh_token") - refreshes; n != 1 {
		t.Fatalf("six parallel calls made %d refreshes", n)
	}
}

// The Credential Manager copy restores a deleted file; a token file others
// can read is refused, naming the icacls command that mends it.
func TestWindowsKeyringAndFilePrivacy(t *testing.T) {
	w := newWinWorld(t, 0)
	name := fmt.Sprintf("wink-%d", time.Now().UnixNano())
	if r := w.run(append([]string{"login", "--save", "--keyring"}, w.service(name)...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	file := filepath.Join(w.tokenDir(), "."+name+"-token")
	os.Remove(file)
	requests := w.op.Requests.Load()
	if r := w.run(append([]string{"token", "--keyring"}, w.service(name)...)...); r.code != 0 || w.op.Requests.Load() != requests {
		t.Fatalf("after the file was deleted: exit %d, %d requests\n%s", r.code, w.op.Requests.Load()-requests, r.stderr)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal("the Credential Manager copy did not restore the file")
	}
	os.Chmod(file, 0o644) // Wine then shows Everyone with read access
	r := w.run(append([]string{"token"}, w.service(name)...)...)
	if r.code == 0 || !strings.Contains(r.stderr, "readable by Everyone") || !strings.Contains(r.stderr, `icacls "C:\users\`) || !strings.Contains(r.stderr, `/inheritance:r /grant:r "%USERNAME%:F"`) {
		t.Fatalf("a token file others can read: exit %d\n%s", r.code, r.stderr)
	}
	w.run(append([]string{"logout", "--keyring"}, w.service(name)...)...)
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return out
}

func jsonList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
