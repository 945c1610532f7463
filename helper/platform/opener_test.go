package platform

import (
	"errors"
	"strings"
	"testing"
)

// Which opener each system and desktop gets; none where nothing can open a
// browser (SPEC §3, §7).
func TestOpenerFor(t *testing.T) {
	desktop := func(k string) string {
		if k == "DISPLAY" {
			return ":0"
		}
		return ""
	}
	none := func(string) string { return "" }
	installed := func(names ...string) func(string) (string, error) {
		return func(p string) (string, error) {
			for _, n := range names {
				if n == p {
					return "/usr/bin/" + p, nil
				}
			}
			return "", errors.New("not found")
		}
	}
	for _, tc := range []struct {
		name string
		goos string
		env  func(string) string
		wsl  bool
		have []string
		want string
	}{
		{"macOS", "darwin", none, false, nil, "open"},
		{"Windows", "windows", none, false, nil, "rundll32 url.dll,FileProtocolHandler"},
		{"Linux desktop with xdg-open", "linux", desktop, false, []string{"xdg-open", "www-browser"}, "/usr/bin/xdg-open"},
		{"Linux desktop with only sensible-browser", "linux", desktop, false, []string{"sensible-browser"}, "/usr/bin/sensible-browser"},
		{"Linux desktop without an opener", "linux", desktop, false, nil, ""},
		{"Linux without a desktop", "linux", none, false, []string{"xdg-open"}, ""},
		{"WSL with wslview", "linux", none, true, []string{"wslview", "rundll32.exe"}, "/usr/bin/wslview"},
		{"WSL through interop", "linux", none, true, []string{"rundll32.exe"}, "/usr/bin/rundll32.exe url.dll,FileProtocolHandler"},
		{"WSL with WSLg and xdg-open", "linux", desktop, true, []string{"xdg-open", "wslview"}, "/usr/bin/xdg-open"},
		{"WSL without interop", "linux", none, true, nil, ""},
	} {
		name, args := openerFor(tc.goos, tc.env, tc.wsl, installed(tc.have...))
		if got := strings.TrimSpace(name + " " + strings.Join(args, " ")); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
