//go:build unix

package helper

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A write that fails (here: past the file size limit, EFBIG, as on a full
// disk) leaves the file that was there, and says so: docker's config.json
// and the kubeconfig are replaced only by a complete new file. The write
// runs in a child process, whose limit does not touch the other tests.
func TestWriteAtomicKeepsTheFileWhenAWriteFails(t *testing.T) {
	if dir := os.Getenv("OAUTH2CRED_TEST_FSIZE_DIR"); dir != "" {
		// Only the soft limit, and only for the write: the child's own
		// files afterwards (go test -cover's coverage data) are written
		// under the old limit.
		var old syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
		limit := old
		limit.Cur = 4096
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limit); err != nil {
			t.Fatal(err)
		}
		err := writeAtomic(filepath.Join(dir, "config.json"), []byte(strings.Repeat("x", 64<<10)), 0o600)
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Fatal(err)
		}
		if err == nil {
			t.Fatal("a write past the size limit was reported as done")
		}
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	const before = `{"credHelpers": {"registry.example.com": "desktop"}}`
	os.WriteFile(path, []byte(before), 0o600)
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteAtomicKeepsTheFileWhenAWriteFails$")
	cmd.Env = append(os.Environ(), "OAUTH2CRED_TEST_FSIZE_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(path); string(got) != before {
		t.Fatalf("the file was replaced by %d bytes of a failed write", len(got))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
