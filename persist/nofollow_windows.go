//go:build windows

package persist

import (
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// openNoFollow opens path without following a final symbolic link (a
// reparse point is opened as itself, and then refused as not a regular
// file) and shares it for deletion: a save renames its new file over the
// token file while another process reads it, which Windows refuses for a
// file opened as os.OpenFile does (without FILE_SHARE_DELETE).
func openNoFollow(path string, flag int) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	var access uint32
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_RDONLY:
		access = windows.GENERIC_READ
	case os.O_WRONLY:
		access = windows.GENERIC_WRITE
	default:
		access = windows.GENERIC_READ | windows.GENERIC_WRITE
	}
	var create uint32
	switch {
	case flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		create = windows.CREATE_NEW
	case flag&os.O_CREATE != 0 && flag&os.O_TRUNC != 0:
		create = windows.CREATE_ALWAYS
	case flag&os.O_CREATE != 0:
		create = windows.OPEN_ALWAYS
	case flag&os.O_TRUNC != 0:
		create = windows.TRUNCATE_EXISTING
	default:
		create = windows.OPEN_EXISTING
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE | windows.FILE_SHARE_DELETE)
	// A save's rename holds the file for an instant; where the file system
	// cannot rename POSIX-style (Wine), an open in that instant is a
	// sharing violation: try again for a while.
	var h windows.Handle
	err = whileBusy(func(err error) bool { return err == windows.ERROR_SHARING_VIOLATION }, func() (err error) {
		h, err = windows.CreateFile(p, access, share, nil, create, windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

const noFollowFlags = 0

// ownerOf: Windows has no Unix owner; checkOwned reads the access list.
func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

func inodeOf(fs.FileInfo) (uint64, bool) { return 0, false }
