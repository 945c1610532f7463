//go:build urfave_cli_no_docs

package main

import "github.com/urfave/cli/v2"

// docCommands: a release build has no manual page generator (man.go).
func docCommands(*cli.App) []*cli.Command { return nil }
