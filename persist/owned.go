package persist

import (
	"fmt"
	"os"
)

// Files outside the token directory that a save touches (a work tree's
// .git/info/exclude) are used only when they are the user's own: not a
// link, not another user's, a regular file or directory — as git's
// safe.directory trusts only a repository its user owns.

// OwnedDir checks that path is a directory of the user's, not a link.
func OwnedDir(path string) error {
	st, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory (a link or a file)", path)
	}
	return checkOwned(path, st, 0o022, "chmod go-w")
}

// OpenOwned opens path (flag as for os.OpenFile; created 0644 when asked)
// without following a link or blocking on a FIFO, and refuses anything but
// the user's own regular file.
func OpenOwned(path string, flag int) (*os.File, error) {
	f, err := os.OpenFile(path, flag|noFollowFlags, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file", path)
	}
	if err == nil {
		err = checkOwned(path, st, 0o022, "chmod go-w")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
