package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// Acquiring a token: the saved one when it is good, else a refresh, else a
// new sign-in when someone can be asked.

// parallelWindow: calls that start this close to a save count as parallel
// with it. The kernel gives a process's start in 10 ms ticks, and calls
// forked together by git or a CI runner start a few ms apart on a busy
// machine.
const parallelWindow = 50 * time.Millisecond

// errNoNewIDToken: a refresh answer without an ID token, while the saved one
// has expired, leaves nothing to hand to kubectl.
var errNoNewIDToken = errors.New("the server sent no new ID token with the refreshed access token, and the saved one has expired")

// Token returns a valid token: the saved one, a refreshed one, or one from
// a new sign-in when a person can be asked.
func (s *Session) Token(ctx context.Context) (*persist.Token, error) {
	first, err := s.peek()
	if err != nil && !errors.Is(err, persist.ErrNotFound) {
		// A damaged file may be restored from the keyring, under the lock.
		if s.keyring == nil || s.keyringOnly() || errors.Is(err, persist.ErrUnsafe) {
			return nil, err
		}
		first = nil
	}
	if s.usable(first) {
		s.verbose("served the token of %q from %s", s.svc.Name, s.Location())
		return first, nil
	}
	if first == nil && (s.keyring == nil || s.keyringOnly()) {
		if err := s.readyToSignIn(ctx); err != nil {
			return nil, err
		}
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	t, err := s.load()
	if err != nil && !errors.Is(err, persist.ErrNotFound) {
		return nil, err
	}
	if s.usable(t) || s.savedMeanwhile(first, t) {
		s.verbose("served the token of %q from %s (saved while this call waited)", s.svc.Name, s.Location())
		return t, nil
	}
	if t == nil {
		return s.obtain(ctx, false)
	}
	if why := s.Mismatch(t); why != "" {
		return s.again(ctx, fmt.Sprintf("the settings of %q changed since its token was saved (another %s), so that token is not used", s.svc.Name, why))
	}
	if t.RefreshToken == "" {
		return s.obtain(ctx, true)
	}
	nt, err := s.refresh(ctx, t)
	switch {
	case err == nil:
		return nt, nil
	case errors.Is(err, errNoNewIDToken):
		return s.again(ctx, fmt.Sprintf("%v (add the openid scope: --scope openid)", err))
	case flow.SessionEnded(err):
		s.markRefused()
		return s.again(ctx, fmt.Sprintf("the saved session for %q has ended (the server refused its refresh token)", s.svc.Name))
	}
	return nil, err
}

// readyToSignIn runs before the lock when nothing is saved (and no keyring
// copy can be restored): a sign-in comes. A planted store is reported
// first; whether anyone can take part is known without the network; then
// a server that cannot be found fails here, before any file is made.
func (s *Session) readyToSignIn(ctx context.Context) error {
	if err := s.dir.Inspect(s.Key()); err != nil {
		return err
	}
	if err := s.canSignIn(); err != nil {
		return err
	}
	_, err := s.FlowConfig(ctx)
	return err
}

// savedMeanwhile reports whether t, found under the lock, was saved by
// another call since this one started: it is then used whatever its
// lifetime (if not expired), so N parallel calls make one refresh. A call
// that starts later refreshes a short-lived token again.
func (s *Session) savedMeanwhile(first, t *persist.Token) bool {
	if t == nil || !s.alive(t) {
		return false
	}
	return changed(first, t) || t.SavedAt.After(s.set.started().Add(-parallelWindow))
}

// changed reports whether the saved token is another than the one first seen.
func changed(first, now *persist.Token) bool {
	if now == nil {
		return false
	}
	return first == nil || first.AccessToken != now.AccessToken || first.IDToken != now.IDToken || !first.SavedAt.Equal(now.SavedAt)
}

// again signs in anew after the saved token became useless for reason, or
// says why it cannot.
func (s *Session) again(ctx context.Context, reason string) (*persist.Token, error) {
	if s.svc.Unattended() {
		return s.obtain(ctx, true)
	}
	if !s.person || s.canSignIn() != nil { // nobody may be asked, or none can be reached
		return nil, noPersonf("%s and no one can sign in here; run '%s' in a terminal", reason, s.LoginCommand())
	}
	s.ui.say("%s; signing in again.", upperFirst(reason))
	return s.obtain(ctx, true)
}

// Login runs a flow now, even when a valid token is saved.
func (s *Session) Login(ctx context.Context) (*persist.Token, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	old, _ := s.load()
	return s.obtain(ctx, old != nil)
}

func (s *Session) refresh(ctx context.Context, old *persist.Token) (*persist.Token, error) {
	if old.Confidential && s.source == "token file" && !s.svc.Authenticates() {
		return nil, service.Settingf("the token of %q needs a refresh, and its client is confidential: give its secret with --client-secret-file FILE or OAUTH2CRED_CLIENT_SECRET (or add %q to the config file)", s.svc.Name, "client_secret_file")
	}
	cfg, err := s.refreshConfig(ctx, old)
	if err != nil {
		return nil, err
	}
	cfg.ClientAuth = cmp.Or(s.svc.ClientAuth, old.ClientAuth)
	ft, err := cfg.Refresh(ctx, old.RefreshToken)
	if err != nil {
		s.keepRotated(old, err)
		return nil, err
	}
	t := s.record(cfg, ft)
	t.RefreshURL = old.RefreshURL // the origin stays the one of the sign-in
	if t.IDToken == "" {
		t.IDToken, t.Identity = old.IDToken, old.Identity // servers often send it only at sign-in
	}
	// A refreshed token replaces a saved one: not saving it would lose a
	// rotated refresh token. --no-save is about new sign-ins.
	if err := s.save(t); err != nil {
		return nil, err
	}
	s.verbose("refreshed the token of %q (the saved one expires within %v)", s.svc.Name, refreshMargin)
	if !s.alive(t) && s.svc.TokenType == "id_token" {
		return nil, errNoNewIDToken
	}
	return t, nil
}

// markRefused records, beside the token file (which stays as it was),
// that the server refused the saved refresh token: status says so.
func (s *Session) markRefused() {
	if err := s.dir.MarkRefused(s.Key()); err != nil {
		s.verbose("could not record the refused refresh token: %v", err)
	}
}

// keepRotated saves the refresh token of a refresh answer that was refused
// after the server had already rotated it: without it the session is lost.
func (s *Session) keepRotated(old *persist.Token, err error) {
	var re *flow.RejectedError
	if !errors.As(err, &re) || re.RefreshToken == "" || re.RefreshToken == old.RefreshToken {
		return
	}
	kept := *old
	kept.RefreshToken, kept.AccessToken, kept.Expiry = re.RefreshToken, "", time.Time{}
	if serr := s.save(&kept); serr != nil {
		s.ui.warn("could not keep the server's new refresh token: %v", serr)
	}
}

// wantSave applies --save, --no-save, save in the config file, an earlier
// choice to save, and else the person's answer: in the browser's page
// when there is no terminal (keep), else on the terminal (never stdin: it
// carries the protocols), within the person's time limit.
func (s *Session) wantSave(ctx context.Context, wasSaved bool, keep string) bool {
	switch {
	case s.set.NoSave:
		return false
	case s.set.Save, wasSaved:
		return true
	case s.svc.Save != nil:
		return *s.svc.Save
	case s.ui.terminal() == nil:
		return keep == flow.KeepYes
	}
	ok, err := s.ui.ask(ctx, fmt.Sprintf("Save the token for %s in %s so later calls refresh silently?", s.Label(), s.Location()), true)
	if errors.Is(err, context.DeadlineExceeded) {
		s.ui.say("\nNo answer within the time limit; not saving.")
	}
	return err == nil && ok
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
