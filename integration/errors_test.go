package integration

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"slices"

	"oauth2cred/integration/op"
	"oauth2cred/persist"
	"strings"
	"testing"
	"time"
)

// bad input gets exit 2 and one clear line.
func TestUsageErrors(t *testing.T) {
	w := newWorld(t, 0)
	badConfig := w.home + "/bad.toml"
	os.WriteFile(badConfig, []byte("[services.x]\nclient_id = \n"), 0o600)
	suggestConfig := w.home + "/suggest.toml"
	os.WriteFile(suggestConfig, []byte("[services.demo]\nclient_id = \"a\"\nissuer = \"https://login.example.com\"\n"), 0o600)
	unknownKey := w.home + "/unknown.toml"
	os.WriteFile(unknownKey, []byte("[services.x]\nclient_id = \"a\"\nauth_uri = \"https://x\"\n"), 0o600)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"traversal", []string{"token", "--service", "../x", "--client-id", "a", "--issuer", w.op.Issuer}, `service name "../x" is not allowed`},
		{"dotdot", []string{"token", "--service", "..", "--client-id", "a", "--issuer", w.op.Issuer}, "is not allowed"},
		{"unknown flag", []string{"token", "--frobnicate"}, "unknown flag --frobnicate; see 'oauth2cred token --help'"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"no client id", []string{"token", "--service", "x", "--issuer", w.op.Issuer}, "no client id"},
		{"plain http", []string{"token", "--service", "x", "--client-id", "a", "--auth-url", "http://example.com/a", "--token-url", "https://example.com/t"}, "uses plain http"},
		{"bad config", []string{"token", "--service", "x", "--config", badConfig}, "bad.toml, line 2"},
		{"unknown config key", []string{"token", "--service", "x", "--config", unknownKey}, `service "x": unknown key "auth_uri" (did you mean auth_url?); see 'oauth2cred help config' for the keys`},
		{"missing config", []string{"token", "--service", "x", "--config", w.home + "/nope.toml"}, "cannot read config file"},
		{"bad method", []string{"token", "--service", "x", "--client-id", "a", "--issuer", w.op.Issuer, "--method", "put"}, `--method "put"`},
		{"bad format", []string{"token", "--service", "x", "--client-id", "a", "--issuer", w.op.Issuer, "--format", "xml"}, `--format "xml"`},
		{"bad param", []string{"token", "--service", "x", "--client-id", "a", "--issuer", w.op.Issuer, "--param", "novalue"}, "not key=value"},
		{"save and no-save", []string{"token", "--service", "x", "--save", "--no-save"}, "contradict"},
		{"git op", []string{"git", "--service", "x", "fetch"}, `unknown git operation "fetch"`},
		// the exact first line of each message a person meets.
		{"stray format", []string{"token", "--service", "x", "json"}, `oauth2cred: unexpected argument "json" (did you mean --format json?); see 'oauth2cred token --help'`},
		{"stray service", []string{"status", "t2"}, `oauth2cred: unexpected argument "t2" (did you mean --service t2?); see 'oauth2cred status --help'`},
		{"stray service at login", []string{"login", "t2"}, `oauth2cred: unexpected argument "t2" (did you mean --service t2?); see 'oauth2cred login --help'`},
		{"flags before the command", []string{"--service", "x", "token"}, `oauth2cred: flags go after the command: oauth2cred token --service x; see 'oauth2cred token --help'`},
		{"duration", []string{"token", "--service", "x", "--timeout", "5"}, `oauth2cred: --timeout takes a duration such as 30s or 2m, not "5"; see 'oauth2cred token --help'`},
		{"login duration", []string{"login", "--service", "x", "--login-timeout", "soon"}, `oauth2cred: --login-timeout takes a duration such as 30s or 5m, not "soon"; see 'oauth2cred login --help'`},
		{"completion shell", []string{"completion", "tcsh"}, `oauth2cred: completion for "tcsh" is not available; choose bash, zsh or fish`},
		// Suggestions: a mistyped command, flag or service name.
		{"mistyped command", []string{"tokne"}, `oauth2cred: unknown command "tokne" (did you mean token?); see 'oauth2cred --help'`},
		{"mistyped flag", []string{"token", "--servce", "demo"}, `oauth2cred: unknown flag --servce (did you mean --service?); see 'oauth2cred token --help'`},
		{"mistyped service", []string{"token", "--service", "dmeo", "--config", suggestConfig}, `oauth2cred: no service "dmeo" in the config file or among the saved tokens (did you mean demo?)`},
		{"service in another case", []string{"token", "--service", "Demo", "--config", suggestConfig}, `(did you mean demo?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.run(tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "oauth2cred: ") {
				t.Fatalf("stderr is not one line with %q:\n%s", tc.want, r.stderr)
			}
			if r.stdout != "" {
				t.Fatalf("stdout: %q", r.stdout)
			}
		})
	}
}

// server failures exit 1 (or 3) with one line, and the saved
// file is untouched.
func TestServerErrorsLeaveFileUntouched(t *testing.T) {
	w := newWorld(t, 0)
	w.addSecret("legacy-secret-xyz")
	l := newLegacy(t, w)
	if r := w.run(append([]string{"token", "--save"}, l.args("s", "--refresh-url", l.URL+"/token")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	w.age("s")
	saved := w.fileBytes("s")
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		code    int
		want    string
		extra   []string
	}{
		{"invalid_client", func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(401)
			rw.Write([]byte(`{"error":"invalid_client","error_description":"bad secret"}`))
		}, 1, "invalid_client (bad secret); check --client-id and --client-secret", nil},
		{"invalid_grant non-interactive", func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.WriteHeader(400)
			rw.Write([]byte(`{"error":"invalid_grant"}`))
		}, 3, "oauth2cred login --service s", []string{"--non-interactive"}},
		{"html error page", func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/html")
			rw.WriteHeader(502)
			rw.Write([]byte("<html><body>Bad gateway <b>nginx</b></body></html>"))
		}, 1, "502 Bad Gateway with an HTML page", nil},
		{"html with 200", func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "text/html")
			rw.Write([]byte("<!doctype html><title>login</title>"))
		}, 1, "not a JSON token response", nil},
		{"wrong token type", func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rw.Write([]byte(`{"access_token":"mac-token-abcdefgh","token_type":"mac","expires_in":60}`))
		}, 1, `type "mac"`, nil},
		{"timeout", func(rw http.ResponseWriter, r *http.Request) {
			time.Sleep(3 * time.Second)
		}, 1, "did not answer in time", []string{"--timeout", "1s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l.token = tc.handler
			start := time.Now()
			r := w.run(append(append([]string{"token"}, tc.extra...), l.args("s", "--refresh-url", l.URL+"/token")...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("exit %d (want %d), stderr:\n%s", r.code, tc.code, r.stderr)
			}
			if r.stdout != "" {
				t.Fatalf("stdout: %q", r.stdout)
			}
			if !bytes.Equal(w.fileBytes("s"), saved) {
				t.Fatalf("the saved token file changed")
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
		})
	}
}

// A token file readable by others is refused with the chmod fix.
func TestLooseFileRefused(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"token", "--save"}, w.service("loose")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	os.Chmod(w.tokenDir+"/.loose-token", 0o644)
	r := w.run(append([]string{"token"}, w.service("loose")...)...)
	if r.code != 1 || !strings.Contains(r.stderr, "chmod 600 "+w.tokenDir+"/.loose-token") || r.stdout != "" {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// --version and -v (urfave/cli's own), completion scripts that
// work in bash, the config help topic, help without meaningless defaults,
// and no lock file for a call that fails before any store is touched.
func TestNewcomerCommands(t *testing.T) {
	w := newWorld(t, 0)
	for _, args := range [][]string{{"--version"}, {"-v"}, {"version"}} {
		if r := w.run(args...); r.code != 0 || !strings.HasPrefix(r.stdout, "oauth2cred ") || r.stderr != "" {
			t.Fatalf("%v: exit %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
	// Every entry point answers --version (the docker helper also its
	// protocol's "version"): version, Go, platform; a checkout build says so.
	for _, call := range [][]string{{"git-credential-oauth2cred", "--version"}, {"docker-credential-oauth2cred", "--version"}, {"docker-credential-oauth2cred", "version"}, {"oauth2cred", "--version"}} {
		r := w.exec(cmdOpts{}, filepath.Join(bin.dir, call[0]), call[1:]...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, call[0]+" (built from a checkout, not a release)\n") || !strings.Contains(r.stdout, "\nplatform: linux/") || !strings.Contains(r.stdout, "\ngo:       go1.") {
			t.Fatalf("%v: exit %d %q %q", call, r.code, r.stdout, r.stderr)
		}
	}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		if r := w.run("completion", shell); r.code != 0 || !strings.Contains(r.stdout, "oauth2cred") {
			t.Fatalf("completion %s: exit %d\n%s", shell, r.code, r.stderr)
		}
	}
	// bash really completes with it.
	r := w.bash(t, nil, `source <(oauth2cred completion bash); COMP_WORDS=(oauth2cred tok); COMP_CWORD=1; _oauth2cred_complete; echo "${COMPREPLY[@]}"; COMP_WORDS=(oauth2cred token --form); COMP_CWORD=2; _oauth2cred_complete; echo "${COMPREPLY[@]}"`)
	if r.code != 0 || r.stdout != "token\n--format\n" {
		t.Fatalf("bash completion: %q\n%s", r.stdout, r.stderr)
	}
	// Values: the services of the config file and the token directory,
	// the accounts saved for a service, the words of enumerated flags.
	cfg := filepath.Join(w.home, ".config", "oauth2cred")
	os.MkdirAll(cfg, 0o700)
	os.WriteFile(filepath.Join(cfg, "config.toml"), []byte("[services.work-gitlab]\nclient_id = \"a\"\nissuer = \"https://login.example.com\"\n[services.api]\nclient_id = \"b\"\nissuer = \"https://login.example.com\"\n"), 0o600)
	compTokens := filepath.Join(w.home, "completion-tokens")
	saved := persist.Dir{Path: compTokens}
	for _, key := range []string{"saved-only", "api@alice", "api@bob"} {
		if err := saved.Save(key, &persist.Token{AccessToken: "x", TokenType: "Bearer"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ words, want string }{
		{"oauth2cred token --service ''", "api saved-only work-gitlab"},
		{"oauth2cred token --service api --account ''", "alice bob"},
		{"oauth2cred token --format ''", "token header json env"},
		{"oauth2cred status --format ''", "table json"},
		{"oauth2cred login --flow d", "device"},
		{"oauth2cred login --client-auth ''", "basic post"},
		{"oauth2cred setup git --preset gi", "github gitlab gitea"},
	} {
		r := w.bash(t, []string{"OAUTH2CRED_TOKEN_DIR=" + compTokens}, `source <(oauth2cred completion bash); COMP_WORDS=(`+tc.words+`); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _oauth2cred_complete; echo "${COMPREPLY[@]}"`)
		if got := strings.Fields(r.stdout); r.code != 0 || !sameWords(got, strings.Fields(tc.want)) {
			t.Errorf("bash completion of %s: %q, want %q\n%s", tc.words, r.stdout, tc.want, r.stderr)
		}
	}
	if r := w.run("completion", "fish"); !strings.Contains(r.stdout, "complete -c oauth2cred -l service -x -a") {
		t.Errorf("fish completion does not complete --service's values:\n%s", r.stdout)
	}
	r = w.run("help", "config")
	if r.code != 0 || !strings.Contains(r.stdout, "client_id") || !strings.Contains(r.stdout, "redirect_url") {
		t.Fatalf("help config: exit %d\n%s", r.code, r.stdout)
	}
	for _, args := range [][]string{{"token", "--help"}, {"git", "get", "--help"}, {"--help"}} {
		r := w.run(args...)
		if r.code != 0 || strings.Contains(r.stdout, "(default: false)") || strings.Contains(r.stdout, "(default: 0s)") || strings.Contains(r.stdout, "VERSION") {
			t.Fatalf("%v help:\n%s", args, r.stdout)
		}
	}
	if r := w.run("git", "get", "--help"); !strings.Contains(r.stdout, "git asks for a credential") {
		t.Fatalf("git get --help has no description:\n%s", r.stdout)
	}
	if r := w.run("--help"); !strings.Contains(r.stdout, "Flags every command takes") {
		t.Fatalf("top-level help does not list the common flags:\n%s", r.stdout)
	}
	// A bad issuer fails before any store is touched: no lock file.
	r = w.run("token", "--service", "nolock", "--client-id", "c", "--issuer", "http://127.0.0.1:9", "--non-interactive", "--flow", "client-credentials", "--client-secret", "s3cret-for-nolock")
	w.addSecret("s3cret-for-nolock")
	entries, _ := os.ReadDir(w.tokenDir)
	if r.code != 1 || len(entries) != 0 {
		t.Fatalf("exit %d, token dir holds %d entries\n%s", r.code, len(entries), r.stderr)
	}
}

// After a changed setting (--scope openid where the saved token has other
// scopes) the hint names the changed flag, and running it as shown signs
// in with the settings asked for: the next call with them succeeds.
func TestHintCarriesChangedSettings(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"login", "--save"}, w.service("demo")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	call := []string{"token", "--service", "demo", "--scope", "openid"}
	r := w.runWith(cmdOpts{env: []string{"BROWSER=", "DISPLAY="}}, call...)
	_, hint, _ := strings.Cut(r.stderr, "run '")
	hint, _, _ = strings.Cut(hint, "'")
	if r.code != 3 || !strings.Contains(hint, "--scope openid") {
		t.Fatalf("changed scope: exit %d, hint %q\n%s", r.code, hint, r.stderr)
	}
	if r := w.bash(t, nil, hint+" --save"); r.code != 0 {
		t.Fatalf("the hint as shown: exit %d\n%s", r.code, r.stderr)
	}
	if r := w.runWith(cmdOpts{env: []string{"BROWSER=", "DISPLAY="}}, call...); r.code != 0 {
		t.Fatalf("after the hint's sign-in: exit %d\n%s", r.code, r.stderr)
	}
}

// Small things that said or left the wrong thing (issue of the new
// user's trial): each as a person meets it.
func TestSmallMistakesSaidRight(t *testing.T) {
	w := newWorld(t, 70*time.Second)
	// Client credentials with neither secret nor key: a configuration
	// error (2), before any request.
	r := w.run("token", "--service", "ci", "--issuer", w.op.Issuer, "--flow", "client-credentials", "--client-id", op.ServiceID, "--non-interactive")
	if r.code != 2 || !strings.Contains(r.stderr, "needs client authentication") {
		t.Errorf("client credentials without a secret: exit %d\n%s", r.code, r.stderr)
	}
	// GIT_TERMINAL_PROMPT=0 at a real terminal, no browser: the message
	// says what forbids the terminal, not that there is none.
	cmd, ptmx, stdout, stderr, _ := w.onTerminal(t, []string{"GIT_TERMINAL_PROMPT=0", "BROWSER=", "DISPLAY="}, append([]string{"git", "get"}, w.service("gtp", "--host", "git.example.com")...)...)
	ptmx.Write([]byte("protocol=https\nhost=git.example.com\n\n"))
	err := cmd.Wait()
	if err == nil || !strings.Contains(stderr.String(), "GIT_TERMINAL_PROMPT=0 forbids asking on the terminal") || stdout.Len() != 0 {
		t.Errorf("GIT_TERMINAL_PROMPT=0 at a terminal: %v\n%s", err, stderr)
	}
	// A refresh token the server refused: status says so, not "yes".
	if r := w.run(append([]string{"login", "--save"}, w.service("dead")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	if err := w.op.RefreshElsewhere(t.Context(), w.token("dead").RefreshToken); err != nil {
		t.Fatal(err)
	}
	w.age("dead")
	if r := w.runWith(cmdOpts{env: []string{"BROWSER=", "DISPLAY="}}, append([]string{"token"}, w.service("dead")...)...); r.code != 3 {
		t.Fatalf("refused refresh without a person: exit %d\n%s", r.code, r.stderr)
	}
	if r := w.run("status"); !strings.Contains(r.stdout, "refused by the server") {
		t.Errorf("status after a refused refresh:\n%s", r.stdout)
	}
	if st, r := w.status(); st["dead/default"].RefreshRefused == nil || !st["dead/default"].RefreshToken {
		t.Errorf("status --format json after a refused refresh:\n%s", r.stdout)
	}
	// logout leaves nothing of the service behind, lock files included.
	if r := w.run(append([]string{"logout"}, w.service("dead")...)...); r.code != 0 {
		t.Fatalf("logout: %s", r.stderr)
	}
	left, _ := filepath.Glob(filepath.Join(w.tokenDir, ".dead-token*"))
	if len(left) != 0 {
		t.Errorf("after logout: %v", left)
	}
}

func sameWords(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
