package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"oauth2cred/persist"
)

// Reading and writing the service's store: the token file, the keyring
// mirror, and the lock that serialises everything that writes them.

func (s *Session) keyringOnly() bool { return s.svc.Storage == "keyring" }

// peek reads the saved token without the lock, for the cached path. It
// never writes: a file restored from the keyring is restored under the
// lock, by load.
func (s *Session) peek() (*persist.Token, error) {
	var t *persist.Token
	var err error
	switch {
	case s.keyringOnly():
		t, err = s.loadKeyringOnly()
	case s.openedRecord != nil && s.openedKey == s.Key():
		t, s.openedRecord = s.openedRecord, nil // read by Open a moment ago
	default:
		t, err = s.dir.Load(s.Key())
	}
	s.learn(t)
	return t, err
}

// load reads the saved token under the lock: the file first, the keyring
// copy when the file is missing or damaged (and then the file is restored
// from it, only when the copy belongs to this configuration).
func (s *Session) load() (*persist.Token, error) {
	t, err := s.load1()
	s.learn(t)
	return t, err
}

func (s *Session) load1() (*persist.Token, error) {
	if s.keyringOnly() {
		return s.loadKeyringOnly()
	}
	t, err := s.dir.Load(s.Key())
	if err == nil || s.keyring == nil {
		return t, err
	}
	if errors.Is(err, persist.ErrUnsafe) {
		return nil, err // never paper over a leaked or planted file
	}
	kt, kerr := s.keyring.Load(s.Key())
	if kerr != nil {
		s.keyringWarn(kerr)
		return nil, err
	}
	if s.Mismatch(kt) != "" {
		return nil, err
	}
	if serr := s.dir.Save(s.Key(), kt); serr != nil {
		s.ui.warn("could not restore %s from the keyring: %v", s.dir.File(s.Key()), serr)
	} else {
		s.verbose("restored %s from the OS keyring", s.dir.File(s.Key()))
	}
	return kt, nil
}

func (s *Session) loadKeyringOnly() (*persist.Token, error) {
	t, err := s.keyring.Load(s.Key())
	if errors.Is(err, persist.ErrNoKeyring) {
		return nil, fmt.Errorf("the token of %q lives only in the OS keyring (storage = \"keyring\"), and %v; remove storage = \"keyring\" (or --keyring-only) to keep it in a file", s.svc.Name, KeyringProblem(err))
	}
	return t, err
}

// save writes the token to the file and, when asked, the keyring.
func (s *Session) save(t *persist.Token) error {
	t.SavedAt = s.set.Now().UTC()
	if s.keyringOnly() {
		err := s.keyring.Save(s.Key(), t)
		var slim *persist.KeptSlimError
		if errors.As(err, &slim) {
			s.ui.warn("%v; with storage = \"keyring\" every call of %q refreshes (a token file keeps it whole)", err, s.svc.Name)
			return nil
		}
		if err != nil {
			return fmt.Errorf("cannot save the token of %q in the OS keyring: %v", s.svc.Name, KeyringProblem(err))
		}
		return nil
	}
	if err := s.dir.Save(s.Key(), t); err != nil {
		return err
	}
	if s.dir.Shared && s.dir.Listable() {
		s.ui.warn("others on this machine can list %s, where the token of %q is saved (its file name shows which services you use); run 'chmod go-r %s', or choose a private --token-dir", s.dir.Path, s.svc.Name, s.dir.Path)
	}
	s.excludeFromWorkTree()
	if s.keyring != nil {
		s.keyringWarn(s.keyring.Save(s.Key(), t))
	}
	return nil
}

// keyringWarn reports a keyring failure once per call and, unless the
// keyring is the only store, stops using it: a stuck D-Bus must not cost
// its timeout twice.
func (s *Session) keyringWarn(err error) {
	if err == nil || errors.Is(err, persist.ErrNotFound) {
		return
	}
	if errors.Is(err, persist.ErrNoKeyring) && !s.keyringOnly() {
		s.keyring = nil
	}
	if s.keyWarned {
		return
	}
	s.keyWarned = true
	var slim *persist.KeptSlimError
	if errors.As(err, &slim) {
		s.ui.warn("%v; the token file keeps it whole", err)
		return
	}
	s.ui.warn("%s; the token file goes on working without the keyring copy", KeyringProblem(err))
}

// KeyringProblem says what is wrong with the keyring in the person's terms,
// not D-Bus's (exec: "dbus-launch": executable file not found…).
func KeyringProblem(err error) string {
	if errors.Is(err, persist.ErrNoKeyring) {
		return "no OS keyring answered (no Secret Service on this session's D-Bus, or it is locked); start or unlock your desktop's keyring, or drop --keyring"
	}
	if errors.Is(err, persist.ErrKeyringTooBig) {
		return "the OS keyring does not take an entry that large, and the token has no refresh token to keep instead"
	}
	return err.Error()
}

// Location names where tokens are kept, for messages.
func (s *Session) Location() string {
	if s.keyringOnly() {
		return "the OS keyring"
	}
	return s.dir.File(s.Key())
}

// lock takes the service's lock. Whoever holds it may be waiting for a
// person to sign in, so the wait is as long as a sign-in plus a request.
//
// A holder that is not signing in (a refresh, a save) gets --timeout. A call
// that no person can see does not wait for another process's sign-in at
// all: it says so at once instead of holding up a background git.
func (s *Session) lock(ctx context.Context) (func(), error) {
	lctx, cancel := context.WithTimeout(ctx, s.personTimeout()+s.RequestTimeout())
	defer cancel()
	start := time.Now()
	s.lockWaitFrom = start
	var background *bool
	onWait := func() error {
		if !s.dir.SignInUnderWay(s.Key()) {
			if time.Since(start) > s.RequestTimeout() {
				cancel() // the holder is not waiting for a person: it is stuck
			}
			return nil
		}
		if background == nil {
			b := !s.person || s.ui.terminal() == nil
			background = &b
		}
		if *background && !s.isLogin {
			return noPersonf("a sign-in for %q is under way in another process; try again when it is done (or run '%s' in a terminal)", s.svc.Name, s.LoginCommand())
		}
		start = time.Now() // a person is at it: wait for the sign-in
		return nil
	}
	unlock, err := s.dir.Lock(lctx, s.Key(), onWait)
	if err != nil {
		if errors.Is(err, persist.ErrLockWait) {
			return nil, fmt.Errorf("%v (waited %v)", err, time.Since(start).Round(time.Second))
		}
		return nil, err
	}
	return unlock, nil
}

func (s *Session) forget() error {
	if !s.keyringOnly() {
		if err := s.dir.Delete(s.Key()); err != nil {
			return err
		}
	}
	if s.keyring != nil {
		if err := s.keyring.Delete(s.Key()); err != nil {
			if s.keyringOnly() {
				return fmt.Errorf("cannot delete the keyring entry of %q: %v", s.svc.Name, KeyringProblem(err))
			}
			s.keyringWarn(err)
		}
	}
	return nil
}

// verbose logs what a call did, with --verbose.
func (s *Session) verbose(format string, a ...any) {
	if s.set.Verbose {
		fmt.Fprintf(s.set.Stderr, "oauth2cred: "+format+"\n", a...)
	}
}
