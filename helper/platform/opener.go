package platform

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Which program opens a browser: a plain function of the system, the
// environment and what is installed (openerFor), tested for every system
// on every system; only the look-ups are the machine's.

// openerFor is the desktop's opener and its arguments before the URL, or
// "" when this session has none: a Linux desktop without any of the
// openers installed has no browser (a call would wait for a page nobody
// opened). Under WSL the Windows side's browser is reached through
// wslview, else Windows' own opener through interop, when no Linux opener
// exists. Never cmd /c start, which reads & and ^ in a URL.
func openerFor(goos string, env func(string) string, wsl bool, look func(string) (string, error)) (string, []string) {
	switch goos {
	case "darwin":
		return "open", nil
	case "windows":
		return "rundll32", []string{"url.dll,FileProtocolHandler"}
	}
	if env("DISPLAY") != "" || env("WAYLAND_DISPLAY") != "" {
		for _, p := range []string{"xdg-open", "sensible-browser", "x-www-browser", "www-browser"} {
			if path, err := look(p); err == nil {
				return path, nil
			}
		}
	}
	if wsl {
		if path, err := look("wslview"); err == nil {
			return path, nil
		}
		if path, err := look("rundll32.exe"); err == nil {
			return path, []string{"url.dll,FileProtocolHandler"}
		}
	}
	return "", nil
}

// isWSL says whether this Linux runs under the Windows Subsystem for Linux.
func isWSL(env func(string) string) bool {
	if runtime.GOOS != "linux" {
		return false
	}
	if env("WSL_DISTRO_NAME") != "" || env("WSL_INTEROP") != "" {
		return true
	}
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	return err == nil && strings.Contains(strings.ToLower(string(b)), "microsoft")
}

// Opener is this machine's opener (openerFor with its look-ups).
func Opener(env func(string) string) (string, []string) {
	return openerFor(runtime.GOOS, env, isWSL(env), exec.LookPath)
}
