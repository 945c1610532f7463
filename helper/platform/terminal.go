package platform

import (
	"os"
	"time"
)

// The person's terminal: /dev/tty on Linux and macOS, the console
// (CONIN$ and CONOUT$) on Windows — never stdin and stdout, which carry
// the protocols. Git Bash's mintty is no console: a program started there
// without winpty gets a hidden one that nobody sees, so it counts as no
// terminal, and the browser page asks instead.

// Terminal reads what the person types and shows text to them.
type Terminal struct {
	in, out *os.File
}

// OpenTerminal opens this process's terminal, or returns nil when there is
// none that a person can see.
func OpenTerminal(env func(string) string) *Terminal {
	if !ConsoleUsable(env) {
		return nil
	}
	in, out, err := openTerminal()
	if err != nil {
		return nil
	}
	return &Terminal{in: in, out: out}
}

// HasTerminal says whether this process has a terminal, whether or not it
// may prompt on it.
func HasTerminal(env func(string) string) bool {
	t := OpenTerminal(env)
	if t == nil {
		return false
	}
	t.Close()
	return true
}

// ConsoleUsable is false in Git Bash's mintty (its console is hidden),
// except under Windows Terminal, whose console is real.
func ConsoleUsable(env func(string) string) bool {
	if env("TERM_PROGRAM") == "mintty" {
		return false
	}
	return env("MSYSTEM") == "" || env("WT_SESSION") != "" || env("TERM") == ""
}

func (t *Terminal) Read(p []byte) (int, error)  { return t.in.Read(p) }
func (t *Terminal) Write(p []byte) (int, error) { return t.out.Write(p) }

// SetReadDeadline bounds a read; it fails where the terminal cannot be
// polled (a Windows console), and then the caller must not wait on it.
func (t *Terminal) SetReadDeadline(d time.Time) error { return t.in.SetReadDeadline(d) }

// Close closes the terminal's handles.
func (t *Terminal) Close() error {
	t.in.Close()
	if t.out != t.in {
		t.out.Close()
	}
	return nil
}
