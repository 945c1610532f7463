package helper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oauth2cred/helper/internal/testworld"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/integration/op"
	"oauth2cred/internal/testdir"
)

func dockerOp(set *lifecycle.Settings, op, stdin string) (string, error) {
	var out bytes.Buffer
	err := Docker(context.Background(), set, op, strings.NewReader(stdin), &out)
	return out.String(), err
}

// The docker credential-helper protocol in process: get, erase, list,
// version, store, and the answers for another registry and for mistakes.
func TestDockerInProcess(t *testing.T) {
	w := testworld.New(t)
	w.SignIn()
	set := func() *lifecycle.Settings {
		return w.Settings(func(s *lifecycle.Settings) { s.Flags.RegistryUsername = "oauth2accesstoken" })
	}
	out, err := dockerOp(set(), "get", w.Host()+"\n")
	var cred struct{ ServerURL, Username, Secret string }
	if err != nil || json.Unmarshal([]byte(out), &cred) != nil || cred.Secret != w.Saved("s").AccessToken || cred.Username != "oauth2accesstoken" || cred.ServerURL != w.Host() {
		t.Fatalf("get: %v %q", err, out)
	}
	if out, err := dockerOp(set(), "get", "other.example.com"); !errors.Is(err, errNoRegistryService) || strings.TrimSpace(out) != "credentials not found in native keychain" {
		t.Fatalf("another registry: %v %q", err, out)
	}
	if _, err := dockerOp(set(), "erase", "http://"+w.Host()+"/v2/"); err != nil || w.Saved("s").AccessToken != "" {
		t.Fatalf("erase: %v", err)
	}
	if out, err := dockerOp(set(), "list", ""); err != nil || !strings.Contains(out, `"`+w.Host()+`":"oauth2accesstoken"`) {
		t.Fatalf("list: %v %q", err, out)
	}
	if out, err := dockerOp(set(), "version", ""); err != nil || !strings.HasPrefix(out, "docker-credential-oauth2cred") {
		t.Fatalf("version: %v %q", err, out)
	}
	if _, err := dockerOp(set(), "store", `{"ServerURL":"x","Username":"u","Secret":"s"}`); err != nil {
		t.Fatalf("store: %v", err)
	}
	for _, tc := range []struct{ op, stdin string }{{"get", ""}, {"fly", "x"}, {"", "x"}, {"get", "https://u:p@r.example.com"}} {
		if out, err := dockerOp(set(), tc.op, tc.stdin); !errors.As(err, new(*UsageError)) || out == "" {
			t.Errorf("%q %q: %v %q (a failure is answered on stdout too)", tc.op, tc.stdin, err, out)
		}
	}
}

// setup docker and unsetup docker in process, with $DOCKER_CONFIG.
func TestSetupDockerInProcess(t *testing.T) {
	w := testworld.New(t)
	dir := testdir.New(t)
	cfg := filepath.Join(dir, "config.json")
	os.WriteFile(cfg, []byte("{\n\t\"credsStore\": \"desktop\"\n}\n"), 0o600)
	set := func() *lifecycle.Settings {
		return w.Settings(func(s *lifecycle.Settings) {
			s.Getenv = func(k string) string {
				if k == "DOCKER_CONFIG" {
					return dir
				}
				return ""
			}
		})
	}
	var dry bytes.Buffer
	if err := SetupDocker(set(), true, &dry, true); err != nil || !strings.Contains(dry.String(), `"`+w.Host()+`": "oauth2cred"`) {
		t.Fatalf("dry run: %v\n%s", err, dry.String())
	}
	if err := SetupDocker(set(), false, &bytes.Buffer{}, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cfg); !strings.Contains(string(b), "\"credHelpers\": {\n\t\t\""+w.Host()+"\": \"oauth2cred\"") || !strings.Contains(string(b), "credsStore") {
		t.Fatalf("after setup:\n%s", b)
	}
	if err := SetupDocker(set(), false, &bytes.Buffer{}, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cfg); string(b) != "{\n\t\"credsStore\": \"desktop\"\n}\n" {
		t.Fatalf("after unsetup:\n%q", b)
	}
	os.WriteFile(cfg, []byte("[not an object"), 0o600)
	if err := SetupDocker(set(), false, &bytes.Buffer{}, true); !errors.As(err, new(*UsageError)) {
		t.Fatalf("a broken config.json: %v", err)
	}
}

// setup kubectl --from-kubelogin in process: flags carried over or warned
// about, the secret nowhere, the rest of the file as it was.
func TestFromKubeloginInProcess(t *testing.T) {
	w := testworld.New(t)
	home := testdir.New(t)
	cfgFile := filepath.Join(home, "config.toml")
	os.WriteFile(cfgFile, nil, 0o600)
	kc := filepath.Join(home, "kubeconfig")
	original := "apiVersion: v1\nusers:\n- name: oidc\n  user:\n    exec:\n      command: kubelogin\n      args:\n      - get-token\n" +
		"      - --oidc-issuer-url=" + w.OP.Issuer + "\n      - --oidc-client-id=" + op.KubeloginID + "\n      - --oidc-client-secret=kl-secret-4242\n" +
		"      - --oidc-use-access-token\n      - --grant-type=device-code\n      - --listen-address=127.0.0.1:9000\n      - --force-keyring\n" +
		"      - --insecure-skip-tls-verify\n      - --username=u\n      - --browser-command=firefox\n      - stray\n- name: other\n  user:\n    token: t\n"
	os.WriteFile(kc, []byte(original), 0o600)
	set := w.Settings(func(s *lifecycle.Settings) { s.ConfigPath = cfgFile })
	var dry bytes.Buffer
	if err := FromKubelogin(set, kc, true, &dry); err != nil || strings.Contains(dry.String(), "kl-secret-4242") || !strings.Contains(dry.String(), "[redacted]") {
		t.Fatalf("dry run: %v\n%s", err, dry.String())
	}
	if err := FromKubelogin(w.Settings(func(s *lifecycle.Settings) { s.ConfigPath = cfgFile }), kc, false, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(kc)
	cfg, _ := os.ReadFile(cfgFile)
	stderr := w.Stderr()
	for _, want := range []string{"--username (the password grant)", "--browser-command is not carried over", "arguments [\"stray\"]", "client secret is not carried over"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("no warning %q:\n%s", want, stderr)
		}
	}
	for _, want := range []string{`token_type = "access_token"`, `flow = "device"`, `redirect_url = ["http://localhost:9000"]`, "keyring = true", "insecure = true"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config lacks %s:\n%s", want, cfg)
		}
	}
	if !strings.HasSuffix(string(got), "- name: other\n  user:\n    token: t\n") || strings.Contains(string(cfg)+string(got), "kl-secret-4242") {
		t.Fatalf("converted:\n%s\n%s", got, cfg)
	}
	if err := FromKubelogin(set, filepath.Join(home, "missing"), false, &bytes.Buffer{}); !errors.As(err, new(*UsageError)) {
		t.Fatalf("a missing kubeconfig: %v", err)
	}
}
