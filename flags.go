package main

// The flags every command takes, and how they become helper settings.

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"oauth2cred/flow"
	"oauth2cred/helper"
)

// allFlags returns the flags every command accepts: urfave/cli v2 has no
// inherited flags, and flags may stand before or after the operation.
func allFlags() []cli.Flag {
	return []cli.Flag{
		str(&cli.StringFlag{Name: "service", Usage: "service `NAME` ([A-Za-z0-9._-]{1,64}; env OAUTH2CRED_SERVICE)"}),
		str(&cli.StringFlag{Name: "account", Usage: "which `ACCOUNT` of the service (default: the default account; for git, the URL's user name)"}),
		boolean(&cli.BoolFlag{Name: "all-accounts", Usage: "logout: every account of the service"}),
		str(&cli.StringFlag{Name: "preset", Usage: "built-in provider: github, gitlab, google, microsoft, gitea, forgejo, codeberg, bitbucket"}),
		str(&cli.StringFlag{Name: "client-id", Usage: "OAuth client id (env OAUTH2CRED_CLIENT_ID)"}),
		str(&cli.StringFlag{Name: "client-secret", Usage: "OAuth client secret; prefer --client-secret-file (env OAUTH2CRED_CLIENT_SECRET)"}),
		str(&cli.StringFlag{Name: "client-secret-file", Usage: "read the client secret from `FILE`"}),
		str(&cli.StringFlag{Name: "client-auth", Usage: "how the client secret is sent, basic or post, for every request (default: what the server accepts, Basic first)"}),
		str(&cli.StringFlag{Name: "client-key-file", Usage: "PEM private key `FILE` (RSA or P-256): authenticate with private_key_jwt, no secret"}),
		str(&cli.StringFlag{Name: "client-key-id", Usage: "kid of --client-key-file as registered at the provider"}),
		str(&cli.StringFlag{Name: "client-assertion-file", Usage: "signed JWT `FILE` sent as client_assertion, re-read on every request (projected tokens rotate)"}),
		str(&cli.StringFlag{Name: "client-assertion-source", Usage: "where the client assertion comes from: github-actions, gitlab or env"}),
		str(&cli.StringFlag{Name: "client-assertion-env", Usage: "`VARIABLE` holding the JWT, for the gitlab and env sources (an id_tokens: entry)"}),
		str(&cli.StringFlag{Name: "client-assertion-audience", Usage: "audience to ask GitHub Actions for (default: the issuer)"}),
		str(&cli.StringFlag{Name: "subject-token-file", Usage: "token-exchange: the token to exchange, from `FILE` (re-read every time)"}),
		str(&cli.StringFlag{Name: "subject-token-source", Usage: "token-exchange: github-actions, gitlab or env"}),
		str(&cli.StringFlag{Name: "subject-token-env", Usage: "token-exchange: `VARIABLE` holding the token (gitlab and env sources)"}),
		str(&cli.StringFlag{Name: "subject-token-type", Usage: "token-exchange: subject_token_type (default urn:ietf:params:oauth:token-type:jwt)"}),
		str(&cli.StringFlag{Name: "audience", Usage: "token-exchange: audience of the token asked for"}),
		str(&cli.StringFlag{Name: "resource", Usage: "token-exchange: resource of the token asked for"}),
		str(&cli.StringFlag{Name: "requested-token-type", Usage: "token-exchange: requested_token_type (default …:access_token)"}),
		str(&cli.StringFlag{Name: "auth-url", Usage: "authorization endpoint"}),
		str(&cli.StringFlag{Name: "token-url", Usage: "token endpoint"}),
		str(&cli.StringFlag{Name: "refresh-url", Usage: "endpoint for the refresh grant (default: the token endpoint)"}),
		str(&cli.StringFlag{Name: "device-url", Usage: "device authorization endpoint (RFC 8628)"}),
		str(&cli.StringFlag{Name: "revoke-url", Usage: "revocation endpoint (RFC 7009)"}),
		str(&cli.StringFlag{Name: "issuer", Usage: "issuer `URL`; discovery fills every endpoint not given"}),
		strs(&cli.StringSliceFlag{Name: "scope", Usage: "scope to ask for (repeatable; also space- or comma-separated)"}),
		str(&cli.StringFlag{Name: "method", Usage: "how the token endpoint is called: post (RFC 6749) or get (legacy servers)"}),
		strs(&cli.StringSliceFlag{Name: "param", Usage: "extra authorization parameter `key=value` (repeatable), e.g. access_type=offline"}),
		str(&cli.StringFlag{Name: "flow", Usage: "auto, browser, device, client-credentials or token-exchange"}),
		strs(&cli.StringSliceFlag{Name: "host", Usage: "host this service answers git for (repeatable; default: the host of the auth URL or issuer)"}),
		str(&cli.StringFlag{Name: "username", Usage: "username handed to git (default oauth2)"}),
		str(&cli.StringFlag{Name: "token-type", Usage: "token handed out: access_token or id_token"}),
		integer(&cli.IntFlag{Name: "redirect-port", Usage: "loopback port for the browser flow (default: any free port)"}),
		strs(&cli.StringSliceFlag{Name: "redirect-url", Usage: "exact redirect `URL` registered at the provider, http://127.0.0.1:PORT/PATH or http://localhost:PORT/PATH (repeatable: tried in order until a port is free)"}),
		str(&cli.StringFlag{Name: "ca-file", Usage: "PEM `FILE` of extra CAs for the OAuth server"}),
		boolean(&cli.BoolFlag{Name: "insecure-skip-tls-verify", Usage: "do not verify the OAuth server's certificate (warns every time)"}),
		boolean(&cli.BoolFlag{Name: "git-bearer", Usage: "answer git >= 2.46 with an Authorization: Bearer credential"}),
		boolean(&cli.BoolFlag{Name: "allow-no-expiry", Usage: "accept tokens without expires_in, used until a server rejects them (the github preset sets it)"}),
		str(&cli.StringFlag{Name: "token-dir", Usage: "where .<service>-token files live (env OAUTH2CRED_TOKEN_DIR; default $XDG_STATE_HOME/oauth2cred)"}),
		boolean(&cli.BoolFlag{Name: "keyring", Usage: "mirror every saved token into the OS keyring"}),
		boolean(&cli.BoolFlag{Name: "keyring-only", Usage: "keep tokens only in the OS keyring, never in a file"}),
		boolean(&cli.BoolFlag{Name: "save", Usage: "save a new token without asking"}),
		boolean(&cli.BoolFlag{Name: "no-save", Usage: "never save a new token"}),
		boolean(&cli.BoolFlag{Name: "non-interactive", Usage: "never prompt or open a browser; exit 3 when a person is needed"}),
		boolean(&cli.BoolFlag{Name: "no-browser", Usage: "do not open a browser; print the address instead"}),
		str(&cli.StringFlag{Name: "config", Usage: "config `FILE` (default $XDG_CONFIG_HOME/oauth2cred/config.toml)"}),
		duration(&cli.DurationFlag{Name: "timeout", Usage: "limit for each server request (default 30s)"}),
		duration(&cli.DurationFlag{Name: "login-timeout", Usage: "limit for the person's part of a sign-in, save prompt included (default 5m)"}),
		duration(&cli.DurationFlag{Name: "cooldown", Usage: "after an abandoned sign-in, calls without a terminal fail fast for this long (default 10m)"}),
		boolean(&cli.BoolFlag{Name: "verbose", Usage: "log each request to stderr, secrets redacted"}),
	}
}

// The flag wrappers below keep each flag's names in a slice. urfave/cli v2
// recomputes Names() with a regexp on every call and, in runFlagActions and
// IsSet, looks up every flag for every flag: with 33 flags that was a third
// of a cached call's time (see bench/RESULTS.md).
type (
	stringFlag struct {
		*cli.StringFlag
		names []string
	}
	stringsFlag struct {
		*cli.StringSliceFlag
		names []string
	}
	boolFlag struct {
		*cli.BoolFlag
		names []string
	}
	intFlag struct {
		*cli.IntFlag
		names []string
	}
	durationFlag struct {
		*cli.DurationFlag
		names []string
	}
)

// Apply registers the flag under its cached names. cli's own Apply
// recomputes the names with a regexp for every flag of every call, which
// grew with each flag added; these flags read no environment or file
// (OAUTH2CRED_* variables are read by the helper), so nothing else is lost.
func (f stringFlag) Apply(set *flag.FlagSet) error {
	for _, name := range f.names {
		set.String(name, f.Value, f.Usage)
	}
	return nil
}

func (f intFlag) Apply(set *flag.FlagSet) error {
	for _, name := range f.names {
		set.Int(name, f.Value, f.Usage)
	}
	return nil
}

func (f durationFlag) Apply(set *flag.FlagSet) error {
	for _, name := range f.names {
		set.Duration(name, f.Value, f.Usage)
	}
	return nil
}

func (f boolFlag) Apply(set *flag.FlagSet) error {
	for _, name := range f.names {
		set.Bool(name, f.Value, f.Usage)
	}
	return nil
}

func (f stringFlag) Names() []string   { return f.names }
func (f stringsFlag) Names() []string  { return f.names }
func (f boolFlag) Names() []string     { return f.names }
func (f intFlag) Names() []string      { return f.names }
func (f durationFlag) Names() []string { return f.names }

func str(f *cli.StringFlag) cli.Flag {
	return stringFlag{f, append([]string{f.Name}, f.Aliases...)}
}
func strs(f *cli.StringSliceFlag) cli.Flag {
	return stringsFlag{f, append([]string{f.Name}, f.Aliases...)}
}
func boolean(f *cli.BoolFlag) cli.Flag {
	return boolFlag{f, append([]string{f.Name}, f.Aliases...)}
}
func integer(f *cli.IntFlag) cli.Flag {
	return intFlag{f, append([]string{f.Name}, f.Aliases...)}
}
func duration(f *cli.DurationFlag) cli.Flag {
	return durationFlag{f, append([]string{f.Name}, f.Aliases...)}
}

// settings reads the flags of every level into helper settings; a flag
// given at an inner level (git get --service X) wins over an outer one.
func settings(c *cli.Context) (*helper.Settings, error) {
	given := map[string]*cli.Context{}
	lineage := c.Lineage()
	for i := len(lineage) - 1; i >= 0; i-- {
		for _, name := range lineage[i].LocalFlagNames() {
			given[name] = lineage[i]
		}
	}
	lookup := func(_ *cli.Context, name string) *cli.Context { return given[name] }
	str := func(name string) string {
		if cc := lookup(c, name); cc != nil {
			return cc.String(name)
		}
		return ""
	}
	list := func(name string) []string {
		if cc := lookup(c, name); cc != nil {
			return cc.StringSlice(name)
		}
		return nil
	}
	flag := func(name string) bool {
		cc := lookup(c, name)
		return cc != nil && cc.Bool(name)
	}
	params, err := helper.ParseParams(list("param"))
	if err != nil {
		return nil, err
	}
	set := &helper.Settings{
		Service:     str("service"),
		Account:     str("account"),
		AllAccounts: flag("all-accounts"),
		Flags: helper.Definition{
			Preset:           str("preset"),
			ClientID:         str("client-id"),
			ClientSecret:     str("client-secret"),
			ClientSecretFile: str("client-secret-file"),
			ClientAuth:       str("client-auth"),
			ClientKeyFile:    str("client-key-file"),
			ClientKeyID:      str("client-key-id"),

			ClientAssertionFile:     str("client-assertion-file"),
			ClientAssertionSource:   str("client-assertion-source"),
			ClientAssertionEnv:      str("client-assertion-env"),
			ClientAssertionAudience: str("client-assertion-audience"),
			SubjectTokenFile:        str("subject-token-file"),
			SubjectTokenSource:      str("subject-token-source"),
			SubjectTokenEnv:         str("subject-token-env"),
			SubjectTokenType:        str("subject-token-type"),
			Audience:                str("audience"),
			Resource:                str("resource"),
			RequestedTokenType:      str("requested-token-type"),

			AuthURL:       str("auth-url"),
			TokenURL:      str("token-url"),
			RefreshURL:    str("refresh-url"),
			DeviceURL:     str("device-url"),
			RevokeURL:     str("revoke-url"),
			Issuer:        str("issuer"),
			Scopes:        list("scope"),
			Method:        str("method"),
			AuthParams:    params,
			Flow:          str("flow"),
			Hosts:         list("host"),
			RedirectURLs:  list("redirect-url"),
			Username:      str("username"),
			TokenType:     str("token-type"),
			CAFile:        str("ca-file"),
			Insecure:      flag("insecure-skip-tls-verify"),
			Keyring:       flag("keyring"),
			GitBearer:     flag("git-bearer"),
			AllowNoExpiry: flag("allow-no-expiry"),
		},
		ConfigPath:     str("config"),
		TokenDir:       str("token-dir"),
		KeyringOnly:    flag("keyring-only"),
		Save:           flag("save"),
		NoSave:         flag("no-save"),
		NonInteractive: flag("non-interactive"),
		NoBrowser:      flag("no-browser"),
		Verbose:        flag("verbose"),
		Stderr:         os.Stderr,
	}
	if cc := lookup(c, "redirect-port"); cc != nil {
		set.Flags.RedirectPort = cc.Int("redirect-port")
	}
	for name, dst := range map[string]*time.Duration{"timeout": &set.Timeout, "login-timeout": &set.LoginTimeout, "cooldown": &set.Cooldown} {
		if cc := lookup(c, name); cc != nil {
			*dst = cc.Duration(name)
			if *dst <= 0 {
				return nil, &helper.ExitError{Code: helper.ExitUsage, Msg: "--" + name + " must be positive, e.g. 30s or 2m"}
			}
		}
	}
	if set.Save && set.NoSave {
		return nil, &helper.ExitError{Code: helper.ExitUsage, Msg: "--save and --no-save contradict each other; pass one"}
	}
	return set, nil
}

// withSettingsAt reads the flags before running the command's action.
func withSettingsAt(started time.Time, red *flow.Redactor, action func(*cli.Context, *helper.Settings) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Command.Name != "git" { // git takes its operation as an argument
			if err := checkArgs(c); err != nil {
				return err
			}
		}
		set, err := settings(c)
		if err != nil {
			return err
		}
		set.Started = started
		set.Redact, set.Stderr = red, red.Writer(os.Stderr)
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
		msg = "unknown flag " + dashes + name
	}
	// flag's own words: invalid value "5" for flag -timeout: parse error
	if m := badValue.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("--%s %s, not %q", m[2], valueKinds[m[2]], m[1])
		if valueKinds[m[2]] == "" {
			msg = fmt.Sprintf("--%s cannot take %q", m[2], m[1])
		}
	}
	return &helper.ExitError{Code: helper.ExitUsage, Msg: msg}
}

var badValue = regexp.MustCompile(`^invalid value "(.*)" for flag -+([a-z-]+): `)

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
	case helper.ValidName(arg) == nil && !c.IsSet("service"):
		msg += fmt.Sprintf(" (did you mean --service %s?)", arg)
	}
	return &helper.ExitError{Code: helper.ExitUsage, Msg: msg}
}
