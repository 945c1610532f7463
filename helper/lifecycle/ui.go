package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"oauth2cred/flow"
	"oauth2cred/helper/platform"
)

// ui reaches the person: the terminal when there is one (stdin and stdout
// carry the protocols), else stderr for messages only.
type ui struct {
	stderr   io.Writer // behind red
	red      *flow.Redactor
	env      func(string) string
	tty      *platform.Terminal
	ttyTried bool
	noTTY    bool // the front end says nobody is at a terminal
}

func (u *ui) terminal() *platform.Terminal {
	if u.noTTY {
		return nil
	}
	if !u.ttyTried {
		u.ttyTried = true
		u.tty = platform.OpenTerminal(u.env)
	}
	return u.tty
}

func (u *ui) out() io.Writer {
	if t := u.terminal(); t != nil {
		return u.red.Writer(t)
	}
	return u.stderr
}

func (u *ui) say(format string, a ...any) {
	fmt.Fprintf(u.out(), format+"\n", a...)
}

// warn always goes to stderr: it is about this call, not a conversation.
func (u *ui) warn(format string, a ...any) {
	fmt.Fprintf(u.stderr, "oauth2cred: warning: "+format+"\n", a...)
}

// ask asks a yes/no question on the terminal; Enter means yes when yes is
// the default. The answer must come before ctx's deadline, else the error
// is context.DeadlineExceeded.
func (u *ui) ask(ctx context.Context, question string, yes bool) (bool, error) {
	t := u.terminal()
	if t == nil {
		return false, fmt.Errorf("no terminal")
	}
	choices := "[Y/n]"
	if !yes {
		choices = "[y/N]"
	}
	fmt.Fprintf(t, "%s %s ", question, choices)
	answer, err := readLine(ctx, t)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "":
		return yes, nil
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// readLine reads one line before ctx's deadline (context.DeadlineExceeded
// after it). A terminal that cannot be polled (a Windows console) is read
// by a goroutine the deadline leaves behind: the call ends soon after.
func readLine(ctx context.Context, t *platform.Terminal) (string, error) {
	if d, ok := ctx.Deadline(); ok {
		if t.SetReadDeadline(d) != nil {
			type read struct {
				line string
				err  error
			}
			got := make(chan read, 1)
			go func() {
				l, err := readLine(context.Background(), t)
				got <- read{l, err}
			}()
			select {
			case r := <-got:
				return r.line, r.err
			case <-ctx.Done():
				return "", context.DeadlineExceeded
			}
		}
		defer t.SetReadDeadline(time.Time{})
	}
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := t.Read(buf)
		if n == 1 {
			if buf[0] == '\n' || buf[0] == '\r' {
				return string(line), nil
			}
			line = append(line, buf[0])
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return "", context.DeadlineExceeded
		}
		if err != nil {
			return "", err
		}
	}
}

func (u *ui) close() {
	if u.tty != nil {
		u.tty.Close()
	}
}

// browserOpener returns how to show a URL in a browser, or nil when this
// session has none: $BROWSER when set (as xdg-open and Python do), else the
// desktop's opener when there is a desktop. Either runs with no pipes of
// ours (its output goes to /dev/null, so it cannot write into a protocol or
// keep our caller waiting for end of file) and without our secret
// variables. Callers run it in a goroutine of its own: an xdg-open that
// lingers until the browser exits never holds up the flow.
//
// Every address goes through flow.OpenableURL first, on the origins given:
// what fails is printed by the caller, never opened.
func browserOpener(launch func(string) error, env func(string) string, secretVars []string) opener {
	if launch == nil {
		launch = launcher(env, secretVars)
	}
	if launch == nil {
		return nil
	}
	return func(u string, origins ...string) error {
		if err := flow.OpenableURL(u, origins...); err != nil {
			return fmt.Errorf("not opening %q in a browser: %v", flow.Sanitize(u), err)
		}
		return launch(u)
	}
}

// opener shows a checked URL in a browser.
type opener func(u string, origins ...string) error

// launcher starts the browser for a URL that passed the checks.
func launcher(env func(string) string, secretVars []string) func(string) error {
	if b := env("BROWSER"); b != "" {
		return func(u string) error {
			args := strings.Fields(strings.Split(b, ":")[0])
			if len(args) == 0 {
				return fmt.Errorf("BROWSER is empty")
			}
			if strings.Contains(b, "%s") {
				for i := range args {
					args[i] = strings.ReplaceAll(args[i], "%s", u)
				}
			} else {
				args = append(args, u)
			}
			// $BROWSER is the person's own program: started, not judged.
			cmd := browserCommand(secretVars, args[0], args[1:]...)
			if err := cmd.Start(); err != nil {
				return err
			}
			go cmd.Wait()
			return nil
		}
	}
	if name, pre := platform.Opener(env); name != "" {
		// The desktop's opener, as github.com/pkg/browser would pick it.
		// That library is not used: it offers no way to give the opener
		// an environment without our secrets, and waits for it.
		return func(u string) error {
			return browserCommand(secretVars, name, append(pre, u)...).Run()
		}
	}
	return nil
}

// browserCommand prepares a browser opener: no pipes of ours (nil means
// /dev/null) and an environment without our secrets.
func browserCommand(secretVars []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = childEnv(os.Environ(), secretVars)
	return cmd
}

// childEnv is env without flow.SecretEnv and the service's own secret
// variables (--client-assertion-env, --subject-token-env).
func childEnv(env, secretVars []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(flow.SecretEnv, k) && !slices.Contains(secretVars, k) {
			out = append(out, kv)
		}
	}
	return out
}
