// Command oauth2cred gets OAuth 2.0 tokens for git, kubectl and CI.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"oauth2cred/flow"
)

func main() {
	started := time.Now()
	args := os.Args
	entry := strings.TrimSuffix(filepath.Base(args[0]), ".exe")
	if completeValues(args, os.Stdout) {
		return
	}
	if versionCall(entry, args) {
		if entry != "git-credential-oauth2cred" && entry != "docker-credential-oauth2cred" {
			entry = "oauth2cred"
		}
		fmt.Print(versionText(entry))
		return
	}
	// git runs `git-credential-oauth2cred ARGS OP` for credential.helper=oauth2cred.
	switch entry {
	case "git-credential-oauth2cred":
		args = append([]string{args[0], "git"}, args[1:]...)
	case "docker-credential-oauth2cred": // docker runs docker-credential-NAME OP
		args = append([]string{args[0], "docker"}, args[1:]...)
	}
	// No signal handler: an interrupted call simply dies, and the kernel
	// releases its lock and listener; the token file is only ever replaced
	// by rename, so a kill cannot tear it.
	red := callSecrets(args, os.Getenv)
	var err error
	if cmd, op, src, ok := hotArgs(args); ok {
		err = runHot(context.Background(), cmd, op, src, started, red)
	} else {
		err = runApp(args, started, red)
	}
	if err != nil {
		app := newApp(started, red) // for the hints of a usage error
		code := exitCode(err)
		msg := strings.TrimPrefix(err.Error(), "oauth2cred: ")
		if fixed, ok := flagsBeforeCommand(app, args, err); ok {
			msg = fixed
		}
		if code == exitUsage && !strings.Contains(msg, "--help") && !strings.Contains(msg, "; see '") {
			// One hint a line: a message that names its own help keeps it.
			msg += "; see '" + commandPath(app, args) + " --help'"
		}
		fmt.Fprintf(os.Stderr, "oauth2cred: %s\n", red.Redact(msg))
		os.Exit(code)
	}
}

// runApp runs every call that the hot path does not take.
func runApp(args []string, started time.Time, red *flow.Redactor) error {
	app := newApp(started, red)
	app.Commands = append(app.Commands, docCommands(app)...)
	app.ErrWriter = red.Writer(os.Stderr)
	onlyCommand(app, args)
	withUsageErrors(app.Commands)
	return app.RunContext(context.Background(), args)
}

// secretFlags take a secret as their value.
var secretFlags = []string{"client-secret"}

// callSecrets starts the call's redactor with the secrets on its command
// line (in any of the flag's spellings: --x V, --x=V, -x V, -x=V) and in
// its environment; the session adds the files and tokens it reads.
func callSecrets(args []string, getenv func(string) string) *flow.Redactor {
	red := &flow.Redactor{}
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !slices.Contains(secretFlags, name) {
			continue
		}
		if hasValue {
			red.Add(value)
		} else if i+1 < len(args) {
			red.Add(args[i+1])
		}
	}
	for _, v := range flow.SecretEnv {
		red.Add(getenv(v))
	}
	return red
}

// onlyCommand keeps just the command args name: urfave/cli's set-up walks
// every command's ~50 flags on every run, and a process runs one command.
// Anything else (help, completion, a mistake) keeps them all.
func onlyCommand(app *cli.App, args []string) {
	if len(args) < 2 {
		return
	}
	for _, c := range app.Commands {
		if c.Name == args[1] {
			app.Commands = []*cli.Command{c}
			return
		}
	}
}

// flagsBeforeCommand rewrites "unknown flag" at the top level, where no
// flag is taken, into the command line with the flags after the command.
func flagsBeforeCommand(app *cli.App, args []string, err error) (string, bool) {
	var uf *unknownFlagError
	if !errors.As(err, &uf) || !strings.HasPrefix(uf.flag, "--") || len(args) < 2 || !strings.HasPrefix(args[1], "-") {
		return "", false
	}
	for i, a := range args[1:] {
		if slices.ContainsFunc(app.Commands, func(c *cli.Command) bool { return c.Name == a }) {
			fixed := append(append([]string{"oauth2cred"}, args[i+1:]...), args[1:i+1]...)
			return fmt.Sprintf("flags go after the command: %s", strings.Join(fixed, " ")), true
		}
	}
	return "", false
}

// commandPath names the command args ran, e.g. "oauth2cred git get", for
// pointing a usage error at the right help.
func commandPath(app *cli.App, args []string) string {
	path := "oauth2cred"
	cmds := app.Commands
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		i := slices.IndexFunc(cmds, func(c *cli.Command) bool { return c.Name == a })
		if i < 0 {
			continue // a flag's value
		}
		path += " " + a
		cmds = cmds[i].Subcommands
	}
	return path
}
