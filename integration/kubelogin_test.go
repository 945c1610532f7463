package integration

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"oauth2cred/integration/op"
	"oauth2cred/persist"
)

// a kubeconfig with a kubelogin user and a static-token user,
// converted by setup kubectl --from-kubelogin; then real kubectl against
// the API stub with the token the provider issued. The client is
// registered with kubelogin's default redirect URIs exactly, which the
// conversion carries over; its secret never reaches a file or the diff.
func TestFromKubelogin(t *testing.T) {
	w := newWorld(t, 0)
	name := "kube-" + strings.ReplaceAll(strings.TrimPrefix(w.op.Issuer, "http://"), ":", "_") + "-" + op.KubeloginID
	api := newAPIStub(t, w.home, func(tok string) bool {
		saved, err := persist.Dir{Path: w.tokenDir, Shared: true}.Load(name)
		return err == nil && tok == saved.IDToken
	})
	const secret = "kubelogin-secret-999"
	w.addSecret(secret)
	head := fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: stub\n  cluster:\n    server: %s\n    certificate-authority-data: %s\nusers:\n- name: static\n  user:\n    token: static-token-123\n- name: oidc\n  user:\n",
		api.URL, base64.StdEncoding.EncodeToString([]byte(mustRead(api.caFile))))
	execBlock := "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubectl\n      args:\n      - oidc-login\n      - get-token\n" +
		"      - --oidc-issuer-url=" + w.op.Issuer + "\n      - --oidc-client-id=" + op.KubeloginID + "\n      - --oidc-client-secret=" + secret + "\n" +
		"      - --oidc-extra-scope=offline_access\n      - --oidc-auth-request-extra-params=prompt=consent\n      - --token-cache-dir=~/.kube/cache/oidc-login\n"
	tail := "contexts:\n- name: stub\n  context: {cluster: stub, user: oidc}\n- name: static\n  context: {cluster: stub, user: static}\ncurrent-context: stub\n"
	kubeconfig := filepath.Join(w.home, "kubeconfig")
	original := head + execBlock + tail
	os.WriteFile(kubeconfig, []byte(original), 0o640)

	dry := w.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", kubeconfig, "--dry-run")
	if dry.code != 0 || !strings.Contains(dry.stdout, "--oidc-client-secret=[redacted]") || strings.Contains(dry.stdout+dry.stderr, secret) || mustRead(kubeconfig) != original {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	r := w.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", kubeconfig)
	if r.code != 0 || !strings.Contains(r.stderr, "client secret is not carried over") || !strings.Contains(r.stderr, "--token-cache-dir is not carried over") {
		t.Fatalf("convert: exit %d\n%s", r.code, r.stderr)
	}
	got := mustRead(kubeconfig)
	if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, tail) || !strings.Contains(got, "- --service\n      - "+name+"\n") || strings.Contains(got, "oidc-login") {
		t.Fatalf("converted kubeconfig:\n%s", got)
	}
	if bak, _ := os.ReadFile(kubeconfig + ".bak"); string(bak) != original {
		t.Fatal("the original was not kept as .bak")
	}
	for _, f := range []string{kubeconfig, kubeconfig + ".bak"} {
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o640 {
			t.Fatalf("%s: mode %v", f, st.Mode().Perm())
		}
	}
	cfg := mustRead(filepath.Join(w.home, ".config", "oauth2cred", "config.toml"))
	for _, want := range []string{`issuer = "` + w.op.Issuer + `"`, `client_id = "kubelogin"`, `"openid", "offline_access"`, `prompt = "consent"`,
		`token_type = "id_token"`, `redirect_url = ["http://localhost:8000", "http://localhost:18000"]`} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config file lacks %s:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, secret) {
		t.Fatal("the client secret reached the config file")
	}
	// Sign in once (the browser goes to http://localhost:8000, as
	// registered), then kubectl gets the ID token from the converted entry.
	if r := w.run("login", "--save", "--service", name); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	if r := w.kubectl(t, kubeconfig); r.code != 0 || !strings.Contains(r.stdout, "v1.32.0-oauth2cred-stub") {
		t.Fatalf("kubectl: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
