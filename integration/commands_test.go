package integration

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestStatusAndLogout(t *testing.T) {
	w := newWorld(t, 0)
	r := w.run(append([]string{"token", "--save"}, w.service("gone")...)...)
	if r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	tok := w.token("gone")

	r = w.run("status")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "gone\t"+w.tokenDir+"/.gone-token\texpires ") || !strings.Contains(r.stdout, "refresh token: yes") || !strings.Contains(r.stdout, "scopes: openid offline_access") {
		t.Fatalf("status: %q\n%s", r.stdout, r.stderr)
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, tok.IDToken} {
		if strings.Contains(r.stdout, secret) {
			t.Fatalf("status printed a token")
		}
	}

	r = w.run(append([]string{"logout"}, w.service("gone")...)...)
	if r.code != 0 {
		t.Fatalf("logout: exit %d\n%s", r.code, r.stderr)
	}
	if w.op.Count("/revoke") != 1 {
		t.Fatalf("revocation requests: %d", w.op.Count("/revoke"))
	}
	if _, err := os.Stat(w.tokenDir + "/.gone-token"); err == nil {
		t.Fatalf("token file survived logout")
	}
	if w.op.Valid(t.Context(), tok.AccessToken) {
		t.Fatalf("the access token still works after its refresh token was revoked")
	}
	r = w.run("status")
	if r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "no saved tokens") {
		t.Fatalf("status after logout: %q %q", r.stdout, r.stderr)
	}
}

// SPEC §3: two first logins at once never fight over the redirect port; the
// second waits on the lock and uses the token the first saved.
func TestConcurrentLoginsShareOneFlow(t *testing.T) {
	w := newWorld(t, 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	args := append([]string{"token", "--save", "--redirect-port", port}, w.service("two")...)
	results := make(chan result, 2)
	for range 2 {
		go func() { results <- w.run(args...) }()
	}
	a, b := <-results, <-results
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout {
		t.Fatalf("exits %d %d, same token %v\n%s\n%s", a.code, b.code, a.stdout == b.stdout, a.stderr, b.stderr)
	}
	if n := w.op.Count("/oauth/token authorization_code"); n != 1 {
		t.Fatalf("code exchanges: %d, want 1", n)
	}
}

// Issue 6: help for the main commands shows examples.
func TestHelpShowsExamples(t *testing.T) {
	w := newWorld(t, 0)
	for _, args := range [][]string{{"--help"}, {"git", "--help"}, {"kubectl", "--help"}, {"token", "--help"}} {
		r := w.run(args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "oauth2cred ") {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stdout)
		}
	}
	if r := w.run("version"); r.code != 0 || !strings.HasPrefix(r.stdout, "oauth2cred ") {
		t.Fatalf("version: %q", r.stdout)
	}
}

// SPEC §3: invalid_grant means the session is gone: with a person at hand the
// flow runs again and the new token replaces the saved one (no prompt: the
// person chose to save before); --no-save keeps a new login unsaved.
func TestEndedSessionSignsInAgain(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"token", "--save"}, w.service("again")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	old := w.token("again")
	if err := w.op.Revoke(t.Context(), old.RefreshToken, "refresh_token"); err != nil {
		t.Fatal(err)
	}
	w.age("again")
	r := w.run(append([]string{"token"}, w.service("again")...)...)
	if r.code != 0 || !strings.Contains(r.stderr, `The saved session for "again" has ended; signing in again.`) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	now := w.token("again")
	if now.RefreshToken == old.RefreshToken || now.AccessToken != strings.TrimSpace(r.stdout) {
		t.Fatal("the new session was not saved")
	}
	if w.op.Count("/oauth/token authorization_code") != 2 {
		t.Fatalf("code exchanges: %d, want 2", w.op.Count("/oauth/token authorization_code"))
	}
	r = w.run(append([]string{"login", "--no-save"}, w.service("other")...)...)
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("login --no-save: exit %d %q", r.code, r.stdout)
	}
	if _, err := os.Stat(w.tokenDir + "/.other-token"); err == nil {
		t.Fatal("--no-save saved")
	}
}
