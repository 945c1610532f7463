package platform

import "testing"

// The config file and token directory of each system (SPEC §7).
func TestDirs(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, tc := range []struct {
		name, goos, home string
		vars             map[string]string
		config, tokens   string
	}{
		{"Linux", "linux", "/home/me", nil, "/home/me/.config/oauth2cred/config.toml", "/home/me/.local/state/oauth2cred"},
		{"Linux with XDG", "linux", "/home/me", map[string]string{"XDG_CONFIG_HOME": "/cfg", "XDG_STATE_HOME": "/st"}, "/cfg/oauth2cred/config.toml", "/st/oauth2cred"},
		{"macOS", "darwin", "/Users/me", nil, "/Users/me/.config/oauth2cred/config.toml", "/Users/me/.local/state/oauth2cred"},
		{"Windows", "windows", `C:\Users\me`, map[string]string{"APPDATA": `C:\Users\me\AppData\Roaming`, "LOCALAPPDATA": `C:\Users\me\AppData\Local`},
			`C:\Users\me\AppData\Roaming\oauth2cred\config.toml`, `C:\Users\me\AppData\Local\oauth2cred`},
		{"Windows without the variables", "windows", `C:\Users\me`, nil, `C:\Users\me\AppData\Roaming\oauth2cred\config.toml`, `C:\Users\me\AppData\Local\oauth2cred`},
		{"Windows, Git Bash user's XDG", "windows", `C:\Users\me`, map[string]string{"XDG_CONFIG_HOME": `C:\Users\me\.config`, "LOCALAPPDATA": `C:\L`},
			`C:\Users\me\.config\oauth2cred\config.toml`, `C:\L\oauth2cred`},
	} {
		config, tokens := Dirs(tc.goos, env(tc.vars), tc.home)
		if config != tc.config || tokens != tc.tokens {
			t.Errorf("%s: %s, %s; want %s, %s", tc.name, config, tokens, tc.config, tc.tokens)
		}
	}
	if h := Home("windows", env(map[string]string{"HOME": "/root", "USERPROFILE": `C:\users\root`})); h != `C:\users\root` {
		t.Errorf("Windows home %q, want USERPROFILE's", h)
	}
}

// Git Bash's mintty has no console a person sees; Windows Terminal has.
func TestConsoleUsable(t *testing.T) {
	for _, tc := range []struct {
		name string
		vars map[string]string
		want bool
	}{
		{"Linux terminal", map[string]string{"TERM": "xterm-256color"}, true},
		{"Windows console", nil, true},
		{"mintty", map[string]string{"TERM_PROGRAM": "mintty", "MSYSTEM": "MINGW64", "TERM": "xterm"}, false},
		{"old mintty", map[string]string{"MSYSTEM": "MINGW64", "TERM": "xterm"}, false},
		{"Git Bash in Windows Terminal", map[string]string{"MSYSTEM": "MINGW64", "TERM": "xterm-256color", "WT_SESSION": "x"}, true},
	} {
		if got := ConsoleUsable(func(k string) string { return tc.vars[k] }); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
