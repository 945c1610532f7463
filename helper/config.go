package helper

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Settings are the global flags and the process environment of one call.
type Settings struct {
	Service        string
	Account        string     // --account; "" is the default account
	AllAccounts    bool       // logout --all-accounts
	Flags          Definition // service fields given as flags
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
	Stderr         *os.File
	// Started is when the call began; zero means now.
	Started      time.Time
	startChecked bool
}

// started is when the call began: when its process was created where the
// system says, else when main began.
func (s *Settings) started() time.Time {
	if !s.startChecked {
		s.startChecked = true
		if s.Started.IsZero() {
			s.Started = time.Now()
		}
		if t, ok := processStart(); ok && t.Before(s.Started) {
			s.Started = t
		}
	}
	return s.Started
}

func (s *Settings) env(k string) string {
	if s.Getenv == nil {
		return os.Getenv(k)
	}
	return s.Getenv(k)
}

func (s *Settings) home() string {
	if h := s.env("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// configPath is $XDG_CONFIG_HOME/oauth2cred/config.toml unless --config.
func (s *Settings) configPath() (string, bool) {
	if s.ConfigPath != "" {
		return s.ConfigPath, true
	}
	base := s.env("XDG_CONFIG_HOME")
	if base == "" {
		base = filepath.Join(s.home(), ".config")
	}
	return filepath.Join(base, "oauth2cred", "config.toml"), false
}

// tokenDir is --token-dir, OAUTH2CRED_TOKEN_DIR, or $XDG_STATE_HOME/oauth2cred:
// a stable per-user place, since git and kubectl run helpers from any
// directory and a token inside a work tree gets committed.
func (s *Settings) tokenDir() string {
	if s.TokenDir != "" {
		return s.TokenDir
	}
	if d := s.env("OAUTH2CRED_TOKEN_DIR"); d != "" {
		return d
	}
	base := s.env("XDG_STATE_HOME")
	if base == "" {
		base = filepath.Join(s.home(), ".local", "state")
	}
	return filepath.Join(base, "oauth2cred")
}

func (s *Settings) ci() bool {
	switch strings.ToLower(s.env("CI")) {
	case "true", "1", "yes":
		return true
	}
	return false
}

type configFile struct {
	Services map[string]Definition `toml:"services"`
}

// loadConfig reads the config file. A missing default file is no error; a
// missing file named by --config is.
func loadConfig(path string, explicit bool) (map[string]Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil, nil
		}
		return nil, usageErr("cannot read config file: %v", err)
	}
	var cf configFile
	md, err := toml.Decode(string(data), &cf)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, usageErr("config file %s, line %d: %s", path, pe.Position.Line, pe.Message)
		}
		return nil, usageErr("config file %s: %v", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, usageErr("config file %s: unknown key %q; see 'oauth2cred --help' for the keys", path, und[0].String())
	}
	return cf.Services, nil
}

// definition layers preset < config file < environment < flags, and says
// whether the config file has the service.
func (s *Settings) definition() (string, Definition, bool, error) {
	name := s.Service
	if name == "" {
		name = s.env("OAUTH2CRED_SERVICE")
	}
	if err := ValidName(name); err != nil {
		return "", Definition{}, false, err
	}
	path, explicit := s.configPath()
	services, err := loadConfig(path, explicit)
	if err != nil {
		return "", Definition{}, false, err
	}
	var d Definition
	configured, inConfig := services[name]
	d.overlay(configured)
	d.overlay(Definition{ClientID: s.env("OAUTH2CRED_CLIENT_ID"), ClientSecret: s.env("OAUTH2CRED_CLIENT_SECRET")})
	flags := s.Flags
	if s.KeyringOnly {
		flags.Storage = "keyring"
	}
	d.overlay(flags)
	return name, d, inConfig, nil
}
