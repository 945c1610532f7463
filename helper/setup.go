package helper

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"oauth2cred/helper/gitconf"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"

	"github.com/BurntSushi/toml"
)

// Set-up: the git configuration that makes oauth2cred git's helper for the
// service's hosts, written (and removed) by oauth2cred itself.

// GitSetup says where and how setup git writes.
type GitSetup struct {
	Scope  string // "--global" or "--local"
	DryRun bool
}

// SetupGit writes, for every host of the service, an empty helper line
// (so that helpers configured before, such as a storage helper, do not
// answer first) and the oauth2cred line; and the service to the config file
// when flags define it. Running it twice changes nothing. Where the
// person's own lines already end with an empty one, none is added; where
// one is added, a marker (oauth2cred.<url>.setupreset) says so, so that
// unsetup removes exactly what setup wrote.
func SetupGit(set *lifecycle.Settings, gs GitSetup, stdout io.Writer) error {
	if allHosts(set) {
		return setupAllHosts(set, gs, stdout, true)
	}
	return eachHelperKey(set, gs, func(s *lifecycle.Session, url, key, helper string, have []string) error {
		if slices.ContainsFunc(have, func(l string) bool {
			kind, svc := helperLineKind(l)
			return kind == oursForOne && svc == s.Service().Name
		}) {
			fmt.Fprintf(set.Stderr, "oauth2cred: git already asks oauth2cred for %s\n", url)
			return nil
		}
		var writes [][]string
		if len(have) == 0 || have[len(have)-1] != "" {
			writes = append(writes, []string{"--add", key, ""}, []string{markerKey(url), "true"})
		}
		writes = append(writes, []string{"--add", key, helper})
		for _, w := range writes {
			if gs.DryRun {
				fmt.Fprintf(stdout, "git config %s %s\n", gs.Scope, shellJoin(w))
				continue
			}
			if _, err := gitconf.Run(append([]string{gs.Scope}, w...)...); err != nil {
				return err
			}
		}
		if !gs.DryRun {
			fmt.Fprintf(set.Stderr, "oauth2cred: git now asks oauth2cred --service %s for %s (%s)\n", s.Service().Name, url, strings.TrimPrefix(gs.Scope, "--"))
		}
		return nil
	}, func(s *lifecycle.Session) error {
		if s.Source() == "flags" {
			return writeConfig(s, gs.DryRun, stdout)
		}
		return nil
	})
}

// markerKey records that setup added the empty helper line for url.
func markerKey(url string) string { return "oauth2cred." + url + ".setupreset" }

// UnsetupGit removes exactly the lines SetupGit wrote: the oauth2cred line
// and, when its marker says setup added it, the empty line written just
// before it (never one the person wrote). git drops a section left empty,
// so a configuration that had none is as it was, byte for byte.
func UnsetupGit(set *lifecycle.Settings, gs GitSetup, stdout io.Writer) error {
	if allHosts(set) {
		return setupAllHosts(set, gs, stdout, false)
	}
	return eachHelperKey(set, gs, func(s *lifecycle.Session, url, key, helper string, have []string) error {
		i := slices.IndexFunc(have, func(l string) bool {
			kind, svc := helperLineKind(l)
			return kind == oursForOne && svc == s.Service().Name
		})
		if i < 0 {
			return nil
		}
		helper = have[i] // as it was written, perhaps by another version
		marker, err := gitconf.Run(gs.Scope, "--get", markerKey(url))
		if err != nil {
			return err
		}
		keep := slices.Delete(slices.Clone(have), i, i+1)
		if strings.TrimSpace(marker) == "true" && i > 0 && have[i-1] == "" {
			keep = slices.Delete(keep, i-1, i)
		}
		writes := unsetupWrites(gs.Scope, key, helper, have, keep)
		if marker != "" {
			writes = append(writes, []string{gs.Scope, "--unset", markerKey(url)})
		}
		for _, w := range writes {
			if gs.DryRun {
				fmt.Fprintf(stdout, "git config %s\n", shellJoin(w))
				continue
			}
			if _, err := gitconf.Run(w...); err != nil {
				return err
			}
		}
		if !gs.DryRun {
			fmt.Fprintf(set.Stderr, "oauth2cred: git no longer asks oauth2cred for %s\n", url)
		}
		return nil
	}, nil)
}

// unsetupWrites are the git config calls that turn have into keep: the
// helper line removed by its value; an empty line removed by value when it
// is the only one, else (git cannot remove the n-th of equal values) the
// key's values written anew in order.
func unsetupWrites(scope, key, helper string, have, keep []string) [][]string {
	writes := [][]string{{scope, "--fixed-value", "--unset-all", key, helper}}
	if len(have)-len(keep) < 2 {
		return writes
	}
	if slices.Index(keep, "") < 0 { // the empty line was the only one
		return append(writes, []string{scope, "--fixed-value", "--unset", key, ""})
	}
	writes = [][]string{{scope, "--unset-all", key}}
	for _, v := range keep {
		writes = append(writes, []string{scope, "--add", key, v})
	}
	return writes
}

// shellJoin shows a git config call as a command line: options and the
// key as they are, the value (the last word after a key) quoted.
func shellJoin(args []string) string {
	q := slices.Clone(args)
	if n := len(q); n >= 2 && !strings.HasPrefix(q[n-2], "-") {
		q[n-1] = shellQuote(q[n-1])
	}
	return strings.Join(q, " ")
}

// eachHelperKey opens the service, runs first (when given), then do for
// every git URL of the service with its helper key and current values.
func eachHelperKey(set *lifecycle.Settings, gs GitSetup, do func(s *lifecycle.Session, url, key, helper string, have []string) error, first func(*lifecycle.Session) error) error {
	s, err := lifecycle.Open(set, lifecycle.Use{})
	if err != nil {
		return err
	}
	defer s.Close()
	if first != nil {
		if err := first(s); err != nil {
			return err
		}
	}
	helper := helperCommand(s)
	for _, url := range gitURLs(s) {
		key := "credential." + url + ".helper"
		have, err := gitconf.All(gs.Scope, key)
		if err != nil {
			return err
		}
		if err := do(s, url, key, helper, have); err != nil {
			return err
		}
	}
	return nil
}

// gitURLs are the URLs git names the service's hosts by: https, and http
// too for this machine.
func gitURLs(s *lifecycle.Session) []string {
	var out []string
	for _, h := range s.Service().Hosts {
		hostname := h
		if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.HasSuffix(h, "]") {
			hostname = h[:i]
		}
		// The helper serves https everywhere and plain http on this
		// machine: a loopback host gets both lines.
		if service.IsLoopback(strings.Trim(hostname, "[]")) {
			out = append(out, "http://"+h)
		}
		out = append(out, "https://"+h)
	}
	return out
}

// helperCommand is the helper line: this binary by its absolute path, so
// that git finds it whatever its PATH, with the options that locate the
// service.
func helperCommand(s *lifecycle.Session) string {
	return helperLine(s.Settings(), s.Service().Name)
}

// helperLine is git's helper line for service ("" for every host).
func helperLine(set *lifecycle.Settings, service string) string {
	parts := []string{"!" + shellQuote(program()), "git"}
	if service != "" {
		parts = append(parts, "--service", service)
	}
	for _, a := range locatingArgs(set) {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// setupAllHosts adds (or, unless add, removes exactly) the one helper line
// credential.helper = oauth2cred git, which answers for the hosts of every
// service in the config file and says nothing for others.
func setupAllHosts(set *lifecycle.Settings, gs GitSetup, stdout io.Writer, add bool) error {
	line := helperLine(set, "")
	have, err := gitconf.All(gs.Scope, "credential.helper")
	if err != nil {
		return err
	}
	w := []string{gs.Scope, "--add", "credential.helper", line}
	switch {
	case add && slices.ContainsFunc(have, func(l string) bool { k, _ := helperLineKind(l); return k == oursForAll }):
		fmt.Fprintf(set.Stderr, "oauth2cred: git already asks oauth2cred for every host\n")
		return nil
	case !add && !slices.Contains(have, line):
		return nil
	case !add:
		w = []string{gs.Scope, "--fixed-value", "--unset-all", "credential.helper", line}
	}
	if gs.DryRun {
		fmt.Fprintf(stdout, "git config %s\n", shellJoin(w))
		return nil
	}
	if _, err := gitconf.Run(w...); err != nil {
		return err
	}
	if add {
		fmt.Fprintf(set.Stderr, "oauth2cred: git now asks oauth2cred for every host; it answers for the hosts of the services in the config file (%s)\n", strings.TrimPrefix(gs.Scope, "--"))
	} else {
		fmt.Fprintf(set.Stderr, "oauth2cred: git no longer asks oauth2cred for every host\n")
	}
	return nil
}

// writeConfig adds the service, as its flags define it, to the config file,
// so that the helper line needs only its name. A secret is never written.
func writeConfig(s *lifecycle.Session, dryRun bool, stdout io.Writer) error {
	d := s.Settings().Flags
	absDefinitionPaths(&d)
	if d.ClientSecret != "" {
		return Usagef("setup git does not write --client-secret into the config file; pass --client-secret-file FILE")
	}
	if dryRun {
		path, _ := s.Settings().ConfigFile()
		t, err := serviceTable(s.Service().Name, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "# append to %s:\n%s", path, t)
		return nil
	}
	return appendServiceTable(s.Settings(), s.Service().Name, d)
}

// serviceTable is the config file's table of service name: only its own
// table, as the encoder writes it, quoted where it must be
// ([services."work.gitlab"], not a nested table); the encoder's
// [services] header goes, as a file holds many services appended this way.
func serviceTable(name string, d service.Definition) (string, error) {
	d.ClientSecret = "" // never a secret in the file
	var enc bytes.Buffer
	e := toml.NewEncoder(&enc)
	e.Indent = ""
	if err := e.Encode(map[string]map[string]service.Definition{"services": {name: d}}); err != nil {
		return "", err
	}
	return strings.TrimPrefix(enc.String(), "[services]\n"), nil
}

// appendServiceTable adds the service's table to the config file.
func appendServiceTable(set *lifecycle.Settings, name string, d service.Definition) error {
	return addServices(set, []namedService{{name, d}})
}
