package gitconf

import (
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// With real git, in a HOME of the test's own: a key not set is no error,
// values come back in order, URL-scoped keys match as git matches them, and
// git's refusal is an error.
func TestRunAllURLMatch(t *testing.T) {
	gitHome(t)
	if out, err := Run("--global", "--get", "credential.helper"); err != nil || out != "" {
		t.Fatalf("a key not set: %q %v", out, err)
	}
	for _, v := range []string{"", "oauth2cred --service a"} {
		if _, err := Run("--global", "--add", "credential.helper", v); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := All("--global", "credential.helper"); err != nil || len(got) != 2 || got[0] != "" || got[1] != "oauth2cred --service a" {
		t.Fatalf("All: %q %v", got, err)
	}
	Run("--global", "credential.https://git.example.com.oauthClientId", "abc")
	Run("--global", "credential.https://other.example.com.oauthClientId", "other")
	m, err := URLMatch("credential", "https://git.example.com/group/repo.git")
	if err != nil || m["oauthclientid"] != "abc" {
		t.Fatalf("URLMatch: %v %v", m, err)
	}
	if _, err := Run("--global", "--get", "not a key"); err == nil {
		t.Fatal("git refused the key, and Run said nothing")
	}
}

// The helpers git asks for a URL are those git itself would ask: patterns
// matched as git matches them (a host wildcard, the default port, a path
// prefix, a user name), in config order, an empty value resetting the list.
func TestHelpersAsGitCollectsThem(t *testing.T) {
	gitHome(t)
	for _, kv := range [][2]string{
		{"credential.helper", "first"},
		{"credential.https://other.example.com.helper", "other host"},
		{"credential.https://git.example.com.helper", ""},
		{"credential.https://*.example.com.helper", "wildcard"},
		{"credential.https://git.example.com:443/group.helper", "default port and path"},
		{"credential.https://git.example.com/elsewhere.helper", "other path"},
		{"credential.https://alice@git.example.com.helper", "alice only"},
		{"credential.http://git.example.com.helper", "plain http"},
	} {
		if _, err := Run("--global", "--add", kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Helpers("https://git.example.com/group/repo.git")
	if want := []string{"wildcard", "default port and path"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Helpers: %q %v, want %q", got, err, want)
	}
	got, err = Helpers("https://alice@git.example.com/elsewhere/repo.git")
	if want := []string{"wildcard", "other path", "alice only"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Helpers for alice: %q %v, want %q", got, err, want)
	}
}

// gitHome gives real git a HOME and global config of the test's own.
func gitHome(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs git, which the Windows build under Wine cannot start")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))
}
