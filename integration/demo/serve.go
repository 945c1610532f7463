package main

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"oauth2cred/integration/gitserver"
	"oauth2cred/integration/op"
)

// serve keeps a provider, a git server with a repository and a kubectl API
// stub on 127.0.0.1, writes a config file and a kubeconfig for them, and
// prints what to try, until Ctrl-C (or SIGTERM).
func serve() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	work, err := os.MkdirTemp("", "oauth2cred-play")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := filepath.Join(work, "bin")
	if err := build(bin); err != nil {
		return err
	}
	provider, err := op.Start(0)
	if err != nil {
		return err
	}
	defer provider.Close()
	gs, err := startGitServer(work, provider)
	if err != nil {
		return err
	}
	defer gs.Close()
	api := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !provider.Valid(r.Context(), tok) {
			http.Error(w, `{"kind":"Status","status":"Failure","code":401}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"major":"1","minor":"32","gitVersion":"v1.32.0-oauth2cred-demo"}`)
	}))
	defer api.Close()

	cfg := filepath.Join(work, "config.toml")
	config := fmt.Sprintf("[services.demo]\nissuer = %q\nclient_id = %q\nscopes = [\"openid\", \"offline_access\"]\nhosts = [%q]\n",
		provider.Issuer, op.NativeID, gs.Host())
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		return err
	}
	kubeconfig := filepath.Join(work, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, api, filepath.Join(bin, "oauth2cred"), cfg); err != nil {
		return err
	}
	tokens := filepath.Join(work, "tokens")
	fmt.Printf(`A provider, a git server and a Kubernetes API stub are running on 127.0.0.1.

provider (issuer): %s
users:             %s, %s or %s; password %s
                   (the provider's sign-in page: a browser on this machine, or --flow device)

config file (%s):
%s
Try, in another terminal:
  export PATH=%s:$PATH OAUTH2CRED_TOKEN_DIR=%s
  oauth2cred login --config %s --service demo
  oauth2cred token --config %s --service demo
  oauth2cred status
  git -c credential.helper= -c credential.helper="!oauth2cred git --config %s --service demo" clone %s/project.git
  kubectl --kubeconfig %s get --raw /version
  (the API stub accepts the provider's access tokens: the service's default
   token_type; an ID token, token_type = "id_token", it answers with 401)

Ctrl-C stops everything and removes %s.
`, provider.Issuer, op.User+"@127.0.0.1", op.Alice, op.Bob, op.Password, cfg, indent(config), bin, tokens, cfg, cfg, cfg, gs.URL, kubeconfig, work)
	<-ctx.Done()
	fmt.Println("\nstopped; removed", work)
	return nil
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

// writeKubeconfig points kubectl at the API stub, with oauth2cred as its
// exec plugin (interactiveMode IfAvailable: it signs in at a terminal).
func writeKubeconfig(path string, api *httptest.Server, oauth2cred, cfg string) error {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw})
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: demo
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      interactiveMode: IfAvailable
      command: %s
      args: ["kubectl", "--config", %s, "--service", "demo"]
contexts:
- name: demo
  context: {cluster: demo, user: demo}
current-context: demo
`, api.URL, b64(ca), oauth2cred, strconv.Quote(cfg))
	return os.WriteFile(path, []byte(kc), 0o600)
}

// sinceGoRun is how long ago `go run` started this demo, compiling
// included: the demo's own clock starts only after the compile.
func sinceGoRun() (time.Duration, bool) {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", os.Getppid()))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return 0, false
	}
	return processAge(os.Getppid())
}

// startGitServer serves a repository "project" that accepts the provider's
// access tokens, as a forge does.
func startGitServer(work string, provider *op.Server) (*gitserver.Server, error) {
	repos := filepath.Join(work, "repos")
	if err := os.MkdirAll(repos, 0o755); err != nil {
		return nil, err
	}
	gs, err := gitserver.Start(repos, func(token string) bool { return provider.Valid(context.Background(), token) })
	if err != nil {
		return nil, err
	}
	if err := gs.NewRepo("project"); err != nil {
		gs.Close()
		return nil, err
	}
	return gs, nil
}
