package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set by release builds (.ci/release):
//
//	-ldflags "-X main.buildVersion=1.2.3 -X main.buildCommit=… -X main.buildDate=…"
var buildVersion, buildCommit, buildDate string

// versionText is what --version prints on every entry point: version,
// commit, build date, Go version and platform; a build without the release
// stamps says it was built from a checkout.
func versionText(name string) string {
	v, commit, date := buildVersion, buildCommit, buildDate
	if v == "" {
		v = "(built from a checkout, not a release)"
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				switch s.Key {
				case "vcs.revision":
					commit = s.Value
				case "vcs.time":
					date = s.Value
				case "vcs.modified":
					if s.Value == "true" {
						commit += " (with uncommitted changes)"
					}
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", name, v)
	if commit != "" {
		fmt.Fprintf(&b, "commit:   %s\n", commit)
	}
	if date != "" {
		fmt.Fprintf(&b, "built:    %s\n", date)
	}
	fmt.Fprintf(&b, "go:       %s\nplatform: %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// versionCall reports whether args ask an entry point for its version:
// --version (and -v) everywhere, and docker-credential-helpers' own
// "version" operation for the docker helper's name.
func versionCall(entry string, args []string) bool {
	if len(args) != 2 {
		return false
	}
	switch args[1] {
	case "--version", "-v", "-version":
		return true
	case "version":
		return entry != "git-credential-oauth2cred"
	}
	return false
}
