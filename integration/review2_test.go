package integration

// Issue 21: defects found against Ory Hydra and by a second review, each
// reproduced through the real binary.

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"oauth2cred/integration/op"
)

// Issue 21.2, 21.3: --service alone works for an account whose file is the
// only one saved, and a sign-in leaves no .signin mark behind.
func TestAccountFileAloneDefinesService(t *testing.T) {
	w := newWorld(t, 0)
	r := w.runWith(cmdOpts{env: []string{"TESTBROWSER_USER=" + op.Alice}}, append([]string{"login", "--save", "--account", op.Alice}, w.service("svc")...)...)
	if r.code != 0 {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	marks, _ := filepath.Glob(filepath.Join(w.tokenDir, "*.signin"))
	if len(marks) != 0 {
		t.Fatalf("left behind after the sign-in: %v", marks)
	}
	r = w.run("token", "--service", "svc", "--account", op.Alice)
	if r.code != 0 || strings.TrimSpace(r.stdout) == "" {
		t.Fatalf("token --service svc --account alice: exit %d\n%s", r.code, r.stderr)
	}
}

// recorder is a server that must never be asked: it counts requests.
func recorder(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, `{"error":"invalid_grant"}`, 400)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// Issue 21.6: a token saved under --issuer A is neither refreshed at a
// later --refresh-url B nor revoked at a later --revoke-url B.
func TestOriginCoversRefreshAndRevocation(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"login", "--save"}, w.service("svc")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	b, asked := recorder(t)
	w.age("svc")
	r := w.run(append([]string{"token", "--non-interactive"}, w.service("svc", "--refresh-url", b.URL+"/token")...)...)
	if asked.Load() != 0 || r.code != 3 || !strings.Contains(r.stderr, "another refresh endpoint") {
		t.Fatalf("refresh at another endpoint: %d requests there, exit %d\n%s", asked.Load(), r.code, r.stderr)
	}
	r = w.run(append([]string{"logout"}, w.service("svc", "--revoke-url", b.URL+"/revoke")...)...)
	if asked.Load() != 0 || !strings.Contains(r.stderr, "another revocation endpoint") {
		t.Fatalf("revoke at another endpoint: %d requests there, exit %d\n%s", asked.Load(), r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(w.tokenDir, ".svc-token")); !os.IsNotExist(err) {
		t.Fatalf("the local token was kept: %v", err)
	}
}
