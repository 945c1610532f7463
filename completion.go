package main

import (
	"fmt"
	"io"
	"strings"

	"oauth2cred/helper/exit"

	"github.com/urfave/cli/v2"
)

// completion prints a script that makes the shell ask oauth2cred itself for
// completions (urfave/cli's --generate-bash-completion); fish gets the
// script urfave/cli writes from the app.
func completion(app *cli.App, shell string, nargs int, w io.Writer) error {
	if nargs > 1 {
		return &exit.Error{Code: exit.Usage, Msg: "completion takes one shell: bash, zsh or fish"}
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
		_, err = io.WriteString(w, s)
		return err
	}
	return &exit.Error{Code: exit.Usage, Msg: fmt.Sprintf("completion for %q is not available; choose bash, zsh or fish", shell)}
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
