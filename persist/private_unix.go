//go:build !windows

package persist

import (
	"io/fs"
	"os"
)

// checkOwned refuses a file or directory owned by another user or open to
// others in the bits of forbidden; fix is the chmod that mends the mode.
// Every check of the store's privacy goes through it (Windows:
// private_windows.go).
func checkOwned(path string, st fs.FileInfo, forbidden fs.FileMode, fix string) error {
	if uid, ok := ownerOf(st); ok && uid != os.Geteuid() {
		return unsafeFor(st, "%s belongs to another user (uid %d); if it is yours, run 'chown %d %s', else remove it", path, uid, os.Geteuid(), path)
	}
	if perm := st.Mode().Perm(); perm&forbidden != 0 {
		what := "readable by others"
		if forbidden == 0o022 {
			what = "writable by others"
		}
		return unsafeFor(st, "%s is %s (mode %04o); run '%s %s'%s", path, what, st.Mode().Perm(), fix, path, leakAdvice(st))
	}
	return nil
}

// mkdirPrivate makes the directory (and its parents) only its owner may
// enter.
func mkdirPrivate(path string) error { return os.MkdirAll(path, 0o700) }
