package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 22.2: --preset gitlab with a self-hosted host, and --preset github
// with a GitHub Enterprise Server host, send the person's browser to that
// host, not to gitlab.com or github.com.
func TestSelfHostedForgePresets(t *testing.T) {
	w := newWorld(t, 0)
	for _, tc := range []struct{ preset, host, want string }{
		{"gitlab", "gitlab.internal.test", "https://gitlab.internal.test/oauth/authorize?"},
		{"github", "ghe.internal.test", "https://ghe.internal.test/login/oauth/authorize?"},
	} {
		log := filepath.Join(t.TempDir(), "opened")
		browser := filepath.Join(t.TempDir(), "browser")
		os.WriteFile(browser, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> "+log+"\n"), 0o755)
		r := w.runWith(cmdOpts{env: []string{"BROWSER=" + browser}}, "token", "--no-save", "--service", tc.preset+"-self",
			"--preset", tc.preset, "--client-id", "c", "--host", tc.host, "--login-timeout", "2s")
		got, _ := os.ReadFile(log)
		if !strings.HasPrefix(string(got), tc.want) {
			t.Errorf("%s at %s: the browser opened %q (exit %d)\n%s", tc.preset, tc.host, got, r.code, r.stderr)
		}
	}
}
