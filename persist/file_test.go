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

func sample() *Token {
	return &Token{AccessToken: "at", TokenType: "Bearer", RefreshToken: "rt", Expiry: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), ClientID: "c"}
}

func TestSaveLoad(t *testing.T) {
	d := Dir{Path: filepath.Join(t.TempDir(), "state", "oauth2cred")}
	if _, err := d.Load("svc"); err != ErrNotFound {
		t.Fatalf("missing: %v", err)
	}
	if err := d.Save("svc", sample()); err != nil {
		t.Fatal(err)
	}
	got, err := d.Load("svc")
	if err != nil || got.AccessToken != "at" || !got.Expiry.Equal(sample().Expiry) {
		t.Fatalf("%+v %v", got, err)
	}
	st, _ := os.Stat(d.File("svc"))
	dst, _ := os.Stat(d.Path)
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Fatalf("modes %v %v", st.Mode(), dst.Mode())
	}
	raw, _ := os.ReadFile(d.File("svc"))
	for _, key := range []string{`"access_token"`, `"token_type"`, `"refresh_token"`, `"expiry": "2030-01-01T00:00:00Z"`, `"client_id"`} {
		if !strings.Contains(string(raw), key) {
			t.Fatalf("file lacks %s:\n%s", key, raw)
		}
	}
	names, _ := d.Services()
	if len(names) != 1 || names[0] != "svc" {
		t.Fatalf("services %v", names)
	}
	entries, _ := os.ReadDir(d.Path)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Fatalf("temporary file left: %s", e.Name())
		}
	}
	if err := d.Delete("svc"); err != nil || d.Delete("svc") != nil {
		t.Fatal("delete")
	}
}

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

// FuzzDecode: no token file content panics, and what decodes encodes and
// decodes to the same token.
func FuzzDecode(f *testing.F) {
	b, _ := sample().Encode()
	f.Add(b)
	f.Add([]byte(`{"refresh_token":"r","expiry":"not a time"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Decode(data)
		if err != nil {
			return
		}
		again, err := tok.Encode()
		if err != nil {
			t.Fatal(err)
		}
		tok2, err := Decode(again)
		if err != nil || tok2.AccessToken != tok.AccessToken || tok2.RefreshToken != tok.RefreshToken || !tok2.Expiry.Equal(tok.Expiry) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// Issue 12.10: the sweep of temporary files takes only this service's own
// temporary names, and Save keeps the 1 MiB bound that Load has.
func TestSweepAndSaveBound(t *testing.T) {
	d := privateDir(t)
	d.Save("x-token.tmp5", sample())
	own := filepath.Join(d.Path, ".x-token.tmp123")
	os.WriteFile(own, nil, 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(own, old, old)
	os.Chtimes(d.File("x-token.tmp5"), old, old)
	d.Save("x", sample())
	if _, err := os.Stat(own); err == nil {
		t.Fatal("a stale temporary file of x was left")
	}
	if _, err := d.Load("x-token.tmp5"); err != nil {
		t.Fatalf("the sweep of x took another service's file: %v", err)
	}
	big := sample()
	big.IDToken = strings.Repeat("i", maxFileSize)
	if err := d.Save("x", big); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("saved %d bytes: %v", maxFileSize, err)
	}
	if got, err := d.Load("x"); err != nil || got.IDToken != "" {
		t.Fatal("the refused save changed the file")
	}
}

// Issue 12.8: a FIFO at the token path is refused at once, not opened for
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

// privateDir is a token directory as the store makes one: 0700 (a
// directory others can list is refused, and t.TempDir's is 0755).
func privateDir(t *testing.T) Dir {
	t.Helper()
	d := Dir{Path: t.TempDir()}
	if err := os.Chmod(d.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// Issue 21.11: a token directory others can list is refused with the fix
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
