package platform

import (
	"cmp"
	"os"
	"path"
	"runtime"
)

// Where oauth2cred's files live (SPEC §7): the XDG variables win on every
// system (Git Bash users set them); else Windows keeps the config file in
// %APPDATA% (it roams with the profile) and tokens in %LOCALAPPDATA% (they
// must not roam); Linux and macOS use ~/.config and ~/.local/state.

// Dirs are the config file and the token directory for goos, from the
// environment and the home directory.
func Dirs(goos string, env func(string) string, home string) (configFile, tokenDir string) {
	config, state := env("XDG_CONFIG_HOME"), env("XDG_STATE_HOME")
	join := path.Join // this decision is the same on every system: no filepath
	if goos == "windows" {
		join = windowsJoin
		if config == "" {
			config = cmp.Or(env("APPDATA"), windowsJoin(home, "AppData", "Roaming"))
		}
		if state == "" {
			state = cmp.Or(env("LOCALAPPDATA"), windowsJoin(home, "AppData", "Local"))
		}
	}
	if config == "" {
		config = join(home, ".config")
	}
	if state == "" {
		state = join(home, ".local", "state")
	}
	return join(config, "oauth2cred", "config.toml"), join(state, "oauth2cred")
}

// Home is the person's home directory: on Windows %USERPROFILE% (a Linux
// HOME that Wine or MSYS passes through names no Windows directory), else
// $HOME; the system's answer when the variable is unset.
func Home(goos string, env func(string) string) string {
	v := "HOME"
	if goos == "windows" {
		v = "USERPROFILE"
	}
	if h := env(v); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// ThisHome is Home for this system.
func ThisHome(env func(string) string) string { return Home(runtime.GOOS, env) }

// ThisDirs is Dirs for this system.
func ThisDirs(env func(string) string) (configFile, tokenDir string) {
	return Dirs(runtime.GOOS, env, ThisHome(env))
}

// windowsJoin joins with backslashes whatever system it runs on, so the
// decision is tested everywhere.
func windowsJoin(elem ...string) string {
	out := ""
	for _, e := range elem {
		switch {
		case e == "":
		case out == "":
			out = e
		case out[len(out)-1] == '\\' || out[len(out)-1] == '/':
			out += e
		default:
			out += `\` + e
		}
	}
	return out
}
