package main

// The flags every command takes, and how they become helper settings.

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"oauth2cred/flow"
	"oauth2cred/helper"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// flagKind is the kind of value a flag takes.
type flagKind uint8

const (
	kString flagKind = iota
	kList
	kBool
	kInt
	kDuration
)

// flagGroup is the group a flag belongs to: help shows flags by group,
// and a command takes the groups that apply to it (commandGroups).
type flagGroup string

const (
	gService  flagGroup = "Service"
	gAuth     flagGroup = "Client authentication"
	gExchange flagGroup = "CI and token exchange"
	gNetwork  flagGroup = "Network"
	gStore    flagGroup = "Storage and prompts"
	gLogout   flagGroup = "Logout"
)

// flagSpec describes one flag of the commands.
type flagSpec struct {
	name  string
	kind  flagKind
	group flagGroup
	usage string
}

// flagTable is the one description of the flags every command accepts
// (urfave/cli v2 has no inherited flags, and flags may stand before or
// after the operation): urfave/cli's flags are made from it, and the hot
// path parses with it. A static array: it costs nothing at start-up.
var flagTable = [...]flagSpec{
	{"service", kString, gService, "service `NAME` ([A-Za-z0-9._-]{1,64}; env OAUTH2CRED_SERVICE)"},
	{"account", kString, gService, "which `ACCOUNT` of the service (default: the default account; for git, the URL's user name)"},
	{"all-accounts", kBool, gLogout, "logout: every account of the service"},
	{"preset", kString, gService, "built-in provider: github, gitlab, google, microsoft, gitea, forgejo, codeberg, bitbucket"},
	{"client-id", kString, gService, "OAuth client id (env OAUTH2CRED_CLIENT_ID)"},
	{"client-secret", kString, gAuth, "OAuth client secret; prefer --client-secret-file (env OAUTH2CRED_CLIENT_SECRET)"},
	{"client-secret-file", kString, gAuth, "read the client secret from `FILE`"},
	{"client-auth", kString, gAuth, "how the client secret is sent, basic or post, for every request (default: what the server accepts, Basic first)"},
	{"client-key-file", kString, gAuth, "PEM private key `FILE` (RSA or P-256): authenticate with private_key_jwt, no secret"},
	{"client-key-id", kString, gAuth, "kid of --client-key-file as registered at the provider"},
	{"client-assertion-file", kString, gAuth, "signed JWT `FILE` sent as client_assertion, re-read on every request (projected tokens rotate)"},
	{"client-assertion-source", kString, gAuth, "where the client assertion comes from: github-actions, gitlab or env"},
	{"client-assertion-env", kString, gAuth, "`VARIABLE` holding the JWT, for the gitlab and env sources (an id_tokens: entry)"},
	{"client-assertion-audience", kString, gAuth, "audience to ask GitHub Actions for (default: the issuer)"},
	{"subject-token-file", kString, gExchange, "token-exchange: the token to exchange, from `FILE` (re-read every time)"},
	{"subject-token-source", kString, gExchange, "token-exchange: github-actions, gitlab or env"},
	{"subject-token-env", kString, gExchange, "token-exchange: `VARIABLE` holding the token (gitlab and env sources)"},
	{"subject-token-type", kString, gExchange, "token-exchange: subject_token_type (default urn:ietf:params:oauth:token-type:jwt)"},
	{"audience", kString, gExchange, "token-exchange: audience of the token asked for"},
	{"resource", kString, gExchange, "token-exchange: resource of the token asked for"},
	{"requested-token-type", kString, gExchange, "token-exchange: requested_token_type (default …:access_token)"},
	{"auth-url", kString, gService, "authorization endpoint"},
	{"token-url", kString, gService, "token endpoint"},
	{"refresh-url", kString, gService, "endpoint for the refresh grant (default: the token endpoint)"},
	{"device-url", kString, gService, "device authorization endpoint (RFC 8628)"},
	{"revoke-url", kString, gService, "revocation endpoint (RFC 7009)"},
	{"issuer", kString, gService, "issuer `URL`; discovery fills every endpoint not given"},
	{"scope", kList, gService, "scope to ask for (repeatable; also space- or comma-separated)"},
	{"method", kString, gService, "how the token endpoint is called: post (RFC 6749) or get (legacy servers)"},
	{"param", kList, gService, "extra authorization parameter `key=value` (repeatable), e.g. access_type=offline"},
	{"flow", kString, gService, "auto, browser, device, client-credentials or token-exchange"},
	{"host", kList, gService, "host this service answers git for (repeatable; default: the host of the auth URL or issuer)"},
	{"registry-username", kString, gService, "user name handed to container tools (default: --username; google: oauth2accesstoken)"},
	{"username", kString, gService, "username handed to git (default oauth2)"},
	{"token-type", kString, gService, "token handed out: access_token or id_token"},
	{"redirect-port", kInt, gService, "loopback port for the browser flow (default: any free port)"},
	{"redirect-url", kList, gService, "exact redirect `URL` registered at the provider, http://127.0.0.1:PORT/PATH or http://localhost:PORT/PATH (repeatable: tried in order until a port is free)"},
	{"ca-file", kString, gNetwork, "PEM `FILE` of extra CAs for the OAuth server"},
	{"insecure-skip-tls-verify", kBool, gNetwork, "do not verify the OAuth server's certificate (warns every time)"},
	{"git-bearer", kBool, gService, "answer git >= 2.46 with an Authorization: Bearer credential"},
	{"allow-no-expiry", kBool, gService, "accept tokens without expires_in, used until a server rejects them (the github preset sets it)"},
	{"token-dir", kString, gStore, "where .<service>-token files live (env OAUTH2CRED_TOKEN_DIR; default $XDG_STATE_HOME/oauth2cred, on Windows %LOCALAPPDATA%\\oauth2cred)"},
	{"keyring", kBool, gStore, "mirror every saved token into the OS keyring"},
	{"keyring-only", kBool, gStore, "keep tokens only in the OS keyring, never in a file"},
	{"save", kBool, gStore, "save a new token without asking"},
	{"no-save", kBool, gStore, "never save a new token"},
	{"non-interactive", kBool, gStore, "never prompt or open a browser; exit 3 when a person is needed"},
	{"no-browser", kBool, gStore, "do not open a browser; print the address instead"},
	{"config", kString, gStore, "config `FILE` (default $XDG_CONFIG_HOME/oauth2cred/config.toml, on Windows %APPDATA%\\oauth2cred\\config.toml)"},
	{"timeout", kDuration, gNetwork, "limit for each server request (default 30s)"},
	{"login-timeout", kDuration, gStore, "limit for the person's part of a sign-in, save prompt included (default 5m)"},
	{"cooldown", kDuration, gStore, "after an abandoned sign-in, calls without a terminal fail fast for this long (default 10m)"},
	{"verbose", kBool, gStore, "log each request to stderr, secrets redacted"},
}

// The flag groups of the commands: static data, so that no code runs for
// them when a process starts (the hot path asks commandGroups).
var (
	signInGroups = [...]flagGroup{gService, gAuth, gExchange, gNetwork, gStore}
	logoutGroups = [...]flagGroup{gService, gAuth, gExchange, gNetwork, gStore, gLogout}
	statusGroups = [...]flagGroup{gStore}
)

// commandGroups are the flag groups command cmd takes; a command not
// named takes none of them.
func commandGroups(cmd string) []flagGroup {
	switch cmd {
	case "token", "git", "kubectl", "docker", "login", "doctor", "setup", "unsetup":
		return signInGroups[:]
	case "logout":
		return logoutGroups[:]
	case "status":
		return statusGroups[:]
	}
	return nil
}

// appliesTo says whether command cmd takes flag f.
func appliesTo(cmd string, f flagSpec) bool {
	return slices.Contains(commandGroups(cmd), f.group) || (cmd == "status" && f.name == "service")
}

// flagsFor returns urfave/cli's flags of command cmd, grouped for help.
func flagsFor(cmd string) []cli.Flag {
	out := make([]cli.Flag, 0, len(flagTable))
	for _, f := range flagTable {
		if !appliesTo(cmd, f) {
			continue
		}
		names, cat := []string{f.name}, string(f.group)
		switch f.kind {
		case kString:
			out = append(out, stringFlag{&cli.StringFlag{Name: f.name, Usage: f.usage, Category: cat}, names})
		case kList:
			out = append(out, stringsFlag{&cli.StringSliceFlag{Name: f.name, Usage: f.usage, Category: cat}, names})
		case kBool:
			out = append(out, boolFlag{&cli.BoolFlag{Name: f.name, Usage: f.usage, Category: cat}, names})
		case kInt:
			out = append(out, intFlag{&cli.IntFlag{Name: f.name, Usage: f.usage, Category: cat}, names})
		case kDuration:
			out = append(out, durationFlag{&cli.DurationFlag{Name: f.name, Usage: f.usage, Category: cat}, names})
		}
	}
	return out
}

// lookupFlag finds a flag of the table by name.
func lookupFlag(name string) (flagSpec, bool) {
	for _, f := range flagTable {
		if f.name == name {
			return f, true
		}
	}
	return flagSpec{}, false
}

// flagSource is where the flags of one call were given: urfave/cli's
// contexts, or the hot path's own parse of the command line. given names
// the flags that were set.
type flagSource interface {
	Given(name string) bool
	Names() []string
	String(name string) string
	StringSlice(name string) []string
	Bool(name string) bool
	Int(name string) int
	Duration(name string) time.Duration
}

// cliSource reads urfave/cli's contexts: a flag given at an inner level
// (git get --service X) wins over an outer one.
type cliSource struct{ at map[string]*cli.Context }

func newCLISource(c *cli.Context) cliSource {
	at := map[string]*cli.Context{}
	lineage := c.Lineage()
	for i := len(lineage) - 1; i >= 0; i-- {
		for _, name := range lineage[i].LocalFlagNames() {
			at[name] = lineage[i]
		}
	}
	return cliSource{at}
}

func (s cliSource) Names() []string                    { return slices.Collect(maps.Keys(s.at)) }
func (s cliSource) Given(name string) bool             { return s.at[name] != nil }
func (s cliSource) String(name string) string          { return s.ctx(name).String(name) }
func (s cliSource) StringSlice(name string) []string   { return s.ctx(name).StringSlice(name) }
func (s cliSource) Bool(name string) bool              { return s.ctx(name).Bool(name) }
func (s cliSource) Int(name string) int                { return s.ctx(name).Int(name) }
func (s cliSource) Duration(name string) time.Duration { return s.ctx(name).Duration(name) }

func (s cliSource) ctx(name string) *cli.Context { return s.at[name] }

// settings reads the flags of every level into helper settings.
func settings(c *cli.Context, started time.Time, red *flow.Redactor) (*lifecycle.Settings, error) {
	return settingsFrom(newCLISource(c), started, red)
}

// settingsFrom maps the flags given into helper settings: the service's
// fields through their one description (service.FromFlags), the call's own
// flags here.
func settingsFrom(src flagSource, started time.Time, red *flow.Redactor) (*lifecycle.Settings, error) {
	str := func(name string) string {
		if src.Given(name) {
			return src.String(name)
		}
		return ""
	}
	flag := func(name string) bool { return src.Given(name) && src.Bool(name) }
	def, err := service.FromFlags(src)
	if err != nil {
		return nil, err
	}
	set := &lifecycle.Settings{
		Started:        started,
		Redact:         red,
		Stderr:         red.Writer(os.Stderr),
		Service:        str("service"),
		Account:        str("account"),
		AllAccounts:    flag("all-accounts"),
		Flags:          def,
		ConfigPath:     str("config"),
		TokenDir:       str("token-dir"),
		KeyringOnly:    flag("keyring-only"),
		Save:           flag("save"),
		NoSave:         flag("no-save"),
		NonInteractive: flag("non-interactive"),
		NoBrowser:      flag("no-browser"),
		Verbose:        flag("verbose"),
	}
	for _, d := range [...]struct {
		name string
		dst  *time.Duration
	}{{"timeout", &set.Timeout}, {"login-timeout", &set.LoginTimeout}, {"cooldown", &set.Cooldown}} {
		if src.Given(d.name) {
			*d.dst = src.Duration(d.name)
			if *d.dst <= 0 {
				return nil, helper.Usagef("--%s must be positive, e.g. 30s or 2m", d.name)
			}
		}
	}
	if set.Save && set.NoSave {
		return nil, helper.Usagef("--save and --no-save contradict each other; pass one")
	}
	return set, nil
}

// withSettingsAt reads the flags before running the command's action.
func withSettingsAt(started time.Time, red *flow.Redactor, action func(*cli.Context, *lifecycle.Settings) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Command.Name != "git" { // git takes its operation as an argument
			if err := checkArgs(c); err != nil {
				return err
			}
		}
		set, err := settings(c, started, red)
		if err != nil {
			return err
		}
		return action(c, set)
	}
}

// withUsageErrors gives every command the one-line usage error (urfave/cli
// v2 commands do not inherit the app's).
func withUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.HideHelpCommand = true
		c.OnUsageError = usageError
		withUsageErrors(c.Subcommands)
	}
}

// usageError makes a flag mistake one line instead of a help dump; main
// adds the --help of the command that ran.
func usageError(_ *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		dashes := "--"
		if len(name) == 1 {
			dashes = "-"
		}
		var names []string
		for _, f := range flagTable {
			names = append(names, f.name)
		}
		suggestion := strings.Replace(service.DidYouMean(name, names), "mean ", "mean --", 1)
		return helper.Usagef("%w%s", &unknownFlagError{dashes + name}, suggestion)
	}
	// flag's own words: invalid value "5" for flag -timeout: parse error
	if m := badValue().FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("--%s %s, not %q", m[2], valueKinds[m[2]], m[1])
		if valueKinds[m[2]] == "" {
			msg = fmt.Sprintf("--%s cannot take %q", m[2], m[1])
		}
	}
	return helper.Usagef("%s", msg)
}

// unknownFlagError is a flag that the command does not take; main says
// where it goes when it stands before the command.
type unknownFlagError struct{ flag string }

func (e *unknownFlagError) Error() string { return "unknown flag " + e.flag }

// badValue is compiled only for a usage error: at start-up it cost more
// than a cached call's own work.
func badValue() *regexp.Regexp {
	return regexp.MustCompile(`^invalid value "(.*)" for flag -+([a-z-]+): `)
}

// valueKinds says what a flag with a typed value takes.
var valueKinds = map[string]string{
	"timeout":       "takes a duration such as 30s or 2m",
	"login-timeout": "takes a duration such as 30s or 5m",
	"cooldown":      "takes a duration such as 30s or 10m",
	"redirect-port": "takes a port number",
}

// checkArgs refuses stray arguments: they are a mistake (a flag's name
// forgotten), never silently ignored.
func checkArgs(c *cli.Context) error {
	if c.NArg() == 0 {
		return nil
	}
	arg := c.Args().First()
	msg := fmt.Sprintf("unexpected argument %q", arg)
	switch {
	case slices.Contains(helper.TokenFormats, arg) && c.Command.Name == "token":
		msg += fmt.Sprintf(" (did you mean --format %s?)", arg)
	case service.ValidName(arg) == nil && !c.IsSet("service"):
		msg += fmt.Sprintf(" (did you mean --service %s?)", arg)
	}
	return helper.Usagef("%s", msg)
}
