package persist

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// ErrNotFound reports that nothing is saved for a service.
var ErrNotFound = errors.New("no saved token")

// ErrUnsafe marks a token file, directory or lock file that must not be used
// or replaced silently: readable or writable by others, owned by another
// user, a symbolic link, or not a regular file.
var ErrUnsafe = errors.New("unsafe token file")

func unsafe(format string, a ...any) error {
	return &unsafeError{"unsafe token file: " + fmt.Sprintf(format, a...)}
}

// unsafeFor is unsafe, naming a directory as one.
func unsafeFor(st fs.FileInfo, format string, a ...any) error {
	if st != nil && st.IsDir() {
		return &unsafeError{"unsafe token directory: " + fmt.Sprintf(format, a...)}
	}
	return unsafe(format, a...)
}

// unsafeError is an ErrUnsafe that says what it is about.
type unsafeError struct{ msg string }

func (e *unsafeError) Error() string        { return e.msg }
func (e *unsafeError) Is(target error) bool { return target == ErrUnsafe }

// Dir is a directory of token files, one `.<service>-token` per service.
type Dir struct {
	Path string
	// Shared: the person chose a directory that holds other things too
	// (the seed's --token-dir .), so that others may list it is theirs to
	// judge (Listable tells, for a warning); a token directory of its own
	// must not be listable.
	Shared bool
}

// File returns the token file path for service.
func (d Dir) File(service string) string {
	return filepath.Join(d.Path, "."+service+"-token")
}

// Load reads the saved token of service. It refuses files that are not
// regular files owned by the user and closed to others, since a token
// readable by others has leaked already and one planted by others is not
// ours. The file is opened without following links and without blocking
// (a FIFO planted there must not hang the call), then checked as opened.
func (d Dir) Load(service string) (*Token, error) {
	if err := d.checkDir(); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	return d.load(service, true)
}

// LoadUnchecked reads the token file even when it is readable by others or
// not the user's, for logout to revoke what leaked. Links are still not
// followed and only a regular file is read.
func (d Dir) LoadUnchecked(service string) (*Token, error) {
	return d.load(service, false)
}

func (d Dir) load(service string, checked bool) (*Token, error) {
	path := d.File(service)
	f, err := openNoFollow(path, os.O_RDONLY)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		if isSymlink(path) {
			return nil, unsafe("%s is a symbolic link; remove it and sign in again", path)
		}
		return nil, fmt.Errorf("cannot read token file: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read token file: %v", err)
	}
	if !st.Mode().IsRegular() {
		return nil, unsafe("%s is not a regular file; remove it and sign in again", path)
	}
	if checked {
		if err := checkOwned(path, st, 0o077, "chmod 600"); err != nil {
			return nil, err
		}
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

func leakAdvice(st fs.FileInfo) string {
	if st.IsDir() {
		return ""
	}
	return " and revoke the token if others could read it ('oauth2cred logout' does)"
}

// checkDir refuses a token directory that another user owns, can write to
// (whoever can write there can plant or swap token files) or can list (the
// names of the files tell which services and accounts a person uses; SPEC
// §6). Passing through (0711) is allowed.
func (d Dir) checkDir() error {
	st, err := os.Stat(d.Path)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("token directory %s is not a directory", d.Path)
	}
	if err := checkOwned(d.Path, st, 0o022, "chmod go-w"); err != nil || d.Shared {
		return err
	}
	return checkOwned(d.Path, st, 0o044, "chmod go-r")
}

// Listable reports whether others can list the directory's file names.
func (d Dir) Listable() bool {
	st, err := os.Stat(d.Path)
	return err == nil && checkOwned(d.Path, st, 0o044, "chmod go-r") != nil
}

// Save writes the token of service atomically: a temporary file in the same
// directory, fsync, rename, fsync of the directory. A crash at any point
// leaves either the old file or the new one, never a partial one.
func (d Dir) Save(service string, t *Token) error {
	data, err := t.Encode()
	if err != nil {
		return err
	}
	if len(data) > maxFileSize {
		return fmt.Errorf("the token of %q is %d bytes, more than the %d a token file may hold; the server's answer is not a sane token", service, len(data), maxFileSize)
	}
	if err := d.ensure(); err != nil {
		return err
	}
	path := d.File(service)
	if st, err := os.Lstat(path); err == nil {
		if !st.Mode().IsRegular() {
			return unsafe("%s is not a regular file; remove it and try again", path)
		}
		if uid, ok := ownerOf(st); ok && uid != os.Geteuid() {
			return checkOwned(path, st, 0, "")
		}
	}
	// The temporary name is one Sweep knows to be this service's.
	if err := replace(path, "."+service+"-token.tmp*", data, 0o600); err != nil {
		return fmt.Errorf("cannot write token file %s: %v", path, err)
	}
	os.Remove(path + ".refused") // a new token: nothing known refused
	d.Sweep(service, time.Minute)
	return nil
}

// Sweep removes temporary files of service that a killed writer left
// behind, older than age (a concurrent writer's file is seconds old at
// most). Only this service's own temporary names match: a service named
// "x-token.tmp5" is not the temporary file of a service "x".
func (d Dir) Sweep(service string, age time.Duration) {
	re := regexp.MustCompile(`^\.` + regexp.QuoteMeta(service) + `-token\.tmp[0-9]+$`)
	entries, _ := os.ReadDir(d.Path)
	for _, e := range entries {
		if !re.MatchString(e.Name()) {
			continue
		}
		f := filepath.Join(d.Path, e.Name())
		if st, err := os.Lstat(f); err == nil && time.Since(st.ModTime()) >= age {
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

// Services lists the names that have a token file in the directory.
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

// ensure creates the directory with mode 0700 when it does not exist, and
// refuses one that others own or can write to.
func (d Dir) ensure() error {
	if err := mkdirPrivate(d.Path); err != nil {
		return fmt.Errorf("cannot create token directory: %v", err)
	}
	if err := d.checkDir(); err != nil {
		if errors.Is(err, ErrUnsafe) {
			return err
		}
		return fmt.Errorf("cannot use token directory: %v", err)
	}
	return nil
}

// WriteAtomic replaces the file at path with data, of mode mode: a reader,
// and a crash, see the old file or the new one, never a part of either.
func WriteAtomic(path string, data []byte, mode os.FileMode) error {
	return replace(path, "."+filepath.Base(path)+".tmp*", data, mode)
}

// replace writes data to a temporary file beside path, named by pattern
// (os.CreateTemp's), and renames it over path once every byte is on disk.
// The mode is set before the first byte is written.
func replace(path, pattern string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), pattern)
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	for _, step := range []func() error{
		func() error { return tmp.Chmod(mode) },
		func() error { _, err := tmp.Write(data); return err },
		tmp.Sync,
		tmp.Close,
		func() error { return renameOver(tmp.Name(), path) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	done = true
	syncDir(filepath.Dir(path))
	return nil
}

// renameOver renames from over to, in one directory, through os.Root: on
// Windows that is a POSIX rename, which replaces a file another process
// has open. Where the file system cannot (Wine, FAT), Windows refuses while
// a reader holds the file, and the rename is tried again for a while: a
// reader holds it for microseconds.
func renameOver(from, to string) error {
	root, err := os.OpenRoot(filepath.Dir(to))
	if err != nil {
		return err
	}
	defer root.Close()
	busy := func(err error) bool { return runtime.GOOS == "windows" && errors.Is(err, fs.ErrPermission) }
	return whileBusy(busy, func() error { return root.Rename(filepath.Base(from), filepath.Base(to)) })
}

// whileBusy runs try, and again for up to 2 s while its error is one that
// busy says another process's brief hold on the file explains (Windows'
// sharing rules where a POSIX rename is missing).
func whileBusy(busy func(error) bool, try func() error) error {
	deadline := time.Now().Add(2 * time.Second)
	err := try()
	for err != nil && busy(err) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		err = try()
	}
	return err
}

func syncDir(path string) {
	if f, err := os.Open(path); err == nil {
		f.Sync()
		f.Close()
	}
}

func isSymlink(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && st.Mode()&fs.ModeSymlink != 0
}

// Check reports what is wrong with the directory, if anything: nil when it
// is fine or does not exist yet.
func (d Dir) Check() error {
	err := d.checkDir()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
