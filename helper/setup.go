package helper

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

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
// when flags define it. Running it twice changes nothing.
func SetupGit(set *Settings, gs GitSetup, stdout io.Writer) error {
	return eachHelperKey(set, gs, func(s *Session, url, key, helper string, have []string) error {
		if slices.Contains(have, helper) {
			fmt.Fprintf(set.Stderr, "oauth2cred: git already asks oauth2cred for %s\n", url)
			return nil
		}
		for _, value := range []string{"", helper} {
			if gs.DryRun {
				fmt.Fprintf(stdout, "git config %s --add %s %s\n", gs.Scope, key, shellQuote(value))
				continue
			}
			if err := gitConfig(gs.Scope, "--add", key, value); err != nil {
				return err
			}
		}
		if !gs.DryRun {
			fmt.Fprintf(set.Stderr, "oauth2cred: git now asks oauth2cred --service %s for %s (%s)\n", s.svc.Name, url, strings.TrimPrefix(gs.Scope, "--"))
		}
		return nil
	}, func(s *Session) error {
		if s.source == "flags" {
			return s.writeConfig(gs.DryRun, stdout)
		}
		return nil
	})
}

// UnsetupGit removes exactly the lines SetupGit wrote: the oauth2cred line
// and the empty line written before it. git drops a section left empty, so
// a configuration that had none is as it was, byte for byte.
func UnsetupGit(set *Settings, gs GitSetup, stdout io.Writer) error {
	return eachHelperKey(set, gs, func(s *Session, url, key, helper string, have []string) error {
		if !slices.Contains(have, helper) {
			return nil
		}
		for _, value := range []string{helper, ""} {
			if gs.DryRun {
				fmt.Fprintf(stdout, "git config %s --fixed-value --unset-all %s %s\n", gs.Scope, key, shellQuote(value))
				continue
			}
			if err := gitConfig(gs.Scope, "--fixed-value", "--unset-all", key, value); err != nil {
				return err
			}
		}
		if !gs.DryRun {
			fmt.Fprintf(set.Stderr, "oauth2cred: git no longer asks oauth2cred for %s\n", url)
		}
		return nil
	}, nil)
}

// eachHelperKey opens the service, runs first (when given), then do for
// every git URL of the service with its helper key and current values.
func eachHelperKey(set *Settings, gs GitSetup, do func(s *Session, url, key, helper string, have []string) error, first func(*Session) error) error {
	s, err := Open(set)
	if err != nil {
		return err
	}
	defer s.Close()
	if first != nil {
		if err := first(s); err != nil {
			return err
		}
	}
	helper := s.helperCommand()
	for _, url := range s.gitURLs() {
		key := "credential." + url + ".helper"
		have, err := gitConfigAll(gs.Scope, key)
		if err != nil {
			return err
		}
		if err := do(s, url, key, helper, have); err != nil {
			return err
		}
	}
	return nil
}

// gitURLs are the URLs git names the service's hosts by: https, or http
// for this machine.
func (s *Session) gitURLs() []string {
	var out []string
	for _, h := range s.svc.Hosts {
		hostname := h
		if i := strings.LastIndexByte(h, ':'); i > 0 && !strings.HasSuffix(h, "]") {
			hostname = h[:i]
		}
		scheme := "https"
		if IsLoopback(strings.Trim(hostname, "[]")) {
			scheme = "http"
		}
		out = append(out, scheme+"://"+h)
	}
	return out
}

// helperCommand is the helper line: this binary by its absolute path, so
// that git finds it whatever its PATH, with the options that locate the
// service.
func (s *Session) helperCommand() string {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		exe = "oauth2cred"
	}
	parts := []string{"!" + shellQuote(exe), "git", "--service", s.svc.Name}
	if s.set.ConfigPath != "" {
		parts = append(parts, "--config", shellQuote(s.set.ConfigPath))
	}
	if s.set.TokenDir != "" {
		parts = append(parts, "--token-dir", shellQuote(s.set.TokenDir))
	}
	return strings.Join(parts, " ")
}

// writeConfig adds the service, as its flags define it, to the config file,
// so that the helper line needs only its name. A secret is never written.
func (s *Session) writeConfig(dryRun bool, stdout io.Writer) error {
	d := s.set.Flags
	if d.ClientSecret != "" {
		return usageErr("setup git does not write --client-secret into the config file; pass --client-secret-file FILE")
	}
	// Only the service's own table: a second [services] header would make
	// the file invalid once two services were set up this way.
	var b bytes.Buffer
	fmt.Fprintf(&b, "[services.%s]\n", s.svc.Name)
	if err := toml.NewEncoder(&b).Encode(d); err != nil {
		return failure(err)
	}
	path, _ := s.set.configPath()
	if dryRun {
		fmt.Fprintf(stdout, "# append to %s:\n%s", path, b.String())
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return failure(fmt.Errorf("cannot create the config directory: %v", err))
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return failure(fmt.Errorf("cannot write the config file: %v", err))
	}
	defer f.Close()
	if _, err := f.Write(append([]byte("\n"), b.Bytes()...)); err != nil {
		return failure(fmt.Errorf("cannot write the config file: %v", err))
	}
	fmt.Fprintf(s.set.Stderr, "oauth2cred: wrote the service %q to %s\n", s.svc.Name, path)
	return nil
}

func gitConfig(args ...string) error {
	out, err := exec.Command("git", append([]string{"config"}, args...)...).CombinedOutput()
	if err != nil {
		return failure(fmt.Errorf("git config %s: %s", strings.Join(args, " "), strings.TrimSpace(string(out))))
	}
	return nil
}

// gitConfigAll returns every value of key in scope; none is no error.
func gitConfigAll(scope, key string) ([]string, error) {
	out, err := exec.Command("git", "config", scope, "-z", "--get-all", key).Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		return nil, nil
	}
	if err != nil {
		return nil, failure(fmt.Errorf("cannot read git's configuration (%v); is git installed?", err))
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"), nil
}
