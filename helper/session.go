package helper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/persist"
)

// refreshMargin: a token this close to expiry counts as expired, so that it
// does not die between our answer and its use.
const refreshMargin = 60 * time.Second

// Defaults for the two kinds of waiting.
const (
	defaultRequestTimeout = 30 * time.Second
	defaultPersonTimeout  = 5 * time.Minute
)

// Session is one call's view of one service: its definition, its saved
// token, and the means to get a new one.
type Session struct {
	svc     *Service
	set     *Settings
	dir     persist.Dir
	keyring *persist.Keyring
	ui      *ui
	// person is false when no one may be asked (CI, --non-interactive,
	// GIT_TERMINAL_PROMPT=0, kubectl without a terminal).
	person    bool
	endpoints *flow.Endpoints
	keyWarned bool
}

// Open resolves the service of set. It reads nothing but the config file:
// the cached path must stay as cheap as a file read.
func Open(set *Settings) (*Session, error) {
	name, def, err := set.definition()
	if err != nil {
		return nil, err
	}
	svc, err := resolve(name, def)
	if err != nil {
		return nil, err
	}
	s := &Session{
		svc:    svc,
		set:    set,
		dir:    persist.Dir{Path: set.tokenDir()},
		ui:     &ui{stderr: set.Stderr},
		person: !set.NonInteractive && !set.ci(),
	}
	if svc.Keyring {
		s.keyring = &persist.Keyring{}
	}
	if svc.Insecure {
		s.ui.warn("TLS verification is off for %q (--insecure-skip-tls-verify); anyone on the network can read its tokens", svc.Name)
	}
	return s, nil
}

// Close releases the terminal.
func (s *Session) Close() { s.ui.close() }

func (s *Session) keyringOnly() bool { return s.svc.Storage == "keyring" }

// load reads the saved token: the file first, the keyring copy when the file
// is missing or damaged (and then the file is restored from it).
func (s *Session) load() (*persist.Token, error) {
	if s.keyringOnly() {
		t, err := s.keyring.Load(s.svc.Name)
		if errors.Is(err, persist.ErrNoKeyring) {
			return nil, failure(fmt.Errorf("the token of %q lives only in the OS keyring, and %v", s.svc.Name, err))
		}
		return t, err
	}
	t, err := s.dir.Load(s.svc.Name)
	if err == nil || s.keyring == nil {
		return t, err
	}
	if errors.Is(err, persist.ErrUnsafe) {
		return nil, err // never paper over a leaked or planted file
	}
	kt, kerr := s.keyring.Load(s.svc.Name)
	if kerr != nil {
		s.keyringWarn(kerr)
		return nil, err
	}
	if serr := s.dir.Save(s.svc.Name, kt); serr != nil {
		s.ui.warn("could not restore %s from the keyring: %v", s.dir.File(s.svc.Name), serr)
	} else if s.set.Verbose {
		fmt.Fprintf(s.set.Stderr, "oauth2cred: restored %s from the OS keyring\n", s.dir.File(s.svc.Name))
	}
	return kt, nil
}

// save writes the token to the file and, when asked, the keyring.
func (s *Session) save(t *persist.Token) error {
	t.SavedAt = time.Now().UTC().Truncate(time.Second)
	if s.keyringOnly() {
		if err := s.keyring.Save(s.svc.Name, t); err != nil {
			return failure(fmt.Errorf("cannot save the token of %q in the OS keyring: %v", s.svc.Name, err))
		}
		return nil
	}
	if err := s.dir.Save(s.svc.Name, t); err != nil {
		return failure(err)
	}
	if s.keyring != nil {
		s.keyringWarn(s.keyring.Save(s.svc.Name, t))
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
	s.ui.warn("%v; the token file goes on working without the keyring copy", err)
}

// location names where tokens are kept, for messages.
func (s *Session) location() string {
	if s.keyringOnly() {
		return "the OS keyring"
	}
	return s.dir.File(s.svc.Name)
}

// matches reports whether t was issued to this service's client.
func (s *Session) matches(t *persist.Token) bool {
	if t.ClientID != "" && t.ClientID != s.svc.ClientID {
		return false
	}
	if t.Issuer != "" && s.svc.Issuer != "" && strings.TrimSuffix(t.Issuer, "/") != strings.TrimSuffix(s.svc.Issuer, "/") {
		return false
	}
	return true
}

// usable reports whether t can be handed out as it is.
func (s *Session) usable(t *persist.Token) bool {
	if t == nil || !s.matches(t) {
		return false
	}
	value, expiry := s.wanted(t)
	return value != "" && (expiry.IsZero() || time.Until(expiry) > refreshMargin)
}

// wanted is the token handed out (per --token-type) and when it expires.
func (s *Session) wanted(t *persist.Token) (string, time.Time) {
	if s.svc.TokenType == "id_token" {
		exp := jwtExpiry(t.IDToken)
		if exp.IsZero() || (!t.Expiry.IsZero() && t.Expiry.Before(exp)) {
			exp = t.Expiry
		}
		return t.IDToken, exp
	}
	return t.AccessToken, t.Expiry
}

func (s *Session) requestTimeout() time.Duration {
	if s.set.Timeout > 0 {
		return s.set.Timeout
	}
	return defaultRequestTimeout
}

func (s *Session) personTimeout() time.Duration {
	if s.set.Timeout > 0 {
		return s.set.Timeout
	}
	return defaultPersonTimeout
}

// Token returns a valid token: the saved one, a refreshed one, or one from
// a new login when a person can be asked.
func (s *Session) Token(ctx context.Context) (*persist.Token, error) {
	t, err := s.load()
	if err != nil && !errors.Is(err, persist.ErrNotFound) {
		return nil, failure(err)
	}
	if s.usable(t) {
		return t, nil
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another process may have refreshed or logged in while we waited.
	t, err = s.load()
	if err != nil && !errors.Is(err, persist.ErrNotFound) {
		return nil, failure(err)
	}
	if s.usable(t) {
		return t, nil
	}
	if t != nil && s.matches(t) && t.RefreshToken != "" {
		nt, err := s.refresh(ctx, t)
		if err == nil {
			return nt, nil
		}
		if !flow.IsInvalidGrant(err) {
			return nil, failure(err)
		}
		if !s.person && s.svc.Flow != "client-credentials" {
			return nil, &ExitError{Code: ExitInteraction, Msg: fmt.Sprintf(
				"the saved session for %q has ended (the server refused its refresh token) and no one can log in here; run 'oauth2cred login --service %s' in a terminal",
				s.svc.Name, s.svc.Name)}
		}
		if s.svc.Flow != "client-credentials" {
			s.ui.say("The saved session for %q has ended; signing in again.", s.svc.Name)
		}
	}
	return s.obtain(ctx, t != nil)
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

func (s *Session) lock(ctx context.Context) (func(), error) {
	// Whoever holds the lock may be waiting for a person to sign in.
	lctx, cancel := context.WithTimeout(ctx, s.personTimeout()+s.requestTimeout())
	defer cancel()
	unlock, err := s.dir.Lock(lctx, s.svc.Name)
	if err != nil {
		return nil, failure(err)
	}
	return unlock, nil
}

// flowConfig builds the OAuth client, discovering endpoints when needed.
func (s *Session) flowConfig(ctx context.Context) (*flow.Config, error) {
	secret, err := s.svc.secret()
	if err != nil {
		return nil, err
	}
	var log io.Writer
	if s.set.Verbose {
		log = s.set.Stderr
	}
	client, err := flow.NewClient(flow.ClientOptions{
		Timeout:  s.requestTimeout(),
		CAFile:   s.svc.CAFile,
		Insecure: s.svc.Insecure,
		Log:      log,
	})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if s.endpoints == nil {
		ep := flow.Endpoints{
			Issuer:     s.svc.Issuer,
			AuthURL:    s.svc.AuthURL,
			TokenURL:   s.svc.TokenURL,
			RefreshURL: s.svc.RefreshURL,
			DeviceURL:  s.svc.DeviceURL,
			RevokeURL:  s.svc.RevokeURL,
		}
		// Discovery only fills what is not given, so a fully explicit
		// service (or a preset) never pays for it.
		if s.svc.Issuer != "" && (ep.TokenURL == "" || ep.AuthURL == "" || ep.DeviceURL == "" || ep.RevokeURL == "") {
			dctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
			d, err := flow.Discover(dctx, client, s.svc.Issuer)
			cancel()
			if err != nil {
				if ep.TokenURL == "" {
					return nil, failure(err)
				}
			} else {
				ep = ep.Merge(d)
			}
		}
		for _, u := range []struct{ name, value string }{{"authorization", ep.AuthURL}, {"token", ep.TokenURL}, {"device", ep.DeviceURL}, {"revocation", ep.RevokeURL}} {
			if u.value != "" {
				if err := checkURL("discovered "+u.name+" endpoint", u.value); err != nil {
					return nil, failure(err)
				}
			}
		}
		s.endpoints = &ep
	}
	return &flow.Config{
		ClientID:      s.svc.ClientID,
		ClientSecret:  secret,
		Endpoints:     *s.endpoints,
		Scopes:        splitList(s.svc.Scopes),
		Method:        s.svc.Method,
		AuthParams:    s.svc.AuthParams,
		Client:        client,
		AllowNoExpiry: s.svc.AllowNoExpiry,
	}, nil
}

func (s *Session) refresh(ctx context.Context, old *persist.Token) (*persist.Token, error) {
	cfg, err := s.flowConfig(ctx)
	if err != nil {
		return nil, err
	}
	ft, err := cfg.Refresh(ctx, old.RefreshToken)
	if err != nil {
		return nil, err
	}
	t := s.record(cfg, ft)
	if t.IDToken == "" {
		t.IDToken = old.IDToken // servers often send it only at login
	}
	// A refreshed token replaces a saved one: not saving it would lose a
	// rotated refresh token. --no-save is about new logins.
	if err := s.save(t); err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Session) record(cfg *flow.Config, ft *flow.Token) *persist.Token {
	return &persist.Token{
		AccessToken:  ft.AccessToken,
		TokenType:    ft.TokenType,
		RefreshToken: ft.RefreshToken,
		Expiry:       ft.Expiry.UTC().Truncate(time.Second),
		IDToken:      ft.IDToken,
		Scope:        ft.Scope,
		ClientID:     s.svc.ClientID,
		TokenURL:     cfg.Endpoints.TokenURL,
		Issuer:       cfg.Endpoints.Issuer,
	}
}

// obtain runs the service's flow and saves the result as the person wants.
func (s *Session) obtain(ctx context.Context, wasSaved bool) (*persist.Token, error) {
	if s.svc.Flow == "client-credentials" {
		cfg, err := s.flowConfig(ctx)
		if err != nil {
			return nil, err
		}
		rctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
		defer cancel()
		ft, err := cfg.ClientCredentials(rctx)
		if err != nil {
			return nil, failure(err)
		}
		t := s.record(cfg, ft)
		if s.set.Save || (wasSaved && !s.set.NoSave) {
			if err := s.save(t); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	if !s.person {
		return nil, s.needPerson()
	}
	cfg, err := s.flowConfig(ctx)
	if err != nil {
		return nil, err
	}
	kind := s.svc.Flow
	var open func(string) error
	if !s.set.NoBrowser {
		open = browserOpener(s.set.env, s.set.Stderr)
	}
	if kind == "auto" {
		switch {
		case open != nil && cfg.Endpoints.AuthURL != "":
			kind = "browser"
		case cfg.Endpoints.DeviceURL != "":
			kind = "device"
		default:
			kind = "browser"
		}
	}
	pctx, cancel := context.WithTimeout(ctx, s.personTimeout())
	defer cancel()
	var ft *flow.Token
	switch kind {
	case "browser":
		tty := s.ui.terminal()
		if tty == nil && open == nil {
			return nil, s.needPerson()
		}
		ft, err = cfg.AuthCode(pctx, flow.Browser{Port: s.svc.RedirectPort, Open: open, Out: s.ui.out(), Paste: tty})
	case "device":
		ft, err = cfg.Device(pctx, s.ui.out())
	}
	if err != nil {
		if errors.Is(err, flow.ErrTimeout) {
			return nil, failure(fmt.Errorf("%v after %v; run the command again (or pass a longer --timeout)", err, s.personTimeout()))
		}
		return nil, failure(err)
	}
	t := s.record(cfg, ft)
	save, err := s.wantSave(wasSaved)
	if err != nil {
		return nil, err
	}
	if save {
		if err := s.save(t); err != nil {
			return nil, err
		}
		s.ui.say("Saved the token for %q in %s.", s.svc.Name, s.location())
	} else {
		s.ui.say("The token for %q was not saved; the next call will sign in again (pass --save to keep it).", s.svc.Name)
	}
	return t, nil
}

// wantSave applies --save, --no-save, an earlier choice to save, and else
// asks on the terminal (never stdin: it carries the protocols).
func (s *Session) wantSave(wasSaved bool) (bool, error) {
	switch {
	case s.set.NoSave:
		return false, nil
	case s.set.Save, wasSaved:
		return true, nil
	case s.ui.terminal() == nil:
		return false, nil
	}
	ok, err := s.ui.confirm(fmt.Sprintf("Save the token for %q in %s so later calls refresh silently?", s.svc.Name, s.location()))
	if err != nil {
		return false, nil
	}
	return ok, nil
}

func (s *Session) needPerson() error {
	return &ExitError{Code: ExitInteraction, Msg: fmt.Sprintf(
		"no saved token for %q and no terminal to log in; run 'oauth2cred login --service %s' in a terminal, or pass --flow client-credentials",
		s.svc.Name, s.svc.Name)}
}

// Drop forgets the access token when it equals value (git's erase after a
// rejection), keeping the refresh token so the next call refreshes.
func (s *Session) Drop(ctx context.Context, value string) error {
	if value == "" {
		return nil
	}
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
		return failure(err)
	}
	if t.AccessToken != value && t.IDToken != value {
		return nil
	}
	if t.RefreshToken == "" {
		return s.forget()
	}
	t.AccessToken, t.Expiry = "", time.Time{}
	if t.IDToken == value {
		t.IDToken = ""
	}
	return s.save(t)
}

// Logout revokes the saved refresh token (or access token) when the server
// has a revocation endpoint, then deletes every local copy.
func (s *Session) Logout(ctx context.Context) error {
	unlock, err := s.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	t, err := s.load()
	if errors.Is(err, persist.ErrNotFound) {
		s.ui.say("No saved token for %q.", s.svc.Name)
		return nil
	}
	var revokeErr error
	if err == nil {
		revokeErr = s.revoke(ctx, t)
	}
	if ferr := s.forget(); ferr != nil {
		return ferr
	}
	if revokeErr != nil {
		return failure(fmt.Errorf("deleted the local token of %q, but %v; revoke it in the provider's settings", s.svc.Name, revokeErr))
	}
	s.ui.say("Logged out of %q.", s.svc.Name)
	return nil
}

func (s *Session) revoke(ctx context.Context, t *persist.Token) error {
	cfg, err := s.flowConfig(ctx)
	if err != nil {
		return err
	}
	if cfg.Endpoints.RevokeURL == "" {
		s.ui.say("The server of %q has no revocation endpoint; the token stays valid there until it expires.", s.svc.Name)
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, s.requestTimeout())
	defer cancel()
	if t.RefreshToken != "" {
		// Revoking the refresh token also ends its access tokens (RFC 7009 §2.1).
		return cfg.Revoke(rctx, t.RefreshToken, "refresh_token")
	}
	return cfg.Revoke(rctx, t.AccessToken, "access_token")
}

func (s *Session) forget() error {
	if !s.keyringOnly() {
		if err := s.dir.Delete(s.svc.Name); err != nil {
			return failure(err)
		}
	}
	if s.keyring != nil {
		if err := s.keyring.Delete(s.svc.Name); err != nil {
			if s.keyringOnly() {
				return failure(err)
			}
			s.keyringWarn(err)
		}
	}
	return nil
}
