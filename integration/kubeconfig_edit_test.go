package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// setup kubectl --from-kubelogin edits two files of other programs: the
// kubeconfig (read back by the real kubectl here) and the config file
// (read back by oauth2cred). These tests hold SPEC §5b's rules for it.

// kubeloginUserYAML is a kubeconfig users: entry run by kubelogin.
func kubeloginUserYAML(name string, args ...string) string {
	s := "- name: " + name + "\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubectl\n      args:\n      - oidc-login\n      - get-token\n"
	for _, a := range args {
		s += "      - " + a + "\n"
	}
	return s
}

// kubeconfigUsers is what the real kubectl reads of a kubeconfig: each
// user's exec command, args and env (by user name); a file kubectl cannot
// load fails the test.
type kubectlExec struct {
	Command     string   `json:"command"`
	Args        []string `json:"args"`
	InstallHint string   `json:"installHint"`
	Env         []struct {
		Name, Value string
	} `json:"env"`
	InteractiveMode    string `json:"interactiveMode"`
	ProvideClusterInfo bool   `json:"provideClusterInfo"`
}

func (w *world) kubeconfigUsers(t *testing.T, path string) map[string]kubectlExec {
	t.Helper()
	r := w.exec(cmdOpts{}, kubectlBinary(t), "config", "view", "--raw", "-o", "json", "--kubeconfig", path)
	if r.code != 0 {
		t.Fatalf("kubectl cannot load %s: exit %d\n%s\n%s", path, r.code, r.stderr, mustRead(path))
	}
	var cfg struct {
		Users []struct {
			Name string
			User struct {
				Exec *kubectlExec `json:"exec"`
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &cfg); err != nil {
		t.Fatal(err)
	}
	out := map[string]kubectlExec{}
	for _, u := range cfg.Users {
		if u.User.Exec != nil {
			out[u.Name] = *u.User.Exec
		}
	}
	return out
}

// serviceArg is the --service a converted exec block names.
func serviceArg(e kubectlExec) string {
	for i, a := range e.Args {
		if a == "--service" && i+1 < len(e.Args) {
			return e.Args[i+1]
		}
	}
	return ""
}

// configServices reads the config file as TOML: it must parse.
func (w *world) configServices(t *testing.T) map[string]map[string]any {
	t.Helper()
	var cfg struct{ Services map[string]map[string]any }
	path := filepath.Join(w.home, ".config", "oauth2cred", "config.toml")
	if _, err := toml.DecodeFile(path, &cfg); err != nil {
		t.Fatalf("the config file no longer parses: %v\n%s", err, mustRead(path))
	}
	return cfg.Services
}

// Two clusters of one Keycloak realm whose client ids differ only past the
// 64 bytes of a service name, a user that differs only in its token type,
// and one identical to the first: three services, never one merged table.
func TestConvertKeepsDistinctSettingsApart(t *testing.T) {
	w := newWorld(t, 0)
	issuer := "--oidc-issuer-url=https://keycloak.example.com/realms/platform-engineering-production"
	kc := filepath.Join(w.home, "kubeconfig")
	os.WriteFile(kc, []byte("apiVersion: v1\nkind: Config\nusers:\n"+
		kubeloginUserYAML("eu", issuer, "--oidc-client-id=kubernetes-cluster-prod-eu")+
		kubeloginUserYAML("us", issuer, "--oidc-client-id=kubernetes-cluster-prod-us")+
		kubeloginUserYAML("eu-access", issuer, "--oidc-client-id=kubernetes-cluster-prod-eu", "--oidc-use-access-token")+
		kubeloginUserYAML("eu-again", issuer, "--oidc-client-id=kubernetes-cluster-prod-eu")), 0o600)
	if r := w.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", kc); r.code != 0 {
		t.Fatalf("convert: exit %d\n%s", r.code, r.stderr)
	}
	users := w.kubeconfigUsers(t, kc)
	services := w.configServices(t)
	want := map[string][2]string{"eu": {"kubernetes-cluster-prod-eu", "id_token"}, "us": {"kubernetes-cluster-prod-us", "id_token"},
		"eu-access": {"kubernetes-cluster-prod-eu", "access_token"}, "eu-again": {"kubernetes-cluster-prod-eu", "id_token"}}
	for user, w := range want {
		s := services[serviceArg(users[user])]
		if s["client_id"] != w[0] || s["token_type"] != w[1] {
			t.Errorf("user %s runs service %q = %v, want client %s, %s", user, serviceArg(users[user]), s, w[0], w[1])
		}
	}
	if len(services) != 3 || serviceArg(users["eu"]) != serviceArg(users["eu-again"]) {
		t.Errorf("want 3 services, eu and eu-again sharing one; got %d: %v", len(services), users)
	}
	if r := w.run("status"); r.code != 0 {
		t.Fatalf("after the conversion oauth2cred fails: exit %d\n%s", r.code, r.stderr)
	}

	// The same in two runs: the second finds the name taken by other
	// settings and takes a new one; converting the first file again adds
	// nothing.
	w2 := newWorld(t, 0)
	one, two := filepath.Join(w2.home, "eu.yaml"), filepath.Join(w2.home, "us.yaml")
	os.WriteFile(one, []byte("users:\n"+kubeloginUserYAML("eu", issuer, "--oidc-client-id=kubernetes-cluster-prod-eu")), 0o600)
	os.WriteFile(two, []byte("users:\n"+kubeloginUserYAML("us", issuer, "--oidc-client-id=kubernetes-cluster-prod-us")), 0o600)
	for _, f := range []string{one, two} {
		if r := w2.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", f); r.code != 0 {
			t.Fatalf("convert %s: exit %d\n%s", f, r.code, r.stderr)
		}
	}
	eu, us := serviceArg(w2.kubeconfigUsers(t, one)["eu"]), serviceArg(w2.kubeconfigUsers(t, two)["us"])
	services = w2.configServices(t)
	if eu == us || services[eu]["client_id"] != "kubernetes-cluster-prod-eu" || services[us]["client_id"] != "kubernetes-cluster-prod-us" {
		t.Fatalf("two runs: eu runs %q, us runs %q; services %v", eu, us, services)
	}
}

// Shapes a line heuristic broke: a literal block after the args, a flow
// list whose ] stands on its own line. The result loads in kubectl, keeps
// the block's installHint, env and provideClusterInfo, and the other user
// byte for byte. What cannot be edited alone (an anchor another user
// aliases, several documents) is refused and left untouched.
func TestConvertEditsThroughTheParser(t *testing.T) {
	w := newWorld(t, 0)
	other := "- name: static\n  user:\n    token: static-token\n"
	for _, tc := range []struct{ name, exec string }{
		{"literal installHint", "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args:\n      - get-token\n      - --oidc-issuer-url=https://i.example\n      - --oidc-client-id=k\n" +
			"      installHint: |\n        Install kubelogin:\n          brew install int128/kubelogin/kubelogin\n\n        Then run it.\n      env:\n      - name: HTTPS_PROXY\n        value: http://proxy.example:3128\n      provideClusterInfo: true\n"},
		{"flow list, ] alone", "    exec:\n      command: kubelogin\n      args: [get-token,\n        --oidc-issuer-url=https://i.example,\n        --oidc-client-id=k\n      ]\n      apiVersion: client.authentication.k8s.io/v1beta1\n"},
	} {
		kc := filepath.Join(w.home, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
		head := "apiVersion: v1\nkind: Config\nusers:\n- name: oidc\n  user:\n"
		os.WriteFile(kc, []byte(head+tc.exec+other), 0o600)
		if r := w.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", kc); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", tc.name, r.code, r.stderr)
		}
		got := mustRead(kc)
		e := w.kubeconfigUsers(t, kc)["oidc"]
		if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, other) || serviceArg(e) == "" || e.Args[0] != "kubectl" {
			t.Fatalf("%s: converted to\n%s", tc.name, got)
		}
		if tc.name == "literal installHint" && (e.InstallHint != "Install kubelogin:\n  brew install int128/kubelogin/kubelogin\n\nThen run it.\n" ||
			len(e.Env) != 1 || e.Env[0].Value != "http://proxy.example:3128" || !e.ProvideClusterInfo || e.InteractiveMode != "IfAvailable") {
			t.Errorf("%s: the block's settings for kubectl were not carried over: %+v", tc.name, e)
		}
	}
	for _, tc := range []struct{ name, yaml, why string }{
		{"anchor aliased by another user", "users:\n- name: a\n  user:\n    exec: &kl\n      command: kubelogin\n      args: [get-token, --oidc-issuer-url=https://i.example, --oidc-client-id=k]\n- name: b\n  user:\n    exec: *kl\n", "anchor &kl"},
		{"two documents", "users:\n" + kubeloginUserYAML("a", "--oidc-issuer-url=https://i.example", "--oidc-client-id=k") + "---\nusers: []\n", "2 YAML documents"},
	} {
		kc := filepath.Join(w.home, "refused.yaml")
		os.WriteFile(kc, []byte(tc.yaml), 0o600)
		r := w.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", kc)
		if r.code != 2 || !strings.Contains(r.stderr, tc.why) || mustRead(kc) != tc.yaml {
			t.Errorf("%s: exit %d, want 2 naming %q and the file untouched\n%s", tc.name, r.code, tc.why, r.stderr)
		}
	}
}

// Redirect URIs as kubelogin sends them (the provider's registration must
// keep matching), and the dry run never shows a secret, however quoted.
func TestConvertKeepsRedirectsAndHidesSecrets(t *testing.T) {
	w := newWorld(t, 0)
	const secret, password = "s3cret-Quoted", "pw-Hunter2"
	w.addSecret(secret)
	w.addSecret(password)
	kc := filepath.Join(w.home, "kubeconfig")
	os.WriteFile(kc, []byte("users:\n"+
		kubeloginUserYAML("old", "--oidc-issuer-url=https://i.example", "--oidc-client-id=old", "--listen-address=127.0.0.1:18321", "--oidc-redirect-url-hostname=127.0.0.1",
			`"--oidc-client-secret=s3cret-\x51uoted"`, "--password", password)+
		kubeloginUserYAML("new", "--oidc-issuer-url=https://i.example", "--oidc-client-id=new", "--oidc-redirect-url=http://localhost:18322/callback", "--oidc-client-secret", "'"+secret+"'")), 0o600)
	dry := w.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", kc, "--dry-run")
	if dry.code != 0 || strings.Contains(dry.stdout+dry.stderr, secret) || strings.Contains(dry.stdout+dry.stderr, password) || strings.Count(dry.stdout, "[redacted]") != 3 {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	if r := w.run("setup", "kubectl", "--from-kubelogin", "--kubeconfig", kc); r.code != 0 {
		t.Fatalf("convert: %s", r.stderr)
	}
	users, services := w.kubeconfigUsers(t, kc), w.configServices(t)
	for user, want := range map[string]string{"old": "http://127.0.0.1:18321", "new": "http://localhost:18322/callback"} {
		if got := services[serviceArg(users[user])]["redirect_url"]; len(got.([]any)) != 1 || got.([]any)[0] != want {
			t.Errorf("user %s: redirect_url %v, want [%s]", user, got, want)
		}
	}
}

// A kubeconfig that is a symbolic link into a dotfiles repository stays a
// link; the file it points to is converted, the original kept as .bak.
func TestConvertWritesThroughALink(t *testing.T) {
	w := newWorld(t, 0)
	dotfiles := filepath.Join(w.home, "dotfiles")
	os.MkdirAll(dotfiles, 0o700)
	os.MkdirAll(filepath.Join(w.home, ".kube"), 0o700)
	original := "users:\n" + kubeloginUserYAML("a", "--oidc-issuer-url=https://i.example", "--oidc-client-id=k")
	os.WriteFile(filepath.Join(dotfiles, "kubeconfig"), []byte(original), 0o600)
	link := filepath.Join(w.home, ".kube", "config")
	os.Symlink("../dotfiles/kubeconfig", link)
	if r := w.run("setup", "kubectl", "--from-kubelogin"); r.code != 0 {
		t.Fatalf("convert: %s", r.stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the kubeconfig link was replaced by a file")
	}
	if serviceArg(w.kubeconfigUsers(t, filepath.Join(dotfiles, "kubeconfig"))["a"]) == "" || mustRead(link+".bak") != original {
		t.Fatalf("the linked file was not converted, or no .bak:\n%s", mustRead(filepath.Join(dotfiles, "kubeconfig")))
	}
}

// What set-up writes names the program as PATH finds it, or by the path it
// was started by (a Homebrew bin/ link), never the link's version-specific
// target; relative paths become absolute; --dry-run is not copied.
func TestSetupWritesStablePaths(t *testing.T) {
	w := newWorld(t, 0)
	brew := filepath.Join(w.home, "brew", "bin")
	os.MkdirAll(brew, 0o700)
	linked := filepath.Join(brew, "oauth2cred")
	os.Symlink(bin.oauth2cred, linked) // bin.oauth2cred plays Cellar/oauth2cred/1.2.3/bin/oauth2cred
	noBinDir := []string{"PATH=/usr/bin:/bin"}
	kc := filepath.Join(w.home, "kubeconfig")
	os.WriteFile(kc, []byte("users:\n"+kubeloginUserYAML("a", "--oidc-issuer-url=https://i.example", "--oidc-client-id=k")), 0o600)
	if r := w.exec(cmdOpts{env: noBinDir}, linked, "setup", "kubectl", "--from-kubelogin", "--kubeconfig", kc); r.code != 0 {
		t.Fatalf("convert: %s", r.stderr)
	}
	if got := w.kubeconfigUsers(t, kc)["a"].Command; got != linked {
		t.Errorf("exec command %q, want the path it was started by, %q", got, linked)
	}
	os.WriteFile(filepath.Join(w.home, "ci-secret"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(w.home, "sg.toml"), nil, 0o600)
	r := w.exec(cmdOpts{env: []string{"PATH=" + brew + ":/usr/bin:/bin"}}, linked, "setup", "kubectl", "--service", "s", "--issuer", "https://i.example",
		"--client-id", "c", "--client-secret-file", "ci-secret", "--config", "sg.toml", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "command: oauth2cred\n") || strings.Contains(r.stdout, "--dry-run") ||
		!strings.Contains(r.stdout, `"`+filepath.Join(w.home, "ci-secret")+`"`) || !strings.Contains(r.stdout, `"`+filepath.Join(w.home, "sg.toml")+`"`) {
		t.Errorf("setup kubectl: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	gitconfig := filepath.Join(w.home, ".gitconfig")
	r = w.exec(cmdOpts{env: noBinDir}, linked, "setup", "git", "--service", "s", "--issuer", "https://i.example", "--client-id", "c",
		"--client-secret-file", "ci-secret", "--config", "sg.toml")
	cfg := mustRead(filepath.Join(w.home, "sg.toml"))
	if r.code != 0 || !strings.Contains(mustRead(gitconfig), "!"+linked+" git --service s --config "+filepath.Join(w.home, "sg.toml")) ||
		!strings.Contains(cfg, `client_secret_file = "`+filepath.Join(w.home, "ci-secret")+`"`) {
		t.Errorf("setup git: exit %d\n%s\n%s\n%s", r.code, r.stderr, mustRead(gitconfig), cfg)
	}
}
