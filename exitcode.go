package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"oauth2cred/helper"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// Exit statuses of SPEC §2.
const (
	exitFailure     = 1 // talking to the server or the store failed
	exitUsage       = 2 // usage or configuration error
	exitInteraction = 3 // a person is needed and none can be asked
)

// exitCode is the one place that turns what went wrong into the process's
// exit status: the packages below say what happened with a type, and
// every other error is a failure talking to a server or the store.
func exitCode(err error) int {
	var ec cli.ExitCoder
	switch {
	case errors.As(err, new(*lifecycle.NoPersonError)):
		return exitInteraction
	case errors.As(err, new(*service.SettingError)), errors.As(err, new(*helper.UsageError)):
		return exitUsage
	case errors.As(err, &ec):
		return ec.ExitCode()
	}
	return exitFailure
}
