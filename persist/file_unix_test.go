//go:build unix

package persist

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Mode bits, FIFOs and flock(1): the Unix side of the store's rules.

func TestLoadRefusesUnsafeFiles(t *testing.T) {
	d := privateDir(t)
	d.Save("loose", sample())
	os.Chmod(d.File("loose"), 0o640)
	os.Mkdir(d.File("dir"), 0o700)
	os.WriteFile(filepath.Join(d.Path, "elsewhere"), []byte(`{"access_token":"x"}`), 0o600)
	os.Symlink(filepath.Join(d.Path, "elsewhere"), d.File("link"))
	os.WriteFile(d.File("torn"), []byte(`{"access_token":"x`), 0o600)
	os.WriteFile(d.File("empty"), nil, 0o600)
	os.WriteFile(d.File("huge"), []byte(strings.Repeat(" ", maxFileSize+10)), 0o600)
	for name, want := range map[string]string{
		"loose": "chmod 600",
		"dir":   "not a regular file",
		"link":  "symbolic link",
		"torn":  "damaged",
		"empty": "damaged",
		"huge":  "larger than",
	} {
		if _, err := d.Load(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", name, err, want)
		}
	}
	// Saving over a symlink or directory is refused too, and the target is untouched.
	if err := d.Save("link", sample()); err == nil {
		t.Error("saved through a symlink")
	}
	if b, _ := os.ReadFile(filepath.Join(d.Path, "elsewhere")); string(b) != `{"access_token":"x"}` {
		t.Error("symlink target changed")
	}
	if err := d.Save("dir", sample()); err == nil {
		t.Error("saved over a directory")
	}
}

func TestLockIsExclusiveAndDiesWithItsHolder(t *testing.T) {
	d := privateDir(t)
	unlock, err := d.Lock(context.Background(), "svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if _, err := d.Lock(ctx, "svc", nil); err == nil || !strings.Contains(err.Error(), "gave up waiting") {
		t.Fatalf("second lock: %v", err)
	}
	cancel()
	unlock()
	// A process that dies holding the lock does not block the next one.
	// -o: the lock stays with flock(1) itself, not with its sleeping child.
	cmd := exec.Command("flock", "-o", d.File("svc")+".lock", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatalf("flock(1) from util-linux: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	cmd.Process.Kill()
	cmd.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	unlock, err = d.Lock(ctx, "svc", nil)
	if err != nil {
		t.Fatalf("lock after the holder died: %v", err)
	}
	unlock()
}

// a FIFO at the token path is refused at once, not opened for
// a writer that never comes; a directory writable by others is refused.
func TestFIFOAndOpenDirectoryRefused(t *testing.T) {
	d := privateDir(t)
	if err := syscall.Mkfifo(d.File("f"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := d.Load("f"); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnsafe) {
			t.Fatalf("FIFO: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Load blocked on a FIFO")
	}
	os.Chmod(d.Path, 0o777)
	if _, err := d.Load("f"); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "chmod go-w") {
		t.Fatalf("open directory: %v", err)
	}
	if err := d.Save("g", sample()); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("saved into an open directory: %v", err)
	}
}

// a token directory others can list is refused with the fix
// (its file names tell which services and accounts are used); one they
// may only pass through is fine.
func TestDirectoryReadableByOthersRefused(t *testing.T) {
	d := privateDir(t)
	if err := d.Save("s", sample()); err != nil {
		t.Fatal(err)
	}
	os.Chmod(d.Path, 0o755)
	if _, err := d.Load("s"); !errors.Is(err, ErrUnsafe) || !strings.Contains(err.Error(), "readable by others") || !strings.Contains(err.Error(), "chmod go-r") {
		t.Fatalf("0755: %v", err)
	}
	if err := d.Save("s", sample()); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("saved into a listable directory: %v", err)
	}
	os.Chmod(d.Path, 0o711)
	if _, err := d.Load("s"); err != nil {
		t.Fatalf("0711: %v", err)
	}
	// The seed's --token-dir . names a directory that holds other things.
	os.Chmod(d.Path, 0o755)
	d.Shared = true
	if _, err := d.Load("s"); err != nil || !d.Listable() {
		t.Fatalf("shared 0755: %v", err)
	}
}
