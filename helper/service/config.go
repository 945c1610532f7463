package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// stringList is a list in the config file that, like the flag, may also be
// written as one string of space- or comma-separated items.
type stringList []string

// config is the config file as read: the services that are well written,
// and what is wrong with the others, so that one broken table does not
// break status or logout of another service.
// Config is the config file's services: those that decode, and what is
// wrong with those that do not (a broken table affects only its service).
type Config struct {
	services map[string]Definition
	broken   map[string]error
	order    []string // the services' names in the file's order
}

// Names are the services that decode, in the file's order.
func (c *Config) Names() []string {
	var out []string
	for _, n := range c.order {
		if _, ok := c.services[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Has says whether the file has a table for name, whether or not it
// decodes: a broken table's name is taken too.
func (c *Config) Has(name string) bool {
	_, ok := c.services[name]
	_, broken := c.broken[name]
	return ok || broken
}

// Definitions are the services that decode, by name.
func (c *Config) Definitions() map[string]Definition { return c.services }

// Problems say what is wrong with each broken table.
func (c *Config) Problems() []error {
	var out []error
	for _, err := range c.broken {
		out = append(out, err)
	}
	return out
}

// Load reads the config file. A missing default file is no error; a
// missing file named by --config is. A file that is not TOML at all is an
// error for every service.
func Load(path string, explicit bool) (*Config, error) {
	cfg := &Config{services: map[string]Definition{}, broken: map[string]error{}}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return cfg, nil
		}
		return nil, Settingf("cannot read config file: %v", err)
	}
	return Parse(path, data)
}

// Parse reads a config file's text (path names it in errors).
func Parse(path string, data []byte) (*Config, error) {
	cfg := &Config{services: map[string]Definition{}, broken: map[string]error{}}
	// Decoded into maps, then into Definitions by their field description
	// (fromTable): decoding straight into the 45-field struct analysed it
	// by reflection, 0.18 M instructions of every cached call.
	var raw map[string]any
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, parseFailure(path, data, err)
	}
	if err := cfg.add(path, raw); err != nil {
		return nil, err
	}
	for _, key := range md.Keys() {
		if len(key) == 2 && key[0] == "services" {
			cfg.order = append(cfg.order, key[1])
		}
	}
	return cfg, nil
}

// parseFailure says where the file is not TOML.
func parseFailure(path string, data []byte, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return Settingf("config file %s, line %d: %s", path, pe.Position.Line, parseProblem(data, pe))
	}
	return Settingf("config file %s: %v", path, err)
}

// add takes the services of the decoded file; another top-level key is an
// error for every service.
func (c *Config) add(path string, raw map[string]any) error {
	for key, v := range raw {
		if key != "services" {
			return Settingf("config file %s: unknown table or key %q (services go in [services.NAME]); see 'oauth2cred help config'", path, key)
		}
		if _, ok := v.(map[string]any); !ok {
			return Settingf("config file %s: services is a table of tables ([services.NAME]), not %s", path, kindOf(v))
		}
	}
	services, _ := raw["services"].(map[string]any)
	for name, v := range services {
		d, err := fromTable(v)
		if err != nil {
			c.broken[name] = Settingf("config file %s, service %q: %v", path, name, err)
			continue
		}
		c.services[name] = d
	}
	return nil
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
	if strings.HasPrefix(pe.Message, "expected value but found") {
		// BurntSushi quotes what follows its first letter ("ative" for
		// native): say what a value is instead.
		return fmt.Sprintf("the value of %s is not one TOML takes: put a string in double quotes (\"…\"), or write a number, true, false, a [list] or a { table }", strings.TrimSpace(strings.SplitN(line, "=", 2)[0]))
	}
	return pe.Message
}

// Into sets *d to the definition of name and reports whether the file has
// it (a copy through a pointer: the cached path's frames stay small).
func (c *Config) Into(name string, d *Definition) (bool, error) {
	if err := c.broken[name]; err != nil {
		return false, err
	}
	def, ok := c.services[name]
	if ok {
		*d = def
	}
	return ok, nil
}

// Service returns the definition of name, or what is wrong with it.
func (c *Config) Service(name string) (Definition, bool, error) {
	var d Definition
	ok, err := c.Into(name, &d)
	return d, ok, err
}

// Keys are the keys a service's table takes, in Definition's order.
func Keys() []string {
	var out []string
	for _, key := range fieldKeys() {
		if key != "" {
			out = append(out, key)
		}
	}
	return out
}

// DidYouMean is " (did you mean X?)" for the closest of known to key
// (fewer than three edits; any case), or "".
func DidYouMean(key string, known []string) string {
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
func Help() string {
	return `The config file is $XDG_CONFIG_HOME/oauth2cred/config.toml (~/.config/oauth2cred/config.toml;
--config FILE picks another). One table per service; keys are the flags' names with "_":

  [services.work-gitlab]
  preset = "gitlab"
  client_id = "abc"
  hosts = ["gitlab.example.com"]
  scopes = "read_repository write_repository"   # a list, or one string like the flag
  auth_params = { prompt = "consent" }

Keys: ` + strings.Join(Keys(), " ") + `

Sources, each overriding the one before: presets < config file < environment < flags.
An unknown key is an error, with the nearest key named; a broken table affects only its service.`
}
