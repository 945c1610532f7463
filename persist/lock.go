package persist

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrLockWait reports that the lock was not had in time; its message names
// the lock file and, where the system says, the holder's pid.
var ErrLockWait = errors.New("lock wait")

// Lock takes the exclusive lock of service. The lock is an flock(2) on
// `.<service>-token.lock`, so the kernel releases it when its holder dies:
// a stale lock file never blocks anyone. While it waits, onWait is asked
// every few milliseconds whether to go on: its error ends the wait. ctx
// bounds the wait; the error then names the holder.
func (d Dir) Lock(ctx context.Context, service string, onWait func() error) (unlock func(), err error) {
	return d.flock(ctx, d.File(service)+".lock", service, onWait)
}

func (d Dir) flock(ctx context.Context, path, service string, onWait func() error) (func(), error) {
	if err := d.ensure(); err != nil {
		return nil, err
	}
	if err := checkLockFile(path); err != nil {
		return nil, err
	}
	for {
		l, err := lockOnce(ctx, path, service, onWait)
		if err != nil || l == nil {
			return nil, err
		}
		// A logout removes the lock file while it holds it: a waiter that
		// then got the lock holds it on a file no longer there, and takes
		// the lock anew on the path's file.
		if st, err := os.Lstat(path); err == nil {
			if fst, ferr := l.Stat(); ferr == nil && os.SameFile(st, fst) {
				return func() { l.Unlock() }, nil
			}
		}
		l.Unlock()
	}
}

// RemoveLock deletes the lock file of service while the caller holds its
// lock (logout: nothing of the service stays behind); a waiter notices and
// locks the new file.
func (d Dir) RemoveLock(service string) {
	os.Remove(d.File(service) + ".lock")
}

// lockOnce takes the flock on the file now at path.
func lockOnce(ctx context.Context, path, service string, onWait func() error) (*flock.Flock, error) {
	l := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR|noFollowFlags), flock.SetPermissions(0o600))
	for {
		ok, err := l.TryLock()
		if err != nil {
			if isSymlink(path) {
				return nil, unsafe("lock file %s is a symbolic link; remove it and try again", path)
			}
			return nil, fmt.Errorf("cannot lock %s: %v", path, err)
		}
		if ok {
			break
		}
		if onWait != nil {
			if err := onWait(); err != nil {
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: gave up waiting for the lock %s of %q, held by %s; if it is stuck, end it", ErrLockWait, path, service, holder(path))
		case <-time.After(20 * time.Millisecond):
		}
	}
	// Check what was opened: a file swapped in between the check above and
	// the open is caught here.
	if st, err := l.Stat(); err != nil || !st.Mode().IsRegular() {
		l.Close()
		return nil, unsafe("lock file %s is not a regular file; remove it and try again", path)
	} else if err := checkOwned(path, st, 0o022, "chmod 600"); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// checkLockFile refuses a lock file that is not a regular file of the user
// before opening it: opening another user's lock would let them stall us.
func checkLockFile(path string) error {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot use lock file %s: %v", path, err)
	}
	if !st.Mode().IsRegular() {
		return unsafe("lock file %s is not a regular file (a link, FIFO or directory); remove it and try again", path)
	}
	return checkOwned(path, st, 0o022, "chmod 600")
}

// holder names the process holding the flock on path, from /proc/locks
// where the system has it.
func holder(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "another process"
	}
	ino, ok := inodeOf(st)
	if !ok {
		return "another process"
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return "another process"
	}
	defer f.Close()
	inode := ":" + strconv.FormatUint(ino, 10)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 08:01:567 0 EOF"
		fields := strings.Fields(sc.Text())
		if len(fields) >= 6 && fields[1] == "FLOCK" && strings.HasSuffix(fields[5], inode) {
			return "process " + fields[4]
		}
	}
	return "another process"
}

// SigningIn marks a sign-in for service as under way until release is
// called (or the process dies): other calls then know not to wait for the
// lock when no person could see them.
func (d Dir) SigningIn(service string) (release func(), err error) {
	path := d.File(service) + ".signin"
	if err := checkLockFile(path); err != nil {
		return nil, err
	}
	l := flock.New(path, flock.SetFlag(os.O_CREATE|os.O_RDWR|noFollowFlags), flock.SetPermissions(0o600))
	if _, err := l.TryLock(); err != nil {
		return nil, fmt.Errorf("cannot mark the sign-in of %q: %v", service, err)
	}
	// The mark goes before the lock is released: a call that probes the
	// old file then still sees the sign-in, a later one sees none.
	return func() {
		os.Remove(path)
		l.Unlock()
	}, nil
}

// SignInUnderWay reports whether another process is signing in to service.
func (d Dir) SignInUnderWay(service string) bool {
	path := d.File(service) + ".signin"
	if _, err := os.Lstat(path); err != nil || checkLockFile(path) != nil {
		return false
	}
	// A shared probe: two calls probing at once must not see each other's
	// probe as a sign-in.
	l := flock.New(path, flock.SetFlag(os.O_RDWR|noFollowFlags))
	ok, err := l.TryRLock()
	if err != nil {
		return false
	}
	if ok {
		l.Unlock()
	}
	return !ok
}

// MarkAbandoned records that a sign-in for service was abandoned now.
func (d Dir) MarkAbandoned(service string) error { return d.mark(service, ".abandoned") }

// Abandoned returns when a sign-in for service was last abandoned, or zero.
func (d Dir) Abandoned(service string) (time.Time, error) { return d.marked(service, ".abandoned") }

// ClearAbandoned forgets an abandoned sign-in, after a successful one.
func (d Dir) ClearAbandoned(service string) { os.Remove(d.File(service) + ".abandoned") }

// MarkRefused records that the server refused the saved refresh token of
// service (the session ended), beside the token file, which stays as it
// was; a save clears it.
func (d Dir) MarkRefused(service string) error { return d.mark(service, ".refused") }

// Refused returns when the server last refused the saved refresh token, or
// zero.
func (d Dir) Refused(service string) time.Time {
	t, _ := d.marked(service, ".refused")
	return t
}

// ClearRefused forgets a refused refresh token (logout).
func (d Dir) ClearRefused(service string) { os.Remove(d.File(service) + ".refused") }

// mark records now in an empty file beside the token file, by its time.
func (d Dir) mark(service, suffix string) error {
	path := d.File(service) + suffix
	if err := checkLockFile(path); err != nil {
		return err
	}
	f, err := openNoFollow(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("cannot record %s: %v", strings.TrimPrefix(suffix, "."), err)
	}
	f.Close()
	now := time.Now()
	return os.Chtimes(path, now, now)
}

// marked is the time of a mark, or zero.
func (d Dir) marked(service, suffix string) (time.Time, error) {
	st, err := os.Lstat(d.File(service) + suffix)
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, nil
	}
	if err != nil || !st.Mode().IsRegular() {
		return time.Time{}, err
	}
	return st.ModTime(), nil
}

// Inspect reports what is unsafe about the store of service without
// creating anything: the directory, and the lock files if they exist.
func (d Dir) Inspect(service string) error {
	if err := d.Check(); err != nil {
		return err
	}
	for _, suffix := range []string{".lock", ".signin", ".abandoned", ".refused"} {
		if err := checkLockFile(d.File(service) + suffix); err != nil {
			return err
		}
	}
	return nil
}
