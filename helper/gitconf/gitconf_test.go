package gitconf

import (
	"path/filepath"
	"runtime"
	"testing"
)

// With real git, in a HOME of the test's own: a key not set is no error,
// values come back in order, URL-scoped keys match as git matches them, and
// git's refusal is an error.
func TestRunAllURLMatch(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs git, which the Windows build under Wine cannot start")
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))
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
