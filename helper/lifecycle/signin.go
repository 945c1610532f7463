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

// Signing in: who can be asked, which flow, and what is kept of it.

// asker is who can take part in a sign-in now.
type asker struct {
	tty  bool   // a terminal to write to and read from
	open opener // a browser to open; nil when there is none
}

func (s *Session) asker() asker {
	a := asker{tty: s.ui.terminal() != nil}
	if !s.set.NoBrowser {
		a.open = browserOpener(s.set.Browser, s.set.Env, s.svc.SecretVars())
	}
	return a
}

// obtain runs the service's flow and saves the result as the person wants.
func (s *Session) obtain(ctx context.Context, wasSaved bool) (*persist.Token, error) {
	if s.svc.Unattended() {
		return s.unattendedFlow(ctx, wasSaved)
	}
	if err := s.canSignIn(); err != nil {
		return nil, err
	}
	who := s.asker()
	if err := s.mayStartSignIn(who); err != nil {
		return nil, err
	}
	release, err := s.dir.SigningIn(s.Key())
	if err != nil {
		return nil, err
	}
	defer release()
	cfg, err := s.FlowConfig(ctx)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, s.personTimeout())
	defer cancel()
	askKeep := s.askKeepInPage(wasSaved, who)
	ft, err := s.runFlow(pctx, cfg, who, askKeep)
	if err != nil {
		return nil, s.signInFailed(err)
	}
	t := s.record(cfg, ft)
	if t.Identity == "" {
		t.Identity = cfg.Identity(ctx, t.AccessToken) // userinfo, when the server has it
	}
	if err := s.checkIdentity(pctx, t); err != nil {
		return nil, err
	}
	if s.wantSave(pctx, wasSaved, ft.Keep) {
		if err := s.save(t); err != nil {
			return nil, err
		}
		s.dir.ClearAbandoned(s.Key())
		s.ui.say("Saved the token for %s in %s.", s.Label(), s.Location())
	} else {
		s.ui.say("The token for %s was not saved; the next call will sign in again (pass --save to keep it).", s.Label())
		if askKeep && !s.isLogin {
			// "Only this time" in the page: the next background call
			// must not open another tab at once (SPEC §3).
			if merr := s.dir.MarkAbandoned(s.Key()); merr != nil {
				s.ui.warn("%v", merr)
			}
		}
	}
	s.verbose("signed in to %q", s.svc.Name)
	return t, nil
}

// canSignIn says, without the network, whether a sign-in can happen here:
// a person may be asked (not CI, not --non-interactive) and can be
// reached (a terminal or a browser), or the flow needs no one.
func (s *Session) canSignIn() error {
	if s.svc.Unattended() {
		return nil
	}
	if !s.person {
		return s.needPerson()
	}
	who := s.asker()
	if !who.tty && who.open == nil && s.svc.Flow != "device" {
		return s.needPerson()
	}
	return nil
}

// runFlow picks the flow (auto: a browser where one can be opened, else at
// a terminal the device flow where the server has one, else the address
// printed on the terminal) and runs it.
func (s *Session) runFlow(ctx context.Context, cfg *flow.Config, who asker, askKeep bool) (*flow.Token, error) {
	kind := s.svc.Flow
	if kind == "auto" {
		switch {
		case who.open != nil && cfg.Endpoints.AuthURL != "":
			kind = "browser"
		case cfg.Endpoints.DeviceURL != "":
			kind = "device"
		default:
			kind = "browser"
		}
	}
	if kind == "device" {
		t, err := cfg.Device(ctx, s.showDeviceCode(who, cfg.Endpoints.Issuer))
		if err == nil {
			s.ui.say("Approved; signed in.")
		}
		return t, err
	}
	var paste flow.Terminal // an interface: a nil *Terminal in it would not be nil
	if tty := s.ui.terminal(); tty != nil {
		paste = tty
	}
	var open func(string) error
	if who.open != nil {
		open = func(u string) error { return who.open(u, cfg.Endpoints.AuthURL) }
	}
	return cfg.AuthCode(ctx, flow.Browser{
		Port:         s.svc.RedirectPort,
		RedirectURLs: s.svc.RedirectURLs,
		Open:         open,
		Out:          s.ui.out(),
		Paste:        paste,
		PasteHint:    who.open == nil || s.set.Env("SSH_CONNECTION") != "" || s.set.Env("SSH_TTY") != "",
		AskKeep:      askKeep,
		Label:        s.Label(),
		OnlyOnceNote: fmt.Sprintf("For %v, programs without a terminal will not open another sign-in for %s; run '%s' in a terminal to sign in sooner.", s.cooldown(), s.svc.Name, s.LoginCommand()),
	})
}

// askKeepInPage: the save question goes to the browser's page when
// nothing settles it (--save, --no-save, save in the config file, a token
// saved before) and there is no terminal to ask on, but a browser.
func (s *Session) askKeepInPage(wasSaved bool, who asker) bool {
	return !s.set.Save && !s.set.NoSave && s.svc.Save == nil && !wasSaved && !who.tty && who.open != nil
}

// signInFailed turns a failed sign-in into its error, and remembers an
// abandoned one so that background calls do not start another at once.
func (s *Session) signInFailed(err error) error {
	var se *flow.ServerError
	abandoned := errors.Is(err, flow.ErrTimeout) || (errors.As(err, &se) && se.Code == "access_denied")
	if abandoned {
		if merr := s.dir.MarkAbandoned(s.Key()); merr != nil {
			s.ui.warn("%v", merr)
		}
	}
	if errors.Is(err, flow.ErrTimeout) {
		return fmt.Errorf("%v after %v; run '%s' again (or pass a longer --login-timeout)", err, s.personTimeout(), s.LoginCommand())
	}
	return err
}

// mayStartSignIn keeps sign-ins from piling up: after one was abandoned, a
// call without a terminal waits out the cool-down, and no call other than
// `login` starts a new sign-in right after one it waited for failed.
func (s *Session) mayStartSignIn(who asker) error {
	if s.isLogin {
		return nil
	}
	at, err := s.dir.Abandoned(s.Key())
	if err != nil || at.IsZero() {
		return nil
	}
	cooldown, now := s.cooldown(), s.set.Now()
	switch {
	case !s.lockWaitFrom.IsZero() && at.After(s.lockWaitFrom):
		return noPersonf("the sign-in for %q that this call waited for was abandoned; run '%s' to sign in", s.svc.Name, s.LoginCommand())
	case !who.tty && cooldownLeft(at, now, cooldown) > 0:
		return noPersonf("a sign-in for %q was abandoned or kept only that time %v ago, so calls without a terminal do not open another for %v; run '%s' in a terminal", s.svc.Name, now.Sub(at).Round(time.Second), cooldownLeft(at, now, cooldown), s.LoginCommand())
	}
	return nil
}

// checkIdentity: when the person signed in as somebody else than the
// account asked for, say so, and keep the token under that account only if
// they confirm it at the terminal.
func (s *Session) checkIdentity(ctx context.Context, t *persist.Token) error {
	if s.account == "" || sameIdentity(s.account, t.Identity) {
		return nil
	}
	s.ui.say("You signed in as %q, but this is account %q of %q.", t.Identity, s.account, s.svc.Name)
	if s.ui.terminal() != nil {
		ok, err := s.ui.ask(ctx, fmt.Sprintf("Keep the token of %q as account %q anyway?", t.Identity, s.account), false)
		if err == nil && ok {
			return nil
		}
	}
	return fmt.Errorf("signed in as %q, not as account %q; nothing was saved under %q; sign in as %s (run '%s'), or use --account %s", t.Identity, s.account, s.account, s.account, s.LoginCommand(), hintQuote(t.Identity))
}

// unattendedFlow gets a token with no person: client credentials, or a
// token exchange of the job's own token. It is saved only as asked.
func (s *Session) unattendedFlow(ctx context.Context, wasSaved bool) (*persist.Token, error) {
	if s.svc.Flow == "client-credentials" && !s.svc.Authenticates() {
		// A configuration mistake, found before any request.
		return nil, service.Settingf("the client-credentials flow of %q needs client authentication; pass --client-secret-file, --client-key-file or --client-assertion-file (or --client-assertion-source)", s.svc.Name)
	}
	cfg, err := s.FlowConfig(ctx)
	if err != nil {
		return nil, err
	}
	var ft *flow.Token
	if s.svc.Flow == "token-exchange" {
		if err := s.svc.CheckSubject(); err != nil {
			return nil, err
		}
		src := jwtSource{what: "subject token", file: s.svc.SubjectTokenFile, source: s.svc.SubjectTokenSource,
			envName: s.svc.SubjectTokenEnv, audience: s.svc.ClientAssertionAudience, red: s.set.Redact}
		var subject string
		subject, err = src.get(ctx, cfg.Client, s.set.Env, cmp.Or(src.audience, cfg.Endpoints.Issuer))
		if err != nil {
			return nil, err
		}
		ft, err = cfg.TokenExchange(ctx, flow.Exchange{SubjectToken: subject, SubjectTokenType: s.svc.SubjectTokenType,
			Audience: s.svc.Audience, Resource: s.svc.Resource, RequestedTokenType: s.svc.RequestedTokenType})
	} else {
		ft, err = cfg.ClientCredentials(ctx)
	}
	if err != nil {
		return nil, err
	}
	t := s.record(cfg, ft)
	if s.set.Save || (wasSaved && !s.set.NoSave) {
		if err := s.save(t); err != nil {
			return nil, err
		}
	}
	s.verbose("obtained a token for %q by %s", s.svc.Name, s.svc.Flow)
	return t, nil
}
