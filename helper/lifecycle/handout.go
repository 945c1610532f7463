package lifecycle

import (
	"context"
	"fmt"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// What the commands see of a session they opened: the token handed out,
// and what they report.

// Service is what the session's service is.
func (s *Session) Service() *service.Service { return s.svc }

// Settings are the call's.
func (s *Session) Settings() *Settings { return s.set }

// Source says what defined the service: "config", "token file" or "flags".
func (s *Session) Source() string { return s.source }

// Layers are the definitions the service was made of, weakest first: the
// config file or git's configuration, the environment, the flags.
func (s *Session) Layers() []service.Layer { return s.layers }

// Account is the account the session is for; "" is the default one.
func (s *Session) Account() string { return s.account }

// Store is the token directory.
func (s *Session) Store() persist.Dir { return s.dir }

// Keyring is the keyring mirror, or nil when the service does not use one.
func (s *Session) Keyring() *persist.Keyring { return s.keyring }

// Warn tells the person about this call on stderr, behind the redactor.
func (s *Session) Warn(format string, a ...any) { s.ui.warn(format, a...) }

// HandOut returns a valid token and the value handed out of it (per
// --token-type) with that value's expiry.
func (s *Session) HandOut(ctx context.Context) (*persist.Token, string, time.Time, error) {
	t, err := s.Token(ctx)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	value, expiry := s.wanted(t)
	if value == "" {
		return nil, "", time.Time{}, fmt.Errorf("the server issued no %s for %q; for an ID token add --scope openid", s.svc.TokenType, s.svc.Name)
	}
	if !expiry.IsZero() && !expiry.After(s.set.Now()) {
		return nil, "", time.Time{}, fmt.Errorf("the %s of %q has expired and no fresh one could be had; run '%s'", s.svc.TokenType, s.svc.Name, s.LoginCommand())
	}
	if err := checkTokenText(value); err != nil {
		return nil, "", time.Time{}, err
	}
	return t, value, expiry, nil
}

// checkTokenText refuses a token with control characters: printed with
// --format header into `curl -H` it would add a header, and git's
// line protocol would break on a newline.
func checkTokenText(v string) error {
	if flow.HasControl(v) {
		return fmt.Errorf("the server issued a token with control characters or a line break; refusing to hand it out")
	}
	return nil
}
