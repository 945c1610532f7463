package helper

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"oauth2cred/helper/lifecycle"
	"oauth2cred/helper/service"
)

// ConfigPath prints the config file in use on stdout (for scripts:
// $EDITOR "$(oauth2cred config path)"), and on stderr whether it exists.
func ConfigPath(set *lifecycle.Settings, stdout io.Writer) error {
	path, _ := set.ConfigFile()
	path = absPath(path)
	fmt.Fprintln(stdout, path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(set.Stderr, "oauth2cred: it does not exist yet; 'oauth2cred config edit' creates it with an example\n")
	} else if err == nil {
		fmt.Fprintf(set.Stderr, "oauth2cred: it exists\n")
	}
	return nil
}

// configExample is a new config file: every line a comment, so that it
// defines nothing until the person writes it.
const configExample = `# oauth2cred's services, one table each; 'oauth2cred help config' lists the keys.
#
# [services.work-gitlab]
# preset = "gitlab"
# client_id = "the id of the OAuth application"
# hosts = ["gitlab.example.com"]
#
# [services.ci]
# issuer = "https://login.example.com"
# client_id = "ci-bot"
# client_secret_file = "/run/secrets/ci-bot"
# flow = "client-credentials"
`

// ConfigEdit opens the config file in $VISUAL or $EDITOR (creating it,
// private, with a commented example), and checks it when the editor is
// closed.
func ConfigEdit(set *lifecycle.Settings) error {
	path, _ := set.ConfigFile()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := writeAtomic(path, []byte(configExample), 0o600); err != nil {
			return fmt.Errorf("cannot create the config file %s: %v", path, err)
		}
		fmt.Fprintf(set.Stderr, "oauth2cred: created %s with an example\n", path)
	}
	editor := editorCommand(set.Env)
	cmd := exec.Command("sh", "-c", editor+` "$1"`, "sh", path)
	if runtime.GOOS == "windows" {
		cmd = exec.Command(editor, path)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the editor %q failed (%v); set VISUAL or EDITOR to the one you use", editor, err)
	}
	cfg, err := service.Load(path, true)
	if err != nil {
		return err
	}
	if p := cfg.Problems(); len(p) > 0 {
		return Usagef("%v; run 'oauth2cred config edit' to fix it", p[0])
	}
	fmt.Fprintf(set.Stderr, "oauth2cred: %s reads well: %d service(s)%s\n", filepath.Base(path), len(cfg.Names()), listed(cfg.Names()))
	return nil
}

// editorCommand is $VISUAL, else $EDITOR, else the system's usual editor.
func editorCommand(env func(string) string) string {
	for _, v := range []string{"VISUAL", "EDITOR"} {
		if e := strings.TrimSpace(env(v)); e != "" {
			return e
		}
	}
	if runtime.GOOS == "windows" {
		return "notepad"
	}
	return "vi"
}

func listed(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}
