package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oauth2cred/integration/op"
)

// --preset gitlab with a self-hosted host, and --preset github
// with a GitHub Enterprise Server host, send the person's browser to that
// host, not to gitlab.com or github.com.
func TestSelfHostedForgePresets(t *testing.T) {
	w := newWorld(t, 0)
	for _, tc := range []struct{ preset, host, want string }{
		{"gitlab", "gitlab.internal.test", "https://gitlab.internal.test/oauth/authorize?"},
		{"github", "ghe.internal.test", "https://ghe.internal.test/login/oauth/authorize?"},
	} {
		log := filepath.Join(t.TempDir(), "opened")
		browser := filepath.Join(t.TempDir(), "browser")
		os.WriteFile(browser, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> "+log+"\n"), 0o755)
		r := w.runWith(cmdOpts{env: []string{"BROWSER=" + browser}}, "token", "--no-save", "--service", tc.preset+"-self",
			"--preset", tc.preset, "--client-id", "c", "--host", tc.host, "--login-timeout", "2s")
		got, _ := os.ReadFile(log)
		if !strings.HasPrefix(string(got), tc.want) {
			t.Errorf("%s at %s: the browser opened %q (exit %d)\n%s", tc.preset, tc.host, got, r.code, r.stderr)
		}
	}
}

// real git 2.39 and 2.47: one helper line for every host
// (credential.helper = oauth2cred git, written by setup git without
// --service) routes each host to the first config service that serves it,
// and says nothing for any other host, so git asks the next helper;
// unsetup git removes exactly that line.
func TestOneHelperLineForEveryHost(t *testing.T) {
	for _, git := range []string{"git", newGit(t)} {
		t.Run(gitVersion(git), func(t *testing.T) {
			g := newGitWorld(t)
			gitconfig := filepath.Join(g.home, ".gitconfig")
			before := "[user]\n\tname = t\n\temail = t@example.com\n"
			os.WriteFile(gitconfig, []byte(before), 0o644)
			env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig}
			cfg := filepath.Join(g.home, ".config", "oauth2cred", "config.toml")
			os.MkdirAll(filepath.Dir(cfg), 0o700)
			os.WriteFile(cfg, []byte(`[services.elsewhere]
issuer = "`+g.op.Issuer+`"
client_id = "other"
hosts = ["other.example.com"]

[services.forge]
issuer = "`+g.op.Issuer+`"
client_id = "`+op.NativeID+`"
scopes = ["openid", "offline_access"]
hosts = ["`+g.git.Host()+`"]
`), 0o600)
			if r := g.run("login", "--save", "--service", "forge"); r.code != 0 {
				t.Fatalf("login: %s", r.stderr)
			}
			if r := g.runWith(cmdOpts{env: env}, "setup", "git"); r.code != 0 || !strings.Contains(r.stderr, "every host") {
				t.Fatalf("setup git: exit %d\n%s", r.code, r.stderr)
			}
			if b := mustRead(gitconfig); !strings.Contains(b, "helper = !") || strings.Contains(b, "--service") {
				t.Fatalf("git config:\n%s", b)
			}
			if r := g.exec(cmdOpts{env: env}, git, "clone", "-q", g.git.URL+"/repo.git", filepath.Join(g.home, "clone")); r.code != 0 {
				t.Fatalf("clone through the one line: %s", r.stderr)
			}
			r := g.runWith(cmdOpts{stdin: "protocol=https\nhost=nobody.example.com\n\n"}, "git", "get")
			if r.code != 0 || r.stdout != "" {
				t.Fatalf("a host no service serves: exit %d %q\n%s", r.code, r.stdout, r.stderr)
			}
			if r := g.runWith(cmdOpts{env: env}, "unsetup", "git"); r.code != 0 {
				t.Fatalf("unsetup git: %s", r.stderr)
			}
			if got := mustRead(gitconfig); got != before {
				t.Fatalf("after unsetup:\n%q\nwant\n%q", got, before)
			}
		})
	}
}

// real git 2.39 and 2.47: an editor's git (no terminal,
// GIT_TERMINAL_PROMPT=0, a desktop browser) signs in through the browser,
// and the page asks whether to keep the sign-in. "Keep": saved, and the
// next background fetch opens no browser and makes no authorization
// request. "Only this time": nothing saved, although another site posted
// "keep" first (refused: no form token, another Origin).
func TestEditorsGitAsksInTheBrowser(t *testing.T) {
	for _, git := range []string{"git", newGit(t)} {
		t.Run(gitVersion(git), func(t *testing.T) {
			for _, answer := range []string{"no", "yes"} {
				g := newGitWorld(t)
				log := filepath.Join(g.home, "opened")
				helper := "!oauth2cred git " + g.helperArgs("ed")
				// Another site tries to answer "keep" first (refused: 403).
				env := []string{"GIT_TERMINAL_PROMPT=0", "TESTBROWSER_SAVE=" + answer, "TESTBROWSER_LOG=" + log, "TESTBROWSER_FORGE=1"}
				fetch := func() result {
					return g.exec(cmdOpts{env: env}, git, "-c", "credential.helper=", "-c", "credential.helper="+helper,
						"ls-remote", "-q", g.git.URL+"/repo.git")
				}
				if r := fetch(); r.code != 0 {
					t.Fatalf("%s: first fetch: exit %d\n%s", answer, r.code, r.stderr)
				}
				_, err := os.Stat(filepath.Join(g.tokenDir, ".ed-token"))
				if saved := err == nil; saved != (answer == "yes") {
					t.Fatalf("answer %s: saved %v", answer, saved)
				}
				os.Remove(log)
				if answer != "yes" {
					// "Only this time": the next background fetch opens no
					// other tab within the cool-down; it fails at once.
					auths := g.op.Count("/auth")
					start := time.Now()
					r := fetch()
					if _, err := os.Stat(log); err == nil || g.op.Count("/auth") != auths || r.code == 0 || time.Since(start) > 10*time.Second ||
						!strings.Contains(r.stderr, "do not open another") {
						t.Fatalf("after \"only this time\" the next background fetch: exit %d, browser opened %v\n%s", r.code, err == nil, r.stderr)
					}
					continue
				}
				auths := g.op.Count("/auth")
				if r := fetch(); r.code != 0 {
					t.Fatalf("second fetch: exit %d\n%s", r.code, r.stderr)
				}
				if _, err := os.Stat(log); err == nil || g.op.Count("/auth") != auths {
					t.Fatal("the second background fetch opened the browser again")
				}
			}
		})
	}
}

// real git 2.39 and 2.47: a ~/.gitconfig written for
// git-credential-oauth (its README's custom-host section) or for Git
// Credential Manager (its generic OAuth keys), with only the helper line
// changed to oauth2cred, clones and pushes; the service is named after the
// host, and git's config is the only place it is defined.
func TestGitConfigOfOtherHelpers(t *testing.T) {
	for _, git := range []string{"git", newGit(t)} {
		for _, style := range []string{"git-credential-oauth", "git-credential-manager"} {
			t.Run(gitVersion(git)+" "+style, func(t *testing.T) {
				g := newGitWorld(t)
				url := "http://" + g.git.Host()
				keys := map[string]string{
					// git config --global credential.URL.oauthClientId <CLIENTID> … as the README has it.
					"git-credential-oauth": "\toauthClientId = " + op.NativeID + "\n\toauthScopes = openid offline_access\n" +
						"\toauthAuthURL = " + g.op.Issuer + "/auth\n\toauthTokenURL = " + g.op.Issuer + "/oauth/token\n",
					// Git Credential Manager's docs/generic-oauth.md example, quoted values and all.
					"git-credential-manager": "    oauthClientId = " + op.NativeID + "\n    oauthRedirectUri = \"http://127.0.0.1\"\n" +
						"    oauthAuthorizeEndpoint = \"" + g.op.Issuer + "/auth\"\n    oauthTokenEndpoint = \"" + g.op.Issuer + "/oauth/token\"\n" +
						"    oauthDeviceEndpoint = \"" + g.op.Issuer + "/device_authorization\"\n    oauthScopes = \"openid offline_access\"\n" +
						"    oauthDefaultUserName = \"OAUTH\"\n    oauthUseClientAuthHeader = false\n    oauthResponseMode = \"query\"\n",
				}[style]
				gitconfig := filepath.Join(g.home, ".gitconfig")
				os.WriteFile(gitconfig, []byte("[user]\n\tname = t\n\temail = t@example.com\n[credential]\n\thelper = !oauth2cred git\n"+
					"[credential \""+url+"\"]\n"+keys), 0o644)
				env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig, "GIT_TERMINAL_PROMPT=0", "TESTBROWSER_SAVE=yes"}
				dir := filepath.Join(g.home, "clone")
				if r := g.exec(cmdOpts{env: env}, git, "clone", "-q", g.git.URL+"/repo.git", dir); r.code != 0 {
					t.Fatalf("clone: exit %d\n%s", r.code, r.stderr)
				}
				name := strings.ReplaceAll(g.git.Host(), ":", "_")
				if _, err := os.Stat(filepath.Join(g.tokenDir, "."+name+"-token")); err != nil {
					t.Fatalf("no token saved for the service named after the host: %v", err)
				}
				os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
				g.exec(cmdOpts{env: env, dir: dir}, git, "add", "f")
				g.exec(cmdOpts{env: env, dir: dir}, git, "commit", "-qm", "f")
				auths := g.op.Count("/auth")
				if r := g.exec(cmdOpts{env: env, dir: dir}, git, "push", "-q", "origin", "HEAD:refs/heads/pushed"); r.code != 0 {
					t.Fatalf("push: exit %d\n%s", r.code, r.stderr)
				}
				if g.op.Count("/auth") != auths {
					t.Fatal("the push signed in again")
				}
			})
		}
	}
}

// doctor without --service checks the config file's services
// and those git's own configuration defines, and says which source defined
// each field.
func TestDoctorSeesGitConfigServices(t *testing.T) {
	g := newGitWorld(t)
	gitconfig := filepath.Join(g.home, ".gitconfig")
	os.WriteFile(gitconfig, []byte("[credential]\n\thelper = !oauth2cred git\n[credential \"http://"+g.git.Host()+"\"]\n"+
		"\toauthClientId = "+op.NativeID+"\n\toauthScopes = openid offline_access\n\toauthAuthURL = "+g.op.Issuer+"/auth\n\toauthTokenURL = "+g.op.Issuer+"/oauth/token\n"), 0o644)
	cfg := filepath.Join(g.home, ".config", "oauth2cred", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte("[services.work]\nissuer = \""+g.op.Issuer+"\"\nclient_id = \"work-client\"\nhosts = [\"work.example.com\"]\n"), 0o600)
	r := g.runWith(cmdOpts{env: []string{"GIT_CONFIG_GLOBAL=" + gitconfig, "OAUTH2CRED_CLIENT_ID="}}, "doctor", "--scope", "extra")
	name := strings.ReplaceAll(g.git.Host(), ":", "_")
	for _, want := range []string{
		`✓ service: "work": client id work-client`,
		`✓ sources: "work": client_id: config file, issuer: config file, scopes: flags, hosts: config file`,
		`✓ service: "` + name + `": client id native`,
		`✓ sources: "` + name + `": client_id: git config, auth_url: git config, token_url: git config, scopes: flags, hosts: git config`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
}
