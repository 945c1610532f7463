package integration

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startKeyring runs a private D-Bus session with gnome-keyring's Secret
// Service, unlocked, and returns the environment that reaches it.
func startKeyring(t *testing.T) []string {
	t.Helper()
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed; .ci/run installs it (apt-get install gnome-keyring dbus)", tool)
		}
	}
	data := t.TempDir()
	cmd := exec.Command("dbus-run-session", "--", "sh", "-c",
		`echo -n test-keyring-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && echo "$DBUS_SESSION_BUS_ADDRESS" && exec sleep 600`)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+data, "HOME="+data)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case addr := <-line:
		if !strings.HasPrefix(addr, "unix:") {
			t.Fatalf("no D-Bus address from the keyring session: %q", addr)
		}
		// A fresh gnome-keyring on a loaded CI machine can take longer
		// than the default 1.5 s to answer its first calls.
		return []string{"DBUS_SESSION_BUS_ADDRESS=" + addr, "XDG_DATA_HOME=" + data, "OAUTH2CRED_KEYRING_TIMEOUT=10s"}
	case <-time.After(15 * time.Second):
		t.Fatal("gnome-keyring did not start within 15 s")
	}
	return nil
}

// save mirrors into the keyring; a deleted file comes back
// without any request to the server; logout leaves neither copy.
func TestKeyringMirrorRestoresFile(t *testing.T) {
	w := newWorld(t, 0)
	w.env = append(w.env, startKeyring(t)...)
	svc := append(w.service("ring"), "--keyring")
	r := w.run(append([]string{"token", "--save"}, svc...)...)
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	want := strings.TrimSpace(r.stdout)
	os.Remove(w.tokenDir + "/.ring-token")
	before := w.op.Requests.Load()
	r = w.run(append([]string{"token", "--non-interactive"}, svc...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Fatalf("restore: exit %d\n%s", r.code, r.stderr)
	}
	if n := w.op.Requests.Load() - before; n != 0 {
		t.Fatalf("restoring from the keyring made %d requests", n)
	}
	if w.token("ring").AccessToken != want {
		t.Fatalf("file not restored from the keyring")
	}
	// A damaged file is replaced by the keyring copy too.
	os.WriteFile(w.tokenDir+"/.ring-token", []byte("{half a fi"), 0o600)
	if r = w.run(append([]string{"token", "--non-interactive"}, svc...)...); r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Fatalf("damaged file: exit %d\n%s", r.code, r.stderr)
	}
	if r = w.run(append([]string{"logout"}, svc...)...); r.code != 0 {
		t.Fatalf("logout: %s", r.stderr)
	}
	if _, err := os.Stat(w.tokenDir + "/.ring-token"); err == nil {
		t.Fatal("file survived logout")
	}
	r = w.run(append([]string{"token", "--non-interactive"}, svc...)...)
	if r.code != 3 {
		t.Fatalf("after logout the keyring still had a token: exit %d\n%s", r.code, r.stderr)
	}
}

// keyring-only mode writes no file and still refreshes.
func TestKeyringOnly(t *testing.T) {
	w := newWorld(t, 62*time.Second) // usable for ~1 s
	w.env = append(w.env, startKeyring(t)...)
	svc := append(w.service("secret"), "--keyring-only")
	r := w.run(append([]string{"token", "--save"}, svc...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "in the OS keyring") {
		t.Fatalf("login: exit %d\n%s", r.code, r.stderr)
	}
	first := strings.TrimSpace(r.stdout)
	time.Sleep(2 * time.Second)
	before := w.op.Count("/oauth/token refresh_token")
	r = w.run(append([]string{"token", "--non-interactive"}, svc...)...)
	if r.code != 0 || strings.TrimSpace(r.stdout) == first || r.stderr != "" {
		t.Fatalf("refresh: exit %d\n%s", r.code, r.stderr)
	}
	if w.op.Count("/oauth/token refresh_token")-before != 1 {
		t.Fatal("keyring-only token was not refreshed exactly once")
	}
	entries, _ := os.ReadDir(w.tokenDir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), "-token") {
			t.Fatalf("keyring-only mode wrote %s", e.Name())
		}
	}
	// status lists keyring-only services named in the config file.
	cfg := w.home + "/.config/oauth2cred"
	os.MkdirAll(cfg, 0o700)
	os.WriteFile(cfg+"/config.toml", []byte("[services.secret]\nclient_id = \"native\"\nissuer = \""+w.op.Issuer+"\"\nstorage = \"keyring\"\n"), 0o600)
	st, r := w.status()
	if e := st["secret/default"]; r.code != 0 || e.Identity == "" || e.File != "" || !e.Keyring || e.Expiry == nil || strings.Contains(r.stdout, first) {
		t.Fatalf("status: %q\n%s", r.stdout, r.stderr)
	}
}

// no Secret Service: one warning, the file works, fast.
func TestNoKeyringWarnsOnce(t *testing.T) {
	w := newWorld(t, 0)
	w.env = append(w.env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+w.home+"/no-such-bus")
	svc := append(w.service("nokey"), "--keyring")
	start := time.Now()
	r := w.run(append([]string{"token", "--save"}, svc...)...)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	// In the person's terms, not D-Bus's ("exec: dbus-launch…", "dial unix…").
	if n := strings.Count(r.stderr, "oauth2cred: warning:"); n != 1 || !strings.Contains(r.stderr, "no Secret Service on this session's D-Bus") ||
		strings.Contains(r.stderr, "dial unix") || strings.Contains(r.stderr, "dbus-launch") {
		t.Fatalf("want exactly one keyring warning, got %d:\n%s", n, r.stderr)
	}
	w.token("nokey")
	// A later call with the file in place never touches the keyring.
	start = time.Now()
	r = w.run(append([]string{"token"}, svc...)...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("cached: exit %d\n%s", r.code, r.stderr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	// A missing file with a dead bus: one warning, exit 3 (nothing anywhere), within 2 s.
	os.Remove(w.tokenDir + "/.nokey-token")
	start = time.Now()
	r = w.run(append([]string{"token", "--non-interactive"}, svc...)...)
	if r.code != 3 || strings.Count(r.stderr, "warning:") != 1 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v", d)
	}
	// --keyring-only without a keyring says how to go back to the file.
	r = w.run(append([]string{"token", "--non-interactive", "--keyring-only"}, w.service("nokey")...)...)
	if r.code != 1 || !strings.Contains(r.stderr, `lives only in the OS keyring (storage = "keyring"), and no OS keyring answered (no Secret Service on this session's D-Bus, or it is locked)`) ||
		!strings.Contains(r.stderr, `remove storage = "keyring" (or --keyring-only) to keep it in a file`) || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("keyring-only without a keyring: exit %d\n%s", r.code, r.stderr)
	}
}
