package main

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"oauth2cred/helper"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// What went wrong decides the exit status, wherever down the chain it is
// wrapped; anything else is a failure talking to a server or the store.
func TestExitCodeByKind(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"setting", service.Settingf("no client id"), exitUsage},
		{"wrapped setting", fmt.Errorf("opening: %w", service.Settingf("bad")), exitUsage},
		{"usage", helper.Usagef("unknown operation"), exitUsage},
		{"unknown flag", helper.Usagef("%w", &unknownFlagError{"--x"}), exitUsage},
		{"no person", fmt.Errorf("git get: %w", &lifecycle.NoPersonError{}), exitInteraction},
		{"urfave exit", cli.Exit("x", 4), 4},
		{"server", errors.New("the token endpoint answered 500"), exitFailure},
		{"setting told by text only", fmt.Errorf("%v", service.Settingf("bad")), exitFailure},
		{"deadline", context.DeadlineExceeded, exitFailure},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Only main ends the process: a package below it says what happened, and
// exitCode alone turns that into a status (checked over the product's code).
func TestOnlyMainExits(t *testing.T) {
	checked := 0
	productFiles(t, func(path string, f *ast.File) {
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "Exit" && path != "main.go" {
				if x, ok := sel.X.(*ast.Ident); ok && (x.Name == "os" || x.Name == "cli") {
					t.Errorf("%s calls %s.Exit: return an error that says what happened, and let exitCode choose the status", path, x.Name)
				}
			}
			return true
		})
		for _, imp := range f.Imports {
			if strings.HasSuffix(imp.Path.Value, `/exit"`) {
				t.Errorf("%s imports %s: exit statuses are chosen in main's exitCode", path, imp.Path.Value)
			}
		}
	})
	if checked < 50 {
		t.Fatalf("only %d files checked", checked)
	}
}
