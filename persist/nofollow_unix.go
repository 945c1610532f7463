//go:build unix

package persist

import "syscall"

const syscallNoFollow = syscall.O_NOFOLLOW
