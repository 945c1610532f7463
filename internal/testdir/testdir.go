// Package testdir gives tests a temporary directory that is removed after
// them on every system: under Wine, Go 1.26's os.RemoveAll (which
// t.TempDir uses) fails on files ("Invalid function": Wine 8 lacks
// FILE_DISPOSITION_INFORMATION_EX), so the directory is removed entry by
// entry with os.Remove, which Wine serves. Only tests import it.
package testdir

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// New makes a directory removed when t ends.
func New(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "oauth2cred-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.RemoveAll(dir) == nil {
			return
		}
		var paths []string
		filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
			paths = append(paths, p)
			return nil
		})
		sort.Sort(sort.Reverse(sort.StringSlice(paths))) // children before parents
		for _, p := range paths {
			os.Remove(p)
		}
	})
	return dir
}
