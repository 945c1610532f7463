//go:build !urfave_cli_no_docs

package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"
)

// The manual page, oauth2cred(1), is made from the same commands and flags
// as --help (urfave/cli's markdown of the app), with the sections a manual
// has beside them. Release builds leave urfave/cli's documentation code
// out (urfave_cli_no_docs: it costs every cached call), so .ci/release
// makes the page with a build that has it: 'go run . manpage'.
func docCommands(app *cli.App) []*cli.Command {
	all := app.Commands // before the call keeps only its own command
	return []*cli.Command{{
		Name:   "manpage",
		Hidden: true,
		Usage:  "print the manual page oauth2cred(1) in roff",
		Action: func(*cli.Context) error {
			app.Commands = all
			app.Description = markdownText(app.Description)
			markdownCommands(app.Commands)
			md, err := app.ToMarkdown()
			if err != nil {
				return err
			}
			page := "% oauth2cred 1\n\n" + md + manSections
			_, err = fmt.Fprint(os.Stdout, string(md2man.Render([]byte(page))))
			return err
		},
	}}
}

// markdownCommands turns the commands' plain help text into markdown.
func markdownCommands(cmds []*cli.Command) {
	for _, c := range cmds {
		c.Description = markdownText(c.Description)
		c.Usage = markdownText(c.Usage)
		markdownCommands(c.Subcommands)
	}
}

// markdownText is help text as markdown: <, > and * kept as they are, and
// the indented lines (examples) as preformatted blocks.
func markdownText(s string) string {
	s = strings.NewReplacer("<", `\<`, ">", `\>`, "*", `\*`, "_", `\_`).Replace(s)
	var b strings.Builder
	inBlock := false
	for _, line := range strings.Split(s, "\n") {
		indented := strings.HasPrefix(line, "  ")
		switch {
		case indented && !inBlock:
			b.WriteString("\n")
			inBlock = true
		case !indented && inBlock && line != "":
			b.WriteString("\n")
			inBlock = false
		}
		if inBlock {
			line = "    " + strings.NewReplacer(`\<`, "<", `\>`, ">", `\*`, "*", `\_`, "_").Replace(line)
		}
		b.WriteString(line + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

const manSections = `
# EXIT STATUS

**0** success; **1** failure talking to the server or the store; **2** usage or
configuration error; **3** a person is needed and none can be asked (no terminal,
no browser, **--non-interactive**, **CI=true**).

# FILES

*$XDG_CONFIG_HOME/oauth2cred/config.toml* (default *~/.config/oauth2cred/config.toml*;
Windows *%APPDATA%\oauth2cred\config.toml*): one **[services.NAME]** table per
service; **oauth2cred help config** lists the keys.

*$XDG_STATE_HOME/oauth2cred/.NAME-token* (default *~/.local/state/oauth2cred*; Windows
*%LOCALAPPDATA%\oauth2cred*): the saved tokens, mode 0600 in a 0700 directory (Windows:
an owner-only access list), with **.NAME-token.lock** beside each.

# ENVIRONMENT

**OAUTH2CRED_SERVICE**, **OAUTH2CRED_CLIENT_ID**, **OAUTH2CRED_CLIENT_SECRET**,
**OAUTH2CRED_TOKEN_DIR**: as the flags. **XDG_CONFIG_HOME**, **XDG_STATE_HOME**: where
the files live. **HTTPS_PROXY**, **HTTP_PROXY**, **NO_PROXY**: proxies, as curl and git
read them. **BROWSER**: the browser to open. **CI**: never ask anyone.
**GIT_TERMINAL_PROMPT=0**: no prompt on the terminal (the browser may still ask).
**KUBERNETES_EXEC_INFO**: what kubectl asks for.

# GIT

    oauth2cred setup git --service NAME      # credential.<url>.helper lines for its hosts
    oauth2cred unsetup git --service NAME    # removes exactly those

or by hand: **git config --global credential.https://HOST.helper "oauth2cred --service NAME"**
(git runs **git-credential-oauth2cred**, which must be on PATH).

# KUBECTL

    oauth2cred setup kubectl --service NAME  # prints a kubeconfig users: entry
    oauth2cred setup kubectl --from-kubelogin

# CONTAINER REGISTRIES

    oauth2cred setup docker --service NAME   # credHelpers entries; docker, podman, skopeo

**docker-credential-oauth2cred** must be on PATH.

# CI

    oauth2cred token --service NAME --flow client-credentials --client-id ID --client-secret-file FILE
    oauth2cred token --service NAME --flow token-exchange --subject-token-source github-actions

# SEE ALSO

**git-credential**(1), **gitcredentials**(7), **kubectl**(1)
`
