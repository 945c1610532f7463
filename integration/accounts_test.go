package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"oauth2cred/integration/gitserver"
	"oauth2cred/integration/op"
)

// accountsWorld is one forge with accounts: a git server that accepts a
// token only for the user name it came with, and a config file defining the
// service once.
func accountsWorld(t *testing.T) (*gitWorld, string) {
	t.Helper()
	w := newWorld(t, 0)
	srv, err := gitserver.StartUsers(t.TempDir(), func(user, token string) bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return user != "" && w.op.Subject(ctx, token) == user
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.NewRepo("r")
	cfg := filepath.Join(w.home, ".config", "oauth2cred", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte(`[services.forge]
issuer = "`+w.op.Issuer+`"
client_id = "`+op.NativeID+`"
scopes = ["openid", "offline_access"]
hosts = ["`+srv.Host()+`"]
`), 0o600)
	return &gitWorld{world: w, git: srv}, "!oauth2cred git --service forge --save"
}

// two accounts on one host, chosen by the URL's user name, from
// one config: each push arrives with that user's token, each account has
// its own file, and the provider was asked with login_hint for each.
// Real git 2.39 and 2.47; the sign-in happens from inside git.
func TestTwoAccountsOneHost(t *testing.T) {
	for _, git := range []string{"git", newGit(t)} {
		t.Run(filepath.Base(git)+" "+gitVersion(git), func(t *testing.T) {
			g, helper := accountsWorld(t)
			for _, user := range []string{op.Alice, op.Bob} {
				dir := filepath.Join(g.home, user)
				url := strings.Replace(g.git.URL, "http://", "http://"+user+"@", 1) + "/r.git"
				run := func(args ...string) {
					t.Helper()
					r := g.exec(cmdOpts{dir: g.home}, git, append([]string{"-c", "credential.helper=", "-c", "credential.helper=" + helper,
						"-c", "user.name=" + user, "-c", "user.email=" + user + "@example.com"}, args...)...)
					if r.code != 0 {
						t.Fatalf("%s: git %v: exit %d\n%s", user, args, r.code, r.stderr)
					}
				}
				run("clone", "-q", url, dir)
				os.WriteFile(filepath.Join(dir, user), []byte(user), 0o644)
				run("-C", dir, "add", user)
				run("-C", dir, "commit", "-qm", "by "+user)
				run("-C", dir, "push", "-q", "origin", "HEAD:refs/heads/"+user)
			}
			out, _ := exec.Command("git", "-C", filepath.Join(g.git.Root, "r.git"), "branch", "--list").Output()
			if !strings.Contains(string(out), op.Alice) || !strings.Contains(string(out), op.Bob) {
				t.Fatalf("pushed branches: %s", out)
			}
			for _, user := range []string{op.Alice, op.Bob} {
				tok := g.token("forge@" + user)
				if g.op.Subject(t.Context(), tok.AccessToken) != user || tok.Identity != user {
					t.Fatalf("the token file of %s holds %q's token", user, tok.Identity)
				}
			}
			hints := g.op.LoginHints()
			if !slices.Contains(hints, op.Alice) || !slices.Contains(hints, op.Bob) {
				t.Fatalf("login hints the provider saw: %q", hints)
			}
			if _, err := os.Stat(filepath.Join(g.tokenDir, ".forge-token")); err == nil {
				t.Fatal("the default account's file was written")
			}
			st, r := g.status()
			if st["forge/alice"].Identity != "alice" || st["forge/bob"].Identity != "bob" {
				t.Fatalf("status:\n%s", r.stdout)
			}
		})
	}
}

func gitVersion(git string) string {
	out, _ := exec.Command(git, "--version").Output()
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "git version ")
}

// signing in as bob when alice was asked is reported, and
// nothing is saved under alice unless the person confirms.
func TestAccountMismatchIsNotSaved(t *testing.T) {
	g, _ := accountsWorld(t)
	cmd, ptmx, stdout, _, term := g.onTerminal(t, []string{"TESTBROWSER_USER=" + op.Bob}, "login", "--service", "forge", "--account", op.Alice)
	term.waitFor(t, regexp.MustCompile(`Keep the token of "bob" as account "alice" anyway\? \[y/N\]`), 30*time.Second)
	if !strings.Contains(term.String(), `You signed in as "bob", but this is account "alice" of "forge".`) {
		t.Fatalf("screen:\n%s", term)
	}
	ptmx.Write([]byte("\r")) // Enter: the default, no
	err := cmd.Wait()
	if err == nil || stdout.Len() != 0 {
		t.Fatalf("login went on: %v %q", err, stdout)
	}
	g.recordStderr(term.String())
	if _, err := os.Stat(filepath.Join(g.tokenDir, ".forge@alice-token")); err == nil {
		t.Fatal("bob's token was saved as alice's")
	}
	// Without a terminal there is no one to confirm: refused outright.
	r := g.runWith(cmdOpts{env: []string{"TESTBROWSER_USER=" + op.Bob}}, "login", "--save", "--service", "forge", "--account", op.Alice)
	if r.code != 1 || !strings.Contains(r.stderr, `signed in as "bob", not as account "alice"; nothing was saved under "alice"`) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// accounts have their own locks (one account's refresh
// never waits on another's), and logout --all-accounts ends them all.
func TestAccountsLockAndLogoutApart(t *testing.T) {
	g, _ := accountsWorld(t)
	for _, user := range []string{op.Alice, op.Bob} {
		if r := g.run("login", "--save", "--service", "forge", "--account", user); r.code != 0 {
			t.Fatalf("%s: %s", user, r.stderr)
		}
		g.age("forge@" + user)
	}
	holder := exec.Command("flock", "-o", filepath.Join(g.tokenDir, ".forge@alice-token.lock"), "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	r := g.run("token", "--service", "forge", "--account", op.Bob)
	if r.code != 0 || time.Since(start) > 2*time.Second || g.op.Subject(t.Context(), strings.TrimSpace(r.stdout)) != op.Bob {
		t.Fatalf("bob's refresh while alice's lock is held: exit %d after %v\n%s", r.code, time.Since(start), r.stderr)
	}
	if r := g.run("token", "--service", "forge", "--account", op.Alice, "--timeout", "1s"); r.code != 1 || !strings.Contains(r.stderr, ".forge@alice-token.lock") {
		t.Fatalf("alice's call: exit %d\n%s", r.code, r.stderr)
	}
	holder.Process.Kill()
	holder.Wait()
	r = g.run("logout", "--service", "forge", "--all-accounts")
	if r.code != 0 || g.op.Count("/revoke") != 2 {
		t.Fatalf("logout --all-accounts: exit %d, %d revocations\n%s", r.code, g.op.Count("/revoke"), r.stderr)
	}
	for _, user := range []string{op.Alice, op.Bob} {
		if _, err := os.Stat(filepath.Join(g.tokenDir, ".forge@"+user+"-token")); err == nil {
			t.Fatalf("%s's file is left", user)
		}
	}
}
