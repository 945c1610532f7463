// Package gitconf is the one place that runs `git config`: for git's
// network settings, doctor's view of the helpers, and setup's writes.
package gitconf

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// Run runs git config with args and returns git's output; a key that is
// not set (git's exit 1) is no error, just no output. git's own message
// (never a value: git does not echo them) goes into the error.
func Run(args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"config"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return string(out), nil
	case errors.As(err, &ee) && ee.ExitCode() == 1 && stderr.Len() == 0:
		return "", nil
	case errors.As(err, &ee):
		return "", fmt.Errorf("git config %s: %s", strings.Join(args, " "), strings.TrimSpace(stderr.String()))
	}
	return "", fmt.Errorf("cannot read git's configuration (%v); is git installed?", err)
}

// All returns every value of key in scope, in order.
func All(scope, key string) ([]string, error) {
	out, err := Run(scope, "-z", "--get-all", key)
	if err != nil || out == "" {
		return nil, err
	}
	return strings.Split(strings.TrimSuffix(out, "\x00"), "\x00"), nil
}

// URLMatch returns, in one call, every variable of section that applies
// to url (git config --get-urlmatch section url), by lower-case name
// without the section: git's own matching of URL-scoped keys.
func URLMatch(section, url string) (map[string]string, error) {
	out, err := Run("-z", "--get-urlmatch", section, url)
	if err != nil || out == "" {
		return nil, err
	}
	vals := map[string]string{}
	for _, entry := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		key, value, _ := strings.Cut(entry, "\n")
		vals[strings.TrimPrefix(strings.ToLower(key), strings.ToLower(section)+".")] = value
	}
	return vals, nil
}
