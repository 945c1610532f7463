package main

// The hot path: git's get/store/erase, docker's get/store/erase/list,
// kubectl's plugin call and token run on every fetch, pull and kubectl
// command. Their command lines are parsed
// here from the same flag table urfave/cli gets, without urfave/cli, whose
// set-up walks every flag for every flag. Anything else — help, a mistake,
// a rarer command or flag — goes through urfave/cli as before, so every
// message stays as it was.

import (
	"context"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper"
)

// argvSource is a command line parsed by hotArgs.
type argvSource map[string][]string

func (a argvSource) Names() []string                  { return slices.Collect(maps.Keys(a)) }
func (a argvSource) Given(name string) bool           { return len(a[name]) > 0 }
func (a argvSource) String(name string) string        { return a.last(name) }
func (a argvSource) StringSlice(name string) []string { return a[name] }
func (a argvSource) Bool(name string) bool {
	b, _ := strconv.ParseBool(a.last(name))
	return b
}
func (a argvSource) Int(name string) int {
	n, _ := strconv.Atoi(a.last(name))
	return n
}
func (a argvSource) Duration(name string) time.Duration {
	d, _ := time.ParseDuration(a.last(name))
	return d
}

func (a argvSource) last(name string) string {
	if v := a[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// hotArgs parses args when they are a hot command whose every argument is
// a flag of flagTable (for git, and one operation) with a well-formed
// value; ok is false otherwise, and urfave/cli takes the call.
func hotArgs(args []string) (cmd, op string, src argvSource, ok bool) {
	if len(args) < 2 {
		return "", "", nil, false
	}
	cmd = args[1]
	var ops []string
	switch cmd {
	case "git":
		ops = []string{"get", "store", "erase"}
	case "docker":
		ops = helper.DockerOps
	case "kubectl", "token":
	default:
		return "", "", nil, false
	}
	src = argvSource{}
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			if op != "" || !slices.Contains(ops, a) {
				return "", "", nil, false
			}
			op = a
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		spec, known := lookupFlag(name)
		if name == "format" && cmd == "token" {
			spec, known = flagSpec{name: name, kind: kString}, true
		}
		switch {
		case !known || (name != "format" && !appliesTo(cmd, spec)):
			return "", "", nil, false // help, --version, a mistake: urfave/cli says it
		case spec.kind == kBool && !hasValue:
			value = "true"
		case !hasValue && i+1 < len(rest):
			i++
			value = rest[i]
		case !hasValue:
			return "", "", nil, false
		}
		if !wellFormed(spec.kind, value) {
			return "", "", nil, false
		}
		src[name] = append(src[name], value)
	}
	return cmd, op, src, len(ops) == 0 || op != ""
}

func wellFormed(kind flagKind, value string) bool {
	var err error
	switch kind {
	case kBool:
		_, err = strconv.ParseBool(value)
	case kInt:
		_, err = strconv.Atoi(value)
	case kDuration:
		_, err = time.ParseDuration(value)
	}
	return err == nil
}

// runHot runs a hot command parsed by hotArgs.
func runHot(ctx context.Context, cmd, op string, src argvSource, started time.Time, red *flow.Redactor) error {
	set, err := settingsFrom(src, started, red)
	if err != nil {
		return err
	}
	switch cmd {
	case "git":
		return helper.Git(ctx, set, op, os.Stdin, os.Stdout)
	case "kubectl":
		return helper.Kubectl(ctx, set, os.Getenv("KUBERNETES_EXEC_INFO"), os.Stdout)
	case "docker":
		return helper.Docker(ctx, set, op, os.Stdin, os.Stdout)
	}
	format := "token"
	if src.Given("format") {
		format = src.String("format")
	}
	return helper.Token(ctx, set, format, os.Stdout)
}
