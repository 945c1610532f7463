package main

// urfave/cli's flag types, wrapped for speed.

import (
	"flag"

	"github.com/urfave/cli/v2"
)

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
func boolean(f *cli.BoolFlag) cli.Flag {
	return boolFlag{f, append([]string{f.Name}, f.Aliases...)}
}
