package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"oauth2cred/persist"
)

// Ending tokens: git's erase of a rejected token, and logout.

// Drop forgets the access token when it equals value (git's erase after a
// rejection), keeping the refresh token so the next call refreshes.
func (s *Session) Drop(ctx context.Context, value string) error {
	if value == "" {
		return nil
	}
	return s.drop(ctx, value)
}

// DropAccess forgets the saved access token whatever it is, keeping the
// refresh token, so the next call refreshes: docker's erase carries only
// the registry, no token.
func (s *Session) DropAccess(ctx context.Context) error { return s.drop(ctx, "") }

// drop forgets the access or ID token that equals value ("": the access
// token, whatever it is).
func (s *Session) drop(ctx context.Context, value string) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	t, err := s.load()
	if err != nil {
		if errors.Is(err, persist.ErrNotFound) {
			return nil
		}
		return err
	}
	access := value == "" || t.AccessToken == value
	if !access && t.IDToken != value {
		return nil
	}
	if t.RefreshToken == "" {
		return s.forget()
	}
	if access {
		t.AccessToken, t.Expiry = "", time.Time{}
	}
	if value != "" && t.IDToken == value {
		t.IDToken = ""
	}
	s.verbose("the token of %q was rejected; the next call refreshes it", s.svc.Name)
	return s.save(t)
}

// Logout revokes the saved refresh token (or access token) when the server
// has a revocation endpoint, then deletes every local copy. A file refused
// as unsafe (readable by others) is revoked all the same: that is exactly
// when revoking matters.
func (s *Session) Logout(ctx context.Context) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	// Nothing of the service stays: its lock file goes while it is held
	// (a waiter locks a new one), and so does an abandoned sign-in's mark.
	defer s.dir.RemoveLock(s.Key())
	defer s.dir.ClearAbandoned(s.Key())
	defer s.dir.ClearRefused(s.Key())
	t, err := s.load()
	if errors.Is(err, persist.ErrUnsafe) && !s.keyringOnly() {
		t, err = s.dir.LoadUnchecked(s.Key())
	}
	if errors.Is(err, persist.ErrNotFound) {
		s.ui.say("No saved token for %q.", s.svc.Name)
		s.dir.Sweep(s.Key(), 0)
		return nil
	}
	var revokeErr error
	revoked := false
	if err == nil {
		revoked, revokeErr = s.revoke(ctx, t)
	}
	if ferr := s.forget(); ferr != nil {
		return ferr
	}
	s.dir.Sweep(s.Key(), 0)
	if revokeErr != nil {
		return fmt.Errorf("deleted the local token of %q, but %v; revoke it at the provider%s", s.svc.Name, revokeErr, s.appsPageHint())
	}
	if revoked {
		s.ui.say("Logged out of %s: the server revoked the token, and the local copies are deleted.", s.Label())
	} else {
		s.ui.say("Logged out of %s: the local copies are deleted (the server was not asked to revoke the token; see above).", s.Label())
	}
	return nil
}

// revoke revokes t at the server it was issued by, and says whether it did.
func (s *Session) revoke(ctx context.Context, t *persist.Token) (bool, error) {
	if why := s.Mismatch(t); why != "" {
		s.ui.say("The saved token of %q was issued for other settings (another %s), so it is not sent to this one's server; revoke it at the provider%s.", s.svc.Name, why, s.appsPageHint())
		return false, nil
	}
	cfg, err := s.FlowConfig(ctx)
	if err != nil {
		return false, err
	}
	// The origin matched: revoke where the token's record says, the way its
	// client authenticated then.
	cfg.Endpoints.RevokeURL = cmp.Or(t.RevokeURL, cfg.Endpoints.RevokeURL)
	cfg.ClientAuth = cmp.Or(s.svc.ClientAuth, t.ClientAuth)
	if cfg.Endpoints.RevokeURL == "" {
		s.ui.say("The server of %q has no revocation endpoint: its refresh token stays valid there until it expires or you revoke it at the provider%s.", s.svc.Name, s.appsPageHint())
		return false, nil
	}
	if t.RefreshToken != "" {
		// Revoking the refresh token also ends its access tokens (RFC 7009 §2.1).
		err = cfg.Revoke(ctx, t.RefreshToken, "refresh_token")
	} else {
		err = cfg.Revoke(ctx, t.AccessToken, "access_token")
	}
	return err == nil, err
}

// appsPageHint names where the provider lists authorized applications,
// when the preset knows it.
func (s *Session) appsPageHint() string {
	if s.svc.AppsPage == "" {
		return ""
	}
	return " (" + s.svc.AppsPage + ")"
}
