package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oauth2cred/integration/op"
)

func TestStatusAndLogout(t *testing.T) {
	w := newWorld(t, 0)
	r := w.run(append([]string{"token", "--save"}, w.service("gone")...)...)
	if r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	tok := w.token("gone")

	st, r := w.status()
	if e := st["gone/default"]; r.code != 0 || e.Identity == "" || e.File != w.tokenDir+"/.gone-token" || e.Expiry == nil || e.Expired || !e.RefreshToken || strings.Join(e.Scopes, " ") != "openid offline_access" {
		t.Fatalf("status: %q\n%s", r.stdout, r.stderr)
	}
	table := w.run("status")
	if !strings.HasPrefix(table.stdout, "SERVICE ") || !strings.Contains(table.stdout, "\ngone ") || !strings.Contains(table.stdout, w.tokenDir+"/.gone-token") {
		t.Fatalf("status table:\n%s", table.stdout)
	}
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, tok.IDToken} {
		if strings.Contains(r.stdout+table.stdout, secret) {
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
// One sign-in at a time per service: while a background call signs in
// with the browser, a call at a terminal waits and uses its token, and a
// call that no one can see (no terminal) says so at once instead of waiting
// or opening a second browser.
func TestConcurrentLoginsShareOneFlow(t *testing.T) {
	w := newWorld(t, 0)
	slow := filepath.Join(w.home, "slow-browser")
	os.WriteFile(slow, []byte("#!/bin/sh\nsleep 2\nexec "+bin.browser+" \"$1\"\n"), 0o755)
	args := append([]string{"token", "--save"}, w.service("two")...)
	first := make(chan result, 1)
	go func() { first <- w.runWith(cmdOpts{env: []string{"BROWSER=" + slow}}, args...) }()
	marker := filepath.Join(w.tokenDir, ".two-token.signin")
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	cmd, _, stdout, _, _ := w.onTerminal(t, []string{"BROWSER=/bin/false"}, args...)
	start := time.Now()
	bg := w.run(args...)
	if bg.code != 3 || !strings.Contains(bg.stderr, "a sign-in for \"two\" is under way in another process") || time.Since(start) > time.Second {
		t.Fatalf("background call: exit %d after %v\n%s", bg.code, time.Since(start), bg.stderr)
	}
	a := <-first
	if err := cmd.Wait(); err != nil || a.code != 0 || a.stdout != stdout.String() {
		t.Fatalf("exits %d %v, same token %v\n%s", a.code, err, a.stdout == stdout.String(), a.stderr)
	}
	if n := w.op.Count("/oauth/token authorization_code"); n != 1 {
		t.Fatalf("code exchanges: %d, want 1", n)
	}
}

// help for the main commands shows examples.
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
	if r.code != 0 || !strings.Contains(r.stderr, `The saved session for "again" has ended (the server refused its refresh token); signing in again.`) {
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

// config path names the file in use (XDG_CONFIG_HOME honoured, --config
// made absolute) and says whether it exists; config edit creates it with
// an example, runs $EDITOR and checks what was written.
func TestConfigPathAndEdit(t *testing.T) {
	w := newWorld(t, 0)
	def := filepath.Join(w.home, ".config", "oauth2cred", "config.toml")
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, nil, def},
		{[]string{"XDG_CONFIG_HOME="}, nil, filepath.Join(w.home, ".config", "oauth2cred", "config.toml")},
		{[]string{"XDG_CONFIG_HOME=" + filepath.Join(w.home, "xdg")}, nil, filepath.Join(w.home, "xdg", "oauth2cred", "config.toml")},
		{nil, []string{"--config", "mine.toml"}, filepath.Join(w.home, "mine.toml")},
	} {
		r := w.runWith(cmdOpts{env: tc.env}, append([]string{"config", "path"}, tc.args...)...)
		if r.code != 0 || r.stdout != tc.want+"\n" || !strings.Contains(r.stderr, "does not exist yet") {
			t.Fatalf("config path %v %v: exit %d %q %q", tc.env, tc.args, r.code, r.stdout, r.stderr)
		}
	}
	editor := filepath.Join(w.home, "editor")
	os.WriteFile(editor, []byte("#!/bin/sh\ngrep -q 'oauth2cred help config' \"$1\" && printf '[services.demo]\\nclient_id = \"a\"\\nissuer = \"https://login.example.com\"\\n' >> \"$1\"\n"), 0o755)
	r := w.runWith(cmdOpts{env: []string{"VISUAL=", "EDITOR=" + editor}}, "config", "edit")
	if r.code != 0 || !strings.Contains(r.stderr, "created "+def) || !strings.Contains(r.stderr, "1 service(s): demo") {
		t.Fatalf("config edit: exit %d\n%s", r.code, r.stderr)
	}
	if r := w.run("config", "path"); !strings.Contains(r.stderr, "it exists") {
		t.Fatalf("config path after edit: %s", r.stderr)
	}
	os.WriteFile(editor, []byte("#!/bin/sh\necho 'client_id = native' >> \"$1\"\n"), 0o755)
	r = w.runWith(cmdOpts{env: []string{"EDITOR=" + editor}}, "config", "edit")
	if r.code != 2 || !strings.Contains(r.stderr, "line ") {
		t.Fatalf("config edit writing a broken file: exit %d\n%s", r.code, r.stderr)
	}
}

// status --format json: one object per saved token of two services and an
// account, a client-credentials token naming its client, never a token.
func TestStatusJSON(t *testing.T) {
	w := newWorld(t, 0)
	for _, args := range [][]string{w.service("one"), append(w.service("two"), "--account", op.Alice)} {
		if r := w.run(append([]string{"login", "--save"}, args...)...); r.code != 0 {
			t.Fatalf("login: %s", r.stderr)
		}
	}
	secret := filepath.Join(w.home, "secret")
	os.WriteFile(secret, []byte(op.ServiceKey), 0o600)
	if r := w.run("token", "--save", "--service", "ci", "--issuer", w.op.Issuer, "--flow", "client-credentials", "--client-id", op.ServiceID, "--client-secret-file", secret); r.code != 0 {
		t.Fatalf("client credentials: %s", r.stderr)
	}
	st, r := w.status()
	if len(st) != 3 || st["one/default"].Identity == "" || !st["one/default"].RefreshToken || st["two/"+op.Alice].Identity != op.Alice ||
		st["ci/default"].Client != op.ServiceID || st["ci/default"].Identity != "" || st["ci/default"].Grant != "client_credentials" {
		t.Fatalf("status --format json:\n%s", r.stdout)
	}
	for _, key := range []string{"one/default", "ci/default"} {
		tok := w.token(strings.TrimSuffix(key, "/default"))
		if strings.Contains(r.stdout, tok.AccessToken) || (tok.RefreshToken != "" && strings.Contains(r.stdout, tok.RefreshToken)) {
			t.Fatal("status printed a token")
		}
	}
	if table := w.run("status"); !strings.Contains(table.stdout, "client "+op.ServiceID) || strings.Contains(table.stdout, "unknown") {
		t.Fatalf("status table:\n%s", table.stdout)
	}
}
