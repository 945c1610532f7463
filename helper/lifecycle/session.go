package lifecycle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/service"
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
	svc     *service.Service
	set     *Settings
	dir     persist.Dir
	keyring *persist.Keyring
	ui      *ui
	// person is false when no one may be asked (CI, --non-interactive,
	// GIT_TERMINAL_PROMPT=0, kubectl without a terminal).
	person bool
	// source says what defined the service: "config", "token file" or
	// "flags", so that hints can print a command that works as shown.
	source string
	// layers are what defined the service, weakest first (doctor's sources).
	layers []service.Layer
	// account is the account of the service this call is for; "" is the
	// default account.
	account string
	// viaGit: the call is git's helper, so git's network settings apply.
	viaGit bool
	// isLogin: the call is `login`, which signs in whatever came before.
	isLogin bool
	// lockWaitFrom is when this call began to wait for the service's lock.
	lockWaitFrom time.Time
	// recorded, while a refresh builds its client, is the token whose
	// origin record gives the endpoints: no discovery for a refresh.
	recorded *persist.Token
	// cfg is the OAuth client, built once per call: it reads the secret,
	// CA and key files, asks git for its settings and may discover.
	cfg       *flow.Config
	keyWarned bool
	// openedRecord is the token Open read to define the service
	// (--service NAME alone), from the file of openedKey: peek uses it
	// rather than reading that file a second time.
	openedRecord *persist.Token
	openedKey    string
}

// Use says what a call opens a session for; it is fixed at Open.
type Use struct {
	Login      bool // `login`: signs in whatever was saved before
	Git        bool // git's helper: git's network settings apply to its requests
	NoPerson   bool // nobody may be asked (GIT_TERMINAL_PROMPT=0, kubectl's interactive: false)
	NoTerminal bool // nobody is at a terminal (kubectl's interactive: false)
	// Username is the user name the caller asked for (git's username=,
	// from https://alice@host/ or credential.username): unless it is the
	// one the service hands out anyway, it names the account.
	Username string
}

// Open resolves the service of set. It reads the config file, and the token
// file only when nothing else names the client: the cached path must stay
// as cheap as a file read.
func Open(set *Settings, use Use) (*Session, error) {
	// The config file is parsed first, with the stack still shallow: a
	// cached call whose stack outgrows its first 8 KB pays for a copy of it.
	// A broken file is reported where it was before, after the service's
	// name is checked (Config reads it again then).
	_, _ = set.Config()
	return open(set, use)
}

// keyringOf is the keyring mirror of the service, nil when it has none.
func keyringOf(svc *service.Service, set *Settings) *persist.Keyring {
	if !svc.Keyring {
		return nil
	}
	k := &persist.Keyring{Backend: set.KeyringBackend}
	// A desktop keyring that is slow to start (a busy machine, a first
	// unlock) may get more than the default 1.5 s.
	if d, err := time.ParseDuration(set.Env("OAUTH2CRED_KEYRING_TIMEOUT")); err == nil && d > 0 {
		k.Timeout = d
	}
	return k
}

func open(set *Settings, use Use) (*Session, error) {
	name, def, layers, err := set.definition()
	if err != nil {
		return nil, err
	}
	source := sourceOf(layers)
	dir := set.Store()
	account := set.Account
	if use.Username != "" && use.Username != def.HandedUsername() {
		account = use.Username
	}
	if err := validAccount(account); err != nil {
		return nil, err
	}
	var record *persist.Token
	var recordKey string
	if def.ClientID == "" && def.Preset == "" && service.ValidName(name) == nil {
		t, key, err := savedRecord(dir, name, account)
		switch {
		case err == nil:
			fromToken(&def, t)
			source = "token file"
			record, recordKey = t, key
		case errors.Is(err, persist.ErrUnsafe):
			return nil, err // say what is wrong there, not "no client id"
		}
	}
	svc, err := service.Resolve(name, def)
	if err != nil {
		if source == "flags" && def.ClientID == "" {
			return nil, set.unknownService(name, err)
		}
		return nil, err
	}
	s := &Session{
		svc:          svc,
		set:          set,
		dir:          dir,
		ui:           &ui{stderr: set.Stderr, red: set.Redact, env: set.Env, noTTY: set.NoTerminal || use.NoTerminal},
		person:       !set.NonInteractive && !set.ci() && !use.NoPerson,
		source:       source,
		layers:       layers,
		account:      account,
		openedRecord: record,
		openedKey:    recordKey,
		isLogin:      use.Login,
		viaGit:       use.Git,
		keyring:      keyringOf(svc, set),
	}
	if svc.Insecure {
		s.ui.warn("TLS verification is off for %q (--insecure-skip-tls-verify); anyone on the network can read its tokens", svc.Name)
	}
	return s, nil
}

// savedRecord reads the token whose record defines the service when
// nothing else does: the account's own file, else the default account's
// (every account of a service shares its client and server).
// It says which file (store key) it read.
func savedRecord(dir persist.Dir, name, account string) (*persist.Token, string, error) {
	if account != "" {
		key := name + "@" + accountKey(account)
		t, err := dir.Load(key)
		if !errors.Is(err, persist.ErrNotFound) {
			return t, key, err
		}
	}
	t, err := dir.Load(name)
	return t, name, err
}

// learn tells the call's redactor the secrets of a token it holds.
func (s *Session) learn(t *persist.Token) {
	if t != nil {
		s.set.Redact.Add(t.AccessToken, t.RefreshToken, t.IDToken)
	}
}

// Close releases the terminal.
func (s *Session) Close() { s.ui.close() }

// RequestTimeout bounds each request to a server (--timeout).
func (s *Session) RequestTimeout() time.Duration {
	if s.set.Timeout > 0 {
		return s.set.Timeout
	}
	return defaultRequestTimeout
}

// personTimeout bounds the person's part of a sign-in (--login-timeout).
func (s *Session) personTimeout() time.Duration {
	if s.set.LoginTimeout > 0 {
		return s.set.LoginTimeout
	}
	return defaultPersonTimeout
}

// FlowConfig returns the OAuth client, built on first use. The login hint
// follows the call's account, which logout --all-accounts changes.
func (s *Session) FlowConfig(ctx context.Context) (*flow.Config, error) {
	if s.cfg == nil {
		cfg, err := s.buildConfig(ctx)
		if err != nil {
			return nil, err
		}
		s.cfg = cfg
	}
	cfg := *s.cfg
	cfg.AuthParams = s.authParams()
	return &cfg, nil
}

// refreshConfig is the client for refreshing old: built from its origin
// record's endpoints, without discovery, unless this call has built its
// client already. It is not kept: a sign-in that follows discovers what
// the record lacks (userinfo, the methods and grants the server allows).
func (s *Session) refreshConfig(ctx context.Context, old *persist.Token) (*flow.Config, error) {
	if s.cfg != nil || old.TokenURL == "" {
		return s.FlowConfig(ctx)
	}
	s.recorded = old
	defer func() { s.recorded = nil }()
	cfg, err := s.buildConfig(ctx)
	if err != nil {
		return nil, err
	}
	cfg.AuthParams = s.authParams()
	return cfg, nil
}

// buildConfig builds the OAuth client, discovering endpoints when needed.
func (s *Session) buildConfig(ctx context.Context) (*flow.Config, error) {
	secret, err := s.svc.Secret()
	if err != nil {
		return nil, err
	}
	s.set.Redact.Add(secret)
	var log io.Writer
	if s.set.Verbose {
		log = s.set.Stderr
	}
	opts := flow.ClientOptions{Timeout: s.RequestTimeout(), CAFile: s.svc.CAFile, Insecure: s.svc.Insecure, Log: log}
	if s.viaGit {
		n := s.gitNetwork(s.ProviderURL())
		opts.Proxy = n.proxy
		if opts.CAFile == "" {
			opts.CAFile = n.caFile
		}
		if n.insecure && !opts.Insecure {
			opts.Insecure = true
			s.ui.warn("git's http.sslVerify=false applies to the OAuth server of %q too; anyone on the network can read its tokens", s.svc.Name)
		}
	}
	client, err := flow.NewClient(opts)
	if err != nil {
		return nil, service.Settingf("%w", err)
	}
	ep, err := s.discover(ctx, client)
	if err != nil {
		return nil, err
	}
	assertion, err := s.assertion(client, ep.Issuer)
	if err != nil {
		return nil, err
	}
	return &flow.Config{
		ClientID:      s.svc.ClientID,
		ClientSecret:  secret,
		Endpoints:     *ep,
		Scopes:        service.SplitList(s.svc.Scopes),
		Method:        s.svc.Method,
		AuthParams:    s.authParams(),
		Assertion:     assertion,
		Client:        client,
		AllowNoExpiry: s.svc.AllowNoExpiry,
		ClientAuth:    s.svc.ClientAuth,
		Now:           s.set.Clock,
	}, nil
}

// authParams are the service's extra authorization parameters and, for an
// account, the login hint that preselects it at the provider.
func (s *Session) authParams() map[string]string {
	if s.account == "" {
		return s.svc.AuthParams
	}
	p := map[string]string{}
	for k, v := range s.svc.AuthParams {
		p[k] = v
	}
	hint := s.svc.LoginHintParam
	if hint == "" {
		hint = "login_hint" // OpenID Connect Core §3.1.2.1
	}
	p[hint] = s.account
	return p
}

// discover fills the endpoints not given from the issuer's metadata. A
// fully explicit service (or a preset) never pays for it. What a server's
// document says is the server's failure when it is wrong (exit 1), not the
// user's configuration.
func (s *Session) discover(ctx context.Context, client *http.Client) (*flow.Endpoints, error) {
	ep := flow.Endpoints{
		Issuer:     s.svc.Issuer,
		AuthURL:    s.svc.AuthURL,
		TokenURL:   s.svc.TokenURL,
		RefreshURL: s.svc.RefreshURL,
		DeviceURL:  s.svc.DeviceURL,
		RevokeURL:  s.svc.RevokeURL,
	}
	if r := s.recorded; r != nil && r.TokenURL != "" && ep.TokenURL == "" {
		// A refresh: the endpoints the token was issued for are in its
		// origin record, which binding compared with the service. One
		// request, no discovery (SPEC §6).
		ep.TokenURL, ep.RefreshURL, ep.RevokeURL = r.TokenURL, cmp.Or(ep.RefreshURL, r.RefreshURL), cmp.Or(ep.RevokeURL, r.RevokeURL)
		ep.AuthURL, ep.DeviceURL = cmp.Or(ep.AuthURL, r.AuthURL), cmp.Or(ep.DeviceURL, r.DeviceURL)
	} else if s.svc.Issuer != "" && (ep.TokenURL == "" || ep.AuthURL == "" || ep.DeviceURL == "" || ep.RevokeURL == "") {
		dctx, cancel := context.WithTimeout(ctx, s.RequestTimeout())
		d, err := flow.Discover(dctx, client, s.svc.Issuer)
		cancel()
		if err != nil {
			if ep.TokenURL == "" {
				return nil, err
			}
		} else {
			ep = ep.Merge(d)
		}
	}
	for _, u := range []struct{ name, value string }{{"authorization", ep.AuthURL}, {"token", ep.TokenURL}, {"device", ep.DeviceURL}, {"revocation", ep.RevokeURL}, {"userinfo", ep.UserinfoURL}} {
		if u.value == "" {
			continue
		}
		if err := service.URLProblem("the discovered "+u.name+" endpoint", u.value); err != nil {
			return nil, fmt.Errorf("%w (the issuer's discovery document is wrong; tell its operator)", err)
		}
	}
	return &ep, nil
}
