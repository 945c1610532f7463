package helper

import (
	"path/filepath"
	"strings"
)

// What a credential.helper line of git's configuration is: git runs
// "!…" through the shell, a bare word W as git-credential-W, anything else
// as a command line. setup git, unsetup git and doctor all read lines
// through helperLineKind, so that a line setup wrote (or the README's
// migration line, "!oauth2cred git") is always recognised as ours.

type helperKind int

const (
	otherHelper   helperKind = iota
	storageHelper            // cache, store, osxkeychain, manager, libsecret…: serves what it kept
	oursForAll               // oauth2cred without --service: routes by host
	oursForOne               // oauth2cred --service NAME
)

// isStorageHelper says whether git's helper name is one that hands back a
// credential it stored, which for an OAuth token is a dead one once it
// expires (a switch: no map built at every process start).
func isStorageHelper(name string) bool {
	switch name {
	case "cache", "store", "osxkeychain", "manager", "manager-core", "libsecret", "wincred", "gnome-keyring":
		return true
	}
	return false
}

// helperLineKind classifies a helper line, and names the service of ours.
func helperLineKind(line string) (helperKind, string) {
	line = strings.TrimSpace(line)
	shell := strings.HasPrefix(line, "!")
	words := shellWords(strings.TrimPrefix(line, "!"))
	if len(words) == 0 {
		return otherHelper, ""
	}
	prog := words[0]
	if !shell && !strings.ContainsAny(prog, `/\`) {
		if isStorageHelper(prog) {
			return storageHelper, ""
		}
		prog = "git-credential-" + prog
	}
	if !isThisProgram(prog) {
		if b := filepath.Base(prog); strings.HasPrefix(b, "git-credential-") && isStorageHelper(strings.TrimPrefix(strings.TrimSuffix(b, ".exe"), "git-credential-")) {
			return storageHelper, ""
		}
		return otherHelper, ""
	}
	for i, w := range words {
		if w == "--service" && i+1 < len(words) {
			return oursForOne, words[i+1]
		}
		if v, ok := strings.CutPrefix(w, "--service="); ok {
			return oursForOne, v
		}
	}
	return oursForAll, ""
}

// isThisProgram says whether a helper's program is oauth2cred: by name
// (oauth2cred, git-credential-oauth2cred, with .exe on Windows), or a
// path to this very file.
func isThisProgram(prog string) bool {
	switch strings.TrimSuffix(filepath.Base(filepath.FromSlash(prog)), ".exe") {
	case "oauth2cred", "git-credential-oauth2cred":
		return true
	}
	return strings.ContainsAny(prog, `/\`) && sameFile(prog, startedAs())
}

// shellWords splits a command line as sh would for plain words and
// quotes ('…', "…", \x); enough to read the lines set-up and people write.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'' && c == '\'', quote == '"' && c == '"':
			quote = 0
		case quote == '\'':
			cur.WriteByte(c)
		case c == '\\' && i+1 < len(s) && quote != '\'':
			i++
			cur.WriteByte(s[i])
			in = true
		case quote == '"':
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
