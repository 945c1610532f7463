package helper

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/pkg/browser"
)

// ui reaches the person: the controlling terminal when there is one (stdin
// and stdout carry the protocols), else stderr for messages only.
type ui struct {
	stderr   io.Writer
	tty      *os.File
	ttyTried bool
	noTTY    bool // the front end says nobody is at a terminal
}

func (u *ui) terminal() *os.File {
	if u.noTTY {
		return nil
	}
	if !u.ttyTried {
		u.ttyTried = true
		if f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0); err == nil {
			u.tty = f
		}
	}
	return u.tty
}

func (u *ui) out() io.Writer {
	if t := u.terminal(); t != nil {
		return t
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

// confirm asks a yes/no question on the terminal; Enter means yes.
func (u *ui) confirm(question string) (bool, error) {
	t := u.terminal()
	if t == nil {
		return false, fmt.Errorf("no terminal")
	}
	fmt.Fprintf(t, "%s [Y/n] ", question)
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := t.Read(buf)
		if n == 1 {
			if buf[0] == '\n' || buf[0] == '\r' {
				break
			}
			line = append(line, buf[0])
			continue
		}
		if err != nil {
			return false, err
		}
	}
	switch strings.ToLower(strings.TrimSpace(string(line))) {
	case "", "y", "yes":
		return true, nil
	}
	return false, nil
}

func (u *ui) close() {
	if u.tty != nil {
		u.tty.Close()
	}
}

// browserOpener returns how to show a URL in a browser, or nil when this
// session has none: $BROWSER when set (as xdg-open and Python do), else the
// desktop's opener when there is a desktop.
func browserOpener(env func(string) string, stderr io.Writer) func(string) error {
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
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Stdout, cmd.Stderr = stderr, stderr
			if err := cmd.Start(); err != nil {
				return err
			}
			go cmd.Wait()
			return nil
		}
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" || env("DISPLAY") != "" || env("WAYLAND_DISPLAY") != "" {
		return func(u string) error {
			// The opener must never write to our stdout: it carries the protocol.
			browser.Stdout, browser.Stderr = io.Discard, io.Discard
			return browser.OpenURL(u)
		}
	}
	return nil
}
