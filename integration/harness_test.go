// Package integration runs the real oauth2cred binary against a real OAuth
// server (zitadel's example OpenID Provider), real git and real kubectl.
package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"oauth2cred/integration/op"
	"oauth2cred/persist"
)

// bin holds the binaries built once for every test.
var bin struct {
	dir, oauth2cred, browser string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "oauth2cred-bin")
	if err != nil {
		panic(err)
	}
	bin.dir = dir
	bin.oauth2cred = filepath.Join(dir, "oauth2cred")
	bin.browser = filepath.Join(dir, "testbrowser")
	for pkg, out := range map[string]string{"oauth2cred": bin.oauth2cred, "oauth2cred/integration/testbrowser": bin.browser} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", pkg, "failed:", err)
			os.Exit(1)
		}
	}
	if err := os.Symlink(bin.oauth2cred, filepath.Join(dir, "docker-credential-oauth2cred")); err != nil {
		panic(err)
	}
	if err := os.Symlink(bin.oauth2cred, filepath.Join(dir, "git-credential-oauth2cred")); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// world is one test's machine: a provider, a home, a token directory, and
// every stderr the binary wrote (scanned for secrets at the end).
type world struct {
	t        *testing.T
	op       *op.Server
	home     string
	tokenDir string
	env      []string

	mu      sync.Mutex
	stderrs []string
	extra   []string // secrets not issued by the provider
}

func newWorld(t *testing.T, accessTTL time.Duration) *world {
	t.Helper()
	srv, err := op.Start(accessTTL)
	if err != nil {
		t.Fatal(err)
	}
	return worldOn(t, srv)
}

// worldOn is newWorld with a provider the test started itself.
func worldOn(t *testing.T, srv *op.Server) *world {
	t.Helper()
	t.Cleanup(srv.Close)
	home := t.TempDir()
	w := &world{t: t, op: srv, home: home, tokenDir: filepath.Join(home, "tokens")}
	w.env = []string{
		"HOME=" + home,
		"PATH=" + bin.dir + ":" + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"),
		"BROWSER=" + bin.browser,
		"OAUTH2CRED_TOKEN_DIR=" + w.tokenDir,
		"GIT_CONFIG_NOSYSTEM=1",
	}
	t.Cleanup(w.checkSecrets)
	return w
}

// service returns the flags of a service on the provider for a client.
func (w *world) service(name string, extra ...string) []string {
	return append([]string{"--service", name, "--issuer", w.op.Issuer, "--client-id", op.NativeID,
		"--scope", "openid offline_access"}, extra...)
}

type result struct {
	stdout, stderr string
	code           int
}

// cmdOpts shape one run.
type cmdOpts struct {
	env   []string
	stdin string
	// tty, when set, becomes the controlling terminal (and stdin) of the run.
	tty *os.File
	dir string
}

func (w *world) run(args ...string) result { return w.runWith(cmdOpts{}, args...) }

func (w *world) runWith(o cmdOpts, args ...string) result {
	w.t.Helper()
	return w.exec(o, bin.oauth2cred, args...)
}

// exec runs any program in the world (oauth2cred, git, kubectl, bash) with
// a time limit, and keeps its stderr for the secret scan.
func (w *world) exec(o cmdOpts, name string, args ...string) result {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := w.command(ctx, o, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	w.recordStderr(stderr.String())
	code := 0
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			w.t.Fatalf("%s %v: %v", name, args, err)
		}
		code = cmd.ProcessState.ExitCode()
	}
	return result{stdout.String(), stderr.String(), code}
}

// command prepares a process in a session of its own: without o.tty it has
// no controlling terminal, as under CI, git or an IDE.
func (w *world) command(ctx context.Context, o cmdOpts, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(append([]string{}, w.env...), o.env...)
	cmd.Dir = o.dir
	if cmd.Dir == "" {
		cmd.Dir = w.home
	}
	cmd.Stdin = strings.NewReader(o.stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if o.tty != nil {
		cmd.Stdin = o.tty
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
	}
	return cmd
}

func (w *world) recordStderr(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stderrs = append(w.stderrs, s)
}

// addSecret registers a secret the provider did not issue (e.g. from a
// server of the test's own).
func (w *world) addSecret(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.extra = append(w.extra, s)
}

// checkSecrets fails the test when any stderr holds any issued secret.
func (w *world) checkSecrets() {
	w.mu.Lock()
	defer w.mu.Unlock()
	secrets := append(w.op.Secrets(), w.extra...)
	if len(w.stderrs) > 0 && len(secrets) == 0 && w.op.Requests.Load() > 0 {
		w.t.Log("no secrets were issued")
	}
	found := 0
	for _, s := range w.stderrs {
		for _, sec := range secrets {
			for _, form := range encodedForms(sec) {
				if strings.Contains(s, form) {
					found++
					w.t.Errorf("a secret (%.6s…) appeared on stderr, as %.10s…:\n%s", sec, form, s)
				}
			}
		}
	}
	w.t.Logf("secret scan: %d outputs, %d secrets in 5 encodings each, %d found", len(w.stderrs), len(secrets), found)
}

// encodedForms are the ways a secret can leak besides itself: URL-encoded,
// JSON-escaped, and base64 (as in a Basic header), standard and URL-safe.
func encodedForms(sec string) []string {
	if sec == "" {
		return nil
	}
	j, _ := json.Marshal(sec)
	forms := []string{sec, url.QueryEscape(sec), strings.Trim(string(j), `"`)}
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b := enc.EncodeToString([]byte(sec)); len(b) > 8 {
			forms = append(forms, b[:len(b)-3]) // the stable part whatever follows
		}
	}
	return forms
}

// token reads the saved token of service.
func (w *world) token(service string) *persist.Token {
	w.t.Helper()
	t, err := persist.Dir{Path: w.tokenDir, Shared: true}.Load(service)
	if err != nil {
		w.t.Fatalf("loading the saved token of %s: %v", service, err)
	}
	return t
}

// age makes the saved access token of service count as expired, as if
// its time had passed; the provider still knows the refresh token.
func (w *world) age(service string) {
	w.t.Helper()
	t := w.token(service)
	t.Expiry = time.Now().Add(-time.Minute).UTC()
	if err := (persist.Dir{Path: w.tokenDir, Shared: true}).Save(service, t); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) fileBytes(service string) []byte {
	b, _ := os.ReadFile(filepath.Join(w.tokenDir, "."+service+"-token"))
	return b
}

func mustJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return m
}

// stream collects what a process writes, for tests that wait for a line.
type stream struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func newStream() *stream { return &stream{} }

func (s *stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *stream) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls until re matches what was written, or fails after d.
func (s *stream) waitFor(t *testing.T, re *regexp.Regexp, d time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(s.String()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("waiting for %q: not shown within %v\n%s", re, d, s.String())
	return nil
}

// statusEntry is one object of 'oauth2cred status --format json'.
type statusEntry struct {
	Service, Account, Identity, Client, Grant, File, Problem string
	Expiry                                                   *time.Time
	Expired, RefreshToken, Keyring                           bool
	RefreshRefused                                           *time.Time `json:"refresh_refused"`
	Scopes                                                   []string
}

// status runs status --format json and finds the entry of service and
// account ("" for none).
func (w *world) status(env ...string) (map[string]statusEntry, result) {
	w.t.Helper()
	r := w.runWith(cmdOpts{env: env}, "status", "--format", "json")
	var list []struct {
		statusEntry
		RefreshToken bool `json:"refresh_token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		w.t.Fatalf("status --format json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	out := map[string]statusEntry{}
	for _, e := range list {
		e.statusEntry.RefreshToken = e.RefreshToken
		out[e.Service+"/"+e.Account] = e.statusEntry
	}
	return out, r
}
