package integration

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"oauth2cred/integration/op"
)

// registryWorld is Debian's docker-registry (the CNCF distribution
// registry 2.8) with token authentication, behind a token server that
// takes an OAuth access token as the password, as GitLab's does, and
// checks it at the provider before it issues the registry's token.
type registryWorld struct {
	*world
	host     string // the registry's host:port
	authfile string // containers-auth.json with only a credHelpers entry
	tokens   atomic.Int32
}

func newRegistryWorld(t *testing.T) *registryWorld {
	t.Helper()
	for _, tool := range []string{"docker-registry", "skopeo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; .ci/run installs it", tool)
		}
	}
	r := &registryWorld{world: newWorld(t, 70*time.Second)}
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "token-server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true, IsCA: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	certFile := filepath.Join(r.home, "token-server.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("x5c", []string{base64.StdEncoding.EncodeToString(der)}))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, password, ok := req.BasicAuth()
		ctx, cancel := context.WithTimeout(req.Context(), 5*time.Second)
		defer cancel()
		if !ok || !r.op.Valid(ctx, password) {
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied"}]}`, http.StatusUnauthorized)
			return
		}
		r.tokens.Add(1)
		var access []map[string]any
		for _, scope := range req.URL.Query()["scope"] {
			parts := strings.Split(scope, ":")
			if len(parts) == 3 {
				access = append(access, map[string]any{"type": parts[0], "name": parts[1], "actions": strings.Split(parts[2], ",")})
			}
		}
		now := time.Now()
		tok, _ := jwt.Signed(signer).Claims(map[string]any{"iss": "oauth2cred-test-token-server", "sub": "oauth2", "aud": "registry",
			"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
			"jti": hex.EncodeToString(big.NewInt(now.UnixNano()).Bytes()), "access": access}).Serialize()
		json.NewEncoder(w).Encode(map[string]any{"token": tok, "access_token": tok, "expires_in": 300})
	}))
	t.Cleanup(ts.Close)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	r.host = ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(r.home, "registry.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
auth:
  token:
    realm: %s/token
    service: registry
    issuer: oauth2cred-test-token-server
    rootcertbundle: %s
`, filepath.Join(r.home, "registry-data"), r.host, ts.URL, certFile)), 0o644)
	cmd := exec.Command("docker-registry", "serve", cfg)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", r.host); err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("the registry did not start:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	conf := filepath.Join(r.home, ".config", "oauth2cred", "config.toml")
	os.MkdirAll(filepath.Dir(conf), 0o700)
	os.WriteFile(conf, []byte(`[services.registry]
issuer = "`+r.op.Issuer+`"
client_id = "`+op.NativeID+`"
scopes = ["openid", "offline_access"]
hosts = ["`+r.host+`"]
`), 0o600)
	r.authfile = filepath.Join(r.home, "auth.json")
	os.WriteFile(r.authfile, []byte(`{"credHelpers": {"`+r.host+`": "oauth2cred"}}`), 0o600)
	return r
}

// skopeo runs real skopeo with only the credHelpers entry to authenticate.
func (r *registryWorld) skopeo(args ...string) result {
	return r.exec(cmdOpts{env: []string{"REGISTRY_AUTH_FILE=" + r.authfile}}, "skopeo", args...)
}

// ociImage writes a one-layer OCI image layout to dir, tagged latest.
func ociImage(t *testing.T, dir string) {
	t.Helper()
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 6, ModTime: time.Unix(0, 0)})
	tw.Write([]byte("hello\n"))
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer.Bytes())
	zw.Close()
	blobs := filepath.Join(dir, "blobs", "sha256")
	os.MkdirAll(blobs, 0o755)
	put := func(b []byte) string {
		sum := sha256.Sum256(b)
		d := hex.EncodeToString(sum[:])
		os.WriteFile(filepath.Join(blobs, d), b, 0o644)
		return "sha256:" + d
	}
	diffID := sha256.Sum256(layer.Bytes())
	config, _ := json.Marshal(map[string]any{"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diffID[:])}}})
	manifest, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz.Bytes()), "size": gz.Len()}}})
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest), "size": len(manifest),
		"annotations": map[string]string{"org.opencontainers.image.ref.name": "latest"}}}})
	os.WriteFile(filepath.Join(dir, "index.json"), index, 0o644)
	os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}

// real skopeo pushes and inspects an image at a registry that
// takes an OAuth access token, with only a credHelpers entry naming
// oauth2cred; with an expired access token it still works, after exactly
// one refresh. A registry no service serves gets the protocol's answer.
func TestSkopeoThroughDockerHelper(t *testing.T) {
	r := newRegistryWorld(t)
	if res := r.run("login", "--save", "--service", "registry"); res.code != 0 {
		t.Fatalf("login: %s", res.stderr)
	}
	img := filepath.Join(r.home, "image")
	ociImage(t, img)
	if res := r.skopeo("copy", "--dest-tls-verify=false", "oci:"+img+":latest", "docker://"+r.host+"/demo/app:1"); res.code != 0 {
		t.Fatalf("skopeo copy: exit %d\n%s", res.code, res.stderr)
	}
	if r.tokens.Load() == 0 {
		t.Fatal("the token server issued no token: skopeo did not authenticate")
	}
	r.age("registry")
	refreshes := r.op.Count("/oauth/token refresh_token")
	res := r.skopeo("inspect", "--tls-verify=false", "docker://"+r.host+"/demo/app:1")
	if res.code != 0 || !strings.Contains(res.stdout, `"Digest"`) {
		t.Fatalf("skopeo inspect: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if n := r.op.Count("/oauth/token refresh_token") - refreshes; n != 1 {
		t.Fatalf("%d refreshes for an expired token, want 1", n)
	}
	// The protocol itself: a registry no service serves, and list.
	miss := r.runWith(cmdOpts{stdin: "other.example.com\n"}, "docker", "get")
	if miss.code != 1 || strings.TrimSpace(miss.stdout) != "credentials not found in native keychain" {
		t.Fatalf("unknown registry: exit %d %q", miss.code, miss.stdout)
	}
	// A failure is the protocol's answer on stdout too (docker shows it).
	bad := r.runWith(cmdOpts{stdin: "\n"}, "docker", "get")
	if bad.code == 0 || !strings.Contains(bad.stdout, "no server on stdin") {
		t.Fatalf("empty server: exit %d %q", bad.code, bad.stdout)
	}
	if v := r.run("docker", "version"); v.code != 0 || !strings.HasPrefix(v.stdout, "docker-credential-oauth2cred") {
		t.Fatalf("version: exit %d %q", v.code, v.stdout)
	}
	list := r.run("docker", "list")
	if list.code != 0 || strings.TrimSpace(list.stdout) != `{"`+r.host+`":"oauth2"}` {
		t.Fatalf("list: exit %d %q", list.code, list.stdout)
	}
	// erase drops the access token; the next get refreshes.
	if res := r.runWith(cmdOpts{stdin: r.host + "\n"}, "docker", "erase"); res.code != 0 || r.token("registry").AccessToken != "" {
		t.Fatalf("erase: exit %d\n%s", res.code, res.stderr)
	}
	get := r.runWith(cmdOpts{stdin: r.host}, "docker", "get")
	var cred struct{ ServerURL, Username, Secret string }
	if get.code != 0 || json.Unmarshal([]byte(get.stdout), &cred) != nil || cred.Secret != r.token("registry").AccessToken || cred.ServerURL != r.host {
		t.Fatalf("get after erase: exit %d %q", get.code, get.stdout)
	}
}

// setup docker adds only its credHelpers entries to a config
// with other auths, credsStore and credHelpers entries, in place, keeping
// the file's mode; unsetup docker restores it.
func TestSetupDockerKeepsTheRest(t *testing.T) {
	w := newWorld(t, 0)
	dir := filepath.Join(w.home, "dockercfg")
	os.MkdirAll(dir, 0o700)
	cfg := filepath.Join(dir, "config.json")
	before := "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t}\n\t},\n\t\"credsStore\": \"desktop\",\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\"\n\t}\n}\n"
	os.WriteFile(cfg, []byte(before), 0o640)
	env := []string{"DOCKER_CONFIG=" + dir}
	svc := append(w.service("reg"), "--host", "registry.example.com", "--host", "registry.example.com:5050")
	dry := w.runWith(cmdOpts{env: env}, append([]string{"setup", "docker", "--dry-run"}, svc...)...)
	if dry.code != 0 || !strings.Contains(dry.stdout, `"registry.example.com": "oauth2cred"`) || mustRead(cfg) != before {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	if r := w.runWith(cmdOpts{env: env}, append([]string{"setup", "docker"}, svc...)...); r.code != 0 {
		t.Fatalf("setup docker: %s", r.stderr)
	}
	want := "{\n\t\"auths\": {\n\t\t\"ghcr.io\": {\n\t\t\t\"auth\": \"dXNlcjpwYXNz\"\n\t\t}\n\t},\n\t\"credsStore\": \"desktop\",\n\t\"credHelpers\": {\n\t\t\"gcr.io\": \"gcloud\",\n\t\t\"registry.example.com\": \"oauth2cred\",\n\t\t\"registry.example.com:5050\": \"oauth2cred\"\n\t}\n}\n"
	if got := mustRead(cfg); got != want {
		t.Fatalf("after setup:\n%s\nwant\n%s", got, want)
	}
	if st, _ := os.Stat(cfg); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	if r := w.runWith(cmdOpts{env: env}, append([]string{"unsetup", "docker"}, svc...)...); r.code != 0 {
		t.Fatalf("unsetup docker: %s", r.stderr)
	}
	if got := mustRead(cfg); got != before {
		t.Fatalf("after unsetup:\n%q\nwant\n%q", got, before)
	}
}

// A config.json indented with two spaces, holding other registries'
// credentials, and linked from a dotfiles repository: the dry run shows
// only the entries; setup keeps the indentation, the other bytes and the
// link; unsetup restores the file byte for byte; and a helper that the
// tools cannot find on PATH is warned about.
func TestSetupDockerKeepsFormatLinkAndSecrets(t *testing.T) {
	w := newWorld(t, 0)
	dotfiles := filepath.Join(w.home, "dotfiles")
	dir := filepath.Join(w.home, ".docker")
	os.MkdirAll(dotfiles, 0o700)
	os.MkdirAll(dir, 0o700)
	const auth, identity = "b3RoZXI6cGFzc3dvcmQ=", "eyJidWlsZGtpdCI6InRva2VuIn0.identity"
	w.addSecret(auth)
	w.addSecret(identity)
	before := "{\n  \"auths\": {\n    \"ghcr.io\": {\n      \"auth\": \"" + auth + "\"\n    },\n    \"quay.io\": {\"identitytoken\": \"" + identity + "\"}\n  }\n}\n"
	target := filepath.Join(dotfiles, "docker.json")
	os.WriteFile(target, []byte(before), 0o600)
	link := filepath.Join(dir, "config.json")
	os.Symlink(target, link)
	svc := append(w.service("reg"), "--host", "registry.example.com")
	noHelper := []string{"PATH=/usr/bin:/bin"} // oauth2cred run by its path; docker-credential-oauth2cred nowhere
	dry := w.runWith(cmdOpts{env: noHelper}, append([]string{"setup", "docker", "--dry-run"}, svc...)...)
	if dry.code != 0 || strings.Contains(dry.stdout, auth) || strings.Contains(dry.stdout, identity) || !strings.Contains(dry.stdout, `+ "registry.example.com": "oauth2cred"`) {
		t.Fatalf("dry run: exit %d\n%s%s", dry.code, dry.stdout, dry.stderr)
	}
	r := w.runWith(cmdOpts{env: noHelper}, append([]string{"setup", "docker"}, svc...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "docker-credential-oauth2cred is not on PATH") {
		t.Fatalf("setup docker without the helper on PATH: exit %d\n%s", r.code, r.stderr)
	}
	want := strings.TrimSuffix(before, "\n}\n") + ",\n  \"credHelpers\": {\n    \"registry.example.com\": \"oauth2cred\"\n  }\n}\n"
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 || mustRead(target) != want {
		t.Fatalf("after setup (link kept: %v):\n%s\nwant\n%s", err == nil && st.Mode()&os.ModeSymlink != 0, mustRead(target), want)
	}
	if r := w.run(append([]string{"setup", "docker"}, svc...)...); strings.Contains(r.stderr, "not on PATH") {
		t.Fatalf("warned with the helper on PATH:\n%s", r.stderr)
	}
	if r := w.run(append([]string{"unsetup", "docker"}, svc...)...); r.code != 0 || mustRead(target) != before {
		t.Fatalf("after unsetup: exit %d\n%q\nwant\n%q", r.code, mustRead(target), before)
	}
}
