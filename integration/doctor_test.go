package integration

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oauth2cred/integration/op"
)

// doctor finds each seeded mistake with its fix, and a healthy
// set-up is all ✓ (exit 0). Never a secret on its output.
func TestDoctor(t *testing.T) {
	w := newWorld(t, 0)
	gitconfig := filepath.Join(w.home, ".gitconfig")
	env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig}
	svc := []string{"--service", "doc", "--issuer", w.op.Issuer, "--client-id", op.NativeID, "--scope", "openid offline_access", "--host", "git.example.com"}
	doctor := func(extra []string, args ...string) result {
		r := w.runWith(cmdOpts{env: append(append([]string{}, env...), extra...)}, append([]string{"doctor"}, args...)...)
		w.recordStderr(r.stdout) // the secret scan covers doctor's report too
		return r
	}
	// Healthy: set up for git, signed in and saved.
	if r := w.runWith(cmdOpts{env: env}, append([]string{"setup", "git"}, svc...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := w.runWith(cmdOpts{env: env}, append([]string{"login", "--save"}, svc...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := doctor(nil, "--service", "doc")
	if r.code != 0 || strings.Contains(r.stdout, "✗") || strings.Count(r.stdout, "✓") < 8 {
		t.Fatalf("healthy: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	skewed := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		base := "http://" + r.Host
		rw.Header().Set("Date", time.Now().Add(-2*time.Hour).UTC().Format(http.TimeFormat))
		fmt.Fprintf(rw, `{"issuer":%q,"authorization_endpoint":"%s/auth","token_endpoint":"%s/token"}`, base, base, base)
	}))
	t.Cleanup(skewed.Close)
	file := filepath.Join(w.tokenDir, ".doc-token")
	for _, tc := range []struct {
		name    string
		seed    func()
		undo    func()
		args    []string
		env     []string
		want    string
		rootNow bool
	}{
		{"a storage helper first", func() { os.WriteFile(gitconfig, []byte("[credential]\n\thelper = store\n"), 0o644) }, func() {
			os.Remove(gitconfig)
			w.runWith(cmdOpts{env: env}, append([]string{"setup", "git"}, svc...)...)
		}, nil, nil, `✗ git helpers: "store", a storage helper, answers for https://git.example.com before oauth2cred and would hand back expired tokens; run 'oauth2cred setup git --service doc', which puts an empty helper line before oauth2cred's`, false},
		{"a token file others can read", func() { os.Chmod(file, 0o644) }, func() { os.Chmod(file, 0o600) }, nil, nil, "✗ token file: unsafe token file: " + file + " is readable by others (mode 0644); run 'chmod 600 " + file + "'", false},
		{"another owner", func() { os.Chown(file, 65534, 65534) }, func() { os.Chown(file, 0, 0) }, nil, nil, "✗ token file: unsafe token file: " + file + " belongs to another user (uid 65534); if it is yours, run 'chown 0 " + file + "'", true},
		{"an unreachable issuer", func() {}, func() {}, []string{"--issuer", "http://127.0.0.1:9"}, nil, "✗ server: request to discovery document http://127.0.0.1:9/.well-known/openid-configuration failed", false},
		{"a skewed clock", func() {}, func() {}, []string{"--issuer", skewed.URL}, nil, "✗ clock: this machine's clock is 2h0m", false},
		{"no keyring", func() {}, func() {}, []string{"--keyring"}, []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + w.home + "/no-bus"}, "✗ keyring: no OS keyring answered (no Secret Service on this session's D-Bus, or it is locked); start or unlock your desktop's keyring, or drop --keyring", false},
	} {
		if tc.rootNow && os.Geteuid() != 0 {
			continue // chown needs root; CI runs as root
		}
		tc.seed()
		r := doctor(tc.env, append(append([]string{}, svc...), tc.args...)...)
		tc.undo()
		if r.code != 1 || !strings.Contains(r.stdout, tc.want) || !strings.Contains(r.stderr, "doctor found") {
			t.Errorf("%s: exit %d, want the line %q\n%s%s", tc.name, r.code, tc.want, r.stdout, r.stderr)
		}
	}
}

// The README's migration line (helper = !oauth2cred git) is oauth2cred's
// own: setup git without --service does not add a second, and doctor counts
// it as ours. A person coming from git-credential-oauth keeps its
// documented cache helper before ours: doctor names it a storage helper
// and says what setup does about it.
func TestOwnHelperLinesRecognised(t *testing.T) {
	w := newWorld(t, 0)
	gitconfig := filepath.Join(w.home, ".gitconfig")
	env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig}
	cfg := filepath.Join(w.home, ".config", "oauth2cred", "config.toml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	os.WriteFile(cfg, []byte(fmt.Sprintf("[services.doc]\nissuer = %q\nclient_id = %q\nhosts = [\"git.example.com\"]\n", w.op.Issuer, op.NativeID)), 0o600)
	migrated := "[credential]\n\thelper = !oauth2cred git\n"
	os.WriteFile(gitconfig, []byte(migrated), 0o644)
	if r := w.runWith(cmdOpts{env: env}, "setup", "git"); r.code != 0 || mustRead(gitconfig) != migrated {
		t.Fatalf("setup git over the migration line: exit %d\n%s\n%s", r.code, r.stderr, mustRead(gitconfig))
	}
	r := w.runWith(cmdOpts{env: env}, "doctor", "--service", "doc")
	if !strings.Contains(r.stdout, "✓ git helpers: git asks oauth2cred") {
		t.Fatalf("doctor on the migration line:\n%s%s", r.stdout, r.stderr)
	}
	os.WriteFile(gitconfig, []byte("[credential]\n\thelper = cache --timeout 21600\n\thelper = oauth2cred\n"), 0o644)
	r = w.runWith(cmdOpts{env: env}, "doctor", "--service", "doc")
	if r.code == 0 || !strings.Contains(r.stdout, `✗ git helpers: "cache", a storage helper, answers for https://git.example.com before oauth2cred`) || !strings.Contains(r.stdout, "empty helper line") {
		t.Fatalf("doctor after git-credential-oauth's cache line:\n%s%s", r.stdout, r.stderr)
	}
}

// doctor reads git's helper lines for a URL as git does: a line scoped to a
// host wildcard or to the default port counts, one for another path or
// another user does not; real git is asked which match.
func TestDoctorMatchesHelperURLsAsGitDoes(t *testing.T) {
	w := newWorld(t, 0)
	gitconfig := filepath.Join(w.home, ".gitconfig")
	env := []string{"GIT_CONFIG_GLOBAL=" + gitconfig}
	svc := []string{"--service", "doc", "--issuer", w.op.Issuer, "--client-id", op.NativeID, "--host", "git.example.com"}
	for _, tc := range []struct{ config, want string }{
		{"[credential \"https://*.example.com\"]\n\thelper = oauth2cred --service doc\n", "✓ git helpers: git asks oauth2cred first for https://git.example.com"},
		{"[credential \"https://git.example.com:443\"]\n\thelper = oauth2cred --service doc\n", "✓ git helpers: git asks oauth2cred first for https://git.example.com"},
		{"[credential \"https://bob@git.example.com\"]\n\thelper = oauth2cred --service doc\n", "✗ git helpers: git asks no helper for https://git.example.com"},
		{"[credential \"https://git.example.com/other\"]\n\thelper = oauth2cred --service doc\n[credential]\n\thelper = store\n", `✗ git helpers: "store", a storage helper, answers for https://git.example.com`},
	} {
		os.WriteFile(gitconfig, []byte(tc.config), 0o644)
		r := w.runWith(cmdOpts{env: env}, append([]string{"doctor"}, svc...)...)
		if !strings.Contains(r.stdout, tc.want) {
			t.Errorf("with\n%s\nwant %q, got\n%s%s", tc.config, tc.want, r.stdout, r.stderr)
		}
	}
}
