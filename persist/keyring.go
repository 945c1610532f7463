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

// Keyring mirrors tokens into the OS keyring. Every call is bounded by
// Timeout (DefaultKeyringTimeout when zero), since a stuck D-Bus must not
// hang git.
type Keyring struct {
	Timeout time.Duration
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
		return fmt.Errorf("%w: %v", ErrNoKeyring, err)
	case <-time.After(timeout):
		return fmt.Errorf("%w: no answer within %v", ErrNoKeyring, timeout)
	}
}

// Load reads the token of service from the keyring.
func (k Keyring) Load(service string) (*Token, error) {
	var secret string
	err := k.call(func() (err error) {
		secret, err = keyring.Get(KeyringService, service)
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

// Save writes the token of service to the keyring.
func (k Keyring) Save(service string, t *Token) error {
	data, err := t.Encode()
	if err != nil {
		return err
	}
	return k.call(func() error { return keyring.Set(KeyringService, service, string(data)) })
}

// Delete removes the entry of service; a missing entry is not an error.
func (k Keyring) Delete(service string) error {
	err := k.call(func() error { return keyring.Delete(KeyringService, service) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}
