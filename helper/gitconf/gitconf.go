// Package gitconf is the one place that runs `git config`: for git's
// network settings, doctor's view of the helpers, and setup's writes.
package gitconf

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Run runs git config with args and returns git's output; a key that is
// not set (git's exit 1) is no error, just no output. git's own message
// (never a value: git does not echo them) goes into the error.
func Run(args ...string) (string, error) { return run(nil, args...) }

// run runs git config with args and, added to the environment, env.
func run(env []string, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"config"}, args...)...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
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

// Matching reports which of the URL patterns (the <url> of credential.<url>.*
// keys) git applies to url, by git's own URL matching (scheme, user, host
// wildcards, default ports, path prefixes), in one call: each pattern gets a
// key of its own in a probe section, given to git in its environment, so
// --get-urlmatch names every key whose pattern matches.
func Matching(patterns []string, url string) (map[string]bool, error) {
	if len(patterns) == 0 {
		return nil, nil // nothing to ask git
	}
	env := []string{"GIT_CONFIG_COUNT=" + strconv.Itoa(len(patterns))}
	for i, p := range patterns {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=oauth2cred-probe.%s.p%d", i, p, i), fmt.Sprintf("GIT_CONFIG_VALUE_%d=1", i))
	}
	out, err := run(env, "-z", "--get-urlmatch", "oauth2cred-probe", url)
	if err != nil {
		return nil, err
	}
	match := map[string]bool{}
	for _, entry := range strings.Split(out, "\x00") {
		key, _, _ := strings.Cut(entry, "\n")
		if i, err := strconv.Atoi(strings.TrimPrefix(key, "oauth2cred-probe.p")); err == nil && i >= 0 && i < len(patterns) {
			match[patterns[i]] = true
		}
	}
	return match, nil
}

// Helpers are the credential helpers git asks for url, in order: every
// credential.helper and credential.<pattern>.helper whose pattern git
// matches with url, in config order, an empty value resetting the list, as
// git's credential.c collects them.
func Helpers(url string) ([]string, error) {
	out, err := Run("-z", "--get-regexp", `^credential\..*helper$`)
	if err != nil {
		return nil, err
	}
	type line struct{ pattern, value string }
	var lines []line
	var patterns []string
	for _, entry := range strings.Split(out, "\x00") {
		key, value, _ := strings.Cut(entry, "\n")
		if key == "" {
			continue
		}
		pattern := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(key, "credential."), "helper"), ".")
		lines = append(lines, line{pattern, value})
		if pattern != "" {
			patterns = append(patterns, pattern)
		}
	}
	matching, err := Matching(patterns, url)
	if err != nil {
		return nil, err
	}
	var helpers []string
	for _, l := range lines {
		switch {
		case l.pattern != "" && !matching[l.pattern]:
		case l.value == "":
			helpers = nil
		default:
			helpers = append(helpers, l.value)
		}
	}
	return helpers, nil
}
