package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"oauth2cred/helper"
	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"

	"github.com/urfave/cli/v2"
)

// completion prints a script that makes the shell ask oauth2cred itself for
// completions (urfave/cli's --generate-bash-completion); fish gets the
// script urfave/cli writes from the app.
func completion(app *cli.App, shell string, nargs int, w io.Writer) error {
	if nargs > 1 {
		return helper.Usagef("completion takes one shell: bash, zsh or fish")
	}
	switch shell {
	case "bash":
		_, err := io.WriteString(w, bashCompletion)
		return err
	case "zsh":
		_, err := io.WriteString(w, zshCompletion)
		return err
	case "fish":
		s, err := app.ToFishCompletion()
		if err != nil {
			return err
		}
		_, err = io.WriteString(w, s+fishValues())
		return err
	}
	return helper.Usagef("completion for %q is not available; choose bash, zsh or fish", shell)
}

// completeValues answers a completion request for a flag's value (the
// shells ask "oauth2cred … --service --generate-bash-completion"): the
// services of the config file and the token directory, the accounts of
// the service named, or the words a flag allows. ok is false when the
// request is not for such a value.
func completeValues(args []string, w io.Writer) (ok bool) {
	n := len(args)
	if n < 3 || args[n-1] != "--generate-bash-completion" || !strings.HasPrefix(args[n-2], "--") {
		return false
	}
	flag := strings.TrimPrefix(args[n-2], "--")
	var values []string
	switch flag {
	case "service", "account":
		set, err := completionSettings(args[:n-2])
		if err != nil {
			return true
		}
		values = savedNames(set, flag == "account")
	case "format":
		values = helper.TokenFormats
		if len(args) > 1 && args[1] == "status" {
			values = helper.StatusFormats
		}
	case "preset":
		values = service.PresetNames()
	default:
		values = service.Choices(flag)
		if values == nil {
			return false
		}
	}
	for _, v := range values {
		fmt.Fprintln(w, v)
	}
	return true
}

// completionSettings reads the flags that locate the files (--config,
// --token-dir, --service) from the words typed so far.
func completionSettings(words []string) (*lifecycle.Settings, error) {
	given := map[string]string{}
	for i := 0; i+1 < len(words); i++ {
		given[words[i]] = words[i+1]
	}
	return &lifecycle.Settings{Stderr: io.Discard, ConfigPath: given["--config"], TokenDir: given["--token-dir"], Service: given["--service"]}, nil
}

// savedNames are the service names of the config file and the token
// directory, or (accounts) the accounts saved for set.Service.
func savedNames(set *lifecycle.Settings, accounts bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if !accounts {
		if cfg, err := set.Config(); err == nil {
			for _, n := range cfg.Names() {
				add(n)
			}
		}
	}
	keys, _ := set.Store().Services()
	for _, k := range keys {
		name, account := lifecycle.SplitKey(k)
		switch {
		case !accounts:
			add(name)
		case name == set.Service:
			add(account)
		}
	}
	sort.Strings(out)
	return out
}

// fishValues makes fish ask oauth2cred for the values of the flags that
// take names or a few words (completeValues).
func fishValues() string {
	var b strings.Builder
	b.WriteString("\n# values: oauth2cred answers for them\n")
	names := append([]string{"service", "account", "format", "preset"}, service.ChoiceFlags[:]...)
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "complete -c oauth2cred -l %s -x -a '(set -l t (commandline -opc); $t --generate-bash-completion 2>/dev/null)'\n", n)
	}
	return b.String()
}

const bashCompletion = `# oauth2cred completion for bash: source <(oauth2cred completion bash)
_oauth2cred_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}" opts
  local words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  if [[ "$cur" == -* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o default -F _oauth2cred_complete oauth2cred
`

const zshCompletion = `#compdef oauth2cred
# oauth2cred completion for zsh: oauth2cred completion zsh > "${fpath[1]}/_oauth2cred"
_oauth2cred() {
  local -a opts
  local cur=${words[CURRENT]}
  if [[ $cur == -* ]]; then
    opts=(${(f)"$(${words[@]:0:CURRENT-1} $cur --generate-bash-completion 2>/dev/null)"})
  else
    opts=(${(f)"$(${words[@]:0:CURRENT-1} --generate-bash-completion 2>/dev/null)"})
  fi
  compadd -a opts
}
compdef _oauth2cred oauth2cred
`

// flagString is a flag's help line: names, the value's placeholder (the
// usage's `WORD`, else "value"), and the usage, which states a default where
// there is a meaningful one.
func flagString(f cli.Flag) string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return strings.Join(f.Names(), ", ")
	}
	usage := df.GetUsage()
	placeholder := ""
	if df.TakesValue() {
		placeholder = " value"
		if i := strings.IndexByte(usage, '`'); i >= 0 {
			if j := strings.IndexByte(usage[i+1:], '`'); j >= 0 {
				placeholder = " " + usage[i+1:i+1+j]
				usage = usage[:i] + usage[i+1:i+1+j] + usage[i+2+j:]
			}
		}
	}
	var names []string
	for _, n := range f.Names() {
		if len(n) == 1 {
			names = append(names, "-"+n)
		} else {
			names = append(names, "--"+n)
		}
	}
	return fmt.Sprintf("%s%s\t%s", strings.Join(names, ", "), placeholder, usage)
}
