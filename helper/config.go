package helper

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"oauth2cred/flow"
	"oauth2cred/helper/exit"
	"oauth2cred/persist"
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
	// Stderr is where messages go, behind Redact.
	Stderr io.Writer
	// Redact knows every secret of the call; every message passes it.
	Redact *flow.Redactor

	// Seams, for tests and other front ends; zero values mean the real
	// thing. Browser shows a (checked) address to the person instead of
	// $BROWSER or the desktop's opener; KeyringBackend replaces the OS
	// keyring; NoTerminal says nobody is at a terminal.
	Browser        func(url string) error
	KeyringBackend persist.KeyringBackend
	NoTerminal     bool
	// Started is when the call began; zero means now.
	Started      time.Time
	startChecked bool
}

// store is the token directory. The seed's --token-dir . is the current
// directory, which holds other things: that others may list it is warned
// about when a token is saved there, not refused.
func (s *Settings) store() persist.Dir {
	p := s.tokenDir()
	return persist.Dir{Path: p, Shared: filepath.Clean(p) == "."}
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

// stringList is a list in the config file that, like the flag, may also be
// written as one string of space- or comma-separated items.
type stringList []string

func (l *stringList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*l = splitList([]string{v})
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("a list of strings, not %v", e)
			}
			*l = append(*l, s)
		}
	default:
		return fmt.Errorf("a string or a list of strings, not %v", v)
	}
	return nil
}

// config is the config file as read: the services that are well written,
// and what is wrong with the others, so that one broken table does not
// break status or logout of another service.
type config struct {
	services map[string]Definition
	broken   map[string]error
}

// loadConfig reads the config file. A missing default file is no error; a
// missing file named by --config is. A file that is not TOML at all is an
// error for every service.
func loadConfig(path string, explicit bool) (*config, error) {
	cfg := &config{services: map[string]Definition{}, broken: map[string]error{}}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return cfg, nil
		}
		return nil, exit.Usagef("cannot read config file: %v", err)
	}
	var raw struct {
		Services map[string]toml.Primitive `toml:"services"`
	}
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, exit.Usagef("config file %s, line %d: %s", path, pe.Position.Line, parseProblem(data, pe))
		}
		return nil, exit.Usagef("config file %s: %v", path, err)
	}
	for name, prim := range raw.Services {
		var d Definition
		if err := md.PrimitiveDecode(prim, &d); err != nil {
			cfg.broken[name] = exit.Usagef("config file %s, service %q: %v", path, name, err)
			continue
		}
		cfg.services[name] = d
	}
	for _, key := range md.Undecoded() {
		parts := []string(key)
		switch {
		case len(parts) == 3 && parts[0] == "services":
			if _, done := cfg.broken[parts[1]]; !done {
				cfg.broken[parts[1]] = exit.Usagef("config file %s, service %q: unknown key %q%s; see 'oauth2cred help config' for the keys", path, parts[1], parts[2], didYouMean(parts[2], configKeys()))
			}
			delete(cfg.services, parts[1])
		case len(parts) == 1:
			return nil, exit.Usagef("config file %s: unknown table or key %q (services go in [services.NAME]); see 'oauth2cred help config'", path, parts[0])
		}
	}
	return cfg, nil
}

// parseProblem says what is wrong at a TOML parse error without repeating
// a secret: the parser quotes the text it choked on, and an unquoted
// client_secret = Gx… is exactly such text.
func parseProblem(data []byte, pe toml.ParseError) string {
	lines := strings.Split(string(data), "\n")
	line := ""
	if n := pe.Position.Line; n >= 1 && n <= len(lines) {
		line = strings.ToLower(lines[n-1])
	}
	if strings.Contains(line, "secret") || strings.Contains(strings.ToLower(pe.LastKey), "secret") {
		return "the value there is not valid TOML (put strings in double quotes); it is not shown, as it may be a secret"
	}
	return pe.Message
}

// service returns the definition of name, or what is wrong with it.
func (c *config) service(name string) (Definition, bool, error) {
	if err := c.broken[name]; err != nil {
		return Definition{}, false, err
	}
	d, ok := c.services[name]
	return d, ok, nil
}

// configKeys are the keys a service's table takes.
func configKeys() []string {
	var keys []string
	t := reflect.TypeOf(Definition{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// didYouMean names the closest known key, when one is close.
func didYouMean(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// ConfigHelp is the help topic of the config file. It is made when asked
// for: the list of keys comes from Definition by reflection, which at
// start-up cost every cached call.
func ConfigHelp() string {
	return `The config file is $XDG_CONFIG_HOME/oauth2cred/config.toml (~/.config/oauth2cred/config.toml;
--config FILE picks another). One table per service; keys are the flags' names with "_":

  [services.work-gitlab]
  preset = "gitlab"
  client_id = "abc"
  hosts = ["gitlab.example.com"]
  scopes = "read_repository write_repository"   # a list, or one string like the flag
  auth_params = { prompt = "consent" }

Keys: ` + strings.Join(configKeys(), " ") + `

Sources, each overriding the one before: presets < config file < environment < flags.
An unknown key is an error, with the nearest key named; a broken table affects only its service.`
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
	cfg, err := loadConfig(path, explicit)
	if err != nil {
		return "", Definition{}, false, err
	}
	configured, inConfig, err := cfg.service(name)
	if err != nil {
		return "", Definition{}, false, err
	}
	var d Definition
	d.overlay(configured)
	d.overlay(Definition{ClientID: s.env("OAUTH2CRED_CLIENT_ID"), ClientSecret: s.env("OAUTH2CRED_CLIENT_SECRET")})
	flags := s.Flags
	if s.KeyringOnly {
		flags.Storage = "keyring"
	}
	d.overlay(flags)
	return name, d, inConfig, nil
}
