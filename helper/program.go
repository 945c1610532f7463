package helper

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// How set-up names this program and its files in what other programs run
// later (git's helper line, a kubeconfig's exec block): from any
// directory, and after an upgrade.

// program is "oauth2cred" when that name on PATH is this program, else
// the path it was started by, unresolved: a symbolic link such as
// Homebrew's bin/oauth2cred → Cellar/oauth2cred/1.2.3/… keeps working
// after the next upgrade, the resolved path would not. Forward slashes,
// which git for Windows' sh and kubectl both read.
func program() string {
	self := startedAs()
	if onPath, err := exec.LookPath("oauth2cred"); err == nil && sameFile(onPath, self) {
		return "oauth2cred"
	}
	return filepath.ToSlash(self)
}

// startedAs is the absolute path this process was started by.
func startedAs() string {
	arg0 := os.Args[0]
	if strings.ContainsRune(arg0, filepath.Separator) || strings.ContainsRune(arg0, '/') {
		if abs, err := filepath.Abs(arg0); err == nil {
			return abs
		}
	} else if p, err := exec.LookPath(arg0); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	if exe, err := os.Executable(); err == nil {
		return exe
	}
	return "oauth2cred"
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// absPath is p made absolute ("" stays ""): set-up writes paths that are
// read later from another directory.
func absPath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// locatingArgs are the global flags that say where the service is defined
// and kept, as absolute paths, for a command line written by set-up.
func locatingArgs(set *lifecycle.Settings) []string {
	var out []string
	if set.ConfigPath != "" {
		out = append(out, "--config", absPath(set.ConfigPath))
	}
	if set.TokenDir != "" {
		out = append(out, "--token-dir", absPath(set.TokenDir))
	}
	return out
}

// pathFlag says whether a flag's value is a file; setupOnlyFlag whether
// the flag steers set-up itself and is never copied into what it writes.
// Switches, not maps: nothing is built when a process starts.
func pathFlag(name string) bool {
	switch name {
	case "config", "token-dir", "client-secret-file", "client-key-file", "client-assertion-file", "subject-token-file", "ca-file":
		return true
	}
	return false
}

func setupOnlyFlag(name string) bool {
	return name == "dry-run" || name == "global" || name == "local"
}

// writtenArgs are a set-up command's service flags as written for later
// calls: file names made absolute, set-up's own flags dropped.
func writtenArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, has := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			out = append(out, a)
		case setupOnlyFlag(name):
		case pathFlag(name) && has:
			out = append(out, a[:len(a)-len(val)]+absPath(val))
		case pathFlag(name) && i+1 < len(args):
			out = append(out, a, absPath(args[i+1]))
			i++
		default:
			out = append(out, a)
		}
	}
	return out
}

// absDefinitionPaths makes the file names of a definition absolute.
func absDefinitionPaths(d *service.Definition) {
	for _, p := range []*string{&d.ClientSecretFile, &d.ClientKeyFile, &d.ClientAssertionFile, &d.SubjectTokenFile, &d.CAFile} {
		*p = absPath(*p)
	}
}
