//go:build !unix && !windows

package persist

import (
	"io/fs"
	"os"
)

func openNoFollow(path string, flag int) (*os.File, error) { return os.OpenFile(path, flag, 0o600) }

const noFollowFlags = 0

// ownerOf: no Unix owner to compare on this system.
func ownerOf(fs.FileInfo) (int, bool) { return 0, false }

func inodeOf(fs.FileInfo) (uint64, bool) { return 0, false }
