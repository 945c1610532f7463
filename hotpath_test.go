package main

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"oauth2cred/flow"

	"oauth2cred/helper"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"

	"github.com/urfave/cli/v2"
)

// viaCLI parses args with urfave/cli as the slow path does, and returns
// the settings the command's action would get.
func viaCLI(t *testing.T, args []string) *lifecycle.Settings {
	t.Helper()
	var got *lifecycle.Settings
	capture := func(c *cli.Context) error {
		s, err := settings(c, testStart, testRed)
		got = s
		return err
	}
	flags := flagsFor("token")
	var ops []*cli.Command
	for _, op := range []string{"get", "store", "erase"} {
		ops = append(ops, &cli.Command{Name: op, Flags: flags, Action: capture})
	}
	var dops []*cli.Command
	for _, op := range helper.DockerOps {
		dops = append(dops, &cli.Command{Name: op, Flags: flags, Action: capture})
	}
	app := &cli.App{Name: "oauth2cred", DisableSliceFlagSeparator: true, Commands: []*cli.Command{
		{Name: "git", Flags: flags, Subcommands: ops, Action: capture},
		{Name: "docker", Flags: flags, Subcommands: dops, Action: capture},
		{Name: "kubectl", Flags: flags, Action: capture},
		{Name: "token", Flags: append(flags[:len(flags):len(flags)], stringFlag{&cli.StringFlag{Name: "format"}, []string{"format"}}), Action: capture},
	}}
	if err := app.RunContext(context.Background(), args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return got
}

// The hot path reads a command line exactly as urfave/cli does, and leaves
// every other command line to it.
func TestHotPathParsesLikeCLI(t *testing.T) {
	for _, args := range [][]string{
		{"oauth2cred", "git", "--service", "s", "get"},
		{"oauth2cred", "git", "get", "--service", "s", "--token-dir=/tmp/x"},
		{"oauth2cred", "git", "--service", "s", "store", "--save", "--scope", "a b", "--scope=c,d", "--param", "k=v,w"},
		{"oauth2cred", "git", "-service", "s", "erase", "-no-save", "--timeout", "5s", "--redirect-port", "8080", "--save=false"},
		{"oauth2cred", "kubectl", "--service", "k", "--token-type", "id_token", "--keyring"},
		{"oauth2cred", "docker", "get", "--registry-username", "oauth2accesstoken"},
		{"oauth2cred", "docker", "--service", "r", "list"},
		{"oauth2cred", "token", "--service", "t", "--format", "json", "--host", "a", "--host", "b", "--client-id", "-c"},
	} {
		cmd, op, src, ok := hotArgs(args)
		if !ok {
			t.Fatalf("%v: not taken by the hot path", args)
		}
		hot, err := settingsFrom(src, testStart, testRed)
		if err != nil {
			t.Fatal(err)
		}
		slow := viaCLI(t, args)
		if !reflect.DeepEqual(hot, slow) {
			t.Errorf("%v (%s %s):\nhot  %+v\nslow %+v", args, cmd, op, hot, slow)
		}
	}
	for _, args := range [][]string{
		{"oauth2cred"},
		{"oauth2cred", "login", "--service", "s"},
		{"oauth2cred", "git", "--service", "s"},
		{"oauth2cred", "git", "get", "store"},
		{"oauth2cred", "docker", "list", "get"},
		{"oauth2cred", "docker", "--service", "r"},
		{"oauth2cred", "git", "get", "--help"},
		{"oauth2cred", "token", "--service", "s", "stray"},
		{"oauth2cred", "token", "--timeout", "5"},
		{"oauth2cred", "token", "--save=maybe"},
		{"oauth2cred", "token", "--service"},
		{"oauth2cred", "kubectl", "--format", "json"},
		{"oauth2cred", "git", "get", "--", "--service"},
		{"oauth2cred", "--service", "s", "token"},
	} {
		if _, _, _, ok := hotArgs(args); ok {
			t.Errorf("%v: taken by the hot path", args)
		}
	}
}

// Every field of a service is a flag of the table, of the kind its type
// takes: the field's one description holds flags and config keys together.
func TestEveryFieldIsAFlag(t *testing.T) {
	ty := reflect.TypeOf(service.Definition{})
	for i := range ty.NumField() {
		key, _, _ := strings.Cut(ty.Field(i).Tag.Get("toml"), ",")
		if key == "-" || key == "" || key == "storage" { // storage is --keyring-only's
			continue
		}
		spec, ok := lookupFlag(service.FlagName(key))
		if !ok {
			t.Errorf("config key %s has no flag --%s", key, service.FlagName(key))
			continue
		}
		want := map[reflect.Kind]flagKind{reflect.String: kString, reflect.Slice: kList, reflect.Map: kList, reflect.Bool: kBool, reflect.Int: kInt, reflect.Pointer: kBool}[ty.Field(i).Type.Kind()]
		if spec.kind != want {
			t.Errorf("--%s is of kind %d, its field of kind %d", spec.name, spec.kind, want)
		}
	}
}

// One start and one redactor for both parses, so they compare equal.
var (
	testStart = time.Unix(1, 0)
	testRed   = &flow.Redactor{}
)
