package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"oauth2cred/flow"
)

// BenchmarkCachedToken measures the in-process part of a cached `token`
// call (CLI parsing, config, token file); bench/run measures whole processes.
func BenchmarkCachedToken(b *testing.B) {
	dir := b.TempDir()
	tok := `{"access_token":"abc","token_type":"Bearer","refresh_token":"r","expiry":"2099-01-01T00:00:00Z","client_id":"c","token_url":"https://h.example.com/t"}`
	if err := os.WriteFile(filepath.Join(dir, ".b-token"), []byte(tok), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Setenv("XDG_CONFIG_HOME", dir)
	devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	stdout := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	args := []string{"oauth2cred", "token", "--service", "b", "--client-id", "c", "--token-url", "https://h.example.com/t", "--auth-url", "https://h.example.com/a", "--token-dir", dir}
	b.ReportAllocs()
	for b.Loop() {
		app := newApp(time.Now(), &flow.Redactor{})
		onlyCommand(app, args)
		withUsageErrors(app.Commands)
		if err := app.RunContext(context.Background(), args); err != nil {
			b.Fatal(err)
		}
	}
}

// Each command takes, and its help lists, only the flags that apply to it:
// adding a flag to a command it does not apply to fails here.
func TestEachCommandTakesItsOwnFlags(t *testing.T) {
	signIn := []flagGroup{gService, gAuth, gExchange, gNetwork, gStore}
	want := map[string]struct {
		groups []flagGroup
		extra  []string
	}{
		"token":          {signIn, []string{"format"}},
		"git":            {signIn, nil},
		"kubectl":        {signIn, nil},
		"docker":         {signIn, nil},
		"login":          {signIn, nil},
		"logout":         {append(signIn, gLogout), nil},
		"status":         {[]flagGroup{gStore}, []string{"service", "format"}},
		"doctor":         {signIn, nil},
		"setup":          {signIn, nil},
		"setup git":      {signIn, []string{"global", "local", "dry-run"}},
		"setup docker":   {signIn, []string{"dry-run"}},
		"setup kubectl":  {signIn, []string{"dry-run", "from-kubelogin", "kubeconfig"}},
		"unsetup":        {signIn, nil},
		"unsetup git":    {signIn, []string{"global", "local", "dry-run"}},
		"unsetup docker": {signIn, []string{"dry-run"}},
		"config path":    {nil, []string{"config"}},
		"config edit":    {nil, []string{"config"}},
	}
	for _, op := range []string{"git get", "git store", "git erase", "docker get", "docker store", "docker erase", "docker list", "docker version"} {
		want[op] = struct {
			groups []flagGroup
			extra  []string
		}{signIn, nil}
	}
	app := newApp(time.Now(), &flow.Redactor{})
	var walk func(prefix string, cmds []*cli.Command)
	seen := 0
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			path := strings.TrimSpace(prefix + " " + c.Name)
			w, ok := want[path]
			if ok {
				seen++
				var expect []string
				for _, f := range flagTable {
					if slices.Contains(w.groups, f.group) {
						expect = append(expect, f.name)
					}
				}
				expect = append(expect, w.extra...)
				var got []string
				for _, f := range c.Flags {
					got = append(got, f.Names()[0])
				}
				slices.Sort(expect)
				slices.Sort(got)
				if !slices.Equal(got, expect) {
					t.Errorf("%s takes %v\nwant %v", path, got, expect)
				}
			} else if len(c.Flags) > 0 {
				t.Errorf("%s takes flags and is not in this test's table", path)
			}
			walk(path, c.Subcommands)
		}
	}
	walk("", app.Commands)
	if seen != len(want) {
		t.Errorf("found %d of the %d commands of the table", seen, len(want))
	}
}
