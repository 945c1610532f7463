//go:build unix

package persist

import (
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens path without following a final symbolic link and
// without blocking on a FIFO; the caller checks what it opened.
func openNoFollow(path string, flag int) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0o600)
}

// noFollowFlags are the open flags of lock files.
const noFollowFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC

func ownerOf(st fs.FileInfo) (int, bool) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return int(sys.Uid), true
	}
	return 0, false
}

func inodeOf(st fs.FileInfo) (uint64, bool) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return uint64(sys.Ino), true
	}
	return 0, false
}
