package lifecycle

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/platform"
	"oauth2cred/helper/service"
	"oauth2cred/persist"
)

// Settings are the global flags and the process environment of one call.
type Settings struct {
	Service        string
	Account        string             // --account; "" is the default account
	AllAccounts    bool               // logout --all-accounts
	Flags          service.Definition // service fields given as flags
	ConfigPath     string
	TokenDir       string
	KeyringOnly    bool
	Save, NoSave   bool
	NonInteractive bool
	NoBrowser      bool
	Verbose        bool
	Timeout        time.Duration // per request; 0: 30 s
	LoginTimeout   time.Duration // the person's part of a sign-in; 0: 5 min
	Cooldown       time.Duration // after an abandoned sign-in; 0: 10 min
	Getenv         func(string) string
	// Stderr is where messages go, behind Redact.
	Stderr io.Writer
	// Redact knows every secret of the call; every message passes it.
	Redact *flow.Redactor

	// Seams, for tests and other front ends; zero values mean the real
	// thing. Browser shows a (checked) address to the person instead of
	// $BROWSER or the desktop's opener; KeyringBackend replaces the OS
	// keyring; NoTerminal says nobody is at a terminal; Clock is the time
	// by which saved tokens age and cool-downs pass.
	Clock          func() time.Time
	Browser        func(url string) error
	KeyringBackend persist.KeyringBackend
	NoTerminal     bool
	// FromGit is the service git's own configuration defines for the URL
	// of a git call (SPEC §4), when the config file has none for it.
	FromGit *service.Definition
	// Started is when the call began; zero means now.
	Started      time.Time
	startChecked bool
	startedAt    time.Time       // Started, or the process's start when earlier
	config       *service.Config // the config file, once read
}

// Store is the token directory. The seed's --token-dir . is the current
// directory, which holds other things: that others may list it is warned
// about when a token is saved there, not refused.
func (s *Settings) Store() persist.Dir {
	p := s.TokenPath()
	return persist.Dir{Path: p, Shared: filepath.Clean(p) == "."}
}

// Now is the time by the call's clock.
func (s *Settings) Now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// started is when the call began: when its process was created where the
// system says, else when main began.
func (s *Settings) started() time.Time {
	if !s.startChecked {
		s.startChecked = true
		s.startedAt = s.Started
		if s.startedAt.IsZero() {
			s.startedAt = time.Now()
		}
		if t, ok := platform.ProcessStart(); ok && t.Before(s.startedAt) {
			s.startedAt = t
		}
	}
	return s.startedAt
}

// For is a copy of s for the service a call was routed to (git's or a
// registry's host), with the definition git's configuration gives it when
// the config file has none: the settings as the front end made them stay.
func (s *Settings) For(service string, fromGit *service.Definition) *Settings {
	c := *s
	c.Service, c.FromGit = service, fromGit
	return &c
}

// Env reads the call's environment (Getenv, else the process's).
func (s *Settings) Env(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

// ConfigFile is --config, else the platform's config file
// ($XDG_CONFIG_HOME/oauth2cred/config.toml; Windows: %APPDATA%), and
// whether --config named it.
func (s *Settings) ConfigFile() (string, bool) {
	if s.ConfigPath != "" {
		return s.ConfigPath, true
	}
	path, _ := platform.ThisDirs(s.Env)
	return path, false
}

// TokenPath is --token-dir, OAUTH2CRED_TOKEN_DIR, or the platform's token
// directory ($XDG_STATE_HOME/oauth2cred; Windows: %LOCALAPPDATA%): a
// stable per-user place, since git and kubectl run helpers from any
// directory and a token inside a work tree gets committed.
func (s *Settings) TokenPath() string {
	if s.TokenDir != "" {
		return s.TokenDir
	}
	if d := s.Env("OAUTH2CRED_TOKEN_DIR"); d != "" {
		return d
	}
	_, dir := platform.ThisDirs(s.Env)
	return dir
}

// ServiceName is --service, else OAUTH2CRED_SERVICE: the service the call
// names, "" when it names none.
func (s *Settings) ServiceName() string {
	if s.Service != "" {
		return s.Service
	}
	return s.Env("OAUTH2CRED_SERVICE")
}

// ForAccount is a copy of s for another account of the same service.
func (s *Settings) ForAccount(account string) *Settings {
	c := *s
	c.Account = account
	return &c
}

// Home is the person's home directory (platform.Home).
func (s *Settings) Home() string { return platform.ThisHome(s.Env) }

func (s *Settings) ci() bool {
	switch strings.ToLower(s.Env("CI")) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// Config is the config file, read once per call (routing a git request
// and opening its service both need it).
func (s *Settings) Config() (*service.Config, error) {
	if s.config == nil {
		path, explicit := s.ConfigFile()
		cfg, err := service.Load(path, explicit)
		if err != nil {
			return nil, err
		}
		s.config = cfg
	}
	return s.config, nil
}

// definition is the service's name and its layers (config file or git's
// config < environment < flags; the preset under them is Resolve's), laid
// over each other.
func (s *Settings) definition() (string, service.Definition, []service.Layer, error) {
	name := s.ServiceName()
	if err := service.ValidName(name); err != nil {
		return "", service.Definition{}, nil, err
	}
	layers, err := s.layers(name)
	if err != nil {
		return "", service.Definition{}, nil, err
	}
	var d service.Definition
	for i := range layers {
		d.Overlay(&layers[i].Def)
	}
	return name, d, layers, nil
}

// sourceOf says what defined a service: "config", "git config" (for a git
// call, when the config file does not have it) or "flags".
func sourceOf(layers []service.Layer) string {
	source := "flags"
	for _, l := range layers {
		if l.Name == "config file" || l.Name == "git config" {
			source = strings.TrimSuffix(l.Name, " file")
		}
	}
	return source
}

// layers are the definitions of service name, weakest first: the config
// file (or, for a git call it does not serve, git's own configuration),
// the environment, the flags. The preset under them all is Resolve's.
func (s *Settings) layers(name string) ([]service.Layer, error) {
	cfg, err := s.Config()
	if err != nil {
		return nil, err
	}
	// Filled in place, through pointers: a Definition is 700 bytes, and
	// copies of them in this frame made a cached call outgrow its stack.
	layers := make([]service.Layer, 1, 3)
	layers[0].Name = "config file"
	inConfig, err := cfg.Into(name, &layers[0].Def)
	switch {
	case err != nil:
		return nil, err
	case inConfig:
	case s.FromGit != nil:
		layers[0] = service.Layer{Name: "git config"}
		layers[0].Def = *s.FromGit
	default:
		layers = layers[:0]
	}
	layers = append(layers, service.Layer{Name: "environment"}, service.Layer{Name: "flags"})
	env, flags := &layers[len(layers)-2].Def, &layers[len(layers)-1].Def
	env.ClientID, env.ClientSecret = s.Env("OAUTH2CRED_CLIENT_ID"), s.Env("OAUTH2CRED_CLIENT_SECRET")
	*flags = s.Flags
	if s.KeyringOnly {
		flags.Storage = "keyring"
	}
	return layers, nil
}

// unknownService is err for a service that nothing defines, with the
// closest name the config file or the token directory has, when one is
// close (a typo, another case).
func (s *Settings) unknownService(name string, err error) error {
	var known []string
	if cfg, cerr := s.Config(); cerr == nil {
		known = append(known, cfg.Names()...)
	}
	if keys, lerr := s.Store().Services(); lerr == nil {
		for _, k := range keys {
			n, _ := SplitKey(k)
			known = append(known, n)
		}
	}
	if hint := service.DidYouMean(name, known); hint != "" {
		return service.Settingf("no service %q in the config file or among the saved tokens%s; or define it with --client-id and --issuer", name, hint)
	}
	return err
}
