package integration

import (
	"fmt"
	"oauth2cred/integration/op"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// otherUser is a throwaway local user, for tests about what another user
// on the machine can do to our files. It needs root (CI runs as root).
type otherUser struct {
	name     string
	uid, gid int
}

func newOtherUser(t *testing.T) *otherUser {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("the other-user tests need root to create a throwaway user; CI runs as root")
		}
		t.Skip("SKIPPED LOUDLY: the other-user tests need root (CI runs them as root)")
	}
	for _, tool := range []string{"useradd", "userdel", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (passwd and util-linux provide it)", tool)
		}
	}
	name := fmt.Sprintf("o2c%d", time.Now().UnixNano()%1_000_000_000)
	if out, err := exec.Command("useradd", "-M", "-s", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	id := func(flag string) int {
		out, err := exec.Command("id", flag, name).Output()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		return n
	}
	return &otherUser{name: name, uid: id("-u"), gid: id("-g")}
}

// canReach opens dir and its parents (test temporary directories are 0700)
// for the other user to pass through.
func (u *otherUser) canReach(dir string) {
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
}

// as runs a command as the other user.
func (u *otherUser) as(t *testing.T, name string, args ...string) {
	t.Helper()
	full := append([]string{"--reuid=" + u.name, "--regid=" + u.name, "--clear-groups", "--", name}, args...)
	if out, err := exec.Command("setpriv", full...).CombinedOutput(); err != nil {
		t.Fatalf("as %s: %s %v: %v %s", u.name, name, args, err, out)
	}
}

// what another local user plants in or around the token
// directory is refused at once with the fix, never waited on or trusted.
func TestOtherUserCannotPlantFiles(t *testing.T) {
	u := newOtherUser(t)
	w := newWorld(t, 0)
	shared := filepath.Join(w.home, "shared")
	os.Mkdir(shared, 0o700)
	os.Chmod(shared, 0o777) // as a careless --token-dir on a shared disk
	u.canReach(w.home)
	tokenFile := filepath.Join(shared, ".p-token")
	u.as(t, "mkfifo", tokenFile)
	u.as(t, "ln", "-s", "/etc/passwd", tokenFile+".lock")
	svc := append(w.service("p"), "--token-dir", shared, "--non-interactive")
	check := func(what, want string, code int) {
		t.Helper()
		start := time.Now()
		r := w.run(append([]string{"token"}, svc...)...)
		if r.code != code || !strings.Contains(r.stderr, want) || time.Since(start) > 2*time.Second {
			t.Fatalf("%s: exit %d after %v, want %d and %q\n%s", what, r.code, time.Since(start), code, want, r.stderr)
		}
	}
	check("a directory others can write to", "is writable by others (mode 0777); run 'chmod go-w "+shared+"'", 1)
	os.Chmod(shared, 0o700)
	check("another user's FIFO at the token path", "is not a regular file", 1)
	os.Remove(tokenFile)
	u.as(t, "sh", "-c", "true")
	os.WriteFile(tokenFile, []byte(`{"access_token":"planted-token-1234","token_type":"Bearer","client_id":"native"}`), 0o600)
	os.Chown(tokenFile, u.uid, u.gid)
	check("another user's token file", fmt.Sprintf("belongs to another user (uid %d)", u.uid), 1)
	os.Remove(tokenFile)
	check("a symlinked lock file", "lock file "+tokenFile+".lock is not a regular file", 1)
	os.Remove(tokenFile + ".lock")
	os.WriteFile(tokenFile+".lock", nil, 0o600)
	os.Chown(tokenFile+".lock", u.uid, u.gid)
	check("another user's lock file", fmt.Sprintf("%s.lock belongs to another user (uid %d)", tokenFile, u.uid), 1)
	os.Remove(tokenFile + ".lock")
	os.Chown(shared, u.uid, u.gid)
	check("another user's directory", fmt.Sprintf("%s belongs to another user (uid %d); if it is yours, run 'chown", shared, u.uid), 1)
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Fatal(err)
	}
}

// The other way round: oauth2cred run by the other user on our
// token directory refuses it instead of reading or writing there.
func TestOtherUserRunningOnOurDirectory(t *testing.T) {
	u := newOtherUser(t)
	w := newWorld(t, 0)
	if r := w.run(append([]string{"token", "--save"}, w.service("mine")...)...); r.code != 0 {
		t.Fatal(r.stderr)
	}
	u.canReach(w.home)
	os.Chmod(w.tokenDir, 0o755)
	exe := filepath.Join(w.home, "oauth2cred")
	b, _ := os.ReadFile(bin.oauth2cred)
	os.WriteFile(exe, b, 0o755)
	out, err := exec.Command("setpriv", "--reuid="+u.name, "--regid="+u.name, "--clear-groups", "--",
		"env", "HOME=/nonexistent", exe, "token", "--service", "mine", "--token-dir", w.tokenDir, "--non-interactive").CombinedOutput()
	w.recordStderr(string(out))
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 1 || !strings.Contains(string(out), fmt.Sprintf("%s belongs to another user (uid 0)", w.tokenDir)) {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var st syscall.Stat_t
	if syscall.Stat(filepath.Join(w.tokenDir, ".mine-token.lock"), &st) == nil && int(st.Uid) == u.uid {
		t.Fatal("the other user created a lock file in our directory")
	}
}

// .ci/run as a user who cannot install, with no git >= 2.46:
// one line saying what to run, before any work.
func TestCIRunAsNonRootSaysWhatToRun(t *testing.T) {
	u := newOtherUser(t)
	dir := t.TempDir()
	u.canReach(dir)
	os.Mkdir(filepath.Join(dir, ".ci"), 0o755)
	script, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".ci", "run"), script, 0o755)
	out, err := exec.Command("setpriv", "--reuid="+u.name, "--regid="+u.name, "--clear-groups", "--",
		"env", "OAUTH2CRED_NEW_GIT=/nonexistent/git", "PATH="+os.Getenv("PATH"), "HOME="+dir, "bash", filepath.Join(dir, ".ci", "run")).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 ||
		!strings.Contains(string(out), "ci: no git >= 2.46 at /nonexistent/git; run 'sudo bash .ci/run' once (it builds git 2.47 into /opt/git-2.47), or set OAUTH2CRED_NEW_GIT=/path/to/git") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// Another local user's FIFO named .git above the token directory (in a
// shared /tmp, say) is no work tree: a save below it completes at once,
// neither reading it nor waiting on it while the service lock is held.
func TestOtherUsersFIFOAboveTokenDir(t *testing.T) {
	u := newOtherUser(t)
	w := newWorld(t, 0)
	shared := filepath.Join(w.home, "tmp")
	os.Mkdir(shared, 0o777)
	os.Chmod(shared, 0o1777)
	u.canReach(w.home)
	u.as(t, "mkfifo", filepath.Join(shared, ".git"))
	tokens := filepath.Join(shared, "tokens")
	os.Mkdir(tokens, 0o700)
	secret := filepath.Join(w.home, "secret")
	os.WriteFile(secret, []byte(op.ServiceKey), 0o600)
	start := time.Now()
	r := w.run("token", "--service", "ci", "--issuer", w.op.Issuer, "--flow", "client-credentials", "--client-id", op.ServiceID,
		"--client-secret-file", secret, "--save", "--token-dir", tokens)
	if r.code != 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("a save below another user's FIFO .git: exit %d after %v\n%s", r.code, time.Since(start), r.stderr)
	}
	if _, err := os.Stat(filepath.Join(tokens, ".ci-token")); err != nil {
		t.Fatal("not saved")
	}
}
