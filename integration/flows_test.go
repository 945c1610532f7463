package integration

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"oauth2cred/integration/op"
)

// startDevice starts a device flow and returns it once the user code is shown.
func startDevice(t *testing.T, w *world, ctx context.Context, args ...string) (cmd *exec.Cmd, stdout *bytes.Buffer, stderr *stream, userCode string) {
	t.Helper()
	cmd = w.command(ctx, cmdOpts{}, bin.oauth2cred, append(append([]string{"token", "--flow", "device"}, args...), w.service("dev")...)...)
	stdout, stderr = &bytes.Buffer{}, newStream()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := stderr.waitFor(t, regexp.MustCompile(`enter the code (\S+)\n`), 20*time.Second)
	return cmd, stdout, stderr, m[1]
}

// the device flow, approved over HTTP as the user would.
func TestDeviceFlow(t *testing.T) {
	w := newWorld(t, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd, stdout, stderr, code := startDevice(t, w, ctx, "--save")
	if err := w.op.ApproveDevice(ctx, code, true); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	w.recordStderr(stderr.String())
	if err != nil {
		t.Fatalf("device flow: %v\n%s", err, stderr)
	}
	tok := strings.TrimSpace(stdout.String())
	if !w.op.Valid(ctx, tok) {
		t.Fatalf("the device-flow token is not accepted by the provider")
	}
	if saved := w.token("dev"); saved.AccessToken != tok || saved.RefreshToken == "" {
		t.Fatalf("device-flow token not saved with its refresh token")
	}
	// The device token refreshes like any other.
	w.age("dev")
	r := w.run(append([]string{"token"}, w.service("dev")...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) == tok {
		t.Fatalf("refresh of a device token: exit %d\n%s", r.code, r.stderr)
	}
}

// a denied device code ends with a clear error, exit 1.
func TestDeviceFlowDenied(t *testing.T) {
	w := newWorld(t, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd, _, stderr, code := startDevice(t, w, ctx)
	if err := w.op.ApproveDevice(ctx, code, false); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	w.recordStderr(stderr.String())
	if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stderr.String(), "access_denied") {
		t.Fatalf("denied device flow: %v\n%s", err, stderr)
	}
}

// client credentials for CI: no prompt, no browser.
func TestClientCredentials(t *testing.T) {
	w := newWorld(t, 0)
	secret := w.home + "/secret"
	os.WriteFile(secret, []byte(op.ServiceKey+"\n"), 0o600)
	args := []string{"token", "--service", "ci", "--issuer", w.op.Issuer, "--flow", "client-credentials",
		"--client-id", op.ServiceID, "--client-secret-file", secret, "--non-interactive"}
	r := w.runWith(cmdOpts{env: []string{"CI=true", "BROWSER="}}, args...)
	if r.code != 0 {
		t.Fatalf("client credentials: exit %d\n%s", r.code, r.stderr)
	}
	if !w.op.Issued(strings.TrimSpace(r.stdout)) {
		t.Fatalf("client-credentials token not accepted")
	}
	if _, err := os.Stat(w.tokenDir + "/.ci-token"); err == nil {
		t.Fatalf("saved without --save")
	}
	r = w.runWith(cmdOpts{env: []string{"CI=true"}}, append(args, "--save", "--format", "header")...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Authorization: Bearer ") {
		t.Fatalf("--format header: %q %s", r.stdout, r.stderr)
	}
	if w.token("ci").RefreshToken != "" {
		t.Fatalf("client credentials should bring no refresh token")
	}
	// Wrong secret: the server's invalid_client, exit 1, one clear line.
	os.WriteFile(secret, []byte("wrong"), 0o600)
	r = w.runWith(cmdOpts{env: []string{"CI=true"}}, append(args, "--service", "ci2")...)
	if r.code != 1 || !strings.Contains(r.stderr, "invalid_client") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("wrong secret: exit %d\n%s", r.code, r.stderr)
	}
}

// N parallel calls on an expired token make one refresh.
func TestConcurrentRefreshIsSingle(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"token", "--save"}, w.service("par")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	w.age("par")
	before := w.op.Count("/oauth/token refresh_token")
	const n = 50
	var wg sync.WaitGroup
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = w.run(append([]string{"token", "--non-interactive"}, w.service("par")...)...)
		}()
	}
	wg.Wait()
	if got := w.op.Count("/oauth/token refresh_token") - before; got != 1 {
		t.Fatalf("%d parallel calls made %d refresh requests, want 1", n, got)
	}
	want := w.token("par").AccessToken
	for i, r := range results {
		if r.code != 0 || strings.TrimSpace(r.stdout) != want {
			t.Fatalf("call %d: exit %d, token matches %v\n%s", i, r.code, strings.TrimSpace(r.stdout) == want, r.stderr)
		}
	}
	mustJSON(t, w.fileBytes("par"))
}

// onTerminal starts oauth2cred with a new pseudo-terminal as its controlling
// terminal; term collects the screen, ptmx types.
func (w *world) onTerminal(t *testing.T, env []string, args ...string) (cmd *termCmd, ptmx *os.File, stdout, stderr *bytes.Buffer, term *stream) {
	t.Helper()
	return w.programOnTerminal(t, env, bin.oauth2cred, args...)
}

// programOnTerminal runs any program (git, oauth2cred) with a new
// pseudo-terminal as its controlling terminal and stdin.
func (w *world) programOnTerminal(t *testing.T, env []string, name string, args ...string) (cmd *termCmd, ptmx *os.File, stdout, stderr *bytes.Buffer, term *stream) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	c := w.command(ctx, cmdOpts{tty: tty, env: env}, name, args...)
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	c.Stdout, c.Stderr = stdout, stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	term = newStream()
	drained := make(chan struct{})
	go func() {
		io.Copy(term, ptmx) // ends at EIO: every holder of the terminal has exited
		close(drained)
	}()
	return &termCmd{Cmd: c, t: t, drained: drained}, ptmx, stdout, stderr, term
}

// termCmd is a process on a pseudo-terminal whose Wait returns only when
// everything it wrote to the terminal has been read: a test that reads the
// screen after the process exited sees all of it, however busy the machine.
type termCmd struct {
	*exec.Cmd
	t       *testing.T
	drained chan struct{}
}

func (c *termCmd) Wait() error {
	err := c.Cmd.Wait()
	select {
	case <-c.drained:
	case <-time.After(30 * time.Second):
		c.t.Errorf("the terminal of %s was not closed 30 s after it exited (a child still holds it)", c.Path)
	}
	return err
}

// the save prompt on a real pseudo-terminal.
func TestSavePromptOnTerminal(t *testing.T) {
	for _, tc := range []struct {
		name, answer string
		saved        bool
	}{
		{"no", "n\r", false},
		{"yes", "y\r", true},
		{"enter", "\r", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 0)
			cmd, ptmx, stdout, stderr, term := w.onTerminal(t, nil, append([]string{"token"}, w.service("p")...)...)
			term.waitFor(t, regexp.MustCompile(`so later calls refresh silently\? \[Y/n\]`), 30*time.Second)
			screen := term.String()
			if !strings.Contains(screen, `Save the token for "p" in `+w.tokenDir+`/.p-token`) {
				t.Fatalf("prompt text:\n%s", screen)
			}
			ptmx.Write([]byte(tc.answer))
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit: %v\n%s", err, stderr.String())
			}
			w.recordStderr(stderr.String() + screen)
			if strings.Contains(stdout.String(), "Save") || strings.TrimSpace(stdout.String()) == "" {
				t.Fatalf("stdout must be the token only: %q", stdout.String())
			}
			_, err := os.Stat(w.tokenDir + "/.p-token")
			if saved := err == nil; saved != tc.saved {
				t.Fatalf("answer %q: saved=%v, want %v", tc.answer, saved, tc.saved)
			}
		})
	}
}

// without a terminal there is no prompt and no file.
func TestNoTerminalNoPromptNoSave(t *testing.T) {
	w := newWorld(t, 0)
	r := w.run(append([]string{"token"}, w.service("q")...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if strings.Contains(r.stderr, "[Y/n]") {
		t.Fatalf("prompted without a terminal:\n%s", r.stderr)
	}
	if _, err := os.Stat(w.tokenDir + "/.q-token"); err == nil {
		t.Fatalf("saved without --save and without a terminal")
	}
	// Non-interactive with nothing saved: exit 3 and the way out.
	r = w.runWith(cmdOpts{env: []string{"CI=true"}}, append([]string{"token"}, w.service("q")...)...)
	if r.code != 3 || !strings.Contains(r.stderr, "oauth2cred login --service q") {
		t.Fatalf("CI without a token: exit %d\n%s", r.code, r.stderr)
	}
}

// SPEC §3: over SSH the browser cannot reach the loopback listener; the
// person pastes the address the browser ended on at the terminal prompt.
func TestPasteAddressOverSSH(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paste func(final string) string
		ok    bool
	}{
		{"full address", func(final string) string { return final }, true},
		{"bare code", func(final string) string {
			u, _ := url.Parse(final)
			return u.Query().Get("code")
		}, true},
		{"address with a forged state", func(final string) string {
			u, _ := url.Parse(final)
			q := u.Query()
			q.Set("state", "forged")
			u.RawQuery = q.Encode()
			return u.String()
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 0)
			// No browser on this machine (SSH): --no-browser, no $BROWSER.
			cmd, ptmx, stdout, stderr, term := w.onTerminal(t, []string{"BROWSER=", "DISPLAY="},
				append([]string{"token", "--save", "--no-browser", "--flow", "browser"}, w.service("ssh")...)...)
			m := term.waitFor(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+/auth\?\S+)`), 30*time.Second)
			term.waitFor(t, regexp.MustCompile(`paste the address`), 10*time.Second)
			final, err := op.SignInElsewhere(m[1], op.User+"@127.0.0.1", op.Password)
			if err != nil || final == "" {
				t.Fatalf("signing in elsewhere: %q %v", final, err)
			}
			w.addSecret(final)
			pasted := tc.paste(final)
			ptmx.Write([]byte(pasted + "\r"))
			err = cmd.Wait()
			// The terminal echoes what the person pasted; everything else
			// on the screen is ours and is scanned for secrets.
			w.recordStderr(stderr.String() + strings.ReplaceAll(term.String(), pasted, ""))
			if !tc.ok {
				if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(stderr.String(), "wrong state") {
					t.Fatalf("forged paste: exit %d\n%s", cmd.ProcessState.ExitCode(), stderr.String())
				}
				return
			}
			if err != nil {
				t.Fatalf("exit: %v\n%s\n%s", err, stderr.String(), term.String())
			}
			if !w.op.Valid(t.Context(), strings.TrimSpace(stdout.String())) {
				t.Fatal("the token from a pasted answer is not accepted")
			}
		})
	}
}

// A silent refresh with --issuer is one request: the endpoints the token
// was issued for are in its origin record, so discovery is not fetched.
func TestRefreshNeedsNoDiscovery(t *testing.T) {
	w := newWorld(t, 0)
	if r := w.run(append([]string{"login", "--save"}, w.service("one")...)...); r.code != 0 {
		t.Fatalf("login: %s", r.stderr)
	}
	w.age("one")
	discovery, refresh, requests := w.op.Count("/.well-known/openid-configuration"), w.op.Count("/oauth/token refresh_token"), w.op.Requests.Load()
	if r := w.runWith(cmdOpts{env: []string{"BROWSER=", "DISPLAY="}}, append([]string{"token"}, w.service("one")...)...); r.code != 0 {
		t.Fatalf("refresh: exit %d\n%s", r.code, r.stderr)
	}
	if d, n, all := w.op.Count("/.well-known/openid-configuration")-discovery, w.op.Count("/oauth/token refresh_token")-refresh, w.op.Requests.Load()-requests; d != 0 || n != 1 || all != 1 {
		t.Fatalf("a refresh made %d requests: %d discovery, %d refresh", all, d, n)
	}
}

// Saying what happened, to whom and until when: the device flow names the
// service and host and the code's lifetime; a browser sign-in the time
// left; login ends with who signed in; logout says the server revoked.
func TestSaysWhatHappened(t *testing.T) {
	w := newWorld(t, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd, _, stderr, code := startDevice(t, w, ctx, "--save")
	host := strings.TrimPrefix(w.op.Issuer, "http://")
	stderr.waitFor(t, regexp.MustCompile(`To sign in to "dev" at `+regexp.QuoteMeta(host)+`, open \S+ and enter the code `+regexp.QuoteMeta(code)+"\nThe code expires in [0-9]+m"), 5*time.Second)
	if err := w.op.ApproveDevice(ctx, code, true); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	w.recordStderr(stderr.String())
	r := w.run(append([]string{"login", "--save", "--login-timeout", "2m"}, w.service("web")...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "waiting for the sign-in to finish there (up to 2m0s)") || !strings.Contains(r.stderr, `oauth2cred: signed in to "web" as "id1"`) {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	r = w.run(append([]string{"logout"}, w.service("web")...)...)
	if r.code != 0 || !strings.Contains(r.stderr, `Logged out of "web": the server revoked the token`) {
		t.Fatalf("logout: exit %d\n%s", r.code, r.stderr)
	}
}
