package integration

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oauth2cred/integration/gitserver"
)

// gitWorld is a world with a smart-HTTP git server that accepts only access
// tokens the provider currently accepts.
type gitWorld struct {
	*world
	git *gitserver.Server
}

func newGitWorld(t *testing.T) *gitWorld {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not installed; .ci/run installs it")
	}
	w := newWorld(t, 0)
	return &gitWorld{world: w, git: newGitServerFor(t, w)}
}

// newGitServerFor starts a smart-HTTP git server with a repository "repo"
// that accepts the tokens w's provider issued.
func newGitServerFor(t *testing.T, w *world) *gitserver.Server {
	t.Helper()
	srv, err := gitserver.Start(t.TempDir(), func(token string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return w.op.Valid(ctx, token)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.NewRepo("repo"); err != nil {
		t.Fatal(err)
	}
	return srv
}

// helperArgs are the service flags as a credential.helper value.
func (g *gitWorld) helperArgs(service string) string {
	return "--service " + service + " --issuer " + g.op.Issuer + " --client-id native --scope 'openid offline_access' --host " + g.git.Host()
}

// gitCmd runs real git, isolated, with our helper (and optional extra helpers after it).
func (g *gitWorld) gitCmd(dir string, helper string, args ...string) result {
	g.t.Helper()
	full := []string{"-c", "credential.helper=", "-c", "credential.helper=" + helper, "-c", "user.name=t", "-c", "user.email=t@example.com"}
	// A background git with nobody there: no terminal (GIT_TERMINAL_PROMPT=0)
	// and no desktop browser.
	return g.exec(cmdOpts{dir: dir, env: []string{"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", "BROWSER=", "DISPLAY=", "WAYLAND_DISPLAY="}}, "git", append(full, args...)...)
}

// cloned logs in, clones the repository, and returns the helper and clone.
func (g *gitWorld) cloned(service string) (helper, dir string) {
	g.t.Helper()
	g.login(service)
	helper = "!oauth2cred git " + g.helperArgs(service)
	dir = filepath.Join(g.home, "clone")
	if r := g.gitCmd(g.home, helper, "clone", "-q", g.git.URL+"/repo.git", dir); r.code != 0 {
		g.t.Fatalf("clone: %s", r.stderr)
	}
	return helper, dir
}

func (g *gitWorld) login(service string) {
	g.t.Helper()
	r := g.run("login", "--save", "--service", service, "--issuer", g.op.Issuer, "--client-id", "native", "--scope", "openid offline_access")
	if r.code != 0 {
		g.t.Fatalf("login: %s", r.stderr)
	}
}

// clone and push through oauth2cred with a saved token, no
// prompt; both helper spellings work.
func TestGitCloneAndPush(t *testing.T) {
	g := newGitWorld(t)
	g.login("git")
	refreshes := g.op.Count("/oauth/token refresh_token")
	for i, helper := range []string{
		"!oauth2cred git " + g.helperArgs("git"),
		"oauth2cred " + g.helperArgs("git"), // git runs git-credential-oauth2cred
	} {
		dir := filepath.Join(g.home, "clone"+string(rune('a'+i)))
		r := g.gitCmd(g.home, helper, "clone", "-q", g.git.URL+"/repo.git", dir)
		if r.code != 0 {
			t.Fatalf("clone with %q: exit %d\n%s", helper, r.code, r.stderr)
		}
		os.WriteFile(filepath.Join(dir, "f"), []byte(helper), 0o644)
		for _, args := range [][]string{{"add", "f"}, {"commit", "-qm", "change"}, {"push", "-q", "origin", "HEAD:refs/heads/b" + string(rune('a'+i))}} {
			if r := g.gitCmd(dir, helper, args...); r.code != 0 {
				t.Fatalf("git %v: exit %d\n%s", args, r.code, r.stderr)
			}
		}
	}
	out, err := exec.Command("git", "-C", filepath.Join(g.git.Root, "repo.git"), "branch", "--list").Output()
	if err != nil || !strings.Contains(string(out), "ba") || !strings.Contains(string(out), "bb") {
		t.Fatalf("pushed branches not on the server: %s %v", out, err)
	}
	if g.op.Count("/oauth/token refresh_token") != refreshes {
		t.Fatalf("a valid saved token was refreshed")
	}
	// git's first request of each network command (2 clones, 2 pushes) is
	// anonymous; every request with our token must pass.
	if _, rejected := g.git.Counts(); rejected > 4 {
		t.Fatalf("git server rejected %d requests, want at most 4", rejected)
	}
}

// an expired token is refreshed once, and fetch succeeds.
func TestGitFetchAfterExpiry(t *testing.T) {
	g := newGitWorld(t)
	helper, dir := g.cloned("git")
	g.age("git")
	before := g.op.Count("/oauth/token refresh_token")
	if r := g.gitCmd(dir, helper, "fetch", "-q"); r.code != 0 {
		t.Fatalf("fetch: exit %d\n%s", r.code, r.stderr)
	}
	if got := g.op.Count("/oauth/token refresh_token") - before; got != 1 {
		t.Fatalf("refreshes: %d, want 1", got)
	}
}

// the server revokes the token; git's first fetch fails and
// erases it, the next refreshes and succeeds; the refresh token survives.
func TestGitRecoversFromRevokedToken(t *testing.T) {
	g := newGitWorld(t)
	helper, dir := g.cloned("git")
	old := g.token("git")
	if err := g.op.Revoke(t.Context(), old.AccessToken, "access_token"); err != nil {
		t.Fatal(err)
	}
	r := g.gitCmd(dir, helper, "fetch", "-q")
	if r.code == 0 || !strings.Contains(r.stderr, "Authentication failed") {
		t.Fatalf("fetch with a revoked token should fail: exit %d\n%s", r.code, r.stderr)
	}
	erased := g.token("git")
	if erased.AccessToken != "" || erased.RefreshToken != old.RefreshToken {
		t.Fatalf("erase should drop the access token and keep the refresh token")
	}
	before := g.op.Count("/oauth/token refresh_token")
	if r := g.gitCmd(dir, helper, "fetch", "-q"); r.code != 0 {
		t.Fatalf("second fetch: exit %d\n%s", r.code, r.stderr)
	}
	if got := g.op.Count("/oauth/token refresh_token") - before; got != 1 {
		t.Fatalf("refreshes: %d, want 1", got)
	}
}

// another host gets no answer; git asks the next helper.
func TestGitOtherHostFallsThrough(t *testing.T) {
	g := newGitWorld(t)
	g.login("git")
	fallback := "!f() { test \"$1\" = get && printf 'username=other\\npassword=from-next-helper\\n'; }; f"
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for _, in := range []string{
		"protocol=https\nhost=elsewhere.example.com\n\n",
		"protocol=http\nhost=" + g.git.Host() + "0\n\n", // another port
		"protocol=ftp\nhost=" + g.git.Host() + "\n\n",
	} {
		cmd := g.command(ctx, cmdOpts{stdin: in, env: []string{"GIT_TERMINAL_PROMPT=0"}}, "git",
			"-c", "credential.helper=", "-c", "credential.helper=!oauth2cred git "+g.helperArgs("git"),
			"-c", "credential.helper="+fallback, "credential", "fill")
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "password=from-next-helper") {
			t.Fatalf("input %q: %v\n%s", in, err, out)
		}
	}
	// And directly: silence and exit 0.
	r := g.runWith(cmdOpts{stdin: "protocol=https\nhost=elsewhere.example.com\n\n"}, "git", "get", "--service", "git", "--issuer", g.op.Issuer, "--client-id", "native")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("foreign host: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Our host: the full answer.
	r = g.runWith(cmdOpts{stdin: "protocol=http\nhost=" + g.git.Host() + "\n\n"}, append([]string{"git", "get"}, strings.Fields(strings.ReplaceAll(g.helperArgs("git"), "'openid offline_access'", "openid,offline_access"))...)...)
	tok := g.token("git")
	want := "username=oauth2\npassword=" + tok.AccessToken + "\npassword_expiry_utc="
	if r.code != 0 || !strings.HasPrefix(r.stdout, want) || strings.Contains(r.stdout, "oauth_refresh_token") || strings.Contains(r.stdout, tok.RefreshToken) {
		t.Fatalf("answer: %q\n%s", r.stdout, r.stderr)
	}
	// Bearer answer when git offers authtype and the service wants it.
	r = g.runWith(cmdOpts{stdin: "capability[]=authtype\ncapability[]=state\nprotocol=http\nhost=" + g.git.Host() + "\nwwwauth[]=Bearer realm=\"x\"\n\n"},
		"git", "get", "--git-bearer", "--service", "git", "--issuer", g.op.Issuer, "--client-id", "native", "--host", g.git.Host(), "--scope", "openid offline_access")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "capability[]=authtype\nauthtype=Bearer\ncredential="+tok.AccessToken+"\n") {
		t.Fatalf("bearer answer: %q\n%s", r.stdout, r.stderr)
	}
	// store keeps nothing of git's.
	r = g.runWith(cmdOpts{stdin: "protocol=http\nhost=" + g.git.Host() + "\nusername=x\npassword=y\n\n"}, "git", "store", "--service", "git", "--client-id", "native", "--issuer", g.op.Issuer)
	if r.code != 0 || r.stdout != "" || g.token("git").AccessToken != tok.AccessToken {
		t.Fatalf("store changed something")
	}
}

// With GIT_TERMINAL_PROMPT=0 and nothing saved, git gets a clear error, no hang.
func TestGitNoTokenNonInteractive(t *testing.T) {
	g := newGitWorld(t)
	r := g.gitCmd(g.home, "!oauth2cred git "+g.helperArgs("git"), "clone", "-q", g.git.URL+"/repo.git", filepath.Join(g.home, "c"))
	if r.code == 0 || !strings.Contains(r.stderr, "oauth2cred: no saved token for \"git\"") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// newGit finds a git >= 2.46 (the first with capability[]=authtype): .ci/run
// builds 2.47 into /opt/git-2.47; OAUTH2CRED_NEW_GIT names another.
func newGit(t *testing.T) string {
	t.Helper()
	for _, g := range []string{os.Getenv("OAUTH2CRED_NEW_GIT"), "/opt/git-2.47/bin/git"} {
		if g == "" {
			continue
		}
		out, err := exec.Command(g, "--version").Output()
		var major, minor int
		if err == nil {
			fmt.Sscanf(string(out), "git version %d.%d", &major, &minor)
		}
		if major > 2 || (major == 2 && minor >= 46) {
			return g
		}
	}
	t.Fatal("no git >= 2.46 for the Bearer test; run .ci/run (it builds git 2.47 into /opt/git-2.47) or set OAUTH2CRED_NEW_GIT")
	return ""
}

// SPEC §4: with git >= 2.46 and --git-bearer, a Bearer-only server works:
// git announces capability[]=authtype, oauth2cred answers authtype=Bearer.
func TestGitBearerWithNewGit(t *testing.T) {
	newer := newGit(t)
	w := newWorld(t, 0)
	srv, err := gitserver.StartBearerOnly(t.TempDir(), func(token string) bool {
		return w.op.Valid(context.Background(), token)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.NewRepo("repo"); err != nil {
		t.Fatal(err)
	}
	g := &gitWorld{world: w, git: srv}
	g.login("git")
	clone := func(helper, dir string) result {
		return g.exec(cmdOpts{env: []string{"GIT_TERMINAL_PROMPT=0"}}, newer, "-c", "credential.helper=", "-c", "credential.helper="+helper,
			"clone", "-q", srv.URL+"/repo.git", filepath.Join(g.home, dir))
	}
	if r := clone("!oauth2cred git --git-bearer "+g.helperArgs("git"), "bearer"); r.code != 0 {
		t.Fatalf("git %s with --git-bearer: exit %d\n%s", newer, r.code, r.stderr)
	}
	accepted, _ := srv.Counts()
	if accepted == 0 {
		t.Fatal("the server accepted no Bearer request")
	}
	// Without --git-bearer git sends Basic, which this server refuses.
	if r := clone("!oauth2cred git "+g.helperArgs("git"), "basic"); r.code == 0 {
		t.Fatal("a Bearer-only server accepted Basic credentials")
	}
}

// SPEC §4, real git 2.47 (which passes oauth_refresh_token on to every
// helper's store): a helper after oauth2cred is told nothing of the
// refresh token, whether it records what git sends or is credential-store.
func TestRefreshTokenNeverReachesOtherHelpers(t *testing.T) {
	newer := newGit(t)
	g := newGitWorld(t)
	g.login("git")
	store, told := filepath.Join(g.home, "git-credentials"), filepath.Join(g.home, "told")
	r := g.exec(cmdOpts{env: []string{"GIT_TERMINAL_PROMPT=0"}}, newer, "-c", "credential.helper=", "-c", "credential.helper=!oauth2cred git "+g.helperArgs("git"),
		"-c", "credential.helper=store --file "+store, "-c", "credential.helper=!f() { cat >> "+told+"; }; f",
		"clone", "-q", g.git.URL+"/repo.git", filepath.Join(g.home, "clone"))
	if r.code != 0 {
		t.Fatalf("clone: %s", r.stderr)
	}
	tok := g.token("git")
	for _, f := range []string{store, told} {
		if saved := mustRead(f); tok.RefreshToken == "" || strings.Contains(saved, tok.RefreshToken) || strings.Contains(saved, "oauth_refresh_token") {
			t.Fatalf("another helper was given the refresh token (%s):\n%s", f, saved)
		}
	}
}
