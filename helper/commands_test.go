package helper

// The commands, in process, over the real provider and real git (for
// setup): what each prints on stdout for its consumer.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oauth2cred/helper/internal/testworld"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
	"oauth2cred/integration/op"
	"oauth2cred/internal/testdir"
	"oauth2cred/persist"
)

// git runs one git helper operation with git's request lines.
func gitOp(w *testworld.World, set *lifecycle.Settings, op, request string) (string, error) {
	var out bytes.Buffer
	err := Git(context.Background(), set, op, strings.NewReader(request), &out)
	return out.String(), err
}

// git's get, erase and get again: the token, then a refresh after git
// rejected it; another host gets nothing so git asks the next helper.
func TestGitCommand(t *testing.T) {
	w := testworld.New(t)
	req := "protocol=http\nhost=" + w.Host() + "\n\n"
	out, err := gitOp(w, w.Settings(), "get", req)
	if err != nil || !strings.Contains(out, "username=oauth2\n") || !strings.Contains(out, "password=") {
		t.Fatalf("get: %v\n%s", err, out)
	}
	first := w.Saved("s").AccessToken
	if !strings.Contains(out, "password="+first+"\n") || !strings.Contains(out, "password_expiry_utc=") {
		t.Fatalf("get answered %q", out)
	}
	if _, err := gitOp(w, w.Settings(), "erase", req[:len(req)-1]+"password="+first+"\n\n"); err != nil {
		t.Fatal(err)
	}
	if w.Saved("s").AccessToken != "" {
		t.Fatal("erase kept the rejected access token")
	}
	out, err = gitOp(w, w.Settings(func(s *lifecycle.Settings) { s.NonInteractive = true }), "get", req)
	if err != nil || strings.Contains(out, "password="+first) || w.OP.Count("/oauth/token refresh_token") != 1 {
		t.Fatalf("get after erase: %v\n%s", err, out)
	}
	if _, err := gitOp(w, w.Settings(), "store", req); err != nil {
		t.Fatalf("store: %v", err)
	}
	out, err = gitOp(w, w.Settings(), "get", "protocol=https\nhost=other.example.com\n\n")
	if err != nil || out != "" {
		t.Fatalf("another host: %v %q", err, out)
	}
	if _, err := gitOp(w, w.Settings(), "fetch", req); !errors.As(err, new(*UsageError)) {
		t.Fatalf("unknown operation: %v", err)
	}
}

// kubectl's exec plugin: an ExecCredential of the apiVersion asked for,
// and exit 3 without a person when kubectl says nobody is there.
func TestKubectlCommand(t *testing.T) {
	w := testworld.New(t)
	for _, api := range []string{"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"} {
		var out bytes.Buffer
		info := `{"kind":"ExecCredential","apiVersion":"` + api + `","spec":{"interactive":true}}`
		if err := Kubectl(context.Background(), w.Settings(), info, &out); err != nil {
			t.Fatal(err)
		}
		var cred struct {
			APIVersion string `json:"apiVersion"`
			Status     struct {
				Token               string    `json:"token"`
				ExpirationTimestamp time.Time `json:"expirationTimestamp"`
			} `json:"status"`
		}
		if err := json.Unmarshal(out.Bytes(), &cred); err != nil || cred.APIVersion != api || cred.Status.Token == "" || cred.Status.ExpirationTimestamp.IsZero() {
			t.Fatalf("%s: %v\n%s", api, err, out.String())
		}
	}
	var out bytes.Buffer
	info := `{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`
	err := Kubectl(context.Background(), w.Settings(func(s *lifecycle.Settings) { s.Service = "fresh" }), info, &out)
	if !errors.As(err, new(*lifecycle.NoPersonError)) || out.Len() != 0 {
		t.Fatalf("non-interactive without a token: %v %q", err, out.String())
	}
	if err := Kubectl(context.Background(), w.Settings(), "not json", &out); !errors.As(err, new(*UsageError)) {
		t.Fatalf("bad KUBERNETES_EXEC_INFO: %v", err)
	}
}

// The token command's formats.
func TestTokenFormats(t *testing.T) {
	w := testworld.New(t)
	w.SignIn()
	at := w.Saved("s").AccessToken
	for format, want := range map[string]string{
		"token":  at + "\n",
		"header": "Authorization: Bearer " + at + "\n",
		"json":   `"access_token":"` + at + `"`,
		"env":    "OAUTH2CRED_ACCESS_TOKEN=",
	} {
		var out bytes.Buffer
		if err := Token(context.Background(), w.Settings(), format, &out); err != nil || !strings.Contains(out.String(), want) {
			t.Fatalf("--format %s: %v\n%s", format, err, out.String())
		}
	}
	if err := Token(context.Background(), w.Settings(), "yaml", &bytes.Buffer{}); !errors.As(err, new(*UsageError)) {
		t.Fatalf("--format yaml: %v", err)
	}
	set := w.Settings(func(s *lifecycle.Settings) { s.Flags.TokenType = "id_token" })
	var out bytes.Buffer
	if err := Token(context.Background(), set, "token", &out); err != nil || strings.Count(strings.TrimSpace(out.String()), ".") != 2 {
		t.Fatalf("--token-type id_token: %v %q", err, out.String())
	}
}

// login signs in again; status lists the service without a token;
// logout revokes at the provider and deletes the file.
func TestLoginStatusLogout(t *testing.T) {
	w := testworld.New(t)
	first := w.SignIn()
	if err := Login(context.Background(), w.Settings()); err != nil {
		t.Fatal(err)
	}
	second := w.Saved("s")
	if second.AccessToken == first.AccessToken {
		t.Fatal("login kept the old token")
	}
	var out bytes.Buffer
	if err := Status(w.Settings(), "table", &out); err != nil || !strings.Contains(out.String(), "\ns  ") || strings.Contains(out.String(), second.AccessToken) {
		t.Fatalf("status: %v\n%s", err, out.String())
	}
	if err := Logout(context.Background(), w.Settings()); err != nil {
		t.Fatal(err)
	}
	if w.OP.Count("/revoke") != 1 || w.OP.Valid(context.Background(), second.AccessToken) {
		t.Fatal("logout did not revoke")
	}
	if _, err := (persist.Dir{Path: w.Dir}).Load("s"); err == nil {
		t.Fatal("logout kept the file")
	}
	if err := Logout(context.Background(), w.Settings()); err != nil || !strings.Contains(w.Stderr(), "No saved token") {
		t.Fatalf("second logout: %v", err)
	}
}

// Accounts: each has its own file, chosen by --account or git's username=.
func TestAccountsInProcess(t *testing.T) {
	w := testworld.New(t)
	asAlice := func(s *lifecycle.Settings) {
		s.Account = "alice"
		s.Browser = func(u string) error { go playAs(u, "alice"); return nil }
	}
	w.SignIn(asAlice)
	if _, err := (persist.Dir{Path: w.Dir}).Load("s@alice"); err != nil {
		t.Fatalf("alice's file: %v", err)
	}
	out, err := gitOp(w, w.Settings(func(s *lifecycle.Settings) { s.NonInteractive = true }), "get", "protocol=http\nhost="+w.Host()+"\nusername=alice\n\n")
	if err != nil || !strings.Contains(out, "username=alice\n") {
		t.Fatalf("git get as alice: %v\n%s", err, out)
	}
	if err := Logout(context.Background(), w.Settings(func(s *lifecycle.Settings) { s.AllAccounts = true })); err != nil {
		t.Fatal(err)
	}
}

// setup git writes the helper lines into git's global configuration and
// unsetup removes them; doctor then finds git asking oauth2cred first.
func TestSetupAndDoctorInProcess(t *testing.T) {
	skipWithoutLinuxGit(t)
	w := testworld.New(t)
	home := testdir.New(t)
	gitconfig := filepath.Join(home, ".gitconfig")
	os.WriteFile(gitconfig, nil, 0o644)
	t.Setenv("GIT_CONFIG_GLOBAL", gitconfig)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	cfg := filepath.Join(home, "config.toml")
	os.WriteFile(cfg, nil, 0o600)
	set := func(edit ...func(*lifecycle.Settings)) *lifecycle.Settings {
		return w.Settings(append([]func(*lifecycle.Settings){func(s *lifecycle.Settings) { s.ConfigPath = cfg }}, edit...)...)
	}
	var dry bytes.Buffer
	if err := SetupGit(set(), GitSetup{Scope: "--global", DryRun: true}, &dry); err != nil || !strings.Contains(dry.String(), "credential.http://"+w.Host()+".helper") {
		t.Fatalf("dry run: %v\n%s", err, dry.String())
	}
	if err := SetupGit(set(), GitSetup{Scope: "--global"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("git", "config", "--get-urlmatch", "credential.helper", "http://"+w.Host()+"/r.git").Output()
	if !strings.Contains(string(out), "git --service s") {
		t.Fatalf("git asks %q", out)
	}
	w.SignIn(func(s *lifecycle.Settings) { s.ConfigPath = cfg })
	var report bytes.Buffer
	Doctor(context.Background(), set(func(s *lifecycle.Settings) { s.Service = "s"; s.Flags = service.Definition{} }), &report)
	for _, want := range []string{"✓ config file", "✓ git helpers", "✓ token file"} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("doctor lacks %q:\n%s", want, report.String())
		}
	}
	if err := UnsetupGit(set(), GitSetup{Scope: "--global"}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(gitconfig); strings.TrimSpace(string(b)) != "" {
		t.Fatalf("after unsetup:\n%s", b)
	}
	var kube bytes.Buffer
	if err := KubeconfigUser(set(), &kube, []string{"--service", "s"}); err != nil || !strings.Contains(kube.String(), "interactiveMode: IfAvailable") {
		t.Fatalf("setup kubectl: %v\n%s", err, kube.String())
	}
}

// playAs signs in at the provider's page as user.
func playAs(authURL, user string) { op.PlayBrowser(authURL, user, op.Password) }

// token --format json hands out the ID token only while it is valid: one
// that expired an hour ago, beside a valid access token, is left out
// (SPEC §3: an expired token, access or ID, is never handed out).
func TestTokenJSONLeavesOutAnExpiredIDToken(t *testing.T) {
	w := testworld.New(t)
	w.SignIn()
	key := w.Settings().Service
	d := persist.Dir{Path: w.Dir}
	tok := w.Saved(key)
	if tok.IDToken == "" {
		t.Fatal("the provider issued no ID token")
	}
	jwt := func(exp time.Time) string {
		payload, _ := json.Marshal(map[string]any{"sub": "id1", "exp": exp.Unix()})
		return "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
	}
	for _, tc := range []struct {
		exp  time.Time
		want bool
	}{{time.Now().Add(-time.Hour), false}, {time.Now().Add(time.Hour), true}} {
		tok.IDToken = jwt(tc.exp)
		if err := d.Save(key, tok); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := Token(context.Background(), w.Settings(), "json", &out); err != nil {
			t.Fatal(err)
		}
		var got struct {
			IDToken string `json:"id_token"`
		}
		json.Unmarshal(out.Bytes(), &got)
		if (got.IDToken == tok.IDToken) != tc.want {
			t.Errorf("ID token expiring %v: handed out %v, want %v", tc.exp, got.IDToken != "", tc.want)
		}
	}
}

// git's erase drops only the rejected access token: the service's lock
// file and an abandoned sign-in's cool-down stay (only logout clears them).
func TestEraseKeepsLockAndCooldown(t *testing.T) {
	w := testworld.New(t)
	tok := w.SignIn()
	d := persist.Dir{Path: w.Dir}
	key := w.Settings().Service
	if err := d.MarkAbandoned(key); err != nil {
		t.Fatal(err)
	}
	req := "protocol=http\nhost=" + w.Host() + "\nusername=oauth2\npassword=" + tok.AccessToken + "\n\n"
	if _, err := gitOp(w, w.Settings(), "erase", req); err != nil {
		t.Fatal(err)
	}
	if w.Saved(key).AccessToken != "" {
		t.Fatal("erase kept the rejected access token")
	}
	if _, err := os.Stat(d.File(key) + ".lock"); err != nil {
		t.Errorf("erase removed the lock file: %v", err)
	}
	if at, _ := d.Abandoned(key); at.IsZero() {
		t.Error("erase cleared the cool-down of an abandoned sign-in")
	}
}
