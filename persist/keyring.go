package persist

import (
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the keyring service every entry is filed under; the
// account is the oauth2cred service name.
const KeyringService = "oauth2cred"

// ErrNoKeyring reports that no OS keyring answered (no D-Bus session, no
// Secret Service, a locked collection, a stuck bus).
var ErrNoKeyring = errors.New("no OS keyring available")

// ErrKeyringTooBig reports that the OS keyring refused an entry for its
// size (macOS's security command line, Windows' Credential Manager at about
// 2.5 KB; a token set with its ID token easily exceeds them).
var ErrKeyringTooBig = errors.New("the OS keyring does not take an entry that large")

// KeptSlimError: the whole token did not fit in the keyring, so the entry
// holds the refresh token and the token's origin record only, which is
// enough to restore the file (the next call then refreshes).
type KeptSlimError struct{ Size int }

func (e *KeptSlimError) Error() string {
	return fmt.Sprintf("the OS keyring does not take the whole token (%d bytes); its copy holds the refresh token and the token's record only, enough to restore it", e.Size)
}

// KeyringBackend is what the keyring offers: go-keyring's three calls.
type KeyringBackend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// osKeyring is the OS keyring through go-keyring.
type osKeyring struct{}

func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }
func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Delete(s, u string) error        { return keyring.Delete(s, u) }

// Keyring mirrors tokens into the OS keyring. Every call is bounded by
// Timeout (DefaultKeyringTimeout when zero), since a stuck D-Bus must not
// hang git.
type Keyring struct {
	Timeout time.Duration
	// Backend is the keyring; nil is the OS's.
	Backend KeyringBackend
}

func (k Keyring) backend() KeyringBackend {
	if k.Backend == nil {
		return osKeyring{}
	}
	return k.Backend
}

// DefaultKeyringTimeout is long enough for a Secret Service that has to
// start, short enough that a dead bus is a pause, not a hang.
const DefaultKeyringTimeout = 1500 * time.Millisecond

func (k Keyring) call(f func() error) error {
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = DefaultKeyringTimeout
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, keyring.ErrNotFound) {
			return err
		}
		if errors.Is(err, keyring.ErrSetDataTooBig) {
			return ErrKeyringTooBig
		}
		return fmt.Errorf("%w: %v", ErrNoKeyring, err)
	case <-time.After(timeout):
		return fmt.Errorf("%w: no answer within %v", ErrNoKeyring, timeout)
	}
}

// Load reads the token of service from the keyring.
func (k Keyring) Load(service string) (*Token, error) {
	var secret string
	err := k.call(func() (err error) {
		secret, err = k.backend().Get(KeyringService, service)
		return err
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t, err := Decode([]byte(secret))
	if err != nil {
		return nil, fmt.Errorf("keyring entry for %q is damaged: %v", service, err)
	}
	return t, nil
}

// Save writes the token of service to the keyring. When the keyring
// refuses it for its size, what restores it is kept: the refresh token and
// the origin record (*KeptSlimError says so); with no refresh token,
// ErrKeyringTooBig.
func (k Keyring) Save(service string, t *Token) error {
	data, err := t.Encode()
	if err != nil {
		return err
	}
	err = k.set(service, data)
	if !errors.Is(err, ErrKeyringTooBig) || t.RefreshToken == "" {
		return err
	}
	slim := *t
	slim.AccessToken, slim.IDToken, slim.Expiry = "", "", time.Time{}
	small, err := slim.Encode()
	if err != nil {
		return err
	}
	if err := k.set(service, small); err != nil {
		return err
	}
	return &KeptSlimError{Size: len(data)}
}

func (k Keyring) set(service string, data []byte) error {
	return k.call(func() error { return k.backend().Set(KeyringService, service, string(data)) })
}

// Delete removes the entry of service; a missing entry is not an error.
func (k Keyring) Delete(service string) error {
	err := k.call(func() error { return k.backend().Delete(KeyringService, service) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}
