package helper

import (
	"oauth2cred/internal/testdir"
	"runtime"

	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/protocol"
)

// The one helper line reads git's config only for a host no config-file
// service serves, and then once (SPEC §4): a git that logs each call, then
// runs the real one, counts them.
func TestRouteReadsGitConfigOnlyWhenNeeded(t *testing.T) {
	skipWithoutLinuxGit(t)
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git is not installed; .ci/run installs it")
	}
	bin := testdir.New(t)
	calls := filepath.Join(bin, "calls")
	os.WriteFile(filepath.Join(bin, "git"), []byte("#!/bin/sh\necho \"$*\" >> "+calls+"\nexec "+real+" \"$@\"\n"), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	home := testdir.New(t)
	gitconfig := filepath.Join(home, ".gitconfig")
	os.WriteFile(gitconfig, []byte("[credential \"https://gitlab.internal.test\"]\n\toauthClientId = from-git\n"), 0o644)
	t.Setenv("GIT_CONFIG_GLOBAL", gitconfig)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	cfg := filepath.Join(home, "config.toml")
	os.WriteFile(cfg, []byte("[services.work]\nissuer = \"https://idp.example.com\"\nclient_id = \"c\"\nhosts = [\"git.example.com\"]\n"), 0o600)
	count := func() int {
		b, _ := os.ReadFile(calls)
		return strings.Count(string(b), "\n")
	}
	route := func(host string) (string, *lifecycle.Settings) {
		set := &lifecycle.Settings{ConfigPath: cfg, Getenv: func(string) string { return "" }}
		name, fromGit, err := routeGit(set, protocol.Credential{{Key: "protocol", Value: "https"}, {Key: "host", Value: host}})
		if err != nil {
			t.Fatal(err)
		}
		return name, set.For(name, fromGit)
	}
	if name, _ := route("git.example.com"); name != "work" || count() != 0 {
		t.Fatalf("a config-file host: %q, %d git calls", name, count())
	}
	name, set := route("gitlab.internal.test")
	if name != "gitlab.internal.test" || set.FromGit == nil || set.FromGit.ClientID != "from-git" || set.FromGit.Preset != "gitlab" || count() != 1 {
		t.Fatalf("a git-config host: %q %+v, %d git calls", name, set.FromGit, count())
	}
	if name, _ := route("nobody.example.com"); name != "" || count() != 2 {
		t.Fatalf("no service: %q, %d git calls", name, count())
	}
}

// skipWithoutLinuxGit: under Wine a Windows process cannot start the Linux
// git these tests run; the Wine end-to-end suite (integration) drives the
// Windows build from Linux git instead.
func skipWithoutLinuxGit(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs git, which the Windows build under Wine cannot start; integration's Wine suite covers git with the Windows build")
	}
}
