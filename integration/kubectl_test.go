package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// kubectlBinary finds the real kubectl: /usr/bin/kubectl on our machines is
// a dispatcher that runs the plugin one extra time, so prefer the newest
// versioned binary beside it.
func kubectlBinary(t *testing.T) string {
	t.Helper()
	k, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("kubectl is not installed; .ci/run installs it")
	}
	real, err := filepath.EvalSymlinks(k)
	if err == nil {
		versions, _ := filepath.Glob(filepath.Join(filepath.Dir(real), "kubectl.1.*"))
		sort.Slice(versions, func(i, j int) bool { return minor(versions[i]) < minor(versions[j]) })
		if len(versions) > 0 {
			return versions[len(versions)-1]
		}
	}
	return k
}

func minor(path string) int {
	var n int
	fmt.Sscanf(path[strings.LastIndex(path, ".")+1:], "%d", &n)
	return n
}

// apiStub is a TLS Kubernetes API stand-in: /version for a bearer token the
// check accepts, 401 otherwise.
type apiStub struct {
	*httptest.Server
	caFile string
	seen   atomic.Int64
	last   atomic.Value // the last bearer token presented
}

func newAPIStub(t *testing.T, dir string, check func(string) bool) *apiStub {
	s := &apiStub{}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.seen.Add(1)
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.last.Store(tok)
		if !ok || !check(tok) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`)
			return
		}
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"major":"1","minor":"32","gitVersion":"v1.32.0-oauth2cred-stub"}`)
	}))
	t.Cleanup(s.Close)
	s.caFile = filepath.Join(dir, "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	os.WriteFile(s.caFile, pemBytes, 0o600)
	return s
}

// kubeconfig writes a config whose user runs oauth2cred.
func (w *world) kubeconfig(api *apiStub, apiVersion, mode string, args ...string) string {
	argJSON, _ := json.Marshal(append([]string{"kubectl"}, args...))
	modeLine := ""
	if mode != "" {
		modeLine = "      interactiveMode: " + mode + "\n"
	}
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: stub
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: oidc
  user:
    exec:
      apiVersion: %s
%s      command: %s
      args: %s
contexts:
- name: stub
  context: {cluster: stub, user: oidc}
current-context: stub
`, api.URL, base64.StdEncoding.EncodeToString([]byte(mustRead(api.caFile))), apiVersion, modeLine, bin.oauth2cred, argJSON)
	path := filepath.Join(w.home, fmt.Sprintf("kubeconfig-%d", time.Now().UnixNano()))
	os.WriteFile(path, []byte(cfg), 0o600)
	return path
}

func mustRead(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func (w *world) kubectl(t *testing.T, kubeconfig string) result {
	t.Helper()
	return w.kubectlEnv(t, kubeconfig, nil)
}

func (w *world) kubectlEnv(t *testing.T, kubeconfig string, env []string) result {
	t.Helper()
	return w.exec(cmdOpts{env: env}, kubectlBinary(t), "--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(w.home, "kcache"), "get", "--raw", "/version")
}

// Acceptance 1 and 2: v1 and v1beta1, access and ID tokens, one refresh.
func TestKubectlExecPlugin(t *testing.T) {
	w := newWorld(t, 0)
	api := newAPIStub(t, w.home, func(tok string) bool {
		return w.op.Valid(context.Background(), tok) || (strings.Count(tok, ".") == 2 && w.op.Issued(tok))
	})
	svc := w.service("kube")
	if r := w.run(append([]string{"login", "--save"}, svc...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	for _, tc := range []struct {
		name, apiVersion, mode string
		extra                  []string
	}{
		{"v1 access token", "client.authentication.k8s.io/v1", "Never", nil},
		{"v1beta1 access token", "client.authentication.k8s.io/v1beta1", "", nil},
		{"v1 id token", "client.authentication.k8s.io/v1", "IfAvailable", []string{"--token-type", "id_token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := api.seen.Load()
			r := w.kubectl(t, w.kubeconfig(api, tc.apiVersion, tc.mode, append(svc, tc.extra...)...))
			if r.code != 0 || !strings.Contains(r.stdout, "v1.32.0-oauth2cred-stub") {
				t.Fatalf("kubectl: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if api.seen.Load()-before != 1 {
				t.Fatalf("API saw %d requests, want 1 (no 401 retry)", api.seen.Load()-before)
			}
			want := w.token("kube").AccessToken
			if len(tc.extra) > 0 {
				want = w.token("kube").IDToken
			}
			if api.last.Load() != want {
				t.Fatalf("kubectl presented another token than the saved %v", tc.extra)
			}
		})
	}
	// An expired token: kubectl succeeds after exactly one refresh.
	w.age("kube")
	before := w.op.Count("/oauth/token refresh_token")
	r := w.kubectl(t, w.kubeconfig(api, "client.authentication.k8s.io/v1", "Never", svc...))
	if r.code != 0 {
		t.Fatalf("kubectl after expiry: exit %d\n%s", r.code, r.stderr)
	}
	if got := w.op.Count("/oauth/token refresh_token") - before; got != 1 {
		t.Fatalf("refreshes: %d, want 1", got)
	}
}

// interactiveMode Never and nothing saved: our one line, no hang.
func TestKubectlNeverInteractiveNoToken(t *testing.T) {
	w := newWorld(t, 0)
	api := newAPIStub(t, w.home, func(string) bool { return false })
	start := time.Now()
	r := w.kubectl(t, w.kubeconfig(api, "client.authentication.k8s.io/v1", "Never", w.service("none")...))
	if r.code == 0 || !strings.Contains(r.stderr, `no saved token for "none" and no terminal or browser to sign in; run 'oauth2cred login --service none --issuer http://127.0.0.1:`) {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if api.seen.Load() != 0 {
		t.Fatalf("kubectl reached the API without credentials")
	}
}

// The plugin alone: answer shape, and exit 3 when kubectl says nobody is there.
func TestKubectlPluginDirect(t *testing.T) {
	w := newWorld(t, 0)
	svc := w.service("k")
	r := w.runWith(cmdOpts{env: []string{`KUBERNETES_EXEC_INFO={"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}`}}, append([]string{"kubectl"}, svc...)...)
	if r.code != 3 || r.stdout != "" {
		t.Fatalf("non-interactive without token: exit %d %q", r.code, r.stdout)
	}
	w.run(append([]string{"login", "--save"}, svc...)...)
	r = w.runWith(cmdOpts{env: []string{`KUBERNETES_EXEC_INFO={"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":false}}`}}, append([]string{"kubectl"}, svc...)...)
	m := mustJSON(t, []byte(r.stdout))
	status, _ := m["status"].(map[string]any)
	if r.code != 0 || m["apiVersion"] != "client.authentication.k8s.io/v1beta1" || status["token"] != w.token("k").AccessToken || status["expirationTimestamp"] == nil {
		t.Fatalf("answer: %s\n%s", r.stdout, r.stderr)
	}
	r = w.runWith(cmdOpts{env: []string{`KUBERNETES_EXEC_INFO={"apiVersion":"client.authentication.k8s.io/v2"}`}}, append([]string{"kubectl"}, svc...)...)
	if r.code != 2 || !strings.Contains(r.stderr, "apiVersion") {
		t.Fatalf("bad exec info: exit %d\n%s", r.code, r.stderr)
	}
	// setup kubectl prints a users: entry that runs this binary.
	r = w.run("setup", "kubectl", "--service", "k", "--issuer", w.op.Issuer)
	if r.code != 0 || !strings.Contains(r.stdout, "interactiveMode: IfAvailable") || !strings.Contains(r.stdout, `- "--service"`) {
		t.Fatalf("setup kubectl: %s\n%s", r.stdout, r.stderr)
	}
}
