package main

// The commands of the app, with their help texts.

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"oauth2cred/flow"
	"oauth2cred/helper"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

func newApp(started time.Time, red *flow.Redactor) *cli.App {
	// One set of flag values serves every command: a process runs one
	// command (with its parent), and building 33 flags per command was most
	// of the CLI's start-up cost.
	flags := flagsFor("token") // the same groups serve every command that signs in
	dryRun := boolean(&cli.BoolFlag{Name: "dry-run", Usage: "print what would be written, change nothing"})
	withSettings := func(action func(*cli.Context, *lifecycle.Settings) error) cli.ActionFunc {
		return withSettingsAt(started, red, action)
	}
	// urfave/cli's hooks for help and --version: flags without a
	// "(default: false)" on every switch, and the build information read
	// only when asked for, not on every cached call.
	setupCmdFlags := append(flags[:len(flags):len(flags)], setupFlags()...)
	cli.FlagStringer = flagString
	if !strings.Contains(cli.CommandHelpTemplate, otherFlags) {
		cli.CommandHelpTemplate += otherFlags
		cli.SubcommandHelpTemplate += otherFlags
	}
	cli.VersionPrinter = func(*cli.Context) { fmt.Print(versionText("oauth2cred")) }
	return &cli.App{
		Name:        "oauth2cred",
		Usage:       "OAuth 2.0 tokens for git, kubectl and CI",
		UsageText:   "oauth2cred COMMAND --service NAME [flags]",
		Description: appDescription,
		Version:     "(build)",
		// The help has no VERSION section: 'oauth2cred --version' says it.
		CustomAppHelpTemplate:     strings.Replace(cli.AppHelpTemplate, "{{if .Version}}{{if not .HideVersion}}\n\nVERSION:\n   {{.Version}}{{end}}{{end}}", "", 1),
		EnableBashCompletion:      true,
		DisableSliceFlagSeparator: true,
		OnUsageError:              usageError,
		ExitErrHandler:            func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				var names []string
				for _, cmd := range c.App.Commands {
					if !cmd.Hidden {
						names = append(names, cmd.Name)
					}
				}
				return helper.Usagef("unknown command %q%s; see 'oauth2cred --help'", c.Args().First(), service.DidYouMean(c.Args().First(), names))
			}
			return helper.Usagef("no command given; see 'oauth2cred --help'")
		},
		Commands: []*cli.Command{
			{
				Name:        "token",
				Usage:       "print a valid access token on stdout",
				UsageText:   "oauth2cred token --service NAME [--format token|header|json|env] [flags]",
				Description: tokenDescription,
				Flags:       append(flags[:len(flags):len(flags)], str(&cli.StringFlag{Name: "format", Value: "token", Usage: "output: token, header (Authorization: Bearer …), json or env"})),
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Token(c.Context, set, c.String("format"), os.Stdout)
				}),
			},
			{
				Name:        "git",
				Usage:       "git credential helper (get, store, erase)",
				UsageText:   "oauth2cred git --service NAME get|store|erase",
				Description: gitDescription,
				Flags:       flags,
				Subcommands: opCommands([]string{"get", "store", "erase"}, "git credential", "oauth2cred git get|store|erase --service NAME < request",
					gitOpDescriptions, helper.Git, flags, withSettings),
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Git(c.Context, set, c.Args().First(), os.Stdin, os.Stdout)
				}),
			},
			{
				Name:        "docker",
				Usage:       "docker credential helper (get, store, erase, list), for docker, podman, skopeo, buildah, crane, helm",
				UsageText:   "oauth2cred docker [--service NAME] get|store|erase|list < server",
				Description: dockerDescription,
				Flags:       flags,
				Subcommands: opCommands(helper.DockerOps, "docker credential helper", "oauth2cred docker get|store|erase|list [--service NAME] < server",
					nil, helper.Docker, flags, withSettings),
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Docker(c.Context, set, c.Args().First(), os.Stdin, os.Stdout)
				}),
			},
			{
				Name:        "kubectl",
				Usage:       "kubectl / client-go exec credential plugin",
				UsageText:   "oauth2cred kubectl --service NAME [--token-type id_token]",
				Description: kubectlDescription,
				Flags:       flags,
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Kubectl(c.Context, set, os.Getenv("KUBERNETES_EXEC_INFO"), os.Stdout)
				}),
			},
			{
				Name:        "login",
				Usage:       "sign in now, even when a token is saved",
				UsageText:   "oauth2cred login --service NAME [--save] [flags]",
				Description: "Examples:\n  oauth2cred login --service work-gitlab\n  oauth2cred login --service github --flow device",
				Flags:       flags,
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Login(c.Context, set)
				}),
			},
			{
				Name:        "logout",
				Usage:       "revoke the saved token at the server and delete it",
				UsageText:   "oauth2cred logout --service NAME",
				Description: "Revokes the refresh token (RFC 7009) when the server has a revocation endpoint,\nthen deletes the token file and the keyring entry. A file refused as unsafe is\nrevoked all the same. --account picks an account, --all-accounts takes every one.\n\nExamples:\n  oauth2cred logout --service github\n  oauth2cred logout --service work-gitlab --all-accounts",
				Flags:       flagsFor("logout"),
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Logout(c.Context, set)
				}),
			},
			{
				Name:        "status",
				Usage:       "list saved tokens: service, account, identity, expiry, refresh token, scopes, where kept (never a token)",
				UsageText:   "oauth2cred status [--service NAME] [--format table|json] [--token-dir DIR]",
				Description: "Examples:\n  oauth2cred status\n  oauth2cred status --format json | jq -r '.[] | select(.expired) | .service'",
				Flags:       append(flagsFor("status"), str(&cli.StringFlag{Name: "format", Value: "table", Usage: "output: table (with a header) or json (one array)"})),
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Status(set, c.String("format"), os.Stdout)
				}),
			},
			{
				Name:      "setup",
				Usage:     "write git's, docker's or kubectl's configuration for a service (undo with unsetup)",
				UsageText: "oauth2cred setup git|docker|kubectl --service NAME [--dry-run] [service flags]",
				Flags:     flags,
				Subcommands: []*cli.Command{{
					Name:      "git",
					Usage:     "make oauth2cred git's credential helper for the service's hosts",
					UsageText: "oauth2cred setup git [--service NAME] [--global|--local] [--dry-run] [service flags]",
					Description: "Writes, for every host of the service, an empty credential.<url>.helper line (so a\n" +
						"storage helper configured before cannot answer first) and the oauth2cred line, and\n" +
						"the service to the config file when flags define it. 'oauth2cred unsetup git'\n" +
						"removes exactly those lines.\n\nExamples:\n" +
						"  oauth2cred setup git --service work-gitlab\n" +
						"  oauth2cred setup git --service forge --preset gitea --host git.example.com --client-id 1a2b3c --dry-run",
					Flags: setupCmdFlags,
					Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
						return helper.SetupGit(set, gitSetup(c), os.Stdout)
					}),
				}, {
					Name:      "docker",
					Usage:     "make oauth2cred the credential helper of docker, podman and skopeo for the service's registry hosts",
					UsageText: "oauth2cred setup docker --service NAME [--dry-run]",
					Description: "Adds \"HOST\": \"oauth2cred\" to credHelpers of $DOCKER_CONFIG/config.json (default\n" +
						"~/.docker/config.json) for every host of the service, keeping every other byte of the file\n" +
						"and its mode, writing through a link; --dry-run prints only those entries. The binary must be\n" +
						"on PATH as docker-credential-oauth2cred (a warning says so when it is not).\n\n" +
						"Example:\n  oauth2cred setup docker --service registry --dry-run",
					Flags: append(flags[:len(flags):len(flags)], dryRun),
					Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
						return helper.SetupDocker(set, c.Bool("dry-run"), os.Stdout, true)
					}),
				}, {
					Name:      "kubectl",
					Usage:     "print a kubeconfig users: entry that runs oauth2cred, or convert kubelogin's users",
					UsageText: "oauth2cred setup kubectl --service NAME [service flags]\n   oauth2cred setup kubectl --from-kubelogin [--kubeconfig PATH] [--dry-run]",
					Description: "Example:\n  oauth2cred setup kubectl --service oidc --issuer https://login.example.com --client-id kube --token-type id_token\n\n" +
						"--from-kubelogin rewrites every kubeconfig user whose exec plugin is kubelogin (kubectl oidc-login\n" +
						"get-token, kubelogin get-token) into an oauth2cred entry with the same issuer, client id, scopes,\n" +
						"extra parameters, grant, CA and redirect settings and the block's env and installHint; one\n" +
						"service per distinct set of settings in the config file (never a secret; a taken name gets a\n" +
						"suffix). Both files are edited through their parsers and read back; every other user, cluster\n" +
						"and context stays byte for byte, the original is kept as <file>.bak, a link is written through;\n" +
						"--dry-run prints the change with secrets as [redacted].",
					Flags: append(flags[:len(flags):len(flags)], dryRun,
						boolean(&cli.BoolFlag{Name: "from-kubelogin", Usage: "convert the kubeconfig's kubelogin users"}),
						str(&cli.StringFlag{Name: "kubeconfig", Usage: "the kubeconfig `FILE` to convert (default: $KUBECONFIG's first, else ~/.kube/config)"})),
					Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
						if c.Bool("from-kubelogin") {
							return helper.FromKubelogin(set, c.String("kubeconfig"), c.Bool("dry-run"), os.Stdout)
						}
						// Echo the service flags as given, so the plugin is
						// called exactly as this command was.
						i := slices.Index(os.Args, "kubectl")
						return helper.KubeconfigUser(set, os.Stdout, os.Args[i+1:])
					}),
				}},
			},
			{
				Name:      "doctor",
				Usage:     "check the config, the service, token files, keyring, git helpers, clock and server",
				UsageText: "oauth2cred doctor [--service NAME]",
				Description: "One line per check: ✓ and what was found, or ✗ and the fix. Exits 0 only when all\n" +
					"pass. Never prints a secret.\n\nExample:\n  oauth2cred doctor --service work-gitlab",
				Flags: flags,
				Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
					return helper.Doctor(c.Context, set, os.Stdout)
				}),
			},
			{
				Name:      "unsetup",
				Usage:     "undo setup",
				UsageText: "oauth2cred unsetup git|docker [--service NAME] [--dry-run]",
				Flags:     flags,
				Subcommands: []*cli.Command{{
					Name:      "git",
					Usage:     "remove exactly the git lines 'setup git' wrote",
					UsageText: "oauth2cred unsetup git [--service NAME] [--global|--local] [--dry-run]",
					Flags:     setupCmdFlags,
					Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
						return helper.UnsetupGit(set, gitSetup(c), os.Stdout)
					}),
				}, {
					Name:      "docker",
					Usage:     "remove exactly the credHelpers entries 'setup docker' wrote",
					UsageText: "oauth2cred unsetup docker --service NAME [--dry-run]",
					Flags:     append(flags[:len(flags):len(flags)], dryRun),
					Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
						return helper.SetupDocker(set, c.Bool("dry-run"), os.Stdout, false)
					}),
				}},
			},
			{
				Name:        "completion",
				Usage:       "print a shell completion script: bash, zsh or fish",
				UsageText:   "oauth2cred completion bash|zsh|fish",
				Description: "Examples:\n  source <(oauth2cred completion bash)       # in ~/.bashrc\n  oauth2cred completion zsh > \"${fpath[1]}/_oauth2cred\"\n  oauth2cred completion fish > ~/.config/fish/completions/oauth2cred.fish",
				Action: func(c *cli.Context) error {
					return completion(c.App, c.Args().First(), c.NArg(), os.Stdout)
				},
			},
			{
				Name:        "config",
				Usage:       "the config file: its keys, where it is (config path), editing it (config edit)",
				UsageText:   "oauth2cred config [path|edit]",
				Description: service.Help(),
				Action: func(c *cli.Context) error {
					if c.NArg() > 0 {
						return helper.Usagef("unknown config command %q%s; use 'oauth2cred config path' or 'oauth2cred config edit'", c.Args().First(), service.DidYouMean(c.Args().First(), []string{"path", "edit"}))
					}
					fmt.Println(service.Help())
					return nil
				},
				Subcommands: []*cli.Command{{
					Name:      "path",
					Usage:     "print the config file in use (stdout) and whether it exists (stderr)",
					UsageText: "oauth2cred config path [--config FILE]",
					Flags:     []cli.Flag{configFlag()},
					Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
						return helper.ConfigPath(set, os.Stdout)
					}),
				}, {
					Name:      "edit",
					Usage:     "open the config file in $VISUAL or $EDITOR (creating it with an example), and check it afterwards",
					UsageText: "oauth2cred config edit [--config FILE]",
					Flags:     []cli.Flag{configFlag()},
					Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
						return helper.ConfigEdit(set)
					}),
				}},
			},
			{
				Name:  "version",
				Usage: "print the version and VCS revision",
				Action: func(c *cli.Context) error {
					fmt.Print(versionText("oauth2cred"))
					return nil
				},
			},
		},
	}
}

// setupFlags are the flags of setup git and unsetup git only, so that the
// cached path does not parse them.
func setupFlags() []cli.Flag {
	return []cli.Flag{
		boolean(&cli.BoolFlag{Name: "global", Usage: "write to the user's git configuration (the default)"}),
		boolean(&cli.BoolFlag{Name: "local", Usage: "write to this repository's git configuration"}),
		boolean(&cli.BoolFlag{Name: "dry-run", Usage: "print what would be written, change nothing"}),
	}
}

// otherFlags ends each command's help: it lists only its own flags.
const otherFlags = "\nOther commands take other flags: 'oauth2cred COMMAND --help' lists each one's; 'oauth2cred help config' the config file's keys.\n"

// configFlag is --config alone, for the commands about the config file.
func configFlag() cli.Flag {
	f, _ := lookupFlag("config")
	return str(&cli.StringFlag{Name: f.name, Usage: f.usage})
}

func gitSetup(c *cli.Context) helper.GitSetup {
	gs := helper.GitSetup{Scope: "--global", DryRun: c.Bool("dry-run")}
	if c.Bool("local") {
		gs.Scope = "--local"
	}
	return gs
}

var gitOpDescriptions = map[string]string{
	"get":   "git asks for a credential: answers username, password (the access token) and its expiry\nfor the service's hosts, signing in or refreshing as needed; silence for any other host.",
	"store": "git offers a credential that worked: oauth2cred keeps nothing of git's (its tokens live\nin its own store).",
	"erase": "git says a credential was rejected: when it is the saved access token (password= or\ncredential=), oauth2cred drops it and the next get refreshes.",
}

// helperOp answers one operation of a credential-helper protocol.
type helperOp func(ctx context.Context, set *lifecycle.Settings, op string, stdin io.Reader, stdout io.Writer) error

// opCommands are a helper protocol's operations as subcommands, so that
// flags may stand before or after the operation.
func opCommands(ops []string, what, usageText string, descriptions map[string]string, run helperOp,
	flags []cli.Flag, withSettings func(func(*cli.Context, *lifecycle.Settings) error) cli.ActionFunc) []*cli.Command {
	var cmds []*cli.Command
	for _, op := range ops {
		cmds = append(cmds, &cli.Command{
			Name:        op,
			Usage:       what + " " + op,
			UsageText:   usageText,
			Description: descriptions[op],
			Flags:       flags,
			Action: withSettings(func(c *cli.Context, set *lifecycle.Settings) error {
				return run(c.Context, set, op, os.Stdin, os.Stdout)
			}),
		})
	}
	return cmds
}
