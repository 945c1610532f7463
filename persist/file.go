package persist

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrNotFound reports that nothing is saved for a service.
var ErrNotFound = errors.New("no saved token")

// ErrUnsafe marks a token file that must not be used or replaced silently:
// readable by others, a symbolic link, or not a regular file.
var ErrUnsafe = errors.New("unsafe token file")

func unsafe(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsafe}, a...)...)
}

// Dir is a directory of token files, one `.<service>-token` per service.
type Dir struct {
	Path string
}

// File returns the token file path for service.
func (d Dir) File(service string) string {
	return filepath.Join(d.Path, "."+service+"-token")
}

// Load reads the saved token of service. It refuses files that are not
// regular files owned-only by the user, since a token readable by others has
// leaked already.
func (d Dir) Load(service string) (*Token, error) {
	path := d.File(service)
	f, err := os.OpenFile(path, os.O_RDONLY|syscallNoFollow, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		if isSymlinkErr(path) {
			return nil, unsafe("%s is a symbolic link; remove it and log in again", path)
		}
		return nil, fmt.Errorf("cannot read token file: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read token file: %v", err)
	}
	if !st.Mode().IsRegular() {
		return nil, unsafe("%s is not a regular file; remove it and log in again", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, unsafe("%s is readable by others (mode %04o); run 'chmod 600 %s' and revoke the token if others could read it", path, st.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read token file: %v", err)
	}
	t, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("token file %s is damaged (%v); run 'oauth2cred login --service %s' to replace it", path, err, service)
	}
	return t, nil
}

// Save writes the token of service atomically: a temporary file in the same
// directory, fsync, rename, fsync of the directory. A crash at any point
// leaves either the old file or the new one, never a partial one.
func (d Dir) Save(service string, t *Token) error {
	data, err := t.Encode()
	if err != nil {
		return err
	}
	if err := d.ensure(); err != nil {
		return err
	}
	path := d.File(service)
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return unsafe("%s is not a regular file; remove it and try again", path)
	}
	tmp, err := os.CreateTemp(d.Path, "."+service+"-token.tmp*")
	if err != nil {
		return fmt.Errorf("cannot write token file: %v", err)
	}
	tmpName := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("cannot write token file: %v", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("cannot write token file: %v", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("cannot write token file: %v", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write token file: %v", err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("cannot write token file: %v", err)
	}
	ok = true
	syncDir(d.Path)
	d.sweep(service)
	return nil
}

// sweep removes temporary files that a killed writer left behind. Only old
// ones: a concurrent writer's file is seconds old at most.
func (d Dir) sweep(service string) {
	stale, _ := filepath.Glob(filepath.Join(d.Path, "."+service+"-token.tmp*"))
	for _, f := range stale {
		if st, err := os.Lstat(f); err == nil && time.Since(st.ModTime()) > time.Minute {
			os.Remove(f)
		}
	}
}

// Delete removes the token file of service; a missing file is not an error.
func (d Dir) Delete(service string) error {
	err := os.Remove(d.File(service))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot delete token file: %v", err)
	}
	return nil
}

// Services lists the services that have a token file in the directory.
func (d Dir) Services() ([]string, error) {
	entries, err := os.ReadDir(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot list token directory: %v", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") && strings.HasSuffix(n, "-token") && len(n) > len(".-token") {
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(n, "."), "-token"))
		}
	}
	return names, nil
}

// Lock takes the exclusive lock of service, waiting until ctx is done. The
// lock is an flock(2) on `.<service>-token.lock`, so the kernel releases it
// when its holder dies: a stale lock file never blocks anyone.
func (d Dir) Lock(ctx context.Context, service string) (unlock func(), err error) {
	if err := d.ensure(); err != nil {
		return nil, err
	}
	path := d.File(service) + ".lock"
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("lock file %s is not a regular file; remove it and try again", path)
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	locked, err := l.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil || !locked {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("gave up waiting for another oauth2cred working on %q (lock %s)", service, path)
		}
		return nil, fmt.Errorf("cannot lock %s: %v", path, err)
	}
	return func() { l.Unlock() }, nil
}

// ensure creates the directory with mode 0700 when it does not exist, and
// refuses one that others can enter.
func (d Dir) ensure() error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return fmt.Errorf("cannot create token directory: %v", err)
	}
	st, err := os.Stat(d.Path)
	if err != nil {
		return fmt.Errorf("cannot use token directory: %v", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("token directory %s is not a directory", d.Path)
	}
	return nil
}

func syncDir(path string) {
	if f, err := os.Open(path); err == nil {
		f.Sync()
		f.Close()
	}
}

func isSymlinkErr(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode()&fs.ModeSymlink != 0
}
